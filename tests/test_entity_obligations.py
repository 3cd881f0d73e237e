"""The state compliance-calendar rules: data coverage and quality, and the due-date computation."""

from __future__ import annotations

import itertools
import re
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from pwcore.facts.entity_obligations import (
    EVENT_TYPES,
    KINDS,
    STATES,
    ObligationRule,
    _data_path,
    load_rules,
    obligations_for,
    rules_for,
    schedule,
)

FORMATION_DATES = [date(2024, 2, 29), date(2025, 1, 31), date(2025, 6, 15), date(2025, 12, 31), date(2026, 1, 1)]


def dues(state: str, kind: str, formed: date, as_of: date | None = None) -> list[tuple[date, str, str]]:
    return [(o.due_date, o.event_type, o.recurrence) for o in obligations_for(state, kind, formed, as_of)]


def series(state: str, kind: str, event_type: str, formed: date, count: int) -> list[date]:
    (row,) = [r for r in rules_for(state, kind) if r.event_type == event_type]
    return [d for d, _ in itertools.islice(schedule(row, formed), count)]


# --- the data ------------------------------------------------------------------------------------------

def test_every_state_and_dc_has_rows_for_every_kind() -> None:
    assert len(STATES) == 51 and "DC" in STATES
    rows = load_rules()
    for state in STATES:
        for kind in KINDS:
            assert rules_for(state, kind), f"{state}/{kind} has no row"
    assert {row.state for row in rows} == set(STATES)


def test_every_row_names_its_source_and_how_it_was_checked() -> None:
    for row in load_rules():
        where = f"{row.state} {row.kinds} {row.title}"
        assert row.source.strip() and row.checked.strip(), where
        assert row.event_type in EVENT_TYPES, where
        if row.status == "verified":
            # A verified row says which search found it; model knowledge alone is never "verified".
            assert row.checked.startswith("search pages:"), where
        else:
            assert row.status == "needs_review", where
        assert "model knowledge" not in row.checked or row.status == "needs_review", where


def test_no_row_invents_a_federal_boi_or_registered_agent_deadline() -> None:
    # Domestic entities owe no BOI report since FinCEN's March 2025 interim final rule, and RA renewal is our
    # service anniversary, not a state rule: both are documented in the file header instead of rows.
    assert not [row for row in load_rules() if row.event_type in ("BOI Report", "RA Renewal")]
    header = _data_path().read_text(encoding="utf-8").split("[[obligation]]")[0]
    assert "90 Fed. Reg. 13688" in header and "1010.380(c)(2)(xxiv)" in header
    assert "Registered agent renewal" in header


def test_statute_numbers_not_seen_in_search_are_flagged() -> None:
    # A section number that came from model knowledge must say so in the row.
    for row in load_rules():
        if "model knowledge" in row.source:
            assert "not confirmed by search" in row.source, row.title


def test_a_state_without_a_filing_says_so_and_yields_nothing() -> None:
    (row,) = rules_for("AZ", "llc")
    assert row.frequency == "none" and row.status == "verified"
    assert obligations_for("AZ", "llc", date(2026, 3, 1)) == []
    assert obligations_for("OH", "corporation", date(2026, 3, 1)) == []


def test_unknown_state_or_kind_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown state"):
        obligations_for("XX", "llc", date(2026, 1, 1))
    with pytest.raises(ValueError, match="unknown entity kind"):
        obligations_for("TX", "partnership", date(2026, 1, 1))
    assert dues(" tx ", "llc", date(2026, 3, 3)) == dues("TX", "llc", date(2026, 3, 3))


@pytest.mark.parametrize("bad", [
    {"rule": "fixed", "month": 2, "day": 30},                       # no such day
    {"rule": "fixed", "day": 1},                                      # fixed without month
    {"rule": "biennial_anniversary"},                                 # biennial rule on an annual row
    {"rule": "first_report_within_days", "then": "anniversary_date"},  # days missing
    {"rule": "anniversary_date", "then": "fixed"},                    # then without a first-report rule
    {"rule": "none"},                                                 # none with an annual frequency
    {"rule": "anniversary_date", "source": ""},                       # no source
    {"rule": "anniversary_date", "event_type": "Deadline"},           # not a calendar event type
    {"rule": "anniversary_date", "late_formation_cutoff": "09-30"},   # cutoff only for fixed dates
])
def test_inconsistent_rows_are_refused(bad: dict[str, object]) -> None:
    row = {"state": "TX", "kinds": ["llc"], "event_type": "Annual Report", "title": "T", "frequency": "annual",
           "source": "S", "checked": "search pages: x", "status": "verified", **bad}
    with pytest.raises(ValidationError):
        ObligationRule.model_validate(row)


