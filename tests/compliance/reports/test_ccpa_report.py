"""The CCPA audit as the customer receives it: the sample order rendered through compliance_context, the
generated template and a real LibreOffice, read back from the PDF. Headings in order, every requirement of the
review, every intake state, the law applied and the counsel, the sources appendix, one findings row per finding,
8-20 pages; and variant intakes (below every threshold; trackers while saying "we do not sell") whose parts
follow the intake, not the sample."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from report_render import Rendered, render

from pwcore.clients.libreoffice import PdfConverter
from pwcore.compliance import services
from pwcore.compliance.analysis.common import state_name
from pwcore.compliance.analysis.parts import ReportAnalysis
from pwcore.compliance.services.ccpa_audit import CCPAAuditIntake
from pwcore.compliance.services.ccpa_audit.analysis import CCPAAnalysis
from pwdev import samples

SERVICE = "CCPA Audit"
SAMPLE = samples.INTAKE[SERVICE]
HEADINGS = ["Executive Summary", "Applicability", "Data Inventory", "Requirement-by-Requirement Review",
            "Vendors and Contracts", "Other State Privacy Laws", "Compliance Checklist", "Findings",
            "Remediation Plan", "Scope and Limitations"]
# What a CCPA/CPRA audit must review, as the review prints it.
REQUIREMENTS = ["Notice at collection", "Privacy policy contents",
                "\"Do Not Sell or Share My Personal Information\" link",
                "\"Limit the Use of My Sensitive Personal Information\" link", "Global Privacy Control",
                "Request response timelines", "Verification of requests and authorized agents",
                "Terms every service provider and contractor contract must contain", "Notice of financial incentive",
                "Consumers under 16", "Employee, applicant and B2B personal information",
                "Training of staff who handle requests", "Records of requests"]
PLAIN = {"executive_summary": "A paragraph of summary text.", "remediation_plan": "A paragraph of plan text."}



def _order(intake: dict[str, Any]) -> dict[str, Any]:
    return {**samples.compliance_order(SERVICE), "intake_data": json.dumps(intake)}


def _analysis(intake: dict[str, Any]) -> ReportAnalysis:
    svc = services.service(SERVICE)
    return svc.analysis(CCPAAuditIntake.model_validate(intake), samples.SAMPLE_DATE, _order(intake)["state"])


def _render(intake: dict[str, Any], sections: dict[str, Any], converter: PdfConverter) -> Rendered[CCPAAnalysis]:
    return render(SERVICE, _order(intake), sections, converter, CCPAAnalysis)


def _section(text: str, heading: str) -> str:
    """The text of the numbered section `heading` up to the next numbered heading."""
    n = HEADINGS.index(heading) + 1
    start = text.index(f"{n}. {heading}")
    end = text.index(f"{n + 1}. {HEADINGS[n]}", start)
    return text[start:end]


@pytest.fixture(scope="module")
def sample(converter: PdfConverter) -> Rendered[CCPAAnalysis]:
    return _render(SAMPLE, samples.SECTIONS[SERVICE], converter)


def test_sample_headings_in_order_and_page_count(sample: Rendered[CCPAAnalysis]) -> None:
    text, pages = sample.text, sample.pages
    at = [text.index(f"{n}. {h}") for n, h in enumerate(HEADINGS, 1)]
    assert at == sorted(at)
    assert text.index("Appendix: Sources and Effective Dates") > at[-1]
    assert 8 <= pages <= 20


def test_sample_reviews_every_requirement(sample: Rendered[CCPAAnalysis]) -> None:
    text = sample.text
    review = _section(text, "Requirement-by-Requirement Review")
    for req in REQUIREMENTS:
        assert req in review or req in _section(text, "Vendors and Contracts"), req
    # The request deadlines are the reviewed figures (11 CCR 7021), printed as the facts state them.
    fv = sample.result
    assert "ccpa.req.response_timelines" in fv.facts_used
    assert "within 10 business days" in review and "within 45 calendar days" in review
    for vendor in SAMPLE["service_providers"]:
        assert f"Contract with {vendor}" in review and vendor in _section(text, "Vendors and Contracts")


def test_sample_applicability_prints_each_threshold_with_the_intake_figure(
        sample: Rendered[CCPAAnalysis]) -> None:
    part = _section(sample.text, "Applicability")
    for t in sample.result.thresholds:
        assert t.threshold in part and t.intake in part
    assert "more than $26,625,000.00" in part and "$31,500,000.00" in part and "100,000 or more" in part
    assert "Conclusion: the CCPA applies" in part


def test_sample_covers_every_state_law_and_counsel(sample: Rendered[CCPAAnalysis]) -> None:
    c, text = sample.context, sample.text
    states = _section(text, "Other State Privacy Laws")
    for s in SAMPLE["states"]:
        assert state_name(s) in states
    assert "Colorado Privacy Act" in states and "appeal" in states.lower() and "Colo. Rev. Stat. 6-1-1301" in states
    assert c["jurisdiction"] == "California (CCPA as amended by the CPRA) and Colorado (Colorado Privacy Act)"
    assert f"Law applied {c['jurisdiction']}" in text
    assert "counsel licensed in California and Colorado" in text


def test_sample_findings_are_the_checklist_rows(sample: Rendered[CCPAAnalysis]) -> None:
    c, text = sample.context, sample.text
    established = sample.result.findings_by_priority()
    # The sample's LLM findings name established requirements, so the remediation checklist adds none.
    assert [r["requirement"] for r in c["findings"]] == [f.requirement for f in established]
    found = _section(text, "Findings")
    for n, f in enumerate(established, 1):
        assert f"{n} {f.priority} {f.requirement}" in found
    assert f"{len(established) + 1} " not in found.split(established[-1].requirement)[-1][:4]
    sources = text[text.index("Appendix: Sources and Effective Dates"):]
    assert "Cal. Civ. Code 1798.140(d)(1)(A)" in sources and "11 CCR 7021" in sources


def test_sample_sections_agree_with_the_analysis() -> None:
    """The counts, figures and names of the sample's LLM text are the analysis's (not "six gaps" listing three)."""
    result = _analysis(SAMPLE).result
    k = result.counts  # type: ignore[attr-defined]
    summary = " ".join(b["text"] for b in samples.SECTIONS[SERVICE]["executive_summary"]["blocks"])
    assert (f"{k['findings']} findings: {k['findings_high']} high, {k['findings_medium']} medium and "
            f"{k['findings_low']} low") in summary
    for s in SAMPLE["states"]:
        assert state_name(s) in summary
    for f in result.findings_by_priority():
        if f.priority == "High":
            assert re.split(r" \(|:", f.requirement)[0].lower() in summary.lower(), f.requirement
    known = {f.requirement for f in result.findings}
    for f in samples.SECTIONS[SERVICE]["remediation_plan"]["findings"]:
        assert f["requirement"] in known
    # Every figure of the summary is the intake's or a reviewed fact the prompt's <facts> block gives the model.
    grounding = services.service(SERVICE).grounding(CCPAAuditIntake.model_validate(SAMPLE), samples.SAMPLE_DATE,
                                                   "Colorado").replace(",", "")
    figures = re.findall(r"\d{1,3}(?:,\d{3})+", summary)
    assert figures
    for figure in figures:
        digits = figure.replace(",", "")
        assert digits in json.dumps(SAMPLE) or digits in grounding, figure


def test_below_every_threshold(converter: PdfConverter) -> None:
    small = {**SAMPLE, "annual_revenue": 4200000, "consumer_records": 30000, "sells_or_shares": False,
             "honors_opt_out_signals": None, "service_providers": ["Shopify"], "states": ["CO", "WY"]}
    small_report = _render(small, PLAIN, converter)
    c, text = small_report.context, small_report.text
    part = _section(text, "Applicability")
    assert "$4,200,000.00" in part and "30,000 (not sold or shared)" in part
    assert "Conclusion: on the figures reported, the CCPA does not apply" in part
    assert "are not reviewed item by item" in _section(text, "Requirement-by-Requirement Review")
    states = _section(text, "Other State Privacy Laws")
    assert "Wyoming" in states and "no comprehensive consumer privacy act" in states
    assert "Colorado Privacy Act" in states
    # California law decided the question; Colorado's act is the home state's, its applicability to confirm.
    assert c["jurisdiction"].startswith("California (CCPA as amended by the CPRA)")
    assert "Contract with Shopify" not in text


def test_trackers_while_saying_no_sale(converter: PdfConverter) -> None:
    tracked = {**SAMPLE, "sells_or_shares": False, "service_providers": ["Shopify", "Meta Pixel"],
               "states": ["CO", "TX", "CA"], "data_categories": ["identifiers", "biometric"]}
    tracked_report = _render(tracked, PLAIN, converter)
    c, text = tracked_report.context, tracked_report.text
    review = _section(text, "Requirement-by-Requirement Review")
    assert "Disclosures match practice: sale or sharing through trackers: Not met" in review
    vendors = _section(text, "Vendors and Contracts")
    assert "Meta Pixel Third party: likely sale or sharing" in vendors
    inventory = _section(text, "Data Inventory")
    assert "Biometric information" in inventory and "Sensitive personal information flagged: Biometric" in inventory
    assert "Likely: Meta Pixel" in inventory
    states = _section(text, "Other State Privacy Laws")
    for s in ("Colorado", "Texas", "California"):
        assert s in states
    assert any(r["requirement"].startswith("Disclosures match practice") for r in c["findings"])
