"""Requests of the scheduled functions (calendar-tick, reconcile, backup, restore-check): who may ask for what.

A scheduler (OpenFaaS cron-connector: an empty POST with `X-Topic: cron-function`; Knative PingSource: a
CloudEvent of type dev.knative.sources.ping) carries no credentials. So an unauthenticated call may at most run
the job as scheduled:
- it takes no input: no query options (no dry run, no mode, no today=), no body (a PingSource's own `data` is
  ignored, never used); a request that brings either is refused with 401;
- its answer holds counts only (`counts_only`: no order, invoice or object names, no error texts);
- it cannot run the job more often than once per `SCHEDULED_<JOB>_MIN_INTERVAL_S` (a slot object created with
  a conditional create, `locks/scheduled/{job}/{slot}.json`; a second call in the slot answers "skipped"), on
  top of the job's own lock.

Manual operations (dry runs, modes, today=, uploads, listings) need an operator credential, either:
- `Authorization: Bearer <OPERATOR_TOKEN>` (secret file `operator-token`): options from the query string, the
  body as sent (backup's upload mode); or
- the signature every internal call carries (`X-Frappe-Webhook-Signature`, HMAC-SHA256 of the body with
  WEBHOOK_SECRET, as `pwcore.dispatch` signs): the body is then a JSON object of the options
  (`{"dry_run": true, "mode": "retention", "issued_at": <unix seconds>}`), `issued_at` within
  SIGNED_OPTIONS_MAX_AGE_S, so a captured request cannot be replayed later; the query string is ignored.
A wrong credential is 401, never a fallback to the scheduled run. Without OPERATOR_TOKEN configured only the
signed form works.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from pwcore.clients.s3 import Storage
from pwcore.logs import get_logger
from pwcore.model import jsonsafe
from pwcore.model.problems import BadRequest, Forbidden, MethodNotAllowed, Unauthorized
from pwcore.model.signatures import SIGNATURE_HEADER, WebhookSettings, verify_signature
from pwcore.runtime import cloudevents
from pwcore.settings import Settings, load_settings

log = get_logger("pwcore.scheduled")

TRUE = frozenset({"1", "true", "yes", "on"})
SIGNED_OPTIONS_MAX_AGE_S = 300
SLOT_PREFIX = "locks/scheduled/"
MAX_OPTIONS_BYTES = 4096
# Strings an unauthenticated answer may keep (enums, never names); everything else becomes a count.
PUBLIC_STRING_KEYS = frozenset({"status", "mode", "trigger", "function"})
NEEDS_CREDENTIAL = ("a scheduled trigger carries no options or body; manual operations need "
                    "'Authorization: Bearer <operator token>' or a signed options body")


class OperatorSettings(Settings):
    model_config = SettingsConfigDict(env_prefix="OPERATOR_")
    token: SecretStr = SecretStr("")  # OPERATOR_TOKEN / secret file operator-token; empty = signed form only


class ScheduledSettings(Settings):
    """How often an unauthenticated (scheduled) call may run each job; 0 = only the job's own lock."""

    model_config = SettingsConfigDict(env_prefix="SCHEDULED_")
    reconcile_min_interval_s: int = 240  # cron */5: every firing lands in its own slot
    calendar_tick_min_interval_s: int = 3000  # cron hourly (0 * * * *): one run per firing
    backup_min_interval_s: int = 20 * 3600  # daily
    restore_check_min_interval_s: int = 20 * 86400  # monthly (0 5 1 * *)

    def interval_of(self, job: str) -> int:
        return max(0, int(getattr(self, f"{job.replace('-', '_')}_min_interval_s", 0)))


@dataclass(frozen=True)
class ScheduledCall:
    """Who called (operator or the schedule) and what they may ask for."""

    job: str
    operator: bool
    trigger: str  # "cron" | "manual"
    options: Mapping[str, Any] = field(default_factory=dict)
    body: bytes = b""  # only an operator (token) may send one

    def flag(self, name: str) -> bool:
        value = self.options.get(name, "")
        return value is True or str(value).lower() in TRUE

    def option(self, name: str, default: str = "") -> str:
        value = self.options.get(name, default)
        return value if isinstance(value, str) else str(value)


def trigger_of(event: Any) -> str:
    headers = event.headers
    return "cron" if headers.get("X-Topic") == "cron-function" or headers.get("ce-type") else "manual"


def flag(event: Any, name: str) -> bool:
    return str(event.query.get(name, "")).lower() in TRUE


def _bearer(event: Any) -> str | None:
    value = event.headers.get("Authorization")
    if value is None:
        return None
    scheme, _, token = str(value).strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("expected 'Authorization: Bearer <operator token>'")
    return token.strip()


