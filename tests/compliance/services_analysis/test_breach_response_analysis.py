"""Breach response analysis: a notification row for every listed state with the deadline, regulator and
consumer-reporting-agency thresholds and content from the facts file (thresholds on both sides), deadlines that
agree with the 50-state survey fact, card-brand and insurer notice, the NIST life cycle and the severity matrix."""

from __future__ import annotations

import pytest

from pwcore.compliance.services.breach_response_plan import BreachResponsePlanIntake
from pwcore.compliance.services.breach_response_plan import analysis as br
from pwcore.facts import compliance as cf

from .service_case import Service

SERVICE = Service("Breach Response Plan", BreachResponsePlanIntake, br.analyse)
SAMPLE = SERVICE.sample
FACTS = cf.load("breach_response_plan")
TABLE = FACTS.table("states.breach_notification")


def _row(a: br.BreachResponseAnalysis, state: str) -> br.NoticeRow:
    return next(n for n in a.notifications if n.state == state)


def test_every_listed_state_has_a_row_from_the_facts(sample: br.BreachResponseAnalysis) -> None:
    assert [n.state for n in sample.notifications] == SAMPLE["resident_states"]
    for n in sample.notifications:
        cells = TABLE.row(n.state).cells  # type: ignore[union-attr]
        assert n.individual_deadline == cells["individual_deadline"]
        assert n.regulator_notice == cells["regulator_notice"] and n.cra_notice == cells["cra_notice"]
        assert n.content == cells["content"] and n.content_from_state_row
        assert f"states.breach_notification:{n.state}" in sample.facts_used
    assert sample.shortest_deadline_days == 30


def test_sample_matrix_values(sample: br.BreachResponseAnalysis) -> None:
    co, ca, tx, ny = (_row(sample, s) for s in ("CO", "CA", "TX", "NY"))
    assert (co.deadline_days, co.regulator_threshold.residents, co.cra_threshold.residents) == (30, 500, 1001)
    assert (ca.deadline_days, ca.regulator_threshold.residents, ca.cra_threshold.kind) == (30, 501, "unknown")
    assert (tx.deadline_days, tx.regulator_threshold.residents, tx.cra_threshold.residents) == (60, 250, 10001)
    assert (ny.deadline_days, ny.regulator_threshold.kind, ny.cra_threshold.residents) == (30, "any", 5001)
    # 48,000 records: every threshold could be reached; how many residents of each state is the question.
    # California's agency rule reads "none as far as known ... confirm": unknown and reviewed, not dismissed.
    assert (co.regulator_status, tx.cra_status, ny.regulator_status, ca.cra_status) == (
        "Review", "Review", "Applies", "Review")
    assert "Notice of Data Breach" in ca.content and "security freezes" in co.content


@pytest.mark.parametrize(("state", "records", "reg", "cra"), [
    ("CO", 499, "Does not apply", "Does not apply"), ("CO", 500, "Review", "Does not apply"),
    ("CO", 1000, "Review", "Does not apply"), ("CO", 1001, "Review", "Review"),
    ("TX", 249, "Does not apply", "Does not apply"), ("TX", 250, "Review", "Does not apply"),
    ("NY", 5000, "Applies", "Does not apply"), ("NY", 5001, "Applies", "Review"),
    ("CA", 500, "Does not apply", "Review"), ("CA", 501, "Review", "Review")])
def test_thresholds_both_sides(state: str, records: int, reg: str, cra: str) -> None:
    a = SERVICE.run(resident_states=[state], record_count=records)
    n = _row(a, state)
    assert (n.regulator_status, n.cra_status) == (reg, cra)
    listed = {i.requirement for i in a.checklist}
    assert (f"Notice to the {n.name} regulator" in listed) is (reg != "Does not apply")


def test_numeric_deadlines_agree_with_the_survey_fact() -> None:
    survey = FACTS.get("breach.state.numeric_deadlines").value
    assert isinstance(survey, dict)
    by_days = {int(k.removeprefix("days_")): set(map(str, v)) for k, v in survey.items()}  # type: ignore[arg-type]
    for days, states in by_days.items():
        for s in states:
            assert br.deadline_days(str(TABLE.row(s).cells["individual_deadline"])) == days, s  # type: ignore[union-attr]
    listed = set().union(*by_days.values())
    numeric = {r.state for r in TABLE.rows if br.deadline_days(str(r.cells["individual_deadline"]))}
    extra = numeric - listed
    assert extra == {"ME", "MD"}  # the fact's note: the survey omits them, the table records them


