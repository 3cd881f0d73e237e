"""Request checks shared by the functions that receive signed ERPNext webhooks or our own signed dispatches."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from pwcore import config, events
from pwcore.http import error, method_not_allowed
from pwcore.webhooks import SIGNATURE_HEADER, BadPayload, parse_event, verify_signature

M = TypeVar("M", bound=BaseModel)


def signed_payload(event: Any, model: type[M]) -> M | dict[str, Any]:
    """The parsed body, or the JSON error answer to return (405 / 413 / 401 / 400), in that order of checks.

    A CloudEvent (binary or structured) is checked on its data; the signature may come from the
    X-Frappe-Webhook-Signature header or the `pwsignature` extension (`ce-pwsignature`).
    """
    if event.method != "POST":
        return method_not_allowed("POST")
    settings = config.load(config.WebhookSettings)
    try:
        event = events.parse(event) or event
    except events.StructuredTooLarge as exc:
        return error(413, str(exc))
    except events.BadCloudEvent as exc:
        return error(400, str(exc))
    body: bytes = event.body or b""
    if len(body) > settings.max_body_bytes:
        return error(413, f"body larger than {settings.max_body_bytes} bytes")
    if not verify_signature(body, events.signature_of(event), settings.secret.get_secret_value()):
        return error(401, f"missing or invalid {SIGNATURE_HEADER}")
    try:
        return parse_event(body, model)
    except BadPayload as exc:
        return error(400, str(exc), field=exc.field)
