"""Redlines: what changed in a document between two versions, as a DOCX with real tracked changes (pure).

When version n > 1 of an order reaches Review, the reviewer should read only what changed. For each document
also present in version n-1, generate-doc builds `{document}.changes-from-v{n-1}.pdf` from the two versions'
DOCX: the paragraphs (body and table cells, in document order) are compared with difflib, changed paragraphs
word by word, and the result is a new DOCX whose changes are Word revisions (`w:del`/`w:delText` and `w:ins`
runs, author "Pipeline"), which LibreOffice shows when it converts to PDF (deletions struck through,
insertions underlined; the runs carry the same formatting explicitly, so a viewer that hides revision marks
still shows the difference). Unchanged paragraphs are left out except one on each side of a change, with a
line saying how many were skipped; a document without changes gets a one-page "no changes" notice.
"""

from __future__ import annotations

import difflib
import io
import re
import zipfile
from dataclasses import dataclass
from itertools import count
from typing import Any

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_NS = {"w": W}
AUTHOR = "Pipeline"
NO_CHANGES = "No changes"
MAX_DOCUMENT_XML = 20 * 1024 * 1024  # a rendered document.xml is well under 1 MB
CONTEXT = 1  # unchanged paragraphs shown on each side of a change
_WORDS = re.compile(r"\S+\s*|\s+")


class NotADocx(ValueError):
    """The bytes are not a Word document (no zip, no word/document.xml, or too large)."""


def paragraphs(docx: bytes) -> list[str]:
    """The text of every paragraph of the document body (table cells included), in document order."""
    try:
        with zipfile.ZipFile(io.BytesIO(docx)) as z:
            info = z.getinfo("word/document.xml")
            if info.file_size > MAX_DOCUMENT_XML:
                raise NotADocx("word/document.xml is larger than 20 MB")
            xml = z.read(info)
    except (zipfile.BadZipFile, KeyError) as exc:
        raise NotADocx(f"not a DOCX ({type(exc).__name__})") from None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError:
        raise NotADocx("word/document.xml is not well-formed XML") from None
    body = root.find("w:body", _NS)
    if body is None:
        return []
    out = []
    for p in body.iter(f"{{{W}}}p"):
        # w:t only: the deleted text (w:delText) of a document that carries revisions is not what it says.
        parts = ["\t" if el.tag == f"{{{W}}}tab" else el.text or ""
                 for el in p.iter(f"{{{W}}}t", f"{{{W}}}tab")]
        out.append("".join(parts))
    return out


@dataclass
class Comparison:
    changed: bool
    inserted_words: int
    deleted_words: int
    docx: bytes


def _word_ops(old: str, new: str) -> list[tuple[str, str]]:
    """(kind, text) runs turning `old` into `new`: kind is "", "del" or "ins"."""
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    ops: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            ops.append(("", "".join(a[i1:i2])))
            continue
        if tag in ("delete", "replace"):
            ops.append(("del", "".join(a[i1:i2])))
        if tag in ("insert", "replace"):
            ops.append(("ins", "".join(b[j1:j2])))
    return ops


class _Builder:
    def __init__(self, date: str) -> None:
        from docx import Document

        self.doc: Any = Document()
        self.date = date
        self.ids = count(1)
        self.inserted = 0
        self.deleted = 0

    def heading(self, text: str) -> None:
        self.doc.add_heading(text, level=1)

    def note(self, text: str) -> None:
        run = self.doc.add_paragraph().add_run(text)
        run.italic = True

    def paragraph(self, ops: list[tuple[str, str]]) -> None:
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        p = self.doc.add_paragraph()._p
        for kind, text in ops:
            if not text:
                continue
            r = OxmlElement("w:r")
            if kind:
                rpr = OxmlElement("w:rPr")
                color = OxmlElement("w:color")
                color.set(qn("w:val"), "C00000" if kind == "del" else "0033CC")
                mark = OxmlElement("w:strike" if kind == "del" else "w:u")
                if kind == "ins":
                    mark.set(qn("w:val"), "single")
                rpr.append(color)
                rpr.append(mark)
                r.append(rpr)
            t = OxmlElement("w:delText" if kind == "del" else "w:t")
            t.set(qn("xml:space"), "preserve")
            t.text = text
            r.append(t)
            if not kind:
                p.append(r)
                continue
            words = len(text.split())
            if kind == "del":
                self.deleted += words
            else:
                self.inserted += words
            change = OxmlElement(f"w:{kind}")
            change.set(qn("w:id"), str(next(self.ids)))
            change.set(qn("w:author"), AUTHOR)
            change.set(qn("w:date"), self.date)
            change.append(r)
            p.append(change)

    def bytes(self) -> bytes:
        out = io.BytesIO()
        self.doc.save(out)
        return out.getvalue()


def compare(old_docx: bytes, new_docx: bytes, *, title: str, old_label: str, new_label: str,
            date: str) -> Comparison:
    """A redline DOCX of `new_docx` against `old_docx` (`date`: the revision time, ISO 8601 with Z)."""
    old, new = paragraphs(old_docx), paragraphs(new_docx)
    build = _Builder(date)
    build.heading(f"Changes from {old_label} to {new_label}")
    build.note(f"{title}. Deleted text is struck through (red), inserted text is underlined (blue); "
               f"unchanged passages are skipped.")
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    opcodes = matcher.get_opcodes()
    if all(tag == "equal" for tag, *_ in opcodes):
        build.heading(NO_CHANGES)
        build.note(f"{NO_CHANGES}: the text of {new_label} is the same as the text of {old_label}.")
        return Comparison(False, 0, 0, build.bytes())
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            same = new[j1:j2]
            head = same[:CONTEXT] if index > 0 else []
            tail = same[-CONTEXT:] if index < len(opcodes) - 1 and len(same) > len(head) else []
            skipped = len(same) - len(head) - len(tail)
            for text in head:
                build.paragraph([("", text)])
            if skipped > 0:
                build.note(f"[{skipped} unchanged paragraph{'s' if skipped != 1 else ''}]")
            for text in tail:
                build.paragraph([("", text)])
            continue
        olds, news = old[i1:i2], new[j1:j2]
        pairs = min(len(olds), len(news)) if tag == "replace" else 0
        for k in range(pairs):
            build.paragraph(_word_ops(olds[k], news[k]))
        for text in olds[pairs:]:
            build.paragraph([("del", text)])
        for text in news[pairs:]:
            build.paragraph([("ins", text)])
    return Comparison(True, build.inserted, build.deleted, build.bytes())
