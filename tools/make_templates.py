"""Generate the DOCX templates in templates/ and templates/manifest.json (deterministic output).

    .venv/bin/python tools/make_templates.py            # write templates/
    .venv/bin/python tools/make_templates.py --check    # exit 1 if templates/ differs from the generator

The templates are built with python-docx and carry docxtpl Jinja tags. Rules kept here so the templates
render: `{%tr %}` tags sit in a row of their own, `{%p %}` tags in a paragraph of their own, and every
`{{ }}` tag is written as one run. Sample contexts in the manifest are produced by the real context
builders (pwcore.documents.context) from the sample ERPNext documents in pwdev.samples. Each compliance
report's layout is the ReportSpec in its service folder (pwcore.compliance.services.<service>).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import zipfile
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from pwcore.compliance import services
from pwcore.compliance.services.privacy_policy import analysis as pp_analysis
from pwcore.compliance.services.report_spec import FormTable, ItemList, ReportSpec, TableSpec
from pwcore.documents import context as ctx
from pwcore.documents import formation_docs, formation_set
from pwdev import samples

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "templates"
NAVY = RGBColor(0x1F, 0x38, 0x64)
GRAY = RGBColor(0x59, 0x59, 0x59)
BODY_FONT = "Times New Roman"  # metric-compatible Liberation Serif in LibreOffice
HEAD_FONT = "Arial"
TEXT_WIDTH = Inches(6.5)
FIXED_TIME = datetime(2026, 1, 1, 0, 0, 0)
ZIP_TIME = (2026, 1, 1, 0, 0, 0)


# --- low-level helpers ------------------------------------------------------------------------------


def _set_fonts(style_font: Any, name: str) -> None:
    style_font.name = name
    rpr = style_font.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), name)
    for theme_attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        if rfonts.get(qn(theme_attr)) is not None:
            del rfonts.attrib[qn(theme_attr)]


def _shade(cell: _Cell, fill: str) -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tcpr.append(shd)


def _border_bottom(paragraph: Paragraph, color: str = "1F3864", size: str = "6") -> None:
    ppr = paragraph._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("w:val", "single"), ("w:sz", size), ("w:space", "4"), ("w:color", color)):
        bottom.set(qn(k), v)
    bdr.append(bottom)
    ppr.append(bdr)


def _field(paragraph: Paragraph, instr: str, size: Pt | None = None) -> None:
    """A complex field (PAGE, NUMPAGES) that Word and LibreOffice update when laying out pages."""

    def run_with(el: Any) -> None:
        r = paragraph.add_run()
        if size:
            r.font.size = size
        r._r.append(el)

    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run_with(begin)
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instr} "
    run_with(text)
    sep = OxmlElement("w:fldChar")
    sep.set(qn("w:fldCharType"), "separate")
    run_with(sep)
    r = paragraph.add_run("1")
    if size:
        r.font.size = size
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run_with(end)


def _repeat_header(row: Any) -> None:
    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    trpr.append(el)


def _cant_split(row: Any) -> None:
    trpr = row._tr.get_or_add_trPr()
    trpr.append(OxmlElement("w:cantSplit"))


# --- document builder ---------------------------------------------------------------------------------


class Builder:
    def __init__(self, title: str, header_left: str, header_right: str, footer_left: str) -> None:
        self.doc: DocumentObject = Document()
        self._styles()
        props = self.doc.core_properties
        props.author = "Performance West"
        props.last_modified_by = "Performance West"
        props.title = title
        props.subject = ""
        props.comments = ""
        props.keywords = ""
        props.revision = 1
        props.created = FIXED_TIME
        props.modified = FIXED_TIME
        props.last_printed = FIXED_TIME
        section = self.doc.sections[0]
        section.page_width, section.page_height = Inches(8.5), Inches(11)
        for side in ("left_margin", "right_margin"):
            setattr(section, side, Inches(1))
        section.top_margin, section.bottom_margin = Inches(1), Inches(0.9)
        section.header_distance, section.footer_distance = Inches(0.45), Inches(0.45)
        self._header(header_left, header_right)
        self._footer(footer_left)

    def _styles(self) -> None:
        styles = self.doc.styles
        normal = styles["Normal"]
        _set_fonts(normal.font, BODY_FONT)
        normal.font.size = Pt(11)
        normal.paragraph_format.space_after = Pt(6)
        normal.paragraph_format.line_spacing = 1.15
        for name, size, before, after in (("Heading 1", 13, 18, 6), ("Heading 2", 11.5, 12, 4)):
            st = styles[name]
            _set_fonts(st.font, HEAD_FONT)
            st.font.size = Pt(size)
            st.font.bold = True
            st.font.italic = False
            st.font.color.rgb = NAVY
            st.paragraph_format.space_before = Pt(before)
            st.paragraph_format.space_after = Pt(after)
            st.paragraph_format.keep_with_next = True
        title = styles["Title"]
        _set_fonts(title.font, HEAD_FONT)
        title.font.size = Pt(24)
        title.font.bold = True
        title.font.color.rgb = NAVY
        title.paragraph_format.space_after = Pt(4)
        subtitle = styles["Subtitle"]
        _set_fonts(subtitle.font, HEAD_FONT)
        subtitle.font.size = Pt(13)
        subtitle.font.italic = False
        subtitle.font.color.rgb = GRAY
        _set_fonts(styles["Table Grid"].font, BODY_FONT)

    def _header(self, left: str, right: str) -> None:
        header = self.doc.sections[0].header
        p = header.paragraphs[0]
        # The Header/Footer styles carry a centre tab at 3.25"; clear it so "\t" jumps to the right edge.
        p.paragraph_format.tab_stops.add_tab_stop(Inches(3.25), WD_TAB_ALIGNMENT.CLEAR)
        p.paragraph_format.tab_stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)
        r = p.add_run(left)
        r.bold = True
        r.font.size = Pt(9)
        r.font.color.rgb = NAVY
        r = p.add_run("\t" + right)
        r.font.size = Pt(9)
        r.font.color.rgb = GRAY
        _border_bottom(p, size="4")

    def _footer(self, left: str) -> None:
        footer = self.doc.sections[0].footer
        p = footer.paragraphs[0]
        p.paragraph_format.tab_stops.add_tab_stop(Inches(3.25), WD_TAB_ALIGNMENT.CLEAR)
        p.paragraph_format.tab_stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)
        r = p.add_run(left + "\t")
        r.font.size = Pt(8.5)
        r.font.color.rgb = GRAY
        r = p.add_run("Page ")
        r.font.size = Pt(8.5)
        _field(p, "PAGE", Pt(8.5))
        r = p.add_run(" of ")
        r.font.size = Pt(8.5)
        _field(p, "NUMPAGES", Pt(8.5))

    # blocks
    def title(self, text: str, subtitle: str | None = None) -> None:
        self.doc.add_paragraph(text, style="Title")
        if subtitle:
            self.doc.add_paragraph(subtitle, style="Subtitle")

    def h1(self, text: str) -> None:
        self.doc.add_paragraph(text, style="Heading 1")

    def h2(self, text: str) -> None:
        self.doc.add_paragraph(text, style="Heading 2")

    def p(
        self,
        text: str = "",
        *,
        lead: str | None = None,
        align: WD_ALIGN_PARAGRAPH | None = WD_ALIGN_PARAGRAPH.JUSTIFY,
        italic: bool = False,
        bold: bool = False,
        size: float | None = None,
        color: RGBColor | None = None,
        keep: bool = False,
        indent: float | None = None,
    ) -> Paragraph:
        para = self.doc.add_paragraph()
        if align is not None:
            para.alignment = align
        if keep:
            para.paragraph_format.keep_with_next = True
        if indent:
            para.paragraph_format.left_indent = Inches(indent)
        if lead:
            r = para.add_run(lead + " ")
            r.bold = True
            if size:
                r.font.size = Pt(size)
        if text:
            r = para.add_run(text)
            r.italic = italic
            r.bold = bold
            if size:
                r.font.size = Pt(size)
            if color:
                r.font.color.rgb = color
        return para

    def tag(self, tag: str) -> None:
        """A paragraph holding only a {%p %} tag (docxtpl removes the paragraph)."""
        self.doc.add_paragraph(tag)

    def clause(self, number: str, heading: str, text: str) -> None:
        self.p(text, lead=f"{number}\u2002{heading}.")

    def spacer(self) -> None:
        para = self.doc.add_paragraph()
        para.paragraph_format.space_after = Pt(0)

    def page_break(self) -> None:
        self.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def table(
        self,
        headers: Sequence[str],
        cells: Sequence[str],
        widths: Sequence[float],
        loop: str | None = None,
        totals: Sequence[str] | None = None,
        right: Sequence[int] = (),
        extra_rows: Sequence[tuple[str | None, Sequence[str], bool]] = (),
    ) -> Table:
        """Header row, then (with `loop`) a `{%tr for %}` row, the data row, a `{%tr endfor %}` row, then
        `extra_rows` (each optionally wrapped in `{%tr if %}` rows) and a bold totals row."""
        n = len(headers)
        table = self.doc.add_table(rows=0, cols=n)
        table.style = self.doc.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        for i, w in enumerate(widths):
            table.columns[i].width = Inches(w)

        def add_row(
            values: Sequence[str],
            *,
            bold: bool = False,
            fill: str | None = None,
            color: RGBColor | None = None,
            size: float = 10,
        ) -> Any:
            row = table.add_row()
            _cant_split(row)
            for i, value in enumerate(values):
                cell = row.cells[i]
                cell.width = Inches(widths[i])
                para = cell.paragraphs[0]
                para.paragraph_format.space_after = Pt(2)
                para.paragraph_format.space_before = Pt(2)
                para.paragraph_format.line_spacing = 1.0
                if i in right:
                    para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                if value:
                    r = para.add_run(value)
                    r.bold = bold
                    r.font.size = Pt(size)
                    if color:
                        r.font.color.rgb = color
                if fill:
                    _shade(cell, fill)
            return row

        head = add_row(headers, bold=True, fill="1F3864", color=RGBColor(0xFF, 0xFF, 0xFF), size=9.5)
        _repeat_header(head)
        if loop:
            add_row([f"{{%tr for {loop} %}}"] + [""] * (n - 1))
            add_row(cells)
            add_row(["{%tr endfor %}"] + [""] * (n - 1))
        else:
            add_row(cells)
        for condition, values, bold in extra_rows:
            if condition:
                add_row([f"{{%tr if {condition} %}}"] + [""] * (n - 1))
            add_row(values, bold=bold, fill="F2F2F2" if bold else None)
            if condition:
                add_row(["{%tr endif %}"] + [""] * (n - 1))
        if totals:
            add_row(totals, bold=True, fill="D9E2F3")
        self.spacer()
        return table

    def facts(self, rows: Sequence[tuple[str, str, str | None]]) -> None:
        """Two-column label/value table. A row with a condition is wrapped in `{%tr if %}` rows."""
        table = self.doc.add_table(rows=0, cols=2)
        table.style = self.doc.styles["Table Grid"]
        table.autofit = False
        table.columns[0].width, table.columns[1].width = Inches(1.9), Inches(4.6)
        for label, value, condition in rows:
            if condition:
                row = table.add_row()
                row.cells[0].paragraphs[0].add_run(f"{{%tr if {condition} %}}")
            row = table.add_row()
            for i, (text, width) in enumerate(((label, 1.9), (value, 4.6))):
                cell = row.cells[i]
                cell.width = Inches(width)
                para = cell.paragraphs[0]
                para.paragraph_format.space_after = Pt(2)
                para.paragraph_format.space_before = Pt(2)
                r = para.add_run(text)
                r.font.size = Pt(10)
                if i == 0:
                    r.bold = True
                    _shade(cell, "F2F2F2")
            if condition:
                row = table.add_row()
                row.cells[0].paragraphs[0].add_run("{%tr endif %}")
        self.spacer()

    def signature(self, name: str, title: str, extra: str | None = None) -> None:
        sp = self.p("", align=None, keep=True)
        sp.paragraph_format.space_before = Pt(18)
        line = self.p("_" * 42, align=None, keep=True)
        line.paragraph_format.space_after = Pt(0)
        n = self.p(name, align=None, bold=True, keep=True)
        n.paragraph_format.space_after = Pt(0)
        t = self.p(title, align=None, keep=extra is not None or True)
        t.paragraph_format.space_after = Pt(0)
        if extra:
            e = self.p(extra, align=None, size=10, color=GRAY, keep=True)
            e.paragraph_format.space_after = Pt(0)
        self.p("Date: ____________________", align=None)

    def bytes(self) -> bytes:
        buf = io.BytesIO()
        self.doc.save(buf)
        return deterministic_zip(buf.getvalue())


def deterministic_zip(data: bytes) -> bytes:
    """python-docx stamps zip entries with the current time; rewrite them with a fixed one."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()



