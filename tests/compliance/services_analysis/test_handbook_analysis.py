"""Handbook analysis: state mandates per work state (Colorado's paid sick leave), federal triggers by headcount on
both sides of each threshold, NLRA review of present policies, and present policies never reported as gaps."""

from __future__ import annotations

from datetime import date

import pytest

from pwcore.compliance.analysis.common import StaleFact
from pwcore.compliance.services.handbook_review import HandbookReviewIntake
from pwcore.compliance.services.handbook_review import analysis as handbook

from .service_case import AS_OF, Service

SERVICE = Service("Handbook Review", HandbookReviewIntake, handbook.analyse)


def _policy(a: handbook.HandbookAnalysis, key: str) -> handbook.PolicyRow:
    return next(p for p in a.policies if p.policy == key)


def test_colorado_paid_sick_leave_is_flagged(sample: handbook.HandbookAnalysis) -> None:
    sick = _policy(sample, "sick_leave")
    assert sick.status == "Missing" and sick.priority == "High"
    assert "Colorado paid sick leave" in sick.required_by
    gap = next(f for f in sample.findings if f.requirement.startswith("Sick leave policy"))
    assert gap.priority == "High" and "8-13.3" in gap.authority and "48 hours" in gap.action
    assert any(r.state == "CO" and r.policy == "sick_leave" for r in sample.states)
    famli = _policy(sample, "leave")  # Colorado FAMLI, not the FMLA: 42 employees is under 50
    assert famli.status == "Missing" and famli.required_by == ["Colorado paid family and medical leave"]


def test_present_policies_are_never_gaps(sample: handbook.HandbookAnalysis) -> None:
    present = set(SERVICE.sample["policies_present"])
    assert {p.policy for p in sample.policies if p.status == "Present"} == present
    labels = {handbook.POLICY_LABELS[k] for k in present}
    for f in sample.findings:
        if f.gap == "not in the handbook":
            assert not any(f.requirement.startswith(label) for label in labels), f
    assert _policy(sample, "at_will").status == "Present"
    assert not any("At-will" in f.requirement or "at-will" in f.gap.lower() for f in sample.findings)
    assert len(sample.policies) == len(handbook.POLICY_LABELS)


def test_federal_triggers_at_42_employees(sample: handbook.HandbookAnalysis) -> None:
    status = {t.law: t.status for t in sample.federal}
    assert status["Title VII"] == status["ADA Title I"] == status["ADEA"] == status["COBRA"] == "Applies"
    assert status["FMLA"] == status["WARN Act"] == "Does not apply"
    fmla = next(t for t in sample.federal if t.law == "FMLA")
    assert (fmla.threshold, fmla.headcount) == (50, 42)


@pytest.mark.parametrize(("headcount", "fmla", "title_vii"), [
    (14, "Does not apply", "Does not apply"), (15, "Does not apply", "Applies"),
    (49, "Does not apply", "Applies"), (50, "Applies", "Applies")])
def test_thresholds_both_sides(headcount: int, fmla: str, title_vii: str) -> None:
    a = handbook.analyse(SERVICE.parse({"headcount": headcount, "states": ["TX"], "policies_present": []}), AS_OF)
    status = {t.law: t.status for t in a.federal}
    assert (status["FMLA"], status["Title VII"]) == (fmla, title_vii)
    leave = _policy(a, "leave")
    assert ("FMLA" in leave.required_by) is (fmla == "Applies")
    assert (leave.priority == "High") is (fmla == "Applies")  # Texas has no leave mandate of its own
    assert ("Title VII" in _policy(a, "anti_harassment").required_by) is (title_vii == "Applies")


def test_nlra_reviews_present_confidentiality_rule(sample: handbook.HandbookAnalysis) -> None:
    nlra = [f for f in sample.findings if "NLRA" in f.requirement]
    assert [f.requirement for f in nlra] == ["Confidentiality policy within NLRA Section 7 limits"]
    assert nlra[0].priority == "Medium" and "Stericycle" in nlra[0].authority
    assert "review its wording" in nlra[0].gap


def test_colorado_notices_without_a_policy_key_are_reviewed(sample: handbook.HandbookAnalysis) -> None:
    reqs = {r.requirement: r for r in sample.states}
    assert reqs["Colorado: COMPS Order poster with handbooks"].status == "Review"
    assert reqs["Colorado: pay transparency in job postings and promotion notices"].status == "Review"
    assert any("pay transparency" in f.requirement and f.priority == "Medium" for f in sample.findings)


def test_each_state_of_a_multistate_intake_is_covered() -> None:
    present = ["at_will", "equal_employment", "paid_time_off", "anti_harassment", "sick_leave"]
    a = handbook.analyse(SERVICE.parse({"headcount": 35, "states": ["NY", "NJ", "CA"],
                                 "handbook_last_updated": "2019-03-01", "policies_present": present}), AS_OF)
    assert {r.state for r in a.states} == {"NY", "NJ", "CA"}
    ny = next(r for r in a.states if r.state == "NY" and "harassment" in r.requirement)
    assert ny.status == "Present" and "201-g" in ny.authority
    # Present policies a later law changed are flagged for an update, not as missing.
    updates = [f for f in a.findings if "predates" in f.gap]
    assert updates and all(f.priority == "Medium" for f in updates)
    assert any("sick leave policy" in f.action for f in updates)  # California's 2024 amendment is newer than 2019


def test_a_repealed_mandate_calls_for_no_policy() -> None:
    a = handbook.analyse(SERVICE.parse({"headcount": 30, "states": ["MO"]}), AS_OF)
    (row,) = [r for r in a.states if "sick" in r.requirement]
    assert row.status == "Not applicable" and "repealed" in row.rule
    assert _policy(a, "sick_leave").required_by == [] and _policy(a, "sick_leave").priority == "Low"


def test_california_harassment_duty_starts_at_five() -> None:
    small = handbook.analyse(SERVICE.parse({"headcount": 4, "states": ["CA"]}), AS_OF)
    assert not any("harassment" in r.requirement for r in small.states)
    five = handbook.analyse(SERVICE.parse({"headcount": 5, "states": ["CA"]}), AS_OF)
    assert "California: harassment, discrimination and retaliation prevention policy and training" in \
        _policy(five, "anti_harassment").required_by


def test_a_fact_past_its_review_date_is_flagged_or_refused() -> None:
    m = SERVICE.parse(SERVICE.sample)
    late = handbook.analyse(m, date(2100, 1, 1))
    assert "states.paid_sick_leave:CO" in late.stale_facts and set(late.stale_facts) == set(late.facts_used)
    assert sum(f.due == "Before delivery" for f in late.findings) == len(late.stale_facts)
    assert handbook.analyse(m, AS_OF).stale_facts == []
    with pytest.raises(StaleFact):
        handbook.analyse(m, date(2100, 1, 1), strict=True)
