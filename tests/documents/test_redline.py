"""Redlines read as PDF text after the warm LibreOffice converted them: deleted and inserted words are there,
marked as Word revisions in the DOCX; an unchanged document says "no changes"."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import pytest
from pypdf import PdfReader

from pwcore.clients.libreoffice import PdfConverter
from pwcore.documents.redline import NO_CHANGES, NotADocx, compare, paragraphs


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(data)).pages)


def document_xml(docx: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        return z.read("word/document.xml").decode()


OLD = ["Operating Agreement of Acme LLC", "Article 1. The company is managed by its members.",
       *[f"Clause {i} stays as it was." for i in range(2, 12)],
       "Article 12. Distributions are made quarterly to Alice Example.", "Signed in Austin, Texas."]
NEW = ["Operating Agreement of Acme LLC", "Article 1. The company is managed by a manager.",
       *[f"Clause {i} stays as it was." for i in range(2, 12)],
       "Article 12. Distributions are made annually to Alice Example.", "Article 13. Disputes go to arbitration.",
       "Signed in Austin, Texas."]


def test_changes_are_tracked_revisions_and_show_in_the_pdf(converter: PdfConverter,
                                                            docx_factory: Callable[..., bytes]) -> None:
    result = compare(docx_factory(*OLD), docx_factory(*NEW), title="operating-agreement-FO-1.docx",
                     old_label="v1", new_label="v2", date="2026-12-01T10:00:00Z")
    assert result.changed and result.deleted_words >= 3 and result.inserted_words >= 8
    xml = document_xml(result.docx)
    assert "<w:del " in xml and "<w:ins " in xml and 'w:author="Pipeline"' in xml
    assert "<w:delText" in xml and "quarterly" in xml and "annually" in xml
    text = pdf_text(converter.convert(result.docx))
    assert "Changes from v1 to v2" in text
    for word in ("members.", "quarterly", "manager.", "annually", "Article 13. Disputes go to arbitration."):
        assert word in text, (word, text)
    # Unchanged passages are skipped (with their count), except the neighbours of a change.
    assert "Clause 2 stays" in text and "Clause 11 stays" in text and "Clause 6 stays" not in text
    assert "[8 unchanged paragraphs]" in text
    assert NO_CHANGES not in text


def test_an_unchanged_document_says_no_changes(converter: PdfConverter,
                                               docx_factory: Callable[..., bytes]) -> None:
    result = compare(docx_factory(*OLD), docx_factory(*OLD), title="articles-FO-1.docx", old_label="v1",
                     new_label="v2", date="2026-12-01T10:00:00Z")
    assert not result.changed and result.inserted_words == result.deleted_words == 0
    text = pdf_text(converter.convert(result.docx))
    assert "No changes: the text of v2 is the same as the text of v1." in text
    assert "Article 12" not in text


def test_paragraphs_read_body_and_tables(docx_factory: Callable[..., bytes]) -> None:
    from docx import Document

    doc = Document()
    doc.add_paragraph("Before the table")
    doc.add_table(rows=1, cols=2).rows[0].cells[1].text = "Member: Bob"
    buf = io.BytesIO()
    doc.save(buf)
    assert [p for p in paragraphs(buf.getvalue()) if p] == ["Before the table", "Member: Bob"]


@pytest.mark.parametrize("data", [b"", b"%PDF-1.4 not a docx", b"PK\x03\x04 broken zip"])
def test_not_a_docx_is_refused(data: bytes) -> None:
    with pytest.raises(NotADocx):
        paragraphs(data)


def test_a_zip_without_a_document_is_refused() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/other.xml", "<x/>")
    with pytest.raises(NotADocx):
        paragraphs(buf.getvalue())
