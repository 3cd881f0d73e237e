"""The TCPA audit report as the customer gets it: the sample (and a variant intake) rendered through the report
context, the generated template and a real LibreOffice, the PDF read back. The report's analysis parts must follow
the intake: every element of written consent, the revocation, calling-hour, do-not-call, abandonment and caller ID
rules, every state called, the damages at the reported volume, the checklist, the findings and the sources."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from pdf_tables import squash, table_rows
from report_render import Rendered, render

from pwcore.clients.libreoffice import PdfConverter
from pwcore.compliance import services
from pwcore.compliance.analysis.common import state_name, usd
from pwcore.compliance.services.tcpa_audit.analysis import TCPAAnalysis
from pwcore.facts import compliance as compliance_facts
from pwdev import samples

ST = "TCPA Audit"
SVC = services.service(ST)
assert SVC.report is not None
HEADINGS = [h for h, *_ in SVC.report.body]
Report = Rendered[TCPAAnalysis]

# Manual live calls only, recorded written consent, one state (not the entity's): the parts must follow it.
VARIANT: dict[str, Any] = {
    "channels": ["voice"],
    "consent_capture": "prior_express_written",
    "consent_description": "Unchecked stand-alone checkbox with the full disclosure, signed electronically; the "
                           "disclosure version and timestamp are stored with each record.",
    "dialer_type": "manual",
    "monthly_volume": 1200,
    "scrubs_national_dnc": True,
    "keeps_internal_dnc": True,
    "honors_opt_out_within_days": 2,
    "calling_hours_policy": "Calls between 9 a.m. and 7 p.m. in the called party's local time.",
    "uses_third_party_vendors": False,
    "states": ["FL"],
}
# Sections as the generator stores them: text, or blocks with findings for the findings section.
VARIANT_SECTIONS: dict[str, Any] = {key: "The programme reviewed uses manually dialed live calls."
                                    for key in SVC.section_keys}
VARIANT_SECTIONS["remediation_plan"] = {
    "blocks": [{"type": "paragraph", "text": "Keep the consent and do-not-call records current."}], "findings": []}


def _order(intake: dict[str, Any]) -> dict[str, Any]:
    return {**samples.compliance_order(ST), "intake_data": json.dumps(intake)}


def _render(intake: dict[str, Any], sections: dict[str, Any], converter: PdfConverter) -> Report:
    return render(ST, _order(intake), sections, converter, TCPAAnalysis)


def _heading_at(text: str, n: int, heading: str) -> int:
    m = re.search(rf"\b{n}\. ?{re.escape(heading)}", text)
    assert m, f"heading {n}. {heading} missing"
    return m.start()


def _section(text: str, heading: str) -> str:
    """The text of the numbered section `heading`, up to the next numbered heading."""
    n = HEADINGS.index(heading) + 1
    start = _heading_at(text, n, heading)
    after = HEADINGS[n] if n < len(HEADINGS) else "Scope and Limitations"
    return text[start:_heading_at(text, n + 1, after)]



@pytest.fixture(scope="module")
def sample(converter: PdfConverter) -> Report:
    return _render(samples.INTAKE[ST], samples.SECTIONS[ST], converter)


@pytest.fixture(scope="module")
def variant(converter: PdfConverter) -> Report:
    return _render(VARIANT, VARIANT_SECTIONS, converter)


def test_headings_in_order_and_length(sample: Report) -> None:
    text = sample.text
    at = [_heading_at(text, n, h) for n, h in enumerate([*HEADINGS, "Scope and Limitations"], 1)]
    assert at == sorted(at)
    assert at[-1] < text.index("Appendix: Sources and Effective Dates")
    assert 8 <= sample.pages <= 20


def test_every_federal_element_is_in_the_report(sample: Report) -> None:
    text = sample.text
    facts = compliance_facts.load("tcpa_audit")
    consent = _section(text, "Prior Express Written Consent")
    for element in facts.value("tcpa.consent.pewc_elements"):  # type: ignore[union-attr]
        assert squash(str(element)) in squash(consent)
    assert "E-SIGN" in consent and "One-to-one consent rule" in consent and "Not in effect" in consent
    revocation = _section(text, "Revocation of Consent")
    assert f"{facts.value('tcpa.revocation.deadline')} business days" in revocation
    assert "any reasonable method" in squash(revocation) or "anyreasonablemethod" in squash(revocation)
    hours = _section(text, "Calling Hours")
    assert "before 8 a.m. or after 9 p.m., local time at the called party's location" in hours
    dnc = _section(text, "Do-Not-Call Lists and Reassigned Numbers")
    assert "National Do-Not-Call Registry" in dnc and "Reassigned Numbers Database" in dnc
    assert "Internal do-not-call list" in dnc and "keep the request for 5 years" in dnc
    dialing = squash(_section(text, "Abandoned Calls, Caller ID, Recorded Messages and Vendors"))
    for words in ("no more than 3% of calls answered by a live person", "within 2 seconds",
                  "prerecorded identification and opt-out message", "Caller ID", "vicariously liable"):
        assert squash(words) in dialing


def test_exposure_follows_the_facts_and_the_volume(sample: Report) -> None:
    text = sample.text
    damages = compliance_facts.load("tcpa_audit").value("tcpa.damages.statutory")
    assert isinstance(damages, dict)
    volume = samples.INTAKE[ST]["monthly_volume"]
    exposure = _section(text, "Exposure to Statutory Damages")
    for key in ("per_violation_usd", "per_willful_or_knowing_violation_usd"):
        per = int(damages[key])  # type: ignore[arg-type]
        assert f"{usd(per)} {usd(per * volume)}" in exposure
    assert f"{volume:,}" in exposure


def test_every_state_called_is_covered(sample: Report) -> None:
    text = sample.text
    states = _section(text, "State Telemarketing Laws")
    risk = _section(text, "Risk Assessment")  # the section declared covers = "states"
    for code in samples.INTAKE[ST]["states"]:
        assert state_name(code) in states and state_name(code) in risk
    for rule in sample.result.state_rules:
        assert rule.act is None or squash(rule.act) in squash(states)
    texas = _section(text, "Calling Hours")
    assert "TX Central" in texas and "TX Mountain" in texas  # every zone of a two-zone state


def test_law_applied_and_counsel_name_the_states_called(sample: Report) -> None:
    text = sample.text
    names = [state_name(s) for s in samples.INTAKE[ST]["states"]]
    listed = f"{', '.join(names[:-1])} and {names[-1]}"
    assert ("Law applied Federal law (TCPA, 47 U.S.C. 227; 47 C.F.R. 64.1200; Telemarketing Sales Rule) and the "
            f"telemarketing laws of {listed}") in text
    assert f"licensed in {listed}" in text


def test_checklist_and_findings_tables_match_the_analysis(sample: Report) -> None:
    pdf, text = sample.pdf, sample.text
    r = sample.result
    checklist = squash(_section(text, "Requirements Checklist"))
    assert all(squash(i.requirement) in checklist for i in r.checklist)
    found = r.findings_by_priority()
    assert found
    expected = [[str(n), f.priority, f"{f.requirement} [{f.authority}]", f.gap, f.action, f.owner, f.due]
                for n, f in enumerate(found, 1)]
    rows = [[squash(c) for c in row] for row in table_rows(pdf)]
    assert rows == [[squash(c) for c in row] for row in expected]
    # Every gap of the checklist has its finding row.
    assert {i.requirement for i in r.checklist if i.status == "Not met"} <= {f.requirement for f in found}


def test_sources_appendix_lists_every_fact_used(sample: Report) -> None:
    text = sample.text
    appendix = squash(text[text.index("Appendix: Sources and Effective Dates"):])
    r = sample.result
    assert r.sources
    for u in r.sources:
        assert squash(u.title) in appendix and squash(u.source) in appendix


def test_variant_parts_follow_the_intake(variant: Report) -> None:
    pdf, text = variant.pdf, variant.text
    channels = _section(text, "Channels and Dialing Technology Reviewed")
    assert "manual dialing" in channels and "federal written consent rule does not apply" in channels
    assert "Predictive" not in text
    consent = _section(text, "Prior Express Written Consent")
    assert "Not applicable" in consent and "The rule does not apply to the programme reported" in consent
    for element in compliance_facts.load("tcpa_audit").value("tcpa.consent.pewc_elements"):  # type: ignore[union-attr]
        assert squash(str(element)) in squash(consent)  # listed for reference
    dialing = _section(text, "Abandoned Calls, Caller ID, Recorded Messages and Vendors")
    assert "no predictive or progressive voice dialing" in dialing and "no vendors" in dialing
    states = _section(text, "State Telemarketing Laws")
    assert "Florida Telephone Solicitation Act" in states
    assert all(state_name(s) not in states for s in ("CO", "CA", "TX"))
    hours = _section(text, "Calling Hours")
    assert "FL Eastern" in hours and "FL Central" in hours
    exposure = _section(text, "Exposure to Statutory Damages")
    damages = compliance_facts.load("tcpa_audit").value("tcpa.damages.statutory")
    assert isinstance(damages, dict)
    assert usd(int(damages["per_violation_usd"]) * VARIANT["monthly_volume"]) in exposure  # type: ignore[arg-type]
    assert "telemarketing laws of Florida" in text and "licensed in Florida" in text
    found = variant.result.findings_by_priority()
    assert found
    rows = table_rows(pdf)
    assert [squash(r[2]) for r in rows] == [squash(f"{f.requirement} [{f.authority}]") for f in found]
