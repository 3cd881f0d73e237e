"""A DOCX built in memory for the tests that need one (a unique module name: no clash with the conftests)."""

from __future__ import annotations

import io

from docx import Document


def docx(*paragraphs: str) -> bytes:
    """A DOCX with one plain paragraph per argument."""
    doc = Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
