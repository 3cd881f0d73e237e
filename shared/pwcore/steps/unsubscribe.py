"""Listmonk's unsubscribe notification -> `email_opted_out` on the ERPNext Contacts with that address.

Listmonk's own webhooks (event `subscriber.unsubscribed`, body {"event", "timestamp", "data": {"subscriber":
{...}}}) authenticate with an HMAC-SHA256 signature (`X-Listmonk-Signature: sha256=<hex>` over
"<X-Listmonk-Timestamp>.<body>", or a bare hex over the body) or Basic auth; configure the webhook's secret (or
Basic password) as DELIVER_UNSUBSCRIBE_TOKEN. A relay may send `Authorization: Bearer <token>` or
`X-Webhook-Token` instead. With no token configured the route does not exist (404).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

from pwcore.clients.erpnext import ERPNext
from pwcore.model.outcomes import OutcomeStatus
from pwcore.model.problems import BadRequest, MethodNotAllowed, NotFound, Unauthorized
from pwcore.orders.contacts import unsubscribe_contacts

MAX_EMAIL_CHARS = 320
# A signed Listmonk webhook older (or newer) than this is refused, so a captured request cannot be replayed.
UNSUBSCRIBE_MAX_SKEW_S = 300


class UnsubscribeStatus(OutcomeStatus):
    OK = ("ok", 200)


@dataclass
class UnsubscribeOutcome:
    status: UnsubscribeStatus
    contacts: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "contacts": self.contacts}


def authorized(headers: Any, body: bytes, expected: str, now: float) -> bool:
    """The token as Bearer / X-Webhook-Token / Basic password, or Listmonk's HMAC signature made with it."""
    def same(given: str) -> bool:
        return bool(given) and hmac.compare_digest(given.encode(), expected.encode())

    scheme, _, value = str(headers.get("Authorization") or "").strip().partition(" ")
    if scheme.lower() == "bearer" and same(value.strip()):
        return True
    if scheme.lower() == "basic":
        try:
            password = base64.b64decode(value.strip(), validate=True).decode().partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            password = ""
        if same(password):
            return True
    if same(str(headers.get("X-Webhook-Token") or "")):
        return True
    signature = str(headers.get("X-Listmonk-Signature") or "").strip()
    if not signature:
        return False
    stamp = str(headers.get("X-Listmonk-Timestamp") or "").strip()
    if stamp:
        if not stamp.isdigit() or abs(now - int(stamp)) > UNSUBSCRIBE_MAX_SKEW_S:
            return False
        signed = f"{stamp}.".encode() + body
        wanted = ["sha256=" + hmac.new(expected.encode(), signed, hashlib.sha256).hexdigest()]
    else:
        digest = hmac.new(expected.encode(), body, hashlib.sha256).hexdigest()
        wanted = [digest, "sha256=" + digest]
    return any(hmac.compare_digest(signature.encode(), w.encode()) for w in wanted)


def check_token(headers: Any, body: bytes, expected: str) -> None:
    if not expected:
        raise NotFound("unsubscribe webhook is not configured")
    if not authorized(headers, body, expected, time.time()):
        raise Unauthorized("missing or invalid token")


def email_of(body: bytes) -> str:
    """The address from Listmonk's notification body ({"email"} or {"subscriber": {"email"}} or {"data": ...})."""
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise BadRequest("body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object")
    nested = data.get("subscriber") or data.get("data") or {}
    if isinstance(nested, dict) and isinstance(nested.get("subscriber"), dict):
        nested = nested["subscriber"]  # Listmonk's webhook body: {"data": {"subscriber": {"email", ...}}}
    email = str(data.get("email") or (nested.get("email") if isinstance(nested, dict) else "") or "").strip()
    if "@" not in email or len(email) > MAX_EMAIL_CHARS:
        raise BadRequest("email: a valid address is required", field="email")
    return email


def unsubscribe(erp: ERPNext, event: Any, token: str) -> UnsubscribeOutcome:
    if event.method != "POST":
        raise MethodNotAllowed("POST")
    check_token(event.headers, bytes(event.body or b""), token)
    return UnsubscribeOutcome(UnsubscribeStatus.OK, unsubscribe_contacts(erp, email_of(event.body)))
