"""The contractor classification assessment as a customer reads it: the sample order rendered through
compliance_context, the real template and a warm LibreOffice, and its PDF text compared with the deterministic
analysis (not with copies of its figures). A second intake (Colorado and Texas, no ABC-test state) shows that the
parts follow the intake."""

from __future__ import annotations

import io
import json
import re
from itertools import pairwise
from typing import Any

import pytest
from pdf_tables import squash, table_rows
from pypdf import PdfReader, PdfWriter
from report_render import Rendered, heading_at, render

from pwcore.clients.libreoffice import PdfConverter
from pwcore.compliance.analysis.common import state_name, usd
from pwcore.compliance.services.contractor_assessment.analysis import CATEGORIES, ContractorAnalysis
from pwdev import samples

SERVICE = "Contractor Assessment"
HEADINGS = (
    "Executive Summary", "Workers Reviewed", "Work Described", "IRS Common-Law Analysis", "ABC Test", "State Tests",
    "FLSA Economic-Reality Test", "Classification Discussion", "Conclusions by Worker", "Exposure Estimate",
    "Options to Correct", "Findings", "Requirement Checklist", "Recommendations", "Scope and Limitations",
)
# A cleaning company in Colorado with a consultant in Texas: no worker in a state whose facts use an ABC test.
NO_ABC: dict[str, Any] = {
    "states": ["CO", "TX"],
    "employee_headcount": 12,
    "industry": "Commercial cleaning",
    "written_agreements": False,
    "workers": [
        {"role": "Office cleaner", "count": 5, "state": "CO", "engagement_months": 14, "hours_per_week": 32,
         "paid_by": "hourly", "company_controls_schedule": True, "company_provides_tools": True,
         "exclusive_to_company": True, "work_is_core_business": True, "has_own_business": False},
        {"role": "Safety consultant", "count": 1, "state": "TX", "engagement_months": 3, "hours_per_week": 6,
         "paid_by": "project", "company_controls_schedule": False, "company_provides_tools": False,
         "exclusive_to_company": False, "work_is_core_business": False, "has_own_business": True},
    ],
}
PLAIN_SECTIONS = {
    "executive_summary": "We assessed two worker groups: office cleaners in Colorado and a safety consultant in Texas.",
    "classification_analysis": "Office cleaner: the company controls the work. Safety consultant: an own business.",
    "recommendations": "Move the office cleaners onto payroll.",
}




def _from_heading(pdf: bytes, title: str) -> bytes:
    """The PDF from the page of the numbered heading `title` on: the table reader starts at the first page, and the
    exposure tables before the findings have cells that are bare numbers (an IRC section) in the first column."""
    reader = PdfReader(io.BytesIO(pdf))
    first = next(i for i, page in enumerate(reader.pages)
                 if re.search(rf"\d+\.\s{re.escape(title)}\s", page.extract_text() or ""))
    writer = PdfWriter()
    for page in reader.pages[first:]:
        writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _render(order: dict[str, Any], sections: dict[str, Any], converter: PdfConverter) -> Rendered[ContractorAnalysis]:
    return render(SERVICE, order, sections, converter, ContractorAnalysis)



@pytest.fixture(scope="module")
def sample(converter: PdfConverter) -> Rendered[ContractorAnalysis]:
    return _render(samples.compliance_order(SERVICE), samples.SECTIONS[SERVICE], converter)


@pytest.fixture(scope="module")
def no_abc(converter: PdfConverter) -> Rendered[ContractorAnalysis]:
    order = {**samples.compliance_order(SERVICE), "intake_data": json.dumps(NO_ABC), "state": "Colorado"}
    return _render(order, PLAIN_SECTIONS, converter)


def test_headings_in_order(sample: Rendered[ContractorAnalysis]) -> None:
    at = [heading_at(sample.text, h) for h in HEADINGS]
    assert at == sorted(at)
    assert "Appendix: Sources and Effective Dates" in sample.text[at[-1]:]


