"""Claims (leases) on S3: one object per piece of work that must happen once, taken by conditional create.

A claim is a small JSON object `{"holder", "state", "at", ...}` at a key of its own (see pwcore.model.layout):
- `acquire`: create it with `If-None-Match: *`. Exactly one of any number of racing callers wins; the others get
  the claim that is there (`Held`) and decide from its state and age.
- `advance`: the holder rewrites its claim (e.g. "sending" -> "sent"); only the holder ever does.
- `take_over`: a claim older than its lease belongs to a dead holder. The taker first creates a marker named
  after a digest of the exact claim it saw (`<key>.takeover-<sha256[:16]>`, conditional too), so of several
  callers that saw the same stale claim exactly one takes it over; then it overwrites the claim with its own.
  Because the marker is named after the claim it replaces, a claim that goes stale again later (the taker died
  too) can be taken over again: nothing is left "in flight" forever.
- `release`: delete the claim, only while it is still ours (a holder that outlived its lease may have lost it).
What a caller does with a stale claim is its own policy: reconcile and calendar reminders take it over; deliver
never resends automatically and takes a claim over only when an operator asks for a resend.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pwcore.clients.s3 import Storage
from pwcore.logs import get_logger

log = get_logger("pwcore.claims")


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Claim:
    """A claim we hold (or, in `Held`, one somebody holds)."""

    key: str
    holder: str
    state: str
    at: datetime
    data: dict[str, Any] = field(default_factory=dict)
    raw: bytes = b""

    def age_s(self, now: datetime) -> float:
        return (now - self.at).total_seconds()


@dataclass(frozen=True)
class Held:
    """The claim found at a key we could not create (or None: it vanished between our write and our read)."""

    claim: Claim | None
    stale: bool


class Claims:
    def __init__(self, storage: Storage, clock: Callable[[], datetime] = _now) -> None:
        self.storage = storage
        self.clock = clock

    def _body(self, holder: str, state: str, data: dict[str, Any]) -> tuple[bytes, datetime]:
        at = self.clock()
        body = {**data, "holder": holder, "state": state, "at": at.isoformat()}
        return json.dumps(body, sort_keys=True).encode(), at

    def _parse(self, key: str, raw: bytes) -> Claim:
        value = json.loads(raw)
        at = datetime.fromisoformat(str(value.get("at")))
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        data = {k: v for k, v in value.items() if k not in {"holder", "state", "at"}}
        return Claim(key, str(value.get("holder", "")), str(value.get("state", "")), at, data, raw)

    def read(self, key: str) -> Claim | None:
        """The claim at `key`, None when there is none. An unreadable claim counts as one from the epoch."""
        raw = self.storage.get_bytes_if_exists(key)
        if raw is None:
            return None
        try:
            return self._parse(key, raw)
        except (ValueError, TypeError, AttributeError):
            return Claim(key, "", "unreadable", datetime.fromtimestamp(0, UTC), {}, raw)

    def acquire(self, key: str, lease_s: float, state: str = "claimed", data: dict[str, Any] | None = None,
                holder: str | None = None) -> Claim | Held:
        """Our new Claim, or `Held` with the claim that is there (stale when older than lease_s)."""
        holder = holder or uuid.uuid4().hex
        body, at = self._body(holder, state, dict(data or {}))
        if self.storage.put_if_absent(key, body):
            return Claim(key, holder, state, at, dict(data or {}), body)
        held = self.read(key)
        return Held(held, held is not None and held.age_s(self.clock()) > lease_s)

    def advance(self, claim: Claim, state: str, data: dict[str, Any] | None = None) -> Claim:
        """The holder rewrites its claim (new state, more data); the time is renewed."""
        merged = {**claim.data, **(data or {})}
        body, at = self._body(claim.holder, state, merged)
        self.storage.put_bytes(claim.key, body, "application/json")
        return Claim(claim.key, claim.holder, state, at, merged, body)

    def takeover_key(self, stale: Claim) -> str:
        return f"{stale.key}.takeover-{hashlib.sha256(stale.raw).hexdigest()[:16]}"

    def take_over(self, stale: Claim, state: str = "claimed", data: dict[str, Any] | None = None,
                  holder: str | None = None) -> Claim | None:
        """Replace a stale claim with ours; None when another caller takes this same claim over."""
        holder = holder or uuid.uuid4().hex
        body, at = self._body(holder, state, dict(data or {}))
        if not self.storage.put_if_absent(self.takeover_key(stale), body):
            return None
        self.storage.put_bytes(stale.key, body, "application/json")
        log.warning("claim.taken_over", key=stale.key, previous_holder=stale.holder, previous_state=stale.state)
        return Claim(stale.key, holder, state, at, dict(data or {}), body)

    def release(self, claim: Claim) -> bool:
        """Delete the claim if it is still ours; True if deleted. (Takeover markers stay: each names one
        claim that no longer exists, so it can never block a later takeover.)"""
        try:
            current = self.read(claim.key)
            if current is None or current.holder != claim.holder:
                return False
            self.storage.delete(claim.key)
            return True
        except Exception as exc:  # a claim left behind expires with its lease
            log.warning("claim.release_failed", key=claim.key, error=type(exc).__name__)
            return False

