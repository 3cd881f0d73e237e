"""Helpers for thin OpenFaaS python3-http handlers: JSON answers and one place that turns errors into them.

The template jsonifies a dict body and str()s anything else, and turns an uncaught exception into an HTML 500
(contract A), so every handler answers through `json_response` and is wrapped by `entrypoint`. `entrypoint` also
turns a CloudEvent (Knative Broker / PingSource, binary or structured mode) into the plain request the handler
expects (pwcore.events), so handlers need no Knative-specific code.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any

from pwcore import events
from pwcore.config import ConfigError
from pwcore.logging import bind_context, clear_context, get_logger

log = get_logger("pwcore.http")

Handler = Callable[[Any, Any], dict[str, Any]]


def json_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {"statusCode": status, "body": body,
            "headers": {"Content-Type": "application/json", **(headers or {})}}


def error(status: int, reason: str, **extra: Any) -> dict[str, Any]:
    return json_response(status, {"error": reason, **extra})


def call_id_of(event: Any) -> str:
    headers = getattr(event, "headers", None)
    value = headers.get("X-Call-Id") or headers.get("ce-id") if headers is not None else None
    return str(value) if value else str(uuid.uuid4())


def entrypoint(function: str) -> Callable[[Handler], Handler]:
    """Bind the call id to the logs, answer JSON on every error (5xx only for our faults)."""

    def wrap(fn: Handler) -> Handler:
        @functools.wraps(fn)
        def handle(event: Any, context: Any) -> dict[str, Any]:
            clear_context()
            try:
                cloud_event = events.parse(event)
            except events.StructuredTooLarge as exc:
                return error(413, str(exc))
            except events.BadCloudEvent as exc:
                return error(400, str(exc))
            if cloud_event is not None:
                event = cloud_event
            call_id = call_id_of(event)
            bind_context(function=function, call_id=call_id)
            if cloud_event is not None:
                log.info("cloudevent.received", ce_type=cloud_event.type, ce_mode=cloud_event.mode)
            try:
                return fn(event, context)
            except ConfigError as exc:
                log.error("config.error", error=str(exc))
                return error(500, "configuration error", detail=str(exc))
            except Exception as exc:
                log.exception("handler.crashed", error_type=type(exc).__name__)
                return error(500, "internal error", call_id=call_id)
            finally:
                clear_context()

        return handle

    return wrap


def method_not_allowed(allowed: str) -> dict[str, Any]:
    return json_response(405, {"error": f"method not allowed; use {allowed}"}, {"Allow": allowed})
