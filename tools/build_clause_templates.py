"""Compile the clause library (templates/clauses/<document-id>/) into docxtpl DOCX templates.

    .venv/bin/python tools/build_clause_templates.py                 # write every document
    .venv/bin/python tools/build_clause_templates.py --check         # exit 1 if a compiled file is stale
    .venv/bin/python tools/build_clause_templates.py operating-agreement --out /tmp/x

Output goes to templates/compiled/<filename>.docx by default: templates/operating-agreement.docx is still
produced by tools/make_templates.py and read by generate-doc, so the clause-built documents live beside it
until generate-doc switches over (then pass --out templates).

House style comes from tools/make_templates.py (fonts, header with the entity name and the title, footer
with "Page X of Y", tables, fixed zip timestamps). Added here: Word automatic multilevel list numbering
("Article 1.", "1.1", "(a)") so a clause left out by a condition leaves no gap; whole-paragraph Jinja
control lines become docxtpl `{%p %}` paragraphs, table loops `{%tr %}` rows of their own; every `{{ }}`
is written inside one run (emphasis markers inside tags are refused by the parser).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT / "shared", ROOT / "tools"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from docx.enum.text import WD_ALIGN_PARAGRAPH  # noqa: E402
from docx.oxml import parse_xml  # noqa: E402
from docx.oxml.ns import nsdecls, qn  # noqa: E402
from docx.shared import Inches, Pt  # noqa: E402
from docx.text.paragraph import Paragraph  # noqa: E402
from make_templates import GRAY, HEAD_FONT, NAVY, Builder  # noqa: E402

from pwcore.documents import clauses as cl  # noqa: E402

LIBRARY = ROOT / "templates" / "clauses"
DEFAULT_OUT = ROOT / "templates" / "compiled"

# Numbering ids well above the ones python-docx's default template defines.
OUTLINE_ABSTRACT, OUTLINE_NUM = 90, 90
BULLET_ABSTRACT, BULLET_NUM = 91, 91
LETTER_ABSTRACT = 92  # standalone "(a)" lists outside a section; one w:num per list so each restarts
FIRST_LETTER_NUM = 100


def _lvl(
    ilvl: int,
    fmt: str,
    text: str,
    left: int,
    hanging: int,
    *,
    bold: bool,
    head: bool = False,
    legal: bool = False,
    suff: str = "tab",
    tab: int | None = None,
) -> str:
    font = f'<w:rFonts w:ascii="{HEAD_FONT}" w:hAnsi="{HEAD_FONT}" w:cs="{HEAD_FONT}"/>' if head else ""
    color = f'<w:color w:val="{NAVY}"/>' if head else ""
    tabs = f'<w:tabs><w:tab w:val="num" w:pos="{tab}"/></w:tabs>' if tab else ""
    return (
        f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
        + ("<w:isLgl/>" if legal else "")
        + f'<w:suff w:val="{suff}"/><w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/>'
        f'<w:pPr>{tabs}<w:ind w:left="{left}" w:hanging="{hanging}"/></w:pPr>'
        f"<w:rPr>{font}{'<w:b/>' if bold else ''}{color}</w:rPr></w:lvl>"
    )


def _abstract(aid: int, levels: str) -> str:
    return (
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{aid}">'
        f'<w:multiLevelType w:val="multilevel"/>{levels}</w:abstractNum>'
    )


class ClauseBuilder(Builder):
    """make_templates' Builder plus numbered articles/sections/items, bullets and signature blocks."""

    def __init__(self, spec: cl.DocumentSpec) -> None:
        super().__init__(spec.id.replace("-", " ").title(), spec.header, spec.title, spec.footer)
        self._letter_nums = FIRST_LETTER_NUM
        self._numbering()

    def _numbering(self) -> None:
        numbering = self.doc.part.numbering_part.element
        outline = _abstract(
            OUTLINE_ABSTRACT,
            _lvl(0, "decimal", "Article %1.", 0, 0, bold=True, head=True, suff="space")
            + _lvl(1, "decimal", "%1.%2", 720, 720, bold=True, legal=True, tab=720)
            + _lvl(2, "lowerLetter", "(%3)", 1080, 360, bold=False, tab=1080),
        )
        bullet = _abstract(BULLET_ABSTRACT, _lvl(0, "bullet", "\u2022", 1080, 360, bold=False, tab=1080))
        letters = _abstract(LETTER_ABSTRACT, _lvl(0, "lowerLetter", "(%1)", 720, 360, bold=False, tab=720))
        first_num = numbering.find(qn("w:num"))
        for xml in (outline, bullet, letters):
            el = parse_xml(xml)
            if first_num is not None:
                first_num.addprevious(el)
            else:
                numbering.append(el)
        for nid, aid in ((OUTLINE_NUM, OUTLINE_ABSTRACT), (BULLET_NUM, BULLET_ABSTRACT)):
            xml = f'<w:num {nsdecls("w")} w:numId="{nid}"><w:abstractNumId w:val="{aid}"/></w:num>'
            numbering.append(parse_xml(xml))

    def _new_letter_list(self) -> int:
        nid = self._letter_nums
        self._letter_nums += 1
        self.doc.part.numbering_part.element.append(
            parse_xml(
                f'<w:num {nsdecls("w")} w:numId="{nid}"><w:abstractNumId w:val="{LETTER_ABSTRACT}"/>'
                '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride></w:num>'
            )
        )
        return nid

    @staticmethod
    def _num(para: Paragraph, num_id: int, ilvl: int) -> None:
        # get_or_add_numPr puts w:numPr where the schema wants it (after pStyle/keepNext, before jc);
        # an appended numPr after w:jc is what makes Word report "unreadable content".
        num_pr = para._p.get_or_add_pPr().get_or_add_numPr()
        num_pr.get_or_add_ilvl().val = ilvl
        num_pr.get_or_add_numId().val = num_id

    @staticmethod
    def runs(para: Paragraph, text: str, *, bold: bool = False, size: float | None = None) -> None:
        for seg, b, it in cl.split_emphasis(text):
            r = para.add_run(seg)
            r.bold = b or bold
            r.italic = it
            if size:
                r.font.size = Pt(size)

    def article(self, text: str) -> None:
        para = self.doc.add_paragraph(style="Heading 1")
        self._num(para, OUTLINE_NUM, 0)
        self.runs(para, text)

    def section(self, heading: str, text: str) -> None:
        para = self.doc.add_paragraph()
        para.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        self._num(para, OUTLINE_NUM, 1)
        self.runs(para, heading, bold=True)
        if text:
            para.add_run(" ")
            self.runs(para, text)

    def body(self, text: str, style: str = "body") -> None:
        para = self.doc.add_paragraph()
        para.alignment = {"center": WD_ALIGN_PARAGRAPH.CENTER, "right": WD_ALIGN_PARAGRAPH.RIGHT}.get(
            style, WD_ALIGN_PARAGRAPH.JUSTIFY
        )
        self.runs(para, text)

    def item(self, text: str, num_id: int, ilvl: int) -> None:
        para = self.doc.add_paragraph()
        para.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        para.paragraph_format.space_after = Pt(4)
        self._num(para, num_id, ilvl)
        self.runs(para, text)

    def line(self, text: str, *, bold: bool = False, keep: bool = True, gray: bool = False, before: float = 0) -> None:
        para = self.doc.add_paragraph()
        para.paragraph_format.space_after = Pt(0)
        para.paragraph_format.keep_with_next = keep
        if before:
            para.paragraph_format.space_before = Pt(before)
        self.runs(para, text, bold=bold)
        if gray:
            for r in para.runs:
                r.font.color.rgb = GRAY

    def signature_block(self, variable: str, one: bool) -> None:
        """Person: line / name / capacity / date. Entity: NAME / capacity / By: line / Name / Title / date."""
        if one:
            self.tag(f"{{%p for sig in [{variable}] %}}")
        else:
            self.tag(f"{{%p for sig_item in {variable} %}}")
            self.tag("{%p set sig = sig_item.signer %}")
        self.tag("{%p if sig.is_entity %}")
        self.line("{{ sig.name }}", bold=True, before=20)
        self.tag("{%p if sig.capacity is defined and sig.capacity %}")
        self.line("{{ sig.capacity }}", gray=True)
        self.tag("{%p endif %}")
        self.line("By: " + "_" * 36, before=16)
        # a signatory not yet known is a blank to fill in, never a placeholder printed as a name
        self.line("Name: {% if sig.by_name %}{{ sig.by_name }}{% else %}" + "_" * 34 + "{% endif %}")
        self.line("Title: {{ sig.by_title }}")
        self.tag("{%p else %}")
        self.line("_" * 40, before=30)
        self.line("{{ sig.name }}", bold=True)
        self.tag("{%p if sig.capacity is defined and sig.capacity %}")
        self.line("{{ sig.capacity }}", gray=True)
        self.tag("{%p endif %}")
        self.tag("{%p endif %}")
        self.line("Date: ____________________", keep=False)
        self.tag("{%p endfor %}")


