"""One warm LibreOffice for the whole documents test session (starting one costs about 5 s)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator

import pytest
from docx import Document

from pwcore.clients.libreoffice import PdfConverter


@pytest.fixture(scope="session")
def converter() -> Iterator[PdfConverter]:
    with PdfConverter(convert_timeout_s=60, start_timeout_s=60) as conv:
        conv.start()
        yield conv


def make_docx(*paragraphs: str) -> bytes:
    doc = Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


@pytest.fixture(scope="session")
def docx_factory() -> Callable[..., bytes]:
    return make_docx
