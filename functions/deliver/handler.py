"""deliver: Approved order -> pre-flight -> Ready -> one email -> recorded -> Delivered (pwcore.delivery).

Callers, all authenticated by the webhook signature (X-Frappe-Webhook-Signature, HMAC-SHA256 of the raw body
with WEBHOOK_SECRET): the ERPNext webhook on Approved (best pointed at the gateway's /async-function/deliver,
since sending mail can outlast Frappe's 5 s webhook timeout; the queue keeps the headers), the reconcile
sweep and operators (their dispatch signs the body the same way). Body: {"doctype", "name"} and, for an
operator who checked the mail log after an uncertain delivery, "resend": true.

Route `POST /listmonk/unsubscribe` (same function, the template sends every path here): Listmonk's
unsubscribe notification, authenticated by DELIVER_UNSUBSCRIBE_TOKEN, sets `email_opted_out` on the ERPNext
Contacts with that email address. Listmonk's own webhooks (event `subscriber.unsubscribed`, body
{"event", "timestamp", "data": {"subscriber": {...}}}) authenticate with an HMAC-SHA256 signature
(`X-Listmonk-Signature: sha256=<hex>` over "<X-Listmonk-Timestamp>.<body>", or a bare hex over the body) or
Basic auth; configure the webhook's secret (or Basic password) as the token. A relay may send
`Authorization: Bearer <token>` or `X-Webhook-Token` instead.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import sys
import time
from functools import cache
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent / "shared"))  # faas-cli copies ./shared into the build context

import urllib3
from minio.error import S3Error

from pwcore import config, services
from pwcore.delivery import Deliverer, DeliverySettings, Listmonk, ListmonkSettings, unsubscribe_contacts
from pwcore.erpnext import ERPNextError
from pwcore.functions_common import signed_payload
from pwcore.http import call_id_of, entrypoint, error, json_response, method_not_allowed
from pwcore.logging import bind_context, get_logger
from pwcore.mail import Mailer
from pwcore.webhooks import OrderEvent

log = get_logger("deliver")

# Outcome -> HTTP status. 200 for everything settled (including Failed: a retry cannot help, the reason is
# on the order); 409 when the order is in no state to deliver; 503 when a later retry can finish the job.
HTTP_STATUS = {"delivered": 200, "done": 200, "busy": 200, "failed": 200, "uncertain": 200,
               "sent_not_delivered": 200, "skipped": 409, "refused": 409, "not_found": 404, "retry_later": 503}


# A signed Listmonk webhook older (or newer) than this is refused, so a captured request cannot be replayed.
UNSUBSCRIBE_MAX_SKEW_S = 300


class DeliverEvent(OrderEvent):
    resend: bool = False


@cache
def deliverer() -> Deliverer:
    smtp = config.load(config.SMTPSettings)
    lm_settings = config.load(ListmonkSettings)
    listmonk = Listmonk(lm_settings) if lm_settings.url else None
    return Deliverer(services.erpnext(), services.storage(), Mailer(smtp), smtp, config.load(DeliverySettings),
                     listmonk, lm_settings)


@entrypoint("deliver")
def handle(event: Any, context: Any) -> dict[str, Any]:
    if event.path.rstrip("/") == "/listmonk/unsubscribe":
        return unsubscribe(event)
    payload = signed_payload(event, DeliverEvent)
    if isinstance(payload, dict):
        return payload
    bind_context(order=payload.name)
    try:
        outcome = deliverer().run(payload.doctype, payload.name, call_id_of(event), resend=payload.resend)
    except ERPNextError as exc:
        log.error("deliver.erpnext_error", status=exc.status, exc_type=exc.exc_type)
        return error(503, "ERPNext unavailable; retry later")
    except (S3Error, urllib3.exceptions.HTTPError, OSError) as exc:
        log.error("deliver.storage_error", error=type(exc).__name__)
        return error(503, "object storage unavailable; retry later")
    log.info("deliver.outcome", status=outcome.status, version=outcome.version)
    return json_response(HTTP_STATUS.get(outcome.status, 200), outcome.as_dict())


def unsubscribe(event: Any) -> dict[str, Any]:
    if event.method != "POST":
        return method_not_allowed("POST")
    expected = config.load(DeliverySettings).unsubscribe_token.get_secret_value()
    if not expected:
        return error(404, "unsubscribe webhook is not configured")
    if not unsubscribe_authorized(event.headers, bytes(event.body or b""), expected, time.time()):
        return error(401, "missing or invalid token")
    try:
        data = json.loads(event.body or b"{}")
    except ValueError:
        return error(400, "body is not valid JSON")
    if not isinstance(data, dict):
        return error(400, "body must be a JSON object")
    nested = data.get("subscriber") or data.get("data") or {}
    if isinstance(nested, dict) and isinstance(nested.get("subscriber"), dict):
        nested = nested["subscriber"]  # Listmonk's webhook body: {"data": {"subscriber": {"email", ...}}}
    email = str(data.get("email") or (nested.get("email") if isinstance(nested, dict) else "") or "").strip()
    if "@" not in email or len(email) > 320:
        return error(400, "email: a valid address is required", field="email")
    try:
        contacts = unsubscribe_contacts(services.erpnext(), email)
    except ERPNextError as exc:
        log.error("unsubscribe.erpnext_error", status=exc.status)
        return error(503, "ERPNext unavailable; retry later")
    log.info("unsubscribe.done", contacts=len(contacts))
    return json_response(200, {"status": "ok", "contacts": contacts})


def unsubscribe_authorized(headers: Any, body: bytes, expected: str, now: float) -> bool:
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