def _signed_options(body: bytes) -> dict[str, Any]:
    if len(body) > MAX_OPTIONS_BYTES:
        raise BadRequest(f"signed options larger than {MAX_OPTIONS_BYTES} bytes")
    data = jsonsafe.loads(body, max_bytes=MAX_OPTIONS_BYTES, max_depth=2)
    if not isinstance(data, dict):
        raise BadRequest("signed options must be a JSON object")
    issued = data.get("issued_at")
    if isinstance(issued, bool) or not isinstance(issued, int | float):
        raise Unauthorized("signed options need a numeric issued_at (unix seconds)")
    if abs(time.time() - float(issued)) > SIGNED_OPTIONS_MAX_AGE_S:
        raise Unauthorized(f"signed options older than {SIGNED_OPTIONS_MAX_AGE_S} s (or from the future)")
    return {str(k): v for k, v in data.items() if k != "issued_at"}


def scheduled_call(event: Any, job: str, methods: tuple[str, ...] = ("POST",)) -> ScheduledCall:
    """The call's credentials and options under the rules above; raises a Problem (405 / 401 / 400)."""
    ce = cloudevents.parse(event)
    if ce is not None:
        event = ce
    method = str(event.method)
    body: bytes = event.body or b""
    token = _bearer(event)
    if token is not None:
        expected = load_settings(OperatorSettings).token.get_secret_value()
        if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
            raise Unauthorized("invalid operator token")
        if method not in methods:
            raise MethodNotAllowed(", ".join(methods))
        return ScheduledCall(job, True, "manual", dict(event.query), body)
    signature = cloudevents.signature_of(event)
    if signature is not None:
        if method != "POST":
            raise MethodNotAllowed("POST")
        secret = load_settings(WebhookSettings).secret.get_secret_value()
        if not verify_signature(body, signature, secret):
            raise Unauthorized(f"missing or invalid {SIGNATURE_HEADER}")
        return ScheduledCall(job, True, "manual", _signed_options(body))
    # The schedule: no credentials, so no input.
    if method != "POST":
        raise Unauthorized(f"{method} needs an operator credential; {NEEDS_CREDENTIAL}")
    if len(event.query) or (body and not (ce is not None and ce.is_ping)):
        raise Unauthorized(NEEDS_CREDENTIAL)
    return ScheduledCall(job, False, trigger_of(event))


def claim_slot(storage: Storage, job: str, interval_s: int, now: float | None = None) -> bool:
    """True when this scheduled call is the first of its slot (and may run); the previous slot is removed."""
    if interval_s <= 0:
        return True
    slot = int((time.time() if now is None else now) // interval_s)
    body = json.dumps({"job": job, "slot": slot, "interval_s": interval_s}).encode()
    if not storage.put_if_absent(f"{SLOT_PREFIX}{job}/{slot}.json", body):
        return False
    try:
        storage.delete(f"{SLOT_PREFIX}{job}/{slot - 1}.json")
    except Exception as exc:  # an old slot left behind costs one small object, never a run
        log.warning("scheduled.slot_cleanup_failed", job=job, error_type=type(exc).__name__)
    return True


def skipped(job: str, interval_s: int) -> dict[str, Any]:
    return {"status": "skipped", "trigger": "cron", "function": job,
            "reason": f"already ran in this {interval_s} s slot"}


def already_ran(call: ScheduledCall, storage: Storage, job: str) -> dict[str, Any] | None:
    """The "skipped" answer for a scheduled call whose slot another call took (a retried or doubled cron tick);
    None when this call may run. An operator's call always runs."""
    if call.operator:
        return None
    interval = load_settings(ScheduledSettings).interval_of(job)
    return None if claim_slot(storage, job, interval) else skipped(job, interval)


def counts_only(value: Any, key: str = "") -> Any:
    """The answer with every name taken out: lists become their length, strings (but enums) are dropped."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            kept = counts_only(v, str(k))
            if kept is not None or v is None:
                out[str(k)] = kept
        return out
    if isinstance(value, list | tuple):
        return len(value)
    if isinstance(value, str):
        return value if key in PUBLIC_STRING_KEYS and len(value) <= 40 else None
    if isinstance(value, bool | int | float) or value is None:
        return value
    return None


@dataclass(frozen=True)
class TickRequest:
    dry_run: bool
    today: dt.date | None  # a pinned date, when allowed
    trigger: str


def tick_request(call: ScheduledCall, allow_today_override: bool) -> TickRequest:
    """`today=YYYY-MM-DD` is honoured on a dry run, or on a real run only where the deployment allows it
    (dev/staging), so a stray option cannot age a production calendar. Options exist only for an operator."""
    dry_run = call.flag("dry_run")
    requested = call.option("today")
    today = None
    if requested:
        if not (dry_run or allow_today_override):
            raise Forbidden("today= is only honoured with dry_run=1 (or CALENDAR_ALLOW_TODAY_OVERRIDE)")
        try:
            today = dt.date.fromisoformat(requested)
        except ValueError:
            raise BadRequest("today must be YYYY-MM-DD") from None
    return TickRequest(dry_run, today, call.trigger)
