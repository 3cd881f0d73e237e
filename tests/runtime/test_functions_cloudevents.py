"""The functions, served as OpenFaaS serves them (pwdev runner processes of the local stack), answering Knative's
requests: binary and structured CloudEvents from the Broker (signature in ce-pwsignature) and PingSource ticks.
Requests go straight to the function, as a Knative Trigger / PingSource sink does (no gateway in between)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pwcore.model.signatures import SIGNATURE_HEADER, sign
from pwcore.runtime.cloudevents import PING_TYPE, signed_data
from pwdev.demo import place_order
from pwdev.stack import WEBHOOK_SECRET, LocalStack


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    workdir: Path = tmp_path_factory.mktemp("engine-stack")
    with LocalStack(workdir, functions=("on-payment", "generate-doc", "reconcile")) as s:
        yield s


def url(stack: LocalStack, name: str) -> str:
    return stack.functions[name].url


def plain(stack: LocalStack, name: str, payload: dict[str, Any]) -> httpx.Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return httpx.post(url(stack, name), content=body, timeout=30,
                      headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, WEBHOOK_SECRET)})


def binary(stack: LocalStack, name: str, payload: dict[str, Any], signature: str | None = None,
           call_id: str | None = None) -> httpx.Response:
    """What the Broker delivers: ce-* attributes and the data; no X-Frappe-Webhook-Signature header."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = {"ce-specversion": "1.0", "ce-type": f"net.performancewest.{name}", "ce-source": "/pipeline/test",
               "ce-id": call_id or str(uuid.uuid4()), "Content-Type": "application/json",
               "ce-pwsignature": signature if signature is not None else sign(body, WEBHOOK_SECRET)}
    return httpx.post(url(stack, name), content=body, headers=headers, timeout=30)


def structured(stack: LocalStack, name: str, payload: dict[str, Any], base64_data: bool = False) -> httpx.Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    envelope: dict[str, Any] = {"specversion": "1.0", "type": f"net.performancewest.{name}", "source": "/test",
                                "id": str(uuid.uuid4()), "datacontenttype": "application/json",
                                "pwsignature": sign(body, WEBHOOK_SECRET)}
    if base64_data:
        envelope["data_base64"] = signed_data(body)
    else:
        envelope["data"] = payload
    return httpx.post(url(stack, name), content=json.dumps(envelope).encode(), timeout=30,
                      headers={"Content-Type": "application/cloudevents+json"})


def same_answer(a: httpx.Response, b: httpx.Response) -> None:
    assert a.status_code == b.status_code
    assert a.headers["content-type"].startswith("application/json")
    assert a.json() == b.json()


def test_on_payment_binary_and_structured_events_answer_like_plain_http(stack: LocalStack) -> None:
    unknown = {"doctype": "Sales Invoice", "name": "ACC-SINV-NOPE-1", "status": "Paid"}
    reference = plain(stack, "on-payment", unknown)
    assert reference.status_code == 404
    same_answer(binary(stack, "on-payment", unknown), reference)
    same_answer(structured(stack, "on-payment", unknown), reference)
    same_answer(structured(stack, "on-payment", unknown, base64_data=True), reference)


def test_on_payment_real_unpaid_invoice_is_ignored_either_way(stack: LocalStack) -> None:
    from pwcore.runtime import wiring

    order = place_order(wiring.erpnext(), "CloudEvent Cafe", "ce@cafe.example", compliance=False)
    payload = {"doctype": "Sales Invoice", "name": order["invoice"], "status": "Paid"}
    reference = plain(stack, "on-payment", payload)
    assert reference.status_code == 200 and reference.json()["status"] == "ignored"
    same_answer(binary(stack, "on-payment", payload), reference)


def test_wrong_or_missing_signature_is_401(stack: LocalStack) -> None:
    payload = {"doctype": "Formation Order", "name": "FO-CE-0001"}
    for name in ("on-payment", "generate-doc"):
        body = payload if name == "generate-doc" else {"doctype": "Sales Invoice", "name": "ACC-SINV-X"}
        wrong = binary(stack, name, body, signature=sign(b"something else", WEBHOOK_SECRET))
        assert wrong.status_code == 401 and SIGNATURE_HEADER in wrong.json()["error"]
        assert binary(stack, name, body, signature="").status_code == 401


def test_generate_doc_binary_event_answers_like_plain_http(stack: LocalStack) -> None:
    from pwcore.runtime import wiring

    # An order still Ordered (not paid): generate-doc settles it without rendering (no LibreOffice run here).
    order = place_order(wiring.erpnext(), "Binary Bakery", "ce@bakery.example", compliance=False)
    doctype, name = order["orders"][0]
    payload = {"doctype": doctype, "name": name}
    reference = plain(stack, "generate-doc", payload)
    assert reference.status_code == 200, reference.text
    same_answer(binary(stack, "generate-doc", payload), reference)
    same_answer(structured(stack, "generate-doc", payload), reference)


def test_malformed_cloudevent_is_a_json_400(stack: LocalStack) -> None:
    response = httpx.post(url(stack, "generate-doc"), content=b"{}", timeout=10,
                          headers={"ce-specversion": "1.0", "ce-id": "x", "Content-Type": "application/json"})
    assert response.status_code == 400 and "malformed CloudEvent" in response.json()["error"]


def test_pingsource_tick_runs_reconcile(stack: LocalStack) -> None:
    tick = {"ce-specversion": "1.0", "ce-type": PING_TYPE, "ce-id": str(uuid.uuid4()),
            "ce-source": "/apis/v1/namespaces/performancewest/pingsources/reconcile-5min",
            "ce-time": "2026-03-01T12:00:00Z"}
    response = httpx.post(url(stack, "reconcile"), headers=tick, timeout=60)
    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["status"] != "error" and summary.get("dry_run") is False
    # PingSource with JSON data (spec.data) is accepted too: cron functions ignore the body.
    with_data = httpx.post(url(stack, "reconcile"), timeout=60, content=b'{"note":"tick"}',
                           headers={**tick, "ce-id": str(uuid.uuid4()), "Content-Type": "application/json"})
    assert with_data.status_code == 200 and with_data.json()["status"] != "error"
