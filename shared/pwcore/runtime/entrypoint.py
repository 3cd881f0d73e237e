"""The one entry point of every function: CloudEvents unwrapped, logs bound, every answer JSON.

The python3-http template jsonifies a dict body and str()s anything else, and turns an uncaught exception into an
HTML 500, so every handler is wrapped by `entrypoint` and answers through `json_response` / `respond`. This is the
one place where exceptions become HTTP answers:
- `Problem` (pwcore.model.problems): its own status and reason (the caller's fault, or a named refusal);
- an outage (pwcore.clients.outages): 503 naming the system, so queues that retry (OpenFaaS Pro, Knative) retry;
- a permanent ERPNext refusal (403 permission, 417 validation): 500 naming what ERPNext refused, since no retry
  can help and an operator must fix the site or the pipeline user's roles;
- input nested too deeply for the parser (RecursionError): 400;
- anything else: 500 with the call id (the traceback goes to the log, never to the caller).
A CloudEvent (Knative Broker / PingSource, binary or structured) becomes the plain request the handler expects;
that parse happens inside the error handling too, so a hostile envelope is a 400, never an HTML 500.
Decorating a handler installs the body limit (pwcore.runtime.body_limit: MAX_BODY_BYTES, a JSON 413 answered by
the template's Flask before the body is buffered); the limit is checked here again for runtimes without Flask.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any

from pwcore.clients.erpnext import ERPNextError
from pwcore.clients.outages import outage_of
from pwcore.logs import bind_context, clear_context, get_logger
from pwcore.model.problems import Problem
from pwcore.runtime import body_limit, cloudevents
from pwcore.settings import ConfigError

log = get_logger("pwcore.entrypoint")

Handler = Callable[[Any, Any], dict[str, Any]]


def json_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {"statusCode": status, "body": body,
            "headers": {"Content-Type": "application/json", **(headers or {})}}


def respond(outcome: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """A step's outcome (its `status` is an OutcomeStatus carrying the HTTP status) as the JSON answer."""
    return json_response(outcome.status.http_status, outcome.as_dict(), headers)


def error(status: int, reason: str, **extra: Any) -> dict[str, Any]:
    return json_response(status, {"error": reason, **extra})


def call_id_of(event: Any) -> str:
    headers = getattr(event, "headers", None)
    value = headers.get("X-Call-Id") or headers.get("ce-id") if headers is not None else None
    return str(value) if value else str(uuid.uuid4())


def answer_for(exc: BaseException, call_id: str) -> dict[str, Any]:
    """The JSON answer for an exception that reached the entrypoint."""
    if isinstance(exc, Problem):
        return json_response(exc.status, exc.body(), exc.headers)
    system = outage_of(exc)
    if system is not None:
        log.error("dependency.outage", system=system, error_type=type(exc).__name__)
        return error(503, f"{system} unavailable; retry later")
    if isinstance(exc, ERPNextError):
        refused = exc.refusal()
        log.error("erpnext.refused", **refused)
        what = " ".join(str(refused[k]) for k in ("permission", "doctype") if refused.get(k))
        return error(500, f"ERPNext refused the request ({exc.exc_type or exc.status}{': ' + what if what else ''});"
                     " not an outage, a retry cannot help: check the site and the pipeline user's roles",
                     outage=False, **refused)
    if isinstance(exc, ConfigError):
        log.error("config.error", error=str(exc))
        return error(500, "configuration error", detail=str(exc))
    if isinstance(exc, RecursionError):
        return error(400, "input nested too deeply")
    log.error("handler.crashed", error_type=type(exc).__name__, exc_info=exc)
    return error(500, "internal error", call_id=call_id)


def entrypoint(function: str) -> Callable[[Handler], Handler]:
    """Bind the call id to the logs, answer JSON on every error (5xx only for our faults)."""

    max_body = body_limit.install() or body_limit.limit()

    def wrap(fn: Handler) -> Handler:
        @functools.wraps(fn)
        def handle(event: Any, context: Any) -> dict[str, Any]:
            clear_context()
            try:
                call_id = call_id_of(event)
            except Exception:  # headers that cannot even be read: still a JSON answer
                call_id = str(uuid.uuid4())
            try:
                if len(getattr(event, "body", b"") or b"") > max_body:
                    return json_response(413, body_limit.too_large_body(max_body))
                cloud_event = cloudevents.parse(event)
                if cloud_event is not None:
                    event = cloud_event
                    call_id = call_id_of(event)
                bind_context(function=function, call_id=call_id)
                if cloud_event is not None:
                    log.info("cloudevent.received", ce_type=cloud_event.type, ce_mode=cloud_event.mode)
                return fn(event, context)
            except Exception as exc:
                return answer_for(exc, call_id)
            finally:
                clear_context()

        return handle

    return wrap
