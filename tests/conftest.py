"""Shared fixtures: the stand-ins on 127.0.0.1, started once per session (or per module when a test needs
its own site)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pwcore.clients.erpnext import ERPNext
from pwcore.clients.libreoffice import PdfConverter

API_KEY = "pw-test-key"
API_SECRET = "pw-test-secret-5d1e"
READONLY_KEY = "pw-readonly-key"
READONLY_SECRET = "pw-readonly-secret-77aa"
WEBHOOK_SECRET = "pw-test-webhook-secret"
USERS = [
    {"user": "Administrator", "api_key": API_KEY, "api_secret": API_SECRET},
    {"user": "viewer@example.com", "api_key": READONLY_KEY, "api_secret": READONLY_SECRET, "roles": ["Support"]},
]


@pytest.fixture(scope="session")
def standin_factory() -> Iterator[Callable[..., Any]]:
    from pwdev.erpnext import ERPNextStandin

    started: list[Any] = []

    def make(**kwargs: Any) -> Any:
        kwargs.setdefault("users", USERS)
        kwargs.setdefault("seeded", True)
        kwargs.setdefault("retry_sleep_scale", 0.01)
        kwargs.setdefault("db_path", ":memory:")
        site = ERPNextStandin(**kwargs)
        site.start(host="127.0.0.1", port=0)
        started.append(site)
        return site

    yield make
    for site in started:
        site.stop()


@pytest.fixture(scope="session")
def standin(standin_factory: Callable[..., Any]) -> Any:
    return standin_factory()


@pytest.fixture(scope="session")
def make_client() -> Callable[..., ERPNext]:
    def make(site: Any, retries: int = 4) -> ERPNext:
        return ERPNext(site.url, API_KEY, API_SECRET, timeout_s=10, retries=retries, max_wait_s=0.05)

    return make


@pytest.fixture(scope="session")
def erp(standin: Any, make_client: Callable[..., ERPNext]) -> ERPNext:
    return make_client(standin)


@pytest.fixture(scope="session")
def customer(erp: ERPNext) -> str:
    return str(erp.insert("Customer", {"customer_name": f"Test Customer {uuid.uuid4().hex[:6]}",
                                       "customer_type": "Company", "email_id": "owner@example.com"})["name"])


@pytest.fixture(scope="session")
def s3() -> Iterator[Any]:
    from pwdev.s3 import S3Server

    server = S3Server().start()
    yield server
    server.stop()


@pytest.fixture()
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Tests that load settings start from an environment without the developer's own settings."""
    for key in list(os.environ):
        if key.split("_")[0] in {"ERPNEXT", "S3", "WEBHOOK", "DISPATCH", "PIPELINE", "OLLAMA", "SMTP"}:
            monkeypatch.delenv(key, raising=False)
    return monkeypatch


@pytest.fixture(scope="session")
def converter() -> Iterator[PdfConverter]:
    """One warm LibreOffice for the session (starting one costs about 5 s), for every test that renders a PDF."""
    with PdfConverter(convert_timeout_s=60, start_timeout_s=60) as conv:
        conv.start()
        yield conv