def test_every_worker_under_each_common_law_category(sample: Rendered[ContractorAnalysis]) -> None:
    text = sample.between("IRS Common-Law Analysis", "ABC Test")
    roles = [w["role"] for w in samples.INTAKE[SERVICE]["workers"]]
    assert [x.role for x in sample.result.workers] == roles
    bounds = [text.index(f" {c} ") for c in CATEGORIES] + [text.index("Balance of the three categories")]
    for cat, (a, b) in zip(CATEGORIES, pairwise(bounds), strict=True):
        block = squash(text[a:b])
        for x in sample.result.workers:
            mine = [f for f in x.factors if f.category == cat]
            assert mine, (x.role, cat)
            for f in mine:
                assert squash(f"{x.role} ({x.count}){f.factor}{f.answer}") in block, (cat, f)
    balance = squash(text[bounds[-1]:])
    for x in sample.result.workers:
        assert squash(f"{x.role} ({x.count}){x.categories[0].leaning}") in balance


def test_abc_test_for_california_workers_only(sample: Rendered[ContractorAnalysis]) -> None:
    abc = sample.between("ABC Test", "State Tests")
    state = sample.between("State Tests", "FLSA Economic-Reality Test")
    for x in sample.result.workers:
        heading = f"{x.role} ({x.count}): "
        if x.state == "CA":
            assert f"{heading}California ABC test" in abc and heading not in state
            for p in x.state_prongs:
                assert squash(f"{p.prong}{p.status}{p.detail}") in squash(abc)
        else:
            assert f"{x.role} ({x.count})" not in abc.split("California exemptions from the ABC test")[0]
            assert f"{x.role} ({x.count})" in state
    assert "California exemptions from the ABC test" in abc and "Borello" in abc
    assert "Colorado: employee unless free from control" in state


def test_flsa_and_conclusions_cover_every_worker(sample: Rendered[ContractorAnalysis]) -> None:
    flsa = sample.between("FLSA Economic-Reality Test", "Classification Discussion")
    assert "economically dependent" in flsa and "Field Assistance Bulletin 2025-1" in flsa
    # The bookkeeper's intake answers none of the five factors: no leaning is read into it.
    assert squash("Bookkeeper (1) Not known Not known Not known Not known Not known Not enough information") in squash(
        flsa)
    conclusions = squash(sample.between("Conclusions by Worker", "Exposure Estimate"))
    discussion = sample.between("Classification Discussion", "Conclusions by Worker")
    for x in sample.result.workers:
        assert f"{x.role} ({x.count})" in flsa and x.role in discussion
        assert squash(f"{x.role}{x.count}") in conclusions and squash(f"{x.conclusion}{x.risk}") in conclusions
        assert squash("; ".join(x.reasons)) in conclusions
    assert {x.conclusion for x in sample.result.workers} == {"Likely employee", "Likely contractor", "At risk"}


def test_exposure_figures_are_the_analysis(sample: Rendered[ContractorAnalysis]) -> None:
    part = squash(sample.between("Exposure Estimate", "Options to Correct"))
    with_estimate = [x for x in sample.result.workers if x.exposure]
    assert with_estimate
    for x in with_estimate:
        assert x.exposure is not None
        assert squash(x.exposure.compensation_arithmetic) in part
        for i in x.exposure.items:
            assert squash(f"{i.item}{i.arithmetic}{usd(i.amount)}") in part, i.item
        assert squash(f"Total a year: {usd(x.exposure.total_per_year)}") in part
    r = sample.result
    assert r.exposure_total_per_year > 0
    assert squash(f"Total{usd(r.exposure_total_per_year)}{usd(r.exposure_total_lookback)}{usd(r.vcsp_total)}") in part
    assert "IRC3509" in part and "Failure-to-depositpenalty" in part


def test_options_ss8_section_530_and_vcsp(sample: Rendered[ContractorAnalysis]) -> None:
    options = sample.between("Options to Correct", "Findings")
    for title in ("Form SS-8", "Section 530 relief", "Voluntary Classification Settlement Program (VCSP)"):
        assert title in options
    assert usd(sample.result.vcsp_total) in options and "Form 8952" in options
    assert "From the intake: written agreements are in place" in options  # eligibility read from the intake
    assert "Candidates: Delivery driver (4), Event barista (3) and Bookkeeper (1)." in options


