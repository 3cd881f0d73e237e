"""FLSA analysis: every role of every sample intake in every work state, thresholds on both sides, the back-pay
arithmetic against hand-computed figures, and stale facts flagged or refused."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from pwcore.compliance.analysis.common import StaleFact
from pwcore.compliance.services.flsa_audit import FLSAAuditIntake
from pwcore.compliance.services.flsa_audit import analysis as flsa
from pwcore.facts import compliance as cf

from .service_case import AS_OF, Service

# The hand-computed figures below use the facts in force on AS_OF (e.g. Colorado's $15.16 and $1,086.25):
# when a reviewed figure changes, recompute the expected amounts by hand, do not copy them from the code.
SERVICE = Service("FLSA Audit", FLSAAuditIntake, flsa.analyse)
LATE = date(2100, 1, 1)  # every fact is past its review date


def _intake(**kw: Any) -> FLSAAuditIntake:
    data: dict[str, Any] = {"headcount": 10, "states": ["TX"], "tracks_hours_worked": True,
                            "overtime_policy": "1.5x over 40 hours", "pays_bonuses_or_commissions": False}
    data.update(kw)
    return SERVICE.parse(data)


def _role(**kw: Any) -> dict[str, Any]:
    role: dict[str, Any] = {"title": "Role", "headcount": 1, "pay_basis": "salary", "annual_salary": 60000,
                            "weekly_hours": 40, "exemption_claimed": "executive",
                            "duties": "Manages the department; hires and evaluates staff."}
    role.update(kw)
    return role


def _row(a: flsa.FLSAAnalysis, role: str, state: str) -> flsa.RoleStateAnalysis:
    return next(x for x in a.roles if x.role == role and x.state == state)


def _test(x: flsa.RoleStateAnalysis, name: str) -> flsa.Test:
    return next(t for t in x.tests if t.test == name)


def test_every_role_of_the_sample_is_analysed_in_every_state(sample: flsa.FLSAAnalysis) -> None:
    intake = SERVICE.sample
    want = {(r["title"], s) for r in intake["roles"] for s in intake["states"]}
    assert {(x.role, x.state) for x in sample.roles} == want
    assert len(sample.roles) == len(intake["roles"]) == 5  # the old report covered 2 of 5
    assert sum(x.headcount for x in sample.roles) == intake["headcount"]
    for x in sample.roles:
        assert x.risk in ("High", "Medium", "Low") and x.reasons


def test_shift_lead_salary_is_above_the_federal_level_and_below_colorados(sample: flsa.FLSAAnalysis) -> None:
    lead = _row(sample, "Shift Lead", "CO")
    assert lead.weekly_pay == Decimal("800.00")  # $41,600 / 52
    federal = _test(lead, "Federal salary level")
    assert federal.status == "Met" and "at or above the federal $684.00/week" in federal.detail
    colorado = _test(lead, "Colorado salary threshold")
    assert colorado.status == "Not met" and "below the Colorado $1,086.25/week" in colorado.detail
    assert lead.exemption_fails and lead.risk == "High"
    gap = next(f for f in sample.findings if f.gap.startswith("Shift Lead (6)") and "salary" in f.requirement)
    assert "below the federal" not in gap.gap and "meets the federal level" in gap.gap
    assert gap.priority == "High" and "7 CCR 1103" in gap.authority


def test_cafe_manager_meets_both_levels_and_office_administrator_fails_colorados(sample: flsa.FLSAAnalysis) -> None:
    manager = _row(sample, "Café Manager", "CO")
    assert _test(manager, "Federal salary level").status == "Met"
    # $1,115.38/week is above the 2025 Colorado figure but within 5% of it while the 2026 figure is unconfirmed.
    assert _test(manager, "Colorado salary threshold").status == "Review"
    assert not manager.exemption_fails and not manager.duties_at_risk and manager.risk == "Low"
    admin = _row(sample, "Office Administrator", "CO")
    assert admin.exemption_fails and admin.duties_at_risk
    assert not [e for e in sample.exposure if e.role == "Office Administrator"]  # 40 hours: no overtime owed


def test_shift_lead_back_pay_matches_hand_arithmetic(sample: flsa.FLSAAnalysis) -> None:
    low, high = (e for e in sample.exposure if e.role == "Shift Lead")
    # Half-time: $800 / 48 h = $16.67; 8 OT h x $16.67 x 0.5 x 6 employees x 104 weeks = $41,608.32.
    assert (low.regular_rate, low.premium, low.overtime_hours_per_week) == (Decimal("16.67"), Decimal("0.5"), 8)
    assert low.back_pay_2y == Decimal("41608.32") and low.total_2y == Decimal("83216.64")
    assert low.back_pay_3y == Decimal("62412.48") and low.total_3y == Decimal("124824.96")
    # Time and a half on the 40-hour rate: $800 / 40 = $20.00; 8 x $20 x 1.5 x 6 x 104 = $149,760.00.
    assert (high.regular_rate, high.premium) == (Decimal("20.00"), Decimal("1.5"))
    assert high.back_pay_2y == Decimal("149760.00") and high.total_2y == Decimal("299520.00")
    assert high.total_3y == Decimal("449280.00")
    assert low.liquidated_damages and "duties test" in low.note  # the federal claim turns on the duties
    assert "8 overtime hours x $16.67 x 0.5 x 6 employees x 104 weeks = $41,608.32" in low.arithmetic
    totals = {t.method: t for t in sample.exposure_totals}
    assert totals["low estimate"].total_2y == Decimal("83216.64")
    assert totals["high estimate"].total_3y == Decimal("449280.00")


def test_bonuses_enter_the_regular_rate_for_roles_with_overtime(sample: flsa.FLSAAnalysis) -> None:
    roaster = _row(sample, "Roaster", "CO")
    assert roaster.overtime_hours_per_week == 2
    assert roaster.regular_rate is not None and roaster.regular_rate.status == "Not met"
    barista = _row(sample, "Barista", "CO")  # 32 hours: no overtime, so only a reminder
    assert barista.regular_rate is not None and barista.regular_rate.status == "Review"
    assert any(f.gap.startswith("Roaster (4)") and "regular rate" in f.requirement for f in sample.findings)
    none_paid = flsa.analyse(_intake(roles=[_role(pay_basis="hourly", hourly_rate=20, weekly_hours=45,
                                                  exemption_claimed="none")]), AS_OF)
    assert none_paid.roles[0].regular_rate is None


def test_preapproval_policy_and_local_rates_are_flagged(sample: flsa.FLSAAnalysis) -> None:
    assert any("Unapproved overtime" in f.requirement and "785.11" in f.authority for f in sample.findings)
    local = next(c for c in sample.checklist if c.requirement.startswith("Local minimum wages"))
    assert "Denver" in local.note
    tip = next(c for c in sample.checklist if c.requirement.startswith("Tip credit (Colorado)"))
    assert "$12.14" in tip.note


@pytest.mark.parametrize(("annual", "status"), [(35568, "Met"), (35567.48, "Not met")])
def test_federal_salary_level_both_sides(annual: float, status: str) -> None:
    a = flsa.analyse(_intake(roles=[_role(annual_salary=annual)]), AS_OF)  # Texas: federal level only
    x = a.roles[0]
    assert [t.test for t in x.tests] == ["Salary basis", "Federal salary level", "Duties test"]
    assert _test(x, "Federal salary level").status == status
    assert x.exemption_fails is (status == "Not met")


@pytest.mark.parametrize(("rate", "status"), [(16.90, "Met"), (16.89, "Not met")])
def test_california_minimum_wage_both_sides(rate: float, status: str) -> None:
    a = flsa.analyse(_intake(states=["CA"], roles=[_role(pay_basis="hourly", hourly_rate=rate, weekly_hours=40,
                                                         exemption_claimed="none")]), AS_OF)
    mw = a.roles[0].minimum_wage
    assert mw.status == status and "$16.90" in mw.detail and "1182.12" in mw.authority
    assert (a.roles[0].risk == "High") is (status == "Not met")


def test_california_and_texas_intake_covers_each_role_in_each_state() -> None:
    a = flsa.analyse(_intake(states=["CA", "tx"], roles=[
        _role(title="Office Manager", annual_salary=52000, weekly_hours=48, exemption_claimed="administrative",
              duties="Schedules staff, orders supplies, runs payroll inputs."),
        _role(title="Technician", headcount=8, pay_basis="hourly", hourly_rate=24.5, weekly_hours=44,
              exemption_claimed="none")]), AS_OF)
    assert {(x.role, x.state) for x in a.roles} == {(r, s) for r in ("Office Manager", "Technician")
                                                    for s in ("CA", "TX")}
    office_ca, office_tx = _row(a, "Office Manager", "CA"), _row(a, "Office Manager", "TX")
    assert _test(office_ca, "California salary threshold").status == "Not met"  # $1,000 < $1,352
    assert not any(t.test.endswith("salary threshold") for t in office_tx.tests)  # Texas has none
    tech_ca = _row(a, "Technician", "CA")
    assert tech_ca.daily_overtime is not None and "likely" in tech_ca.daily_overtime.detail  # 8.8 h/day > 8
    assert _row(a, "Technician", "TX").daily_overtime is None
    assert any("California daily overtime" in f.requirement for f in a.findings)
    assert {e.state for e in a.exposure if e.role == "Office Manager"} == {"CA"}


def test_new_york_threshold_does_not_apply_to_professionals() -> None:
    a = flsa.analyse(_intake(states=["NY"], roles=[
        _role(title="Engineer", annual_salary=50000, exemption_claimed="professional",
              duties="Licensed engineer; designs systems."),
        _role(title="Supervisor", annual_salary=50000, exemption_claimed="executive")]), AS_OF)
    assert not any(t.test.endswith("salary threshold") for t in _row(a, "Engineer", "NY").tests)
    assert _test(_row(a, "Supervisor", "NY"), "New York salary threshold").status == "Not met"


def test_hourly_overtime_without_a_policy_gets_a_scenario_estimate() -> None:
    a = flsa.analyse(_intake(overtime_policy=None, roles=[
        _role(title="Tech", headcount=3, pay_basis="hourly", hourly_rate=20, weekly_hours=45,
              exemption_claimed="none")]), AS_OF)
    (line,) = a.exposure
    # 5 OT h x $20 x 1.5 x 3 employees x 104 weeks = $46,800, doubled with liquidated damages.
    assert line.back_pay_2y == Decimal("46800.00") and line.total_2y == Decimal("93600.00")
    assert line.back_pay_3y == Decimal("70200.00") and line.total_3y == Decimal("140400.00")
    assert a.roles[0].risk == "High"
    assert {t.method for t in a.exposure_totals} == {"low estimate", "high estimate"}


def test_exemption_variants() -> None:
    a = flsa.analyse(_intake(roles=[
        _role(title="Hourly manager", pay_basis="hourly", hourly_rate=40, exemption_claimed="executive"),
        _role(title="Developer", pay_basis="hourly", hourly_rate=27.63, exemption_claimed="computer",
              duties="Develops software."),
        _role(title="Rep", pay_basis="hourly", hourly_rate=10, exemption_claimed="outside_sales",
              duties="Sells to customers in the field territory."),
        _role(title="Director", annual_salary=107431, exemption_claimed="highly_compensated")]), AS_OF)
    assert _test(_row(a, "Hourly manager", "TX"), "Salary basis").status == "Not met"
    assert _test(_row(a, "Developer", "TX"), "Computer employee hourly rate").status == "Met"
    assert _test(_row(a, "Rep", "TX"), "Salary level").status == "Not applicable"
    hce = _test(_row(a, "Director", "TX"), "Highly compensated total annual compensation")
    assert hce.status == "Not met" and "$107,432.00" in hce.detail


def test_no_timekeeping_is_a_high_finding() -> None:
    a = flsa.analyse(_intake(tracks_hours_worked=False, roles=[_role(exemption_claimed="none", pay_basis="hourly",
                                                                     hourly_rate=20)]), AS_OF)
    assert any(f.priority == "High" and "516.2" in f.authority for f in a.findings)


def test_facts_used_are_real_and_sourced(sample: flsa.FLSAAnalysis) -> None:
    fs = cf.load("FLSA Audit")
    ids = {f.id for f in fs.facts} | {f"{t.id}:{r.state}" for t in fs.tables for r in t.rows}
    assert set(sample.facts_used) <= ids
    assert {"flsa.exempt.salary_level", "states.exempt_salary:CO", "states.min_wage:CO",
            "flsa.remedies.limitations", "flsa.regular_rate.fluctuating_workweek"} <= set(sample.facts_used)
    assert all(s.source and s.effective for s in sample.sources)
    assert sample.stale_facts == []
    colorado = next(s for s in sample.sources if s.id == "states.exempt_salary:CO")
    assert colorado.status == "needs_review"


def test_a_fact_past_its_review_date_is_flagged_or_refused() -> None:
    m = SERVICE.parse(SERVICE.sample)
    late = flsa.analyse(m, LATE)
    assert {"flsa.min_wage.federal", "states.min_wage:CO", "flsa.exempt.salary_level"} <= set(late.stale_facts)
    assert set(late.stale_facts) == set(late.facts_used) and all(s.stale for s in late.sources)
    stale = [f for f in late.findings if f.due == "Before delivery"]
    assert len(stale) == len(late.stale_facts) and all(f.priority == "High" for f in stale)
    assert any("Federal minimum wage" in f.requirement for f in stale)
    with pytest.raises(StaleFact, match="past its review date"):
        flsa.analyse(m, LATE, strict=True)


def test_id_numbers_typed_into_titles_never_reach_the_result() -> None:
    a = flsa.analyse(_intake(roles=[_role(title="Lead 123-45-6789", annual_salary=30000, weekly_hours=45),
                                    _role(title="Clerk 12-3456789", exemption_claimed="none")]), AS_OF)
    text = a.model_dump_json()
    assert "123-45-6789" not in text and "12-3456789" not in text
    assert "Lead [number removed]" in text and a.exposure
