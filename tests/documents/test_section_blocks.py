"""Structured sections rendered as real Word structure: paragraphs, list numbering that restarts, tables,
findings tables; read back from the DOCX XML and from the PDF LibreOffice makes of it."""

from __future__ import annotations

import copy
import io
import re
import zipfile
from typing import Any

from docx import Document

from pwcore.clients.libreoffice import PdfConverter
from pwcore.documents import registry
from pwcore.documents.pdf_check import pdf_text
from pwcore.documents.render import render_docx

CONTENT: dict[str, Any] = {
    "blocks": [
        {"type": "paragraph", "text": "Opening paragraph with a <tag> & an ampersand."},
        {"type": "bullets", "items": ["Bullet alpha", "Bullet beta"]},
        {"type": "numbered", "items": ["Step one of list A", "Step two of list A"]},
        {"type": "paragraph", "text": "Between the lists."},
        {"type": "numbered", "items": ["Step one of list B"]},
        {"type": "table", "headers": ["Role", "Risk"],
         "rows": [["Table role alpha", "High"], ["Table role beta", "Low"]]},
    ],
    "findings": [
        {"requirement": "Salary level test", "gap": "Salary below the threshold", "action": "Reclassify the role",
         "owner": "Payroll", "due": "Within 30 days", "priority": "High", "authority": "29 C.F.R. 541.600"},
    ],
}


def _render() -> bytes:
    sample = copy.deepcopy(registry.template("flsa-audit-report").sample)
    sample["sections"]["classification_analysis"] = CONTENT
    return render_docx(registry.template_bytes("flsa-audit-report"), sample)


def test_blocks_become_paragraphs_lists_and_tables() -> None:
    docx = _render()
    doc = Document(io.BytesIO(docx))
    by_text = {p.text: p for p in doc.paragraphs}
    assert "Opening paragraph with a <tag> & an ampersand." in by_text
    assert by_text["Bullet alpha"].style.name == "List Bullet"
    a1, a2, b1 = (by_text[t] for t in ("Step one of list A", "Step two of list A", "Step one of list B"))
    assert {a1.style.name, b1.style.name} == {"List Number"}
    num = lambda p: p._p.pPr.numPr.numId.val  # noqa: E731
    assert num(a1) == num(a2) != num(b1)  # list B restarts at 1: a numbering instance of its own
    numbering = doc.part.numbering_part.element.xml
    assert re.search(rf'w:numId="{num(b1)}".*?<w:startOverride w:val="1"/>', numbering, re.S)
    tables = [[c.text for c in t.rows[0].cells] for t in doc.tables]
    assert ["Role", "Risk"] in tables
    assert ["Priority", "Requirement", "Gap", "Action", "Owner", "Due"] in tables
    # No line break inside a justified paragraph: every block is a paragraph of its own.
    xml = zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml").decode()
    justified = [p for p in re.findall(r"<w:p>.*?</w:p>", xml, re.S) if '<w:jc w:val="both"/>' in p]
    assert justified and not [p for p in justified if "<w:br" in p]


def test_pdf_reads_the_blocks_in_order(converter: PdfConverter) -> None:
    text = re.sub(r"\s+", " ", pdf_text(converter.convert(_render())))
    order = ["Opening paragraph with a <tag> & an ampersand.", "Bullet alpha", "1. Step one of list A",
             "2. Step two of list A", "Between the lists.", "1. Step one of list B", "Table role alpha",
             "Reclassify the role"]
    positions = [text.find(t) for t in order]
    assert -1 not in positions, [t for t, pos in zip(order, positions, strict=True) if pos < 0]
    assert positions == sorted(positions)
    assert "29 C.F.R. 541.600" in text
