"""Report layout over every service's sample report: no line breaks inside justified paragraphs (Word and
LibreOffice stretch the words of a justified line that ends in a manual break across the whole width: the
"stretched lines" of the issue), and every numbered list starts at 1 (a list that shares its numbering instance
with an earlier one continues its count: 4, 5, 6). Independent of each service's headings and wording: the checks
read the rendered DOCX's XML (document, styles, numbering) and the PDF LibreOffice makes of it."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from lxml import etree

from pwcore.clients.libreoffice import PdfConverter
from pwcore.compliance import services
from pwcore.compliance.structured import NumberedList, Paragraph, SectionContent
from pwcore.documents import context as ctx
from pwcore.documents import registry
from pwcore.documents.pdf_check import pdf_text
from pwcore.documents.render import render_docx
from pwdev import samples

SERVICES = [s.service_type for s in services.all_services()]
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
BLANK_BREAK_TYPES = {None, "textWrapping"}  # a line break; "page" and "column" are layout, not a stretched line


def _xml(docx: bytes, name: str) -> Any:
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        return etree.fromstring(z.read(name)) if name in z.namelist() else None


def _val(node: Any, path: str) -> str | None:
    found = node.find(path) if node is not None else None
    return found.get(W + "val") if found is not None else None


def _text(p: Any) -> str:
    return " ".join("".join(t.text or "" for t in p.iter(W + "t")).split())


class _Styles:
    """Paragraph properties as Word resolves them: direct, else the style and its basedOn chain, else defaults."""

    def __init__(self, docx: bytes) -> None:
        root = _xml(docx, "word/styles.xml")
        self.styles = {s.get(W + "styleId"): s for s in root.iter(W + "style")} if root is not None else {}
        self.defaults = root.find(f"{W}docDefaults/{W}pPrDefault/{W}pPr") if root is not None else None
        default = [s for s in self.styles.values() if s.get(W + "type") == "paragraph" and s.get(W + "default") == "1"]
        self.default_style = default[0].get(W + "styleId") if default else None

    def _chain(self, style_id: str | None) -> list[Any]:
        out, seen = [], set()
        while style_id and style_id in self.styles and style_id not in seen:
            seen.add(style_id)
            out.append(self.styles[style_id].find(W + "pPr"))
            style_id = _val(self.styles[style_id], W + "basedOn")
        return out

    def resolve(self, p: Any, tag: str) -> Any:
        ppr = p.find(W + "pPr")
        direct = ppr.find(W + tag) if ppr is not None else None
        if direct is not None:
            return direct
        for style_ppr in self._chain(_val(ppr, W + "pStyle") or self.default_style):
            found = style_ppr.find(W + tag) if style_ppr is not None else None
            if found is not None:
                return found
        return self.defaults.find(W + tag) if self.defaults is not None else None


def stretched_lines(docx: bytes) -> list[str]:
    """The justified paragraphs (w:jc both/distribute, direct or by style) that hold a line break."""
    styles = _Styles(docx)
    found = []
    for p in _xml(docx, "word/document.xml").iter(W + "p"):
        jc = styles.resolve(p, "jc")
        if jc is None or jc.get(W + "val") not in ("both", "distribute"):
            continue
        if any(br.get(W + "type") in BLANK_BREAK_TYPES for br in p.iter(W + "br")):
            found.append(_text(p)[:60])
    return found


@dataclass
class ListRun:
    first: int  # the number Word shows on the first item
    items: list[str]


def numbered_lists(docx: bytes) -> list[ListRun]:
    """The numbered lists (decimal, roman, letters: not bullets) as Word counts them. A list = consecutive items of
    one numbering instance and level; counts are kept per abstract numbering and level, as Word keeps them, and a
    w:num's lvlOverride/startOverride restarts the count where that instance is first used."""
    styles = _Styles(docx)
    numbering = _xml(docx, "word/numbering.xml")
    if numbering is None:
        return []
    nums = {n.get(W + "numId"): n for n in numbering.iter(W + "num")}
    abstracts = {a.get(W + "abstractNumId"): a for a in numbering.iter(W + "abstractNum")}
    counters: dict[tuple[str, int], int] = {}
    started: set[str] = set()
    lists: list[ListRun] = []
    previous: tuple[str, int] | None = None
    for p in _xml(docx, "word/document.xml").iter(W + "p"):
        num_pr = styles.resolve(p, "numPr")
        num_id = _val(num_pr, W + "numId")
        if num_id in (None, "0") or num_id not in nums:
            if _text(p):
                previous = None  # a paragraph of text between items ends a list
            continue
        ilvl = int(_val(num_pr, W + "ilvl") or 0)
        abstract_id = _val(nums[num_id], W + "abstractNumId") or ""
        lvl = next((lv for lv in abstracts[abstract_id].iter(W + "lvl") if lv.get(W + "ilvl") == str(ilvl)), None)
        if _val(lvl, W + "numFmt") in (None, "bullet", "none"):
            continue
        key = (abstract_id, ilvl)
        if num_id not in started:
            started.add(num_id)
            override = next((o for o in nums[num_id].iter(W + "lvlOverride") if o.get(W + "ilvl") == str(ilvl)), None)
            restart = _val(override, W + "startOverride")
            if restart is not None:
                counters[key] = int(restart) - 1
        counters[key] = counters.get(key, int(_val(lvl, W + "start") or 1) - 1) + 1
        for deeper in [k for k in counters if k[0] == abstract_id and k[1] > ilvl]:
            del counters[deeper]  # a lower level restarts under each new item
        if previous == (num_id, ilvl) and lists:
            lists[-1].items.append(_text(p))
        else:
            lists.append(ListRun(counters[key], [_text(p)]))
        previous = (num_id, ilvl)
    return lists


