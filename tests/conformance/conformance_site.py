"""The conformance suite: the REST and webhook contract the pipeline relies on, written once, run in CI against
the ERPNext stand-in and by an operator against a real (staging) site before go-live:

    PW_CONFORMANCE_ERPNEXT_URL=https://erp-staging.example.com PW_CONFORMANCE_API_KEY=... \\
    PW_CONFORMANCE_API_SECRET=... make conformance [CONFORMANCE_ARGS=--allow-existing]

Optional against a real site: PW_CONFORMANCE_PIPELINE_API_KEY / _SECRET (the pipeline user's key: its 403s and
reads are checked), PW_CONFORMANCE_RECEIVER_HOST (an address of this machine the site can reach: the webhook
tests listen there; without it they are skipped), PW_CONFORMANCE_TIMEZONE (ERPNEXT_TIMEZONE, default
America/Chicago). The site must have been set up with `pw erpnext-setup` first.

Every record the suite creates carries a prefix (`PWCONF-<run id>`) in its name or title and is deleted at the
end; it refuses to run against a site that has orders (Sales Order, Formation Order, Compliance Service) unless
PW_CONFORMANCE_ALLOW_EXISTING=1 (`tools/conformance.py --allow-existing`).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from pwcore.clients.erpnext import ERPNext, NotFound

ORDER_DOCTYPES = ("Sales Order", "Formation Order", "Compliance Service")
ADMIN_KEY, ADMIN_SECRET = "conformance-admin-key", "conformance-admin-secret"
PIPE_KEY, PIPE_SECRET = "conformance-pipe-key", "conformance-pipe-secret"


@dataclass
class Target:
    url: str
    key: str
    secret: str
    pipeline_key: str = ""
    pipeline_secret: str = ""
    receiver_host: str = "127.0.0.1"
    timezone: str = "America/Chicago"
    standin: Any = None  # the stand-in object when the suite runs in CI
    prefix: str = field(default_factory=lambda: f"PWCONF-{uuid.uuid4().hex[:8]}")

    @property
    def real(self) -> bool:
        return self.standin is None


def _pipeline_roles() -> list[str]:
    from pwcore.admin.erpnext_setup import load_data

    return list(load_data("roles.json")["pipeline_user"]["roles"])


@pytest.fixture(scope="session")
def target() -> Iterator[Target]:
    url = os.environ.get("PW_CONFORMANCE_ERPNEXT_URL", "")
    if url:
        t = Target(url.rstrip("/"), os.environ["PW_CONFORMANCE_API_KEY"], os.environ["PW_CONFORMANCE_API_SECRET"],
                   os.environ.get("PW_CONFORMANCE_PIPELINE_API_KEY", ""),
                   os.environ.get("PW_CONFORMANCE_PIPELINE_API_SECRET", ""),
                   os.environ.get("PW_CONFORMANCE_RECEIVER_HOST", ""),
                   os.environ.get("PW_CONFORMANCE_TIMEZONE", "America/Chicago"))
        _refuse_a_site_with_orders(t)
        yield t
        return
    from pwcore.admin.erpnext_setup import Setup
    from pwdev.erpnext import ERPNextStandin

    # An empty site set up the way an operator sets up a real one: erpnext-setup as Administrator.
    site = ERPNextStandin(seeded=False, retry_sleep_scale=0.01, users=[
        {"user": "Administrator", "api_key": ADMIN_KEY, "api_secret": ADMIN_SECRET},
        {"user": "pipeline@conformance.invalid", "api_key": PIPE_KEY, "api_secret": PIPE_SECRET,
         "roles": _pipeline_roles()}]).start()
    try:
        Setup(ERPNext(site.url, ADMIN_KEY, ADMIN_SECRET, retries=1), "http://gateway.invalid:8080",
              "conformance-webhook-secret").plan_and_apply(apply=True)
        yield Target(site.url, ADMIN_KEY, ADMIN_SECRET, PIPE_KEY, PIPE_SECRET, standin=site)
    finally:
        site.stop()


def _refuse_a_site_with_orders(t: Target) -> None:
    if os.environ.get("PW_CONFORMANCE_ALLOW_EXISTING") == "1":
        return
    erp = ERPNext(t.url, t.key, t.secret, retries=1)
    found = {dt: len(erp.list_page(dt, fields=["name"], limit_page_length=1)) for dt in ORDER_DOCTYPES}
    if any(found.values()):
        pytest.exit(f"{t.url} has orders ({', '.join(dt for dt, n in found.items() if n)}): the conformance suite "
                    "runs on a staging site; pass --allow-existing to run it anyway (it only touches records "
                    "named with its PWCONF- prefix)", returncode=3)


@pytest.fixture(scope="session")
def erp(target: Target) -> ERPNext:
    return ERPNext(target.url, target.key, target.secret, retries=1, timeout_s=30)


class Made:
    """Records the suite created, deleted in reverse order at the end (only these, all named by the prefix)."""

    def __init__(self, erp: ERPNext, prefix: str) -> None:
        self.erp, self.prefix, self.rows = erp, prefix, []  # type: list[tuple[str, str]]

    def insert(self, doctype: str, doc: dict[str, Any]) -> dict[str, Any]:
        out = self.erp.insert(doctype, doc)
        self.rows.append((doctype, str(out["name"])))
        return out

    def cleanup(self) -> None:
        for doctype, name in reversed(self.rows):
            try:
                self.erp.delete(doctype, name)
            except NotFound:
                pass
        self.rows.clear()


@pytest.fixture(scope="session")
def made(erp: ERPNext, target: Target) -> Iterator[Made]:
    m = Made(erp, target.prefix)
    yield m
    m.cleanup()


@pytest.fixture(scope="session")
def customer(made: Made, target: Target) -> str:
    return str(made.insert("Customer", {"customer_name": f"{target.prefix} Customer", "customer_type": "Company"})[
        "name"])
