"""Permanent ERPNext refusals are not outages (issue 19, defect 3).

A pipeline user whose roles lack a permission the functions need gets Frappe's 403 PermissionError on every
call; a retry cannot help. on-payment and reconcile (real handlers, in process, against the stand-in over a
socket) answer 500 naming exc_type, the DocType and the permission missing, never 503 "ERPNext unavailable".
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pwcore.model.signatures import sign
from pwdev.erpnext import ERPNextStandin
from pwdev.runner import load_handler

ROOT = Path(__file__).parents[2]
SECRET = "refusal-test-secret"
USERS = [
    {"user": "Administrator", "api_key": "adm-key", "api_secret": "adm-secret"},
    # The Pipeline role alone: our DocTypes, but not ERPNext's Sales Invoice (Sales User is missing).
    {"user": "lite@example.com", "api_key": "lite-key", "api_secret": "lite-secret", "roles": ["Pipeline"]},
]


class Event:
    def __init__(self, body: bytes = b"", headers: dict[str, str] | None = None, method: str = "POST",
                 query: dict[str, str] | None = None) -> None:
        self.method, self.body, self.query, self.path = method, body, query or {}, "/"
        self.headers = {"X-Call-Id": "refusal-test", **(headers or {})}


@pytest.fixture(scope="module")
def site() -> Iterator[ERPNextStandin]:
    s = ERPNextStandin(users=USERS, seeded=True, db_path=":memory:", retry_sleep_scale=0.01).start()
    yield s
    s.stop()


@pytest.fixture()
def env(site: ERPNextStandin, s3: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    from pwcore.runtime import wiring

    monkeypatch.setenv("SECRETS_DIR", str(tmp_path))
    for k, v in {**s3.env(), "ERPNEXT_URL": site.url, "ERPNEXT_API_KEY": "lite-key",
                 "ERPNEXT_API_SECRET": "lite-secret", "ERPNEXT_RETRIES": "1", "WEBHOOK_SECRET": SECRET,
                 "DISPATCH_MODE": "local", "RECONCILE_PAYMENT_GRACE_S": "0"}.items():
        monkeypatch.setenv(k, v)
    wiring.reset()
    yield
    wiring.reset()


def test_on_payment_answers_a_403_as_a_refusal_naming_doctype_and_permission(site: ERPNextStandin,
                                                                              env: None) -> None:
    from pwcore.clients.erpnext import ERPNext

    admin = ERPNext(site.url, "adm-key", "adm-secret", retries=1)
    customer = admin.insert("Customer", {"customer_name": "Refusal LLC"})["name"]
    inv = admin.insert("Sales Invoice", {"customer": customer, "docstatus": 1, "status": "Unpaid",
                                         "items": [{"item_code": "X", "qty": 1, "rate": 10}]})
    handler = load_handler(ROOT / "functions" / "on-payment")
    body = json.dumps({"doctype": "Sales Invoice", "name": inv["name"]}).encode()
    answer = handler.handle(Event(body, {"X-Frappe-Webhook-Signature": sign(body, SECRET)}), None)
    assert answer["statusCode"] == 500, answer  # not 503: Frappe's 3 retries cannot fix a missing role
    out = answer["body"]
    assert out["outage"] is False and out["exc_type"] == "PermissionError" and out["erpnext_status"] == 403
    assert out["doctype"] == "Sales Invoice" and out["permission"] == "read"
    assert "unavailable" not in out["error"] and "read Sales Invoice" in out["error"]


def test_reconcile_reports_a_403_as_refused_not_as_an_outage(site: ERPNextStandin, env: None,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from pwcore.clients.erpnext import ERPNext
    from pwdev.demo import place_order

    admin = ERPNext(site.url, "adm-key", "adm-secret", retries=1)
    # An Ordered order: the sweep then reads its Sales Order, which the Pipeline role alone may not.
    place_order(admin, "Stranded LLC", "o@example.com", compliance=False)
    handler = load_handler(ROOT / "functions" / "reconcile")
    monkeypatch.setenv("OPERATOR_TOKEN", "refusal-test-operator-token")  # a dry run is an operator's request
    answer = handler.handle(Event(query={"dry_run": "1"},
                                  headers={"Authorization": "Bearer refusal-test-operator-token"}), None)
    assert answer["statusCode"] == 500, answer
    summary = answer["body"]
    assert summary["status"] == "refused"
    first = summary["refused"][0]
    assert (first["exc_type"], first["doctype"], first["permission"]) == ("PermissionError", "Sales Order",
                                                                          "read")
    assert any("not an outage" in e for e in summary["errors"])


def test_a_417_validation_error_is_a_refusal_with_its_exc_type(site: ERPNextStandin) -> None:
    from pwcore.clients.erpnext import ERPNext, ValidationFailed
    from pwcore.clients.outages import outage_of
    from pwcore.runtime.entrypoint import answer_for

    erp = ERPNext(site.url, "adm-key", "adm-secret", retries=1)
    with pytest.raises(ValidationFailed) as caught:  # a Link to a Customer that does not exist
        erp.insert("Sales Order", {"customer": "No Such Customer", "items": [{"item_code": "X", "qty": 1}]})
    assert outage_of(caught.value) is None
    answer = answer_for(caught.value, "c1")
    assert answer["statusCode"] == 500 and answer["body"]["erpnext_status"] == 417
    assert answer["body"]["exc_type"] == "LinkValidationError" and answer["body"]["outage"] is False
