"""CloudEvents over HTTP (Knative Broker, Trigger, PingSource) turned into the plain requests our handlers know.

A request is a CloudEvent in *binary* mode when it carries `ce-specversion` (attributes in `ce-*` headers, data =
the raw body) and in *structured* mode when its Content-Type starts with `application/cloudevents` (attributes and
`data` / `data_base64` in a JSON envelope). `normalise(event)` returns an event-like object whose body is the
event's data and whose headers gain the plain-HTTP names our handlers read:

- `X-Frappe-Webhook-Signature` from the extension `pwsignature` (header `ce-pwsignature`): a Knative Broker
  forwards CloudEvent attributes, not arbitrary HTTP headers, so our dispatch carries the signature both ways.
- `X-Call-Id` from `id` when the request has none (the idempotency / log key, like OpenFaaS's X-Call-Id).

Binary mode keeps the body bytes untouched (the signature covers exactly them, and a backup dump is never parsed).
Structured mode has no raw data bytes: `data_base64` is used as is, JSON `data` is re-serialised compactly, which
is byte-identical to what `pwcore.dispatch` signs. The SDK is imported only when a CloudEvent arrives, so plain
requests and cold starts do not pay for it.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from pwcore.model import jsonsafe
from pwcore.model.problems import BadRequest, PayloadTooLarge
from pwcore.model.signatures import SIGNATURE_EXTENSION, SIGNATURE_HEADER

PING_TYPE = "dev.knative.sources.ping"
STRUCTURED_PREFIX = "application/cloudevents"
MAX_STRUCTURED_BYTES = 1024 * 1024  # an envelope is parsed in memory; binary mode has no such limit


class BadCloudEvent(BadRequest):
    """The request claims to be a CloudEvent but is not a valid one (answer 400)."""


class StructuredTooLarge(PayloadTooLarge, BadCloudEvent):
    """A structured envelope over MAX_STRUCTURED_BYTES (answer 413)."""


@dataclass
class CloudEventRequest:
    """Quacks like the template's Event (body, headers, method, query, path), plus the event's attributes."""

    body: bytes
    headers: httpx.Headers
    method: str
    query: Any
    path: str
    attributes: dict[str, Any] = field(default_factory=dict)
    mode: str = "binary"

    @property
    def type(self) -> str:
        return str(self.attributes.get("type", ""))

    @property
    def is_ping(self) -> bool:
        return self.type == PING_TYPE


def _header_items(headers: Any) -> list[tuple[str, str]]:
    if headers is None:
        return []
    items = headers.items() if hasattr(headers, "items") else headers
    return [(str(k), str(v)) for k, v in items]


def content_mode(headers: Any) -> str | None:
    """'structured', 'binary' or None (not a CloudEvent), by the HTTP binding's rules."""
    if headers is None:
        return None
    content_type = str(headers.get("Content-Type") or "").strip().lower()
    if content_type.startswith(STRUCTURED_PREFIX):
        return "structured"
    if headers.get("ce-specversion"):
        return "binary"
    return None


def _data_bytes(data: Any) -> bytes:
    if data is None:
        return b""
    if isinstance(data, bytes | bytearray):
        return bytes(data)
    if isinstance(data, str):
        return data.encode("utf-8")
    # The same serialisation as pwcore.dispatch signs, so the signature still verifies.
    return json.dumps(data, separators=(",", ":")).encode("utf-8")


