"""Frappe webhook signatures and the payloads our functions accept.

Frappe signs `json.dumps(data)` with HMAC-SHA256 keyed by the webhook secret and sends the base64 digest in
`X-Frappe-Webhook-Signature`; the body it sends is byte-identical for JSON-native data, so we verify over the
raw body before parsing anything (contract A5). No timestamp or nonce is signed, so replays are expected:
idempotency (CAS on the order, markers in S3) makes them harmless.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

SIGNATURE_HEADER = "X-Frappe-Webhook-Signature"
ORDER_DOCTYPES = ("Formation Order", "Compliance Service")
M = TypeVar("M", bound=BaseModel)
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 ._/-]{0,139}$"


def sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()).decode()


def verify_signature(body: bytes, signature: str | None, secret: str) -> bool:
    """Constant-time check of Frappe's signature over the raw body. Empty body or header never passes."""
    if not body or not signature or not secret:
        return False
    expected = sign(body, secret)
    return hmac.compare_digest(expected.encode(), signature.strip().encode())


class BadPayload(ValueError):
    """The body is not JSON or does not match the schema; `field` names the first offending field."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class _Event(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class InvoiceEvent(_Event):
    """Body of the `pw-invoice-paid` webhook (see pwcore/data/webhooks.json)."""

    doctype: Literal["Sales Invoice"] = "Sales Invoice"
    name: str = Field(pattern=NAME_PATTERN)
    status: str = Field(default="", max_length=40)


class OrderEvent(_Event):
    """Body of order webhooks (Approved / Revision) and of generate-doc / deliver invocations."""

    doctype: Literal["Formation Order", "Compliance Service"]
    name: str = Field(pattern=NAME_PATTERN)
    status: str = Field(default="", max_length=40)
    review_notes: str = Field(default="", max_length=10_000)


def parse_event(body: bytes, model: type[M]) -> M:
    try:
        data: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadPayload("body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadPayload("body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "body"
        raise BadPayload(f"{field}: {err['msg']}", field) from None
