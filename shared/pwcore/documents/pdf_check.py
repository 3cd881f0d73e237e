"""Checks on a PDF's bytes (opens, text) with pypdf."""

from __future__ import annotations

import io


def pdf_text(pdf_bytes: bytes) -> str:
    """All text of a PDF (pypdf), pages joined by newlines."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf_bytes))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def pdf_opens(pdf_bytes: bytes) -> bool:
    """True when the bytes are a PDF that pypdf can open with at least one page."""
    if not pdf_bytes.startswith(b"%PDF"):
        return False
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(pdf_bytes), strict=False)
        return len(reader.pages) > 0
    except Exception:
        return False