def _attributes_text(attributes: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in attributes.items():
        if value is None:
            continue
        out[name] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return out


def parse(event: Any) -> CloudEventRequest | None:
    """The CloudEvent in `event` as a plain request, or None when it is a plain HTTP request.

    Raises BadCloudEvent (or StructuredTooLarge) when the request says it is a CloudEvent but is not valid.
    """
    if isinstance(event, CloudEventRequest):
        return event
    headers = getattr(event, "headers", None)
    mode = content_mode(headers)
    if mode is None:
        return None
    from cloudevents.core.bindings.http import HTTPMessage, from_binary, from_structured
    from cloudevents.core.exceptions import BaseCloudEventException
    from cloudevents.core.formats.json import JSONFormat

    raw: bytes = getattr(event, "body", b"") or b""
    items = _header_items(headers)
    try:
        if mode == "binary":
            # Attributes only: the body stays raw bytes (signed; possibly a large dump).
            ce_headers = {k: v for k, v in items if k.lower().startswith("ce-") or k.lower() == "content-type"}
            parsed = from_binary(HTTPMessage(headers=ce_headers, body=b""), JSONFormat())
            data = raw
        else:
            if len(raw) > MAX_STRUCTURED_BYTES:
                raise StructuredTooLarge(f"structured CloudEvent larger than {MAX_STRUCTURED_BYTES} bytes")
            # Limits (depth, UTF-8, duplicates, NaN, huge numbers) before the SDK's recursive parser sees it.
            envelope = jsonsafe.loads(raw, max_bytes=MAX_STRUCTURED_BYTES, max_depth=jsonsafe.MAX_DEPTH + 1)
            if not isinstance(envelope, dict):
                raise BadCloudEvent("malformed CloudEvent (structured mode): the envelope must be a JSON object")
            parsed = from_structured(HTTPMessage(headers={}, body=raw), JSONFormat())
            data = _data_bytes(parsed.get_data())
    except (StructuredTooLarge, BadCloudEvent):
        raise
    except jsonsafe.BadJSON as exc:
        raise BadCloudEvent(f"malformed CloudEvent ({mode} mode): {exc.reason}") from None
    except RecursionError:
        raise BadCloudEvent(f"malformed CloudEvent ({mode} mode): nested too deeply") from None
    except (BaseCloudEventException, ValueError, TypeError, AttributeError) as exc:
        raise BadCloudEvent(f"malformed CloudEvent ({mode} mode): {_reason(exc)}") from None
    attributes = _attributes_text(parsed.get_attributes())
    try:  # WSGI hands header values over as latin-1 text; anything else is not a header we can use
        merged = httpx.Headers(items, encoding="latin-1")
    except UnicodeError:
        raise BadCloudEvent("malformed CloudEvent: header values must be latin-1 text") from None
    signature = attributes.get(SIGNATURE_EXTENSION)
    try:  # attributes are percent-decoded by the SDK: one that is not latin-1 text cannot become a header
        if signature and not merged.get(SIGNATURE_HEADER):
            merged[SIGNATURE_HEADER] = signature
        if attributes.get("id") and not merged.get("X-Call-Id"):
            merged["X-Call-Id"] = attributes["id"]
        if mode == "structured":
            # The handler sees the data, so its Content-Type is the data's, not the envelope's.
            merged["Content-Type"] = attributes.get("datacontenttype", "application/json")
    except UnicodeError:
        raise BadCloudEvent("malformed CloudEvent: attribute values must be latin-1 text") from None
    return CloudEventRequest(body=data, headers=merged, method=str(getattr(event, "method", "POST")),
                             query=getattr(event, "query", {}), path=str(getattr(event, "path", "/")),
                             attributes=attributes, mode=mode)


def _reason(exc: BaseException) -> str:
    # The SDK's messages name attributes, never values from the body, except JSON decode positions: keep short.
    return str(exc).splitlines()[0][:200] or type(exc).__name__


def signature_of(event: Any) -> str | None:
    """The body signature from the plain header, or from the CloudEvent extension (`ce-pwsignature`)."""
    headers = getattr(event, "headers", None)
    if headers is None:
        return None
    value = headers.get(SIGNATURE_HEADER) or headers.get(f"ce-{SIGNATURE_EXTENSION}")
    return str(value) if value else None


def signed_data(body: bytes) -> str:
    """Encode a binary body as `data_base64` (for structured senders that must keep the signed bytes)."""
    return base64.b64encode(body).decode("ascii")