# --- compliance reports --------------------------------------------------------------------------------


DISCLAIMER = (
    "This document was prepared by Performance West from information supplied by {{ entity_name }} and "
    "reflects the law as of {{ report_date }}. It is provided for general compliance purposes and does "
    "not constitute legal advice or create an attorney-client relationship. Portions of the analysis were "
    "drafted with the assistance of software and reviewed before delivery. Laws and regulations change "
    "frequently; consult qualified counsel licensed in {{ counsel_jurisdiction }} before acting on any recommendation."
)


def disclaimer(b: Builder) -> None:
    # Kept on one page: a page break inside it would split the sentence a reader (and the lint) looks for.
    b.p(DISCLAIMER, size=9.5, italic=True, color=GRAY).paragraph_format.keep_together = True


def _cover(title: str, subtitle: str, dated: str, facts: Sequence[tuple[str, str, str | None]]) -> Builder:
    """A compliance document's opening: its title and subtitle, the date line, and the facts table."""
    b = Builder(title, "{{ entity_name }}", title, "Confidential \u2014 {{ order_name }}")
    b.title(title, subtitle)
    b.p(dated, align=WD_ALIGN_PARAGRAPH.LEFT, italic=True, color=GRAY)
    b.spacer()
    b.facts(facts)
    return b


