"""Fixtures of the ERPNext stand-in tests: a client of the module's own `site` and a webhook receiver."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from standin_http import ADMIN, Receiver


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


@pytest.fixture()
def c(site: Any) -> Iterator[httpx.Client]:
    """The Administrator's client of the test module's `site` fixture."""
    with httpx.Client(base_url=site.url, headers=ADMIN, timeout=10) as client:
        yield client
