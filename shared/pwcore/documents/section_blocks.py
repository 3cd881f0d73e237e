"""Structured LLM sections (pwcore.compliance.structured) as real WordprocessingML: one Word paragraph per
paragraph block, list paragraphs on the template's "List Bullet" / "List Number" styles (each numbered list
restarts at 1 through a numbering instance of its own), tables on "Table Grid" with a shaded, repeated header
row, and findings as a table. No text ever carries line breaks inside a justified paragraph.

The deterministic parts of a report (pwcore.compliance.analysis.parts: the analysis tables, checklists and the
sources appendix) are rendered the same way, with `{{p parts.<key> }}`.

A template places a section with `{{p sections.<key> }}` in a paragraph of its own: docxtpl replaces that
paragraph with the XML of `SectionXml`, which autoescaping passes through because it has `__html__`. Every text
is XML-escaped here (characters XML forbids were stripped by pwcore.documents.render.sanitize before).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any
from xml.sax.saxutils import escape

from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn

from pwcore.compliance.analysis.parts import (
    Part,
    PartBullets,
    PartNumbered,
    PartParagraph,
    PartSubheading,
    PartTable,
)
from pwcore.compliance.structured import BulletList, NumberedList, Paragraph, SectionContent, Table

TEXT_WIDTH_TWIPS = 9360  # 6.5 inches: the templates' text width (tools/make_templates.py)
HEADER_FILL = "DCE3EE"
FINDING_HEADERS = ("Priority", "Requirement", "Gap", "Action", "Owner", "Due")
FINDING_WIDTHS = (0.8, 1.5, 1.4, 1.5, 0.8, 0.8)  # inches, 6.8 -> scaled to the text width


def _run(text: str, *, bold: bool = False, size_half_points: int | None = None) -> str:
    props = ("<w:b/>" if bold else "") + (f'<w:sz w:val="{size_half_points}"/>' if size_half_points else "")
    rpr = f"<w:rPr>{props}</w:rPr>" if props else ""
    # \a (docxtpl's paragraph mark, kept by sanitize) is not XML; line breaks inside a block are spaces.
    flat = " ".join(text.replace("\a", " ").split())
    return f'<w:r>{rpr}<w:t xml:space="preserve">{escape(flat)}</w:t></w:r>'


def _para(text: str, *, style: str | None = None, num_id: int | None = None, justify: bool = True,
          bold: bool = False, size: int | None = None, keep_next: bool = False) -> str:
    ppr = ""
    if style:
        ppr += f'<w:pStyle w:val="{style}"/>'
    if keep_next:
        ppr += "<w:keepNext/>"
    if num_id is not None:
        ppr += f'<w:numPr><w:ilvl w:val="0"/><w:numId w:val="{num_id}"/></w:numPr>'
    # Justified prose; list items and cells align left (short lines would stretch).
    ppr += f'<w:jc w:val="{"both" if justify else "left"}"/>'
    return f"<w:p><w:pPr>{ppr}</w:pPr>{_run(text, bold=bold, size_half_points=size)}</w:p>"


def _table(headers: list[str] | tuple[str, ...], rows: list[list[str]],
           widths: tuple[float, ...] | list[float] | None = None) -> str:
    n = len(headers)
    weights = widths or tuple(1.0 for _ in headers)
    total = sum(weights)
    twips = [int(TEXT_WIDTH_TWIPS * w / total) for w in weights]
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in twips)

    def cell(text: str, width: int, header: bool) -> str:
        shade = f'<w:shd w:val="clear" w:color="auto" w:fill="{HEADER_FILL}"/>' if header else ""
        return (f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{shade}</w:tcPr>'
                f"{_para(text, justify=False, bold=header, size=18)}</w:tc>")

    head = ("<w:tr><w:trPr><w:tblHeader/><w:cantSplit/></w:trPr>"
            + "".join(cell(h, twips[i], True) for i, h in enumerate(headers)) + "</w:tr>")
    body = "".join("<w:tr><w:trPr><w:cantSplit/></w:trPr>"
                   + "".join(cell(row[i] if i < len(row) else "", twips[i], False) for i in range(n)) + "</w:tr>"
                   for row in rows)
    props = ('<w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="0" w:type="auto"/>'
             '<w:tblLayout w:type="fixed"/></w:tblPr>')
    # An empty paragraph after the table keeps two consecutive tables apart (Word would merge them).
    return f"<w:tbl>{props}<w:tblGrid>{grid}</w:tblGrid>{head}{body}</w:tbl>{_para('', justify=False, size=8)}"


class Numbering:
    """New numbering instances in the document's numbering part, so each numbered list starts at 1."""

    def __init__(self, docx: Any) -> None:
        self._docx = docx
        self._abstract: str | None = None
        self._part: Any = None

    def _setup(self) -> None:
        styles = self._docx.styles
        style = styles["List Number"] if "List Number" in [s.name for s in styles] else None
        num_pr = style.element.pPr.numPr if style is not None and style.element.pPr is not None else None
        if num_pr is None or num_pr.numId is None:
            raise ValueError("the template has no 'List Number' style with numbering")
        self._part = self._docx.part.numbering_part.element
        base_id = str(num_pr.numId.val)
        for num in self._part.findall(qn("w:num")):
            if num.get(qn("w:numId")) == base_id:
                self._abstract = num.find(qn("w:abstractNumId")).get(qn("w:val"))
        if self._abstract is None:
            raise ValueError(f"numbering instance {base_id} of 'List Number' is missing")

    def restart(self) -> int:
        if self._part is None:
            self._setup()
        used = [int(n.get(qn("w:numId"))) for n in self._part.findall(qn("w:num"))]
        new_id = max(used, default=0) + 1
        num = parse_xml(
            f'<w:num {nsdecls("w")} w:numId="{new_id}"><w:abstractNumId w:val="{self._abstract}"/>'
            '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride></w:num>'
        )
        self._part.append(copy.deepcopy(num))
        return new_id