def test_sources_list_every_fact_used(sample: Rendered[ContractorAnalysis]) -> None:
    appendix = squash(sample.text[sample.text.index("Appendix: Sources and Effective Dates"):])
    ids = {u.id for u in sample.result.sources}
    assert {"contractor.ca.abc_exemptions", "states.abc_test:CA", "contractor.irs.vcsp"} <= ids
    for u in sample.result.sources:
        assert squash(u.title) in appendix and squash(u.source) in appendix, u.id


def test_findings_table_and_checklists_are_the_findings(sample: Rendered[ContractorAnalysis]) -> None:
    found = sample.result.findings_by_priority()
    expected = [[str(n), f.priority, f"{f.requirement} [{f.authority}]", f.gap, f.action, f.owner, f.due]
                for n, f in enumerate(found, 1)]
    assert [[squash(c) for c in r] for r in table_rows(_from_heading(sample.pdf, "Findings"))] == [
        [squash(c) for c in r] for r in expected]
    checklist = squash(sample.between("Requirement Checklist", "Recommendations"))
    for item in sample.result.checklist:
        assert squash(f"{item.requirement}{item.status}{item.note}") in checklist
    # The remediation checklist of the order starts with the same findings, in the same order.
    rows = sample.context["findings"]
    assert [(r["requirement"], r["gap"]) for r in rows[:len(found)]] == [(f.requirement, f.gap) for f in found]


def test_law_applied_counsel_and_length(sample: Rendered[ContractorAnalysis]) -> None:
    laws = "Federal law (IRS common-law test, FLSA) and the worker classification laws of Colorado and California"
    assert sample.analysis.jurisdiction.laws == laws
    assert sample.analysis.jurisdiction.counsel == "Colorado and California"
    assert f"Law applied {laws}" in sample.text
    assert "consult qualified counsel licensed in Colorado and California" in sample.text
    assert 8 <= len(PdfReader(io.BytesIO(sample.pdf)).pages) <= 20


def test_parts_follow_the_intake(no_abc: Rendered[ContractorAnalysis]) -> None:
    text = no_abc.text
    laws = "Federal law (IRS common-law test, FLSA) and the worker classification laws of Colorado and Texas"
    assert f"Law applied {laws}" in text and "consult qualified counsel licensed in Colorado and Texas" in text
    assert "California" not in text and "Borello" not in text
    abc = no_abc.between("ABC Test", "State Tests")
    assert "the ABC test is not applied in this assessment" in abc
    assert not any(x.role in abc for x in no_abc.result.workers)
    state = no_abc.between("State Tests", "FLSA Economic-Reality Test")
    cleaner, consultant = no_abc.result.workers
    assert f"Office cleaner (5): {cleaner.state_test}" in state and "Not met" in state
    assert f"Safety consultant (1): {state_name('TX')}: no state-specific test" in state
    assert (cleaner.conclusion, consultant.conclusion) == ("Likely employee", "Likely contractor")
    common = no_abc.between("IRS Common-Law Analysis", "ABC Test")
    for cat in CATEGORIES:
        assert cat in common
    exposure = squash(no_abc.between("Exposure Estimate", "Options to Correct"))
    assert cleaner.exposure is not None and squash(cleaner.exposure.compensation_arithmetic) in exposure
    assert squash(f"Total{usd(no_abc.result.exposure_total_per_year)}") in exposure
    assert no_abc.result.exposure_total_per_year == cleaner.exposure.total_per_year  # the consultant is left out
    options = no_abc.between("Options to Correct", "Findings")
    assert "no written agreements are in place" in options and "Candidates: Office cleaner (5)." in options
    ids = {u.id for u in no_abc.result.sources}
    assert not any("abc" in i for i in ids)
    assert 8 <= len(PdfReader(io.BytesIO(no_abc.pdf)).pages) <= 20