def test_a_data_file_with_a_gap_is_refused(tmp_path: Path) -> None:
    text = _data_path().read_text(encoding="utf-8")
    blocks = text.split("[[obligation]]")
    kept = [b for b in blocks[1:] if 'state = "WY"' not in b]
    path = tmp_path / "gap.toml"
    path.write_text("[[obligation]]".join([blocks[0], *kept]), encoding="utf-8")
    with pytest.raises(ValueError, match="WY/llc"):
        load_rules(path)


def test_every_row_computes_ascending_dates_after_formation() -> None:
    for row, formed in itertools.product(load_rules(), FORMATION_DATES):
        got = list(itertools.islice(schedule(row, formed), 6))
        if row.frequency == "none":
            assert got == []
            continue
        days = [d for d, _ in got]
        assert days == sorted(days) and len(set(days)) == len(days), (row.state, row.title, formed)
        assert days[0] > formed or (row.rule.startswith("first_report") and days[0] >= formed)
        recurring = [d for d, first in got if not first]
        steps = {b.year - a.year for a, b in itertools.pairwise(recurring)}
        assert steps == {row.every}, (row.state, row.title, formed, recurring)


# --- the computation, state by state --------------------------------------------------------------------

def test_texas_franchise_tax_is_due_may_15_of_the_next_year() -> None:
    for kind in ("llc", "corporation"):
        assert dues("TX", kind, date(2026, 3, 3)) == [(date(2027, 5, 15), "Franchise Tax", "Annual")]
        # Formed on New Year's Eve: still the next year's May 15, not one four and a half months later.
        assert dues("TX", kind, date(2026, 12, 31))[0][0] == date(2027, 5, 15)
    assert series("TX", "llc", "Franchise Tax", date(2026, 3, 3), 3) == [
        date(2027, 5, 15), date(2028, 5, 15), date(2029, 5, 15)]


def test_delaware_llc_tax_june_1_and_corporation_report_march_1() -> None:
    (llc,) = obligations_for("DE", "llc", date(2026, 1, 1))
    assert (llc.due_date, llc.event_type, llc.fee) == (date(2027, 6, 1), "Franchise Tax", 300)
    (corp,) = obligations_for("DE", "corporation", date(2026, 2, 27))
    assert (corp.due_date, corp.event_type, corp.recurrence) == (date(2027, 3, 1), "Franchise Tax", "Annual")
    assert obligations_for("DE", "nonprofit", date(2026, 5, 5))[0].due_date == date(2027, 3, 1)


def test_california_llc_first_statement_within_90_days_then_biennial() -> None:
    got = obligations_for("CA", "llc", date(2026, 1, 31))
    soi = [o for o in got if o.event_type == "Annual Report"]
    assert [(o.title, o.due_date, o.recurrence) for o in soi] == [
        ("Initial Statement of Information (Form LLC-12)", date(2026, 5, 1), ""),
        ("Statement of Information (Form LLC-12)", date(2028, 1, 31), "Biennial"),
    ]
    assert soi[1].anchor_day == 31
    assert series("CA", "llc", "Annual Report", date(2026, 1, 31), 4) == [
        date(2026, 5, 1), date(2028, 1, 31), date(2030, 1, 31), date(2032, 1, 31)]
    # Formed 29 February: 90 days later, then the end of February every second year.
    assert series("CA", "llc", "Annual Report", date(2024, 2, 29), 3) == [
        date(2024, 5, 29), date(2026, 2, 28), date(2028, 2, 29)]


def test_california_llc_800_tax_15th_day_of_the_4th_month_then_april_15() -> None:
    # The FTB's own example: formed June 1 -> first tax due September 15; later years April 15.
    assert series("CA", "llc", "Franchise Tax", date(2026, 6, 1), 3) == [
        date(2026, 9, 15), date(2027, 4, 15), date(2028, 4, 15)]
    # Formed late in the year: the short first year's tax and the next year's are both due.
    assert series("CA", "llc", "Franchise Tax", date(2026, 12, 20), 2) == [date(2027, 3, 15), date(2027, 4, 15)]
    tax = [o for o in obligations_for("CA", "llc", date(2026, 6, 1)) if o.event_type == "Franchise Tax"]
    assert [(o.due_date, o.recurrence, o.fee) for o in tax] == [
        (date(2026, 9, 15), "", 800), (date(2027, 4, 15), "Annual", 800)]


def test_california_corporation_statement_is_annual_after_the_first() -> None:
    soi = [o for o in obligations_for("CA", "corporation", date(2026, 3, 10)) if o.event_type == "Annual Report"]
    assert [(o.due_date, o.recurrence) for o in soi] == [(date(2026, 6, 8), ""), (date(2027, 3, 31), "Annual")]


