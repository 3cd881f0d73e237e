"""pwcore.dispatch in cloudevents mode against a tiny HTTP sink on 127.0.0.1 (plays the Knative Broker ingress),
and pwcore.events on what it sent: binary headers, signature extension, the body verifies end to end."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from pwcore.clients.dispatch import EVENT_TYPE_PREFIX, Dispatcher, DispatchError, DispatchSettings
from pwcore.model.problems import Problem
from pwcore.model.signatures import SIGNATURE_HEADER, verify_signature
from pwcore.runtime import cloudevents
from pwcore.runtime.signed_request import OrderEvent, signed_payload

SECRET = "engine-test-secret-1f9"


class Captured:
    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.status = 202


@pytest.fixture()
def sink() -> Iterator[tuple[str, Captured]]:
    captured = Captured()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            captured.requests.append((self.path, dict(self.headers.items()), body))
            self.send_response(captured.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/performancewest/default", captured
    finally:
        server.shutdown()
        server.server_close()


class Req:
    """The python3-http template's Event, in shape."""

    def __init__(self, headers: dict[str, str], body: bytes, method: str = "POST") -> None:
        import httpx

        self.headers = httpx.Headers(headers)
        self.body = body
        self.method = method
        self.query: dict[str, str] = {}
        self.path = "/"


def dispatcher(url: str, secret: str = SECRET) -> Dispatcher:
    return Dispatcher(DispatchSettings(mode="cloudevents", broker_url=url, timeout_s=5), source="test",
                      signing_secret=secret)


def test_binary_cloudevent_with_signature_extension(sink: tuple[str, Captured]) -> None:
    url, captured = sink
    payload = {"doctype": "Formation Order", "name": "FO-2026-0042", "invoice": "ACC-SINV-1"}
    call_id = dispatcher(url).dispatch("generate-doc", payload, call_id="gen-FO-2026-0042-v1")
    assert call_id == "gen-FO-2026-0042-v1"
    ((path, headers, body),) = captured.requests
    h = {k.lower(): v for k, v in headers.items()}
    assert path == "/performancewest/default"
    assert h["ce-specversion"] == "1.0"
    assert h["ce-type"] == f"{EVENT_TYPE_PREFIX}generate-doc" == "net.performancewest.generate-doc"
    assert h["ce-source"] == "/pipeline/test"
    assert h["ce-id"] == call_id
    assert h["content-type"] == "application/json"
    assert json.loads(body) == payload
    assert verify_signature(body, h["ce-pwsignature"], SECRET)
    assert h[SIGNATURE_HEADER.lower()] == h["ce-pwsignature"]


def test_broker_view_signature_only_in_extension_is_accepted(sink: tuple[str, Captured], tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A Broker drops plain headers: the function must verify from ce-pwsignature alone, and reject a bad one."""
    url, captured = sink
    monkeypatch.setenv("SECRETS_DIR", str(tmp_path))
    monkeypatch.setenv("WEBHOOK_SECRET", SECRET)
    dispatcher(url).dispatch("deliver", {"doctype": "Compliance Service", "name": "CS-7"}, call_id="c-7")
    ((_, headers, body),) = captured.requests
    forwarded = {k: v for k, v in headers.items() if k.lower().startswith("ce-") or k.lower() == "content-type"}
    assert SIGNATURE_HEADER not in forwarded
    parsed = cloudevents.parse(Req(forwarded, body))
    assert parsed is not None and parsed.mode == "binary" and parsed.body == body
    assert parsed.headers["X-Call-Id"] == "c-7" and parsed.type == "net.performancewest.deliver"
    result = signed_payload(Req(forwarded, body), OrderEvent)
    assert isinstance(result, OrderEvent) and result.name == "CS-7"
    forged = {**forwarded, "ce-pwsignature": "AAAA" + forwarded["ce-pwsignature"][4:]}
    with pytest.raises(Problem) as refused:
        signed_payload(Req(forged, body), OrderEvent)
    assert refused.value.status == 401


def test_structured_mode_verifies_on_the_canonical_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pwcore.model.signatures import sign

    monkeypatch.setenv("SECRETS_DIR", str(tmp_path))
    monkeypatch.setenv("WEBHOOK_SECRET", SECRET)
    data = {"doctype": "Formation Order", "name": "FO-9"}
    signed = json.dumps(data, separators=(",", ":")).encode()
    envelope = {"specversion": "1.0", "type": "net.performancewest.generate-doc", "source": "/x", "id": "s-1",
                "datacontenttype": "application/json", "pwsignature": sign(signed, SECRET), "data": data}
    req = Req({"Content-Type": "application/cloudevents+json; charset=utf-8"}, json.dumps(envelope, indent=2).encode())
    result = signed_payload(req, OrderEvent)
    assert isinstance(result, OrderEvent) and result.name == "FO-9"
    # data_base64 carries exact bytes, whatever their spacing.
    spaced = json.dumps(data).encode()
    envelope64 = {**{k: v for k, v in envelope.items() if k != "data"}, "pwsignature": sign(spaced, SECRET),
                  "data_base64": cloudevents.signed_data(spaced)}
    req64 = Req({"Content-Type": "application/cloudevents+json"}, json.dumps(envelope64).encode())
    assert isinstance(signed_payload(req64, OrderEvent), OrderEvent)


def test_pingsource_event_and_malformed_events() -> None:
    ping = Req({"ce-specversion": "1.0", "ce-type": cloudevents.PING_TYPE, "ce-id": "p-1",
                "ce-source": "/apis/v1/namespaces/performancewest/pingsources/reconcile-5min",
                "ce-time": "2026-01-02T03:04:05.5Z"}, b"")
    parsed = cloudevents.parse(ping)
    assert parsed is not None and parsed.is_ping and parsed.body == b"" and parsed.headers["X-Call-Id"] == "p-1"
    assert parsed.attributes["time"].startswith("2026-01-02T03:04:05")
    assert cloudevents.parse(Req({"Content-Type": "application/json"}, b"{}")) is None
    with pytest.raises(cloudevents.BadCloudEvent, match="binary mode"):
        cloudevents.parse(Req({"ce-specversion": "1.0", "ce-id": "x"}, b""))  # no type / source
    with pytest.raises(cloudevents.BadCloudEvent, match="structured mode"):
        cloudevents.parse(Req({"Content-Type": "application/cloudevents+json"}, b"{not json"))
    with pytest.raises(cloudevents.StructuredTooLarge):
        cloudevents.parse(Req({"Content-Type": "application/cloudevents+json"},
                                b" " * (cloudevents.MAX_STRUCTURED_BYTES + 1)))


def test_dispatch_refusals_and_missing_broker(sink: tuple[str, Captured]) -> None:
    url, captured = sink
    captured.status = 400
    with pytest.raises(DispatchError, match="refused: 400"):
        dispatcher(url).dispatch("generate-doc", {"doctype": "Formation Order", "name": "FO-1"})
    with pytest.raises(DispatchError, match="DISPATCH_BROKER_URL"):
        dispatcher("").dispatch("generate-doc", {"doctype": "Formation Order", "name": "FO-1"})


def test_an_attribute_that_is_not_latin1_is_a_400() -> None:
    """ce-id "%80" percent-decodes to an invalid byte: a bad CloudEvent (400), never a crash (found by the fuzz)."""
    headers = {"ce-specversion": "1.0", "ce-id": "%80", "ce-source": "0", "ce-type": "0"}
    with pytest.raises(cloudevents.BadCloudEvent):
        cloudevents.parse(Req(headers, b""))