def _bullets(items: Iterable[str]) -> list[str]:
    return [_para(item, style="ListBullet", justify=False) for item in items]


def _numbered(items: Iterable[str], numbering: Numbering) -> list[str]:
    """A numbered list on a numbering instance of its own, so it starts at 1."""
    num_id = numbering.restart()
    return [_para(item, style="ListNumber", num_id=num_id, justify=False) for item in items]


def findings_table(findings: list[dict[str, Any]] | list[Any]) -> str:
    rows = []
    for f in findings:
        d = f if isinstance(f, dict) else f.model_dump()
        rows.append([d["priority"], f'{d["requirement"]} ({d["authority"]})', d["gap"], d["action"], d["owner"],
                     d["due"]])
    return _table(FINDING_HEADERS, rows, FINDING_WIDTHS)


def section_xml(content: SectionContent, numbering: Numbering, *, print_findings: bool = True) -> str:
    parts: list[str] = []
    for block in content.blocks:
        if isinstance(block, Paragraph):
            parts.append(_para(block.text))
        elif isinstance(block, BulletList):
            parts.extend(_bullets(block.items))
        elif isinstance(block, NumberedList):
            parts.extend(_numbered(block.items, numbering))
        elif isinstance(block, Table):
            parts.append(_table(block.headers, [list(r) for r in block.rows]))
    if print_findings and content.findings:
        parts.append(_para("Findings", bold=True, justify=False, keep_next=True))
        parts.append(findings_table(list(content.findings)))
    return "".join(parts)


def part_xml(content: Part, numbering: Numbering) -> str:
    parts: list[str] = []
    for block in content.blocks:
        if isinstance(block, PartParagraph):
            parts.append(_para(block.text, bold=block.bold))
        elif isinstance(block, PartSubheading):
            parts.append(_para(block.text, bold=True, justify=False, keep_next=True))
        elif isinstance(block, PartBullets):
            parts.extend(_bullets(block.items))
        elif isinstance(block, PartNumbered):
            parts.extend(_numbered(block.items, numbering))
        elif isinstance(block, PartTable):
            parts.append(_table(block.headers, block.rows, block.widths))
    return "".join(parts)


class SectionXml:
    """A rendered section for docxtpl: its `__html__` is the WordprocessingML of the blocks."""

    def __init__(self, xml: str) -> None:
        self.xml = xml

    def __html__(self) -> str:
        return self.xml

    def __str__(self) -> str:
        return self.xml


def prepare_sections(docx: Any, sections: dict[str, Any], print_findings: bool = True,
                     numbering: Numbering | None = None) -> dict[str, Any]:
    """The context's `sections` (content dicts) or `parts` (Part dicts) as SectionXml objects for this document."""
    numbering = numbering or Numbering(docx)
    out: dict[str, Any] = {}
    for key, value in sections.items():
        if isinstance(value, dict) and value.get("kind") == "part":
            out[key] = SectionXml(part_xml(Part.model_validate(value), numbering))
        elif isinstance(value, dict) and "blocks" in value:
            content = SectionContent.model_validate(value)
            out[key] = SectionXml(section_xml(content, numbering, print_findings=print_findings))
        else:
            out[key] = value
    return out
