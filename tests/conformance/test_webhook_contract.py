"""The webhook contract: the body bytes are exactly json.dumps of the rendered data, signed with base64
HMAC-SHA256 in X-Frappe-Webhook-Signature, the Content-Type only from a header row; fired once per matching
event. Needs a receiver the site can reach (on a real site: PW_CONFORMANCE_RECEIVER_HOST)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from conformance_site import Made, Target
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from pwcore.model.signatures import SIGNATURE_HEADER, verify_signature

SECRET = "conformance-webhook-secret-7c"


class Receiver:
    def __init__(self, host: str) -> None:
        self.got: list[tuple[bytes, dict[str, str]]] = []
        self.server = make_server("0.0.0.0" if host != "127.0.0.1" else host, 0, self.app, threaded=True)
        self.url = f"http://{host}:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def app(self, environ: dict[str, Any], start_response: Any) -> Any:
        req = Request(environ)
        self.got.append((req.get_data(), dict(req.headers)))
        return Response("{}", mimetype="application/json")(environ, start_response)


@pytest.fixture(scope="module")
def receiver(target: Target) -> Iterator[Receiver]:
    if not target.receiver_host:
        pytest.skip("PW_CONFORMANCE_RECEIVER_HOST not set: the site cannot reach a receiver here")
    r = Receiver(target.receiver_host)
    yield r
    r.server.shutdown()


def test_webhook_bytes_signature_and_headers(made: Made, target: Target, receiver: Receiver) -> None:
    made.insert("Webhook", {
        "name": f"{target.prefix} hook", "webhook_doctype": "Customer", "webhook_docevent": "after_insert",
        "condition": f"(doc.customer_name or \"\").startswith(\"{target.prefix} Hooked\")", "request_url": receiver.url,
        "request_method": "POST", "request_structure": "JSON", "enable_security": 1, "webhook_secret": SECRET,
        "webhook_json": '{"doctype": "Customer", "name": "{{ doc.name }}", "note": "caf\\u00e9"}',
        "webhook_headers": [{"key": "Content-Type", "value": "application/json"}], "enabled": 1})
    made.insert("Customer", {"customer_name": f"{target.prefix} Not hooked", "customer_type": "Company"})
    hooked = made.insert("Customer", {"customer_name": f"{target.prefix} Hooked", "customer_type": "Company"})
    deadline = time.monotonic() + (60 if target.real else 10)
    while not receiver.got and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5 if not target.real else 3)  # a second delivery would have arrived by now
    assert len(receiver.got) == 1, receiver.got  # only the matching insert, once
    body, headers = receiver.got[0]
    data = json.loads(body)
    assert data == {"doctype": "Customer", "name": hooked["name"], "note": "café"}
    assert body == json.dumps(data).encode()  # ", " and ": " separators, non-ASCII escaped
    assert verify_signature(body, headers.get(SIGNATURE_HEADER), SECRET)
    assert headers.get("Content-Type") == "application/json"
    assert headers.get("User-Agent", "").startswith("python-requests/")