def test_every_row_parses() -> None:
    for r in TABLE.rows:
        for col in ("regulator_notice", "cra_notice"):
            t = br.threshold(str(r.cells[col]))
            assert t.kind != "count" or (t.residents or 0) > 0, (r.state, col)


@pytest.mark.parametrize(("text", "kind", "n"), [
    ("Attorney General if more than 1,000 residents, within 45 days", "count", 1001),
    ("Attorney General if 500 or more residents, within 30 days", "count", 500),
    ("at least 250 residents", "count", 250), ("no statutory CRA notice", "none", None),
    ("Attorney General no later than notice to residents", "any", None),
    ("Attorney General within 10 days of notifying residents", "any", None),
    ("to be confirmed", "unknown", None)])
def test_threshold_parser(text: str, kind: str, n: int | None) -> None:
    t = br.threshold(text)
    assert (t.kind, t.residents) == (kind, n)


def test_state_without_content_rule_uses_the_general_list() -> None:
    a = SERVICE.run(resident_states=["FL"])
    fl = _row(a, "FL")
    assert not fl.content_from_state_row and "consumer reporting agencies" in fl.content
    item = next(i for i in a.checklist if i.requirement == "Florida: notice content rules")
    assert item.status == "Review" and any(f.requirement == item.requirement for f in a.findings)


def test_territory_without_a_row_is_flagged() -> None:
    a = SERVICE.run(resident_states=["CO", "AS"])
    assert [n.state for n in a.notifications] == ["CO"]
    item = next(i for i in a.checklist if "American Samoa" in i.requirement or "AS" in i.requirement)
    assert item.status == "Review" and any(f.requirement == item.requirement and f.priority == "High"
                                           for f in a.findings)


def test_cards_insurer_and_team(sample: br.BreachResponseAnalysis) -> None:
    req = {i.requirement: i for i in sample.checklist}
    assert "12.10.1" in req["Notice to the card acquirer and card brands (PCI DSS)"].authority
    assert req["Notice to the cyber insurer"].status == "Review"
    audiences = [lt.audience for lt in sample.letters]
    assert {"Cyber insurer", "Card acquirer and card brands", "State attorneys general and regulators",
            "Nationwide consumer reporting agencies"} <= set(audiences)
    assert [f"{s} residents" for s in ("Colorado", "California", "Texas", "New York")] == [
        a for a in audiences if a.endswith("residents")]
    team = req["Incident response team with named roles"]
    assert team.status == "Not met"
    assert any(f.requirement == team.requirement and f.priority == "High" for f in sample.findings)
    none = SERVICE.run(data_types=["contact_information"], has_cyber_insurance=False, has_incident_response_team=True)
    req2 = {i.requirement: i.status for i in none.checklist}
    assert "Notice to the card acquirer and card brands (PCI DSS)" not in req2
    assert req2["Notice to the cyber insurer"] == "Not applicable"
    assert req2["Incident response team with named roles"] == "Met"


def test_life_cycle_severity_and_evidence(sample: br.BreachResponseAnalysis) -> None:
    assert [p.name for p in sample.phases] == FACTS.get("breach.nist.sp800_61r2_lifecycle").value
    assert any("Front Range Managed IT" in a for a in sample.phases[0].actions)
    assert any("30 days" in a for a in sample.phases[1].actions)
    levels = {s.level: s for s in sample.severity}
    assert list(levels) == ["Critical", "High", "Medium", "Low"]
    assert "Social Security numbers" in levels["Critical"].this_business
    assert "payment card numbers" in levels["Critical"].this_business
    assert "contact information" in levels["High"].this_business
    assert any("chain-of-custody" in e for e in sample.evidence)
    assert sample.jurisdictions[1:] == [f"{n.name} ({n.authority})" for n in sample.notifications]


def test_not_met_always_has_a_finding() -> None:
    for a in (SERVICE.run(), SERVICE.run(encrypts_data_at_rest=False), SERVICE.run(has_incident_response_team=None)):
        for i in a.checklist:
            if i.status == "Not met":
                assert any(f.requirement == i.requirement for f in a.findings), i
        assert a.counts["Not met"] == sum(1 for i in a.checklist if i.status == "Not met")
        assert a.counts["findings"] == len(a.findings)
