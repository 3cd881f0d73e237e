"""The state facts data file covers exactly the 50 states + DC, every row is complete and sourced."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from pwcore.facts import states as sf

DE_OFFICE = "Delaware Secretary of State, Division of Corporations"
MA_OFFICE = "Secretary of the Commonwealth of Massachusetts, Corporations Division"
NY_OFFICE = "New York Department of State, Division of Corporations"
KIND_FIELDS = ("formation_document", "filing_office", "act", "act_cite", "signer_title", "source", "checked", "status")


def _raw() -> dict[str, dict]:
    return tomllib.loads(sf.DATA_FILE.read_text(encoding="utf-8"))


def test_covers_exactly_50_states_and_dc() -> None:
    raw = _raw()
    assert set(raw) == sf.EXPECTED_CODES
    assert len(raw) == 51
    assert {row.name for row in sf.load().values()} >= {"District of Columbia", "Texas", "Wyoming"}


def test_every_row_has_every_field_and_a_source() -> None:
    for code, table in _raw().items():
        for key in (
            "name",
            "code",
            "the_state",
            "community_property",
            "community_property_source",
            "community_property_checked",
        ):
            assert key in table, f"{code} lacks {key}"
        for kind in sf.KINDS:
            row = table[kind]
            for key in KIND_FIELDS:
                assert str(row.get(key, "")).strip(), f"{code}.{kind} lacks {key}"
            assert row["status"] in ("verified", "needs_review"), f"{code}.{kind} status"
            # an unverified row must say so in `checked`, a verified one must say where it was read
            if row["status"] == "verified":
                assert row["checked"].startswith("search pages:"), f"{code}.{kind}"
            else:
                assert "needs review" in row["checked"], f"{code}.{kind}"


def test_community_property_states() -> None:
    cp = {code for code, row in sf.load().items() if row.community_property}
    assert cp == {"AZ", "CA", "ID", "LA", "NV", "NM", "TX", "WA", "WI"}
    for code in ("AK", "SD", "TN", "KY"):  # opt-in regimes are not community property by default
        row = sf.load()[code]
        assert row.community_property is False and "opt-in" in row.community_property_note


@pytest.mark.parametrize(
    ("query", "kind", "title", "office"),
    [
        ("TX", "llc", "Certificate of Formation", "Texas Secretary of State"),
        ("Texas", "corporation", "Certificate of Formation", "Texas Secretary of State"),
        ("de", "llc", "Certificate of Formation", DE_OFFICE),
        ("Delaware", "corporation", "Certificate of Incorporation", DE_OFFICE),
        ("Massachusetts", "llc", "Certificate of Organization", MA_OFFICE),
        ("the State of Colorado", "llc", "Articles of Organization", "Colorado Secretary of State"),
        ("New York", "corporation", "Certificate of Incorporation", NY_OFFICE),
        ("Tennessee", "nonprofit", "Charter", "Tennessee Secretary of State"),
    ],
)
def test_facts_for(query: str, kind: str, title: str, office: str) -> None:
    facts = sf.facts_for(query, kind)
    assert facts.formation_document == title
    assert facts.filing_office == office
    assert facts.the_state.startswith("the ")
    ctx = facts.context()
    assert ctx["name"] and ctx["act_cite"] and ctx["kind"] == kind


def test_delaware_llc_is_signed_by_an_authorized_person() -> None:
    facts = sf.facts_for("DE", "llc")
    assert facts.signer_title == "Authorized Person"
    assert facts.act_cite == "6 Del. C. § 18-101 et seq."
    assert facts.status == "verified"


def test_statutory_particulars() -> None:
    ny = sf.facts_for("NY", "llc")
    assert ny.secretary_is_agent and ny.publication_required and "§ 203" in ny.notes
    assert sf.facts_for("OH", "llc").agent_acceptance and sf.facts_for("FL", "llc").agent_acceptance
    tx = sf.facts_for("TX", "llc")
    assert not (tx.secretary_is_agent or tx.agent_acceptance or tx.publication_required)
    # every flag that is set rests on a verified row with a note saying where it comes from
    for code, row in sf.load().items():
        for kind in sf.KINDS:
            facts = getattr(row, kind)
            if facts.secretary_is_agent or facts.agent_acceptance or facts.publication_required:
                assert facts.status == "verified" and facts.notes, f"{code}.{kind}"


def test_commonwealths_and_dc_print_right() -> None:
    assert sf.facts_for("VA", "llc").the_state == "the Commonwealth of Virginia"
    assert sf.facts_for("DC", "llc").the_state == "the District of Columbia"
    assert sf.facts_for("Ohio", "llc").the_state == "the State of Ohio"


def test_unknown_state_and_kind_are_refused() -> None:
    with pytest.raises(sf.StateFactsError):
        sf.facts_for("Puerto Rico", "llc")
    with pytest.raises(sf.StateFactsError):
        sf.facts_for("TX", "partnership")


def test_malformed_file_is_refused_with_the_row(tmp_path: Path) -> None:
    text = sf.DATA_FILE.read_text(encoding="utf-8").replace('signer_title = "Organizer"', "", 1)
    bad = tmp_path / "states.toml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(sf.StateFactsError, match=r"\[A[LK]\]"):
        sf.load(bad)
    missing = tmp_path / "few.toml"
    missing.write_text(_only_alabama(), encoding="utf-8")
    with pytest.raises(sf.StateFactsError, match="missing"):
        sf.load(missing)


def _only_alabama() -> str:
    text = sf.DATA_FILE.read_text(encoding="utf-8")
    return text[: text.index("[AK]")]