def _report(title: str, spec: ReportSpec) -> bytes:
    b = _cover(title, "Prepared for {{ entity_name }}", "{{ report_date }}", (
        ("Client", "{{ entity_name }}", None),
        ("Law applied", "{{ jurisdiction }}", None),
        ("Service", "{{ service_type }}", None),
        ("Reference", "{{ order_name }}", None),
        ("Report date", "{{ report_date }}", None),
        *spec.facts,
        # Every intake model has free-text notes; "Not provided" when the client left them empty.
        ("Client notes", "{{ notes }}", None),
    ))
    number = 0
    for heading, body in spec.body:
        number += 1
        b.h1(f"{number}.\u2002{heading}")
        if isinstance(body, TableSpec):
            b.p(body.intro)
            b.table(
                body.headers,
                [f"{{{{ r.{c} }}}}" for c in body.columns],
                widths=body.widths,
                loop=f"r in {body.variable}",
            )
        elif isinstance(body, FormTable):
            b.p(body.intro)
            first, *rest = body.rows
            b.table(body.headers, first, widths=body.widths, extra_rows=[(None, row, False) for row in rest])
        elif isinstance(body, ItemList):
            b.p(body.intro)
            b.tag(f"{{%p for r in {body.variable} %}}")
            b.p(body.text, lead=body.lead, indent=0.25)
            b.tag("{%p endfor %}")
        elif body.startswith(("sections.", "parts.")):
            # LLM sections and analysis parts: paragraphs, lists, tables (documents.section_blocks)
            b.tag(f"{{{{p {body} }}}}")
        else:
            b.p(body)
    number += 1
    b.h1(f"{number}.\u2002Scope and Limitations")
    b.p(spec.scope)
    disclaimer(b)
    b.h1("Acknowledgment")
    b.p(
        "Prepared by Performance West. Please direct questions about this report to "
        "support@performancewest.net, quoting reference {{ order_name }}.",
        keep=True,
    )
    # The reviewer signs by approving in ERPNext: the delivered copy ends with the approval page naming the reviewer
    # and the date (pwcore.documents.review_copies), so the report says where to find it instead of a blank line.
    b.p("Reviewed for Performance West by a member of its compliance team. The reviewer's name and the date of "
        "approval are recorded on the approval page at the end of the delivered copy of this report.", keep=True)
    b.signature("Received for {{ entity_name }}", "Authorized representative")
    b.page_break()
    b.h1("Appendix: Sources and Effective Dates")
    b.tag("{{p parts.sources }}")
    return b.bytes()


