"""Contractor analysis: every worker of the sample intakes scored under the IRS categories and the work state's
test, the exposure and VCSP arithmetic against hand-computed figures, and stale facts flagged or refused."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from pwcore.compliance.analysis.common import StaleFact
from pwcore.compliance.services.contractor_assessment import ContractorAssessmentIntake
from pwcore.compliance.services.contractor_assessment import analysis as contractor

from .service_case import AS_OF, Service

SERVICE = Service("Contractor Assessment", ContractorAssessmentIntake, contractor.analyse)


def _worker(a: contractor.ContractorAnalysis, role: str) -> contractor.WorkerAnalysis:
    return next(w for w in a.workers if w.role == role)


def test_every_worker_is_analysed_under_the_three_irs_categories(sample: contractor.ContractorAnalysis) -> None:
    assert [w.role for w in sample.workers] == [w["role"] for w in SERVICE.sample["workers"]]
    assert sum(w.count for w in sample.workers) == 9
    for w in sample.workers:
        assert [c.category for c in w.categories] == list(contractor.CATEGORIES)
        assert w.reasons and w.state_test
    # The web developer works from California; the bookkeeper has no state and the intake has two: none is guessed.
    assert [w.state for w in sample.workers] == ["CO", "CA", "CO", None]


def test_conclusions_follow_the_intake_answers(sample: contractor.ContractorAnalysis) -> None:
    drivers = _worker(sample, "Delivery driver")
    assert [c.leaning for c in drivers.categories] == ["Employee"] * 3
    assert drivers.conclusion == "Likely employee" and drivers.risk == "High"
    assert "8-70-115" in drivers.state_test_authority
    assert [p.status for p in drivers.state_prongs] == ["Not met", "Not met"]
    web = _worker(sample, "Web developer")
    assert [c.leaning for c in web.categories] == ["Contractor"] * 3
    assert "ABC test" in web.state_test and [p.status for p in web.state_prongs] == ["Met"] * 3
    assert web.conclusion == "Likely contractor" and web.risk == "Low"
    assert _worker(sample, "Event barista").conclusion == "Likely employee"  # schedule and tools are the company's
    books = _worker(sample, "Bookkeeper")
    assert books.conclusion == "At risk" and books.categories[0].leaning == "Not enough information"
    assert books.state_result == "Review: give the work state" and books.state_prongs == []
    assert books.exposure is None  # no hours given: no estimate, and the checklist says so
    assert any(c.requirement == "Exposure for Bookkeeper" for c in sample.checklist)
    high = [f for f in sample.findings if f.priority == "High"]
    assert {f.gap.split(" (")[0] for f in high} == {"Delivery driver", "Event barista"}


def test_driver_exposure_matches_hand_arithmetic(sample: contractor.ContractorAnalysis) -> None:
    e = _worker(sample, "Delivery driver").exposure
    assert e is not None
    # 35 h x 52 weeks x $15.16 (Colorado minimum wage) = $27,591.20 a driver; x 4 = $110,364.80.
    assert e.annual_compensation == Decimal("110364.80")
    amounts = {i.item: i.amount for i in e.items}
    assert amounts["Employer Social Security and Medicare"] == Decimal("8442.91")  # 7.65% of $110,364.80
    assert amounts["Employee FICA under IRC 3509"] == Decimal("1688.58")  # 20% of the employee share
    assert amounts["Income tax withholding under IRC 3509"] == Decimal("1655.47")  # 1.5%
    assert amounts["FUTA (before any credit for state premiums)"] == Decimal("1680.00")  # 6% x $7,000 x 4
    assert amounts["Colorado unemployment insurance premiums (unrated rate)"] == Decimal("1876.20")  # 1.70%
    assert amounts["Failure-to-deposit penalty (deposits over 15 days late)"] == Decimal("1346.70")  # 10%
    assert e.total_per_year == Decimal("16689.86")
    assert e.years == Decimal("2.00") and e.total_lookback == Decimal("33379.72")  # engaged 24 months
    fine = next(i for i in e.items if not i.in_total)
    assert fine.amount == Decimal("20000") and "8-72-114" in fine.authority
    # VCSP: 10% x ($8,442.91 + $1,688.58 + $1,655.47) = $1,178.70.
    assert e.vcsp_payment == Decimal("1178.70")
    assert "10% x ($8,442.91 + $1,688.58 + $1,655.47" in e.vcsp_arithmetic


def test_totals_leave_out_likely_contractors(sample: contractor.ContractorAnalysis) -> None:
    counted = [w for w in sample.workers if w.exposure and w.conclusion != "Likely contractor"]
    assert {w.role for w in counted} == {"Delivery driver", "Event barista"}
    assert sample.exposure_total_per_year == sum((w.exposure.total_per_year for w in counted if w.exposure),
                                                 Decimal(0))
    assert sample.vcsp_total == sum((w.exposure.vcsp_payment for w in counted if w.exposure), Decimal(0))
    vcsp = next(o for o in sample.options if o.requirement == "Voluntary Classification Settlement Program")
    assert f"${sample.vcsp_total:,.2f}" in vcsp.note and "Announcement 2012-45" in vcsp.authority
    assert {o.requirement for o in sample.options} == {"Form SS-8 determination", "Section 530 relief",
                                                       "Voluntary Classification Settlement Program"}


def test_california_uses_the_abc_test_and_texas_has_no_state_test() -> None:
    a = contractor.analyse(SERVICE.parse({"states": ["CA", "TX"], "workers": [
        {"role": "Driver", "count": 6, "state": "CA", "paid_by": "daily", "hours_per_week": 40,
         "company_controls_schedule": True, "company_provides_tools": False, "work_is_core_business": True},
        {"role": "Designer", "state": "CA", "paid_by": "project", "company_controls_schedule": False,
         "work_is_core_business": False, "has_own_business": True, "exclusive_to_company": False},
        {"role": "Consultant", "state": "TX", "paid_by": "project", "has_own_business": True}]}), AS_OF)
    driver, designer, consultant = a.workers
    assert "ABC test" in driver.state_test and "2775" in driver.state_test_authority
    assert [p.status for p in driver.state_prongs] == ["Not met", "Not met", "Review"]
    assert driver.conclusion == "Likely employee"
    assert [p.status for p in designer.state_prongs] == ["Met", "Met", "Met"]
    assert designer.state_result.startswith("Contractor")
    assert "no state-specific test" in consultant.state_test and consultant.state_prongs == []
    # California's floor is its own minimum wage: 40 h x 52 x $16.90 x 6 drivers.
    assert driver.exposure is not None and driver.exposure.annual_compensation == Decimal("210912.00")
    assert not any("Colorado" in i.item for i in driver.exposure.items)


def test_a_fact_past_its_review_date_is_flagged_or_refused() -> None:
    m = SERVICE.parse(SERVICE.sample)
    late = contractor.analyse(m, date(2100, 1, 1))
    assert "contractor.tax.fica_rates" in late.stale_facts and set(late.stale_facts) == set(late.facts_used)
    assert sum(f.due == "Before delivery" and f.priority == "High" for f in late.findings) == len(late.stale_facts)
    assert contractor.analyse(m, AS_OF).stale_facts == []
    with pytest.raises(StaleFact, match="contractor"):
        contractor.analyse(m, date(2100, 1, 1), strict=True)


def test_id_numbers_typed_into_roles_never_reach_the_result() -> None:
    a = contractor.analyse(SERVICE.parse({"states": ["CO"], "workers": [
        {"role": "Driver 123456789", "hours_per_week": 30, "company_controls_schedule": True}]}), AS_OF)
    text = a.model_dump_json()
    assert "123456789" not in text and "Driver [number removed]" in text


def test_no_work_state_means_no_state_test_and_no_estimate() -> None:
    a = contractor.analyse(SERVICE.parse({"states": ["CO", "CA"], "workers": [
        {"role": "Tutor", "hours_per_week": 20, "company_controls_schedule": True}]}), AS_OF)
    (w,) = a.workers
    assert w.state is None and w.state_prongs == [] and w.state_result.startswith("Review")
    assert w.exposure is None and any(c.requirement == "Exposure for Tutor" for c in a.checklist)
