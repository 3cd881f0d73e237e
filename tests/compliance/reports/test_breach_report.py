"""The Breach Response Plan as delivered: the sample order rendered through compliance_context, the generated
template and a real LibreOffice; the PDF is read back (text and, for tables, text positions) and checked against
the intake and the rule-based analysis: the NIST SP 800-61 phases in order, the severity levels, evidence handling,
one notification-matrix row per intake state, the agency, card-brand, insurer and law-enforcement notices, the
letter templates, the findings, the law applied, the sources appendix and the page count."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from pdf_tables import squash, table_rows
from pypdf import PdfReader
from report_render import Rendered, render

from pwcore.clients.libreoffice import PdfConverter
from pwcore.compliance.services.breach_response_plan.analysis import BreachResponseAnalysis
from pwdev import samples

SERVICE = "Breach Response Plan"
TEMPLATE = "breach-response-plan"
PHASES = ("Preparation", "Detection and Analysis", "Containment, Eradication and Recovery", "Post-Incident Activity")
MATRIX = ("State", "Trigger", "Deadline to notify residents", "Attorney general or regulator notice")



def _order(**changes: Any) -> dict[str, Any]:
    order = samples.compliance_order(SERVICE)
    intake = dict(json.loads(order["intake_data"]), **changes)
    return dict(order, intake_data=json.dumps(intake))


def _render(order: dict[str, Any], converter: PdfConverter) -> Rendered[BreachResponseAnalysis]:
    return render(SERVICE, order, samples.SECTIONS[SERVICE], converter, BreachResponseAnalysis)


@pytest.fixture(scope="module")
def sample(converter: PdfConverter) -> Rendered[BreachResponseAnalysis]:
    return _render(_order(), converter)


def _heading(text: str, title: str) -> int:
    m = re.search(rf"\b\d+\. {re.escape(title)}\b", text)
    assert m, f"no numbered section {title!r}"
    return m.start()


def _columns(pdf: bytes, start: str, end: str, headers: tuple[str, ...]) -> list[str]:
    """The squashed text of each column of the table between the subheadings `start` and `end`, by x position."""
    runs: list[tuple[int, float, float, str]] = []
    for page_no, page in enumerate(PdfReader(io.BytesIO(pdf)).pages):
        def visit(t: str, cm: list[float], tm: list[float], _f: Any, _s: Any, page_no: int = page_no) -> None:
            if t.strip():
                runs.append((page_no, -(tm[5] * cm[3] + cm[5]), tm[4] * cm[0] + cm[4], t.strip()))
        page.extract_text(visitor_text=visit)
    runs.sort()
    first = next(i for i, r in enumerate(runs) if r[3] == start)
    last = next(i for i, r in enumerate(runs) if i > first and r[3] == end)
    inside = [r for r in runs[first + 1:last] if 60 < -r[1] < 725]  # without page header and footer bands
    at = next(i for i, r in enumerate(inside) if r[3] == headers[0])
    head = inside[at]
    inside = [r for r in inside[at:] if (r[0], r[1]) >= (head[0], head[1])]  # from the header row: no intro text
    starts = sorted(r[2] for r in inside if (r[0], r[1]) == (head[0], head[1]))
    assert len(starts) == len(headers), starts
    cols = [""] * len(headers)
    for _p, _y, x, t in inside:
        if t in headers:
            continue
        cols[max(i for i, s in enumerate(starts) if x >= s - 0.5)] += t
    return [squash(c) for c in cols]


def test_life_cycle_sections_in_order(sample: Rendered[BreachResponseAnalysis]) -> None:
    text = sample.text
    at = [_heading(text, t) for t in ("Executive Summary", "Scope and Roles", *PHASES[:3], "Notification Obligations",
                                      "Notification Letters", PHASES[3], "Findings", "Implementation Plan")]
    assert at == sorted(at)
    assert text.index("Sources and Effective Dates") > at[-1]


def test_preparation_severity_and_evidence(sample: Rendered[BreachResponseAnalysis]) -> None:
    pdf, text, r = sample.pdf, sample.text, sample.result
    prep = text[_heading(text, "Preparation"):_heading(text, "Detection and Analysis")]
    for item in ("Roles and contacts", "Incident Lead", "Front Range Managed IT", "Cyber insurer", "Card acquirer",
                 "Tools and resources", "Training and exercises"):
        assert item in prep, item
    detect = text[_heading(text, "Detection and Analysis"):_heading(text, PHASES[2])]
    assert [lv for lv in ("Critical", "High", "Medium", "Low") if lv in detect] == ["Critical", "High", "Medium", "Low"]
    levels, _criteria, response, _here = _columns(pdf, "Severity levels", "Evidence handling and chain of custody",
                                                  ("Level", "Criteria", "Response time", "At this business"))
    assert levels == squash("".join(s.level for s in r.severity))
    for level in r.severity:
        assert squash(level.response[1:]) in response, level.level
    assert "Evidence handling and chain of custody" in detect and "Chain-of-custody log" in detect
    for step in r.evidence:
        assert squash(step[1:]) in squash(detect), step
    cer = text[_heading(text, PHASES[2]):_heading(text, "Notification Obligations")]
    assert [cer.index(s) for s in ("Containment", "Eradication", "Recovery")] == sorted(
        cer.index(s) for s in ("Containment", "Eradication", "Recovery"))


def test_one_matrix_row_per_intake_state(sample: Rendered[BreachResponseAnalysis]) -> None:
    pdf, r = sample.pdf, sample.result
    listed = json.loads(sample.order["intake_data"])["resident_states"]
    assert sorted(n.state for n in r.notifications) == sorted(listed)
    state, _trigger, deadline, regulator = _columns(pdf, "Notification matrix", "Content of the notice to residents",
                                                    MATRIX)
    assert state == squash("".join(n.name for n in r.notifications))
    for n in r.notifications:
        assert squash(n.individual_deadline[1:]) in deadline, n.state
        assert squash(n.regulator_notice[1:]) in regulator and squash(n.regulator_threshold.label()) in regulator


def test_agency_insurer_card_and_police_notices(sample: Rendered[BreachResponseAnalysis]) -> None:
    text, r = sample.text, sample.result
    notice = text[_heading(text, "Notification Obligations"):_heading(text, "Notification Letters")]
    assert "Consumer reporting agencies" in notice and "Equifax, Experian, TransUnion" in notice
    for n in r.notifications:
        assert squash(n.cra_threshold.label()) in squash(notice), n.state
    assert "Payment card brands and acquirer (PCI DSS)" in notice and "Requirement 12.10.1" in notice
    assert "Cyber insurer" in notice and "panel vendor" in notice
    assert "Law enforcement" in notice and "impede a criminal investigation" in notice


def test_card_and_insurer_notices_follow_the_intake(converter: PdfConverter) -> None:
    order = _order(data_types=["contact_information", "ssn"], has_cyber_insurance=False)
    text = _render(order, converter).text
    notice = text[_heading(text, "Notification Obligations"):_heading(text, "Notification Letters")]
    assert "PCI DSS" not in notice and "Card acquirer" not in text
    assert "Cyber insurer" not in notice and "Law enforcement" in notice


def test_letter_templates(sample: Rendered[BreachResponseAnalysis]) -> None:
    text, r = sample.text, sample.result
    letters = text[_heading(text, "Notification Letters"):_heading(text, PHASES[3])]
    assert "Template 1: Notice to affected individuals" in letters and "NOTICE OF DATA BREACH" in letters
    for h in ("What happened", "What information was involved", "What we are doing", "What you can do",
              "For more information"):
        assert h in letters, h
    assert "Template 2: Notice to a state attorney general or regulator" in letters
    regs = [n.name for n in r.notifications if n.regulator_status in ("Applies", "Review")]
    assert regs and all(f"{name} (" in letters for name in regs)
    assert len(re.findall(r"\[[^\]]+\]", letters)) >= 20  # placeholders the reviewer fills


def test_findings_table_is_the_analysis(sample: Rendered[BreachResponseAnalysis]) -> None:
    pdf, text = sample.pdf, sample.text
    found = sample.result.findings_by_priority()
    assert found
    rows = table_rows(pdf)  # the first "No." table: the Findings section's
    expected = [[str(i), f.priority, f"{f.requirement} [{f.authority}]", f.gap, f.action, f.owner, f.due]
                for i, f in enumerate(found, 1)]
    assert [[squash(c) for c in row] for row in rows] == [[squash(c) for c in row] for row in expected]
    assert "Requirement Checklist" in text


def test_law_applied_counsel_sources_and_length(sample: Rendered[BreachResponseAnalysis]) -> None:
    text, ra = sample.text, sample.analysis
    names = "Colorado, California, Texas and New York"
    assert ra.jurisdiction.laws == f"The breach notification laws of {names} and applicable federal rules"
    assert ra.jurisdiction.counsel == names
    assert f"Law applied {ra.jurisdiction.laws}" in text
    assert f"licensed in {names}" in text
    appendix = text[text.index("Sources and Effective Dates"):]
    for u in ra.result.sources:
        assert squash(u.source) in squash(appendix), u.id
    assert 8 <= sample.pages <= 20