# What each heading of the published policy prints: LLM prose ("sections.<key>") and/or analysis parts.
POLICY_BODY: dict[str, tuple[str, ...]] = {
    "overview": ("sections.overview",),
    "use": ("sections.data_practices",),
    "rights": ("sections.consumer_rights", "parts.rights"),
}


def privacy_policy() -> bytes:
    """The published policy: its headings come from the analysis (POLICY_HEADINGS) so that the parts' cross-
    references always name a heading the policy has; no findings, no sources appendix."""
    b = Builder("Privacy Policy", "{{ business_name }}", "Privacy Policy", "{{ website }}")
    b.title("Privacy Policy", "{{ business_name }}")
    b.p("Last updated {{ report_date }}", align=WD_ALIGN_PARAGRAPH.LEFT, italic=True, color=GRAY)
    b.spacer()
    for number, (key, heading) in enumerate(pp_analysis.POLICY_HEADINGS, 1):
        b.h1(f"{number}.\u2002{heading}")
        for body in POLICY_BODY.get(key, (f"parts.{key}",)):
            b.tag(f"{{{{p {body} }}}}")
    b.spacer()
    b.p(
        "Note for {{ entity_name }} (remove before publishing): this policy was prepared by Performance West "
        "({{ order_name }}, {{ report_date }}) from the information you provided, applying {{ jurisdiction }}, "
        "and is not legal advice. Complete every bracketed item, work through the remediation checklist, and "
        "review the policy against your actual practices with qualified counsel licensed in "
        "{{ counsel_jurisdiction }} and every state where your customers live ({{ states_covered }}) before you "
        "publish it.",
        size=9,
        italic=True,
        color=GRAY,
    )
    return b.bytes()


