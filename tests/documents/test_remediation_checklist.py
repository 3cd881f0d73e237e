"""The remediation checklist of a compliance order: one row per structured finding, rendered from the
checklist template and converted by the warm LibreOffice; the PDF text is read back and compared with the
findings."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from pdf_tables import squash, table_rows

from pwcore.clients.libreoffice import PdfConverter
from pwcore.compliance import services
from pwcore.documents import context as ctx
from pwcore.documents import registry
from pwcore.documents.pdf_check import pdf_text
from pwcore.documents.render import render_docx
from pwcore.documents.template_store import templates_for
from pwdev import samples

SERVICES = [s.service_type for s in services.all_services()]


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _context(service: str, sections: dict[str, Any] | None = None) -> dict[str, Any]:
    return ctx.compliance_context(samples.compliance_order(service), samples.CUSTOMER,
                                  sections if sections is not None else samples.SECTIONS[service],
                                  as_of=samples.SAMPLE_DATE)


def _pdf(template_id: str, context: dict[str, Any], converter: PdfConverter) -> str:
    return _norm(pdf_text(converter.convert(render_docx(registry.template_bytes(template_id), context))))


@pytest.mark.parametrize("service", SERVICES)
def test_one_row_per_finding(service: str, converter: PdfConverter) -> None:
    """Rows: the rule-based analysis's findings by priority, then each LLM finding naming another requirement."""
    c = _context(service)
    order = samples.compliance_order(service)
    svc = services.service(service)
    intake = svc.intake_model.model_validate_json(order["intake_data"])
    established = [f.model_dump() for f in
                   svc.analysis(intake, samples.SAMPLE_DATE, order["state"]).result.findings_by_priority()]
    known = {ctx._requirement_key(f["requirement"]) for f in established}
    written = [f for content in samples.SECTIONS[service].values() if isinstance(content, dict)
               for f in content["findings"] if ctx._requirement_key(f["requirement"]) not in known]
    findings = established + written
    assert established and c["finding_count"] == str(len(findings))
    pdf = converter.convert(render_docx(registry.template_bytes("remediation-checklist"), c))
    text = _norm(pdf_text(pdf))
    assert c["entity_name"] in text and c["report_title"] in text and c["order_name"] in text
    rows = table_rows(pdf)
    expected = [[str(n), f["priority"], f"{f['requirement']} [{f['authority']}]", f["gap"], f["action"], f["owner"],
                 f["due"]] for n, f in enumerate(findings, 1)]
    assert [[squash(cell) for cell in row] for row in rows] == [[squash(c) for c in row] for row in expected]


def test_every_compliance_order_gets_the_checklist_next_to_its_report() -> None:
    manifest = json.loads((registry.templates_dir() / "manifest.json").read_text())
    for svc in services.all_services():
        assert templates_for(manifest, svc.service_type) == [svc.template_id, "remediation-checklist"]
        assert registry.templates_for("Compliance Service", svc.service_type) == [svc.template_id,
                                                                                  "remediation-checklist"]


def test_an_order_without_findings_says_so(converter: PdfConverter) -> None:
    plain = {k: "A paragraph of text." for k in ctx.SERVICE_SECTIONS["TCPA Audit"]}
    c = {**_context("TCPA Audit", plain), "findings": [], "finding_count": "0"}
    assert "No findings were recorded for this order." in _pdf("remediation-checklist", c, converter)


def test_the_published_privacy_policy_prints_no_findings(converter: PdfConverter) -> None:
    c = _context("Privacy Policy")
    action = c["findings"][0]["action"]
    assert action in _pdf("remediation-checklist", c, converter)
    assert action not in _pdf("privacy-policy", c, converter)
    assert all(not s["findings"] for s in c["sections"].values())