def test_anniversary_month_end_for_january_31_and_february_29() -> None:
    # Idaho: by the last day of the anniversary month.
    assert series("ID", "llc", "Annual Report", date(2026, 1, 31), 2) == [date(2027, 1, 31), date(2028, 1, 31)]
    assert series("ID", "llc", "Annual Report", date(2024, 2, 29), 5) == [
        date(2025, 2, 28), date(2026, 2, 28), date(2027, 2, 28), date(2028, 2, 29), date(2029, 2, 28)]
    (idaho,) = obligations_for("ID", "corporation", date(2024, 2, 29))
    assert (idaho.due_date, idaho.anchor_day, idaho.recurrence) == (date(2025, 2, 28), 31, "Annual")


def test_anniversary_date_clips_29_february() -> None:
    # Oregon LLCs: on the anniversary itself.
    assert series("OR", "llc", "Annual Report", date(2024, 2, 29), 4) == [
        date(2025, 2, 28), date(2026, 2, 28), date(2027, 2, 28), date(2028, 2, 29)]
    assert obligations_for("OR", "llc", date(2025, 1, 31))[0].anchor_day == 31


def test_month_before_the_anniversary_and_months_after_it() -> None:
    # Illinois: before the first day of the anniversary month = the last day of the month before.
    assert series("IL", "llc", "Annual Report", date(2026, 1, 31), 2) == [date(2026, 12, 31), date(2027, 12, 31)]
    assert series("IL", "llc", "Annual Report", date(2024, 2, 29), 1) == [date(2025, 1, 31)]
    # Colorado (row under review): two months after the anniversary month.
    assert series("CO", "llc", "Annual Report", date(2025, 11, 30), 1) == [date(2027, 1, 31)]


def test_anniversary_quarter_and_month_start() -> None:
    assert series("WI", "llc", "Annual Report", date(2026, 5, 20), 2) == [date(2027, 6, 30), date(2028, 6, 30)]
    assert series("HI", "llc", "Annual Report", date(2026, 12, 31), 1) == [date(2027, 12, 31)]
    assert series("WY", "llc", "Annual Report", date(2026, 7, 15), 2) == [date(2027, 7, 1), date(2028, 7, 1)]


def test_biennial_cycles_follow_their_anchor() -> None:
    # Alaska: January 2 of years with the formation year's parity, after a first report within six months.
    assert series("AK", "llc", "Annual Report", date(2025, 3, 1), 3) == [
        date(2025, 9, 1), date(2027, 1, 2), date(2029, 1, 2)]
    assert series("AK", "corporation", "Annual Report", date(2026, 8, 31), 2) == [
        date(2027, 2, 28), date(2028, 1, 2)]
    # Iowa LLCs: April 1 of odd-numbered years, the first in the first odd year after formation.
    assert series("IA", "llc", "Annual Report", date(2026, 7, 1), 2) == [date(2027, 4, 1), date(2029, 4, 1)]
    assert series("IA", "llc", "Annual Report", date(2025, 7, 1), 1) == [date(2027, 4, 1)]
    assert series("IA", "llc", "Annual Report", date(2025, 2, 1), 1) == [date(2027, 4, 1)]  # not 2025
    # Iowa corporations: even-numbered years (Iowa Code § 490.1621(4)); nonprofits odd (§ 504.1613(3)).
    assert series("IA", "corporation", "Annual Report", date(2025, 2, 1), 2) == [date(2026, 4, 1), date(2028, 4, 1)]
    assert series("IA", "corporation", "Annual Report", date(2026, 2, 1), 1) == [date(2028, 4, 1)]
    assert series("IA", "nonprofit", "Annual Report", date(2027, 3, 1), 1) == [date(2029, 4, 1)]
    # Kansas: biennially in each succeeding year with the formation year's parity (sos.ks.gov).
    assert series("KS", "llc", "Annual Report", date(2026, 2, 1), 2) == [date(2028, 4, 15), date(2030, 4, 15)]
    assert series("KS", "corporation", "Annual Report", date(2025, 12, 31), 1) == [date(2027, 4, 15)]
    # DC: April 1 of the year after formation, then every second year.
    assert series("DC", "llc", "Annual Report", date(2026, 10, 10), 3) == [
        date(2027, 4, 1), date(2029, 4, 1), date(2031, 4, 1)]
    # New York: the anniversary month every two years.
    assert series("NY", "corporation", "Annual Report", date(2026, 3, 15), 2) == [
        date(2028, 3, 31), date(2030, 3, 31)]


def test_five_year_cycles() -> None:
    # New Hampshire nonprofits: December 31 of years ending in 0 or 5.
    assert series("NH", "nonprofit", "Annual Report", date(2026, 4, 1), 2) == [date(2030, 12, 31), date(2035, 12, 31)]
    # Ohio nonprofits: within each five years after incorporation.
    (ohio,) = obligations_for("OH", "nonprofit", date(2026, 4, 10))
    assert (ohio.due_date, ohio.recurrence) == (date(2031, 4, 30), "Every 5 years")


