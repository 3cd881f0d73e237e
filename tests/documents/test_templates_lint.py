"""Template lint: every template renders with its manifest sample, converts to a PDF that opens and holds
the expected text, uses only fields of its context model, and the committed files are up to date."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pwcore.clients.libreoffice import PdfConverter
from pwcore.documents import context as ctx
from pwcore.documents import formation, formation_docs, formation_set, registry
from pwcore.documents.pdf_check import pdf_opens, pdf_text
from pwcore.documents.render import declared_fields, render_docx
from pwdev import samples

ROOT = Path(__file__).resolve().parents[2]
NAMES = registry.template_names()
EXPECTED_TEMPLATES = set(formation_set.TEMPLATES) | {
    "privacy-policy",
    "breach-response-plan",
    "flsa-audit-report",
    "contractor-assessment",
    "handbook-review",
    "ccpa-audit-report",
    "tcpa-audit-report",
    "remediation-checklist",
    "invoice",
}


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_manifest_lists_all_templates_and_services() -> None:
    m = registry.manifest()
    assert set(NAMES) == EXPECTED_TEMPLATES
    assert m["formation"]["templates"] == list(formation_set.TEMPLATES)
    assert {s: v["sections"] for s, v in m["compliance"].items()} == ctx.SERVICE_SECTIONS
    for etype in ("LLC", "Corporation", "Nonprofit"):
        assert registry.templates_for("Formation Order", etype) == list(formation_set.TEMPLATES)
    assert registry.templates_for("Compliance Service", "CCPA Audit") == ["ccpa-audit-report", "remediation-checklist"]
    assert registry.templates_for("Sales Invoice") == ["invoice"]


def test_committed_templates_match_generator() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "make_templates.py"), "--check"], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("name", NAMES)
def test_template_fields_exist_in_context_model(name: str) -> None:
    spec = registry.template(name)
    if spec.context == "formation":  # clause-library templates: the vocabulary, the sample built from an order
        assert spec.file == f"compiled/{name}.docx"
        used = declared_fields(registry.template_bytes(name))
        assert used and used <= formation.VOCABULARY, used - formation.VOCABULARY
        assert set(spec.sample) <= formation.VOCABULARY
        return
    model = ctx.MODELS[spec.context]
    data = registry.template_bytes(name)
    used = declared_fields(data)
    assert used, "a template with no fields is suspicious"
    assert used <= set(model.model_fields), f"fields not in {model.__name__}: {used - set(model.model_fields)}"
    # The sample is a valid instance of the model.
    model.model_validate(spec.sample)
    # LLM sections referenced by the template are exactly the service's keys.
    xml = "".join(
        zipfile.ZipFile(io.BytesIO(data)).read(n).decode()
        for n in zipfile.ZipFile(io.BytesIO(data)).namelist()
        if n.startswith("word/") and n.endswith(".xml")
    )
    assert sorted(set(re.findall(r"sections\.(\w+)", xml))) == sorted(spec.sections)
    # Header carries the entity name (or the sender on the invoice) and the footer a PAGE field.
    assert " PAGE " in xml and " NUMPAGES " in xml


@pytest.mark.parametrize("name", NAMES)
def test_template_renders_sample_to_pdf(name: str, converter: PdfConverter) -> None:
    spec = registry.template(name)
    docx = render_docx(registry.template_bytes(name), spec.sample)
    pdf = converter.convert(docx)
    assert pdf_opens(pdf)
    text = _norm(pdf_text(pdf))
    s = spec.sample
    assert "{{" not in text and "{%" not in text
    if spec.context == "formation":
        assert s["entity_name"] in text and "Page 1 of" in text
        assert f" {s['state']['code']} " not in text.replace(s["state"]["name"], "")  # never the raw code
    elif spec.context == "invoice":
        assert s["invoice_number"] in text and s["total"] in text
        assert f"surcharge ({s['surcharge_pct']})" in text and s["surcharge_amount"] in text
        for line in s["lines"]:
            assert line["description"] in text and line["amount"] in text
    else:
        assert s["entity_name"] in text and "Page 1 of" in text
        for key in spec.sections:
            first = s["sections"][key]["blocks"][0]
            first_sentence = (first.get("text") or (first.get("items") or first.get("headers"))[0])[:60]
            assert _norm(first_sentence) in text, key
            for finding in s["sections"][key]["findings"]:  # the report's findings table
                assert _norm(finding["action"])[:40] in text, key
        assert "not constitute legal advice" in text or "not legal advice" in text


def test_sample_contexts_come_from_the_builders() -> None:
    """The manifest's samples are what the context builders make from the sample ERPNext documents."""
    formation_built: dict[str, dict] = {}
    for path in sorted((ROOT / "templates" / "samples").glob("*.json")):
        for template_id, context in formation_docs.contexts(formation_docs.load_order(path),
                                                            as_of=samples.SAMPLE_DATE).items():
            formation_built.setdefault(template_id, context)
    for template_id in formation_set.TEMPLATES:
        assert registry.template(template_id).sample == formation_built[template_id], template_id
    assert registry.template("invoice").sample == ctx.invoice_context(samples.SALES_INVOICE, samples.CUSTOMER)
    for service, slug in samples.SLUGS.items():
        built = ctx.compliance_context(
            samples.compliance_order(service),
            samples.CUSTOMER,
            samples.SECTIONS[service],
            as_of=samples.SAMPLE_DATE,
        )
        assert registry.template(slug).sample == built