CHECKLIST = "remediation-checklist"


def remediation_checklist() -> bytes:
    """Every compliance order's to-do list: one row per finding of its sections (compliance context `findings`)."""
    dated = "Prepared for {{ entity_name }} \u2014 {{ report_date }}"
    b = _cover("Remediation Checklist", "{{ report_title }}", dated, (
        ("Client", "{{ entity_name }}", None),
        ("Service", "{{ service_type }}", None),
        ("Reference", "{{ order_name }}", None),
        ("Report date", "{{ report_date }}", None),
        ("Findings", "{{ finding_count }}", None),
    ))
    b.h1("Actions")
    b.tag("{%p if findings %}")
    b.p("One row per finding of the report. The authority each requirement rests on is in brackets. Record "
        "the date each action is completed; keep this checklist with the report.")
    b.table(
        ("No.", "Priority", "Requirement", "Gap", "Action", "Owner", "Due"),
        ("{{ f.number }}", "{{ f.priority }}", "{{ f.requirement }} [{{ f.authority }}]", "{{ f.gap }}",
         "{{ f.action }}", "{{ f.owner }}", "{{ f.due }}"),
        widths=(0.4, 0.7, 1.4, 1.1, 1.3, 0.8, 0.8),
        loop="f in findings",
    )
    b.tag("{%p else %}")
    b.p("No findings were recorded for this order.")
    b.tag("{%p endif %}")
    disclaimer(b)
    return b.bytes()


