"""The access log: presign answers (through the function runner, as deployed) and deliveries / resends each write
one append-only record with no token, URL, signature or client address; the reader finds them."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from delivery_helpers import deliverer
from races import race

from pwcore.clients.erpnext import ERPNext
from pwcore.clients.s3 import Storage
from pwcore.clients.smtp import SMTPSettings
from pwcore.model import problems
from pwcore.model.layout import ACCESS_LOG_PREFIX, sent_marker_key
from pwcore.model.signatures import SIGNATURE_HEADER, sign
from pwcore.orders.access_log import AccessLog, client_address, derive_client_key, read
from pwcore.steps.delivery import SimulatedCrash
from pwcore.steps.presign import Presigner, PresignError, PresignSettings, answer_request
from pwdev.demo_access_log import show_access_log
from pwdev.erpnext import ERPNextStandin
from pwdev.gateway import Gateway
from pwdev.procs import FunctionProcess
from pwdev.s3 import S3Server
from pwdev.smtp_sink import SMTPSink

ROOT = Path(__file__).resolve().parents[3]
JWT_SECRET = "access-log-jwt-secret-for-tests-0123456789abcdef"
AUD = "pw-portal-test"
SITE = "https://performancewest.net"
Order = dict[str, Any]


def records_of(storage: Storage, order: str) -> list[tuple[str, bytes]]:
    """Every access-log object of `order` (any day: a test crossing midnight UTC still finds its records)."""
    return [(o.key, storage.get_bytes(o.key)) for o in storage.list(ACCESS_LOG_PREFIX) if f"/{order}/" in o.key]


def parsed(storage: Storage, order: str) -> list[dict[str, Any]]:
    out = []
    for _key, data in records_of(storage, order):
        lines = data.decode().splitlines()
        assert len(lines) == 1 and data.endswith(b"\n")  # one JSON line per object
        out.append(json.loads(lines[0]))
    return sorted(out, key=lambda r: str(r["at"]))


def expected_hash(address: str) -> str:
    """What the record must hold for `address`: HMAC-SHA256 under the key derived from the JWT secret."""
    key = hmac.new(JWT_SECRET.encode(), b"pwcore access-log client-address key v1", hashlib.sha256).digest()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:32]


def token(sub: str) -> str:
    return jwt.encode({"sub": sub, "aud": AUD, "exp": int(time.time()) + 300}, JWT_SECRET, algorithm="HS256")


@pytest.fixture(scope="module")
def presign_fn(erp_standin: ERPNextStandin, s3: S3Server, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[FunctionProcess]:
    env = {**s3.env(), "ERPNEXT_URL": erp_standin.url, "ERPNEXT_API_KEY": "dev-key",
           "ERPNEXT_API_SECRET": "dev-secret", "PRESIGN_JWT_SECRET": JWT_SECRET, "PRESIGN_AUDIENCE": AUD,
           "PRESIGN_ALLOWED_ORIGINS": SITE, "SECRETS_DIR": str(tmp_path_factory.mktemp("secrets"))}
    fn = FunctionProcess("presign", ROOT / "functions" / "presign", env,
                         log_path=tmp_path_factory.mktemp("logs") / "presign.log").start()
    yield fn
    fn.stop()


def get(fn: FunctionProcess, order: str, tok: str | None, **headers: str) -> httpx.Response:
    sent = {k.replace("_", "-"): v for k, v in headers.items()}
    if tok is not None:
        sent["Authorization"] = f"Bearer {tok}"
    return httpx.get(f"{fn.url}/", params={"order": order}, headers=sent, timeout=10)


# --- presign, served as deployed ------------------------------------------------------------------------------

def test_a_presign_answer_writes_one_record_without_token_url_or_address(
        presign_fn: FunctionProcess, make_order: Callable[..., Order], storage: Storage) -> None:
    order = make_order(status="Approved")
    tok = token(order["customer"])
    # The ingress sets X-Real-IP; X-Forwarded-For never reaches the handler (waitress drops it, as deployed).
    answer = get(presign_fn, order["name"], tok, Origin=SITE, X_Real_IP="203.0.113.7",
                 X_Forwarded_For="198.51.100.9", X_Call_Id="call-presign-1")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    [(key, raw)] = records_of(storage, order["name"])
    record = json.loads(raw)
    assert record["event"] == "presign" and record["outcome"] == 200 and record["customer"] == order["customer"]
    assert record["order"] == order["name"] and record["version"] == 1 and record["order_status"] == "Approved"
    assert record["files"] == [f["filename"] for f in body["files"]] and len(record["files"]) == 3
    assert record["expires_at"] == body["expires_at"] and record["ttl_s"] == body["ttl_s"]
    assert record["client"] == expected_hash("203.0.113.7")
    assert record["call_id"] == "call-presign-1" and record["method"] == "GET"
    assert key.startswith(f"access-log/{record['at'][:10].replace('-', '/')}/{order['name']}/")
    text = key + raw.decode()
    for forbidden in (tok, JWT_SECRET, "203.0.113.7", "198.51.100.9", "X-Amz", "Signature", "http", "?",
                      *(f["url"] for f in body["files"])):
        assert forbidden not in text, forbidden
    # Each answer is its own event: a second one is a second record, an old one is never replaced.
    assert get(presign_fn, order["name"], tok, X_Forwarded_For="198.51.100.9").status_code == 200
    again = parsed(storage, order["name"])
    assert len(again) == 2 and again[0] == record and again[1]["client"] is None  # no X-Real-IP: none known


def test_through_the_gateway_the_ingress_address_counts(presign_fn: FunctionProcess,
                                                        make_order: Callable[..., Order], storage: Storage) -> None:
    """Client -> (ingress: X-Real-IP) -> gateway (appends to X-Forwarded-For) -> runner (waitress drops it)."""
    order = make_order(status="Delivered")
    with Gateway({"presign": presign_fn.url}, workers=1) as gateway:
        answer = httpx.get(f"{gateway.url}/function/presign", params={"order": order["name"]}, timeout=10,
                           headers={"Authorization": f"Bearer {token(order['customer'])}",
                                    "X-Real-IP": "192.0.2.44", "X-Forwarded-For": "10.1.2.3"})
    assert answer.status_code == 200, answer.text
    [record] = parsed(storage, order["name"])
    assert record["client"] == expected_hash("192.0.2.44")
    assert record["call_id"] == answer.headers["X-Call-Id"]  # the gateway's generated call id


def test_refusals_of_an_authenticated_customer_are_logged_others_are_not(
        presign_fn: FunctionProcess, make_order: Callable[..., Order], storage: Storage) -> None:
    order = make_order(status="Review")
    stranger = make_order(status="Approved")
    assert get(presign_fn, order["name"], token(order["customer"])).status_code == 409
    assert get(presign_fn, order["name"], token(stranger["customer"])).status_code == 404  # someone else's order
    assert get(presign_fn, order["name"], None).status_code == 401
    assert get(presign_fn, order["name"], "not-a-token").status_code == 401
    assert get(presign_fn, order["name"], token(order["customer"]), Origin="https://evil.example").status_code == 403
    assert get(presign_fn, order["name"] + "/../x", token(order["customer"])).status_code == 400
    refused = parsed(storage, order["name"])
    assert sorted((r["outcome"], r["customer"], r["order_status"]) for r in refused) == [
        (404, stranger["customer"], ""), (409, order["customer"], "Review")]
    assert all(r["files"] == [] and r["version"] == 0 and r["expires_at"] is None for r in refused)
    assert records_of(storage, stranger["name"]) == []


@dataclass
class Event:
    headers: dict[str, str]
    method: str = "GET"
    query: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def test_no_links_without_their_record(erp: ERPNext, storage: Storage, make_order: Callable[..., Order]) -> None:
    """S3 down for the log write: 503 and no URL; a refusal is still answered (it reveals nothing)."""
    settings = PresignSettings(jwt_secret=JWT_SECRET, audience=AUD)
    service = Presigner(erp, storage, settings)
    order = make_order(status="Approved")
    assert service.links(order["customer"], order["name"])["files"]  # warm: manifest cached, no S3 read needed
    service.access_log = AccessLog(Storage("127.0.0.1:1", "minioadmin", "minioadmin", storage.bucket, retries=1))
    event = Event({"Authorization": f"Bearer {token(order['customer'])}"}, query={"order": order["name"]})
    with pytest.raises(problems.Unavailable) as caught:
        answer_request(event, settings, lambda: service)
    assert caught.value.status == 503 and "url" not in json.dumps(caught.value.body())
    other = Event({"Authorization": f"Bearer {token('Somebody Else')}"}, query={"order": order["name"]})
    with pytest.raises(PresignError) as refused:
        answer_request(other, settings, lambda: service)
    assert refused.value.status == 404
    assert records_of(storage, order["name"]) == []


@pytest.mark.parametrize(("headers", "expected"), [
    ({"X-Real-IP": "203.0.113.7"}, "203.0.113.7"),
    ({"X-Real-IP": " 2001:DB8::0:1 "}, "2001:db8::1"),
    ({"X-Real-IP": "[2001:db8::1]:443"}, "2001:db8::1"),
    ({"X-Real-IP": "203.0.113.7:5123"}, "203.0.113.7"),
    ({"X-Real-IP": "203.0.113.7", "X-Forwarded-For": "1.1.1.1, 2.2.2.2"}, "203.0.113.7"),
    # client, ingress (added by the gateway): the ingress' entry is the client; further left is a claim.
    ({"X-Forwarded-For": "10.9.9.9, 203.0.113.7, 10.0.0.5"}, "203.0.113.7"),
    ({"X-Forwarded-For": "203.0.113.7, 10.0.0.5"}, "203.0.113.7"),
    ({"X-Forwarded-For": "10.0.0.5"}, "10.0.0.5"),
    ({"X-Real-IP": "not an address"}, ""),
    ({"X-Real-IP": "123-45-6789"}, ""),
    ({}, ""),
])
def test_client_address_trusts_the_ingress_hop(headers: dict[str, str], expected: str) -> None:
    assert client_address(headers) == expected


def test_the_client_hash_is_keyed() -> None:
    log = AccessLog(None, derive_client_key(JWT_SECRET))  # type: ignore[arg-type]
    assert log.client_hash("203.0.113.7") == expected_hash("203.0.113.7")
    assert log.client_hash("203.0.113.7") != hashlib.sha256(b"203.0.113.7").hexdigest()[:32]
    assert AccessLog(None, derive_client_key("another-secret-" * 3)).client_hash(  # type: ignore[arg-type]
        "203.0.113.7") != log.client_hash("203.0.113.7")
    assert AccessLog(None).client_hash("203.0.113.7") is None  # type: ignore[arg-type]


# --- deliver ---------------------------------------------------------------------------------------------------

def test_a_delivery_writes_one_record_even_across_a_crash_and_retries(
        erp: ERPNext, storage: Storage, smtp: SMTPSink, smtp_settings: SMTPSettings,
        make_order: Callable[..., Order]) -> None:
    order = make_order(email="owner@access.example")
    with pytest.raises(SimulatedCrash):  # the email is out and the marker says "sent"; nothing recorded yet
        deliverer(erp, storage, smtp_settings, crash_at="marker_sent").run(order["doctype"], order["name"], "c1")
    assert records_of(storage, order["name"]) == []
    out = deliverer(erp, storage, smtp_settings).run(order["doctype"], order["name"], "c2")
    assert out.status == "delivered"
    assert deliverer(erp, storage, smtp_settings).run(order["doctype"], order["name"], "c3").status == "done"
    [msg] = smtp.wait_for(1)
    [record] = parsed(storage, order["name"])
    marker = storage.get_json(sent_marker_key(order["name"], 1))
    assert record["event"] == "delivery" and record["order"] == order["name"] and record["version"] == 1
    assert record["recipient"] == "owner@access.example" and record["message_id"] == msg["Message-ID"]
    assert record["attached"] == out.attached and record["linked"] == out.linked
    assert record["files"] == [*out.attached, *out.linked] and len(record["files"]) == 2  # the PDFs (no .docx)
    assert record["call_id"] == "c1" and record["at"] == marker["accepted_at"].replace("+00:00", ".000Z")
    assert record["doctype"] == order["doctype"] and "resend_of" not in record


def test_a_resend_writes_its_own_record(erp: ERPNext, storage: Storage, smtp: SMTPSink,
                                        smtp_settings: SMTPSettings, make_order: Callable[..., Order]) -> None:
    order = make_order(email="resend@access.example")
    with pytest.raises(SimulatedCrash):  # accepted by SMTP, marker still "sending": uncertain, not logged
        deliverer(erp, storage, smtp_settings, crash_at="sent").run(order["doctype"], order["name"], "first")
    assert deliverer(erp, storage, smtp_settings, sending_lease_s=-1).run(
        order["doctype"], order["name"], "retry").status == "uncertain"
    doc = erp.get(order["doctype"], order["name"])
    erp.update(order["doctype"], order["name"], {"status": "Approved"}, modified=doc["modified"])
    race(3, lambda i: deliverer(erp, storage, smtp_settings).run(order["doctype"], order["name"], f"op{i}",
                                                                  resend=True))
    messages = smtp.wait_for(2)
    [record] = parsed(storage, order["name"])
    assert record["event"] == "resend" and record["resend_of"] == "first" and record["call_id"].startswith("op")
    assert record["message_id"] == messages[-1]["Message-ID"] and record["recipient"] == "resend@access.example"
    assert record["files"] and "-resend-" in records_of(storage, order["name"])[0][0]


def test_a_failed_log_write_does_not_stop_the_delivery(erp: ERPNext, storage: Storage, smtp: SMTPSink,
                                                       smtp_settings: SMTPSettings,
                                                       make_order: Callable[..., Order]) -> None:
    order = make_order()
    run = deliverer(erp, storage, smtp_settings)
    run.access_log = AccessLog(Storage("127.0.0.1:1", "minioadmin", "minioadmin", storage.bucket, retries=1))
    assert run.run(order["doctype"], order["name"], "c1").status == "delivered"
    assert len(smtp.wait_for(1)) == 1 and records_of(storage, order["name"]) == []


def test_the_deliver_function_writes_the_record(erp_standin: ERPNextStandin, s3: S3Server, smtp: SMTPSink,
                                               storage: Storage, make_order: Callable[..., Order],
                                               tmp_path: Path) -> None:
    """Through the function runner, signed like ERPNext's webhook: one record, the gateway's call id in it."""
    secret = "webhook-secret-for-access-log-tests-42"
    env = {**s3.env(), **smtp.env(), "ERPNEXT_URL": erp_standin.url, "ERPNEXT_API_KEY": "dev-key",
           "ERPNEXT_API_SECRET": "dev-secret", "WEBHOOK_SECRET": secret, "SECRETS_DIR": str(tmp_path)}
    order = make_order(email="fn@access.example")
    body = json.dumps({"doctype": order["doctype"], "name": order["name"]}).encode()
    with FunctionProcess("deliver", ROOT / "functions" / "deliver", env, log_path=tmp_path / "deliver.log") as fn:
        for call in ("call-fn-1", "call-fn-2"):  # the webhook repeats: still one record
            answer = httpx.post(fn.url, content=body, timeout=30, headers={
                "Content-Type": "application/json", SIGNATURE_HEADER: sign(body, secret), "X-Call-Id": call})
            assert answer.status_code == 200, answer.text
    [record] = parsed(storage, order["name"])
    assert (record["event"], record["recipient"], record["call_id"]) == ("delivery", "fn@access.example", "call-fn-1")
    assert secret not in json.dumps(record) and len(smtp.wait_for(1)) == 1


# --- the reader -------------------------------------------------------------------------------------------------

def test_the_reader_answers_who_fetched_what_when(presign_fn: FunctionProcess, erp: ERPNext, storage: Storage,
                                                  smtp: SMTPSink, smtp_settings: SMTPSettings,
                                                  make_order: Callable[..., Order]) -> None:
    order = make_order(email="reader@access.example")
    assert deliverer(erp, storage, smtp_settings).run(order["doctype"], order["name"], "d1").status == "delivered"
    assert get(presign_fn, order["name"], token(order["customer"]), X_Real_IP="198.51.100.20").status_code == 200
    today = dt.datetime.now(dt.UTC).date()
    found = list(read(storage, order["name"], today - dt.timedelta(days=1), today + dt.timedelta(days=1)))
    assert [(r["event"], r.get("recipient") or r.get("customer")) for r in found] == [
        ("delivery", "reader@access.example"), ("presign", order["customer"])]
    assert found[1]["outcome"] == 200 and found[1]["client"] == expected_hash("198.51.100.20")
    assert list(read(storage, order["name"], today - dt.timedelta(days=30), today - dt.timedelta(days=2))) == []
    said: list[str] = []
    shown = show_access_log(storage, order["name"], said.append)  # the demo's part prints the same
    assert [(r["event"], r["outcome"]) for r in shown] == [("delivery", "sent"), ("presign", 200)] and len(said) == 3
