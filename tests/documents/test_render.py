"""Rendering: hostile customer values stay data, missing values fail loudly, broken templates say where."""

from __future__ import annotations

import copy
import io
import re
import zipfile
from collections.abc import Callable

import pytest
from docx import Document

from pwcore.clients.libreoffice import PdfConverter
from pwcore.documents import registry
from pwcore.documents.pdf_check import pdf_opens, pdf_text
from pwcore.documents.render import TemplateError, TemplateFieldMissing, declared_fields, render_docx

HOSTILE_ASCII = [
    "Smith & Sons <b>Bold</b> \"Quoted\" 'single' LLC",
    "{{ 7 * 7 }} {% if true %}INJECT{% endif %} {{ ''.__class__.__mro__ }}",
    "</w:t></w:r></w:p><w:p><w:r><w:t>XML break-out",
    "{%p endfor %} {%tr endfor %} ]]> <![CDATA[ x",
]
RTL = "שלום עולם مرحبا بالعالم"
EMOJI = "Rocket 🚀 Coffee ☕ Family 👨‍👩‍👧"
LONG = ("Very Long Entity Name " * 460)[:10_000]


def _all_text(docx: bytes) -> str:
    doc = Document(io.BytesIO(docx))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(c.text for c in row.cells)
    for section in doc.sections:
        parts.extend(p.text for p in section.header.paragraphs)
    return "\n".join(parts)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _oa(**changes: object) -> dict:
    sample = copy.deepcopy(registry.template("operating-agreement").sample)
    sample.update(changes)
    return sample


@pytest.mark.parametrize("value", [*HOSTILE_ASCII, RTL, EMOJI, LONG])
def test_hostile_values_render_as_literal_text(value: str, converter: PdfConverter) -> None:
    ctx = _oa(entity_name=value)
    ctx["members"][0]["name"] = value
    ctx["members"][1]["address"] = value + "\nline two\x00\x0b\x1f"
    docx = render_docx(registry.template_bytes("operating-agreement"), ctx)
    with zipfile.ZipFile(io.BytesIO(docx)) as z:  # a valid package
        assert z.testzip() is None
    text = _all_text(docx)
    assert value in text  # body, table cell and header all carry the literal value
    assert "INJECT" not in text.replace(value, "")  # the Jinja in the value never ran
    assert "49" not in text.replace(value, "")
    assert "\x00" not in text and "\x0b" not in text
    pdf = converter.convert(docx)
    assert pdf_opens(pdf)
    pdf_txt = _norm(pdf_text(pdf))
    if value is RTL:
        # pypdf returns RTL runs in visual order; check each word, in either direction.
        for word in value.split():
            assert word in pdf_txt or word[::-1] in pdf_txt
    elif value is EMOJI:
        assert "Rocket" in pdf_txt and "Coffee" in pdf_txt  # no emoji font here; the rest must survive
    elif value is LONG:
        assert pdf_txt.count("Very Long Entity Name") > 400
    else:
        assert _norm(value) in pdf_txt


def test_values_are_never_reparsed_as_jinja() -> None:
    ctx = _oa(entity_name="{{ state }}")
    ctx["registered_agent"]["name"] = "{% for x in members %}X{% endfor %}"
    text = _all_text(render_docx(registry.template_bytes("operating-agreement"), ctx))
    assert "The name of the Company is {{ state }}," in text
    assert "{% for x in members %}X{% endfor %}" in text


def test_missing_field_names_it() -> None:
    ctx = _oa()
    del ctx["registered_agent"]
    with pytest.raises(TemplateFieldMissing) as exc:
        render_docx(registry.template_bytes("operating-agreement"), ctx)
    assert exc.value.field == "registered_agent"
    ctx = _oa()
    del ctx["members"][0]["capital"]
    with pytest.raises(TemplateFieldMissing) as exc:
        render_docx(registry.template_bytes("operating-agreement"), ctx)
    assert exc.value.field == "capital"
    flsa = copy.deepcopy(registry.template("flsa-audit-report").sample)
    del flsa["sections"]["remediation_plan"]
    with pytest.raises(TemplateFieldMissing) as exc:
        render_docx(registry.template_bytes("flsa-audit-report"), flsa)
    assert exc.value.field == "remediation_plan"


def test_syntax_error_is_a_template_error_with_context(docx_factory: Callable[..., bytes]) -> None:
    broken = docx_factory("Intro paragraph", "Hello {{ name ", "{% if x %}never closed")
    with pytest.raises(TemplateError) as exc:
        render_docx(broken, {"name": "n", "x": True})
    assert not isinstance(exc.value, TemplateFieldMissing)
    assert "syntax" in str(exc.value)


def test_sandbox_blocks_unsafe_attribute_access(docx_factory: Callable[..., bytes]) -> None:
    evil = docx_factory("{{ name.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(TemplateError):
        render_docx(evil, {"name": "x"})


def test_multiline_sections_become_paragraphs() -> None:
    # Plain text (older callers) is given as content by compliance_context; here the content shape directly.
    sample = copy.deepcopy(registry.template("flsa-audit-report").sample)
    sample["sections"]["executive_summary"] = {"blocks": [
        {"type": "paragraph", "text": "First para & <more>."}, {"type": "paragraph", "text": "Second para."}]}
    doc = Document(io.BytesIO(render_docx(registry.template_bytes("flsa-audit-report"), sample)))
    texts = [p.text for p in doc.paragraphs]
    assert "First para & <more>." in texts and "Second para." in texts
    assert declared_fields(registry.template_bytes("flsa-audit-report")) >= {"sections", "roles"}
