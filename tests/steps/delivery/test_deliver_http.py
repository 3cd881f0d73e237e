"""The deliver function served like production (pwdev.runner): signature, concurrency, Listmonk, unsubscribe."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from pwcore.clients.erpnext import ERPNext
from pwcore.model.signatures import SIGNATURE_HEADER, sign
from pwdev.erpnext import ERPNextStandin
from pwdev.listmonk_standin import ListmonkStandin
from pwdev.procs import FunctionProcess
from pwdev.s3 import S3Server
from pwdev.smtp_sink import SMTPSink

ROOT = Path(__file__).resolve().parents[3]
SECRET = "webhook-secret-for-tests-0123456789"
UNSUB_TOKEN = "unsubscribe-token-for-tests-42"
Order = dict[str, Any]


@pytest.fixture(scope="module")
def sink() -> Iterator[SMTPSink]:
    s = SMTPSink().start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def lm() -> Iterator[ListmonkStandin]:
    s = ListmonkStandin(user="api", password="lm-secret-123", webhook_token=UNSUB_TOKEN,
                        lists=("Welcome", "Formation follow-up", "CRTC follow-up", "Compliance upsell")).start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def deliver_fn(erp_standin: ERPNextStandin, s3: S3Server, sink: SMTPSink, lm: ListmonkStandin,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[FunctionProcess]:
    env = {**s3.env(), **sink.env(), "ERPNEXT_URL": erp_standin.url, "ERPNEXT_API_KEY": "dev-key",
           "ERPNEXT_API_SECRET": "dev-secret", "WEBHOOK_SECRET": SECRET, "DELIVER_UNSUBSCRIBE_TOKEN": UNSUB_TOKEN,
           "LISTMONK_URL": lm.url, "LISTMONK_USER": "api", "LISTMONK_PASSWORD": "lm-secret-123",
           "SECRETS_DIR": str(tmp_path_factory.mktemp("secrets"))}
    fn = FunctionProcess("deliver", ROOT / "functions" / "deliver", env,
                         log_path=tmp_path_factory.mktemp("logs") / "deliver.log").start()
    lm.webhook_url = f"{fn.url}/listmonk/unsubscribe"
    yield fn
    fn.stop()


def post(fn: FunctionProcess, payload: dict[str, Any], secret: str | None = SECRET) -> httpx.Response:
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    if secret:
        headers[SIGNATURE_HEADER] = sign(body, secret)
    return httpx.post(fn.url, content=body, headers=headers, timeout=30)


def test_signature_is_required(deliver_fn: FunctionProcess, make_order: Callable[..., Order], erp: ERPNext) -> None:
    order = make_order()
    payload = {"doctype": order["doctype"], "name": order["name"], "status": "Approved"}
    assert post(deliver_fn, payload, secret=None).status_code == 401
    assert post(deliver_fn, payload, secret="wrong-secret").status_code == 401
    assert httpx.get(deliver_fn.url, timeout=10).status_code == 405
    assert erp.get(order["doctype"], order["name"])["status"] == "Approved"  # nothing happened


def test_twenty_concurrent_signed_calls_one_email_and_listmonk(deliver_fn: FunctionProcess, sink: SMTPSink,
                                                               lm: ListmonkStandin, erp: ERPNext,
                                                               make_order: Callable[..., Order]) -> None:
    sink.clear()
    order = make_order(email="repeat@example.com")
    payload = {"doctype": order["doctype"], "name": order["name"], "status": "Approved"}
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda _: post(deliver_fn, payload), range(20)))
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    statuses = [a.json()["status"] for a in answers]
    assert statuses.count("delivered") == 1 and set(statuses) <= {"delivered", "done", "busy"}
    assert len(sink.wait_for(1)) == 1
    assert erp.get(order["doctype"], order["name"])["status"] == "Delivered"
    sub = lm.by_email("repeat@example.com")
    assert sub is not None and [(m["name"], m["subscription_status"]) for m in sub["lists"]] == [
        ("Formation follow-up", "confirmed")]
    assert sub["attribs"] == {"erpnext_customer": order["customer"], "customer_name": order["customer"]}
    # A compliance order of the same customer: no list (its buyer is not sent the compliance upsell).
    second = make_order(doctype="Compliance Service", customer=order["customer"], email="repeat@example.com")
    answer = post(deliver_fn, {"doctype": second["doctype"], "name": second["name"]})
    assert answer.json()["listmonk"] == "no_list"
    subs = [s for s in lm.subscribers.values() if s["email"] == "repeat@example.com"]
    assert len(subs) == 1 and [m["name"] for m in subs[0]["lists"]] == ["Formation follow-up"]
    # A repeated call for a delivered order is "done" and does not duplicate anything either.
    again = post(deliver_fn, payload).json()
    assert again["status"] == "done" and again["listmonk"] == "already"
    assert len(sink.messages) == 2


def test_unsubscribe_webhook_sets_contact_opt_out(deliver_fn: FunctionProcess, lm: ListmonkStandin, erp: ERPNext,
                                                  make_order: Callable[..., Order]) -> None:
    order = make_order(email=None, contact_email="leaving@example.com")
    assert post(deliver_fn, {"doctype": order["doctype"], "name": order["name"]}).json()["status"] == "delivered"
    url = f"{deliver_fn.url}/listmonk/unsubscribe"
    assert httpx.post(url, json={"email": "leaving@example.com"}, timeout=10).status_code == 401
    assert httpx.post(url, json={"email": "leaving@example.com"}, timeout=10,
                      headers={"Authorization": "Bearer nope"}).status_code == 401
    lm.unsubscribe("leaving@example.com")  # Listmonk notifies deliver's route with the shared token
    contacts = list(erp.list("Contact", fields=["name", "email_opted_out"],
                             filters={"email_id": "leaving@example.com"}))
    assert contacts and all(int(c["email_opted_out"]) == 1 for c in contacts)
    # Opted out: a later delivery still emails the documents but does not re-subscribe.
    again = make_order(email=None, contact_email="leaving@example.com")
    contact = erp.get("Customer", again["customer"])["customer_primary_contact"]
    erp.update("Contact", contact, {"email_opted_out": 1})
    out = post(deliver_fn, {"doctype": again["doctype"], "name": again["name"]}).json()
    assert out["status"] == "delivered" and out["listmonk"] == "opted_out"


def test_unsubscribe_route_accepts_listmonk_webhook_auth(deliver_fn: FunctionProcess, erp: ERPNext,
                                                         make_order: Callable[..., Order]) -> None:
    # Listmonk's webhook worker (internal/webhooks/worker.go) signs "<timestamp>.<body>" with HMAC-SHA256 into
    # X-Listmonk-Signature: sha256=<hex>, or uses Basic auth; the docs also describe a bare hex over the body.
    order = make_order(email=None, contact_email="signed-leaver@example.com")
    assert post(deliver_fn, {"doctype": order["doctype"], "name": order["name"]}).json()["status"] == "delivered"
    url = f"{deliver_fn.url}/listmonk/unsubscribe"
    body = json.dumps({"event": "subscriber.unsubscribed", "timestamp": "2026-01-15T10:30:00Z",
                       "data": {"subscriber": {"id": 7, "email": "signed-leaver@example.com"}, "list_ids": [1]}})

    def hmac_hex(secret: str, message: str) -> str:
        return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()

    now = str(int(time.time()))
    refused = [
        {"X-Listmonk-Signature": "sha256=" + hmac_hex("wrong-secret", f"{now}.{body}"), "X-Listmonk-Timestamp": now},
        {"X-Listmonk-Signature": "sha256=" + hmac_hex(UNSUB_TOKEN, f"{int(now) - 3600}.{body}"),
         "X-Listmonk-Timestamp": str(int(now) - 3600)},  # a replay an hour later
        {"X-Listmonk-Signature": hmac_hex(UNSUB_TOKEN, body + " ")},  # signature of another body
        {"Authorization": "Basic " + base64.b64encode(b"listmonk:wrong").decode()},
    ]
    for headers in refused:
        answer = httpx.post(url, content=body, headers={"Content-Type": "application/json", **headers}, timeout=10)
        assert answer.status_code == 401, headers
    accepted = [
        {"X-Listmonk-Signature": "sha256=" + hmac_hex(UNSUB_TOKEN, f"{now}.{body}"), "X-Listmonk-Timestamp": now},
        {"X-Listmonk-Signature": hmac_hex(UNSUB_TOKEN, body)},
        {"Authorization": "Basic " + base64.b64encode(f"listmonk:{UNSUB_TOKEN}".encode()).decode()},
    ]
    for headers in accepted:
        answer = httpx.post(url, content=body, headers={"Content-Type": "application/json", **headers}, timeout=10)
        assert answer.status_code == 200, (headers, answer.text)
    contacts = list(erp.list("Contact", fields=["name", "email_opted_out"],
                             filters={"email_id": "signed-leaver@example.com"}))
    assert contacts and all(int(c["email_opted_out"]) == 1 for c in contacts)


def test_new_customer_joins_the_welcome_list_once(deliver_fn: FunctionProcess, lm: ListmonkStandin,
                                                   erp: ERPNext) -> None:
    url = f"{deliver_fn.url}/listmonk/customer"

    def created(name: str, secret: str | None = SECRET) -> httpx.Response:
        body = json.dumps({"doctype": "Customer", "name": name}).encode()
        headers = {"Content-Type": "application/json", **({SIGNATURE_HEADER: sign(body, secret)} if secret else {})}
        return httpx.post(url, content=body, headers=headers, timeout=30)

    name = erp.insert("Customer", {"customer_name": "Welcome Works LLC", "customer_type": "Company",
                                   "email_id": "hello@welcome-works.example"})["name"]
    assert created(name, secret=None).status_code == 401
    assert created(name, secret="wrong").status_code == 401
    assert lm.by_email("hello@welcome-works.example") is None
    first = created(name)
    assert first.status_code == 200 and first.json()["listmonk"] == "created", first.text
    assert created(name).json()["listmonk"] == "already"
    subs = [s for s in lm.subscribers.values() if s["email"] == "hello@welcome-works.example"]
    assert len(subs) == 1 and [m["name"] for m in subs[0]["lists"]] == ["Welcome"]
    assert subs[0]["attribs"] == {"erpnext_customer": name, "customer_name": "Welcome Works LLC"}
    assert subs[0]["name"] == "Welcome Works LLC"
    # An opted-out contact is never subscribed.
    contact = erp.insert("Contact", {"first_name": "Quiet", "email_id": "quiet@example.com", "email_opted_out": 1})
    quiet = erp.insert("Customer", {"customer_name": "Quiet Co", "customer_type": "Company",
                                    "email_id": "quiet@example.com", "customer_primary_contact": contact["name"]})
    answer = created(quiet["name"])
    assert answer.status_code == 200 and answer.json()["listmonk"] == "opted_out"
    assert lm.by_email("quiet@example.com") is None
    assert created("CUST-DOES-NOT-EXIST").status_code == 404
