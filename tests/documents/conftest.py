"""Fixtures of the documents tests (the warm LibreOffice `converter` is the root conftest's)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from docx_samples import docx


@pytest.fixture(scope="session")
def docx_factory() -> Callable[..., bytes]:
    return docx
