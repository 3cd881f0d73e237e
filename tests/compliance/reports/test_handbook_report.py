"""The handbook review report as delivered: the sample (and variants of its intake) rendered through the real
template and LibreOffice, and the PDF text read back: headings in order, every work state's mandated policies,
the federal triggers on each side of their headcount, the at-will statement as a strength, the findings, the
law applied and the sources appendix."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import pytest
from pdf_tables import squash
from report_render import Rendered, render

from pwcore.clients.libreoffice import PdfConverter
from pwcore.compliance.analysis.common import state_name
from pwcore.compliance.services.handbook_review import HandbookReviewIntake
from pwcore.compliance.services.handbook_review import analysis as handbook
from pwdev import samples

SERVICE = "Handbook Review"
HEADINGS = ["Executive Summary", "Policies Reviewed", "Federal Requirements by Headcount", "State-Mandated Policies",
            "Policy-by-Policy Review", "Gap Discussion", "Compliance Checklist", "Findings", "Recommendations",
            "Scope and Limitations"]
Report = Rendered[handbook.HandbookAnalysis]


def _render(converter: PdfConverter, **changes: Any) -> Report:
    order = {**samples.compliance_order(SERVICE), "intake_data": json.dumps({**samples.INTAKE[SERVICE], **changes})}
    return render(SERVICE, order, samples.SECTIONS[SERVICE], converter, handbook.HandbookAnalysis)


def _section(r: Report, n: int) -> str:
    """The text of numbered section n (1-based) up to the next numbered heading."""
    start = r.text.index(f"{n}. {HEADINGS[n - 1]}")
    end = r.text.index(f"{n + 1}. {HEADINGS[n]}", start)
    return r.text[start:end]


def _appendix(r: Report) -> str:
    return r.text[r.text.index("Appendix: Sources and Effective Dates"):]


@pytest.fixture(scope="module")
def sample(converter: PdfConverter) -> Report:
    return _render(converter)


@pytest.fixture(scope="module")
def three_states(converter: PdfConverter) -> Report:
    return _render(converter, states=["CO", "CA", "NY"], headcount=60)


def test_headings_in_order_and_length(sample: Report) -> None:
    positions = [sample.text.index(f"{n}. {h}") for n, h in enumerate(HEADINGS, 1)]
    assert positions == sorted(positions)
    assert sample.text.index("Appendix: Sources and Effective Dates") > positions[-1]
    assert 8 <= sample.pages <= 20, sample.pages


def test_every_work_state_has_its_mandated_policies(three_states: Report) -> None:
    body = _section(three_states, 4)
    result = three_states.result
    assert isinstance(result, handbook.HandbookAnalysis)
    names = [state_name(s) for s in ("CO", "CA", "NY")]
    starts = [body.index(name) for name in names]
    assert starts == sorted(starts)
    for i, code in enumerate(("CO", "CA", "NY")):
        chunk = squash(body[starts[i]:starts[i + 1] if i + 1 < len(starts) else len(body)])
        rows = [r for r in result.states if r.state == code]
        assert rows, code  # each of these states mandates at least one policy in the reviewed facts
        for r in rows:
            assert squash(r.requirement) in chunk and squash(r.authority) in chunk, (code, r.requirement)
    assert "paid sick leave" in body.lower() and "harassment" in body.lower()


def test_colorado_sick_leave_flagged_only_when_not_reported(sample: Report, converter: PdfConverter) -> None:
    colorado = _section(sample, 4)
    assert "Flagged: Sick leave: Not reported." in colorado and "Healthy Families and Workplaces Act" in colorado
    assert "Sick leave Missing" in _section(sample, 5)
    with_sick = _render(converter, policies_present=[*samples.INTAKE[SERVICE]["policies_present"], "sick_leave"])
    assert "Flagged: Sick leave" not in _section(with_sick, 4)
    assert "Sick leave Present" in _section(with_sick, 5)
    assert not any(f.requirement.startswith("Sick leave policy") for f in with_sick.result.findings)


def test_at_will_statement_is_a_strength_not_a_gap(sample: Report) -> None:
    reviewed = _section(sample, 2)
    present = reviewed[reviewed.index("Present ("):reviewed.index("Missing: required")]
    gaps = reviewed[reviewed.index("Missing: required"):]
    assert "At-will employment statement" in present and "at-will" not in gaps.lower()
    assert "This is a strength, not a gap" in _section(sample, 3)
    assert "at-will" not in _section(sample, 8).lower()  # the findings
    assert "At-will employment statement Present Strength" in _section(sample, 5)


def test_fmla_only_at_50_or_more(sample: Report, three_states: Report) -> None:
    applies = re.compile(r"the following apply: ([^.]*)\.")
    at_42 = applies.search(_section(sample, 3))
    at_60 = applies.search(_section(three_states, 3))
    assert at_42 and at_60
    assert "FMLA" not in at_42.group(1) and "FMLA (50+ employees)" in _section(sample, 3)
    assert "FMLA" in at_60.group(1)
    assert not any("FMLA" in f.requirement for f in sample.result.findings)
    fmla = [f for f in three_states.result.findings if "FMLA" in f.requirement]
    assert fmla and fmla[0].priority == "High"
    assert squash(fmla[0].requirement) in squash(_section(three_states, 8))


def test_findings_match_the_checklist_rows(sample: Report) -> None:
    established = sample.result.findings_by_priority()
    rows = sample.context["findings"]
    assert [r["requirement"] for r in rows[:len(established)]] == [f.requirement for f in established]
    assert sample.context["finding_count"] == str(len(rows))
    body = squash(_section(sample, 8))
    at = [body.index(squash(f"{n}{f.priority}{f.requirement}")) for n, f in enumerate(established, 1)]
    assert at == sorted(at)


def test_law_applied_and_counsel(sample: Report, three_states: Report) -> None:
    assert "Law applied Federal employment law and the employment laws of Colorado" in sample.text
    assert "consult qualified counsel licensed in Colorado" in sample.text
    laws = "Federal employment law and the employment laws of Colorado, California and New York"
    assert laws in three_states.text
    assert "consult qualified counsel licensed in Colorado, California and New York" in three_states.text


def test_sources_appendix_lists_every_fact_used(sample: Report) -> None:
    appendix = squash(_appendix(sample))
    assert sample.result.sources
    for u in sample.result.sources:
        assert squash(u.title) in appendix, u.title
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


def test_present_harassment_policy_still_needs_the_state_training(three_states: Report) -> None:
    training = [f for f in three_states.result.findings if f.requirement.endswith(": training")]
    assert {f.requirement.split(":")[0] for f in training} == {"California", "New York"}
    assert all(f.priority == "Medium" for f in training)
    body = squash(_section(three_states, 8))
    assert all(squash(f.requirement) in body for f in training)
