"""Listmonk's unsubscribe notification -> `email_opted_out` on the ERPNext Contacts with that address.

Authenticated by a shared token (DELIVER_UNSUBSCRIBE_TOKEN: `Authorization: Bearer <token>` or
`X-Webhook-Token`); with no token configured the route does not exist (404).
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from typing import Any

from pwcore.clients.erpnext import ERPNext
from pwcore.model.outcomes import OutcomeStatus
from pwcore.model.problems import BadRequest, MethodNotAllowed, NotFound, Unauthorized
from pwcore.orders.contacts import unsubscribe_contacts

MAX_EMAIL_CHARS = 320


class UnsubscribeStatus(OutcomeStatus):
    OK = ("ok", 200)


@dataclass
class UnsubscribeOutcome:
    status: UnsubscribeStatus
    contacts: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "contacts": self.contacts}


def check_token(headers: Any, expected: str) -> None:
    if not expected:
        raise NotFound("unsubscribe webhook is not configured")
    auth = str(headers.get("Authorization") or "")
    given = auth[7:].strip() if auth.lower().startswith("bearer ") else str(headers.get("X-Webhook-Token") or "")
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
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
    email = str(data.get("email") or (nested.get("email") if isinstance(nested, dict) else "") or "").strip()
    if "@" not in email or len(email) > MAX_EMAIL_CHARS:
        raise BadRequest("email: a valid address is required", field="email")
    return email


def unsubscribe(erp: ERPNext, event: Any, token: str) -> UnsubscribeOutcome:
    if event.method != "POST":
        raise MethodNotAllowed("POST")
    check_token(event.headers, token)
    return UnsubscribeOutcome(UnsubscribeStatus.OK, unsubscribe_contacts(erp, email_of(event.body)))