def _right_columns(cells: Sequence[str]) -> tuple[int, ...]:
    keys = ("pct", "capital", "shares", "consideration", "amount")
    return tuple(i for i, c in enumerate(cells) if any(k in c for k in keys))


def compile_document(spec: cl.DocumentSpec) -> bytes:
    b = ClauseBuilder(spec)
    b.title(spec.title)
    for sub in spec.subtitle:
        para = b.doc.add_paragraph(style="Subtitle")
        b.runs(para, sub)
    in_section = False
    letter_num: int | None = None
    for cf in spec.files:
        if cf.when:
            b.tag(f"{{%p if {cf.when} %}}")
        for block in cf.blocks:
            # a lettered list continues across control tags and a table or facts block inside an item
            if not isinstance(block, cl.Item | cl.Control | cl.Table | cl.Facts):
                letter_num = None
            if isinstance(block, cl.Article):
                in_section = False
                b.article(block.text)
            elif isinstance(block, cl.Section):
                in_section = True
                b.section(block.heading, block.text)
            elif isinstance(block, cl.Para):
                b.body(block.text, block.style)
            elif isinstance(block, cl.Item):
                if in_section:
                    b.item(block.text, OUTLINE_NUM, 2)
                else:
                    if letter_num is None:
                        letter_num = b._new_letter_list()
                    b.item(block.text, letter_num, 0)
            elif isinstance(block, cl.Bullet):
                b.item(block.text, BULLET_NUM, 0)
            elif isinstance(block, cl.Control):
                b.tag(f"{{%p {block.tag} %}}")
            elif isinstance(block, cl.Table):
                n = len(block.headers)
                widths = list(block.widths or [round(6.5 / n, 2)] * n)
                b.table(
                    list(block.headers),
                    list(block.cells),
                    widths,
                    loop=f"row in {block.loop}",
                    totals=list(block.total) if block.total else None,
                    right=_right_columns(block.cells),
                )
            elif isinstance(block, cl.Facts):
                b.facts(list(block.rows))
            elif isinstance(block, cl.Signature):
                b.signature_block(block.variable, block.one)
            elif isinstance(block, cl.PageBreak):
                b.page_break()
        if cf.when:
            b.tag("{%p endif %}")
    # The last paragraph must not be a {%p %} tag paragraph alone in a table-less body end: docxtpl keeps
    # sectPr in the body, so an empty closing paragraph is harmless and keeps Word happy.
    b.doc.add_paragraph().paragraph_format.space_after = Inches(0)
    return b.bytes()


def build(names: Sequence[str] = (), library: Path = LIBRARY) -> dict[str, bytes]:
    specs = cl.library_documents(library)
    if names:
        unknown = set(names) - {s.id for s in specs}
        if unknown:
            raise SystemExit(f"unknown documents: {sorted(unknown)}")
        specs = [s for s in specs if s.id in names]
    return {f"{s.filename}.docx": compile_document(s) for s in specs}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("documents", nargs="*", help="document ids (default: all)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--check", action="store_true", help="exit 1 if a compiled file differs")
    args = ap.parse_args(argv)
    try:
        files = build(args.documents)
    except cl.ClauseSyntaxError as exc:
        print(f"clause error: {exc}", file=sys.stderr)
        return 2
    stale = []
    for name, data in files.items():
        path = args.out / name
        if args.check:
            if not path.exists() or path.read_bytes() != data:
                stale.append(name)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    if stale:
        print(f"stale (run tools/build_clause_templates.py): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
