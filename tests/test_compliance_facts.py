"""The grounded compliance facts: every file validates, every fact is sourced and dated, nothing is past its
review date, and the per-state tables that claim full coverage have all 50 states and DC."""

from __future__ import annotations

import re
import shutil
import textwrap
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from pwcore.compliance.intake import SERVICE_TYPES, service_slug
from pwcore.facts import compliance as cf
from pwdev.samples import INTAKE


def _all_rows() -> list[tuple[str, cf.Fact | cf.TableRow]]:
    out: list[tuple[str, cf.Fact | cf.TableRow]] = []
    for name, ff in cf.all_files().items():
        out += [(f"{name}:{f.id}", f) for f in ff.facts]
        for t in ff.tables:
            out += [(f"{name}:{t.id}:{r.state}", r) for r in t.rows]
    return out


def test_every_service_has_a_facts_file_that_loads() -> None:
    # One file per compliance service, named like the section specs.
    assert sorted(service_slug(s) for s in SERVICE_TYPES) == sorted(cf.SERVICE_FILES)
    for service in SERVICE_TYPES:
        fs = cf.load(service)
        assert fs.service == service_slug(service)
        assert fs.facts, f"{service}: no facts"
        assert fs.tables, f"{service}: names no state tables"


def test_every_fact_and_row_is_sourced_checked_and_dated() -> None:
    rows = _all_rows()
    assert len(rows) > 250  # the state tables alone hold over 150 rows
    for key, r in rows:
        assert r.source.strip(), key
        assert r.checked.strip(), key
        assert isinstance(r.review_by, date), key
        if r.effective is not None:
            assert r.effective <= r.review_by, f"{key}: review date before it takes effect"


# Research notes belong in `checked` (and `note`), never in what a report prints: a fact's value or a row's cells.
RESEARCH_NOTE = re.compile(r"model knowledge|search pages|\b[\w-]+\.(?:com|site|net|io)\b", re.IGNORECASE)


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


def test_printed_values_carry_no_research_notes() -> None:
    leaks = [f"{key}: {m.group(0)!r}" for key, r in _all_rows()
             for text in _strings(r.value if isinstance(r, cf.Fact) else r.cells)
             if (m := RESEARCH_NOTE.search(text))]
    assert not leaks, "research notes in printed values (move them to `checked`):\n" + "\n".join(leaks)


def test_nothing_is_past_its_review_date() -> None:
    # Fails on the day a figure must be re-checked (e.g. every January 1 for wage rates): update the row from
    # its official source, set a new review_by, and commit. See docs/compliance-facts.md.
    due = cf.due_for_review(date.today())
    assert not due, "facts past their review_by date:\n" + "\n".join(
        f"  {d.file}:{d.id} (review_by {d.review_by})" for d in due)


def test_full_coverage_tables_have_all_states_and_dc() -> None:
    full = [t for ff in cf.all_files().values() for t in ff.tables if t.coverage == "50+DC"]
    assert {t.id for t in full} >= {"states.min_wage", "states.breach_notification"}
    for t in full:
        assert {r.state for r in t.rows} >= cf.STATES_50_DC, t.id
    assert len(cf.STATES_50_DC) == 51


def test_every_named_state_table_exists_and_is_used() -> None:
    states = cf.read_file(cf.STATES_FILE)
    used = {t for name in cf.SERVICE_FILES for t in cf.read_file(name).uses_tables}
    assert used == {t.id for t in states.tables}, "a state table no service uses, or a name that does not exist"


def test_sample_intake_states_have_rows_in_full_tables() -> None:
    for service, intake in INTAKE.items():
        codes = set(intake.get("states", [])) | set(intake.get("resident_states", []))
        codes |= {w["state"] for w in intake.get("workers", []) if w.get("state")}
        fs = cf.load(service).for_states(sorted(codes))
        for t in cf.load(service).tables:
            if t.coverage == "50+DC" and codes:
                kept = next(x for x in fs.tables if x.id == t.id)
                assert {r.state for r in kept.rows} == codes, (service, t.id)


def test_known_figures() -> None:
    # A few anchors whose loss would silently break reports (verified in the files' checked notes).
    flsa = cf.load("FLSA Audit")
    assert flsa.value("flsa.min_wage.federal") == 7.25
    assert flsa.value("flsa.exempt.salary_level") == 684
    assert flsa.value("flsa.exempt.hce") == 107432
    colorado = flsa.table("states.min_wage").row("CO")
    assert colorado is not None and colorado.cells["rate"] == 15.16
    ccpa = cf.load("ccpa_audit")
    assert ccpa.value("ccpa.applies.revenue") == 26_625_000
    assert ccpa.value("ccpa.applies.consumers") == 100_000
    tcpa = cf.load("tcpa_audit")
    assert tcpa.value("tcpa.revocation.deadline") == 10
    damages = tcpa.value("tcpa.damages.statutory")
    assert damages == {"per_violation_usd": 500, "per_willful_or_knowing_violation_usd": 1500}