def test_late_formations_skip_a_year_or_a_first_filing() -> None:
    # Michigan LLCs formed after September 30 skip the next February 15 statement.
    assert series("MI", "llc", "Annual Report", date(2025, 9, 30), 1) == [date(2026, 2, 15)]
    assert series("MI", "llc", "Annual Report", date(2025, 10, 1), 1) == [date(2027, 2, 15)]
    # Georgia corporations formed after October 1 file no initial registration.
    assert dues("GA", "corporation", date(2026, 3, 1)) == [
        (date(2026, 5, 30), "Annual Report", ""), (date(2027, 4, 1), "Annual Report", "Annual")]
    assert dues("GA", "corporation", date(2026, 10, 2)) == [(date(2027, 4, 1), "Annual Report", "Annual")]


def test_nevada_initial_list_is_due_with_the_articles_then_the_anniversary_month() -> None:
    # NRS 78.150(1): the initial list is filed at the time the articles are filed; (2) annual list by the
    # last day of the anniversary month.
    got = obligations_for("NV", "corporation", date(2026, 1, 31))
    assert [(o.title, o.due_date, o.recurrence) for o in got] == [
        ("Initial List of Officers and Directors and State Business License", date(2026, 1, 31), ""),
        ("Annual List of Officers and Directors and State Business License", date(2027, 1, 31), "Annual")]


def test_first_report_at_a_month_end_clips_to_short_months() -> None:
    # No state row uses this rule now (Nevada moved its initial list to the articles); the kind stays
    # supported, so check it on a row built here.
    row = ObligationRule.model_validate({
        "state": "NV", "kinds": ["llc"], "event_type": "Annual Report", "title": "Annual List",
        "first_title": "Initial List", "frequency": "annual", "rule": "first_report_month_end", "months": 1,
        "then": "anniversary_month_end", "source": "S", "checked": "search pages: x", "status": "verified"})
    assert list(itertools.islice(schedule(row, date(2026, 1, 31)), 3)) == [
        (date(2026, 2, 28), True), (date(2027, 1, 31), False), (date(2028, 1, 31), False)]
    assert next(schedule(row, date(2027, 12, 15))) == (date(2028, 1, 31), True)


def test_nebraska_llc_first_report_is_in_the_odd_year_after_formation() -> None:
    # Neb. Rev. Stat. § 21-125(c): January 1 - April 1 of the odd-numbered year following the calendar
    # year of formation, then each subsequent odd-numbered year.
    assert series("NE", "llc", "Annual Report", date(2025, 2, 1), 2) == [date(2027, 4, 1), date(2029, 4, 1)]
    assert series("NE", "llc", "Annual Report", date(2024, 12, 31), 1) == [date(2025, 4, 1)]


def test_tennessee_has_an_annual_report_and_franchise_and_excise_tax() -> None:
    got = {o.event_type: o for o in obligations_for("TN", "llc", date(2026, 6, 1))}
    assert got["Annual Report"].due_date == date(2027, 4, 1)
    assert (got["Franchise Tax"].due_date, got["Franchise Tax"].fee) == (date(2027, 4, 15), 100)


def test_as_of_gives_the_next_due_dates_and_drops_past_first_filings() -> None:
    got = dues("CA", "llc", date(2026, 1, 31), as_of=date(2029, 6, 1))
    assert got == [(date(2030, 1, 31), "Annual Report", "Biennial"), (date(2030, 4, 15), "Franchise Tax", "Annual")]
    # On the due date itself, that date is still the next one.
    assert dues("TX", "llc", date(2020, 5, 1), as_of=date(2031, 5, 15)) == [
        (date(2031, 5, 15), "Franchise Tax", "Annual")]


def test_obligations_carry_source_status_and_plain_titles() -> None:
    for state, kind in itertools.product(STATES, KINDS):
        for o in obligations_for(state, kind, date(2026, 2, 2)):
            assert o.source and o.status in ("verified", "needs_review")
            # Only a one-off first filing can fall on the formation date (Nevada: filed with the articles).
            assert o.due_date > date(2026, 2, 2) or (o.recurrence == "" and o.due_date == date(2026, 2, 2))
            assert not re.search(r"[{}<>]", o.title), o.title  # titles go into customer emails verbatim


def test_new_mexico_nonprofit_first_report_then_may_15_after_the_first_tax_year() -> None:
    # NMSA 1978 § 53-8-83(A): first report within 30 days of the certificate; annual reports by the 15th
    # day of the 5th month after the (calendar) taxable year ends.
    got = obligations_for("NM", "nonprofit", date(2026, 2, 10))
    assert [(o.title, o.due_date, o.recurrence, o.fee) for o in got] == [
        ("First Report", date(2026, 3, 12), "", 10), ("Annual Report", date(2027, 5, 15), "Annual", 10)]