# Compliance templates with a layout of their own (ServiceDef.report is None), by template id.
CUSTOM: dict[str, Callable[[], bytes]] = {"privacy-policy": privacy_policy}


# --- invoice -------------------------------------------------------------------------------------------


def invoice() -> bytes:
    b = Builder("Invoice", "Performance West", "Invoice {{ invoice_number }}", "Performance West")
    b.title("Invoice")
    b.p(
        "Performance West \u00b7 support@performancewest.net \u00b7 performancewest.net",
        align=WD_ALIGN_PARAGRAPH.LEFT,
        color=GRAY,
        size=10,
    )
    b.spacer()
    b.facts(
        (
            ("Invoice number", "{{ invoice_number }}", None),
            ("Invoice date", "{{ invoice_date }}", None),
            ("Due date", "{{ due_date }}", None),
            ("Order reference", "{{ order_reference }}", "order_reference is defined"),
            ("Bill to", "{{ customer_name }}", None),
            ("Address", "{{ bill_to_address }}", "bill_to_address is defined"),
            ("Email", "{{ customer_email }}", "customer_email is defined"),
        )
    )
    b.h2("Services")
    b.table(
        ["Description", "Quantity", "Rate", "Amount"],
        ["{{ l.description }}", "{{ l.quantity }}", "{{ l.rate }}", "{{ l.amount }}"],
        widths=[3.4, 0.9, 1.1, 1.1],
        loop="l in lines",
        right=(1, 2, 3),
        extra_rows=(
            (None, ["Subtotal", "", "", "{{ subtotal }}"], True),
            (
                "has_surcharge",
                ["Card processing surcharge ({{ surcharge_pct }})", "", "", "{{ surcharge_amount }}"],
                False,
            ),
            ("has_taxes", ["Taxes", "", "", "{{ taxes }}"], False),
            (None, ["Total ({{ currency }})", "", "", "{{ total }}"], True),
            (None, ["Amount paid", "", "", "{{ amount_paid }}"], False),
        ),
        totals=["Balance due", "", "", "{{ balance_due }}"],
    )
    b.tag("{%p if is_paid %}")
    b.p(
        "PAID \u2014 thank you. This invoice has been paid in full.",
        align=WD_ALIGN_PARAGRAPH.LEFT,
        bold=True,
        color=NAVY,
    )
    b.tag("{%p else %}")
    b.p("Payment of {{ balance_due }} is due by {{ due_date }}.", align=WD_ALIGN_PARAGRAPH.LEFT, bold=True)
    b.tag("{%p endif %}")
    b.tag("{%p if payment_gateway is defined %}")
    b.p("Payments processed by {{ payment_gateway }}.", align=WD_ALIGN_PARAGRAPH.LEFT, size=10, color=GRAY)
    b.tag("{%p endif %}")
    b.h2("Terms")
    b.p(
        "A card processing surcharge, where shown, is applied to card payments at the rate stated above "
        "and does not exceed our cost of acceptance. Government filing fees are passed through at cost. "
        "Questions about this invoice: support@performancewest.net.",
        size=10,
    )
    return b.bytes()


# --- manifest ------------------------------------------------------------------------------------------


def crtc_section() -> dict[str, Any]:
    """The CRTC document set: compiled clause templates (tools/build_clause_templates.py writes them to
    templates/compiled/); generate-doc picks the ones an order needs (pwcore.documents.crtc.documents_for)."""
    from pwcore.documents import crtc

    entries: dict[str, Any] = {}
    for doc_id in crtc.DOCUMENTS:
        data = (OUT / "compiled" / f"{doc_id}.docx").read_bytes()
        entries[doc_id] = {"file": f"compiled/{doc_id}.docx", "sha256": hashlib.sha256(data).hexdigest()}
    return {"doctype": "CRTC Order", "templates": entries}


