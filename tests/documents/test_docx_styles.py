"""Unused style definitions leave the rendered DOCX; everything it uses (and what that builds on) stays, and the
PDF reads the same."""

from __future__ import annotations

import io
import re
import zipfile

from docx import Document

from pwcore.clients.libreoffice import PdfConverter
from pwcore.documents import registry
from pwcore.documents.docx_styles import STYLES_WITH_EFFECTS, prune_styles
from pwcore.documents.pdf_check import pdf_text
from pwcore.documents.render import render_docx

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def style_ids(data: bytes) -> set[str]:
    styles = zipfile.ZipFile(io.BytesIO(data)).read("word/styles.xml").decode()
    return set(re.findall(r'<w:style [^>]*w:styleId="([^"]+)"', styles))


def referenced(data: bytes) -> set[str]:
    z = zipfile.ZipFile(io.BytesIO(data))
    refs: set[str] = set()
    for name in z.namelist():
        if name.startswith("word/") and name.endswith(".xml") and name != "word/styles.xml":
            refs |= set(re.findall(r'<w:(?:pStyle|rStyle|tblStyle) w:val="([^"]+)"', z.read(name).decode()))
    return refs


def test_a_document_keeps_its_styles_their_chains_and_the_defaults() -> None:
    doc = Document()
    doc.add_paragraph("Heading", style="Heading 1")  # basedOn Normal, next Normal, linked to Heading1Char
    doc.add_paragraph("Body")
    before = len(doc.styles)
    removed = prune_styles(doc)
    out = io.BytesIO()
    doc.save(out)
    ids = style_ids(out.getvalue())
    assert {"Heading1", "Normal", "Heading1Char", "DefaultParagraphFont", "TableNormal"} <= ids
    assert "Title" not in ids and "Quote" not in ids
    assert "ListBullet" in ids  # the default numbering.xml's bullet list names it
    assert removed == before - len(ids) and removed > 100
    saved = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    assert "word/stylesWithEffects.xml" not in saved.namelist()
    assert STYLES_WITH_EFFECTS not in saved.read("word/_rels/document.xml.rels").decode()
    assert b"<w:latentStyles" in saved.read("word/styles.xml")


def test_a_rendered_agreement_defines_every_style_it_uses_and_reads_as_before(converter: PdfConverter) -> None:
    name = "operating-agreement"
    rendered = render_docx(registry.template_bytes(name), registry.template(name).sample)
    assert referenced(rendered) <= style_ids(rendered)
    assert len(style_ids(rendered)) < 40 < len(style_ids(registry.template_bytes(name)))
    # The same document with the template's other styles put back converts to the same text.
    unpruned = Document(io.BytesIO(rendered))
    template_styles = Document(io.BytesIO(registry.template_bytes(name))).styles.element
    kept = {s.get(f"{{{W}}}styleId") for s in unpruned.styles.element.iterchildren(f"{{{W}}}style")}
    for style in template_styles.iterchildren(f"{{{W}}}style"):
        if style.get(f"{{{W}}}styleId") not in kept:
            unpruned.styles.element.append(style)
    full = io.BytesIO()
    unpruned.save(full)
    assert len(style_ids(full.getvalue())) > 100
    assert pdf_text(converter.convert(rendered)) == pdf_text(converter.convert(full.getvalue()))
