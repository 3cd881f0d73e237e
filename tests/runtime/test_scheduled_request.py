"""The rules of the scheduled functions' requests (pwcore.runtime.scheduled_request), the JSON parse limits
(pwcore.model.jsonsafe) and the body limit under the template's Flask (pwcore.runtime.body_limit)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pytest

from pwcore.clients.s3 import Storage
from pwcore.model import jsonsafe
from pwcore.model.problems import BadRequest, MethodNotAllowed, PayloadTooLarge, Unauthorized
from pwcore.model.signatures import SIGNATURE_HEADER, sign
from pwcore.runtime.scheduled_request import claim_slot, counts_only, scheduled_call

SECRET = "scheduled-test-webhook-secret"
TOKEN = "scheduled-test-operator-token"


class Event:
    def __init__(self, method: str = "POST", body: bytes = b"", query: dict[str, str] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        self.method, self.body, self.path = method, body, "/"
        self.query = query or {}
        self.headers = httpx.Headers(headers or {})


@pytest.fixture(autouse=True)
def secrets(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("SECRETS_DIR", str(tmp_path))
    monkeypatch.setenv("WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("OPERATOR_TOKEN", TOKEN)


def signed(options: dict[str, Any]) -> Event:
    body = json.dumps(options).encode()
    return Event(body=body, query={"mode": "ignored"}, headers={SIGNATURE_HEADER: sign(body, SECRET)})


def test_the_schedule_takes_no_input() -> None:
    cron = scheduled_call(Event(headers={"X-Topic": "cron-function"}), "reconcile")
    assert not cron.operator and cron.trigger == "cron" and not cron.flag("dry_run") and cron.body == b""
    for event in (Event(query={"dry_run": "1"}), Event(body=b"dump"), Event(method="GET"),
                  Event(query={"mode": "lifecycle"}, headers={"X-Topic": "cron-function"})):
        with pytest.raises(Unauthorized):
            scheduled_call(event, "backup", methods=("POST", "GET"))
    # A PingSource's own data is ignored, never used.
    ping = Event(body=b'{"note":"tick"}', headers={"ce-specversion": "1.0", "ce-id": "1", "ce-source": "/p",
                                                   "ce-type": "dev.knative.sources.ping",
                                                   "Content-Type": "application/json"})
    call = scheduled_call(ping, "backup")
    assert not call.operator and call.body == b"" and not call.options


def test_operator_token() -> None:
    call = scheduled_call(Event(body=b"dump", query={"mode": "verify"},
                                headers={"Authorization": f"Bearer {TOKEN}"}), "backup")
    assert call.operator and call.option("mode") == "verify" and call.body == b"dump"
    for wrong in (f"Bearer {TOKEN}x", "Bearer ", "Basic abc", f"Token {TOKEN}"):
        with pytest.raises(Unauthorized):  # never a fallback to the scheduled run
            scheduled_call(Event(headers={"Authorization": wrong}), "backup")
    with pytest.raises(MethodNotAllowed):
        scheduled_call(Event(method="PUT", headers={"Authorization": f"Bearer {TOKEN}"}), "backup")


def test_operator_token_unset_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPERATOR_TOKEN", "")
    with pytest.raises(Unauthorized):
        scheduled_call(Event(headers={"Authorization": "Bearer "}), "backup")
    with pytest.raises(Unauthorized):
        scheduled_call(Event(headers={"Authorization": "Bearer anything"}), "backup")


def test_signed_options() -> None:
    call = scheduled_call(signed({"dry_run": True, "mode": "retention", "issued_at": time.time()}), "backup")
    assert call.operator and call.flag("dry_run") and call.option("mode") == "retention"  # the query is ignored
    assert call.body == b""  # options only: uploads need the token
    for options in ({"dry_run": True}, {"issued_at": time.time() - 3600}, {"issued_at": time.time() + 3600},
                    {"issued_at": "now"}, {"issued_at": True}):
        with pytest.raises(Unauthorized):
            scheduled_call(signed(options), "reconcile")
    bad = Event(body=b'{"issued_at": 1}', headers={SIGNATURE_HEADER: sign(b'{"issued_at": 2}', SECRET)})
    with pytest.raises(Unauthorized):
        scheduled_call(bad, "reconcile")
    deep = b"[" * 5000
    with pytest.raises(BadRequest):
        scheduled_call(Event(body=deep, headers={SIGNATURE_HEADER: sign(deep, SECRET)}), "reconcile")


def test_counts_only_keeps_no_names() -> None:
    summary = {"status": "ok", "dry_run": False, "found": {"payment": 2}, "errors": ["ERPNext 500 on FO-2026-0001"],
               "actions": [{"kind": "payment", "order": "ACC-SINV-2026-00001"}], "key": "backups/erpnext.gpg",
               "mode": "backup", "nested": {"names": ["FO-1", "FO-2"], "count": 3, "detail": "FO-2026-0009"}}
    out = counts_only(summary)
    assert out == {"status": "ok", "dry_run": False, "found": {"payment": 2}, "errors": 1, "actions": 1,
                   "mode": "backup", "nested": {"names": 2, "count": 3}}
    assert "FO-" not in json.dumps(out) and "ACC-" not in json.dumps(out) and "backups/" not in json.dumps(out)


def test_one_scheduled_run_per_slot(s3: Any) -> None:
    storage = Storage(s3.endpoint, s3.access_key, s3.secret_key, s3.bucket)
    job = f"job-{uuid.uuid4().hex[:8]}"
    now = 240 * 4000 + 10.0  # 10 s into a slot
    assert claim_slot(storage, job, 240, now)
    assert not claim_slot(storage, job, 240, now + 100)  # the same slot: skipped
    assert claim_slot(storage, job, 240, now + 300)  # the next firing
    keys = [o.key for o in storage.list(f"locks/scheduled/{job}/")]
    assert keys == [f"locks/scheduled/{job}/{int((now + 300) // 240)}.json"]  # the previous slot removed
    assert claim_slot(storage, job, 0, now) and claim_slot(storage, job, 0, now)  # 0 = not throttled


@pytest.mark.parametrize("raw, reason", [
    (b"[" * 40 + b"]" * 40, "deeper"), (b'{"a":1,"a":2}', "duplicated"), (b'{"a":NaN}', "NaN"),
    (b"[Infinity]", "Infinity"), (b"1e999", "range"), (b"9" * 100, "long"), (b'"\xff"', "UTF-8"),
    (b"{", "valid JSON"),
])
def test_jsonsafe_refuses(raw: bytes, reason: str) -> None:
    with pytest.raises(BadRequest) as exc:
        jsonsafe.loads(raw)
    assert reason in exc.value.reason


def test_jsonsafe_accepts_and_sizes() -> None:
    assert jsonsafe.loads(b'{"a": "[[[[{{{{", "b": [1, 2.5, null, true]}') == {"a": "[[[[{{{{",
                                                                              "b": [1, 2.5, None, True]}
    assert jsonsafe.loads(b"[" * 32 + b"]" * 32) is not None
    with pytest.raises(PayloadTooLarge):
        jsonsafe.loads(b"[1]" * 10, max_bytes=10)
