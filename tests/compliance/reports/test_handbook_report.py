"""The handbook review report as delivered: the sample (and variants of its intake) rendered through the real
template and LibreOffice, and the PDF text read back: headings in order, every work state's mandated policies,
the federal triggers on each side of their headcount, the at-will statement as a strength, the findings, the
law applied and the sources appendix."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from typing import Any

import pytest
from pypdf import PdfReader

from pwcore.clients.libreoffice import PdfConverter
from pwcore.compliance import services
from pwcore.compliance.analysis.common import state_name
from pwcore.compliance.analysis.parts import ReportAnalysis
from pwcore.compliance.services.handbook_review import HandbookReviewIntake
from pwcore.compliance.services.handbook_review import analysis as handbook
from pwcore.documents import context as ctx
from pwcore.documents import registry
from pwcore.documents.pdf_check import pdf_text
from pwcore.documents.render import render_docx
from pwdev import samples

SERVICE = "Handbook Review"
HEADINGS = ["Executive Summary", "Policies Reviewed", "Federal Requirements by Headcount", "State-Mandated Policies",
            "Policy-by-Policy Review", "Gap Discussion", "Compliance Checklist", "Findings", "Recommendations",
            "Scope and Limitations"]


class Rendered:
    def __init__(self, context: dict[str, Any], pdf: bytes, report: ReportAnalysis) -> None:
        self.context = context
        self.text = re.sub(r"\s+", " ", pdf_text(pdf))
        self.pages = len(PdfReader(io.BytesIO(pdf)).pages)
        self.report = report

    def section(self, n: int) -> str:
        """The text of numbered section n (1-based) up to the next numbered heading."""
        start = self.text.index(f"{n}. {HEADINGS[n - 1]}")
        end = self.text.index(f"{n + 1}. {HEADINGS[n]}", start)
        return self.text[start:end]

    def appendix(self) -> str:
        return self.text[self.text.index("Appendix: Sources and Effective Dates"):]



def _render(converter: PdfConverter, **changes: Any) -> Rendered:
    intake = {**samples.INTAKE[SERVICE], **changes}
    order = {**samples.compliance_order(SERVICE), "intake_data": json.dumps(intake)}
    context = ctx.compliance_context(order, samples.CUSTOMER, samples.SECTIONS[SERVICE], as_of=samples.SAMPLE_DATE)
    pdf = converter.convert(render_docx(registry.template_bytes("handbook-review"), context))
    svc = services.service(SERVICE)
    report = svc.analysis(svc.intake_model.model_validate(intake), samples.SAMPLE_DATE, order["state"])
    return Rendered(context, pdf, report)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def sample(converter: PdfConverter) -> Rendered:
    return _render(converter)


@pytest.fixture(scope="module")
def three_states(converter: PdfConverter) -> Rendered:
    return _render(converter, states=["CO", "CA", "NY"], headcount=60)


def test_headings_in_order_and_length(sample: Rendered) -> None:
    positions = [sample.text.index(f"{n}. {h}") for n, h in enumerate(HEADINGS, 1)]
    assert positions == sorted(positions)
    assert sample.text.index("Appendix: Sources and Effective Dates") > positions[-1]
    assert 8 <= sample.pages <= 20, sample.pages


def test_every_work_state_has_its_mandated_policies(three_states: Rendered) -> None:
    body = three_states.section(4)
    result = three_states.report.result
    assert isinstance(result, handbook.HandbookAnalysis)
    names = [state_name(s) for s in ("CO", "CA", "NY")]
    starts = [body.index(name) for name in names]
    assert starts == sorted(starts)
    for i, code in enumerate(("CO", "CA", "NY")):
        chunk = _squash(body[starts[i]:starts[i + 1] if i + 1 < len(starts) else len(body)])
        rows = [r for r in result.states if r.state == code]
        assert rows, code  # each of these states mandates at least one policy in the reviewed facts
        for r in rows:
            assert _squash(r.requirement) in chunk and _squash(r.authority) in chunk, (code, r.requirement)
    assert "paid sick leave" in body.lower() and "harassment" in body.lower()


def test_colorado_sick_leave_flagged_only_when_not_reported(sample: Rendered, converter: PdfConverter) -> None:
    colorado = sample.section(4)
    assert "Flagged: Sick leave: Not reported." in colorado and "Healthy Families and Workplaces Act" in colorado
    assert "Sick leave Missing" in sample.section(5)
    with_sick = _render(converter, policies_present=[*samples.INTAKE[SERVICE]["policies_present"], "sick_leave"])
    assert "Flagged: Sick leave" not in with_sick.section(4)
    assert "Sick leave Present" in with_sick.section(5)
    assert not any(f.requirement.startswith("Sick leave policy") for f in with_sick.report.result.findings)


def test_at_will_statement_is_a_strength_not_a_gap(sample: Rendered) -> None:
    reviewed = sample.section(2)
    present = reviewed[reviewed.index("Present ("):reviewed.index("Missing: required")]
    gaps = reviewed[reviewed.index("Missing: required"):]
    assert "At-will employment statement" in present and "at-will" not in gaps.lower()
    assert "This is a strength, not a gap" in sample.section(3)
    assert "at-will" not in sample.section(8).lower()  # the findings
    assert "At-will employment statement Present Strength" in sample.section(5)


def test_fmla_only_at_50_or_more(sample: Rendered, three_states: Rendered) -> None:
    applies = re.compile(r"the following apply: ([^.]*)\.")
    at_42 = applies.search(sample.section(3))
    at_60 = applies.search(three_states.section(3))
    assert at_42 and at_60
    assert "FMLA" not in at_42.group(1) and "FMLA (50+ employees)" in sample.section(3)
    assert "FMLA" in at_60.group(1)
    assert not any("FMLA" in f.requirement for f in sample.report.result.findings)
    fmla = [f for f in three_states.report.result.findings if "FMLA" in f.requirement]
    assert fmla and fmla[0].priority == "High"
    assert _squash(fmla[0].requirement) in _squash(three_states.section(8))


def test_findings_match_the_checklist_rows(sample: Rendered) -> None:
    established = sample.report.result.findings_by_priority()
    rows = sample.context["findings"]
    assert [r["requirement"] for r in rows[:len(established)]] == [f.requirement for f in established]
    assert sample.context["finding_count"] == str(len(rows))
    body = _squash(sample.section(8))
    at = [body.index(_squash(f"{n}{f.priority}{f.requirement}")) for n, f in enumerate(established, 1)]
    assert at == sorted(at)


def test_law_applied_and_counsel(sample: Rendered, three_states: Rendered) -> None:
    assert "Law applied Federal employment law and the employment laws of Colorado" in sample.text
    assert "consult qualified counsel licensed in Colorado" in sample.text
    laws = "Federal employment law and the employment laws of Colorado, California and New York"
    assert laws in three_states.text
    assert "consult qualified counsel licensed in Colorado, California and New York" in three_states.text


def test_sources_appendix_lists_every_fact_used(sample: Rendered) -> None:
    appendix = _squash(sample.appendix())
    assert sample.report.result.sources
    for u in sample.report.result.sources:
        assert _squash(u.title) in appendix, u.title
    assert "Tobeconfirmed" in appendix  # the Stericycle standard and the posters are still to be confirmed


def test_for_report_sorts_present_policies_out_of_the_gaps() -> None:
    data = {**samples.INTAKE[SERVICE], "headcount": 12}
    intake = HandbookReviewIntake.model_validate(data)
    report = handbook.for_report(intake, date(2026, 12, 2), "Colorado")
    result = report.result
    assert isinstance(result, handbook.HandbookAnalysis)
    present = set(data["policies_present"])
    labels = {handbook.POLICY_LABELS[k] for k in present}
    assert not any(f.requirement.startswith(tuple(labels)) and f.gap == "not in the handbook"
                   for f in result.findings)
    assert {t.law for t in result.federal if t.status == "Applies"} == set()  # 12 is under every threshold
    assert report.jurisdiction.counsel == "Colorado"
    assert {"policies_reviewed", "federal", "states", "policy_review", "checklist", "findings",
            "sources"} <= set(report.parts)


def test_present_harassment_policy_still_needs_the_state_training(three_states: Rendered) -> None:
    training = [f for f in three_states.report.result.findings if f.requirement.endswith(": training")]
    assert {f.requirement.split(":")[0] for f in training} == {"California", "New York"}
    assert all(f.priority == "Medium" for f in training)
    body = _squash(three_states.section(8))
    assert all(_squash(f.requirement) in body for f in training)