def _report_docx(service: str, sections: dict[str, Any] | None = None) -> bytes:
    context = ctx.compliance_context(samples.compliance_order(service), samples.CUSTOMER,
                                     sections if sections is not None else samples.SECTIONS[service],
                                     as_of=samples.SAMPLE_DATE)
    return render_docx(registry.template_bytes(samples.SLUGS[service]), context)


def _with_breaks(service: str) -> dict[str, Any]:
    """The sample sections, each opening with a paragraph whose text holds line breaks (a model may write them)."""
    out: dict[str, Any] = {}
    for key, raw in samples.SECTIONS[service].items():
        content = SectionContent.from_text(raw) if isinstance(raw, str) else SectionContent.model_validate(raw)
        broken = Paragraph(type="paragraph", text="A first line of the answer.\nA second line.\r\nA third line.")
        out[key] = content.model_copy(update={"blocks": [broken, *content.blocks]}).model_dump(mode="json")
    return out


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("variant", ["sample", "breaks in the answer"])
def test_no_line_break_inside_a_justified_paragraph(service: str, variant: str) -> None:
    docx = _report_docx(service, _with_breaks(service) if variant != "sample" else None)
    assert stretched_lines(docx) == []


def _with_more_lists(service: str) -> dict[str, Any]:
    """The sample sections, each with two more numbered lists apart (as a model may answer): each must restart."""
    out: dict[str, Any] = {}
    for key, raw in samples.SECTIONS[service].items():
        content = SectionContent.from_text(raw) if isinstance(raw, str) else SectionContent.model_validate(raw)
        extra = [NumberedList(type="numbered", items=[f"Step {key} alpha first", f"Step {key} alpha second"]),
                 Paragraph(type="paragraph", text="Between the two lists."),
                 NumberedList(type="numbered", items=[f"Step {key} beta first", f"Step {key} beta second"])]
        out[key] = content.model_copy(update={"blocks": [*content.blocks, *extra]}).model_dump(mode="json")
    return out


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("variant", ["sample", "more lists"])
def test_every_numbered_list_starts_at_one(service: str, variant: str, converter: PdfConverter) -> None:
    docx = _report_docx(service, _with_more_lists(service) if variant == "more lists" else None)
    lists = numbered_lists(docx)
    if variant == "more lists":
        assert len(lists) >= 2 * len(samples.SECTIONS[service])
    assert [(n.first, n.items[0][:40]) for n in lists if n.first != 1] == []
    # LibreOffice agrees: in the PDF each list's first item carries the number 1 (its own counting, not ours).
    text = " ".join(pdf_text(converter.convert(docx)).split())
    for n in lists:
        head = re.escape(" ".join(n.items[0].split()[:4]))
        assert re.search(rf"(?<![\d.])1[.)]\s*{head}", text), n.items[0][:60]


# --- the checks themselves find what they look for -------------------------------------------------------


def _docx(build: Any) -> bytes:
    doc = Document()
    build(doc)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _restart(doc: Any, paragraph: Any) -> None:
    """A new numbering instance of the ListNumber list, restarting at 1 (what section_blocks does per list)."""
    numbering = doc.part.numbering_part.element
    style_num = doc.styles["List Number"].element.pPr.numPr.numId.val
    abstract = numbering.num_having_numId(style_num).abstractNumId.val
    num = numbering.add_num(abstract)
    override = num.add_lvlOverride(ilvl=0)
    override.add_startOverride(1)
    num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
    num_pr.get_or_add_ilvl().val = 0
    num_pr.get_or_add_numId().val = num.numId


def test_the_checks_catch_a_stretched_line_and_a_continued_list() -> None:
    def bad(doc: Any) -> None:
        p = doc.add_paragraph("First line of a justified paragraph")
        p.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        p.add_run().add_break()  # a line break
        p.add_run("second line")
        ok = doc.add_paragraph("Justified with a page break only")
        ok.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        ok.add_run().add_break(WD_BREAK.PAGE)
        doc.add_paragraph("Left aligned").add_run().add_break()
        for item in ("alpha one", "alpha two"):
            doc.add_paragraph(item, style="List Number")
        doc.add_paragraph("Text between the lists.")
        for item in ("beta one", "beta two"):
            doc.add_paragraph(item, style="List Number")  # same instance: Word shows 3, 4

    docx = _docx(bad)
    [found] = stretched_lines(docx)  # the page break and the left-aligned paragraph are fine
    assert found.startswith("First line of a justified paragraph")
    lists = numbered_lists(docx)
    assert [(n.first, n.items) for n in lists] == [(1, ["alpha one", "alpha two"]), (3, ["beta one", "beta two"])]

    def good(doc: Any) -> None:
        for item in ("alpha one", "alpha two"):
            doc.add_paragraph(item, style="List Number")
        doc.add_paragraph("Text between the lists.")
        first = doc.add_paragraph("beta one", style="List Number")
        _restart(doc, first)
        second = doc.add_paragraph("beta two", style="List Number")
        second._p.get_or_add_pPr().append(etree.fromstring(etree.tostring(first._p.pPr.numPr)))

    assert [n.first for n in numbered_lists(_docx(good))] == [1, 1]
