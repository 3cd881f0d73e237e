"""One warm LibreOffice for the whole documents test session (starting one costs about 5 s)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from docx_samples import docx

from pwcore.clients.libreoffice import PdfConverter


@pytest.fixture(scope="session")
def converter() -> Iterator[PdfConverter]:
    with PdfConverter(convert_timeout_s=60, start_timeout_s=60) as conv:
        conv.start()
        yield conv



@pytest.fixture(scope="session")
def docx_factory() -> Callable[..., bytes]:
    return docx