def test_prompt_block_and_appendix() -> None:
    fs = cf.load("FLSA Audit").for_states(["CO", "TX"])
    block = fs.prompt_block()
    assert "[flsa.exempt.salary_level]" in block and "684" in block
    assert "  - CO: rate: 15.16" in block and "  - TX: rate: 7.25" in block
    assert "  - CA:" not in block  # other states are left out
    assert "[needs review]" in block  # the Colorado 2026 salary threshold is not verified
    rows = fs.appendix_rows()
    assert len(rows) == len(fs.facts) + sum(len(t.rows) for t in fs.tables)
    assert {"item", "jurisdiction", "source", "effective", "status"} <= set(rows[0])
    assert all(t.coverage == "partial" for t in fs.tables)


def test_due_for_review_and_needs_review_lists() -> None:
    total = len(_all_rows())
    assert len(cf.due_for_review(date(2100, 1, 1))) == total
    assert cf.due_for_review(date(2000, 1, 1)) == []
    flagged = cf.needs_review()
    assert flagged and len(flagged) < total
    assert all(key.count(":") in (1, 2) for key in flagged)


# --- the validator refuses what a reviewer must not ship ------------------------------------------------------

FACT = """
[[facts]]
id = "x.fact"
title = "A fact"
value = 1
jurisdiction = "US"
effective = 2024-01-01
source = "29 U.S.C. 206"
checked = "{checked}"
review_by = 2099-01-01
{extra}
"""


def _write(tmp: Path, name: str, body: str) -> None:
    (tmp / f"{name}.toml").write_text(textwrap.dedent(body))


@pytest.fixture
def facts_copy(tmp_path: Path) -> Iterator[Path]:
    for f in cf.facts_dir().glob("*.toml"):
        shutil.copy(f, tmp_path / f.name)
    cf.read_file.cache_clear()
    yield tmp_path
    cf.read_file.cache_clear()


@pytest.mark.parametrize(("checked", "extra", "message"), [
    ("model knowledge, needs review", "", "needs_review"),
    ("looked it up", "", "checked must start with"),
    ("search pages: x", 'jurisdiction_extra = 1', "Extra inputs"),
])
def test_validator_rejects(facts_copy: Path, checked: str, extra: str, message: str) -> None:
    body = 'service = "flsa_audit"\ntitle = "t"\n' + FACT.format(checked=checked, extra=extra)
    _write(facts_copy, "flsa_audit", body)
    with pytest.raises(cf.FactsInvalid, match=message) as err:
        cf.load("flsa_audit", facts_copy)
    assert str(err.value).startswith("flsa_audit.toml:")


def test_validator_rejects_bad_jurisdiction_and_duplicates(facts_copy: Path) -> None:
    bad = FACT.format(checked="search pages: x", extra="").replace('"US"', '"US-XX"')
    _write(facts_copy, "flsa_audit", 'service = "flsa_audit"\ntitle = "t"\n' + bad)
    with pytest.raises(cf.FactsInvalid, match="jurisdiction"):
        cf.load("flsa_audit", facts_copy)
    cf.read_file.cache_clear()
    one = FACT.format(checked="search pages: x", extra="")
    _write(facts_copy, "flsa_audit", 'service = "flsa_audit"\ntitle = "t"\n' + one + one)
    with pytest.raises(cf.FactsInvalid, match="duplicate ids"):
        cf.load("flsa_audit", facts_copy)


def test_full_coverage_claim_is_checked(facts_copy: Path) -> None:
    states = (facts_copy / "states.toml").read_text()
    # Drop Wisconsin's minimum wage row (the first table): the table still claims 50+DC.
    start = states.index('jurisdiction = "US-WI"')
    row_start = states.rindex("[[tables.rows]]", 0, start)
    row_end = states.index("[[tables.rows]]", start)
    (facts_copy / "states.toml").write_text(states[:row_start] + states[row_end:])
    with pytest.raises(cf.FactsInvalid, match=r"claims 50\+DC coverage but lacks \['WI'\]"):
        cf.load("flsa_audit", facts_copy)


def test_unknown_table_and_service(facts_copy: Path) -> None:
    body = 'service = "flsa_audit"\ntitle = "t"\nuses_tables = ["states.nope"]\n' + FACT.format(
        checked="search pages: x", extra="")
    _write(facts_copy, "flsa_audit", body)
    with pytest.raises(KeyError, match=r"states\.nope"):
        cf.load("flsa_audit", facts_copy)
    with pytest.raises(KeyError):
        cf.load("Formation Order", facts_copy)


def test_past_review_date_is_reported(facts_copy: Path) -> None:
    body = 'service = "flsa_audit"\ntitle = "t"\n' + FACT.format(checked="search pages: x", extra="").replace(
        "review_by = 2099-01-01", "review_by = 2024-06-30")
    _write(facts_copy, "flsa_audit", body)
    due = cf.due_for_review(date(2024, 7, 1), facts_copy)
    assert [(d.file, d.id) for d in due if d.file == "flsa_audit"] == [("flsa_audit", "x.fact")]
