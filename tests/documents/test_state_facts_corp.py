"""states_corp.toml: every row validates, defaults are the safe choice, and facts reach only their kinds."""

from __future__ import annotations

from pathlib import Path

import pytest

from pwcore.facts import states_corp as sfc
from pwcore.facts.states import StateFactsError


def test_data_file_rows_are_valid_and_sourced() -> None:
    facts = sfc.load()
    assert set(facts) <= set(sfc.DEFAULTS)
    for fact, rows in facts.items():
        for code, row in rows.items():
            assert row.source and row.checked, (fact, code)
            if row.status == "needs_review":
                assert "needs review" in row.checked, (fact, code)


def test_defaults_for_unlisted_states_and_other_kinds() -> None:
    wyoming = sfc.extras("Wyoming", "corporation")
    assert wyoming == sfc.DEFAULTS  # a state with no row for any fact reads every default
    # the defaults that keep an unlisted state's documents on the Model Act's wording
    assert wyoming["owner_term"] == "shareholders" and wyoming["emergency_bylaws"] is False
    assert wyoming["special_meeting_by_holders"] == "" and wyoming["nonstock_statement"] is False
    assert sfc.extras("DE", "corporation")["emergency_bylaws"] is True
    # a fact belongs to the kinds that read it: no emergency article for a Delaware nonprofit's bylaws
    assert sfc.extras("DE", "nonprofit")["emergency_bylaws"] is False
    assert sfc.extras("CA", "corporation")["nonprofit_statement"] == ""
    assert sfc.extras("CA", "corporation")["corporation_purpose_statement"].startswith(
        "The purpose of the Corporation is to engage in any lawful act or activity"
    )
    assert sfc.extras("CA", "nonprofit")["corporation_purpose_statement"] == ""
    assert sfc.extras("california", "nonprofit")["nonprofit_statement"].startswith(
        "This corporation is a nonprofit public benefit corporation"
    )


def test_delaware_speaks_of_stockholders_without_a_statutory_right_to_a_special_meeting() -> None:
    de = sfc.state_context("DE", "corporation")
    assert (de["holder"], de["holders"], de["Holder"], de["Holders"]) == (
        "stockholder",
        "stockholders",
        "Stockholder",
        "Stockholders",
    )
    assert de["special_meeting_by_holders"] == "none"  # 8 Del. C. § 211(d)
    assert de["registered_office_county_required"] is True  # 8 Del. C. § 102(a)(2)
    co = sfc.state_context("CO", "corporation")
    assert (co["holders"], co["Holder"], co["special_meeting_by_holders"]) == ("shareholders", "Shareholder", "")
    assert sfc.extras("VT", "corporation")["special_meeting_by_holders"] == "ten percent"
    # kinds: a Delaware nonprofit is nonstock and names its county; its holder words stay the default
    np = sfc.extras("DE", "nonprofit")
    assert np["nonstock_statement"] is True and np["registered_office_county_required"] is True
    assert np["owner_term"] == "shareholders" and sfc.extras("DE", "corporation")["nonstock_statement"] is False


def test_state_context_merges_with_state_facts() -> None:
    st = sfc.state_context("CA", "nonprofit")
    assert st["name"] == "California" and st["kind"] == "nonprofit"
    assert "nonprofit_statement" in st and "emergency_bylaws" in st


_TAIL = 'source = "x y z"\nchecked = "x y z"\nstatus = "verified"\n'


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[surprise.DE]\nvalue = true\n" + _TAIL, "unknown fact"),
        ("[emergency_bylaws.XX]\nvalue = true\n" + _TAIL, "state code"),
        ('[emergency_bylaws.DE]\nvalue = "yes"\n' + _TAIL, "bool"),
        ('[owner_term.DE]\nvalue = "members"\n' + _TAIL, "one of"),
        ('[special_meeting_by_holders.DE]\nvalue = "10%"\n' + _TAIL, "percentage in words"),
        ('[emergency_bylaws.DE]\nvalue = true\nchecked = "x y z"\nstatus = "verified"\n', "source"),
        ('[emergency_bylaws.DE]\nvalue = true\nsource = "x y z"\nchecked = "x y z"\nstatus = "maybe"\n', "status"),
    ],
)
def test_bad_rows_are_refused(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "states_corp.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(StateFactsError, match=message):
        sfc.load(path)


def test_texas_articles_always_name_the_directors() -> None:
    assert sfc.directors_in_articles("TX", order_names_directors=False) is True
    assert sfc.directors_in_articles("CO", order_names_directors=False) is False
    assert sfc.directors_in_articles("CO", order_names_directors=True) is True
