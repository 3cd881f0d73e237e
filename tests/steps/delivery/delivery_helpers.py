"""Helpers shared by the delivery tests and benches (a unique module name: no clash with other conftests)."""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter


def pdf_bytes(pages: int = 1, pad: int = 0) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    if pad:
        writer.add_metadata({"/Padding": "x" * pad})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()



def pdf_text(data: bytes) -> str:
    """A PDF's text with its whitespace runs folded to single spaces."""
    return " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(data)).pages)