def build() -> dict[str, bytes]:
    files: dict[str, bytes] = {"invoice.docx": invoice()}
    for svc in services.all_services():
        files[f"{svc.template_id}.docx"] = _report(svc.title, svc.report) if svc.report else CUSTOM[svc.template_id]()
    files[f"{CHECKLIST}.docx"] = remediation_checklist()
    manifest: dict[str, Any] = {
        "about": "Which service uses which template, the LLM section keys of each compliance template, and a "
        "full sample render context per template. Generated by tools/make_templates.py; do not edit.",
        # The formation documents are compiled from the clause library (tools/build_clause_templates.py)
        # into templates/compiled/; which of them an order gets is pwcore.documents.formation_set.
        "formation": {"entity_types": ["LLC", "Corporation", "Nonprofit"], "templates": list(formation_set.TEMPLATES)},
        "compliance": {
            svc.service_type: {"template": svc.template_id, "sections": list(svc.section_keys),
                               "documents": [svc.template_id, CHECKLIST]}
            for svc in services.all_services()
        },
        "invoice": {"template": "invoice"},
        "templates": {},
    }
    contexts: dict[str, tuple[str, dict[str, Any]]] = {
        "invoice": ("invoice", ctx.invoice_context(samples.SALES_INVOICE, samples.CUSTOMER)),
    }
    for svc in services.all_services():
        contexts[svc.template_id] = (
            "compliance",
            ctx.compliance_context(
                samples.compliance_order(svc.service_type),
                samples.CUSTOMER,
                svc.sample()["sections"],
                as_of=samples.SAMPLE_DATE,
            ),
        )
    # The checklist's sample: the first service's sample order (its context has findings).
    contexts[CHECKLIST] = ("compliance", contexts[services.all_services()[0].template_id][1])
    compiled: dict[str, bytes] = {}
    for template_id, sample_context in formation_samples().items():
        contexts[template_id] = ("formation", sample_context)
        compiled[template_id] = (OUT / "compiled" / f"{template_id}.docx").read_bytes()
    for name in sorted(contexts):
        kind, sample = contexts[name]
        data = compiled[name] if name in compiled else files[f"{name}.docx"]
        svc = services.by_template(name)
        manifest["templates"][name] = {
            "file": f"compiled/{name}.docx" if name in compiled else f"{name}.docx",
            "context": kind,
            "service_type": svc.service_type if svc else None,
            "sections": list(svc.section_keys) if svc else [],
            "sha256": hashlib.sha256(data).hexdigest(),
            "sample": sample,
        }
    manifest["crtc"] = crtc_section()
    files["manifest.json"] = (json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=False) + "\n").encode()
    return files


def formation_samples() -> dict[str, dict[str, Any]]:
    """One sample context per formation template: the first order of templates/samples/ (in name order)
    whose document set holds it, built by the real context builder, as generate-doc builds it."""
    out: dict[str, dict[str, Any]] = {}
    for path in sorted((OUT / "samples").glob("*.json")):
        bundle = formation_docs.load_order(path)
        for template_id, context in formation_docs.contexts(bundle, as_of=samples.SAMPLE_DATE).items():
            out.setdefault(template_id, context)
    missing = set(formation_set.TEMPLATES) - out.keys()
    if missing:
        raise SystemExit(f"no sample order in templates/samples/ produces {sorted(missing)}")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="fail if templates/ is not up to date")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    files = build()
    stale = [n for n, d in files.items() if not (args.out / n).is_file() or (args.out / n).read_bytes() != d]
    if args.check:
        for n in stale:
            print(f"stale: {n}", file=sys.stderr)
        return 1 if stale else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (args.out / name).write_bytes(data)
    print(f"wrote {len(files)} files to {args.out} ({len(stale)} changed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
