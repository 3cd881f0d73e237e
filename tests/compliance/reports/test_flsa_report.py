"""The FLSA audit report as a customer reads it: the sample order rendered through compliance_context, the real
template and the warm LibreOffice, and its PDF text compared with the deterministic analysis (not with copies of
its figures). A second intake (hourly only, in a state without daily overtime) shows that the parts follow the
intake."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from pdf_tables import squash, table_rows
from pypdf import PdfReader
from report_render import Rendered, heading_at, render

from pwcore.clients.libreoffice import PdfConverter
from pwcore.compliance.analysis.common import state_name, usd
from pwcore.compliance.services.flsa_audit.analysis import FLSAAnalysis
from pwdev import samples

SERVICE = "FLSA Audit"
HEADINGS = (
    "Executive Summary", "Scope and Method", "Roles Reviewed", "Duties Reported", "Exemption Classification by Role",
    "Classification Discussion", "Minimum Wage and Tip Credit", "Overtime", "Regular Rate",
    "Hours Worked and Recordkeeping", "State Law Requirements", "Risk Ratings", "Back-Pay Exposure Estimate",
    "Findings", "Requirement Checklist", "Remediation Plan", "Scope and Limitations",
)
# An hourly-only business in Texas: no exemption claimed, no daily overtime, the federal minimum wage, no
# bonuses, hours not tracked (so the overtime back-pay scenario applies).
HOURLY_TX: dict[str, Any] = {
    "headcount": 19,
    "states": ["TX"],
    "industry": "Building supplies distribution",
    "roles": [
        {"title": "Warehouse Associate", "headcount": 12, "pay_basis": "hourly", "hourly_rate": 16.25,
         "weekly_hours": 46, "duties": "Picks, packs and loads orders."},
        {"title": "Counter Clerk", "headcount": 7, "pay_basis": "hourly", "hourly_rate": 14, "weekly_hours": 36,
         "duties": "Serves trade customers at the sales counter."},
    ],
    "tracks_hours_worked": False,
    "overtime_policy": "Hours over 40 in a workweek are paid at time and a half.",
    "pays_bonuses_or_commissions": False,
}
PLAIN_SECTIONS = {
    "executive_summary": "We reviewed two hourly roles in Texas under the Fair Labor Standards Act.",
    "classification_analysis": "Warehouse Associate and Counter Clerk are hourly, non-exempt roles.",
    "remediation_plan": "Start recording hours worked for every employee.",
}




def _render(order: dict[str, Any], sections: dict[str, Any], converter: PdfConverter) -> Rendered[FLSAAnalysis]:
    return render(SERVICE, order, sections, converter, FLSAAnalysis)



@pytest.fixture(scope="module")
def sample(converter: PdfConverter) -> Rendered[FLSAAnalysis]:
    return _render(samples.compliance_order(SERVICE), samples.SECTIONS[SERVICE], converter)


@pytest.fixture(scope="module")
def hourly(converter: PdfConverter) -> Rendered[FLSAAnalysis]:
    order = {**samples.compliance_order(SERVICE), "intake_data": json.dumps(HOURLY_TX), "state": "Texas"}
    return _render(order, PLAIN_SECTIONS, converter)


def test_headings_in_order(sample: Rendered[FLSAAnalysis]) -> None:
    at = [heading_at(sample.text, h) for h in HEADINGS]
    assert at == sorted(at)
    assert "Appendix: Sources and Effective Dates" in sample.text[at[-1]:]


def test_every_role_and_state_is_classified_test_by_test(sample: Rendered[FLSAAnalysis]) -> None:
    part = squash(sample.between("Exemption Classification by Role", "Classification Discussion"))
    roles = [r["title"] for r in samples.INTAKE[SERVICE]["roles"]]
    assert len(sample.result.roles) == len(roles) * len(samples.INTAKE[SERVICE]["states"])
    for x in sample.result.roles:
        assert x.role in roles
        assert squash(x.role) in part and squash(state_name(x.state) + ":") in part
        for t in x.tests:
            assert squash(f"{t.test}{t.status}{t.detail}") in part, t
    # The issue this report was rebuilt for: a salary above $684 a week is never called below the federal level.
    federal = [t for x in sample.result.roles for t in x.tests if t.test == "Federal salary level"]
    assert federal and all(t.status == "Met" for t in federal)
    assert "below the federal" not in sample.text


def test_sections_cover_each_role(sample: Rendered[FLSAAnalysis]) -> None:
    discussion = sample.between("Classification Discussion", "Minimum Wage and Tip Credit")
    risk = sample.between("Risk Ratings", "Back-Pay Exposure Estimate")
    for r in samples.INTAKE[SERVICE]["roles"]:
        assert r["title"] in discussion and r["title"] in risk
    for x in sample.result.roles:
        assert squash(f"{x.risk}{'; '.join(x.reasons)}") in squash(risk)


def test_exposure_arithmetic_is_the_analysis(sample: Rendered[FLSAAnalysis]) -> None:
    part = squash(sample.between("Back-Pay Exposure Estimate", "Findings"))
    assert sample.result.exposure and sample.result.exposure_totals
    for line in sample.result.exposure:
        assert squash(line.arithmetic) in part
        assert squash(f"{usd(line.total_2y)}{usd(line.total_3y)}") in part
    for t in sample.result.exposure_totals:
        assert squash(f"{t.method.capitalize()}{usd(t.total_2y)}{usd(t.total_3y)}") in part
    assert "2 years, or 3 years for a willful violation" in sample.between("Back-Pay Exposure Estimate", "Findings")


def test_sources_list_every_fact_used(sample: Rendered[FLSAAnalysis]) -> None:
    appendix = squash(sample.text[sample.text.index("Appendix: Sources and Effective Dates"):])
    assert sample.result.sources
    ids = {u.id for u in sample.result.sources}
    # The report parts' own facts count too: the daily-overtime table, the good-faith defense.
    assert {"states.daily_overtime:CO", "flsa.remedies.good_faith_defense"} <= ids
    for u in sample.result.sources:
        assert squash(u.title) in appendix and squash(u.source) in appendix, u.id


def test_findings_table_and_checklists_are_the_findings(sample: Rendered[FLSAAnalysis],
                                                         converter: PdfConverter) -> None:
    found = sample.result.findings_by_priority()
    expected = [[str(n), f.priority, f"{f.requirement} [{f.authority}]", f.gap, f.action, f.owner, f.due]
                for n, f in enumerate(found, 1)]
    rows = table_rows(sample.pdf)
    assert [[squash(c) for c in r] for r in rows] == [[squash(c) for c in r] for r in expected]
    checklist = squash(sample.between("Requirement Checklist", "Remediation Plan"))
    for item in sample.result.checklist:
        assert squash(f"{item.requirement}{item.status}{item.note}") in checklist
    # The remediation checklist of the order starts with the same findings, in the same order.
    assert [r["requirement"] for r in sample.context["findings"][:len(found)]] == [f.requirement for f in found]


def test_law_applied_counsel_and_length(sample: Rendered[FLSAAnalysis]) -> None:
    laws = "Federal law (Fair Labor Standards Act) and the wage and hour laws of Colorado"
    assert sample.analysis.jurisdiction.laws == laws and sample.analysis.jurisdiction.counsel == "Colorado"
    assert f"Law applied {laws}" in sample.text
    assert "consult qualified counsel licensed in Colorado" in sample.text
    scope = sample.text[heading_at(sample.text, "Scope and Limitations"):sample.text.index("Acknowledgment")]
    assert laws in scope
    assert "wage and hour law of" not in sample.text
    assert 8 <= len(PdfReader(io.BytesIO(sample.pdf)).pages) <= 20


def test_parts_follow_the_intake(hourly: Rendered[FLSAAnalysis]) -> None:
    text = hourly.text
    laws = "Federal law (Fair Labor Standards Act) and the wage and hour laws of Texas"
    assert f"Law applied {laws}" in text and "consult qualified counsel licensed in Texas" in text
    assert "Colorado" not in text
    classification = hourly.between("Exemption Classification by Role", "Classification Discussion")
    for r in HOURLY_TX["roles"]:
        assert r["title"] in classification
    assert classification.count("Texas:") == len(HOURLY_TX["roles"])
    assert "Salary basis" not in classification  # no exemption claimed: no salary tests
    overtime = hourly.between("Overtime", "Regular Rate")
    assert "Texas: no general daily overtime rule appears in the reviewed state table" in overtime
    assert "reports no bonuses or commissions" in hourly.between("Regular Rate", "Hours Worked and Recordkeeping")
    assert "hours worked are not tracked" in hourly.between("Hours Worked and Recordkeeping", "State Law Requirements")
    wage = hourly.between("Minimum Wage and Tip Credit", "Overtime")
    assert "federal minimum wage of $7.25" in wage  # Texas adopts the federal rate
    exposure = squash(hourly.between("Back-Pay Exposure Estimate", "Findings"))
    assert [x.role for x in hourly.result.exposure] == ["Warehouse Associate"]  # the only role over 40 hours
    for line in hourly.result.exposure:
        assert squash(line.arithmetic) in exposure
    ids = {u.id for u in hourly.result.sources}
    assert "flsa.overtime.no_daily_rule" in ids and not any(i.startswith("states.daily_overtime") for i in ids)
    assert "flsa.exempt.bonus_share" not in ids and "flsa.regular_rate.bonus_allocation" not in ids
