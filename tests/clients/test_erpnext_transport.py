"""The ERPNext client with an injected transport (no socket): errors typed from Frappe's bodies, retries only
where a retry can help, transient vs permanent decided in one place."""

from __future__ import annotations

import json

import httpx
import pytest

from pwcore.clients.erpnext import ERPNext, Forbidden, NotFound, ServerError, TimestampMismatch
from pwcore.clients.outages import is_transient, outage_of


def client(handler: httpx.MockTransport) -> ERPNext:
    return ERPNext("http://erp.invalid", "key", "secret-value-123", retries=3, max_wait_s=0.01, transport=handler)


def test_token_auth_and_data_envelope() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"data": {"name": "FO-1", "status": "Queued"}})

    doc = client(httpx.MockTransport(answer)).get("Formation Order", "FO-1")
    assert doc["status"] == "Queued"
    assert seen[0].headers["Authorization"] == "token key:secret-value-123"
    assert seen[0].url.raw_path == b"/api/resource/Formation%20Order/FO-1"


def test_permission_error_is_permanent_and_not_retried() -> None:
    calls = 0

    def answer(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        messages = json.dumps([json.dumps({"message": "No permission for Sales Invoice"})])
        return httpx.Response(403, json={"exc_type": "PermissionError", "_server_messages": messages})

    with pytest.raises(Forbidden) as refused:
        client(httpx.MockTransport(answer)).get("Sales Invoice", "X")
    assert calls == 1 and refused.value.message == "No permission for Sales Invoice"
    assert not is_transient(refused.value) and outage_of(refused.value) is None


def test_server_errors_are_retried_then_an_outage() -> None:
    calls = 0

    def answer(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(502, text="bad gateway")

    with pytest.raises(ServerError) as down:
        client(httpx.MockTransport(answer)).get("Customer", "C")
    assert calls == 3 and is_transient(down.value) and outage_of(down.value) == "ERPNext"


def test_stale_modified_is_a_timestamp_mismatch_and_missing_is_not_found() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "PUT":
            return httpx.Response(417, json={"exc_type": "TimestampMismatchError"})
        return httpx.Response(404, json={"exc_type": "DoesNotExistError"})

    erp = client(httpx.MockTransport(answer))
    with pytest.raises(TimestampMismatch):
        erp.update("Formation Order", "FO-1", {"status": "Review"}, modified="2026-01-01 00:00:00.000000")
    with pytest.raises(NotFound):
        erp.get("Formation Order", "FO-404")
