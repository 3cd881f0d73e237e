"""A fresh ERPNext stand-in per test (the sweep scans whole tables), a private S3 bucket, an SMTP sink."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from calhelpers import Env

from pwcore.clients.erpnext import ERPNext
from pwcore.clients.s3 import Storage
from pwcore.clients.smtp import Mailer, SMTPSettings


@pytest.fixture(scope="session")
def smtp() -> Iterator[Any]:
    from pwdev.smtp_sink import SMTPSink

    sink = SMTPSink().start()
    yield sink
    sink.stop()


@pytest.fixture()
def env(standin_factory: Callable[..., Any], make_client: Callable[..., ERPNext], s3: Any,
        smtp: Any) -> Env:
    site = standin_factory()
    storage = Storage(s3.endpoint, s3.access_key, s3.secret_key, f"cal-{uuid.uuid4().hex[:12]}")
    storage.ensure_bucket()
    smtp.clear()
    mailer = Mailer(SMTPSettings(host=smtp.host, port=smtp.port, security="none"))
    return Env(site, make_client(site), storage, mailer, smtp)
