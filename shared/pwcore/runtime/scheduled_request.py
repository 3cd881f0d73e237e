"""Requests of the scheduled functions (calendar-tick, reconcile, backup): who triggered them and the options.

A scheduler (OpenFaaS cron-connector: an empty POST with `X-Topic: cron-function`; Knative PingSource: a
CloudEvent of type dev.knative.sources.ping) sends no options; a person may ask for a dry run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pwcore.model.problems import BadRequest, Forbidden, MethodNotAllowed

TRUE = frozenset({"1", "true", "yes", "on"})


def trigger_of(event: Any) -> str:
    headers = event.headers
    return "cron" if headers.get("X-Topic") == "cron-function" or headers.get("ce-type") else "manual"


def flag(event: Any, name: str) -> bool:
    return str(event.query.get(name, "")).lower() in TRUE


@dataclass(frozen=True)
class TickRequest:
    dry_run: bool
    today: dt.date | None  # a pinned date, when allowed
    trigger: str


def tick_request(event: Any, allow_today_override: bool) -> TickRequest:
    """POST only. `today=YYYY-MM-DD` is honoured on a dry run, or on a real run only where the deployment allows
    it (dev/staging), so a stray query string cannot age a production calendar."""
    if event.method != "POST":
        raise MethodNotAllowed("POST")
    dry_run = flag(event, "dry_run")
    requested = event.query.get("today")
    today = None
    if requested:
        if not (dry_run or allow_today_override):
            raise Forbidden("today= is only honoured with dry_run=1 (or CALENDAR_ALLOW_TODAY_OVERRIDE)")
        try:
            today = dt.date.fromisoformat(str(requested))
        except ValueError:
            raise BadRequest("today must be YYYY-MM-DD") from None
    return TickRequest(dry_run, today, trigger_of(event))
