"""The access log: who fetched what, when, kept a year (the seed: "access logs retained for 1 year").

One S3 object per event, its content one JSON line (so a reader concatenating objects reads JSON lines), at
`access-log/YYYY/MM/DD/{order}/HHMMSSmmm-{event}-{id}.json` (UTC; pwcore.model.layout), created with the conditional
write (`put_if_absent`), so no record is ever replaced: append-only on a store whose objects are immutable. A
lifecycle rule (pwcore.model.lifecycle) deletes each object 365 days after it was written.

Events:
- `presign`: every answer that reveals files (200), and every refusal of an authenticated customer for a
  well-formed order name (404: not theirs or unknown; 409: not available), so "who tried" is answered too:
  customer (the token's `sub`), order, version, order status, file names, expiry, a keyed hash of the client
  address, the call id. Not logged: 400 / 401 / 403 and outages: no verified customer or no checked order name,
  and logging them would let anyone fill the bucket; they are in the function's own logs.
- `delivery` / `resend`: order, version, recipient (the customer's own address), attached and linked file
  names, Message-ID, call id; one object per email sent (the key is derived from the Message-ID, the sending run
  and the acceptance time recorded in the delivery marker, so the retries of a delivery write it once).
Never in a record or a key: a token, a URL or its query (signature, credential), a secret, the client address.
Caller-supplied text (customer, call id, recipient, file names) passes the log redaction (SSN/EIN shapes, known
secrets).

When the write fails (an S3 outage): presign answers 503 instead of links (no link leaves without its record;
links to an unreachable store would not download anyway); deliver has sent the email already, so it goes on
and logs `access_log.write_failed` with the order: that email's record is missing, the Communication in ERPNext
(recipient, Message-ID, files) still records it (a later run that finishes the same email writes it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pwcore.clients.s3 import Storage
from pwcore.logs import redact_text
from pwcore.model.doctypes import check_order_name
from pwcore.model.layout import access_log_key, access_log_order_prefix

CONTENT_TYPE = "application/x-ndjson"
SCHEMA = 1
MAX_READ_DAYS = 400  # a year and a bit: the reader's range is bounded
# Client -> ingress-nginx -> OpenFaaS gateway -> watchdog -> function: the two proxies we run each append
# their peer to X-Forwarded-For, so the entry the ingress appended (second from the right) is the client.
TRUSTED_PROXY_HOPS = 2
_CALL_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_KEY_INFO = b"pwcore access-log client-address key v1"


class AccessLogError(Exception):
    """A record could not be written (the store said it exists already, which a fresh id never does)."""


def derive_client_key(secret: str) -> bytes:
    """The HMAC key for client addresses, derived from a secret the function holds (presign: its JWT secret).

    HMAC as a key-derivation step gives a separate key per purpose. A plain sha256 of an IPv4 address is
    reversed by hashing all 2^32 of them; without this key that is not possible. Rotating the JWT secret
    changes the hashes from then on (the same client then hashes differently before and after)."""
    return hmac.new(secret.encode(), _KEY_INFO, hashlib.sha256).digest()


def client_address(headers: Mapping[str, str] | Any) -> str:
    """The caller's address as our ingress saw it (normalised), or "" when none arrived.

    Which hop is trusted: the python3-http template serves the handler with waitress, whose defaults (no
    trusted_proxy, clear_untrusted_proxy_headers) delete X-Forwarded-For, X-Forwarded-* and Forwarded before the
    handler runs, and REMOTE_ADDR is the watchdog's loopback. What reaches the handler is X-Real-IP, which
    ingress-nginx sets on every proxied request to its TCP peer (`$the_real_ip` in its nginx.tmpl), overwriting a
    value the client sent: the ingress is the one hop trusted. A runtime that passes X-Forwarded-For through gets
    the entry the ingress wrote (TRUSTED_PROXY_HOPS from the right, as the gateway appends the ingress; by default
    ingress-nginx replaces the header by the client's address, and entries further left are the client's claims). A
    caller inside the cluster, which skips the ingress, can name any address; a server-side caller (the site's SSR)
    is logged with its own address."""
    real = str(headers.get("X-Real-IP") or "").strip()
    if real:
        return _normal_ip(real)
    forwarded = [h.strip() for h in str(headers.get("X-Forwarded-For") or "").split(",") if h.strip()]
    if not forwarded:
        return ""
    return _normal_ip(forwarded[-min(TRUSTED_PROXY_HOPS, len(forwarded))])


def _normal_ip(value: str) -> str:
    text = value.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.partition(":")[0]
    try:
        return ipaddress.ip_address(text).compressed
    except ValueError:
        return ""


def _text(value: Any, limit: int = 140) -> str:
    return redact_text(str(value or ""))[:limit]


def _call_id(value: Any) -> str:
    text = str(value or "")
    return redact_text(text) if _CALL_ID.fullmatch(text) else ""


def _utc_text(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class AccessLog:
    """Writes access records; `client_key` is needed only where client addresses are hashed (presign)."""

    def __init__(self, storage: Storage, client_key: bytes = b"",
                 now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> None:
        self.storage = storage
        self._client_key = client_key
        self.now = now

    def client_hash(self, address: str) -> str | None:
        """HMAC-SHA256 of the normalised address (first 128 bits, hex), None without an address or a key."""
        if not address or not self._client_key:
            return None
        return hmac.new(self._client_key, address.encode(), hashlib.sha256).hexdigest()[:32]

    def _write(self, event: str, order: str, at: dt.datetime, event_id: str,
               record: dict[str, Any]) -> tuple[str, bool]:
        key = access_log_key(at, order, event, event_id)
        body = {"schema": SCHEMA, "event": event, "at": _utc_text(at), "order": order, **record}
        line = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
        return key, self.storage.put_if_absent(key, line.encode(), CONTENT_TYPE)

    def presign(self, *, outcome: int, customer: str, order: str, answer: Mapping[str, Any] | None = None,
                order_status: str = "", headers: Mapping[str, str] | Any = None, method: str = "") -> str:
        """One presign answer; returns the key. Only named fields of the answer are copied: never its URLs."""
        at = self.now()
        answer = answer or {}
        files = [_text(f.get("filename"), 200) for f in answer.get("files", ()) if isinstance(f, Mapping)]
        record = {"outcome": outcome, "customer": _text(customer), "version": int(answer.get("version") or 0),
                  "order_status": _text(answer.get("order_status") or order_status, 40), "files": files,
                  "expires_at": _text(answer.get("expires_at"), 40) or None,
                  "ttl_s": int(answer.get("ttl_s") or 0) or None,
                  "client": self.client_hash(client_address(headers or {})),
                  "call_id": _call_id((headers or {}).get("X-Call-Id")), "method": _text(method, 8)}
        key, created = self._write("presign", order, at, uuid.uuid4().hex, record)
        if not created:
            raise AccessLogError(f"access-log key {key} exists already")
        return key

    def delivery(self, *, doctype: str, order: str, version: int, recipient: str, message_id: str,
                 attached: list[str], linked: list[str], call_id: str = "", accepted_at: str = "",
                 resend_of: str | None = None) -> bool:
        """One delivered email (a resend when `resend_of` is given); False when it was recorded before."""
        try:
            at = dt.datetime.fromisoformat(accepted_at) if accepted_at else self.now()
        except ValueError:
            at = self.now()
        if at.tzinfo is None:
            at = at.replace(tzinfo=dt.UTC)
        event = "delivery" if resend_of is None else "resend"
        record: dict[str, Any] = {
            "doctype": _text(doctype, 40), "version": version, "recipient": _text(recipient, 254),
            "message_id": message_id[:200], "attached": [_text(f, 200) for f in attached],
            "linked": [_text(f, 200) for f in linked], "files": [_text(f, 200) for f in [*attached, *linked]],
            "call_id": _call_id(call_id)}
        if resend_of is not None:
            record["resend_of"] = _call_id(resend_of)
        # The same email (Message-ID, sending run, acceptance) gives the same key on every retry; a resend, which
        # keeps the Message-ID, is another run and another acceptance.
        event_id = hashlib.sha256(f"{message_id}\n{call_id}\n{accepted_at}".encode()).hexdigest()[:16]
        return self._write(event, order, at, event_id, record)[1]


def read(storage: Storage, order: str, since: dt.date, until: dt.date) -> Iterator[dict[str, Any]]:
    """The order's records from `since` to `until` (UTC days, both included), oldest first within each day."""
    check_order_name(order)
    if until < since:
        raise ValueError("--until is before --since")
    if (until - since).days >= MAX_READ_DAYS:
        raise ValueError(f"at most {MAX_READ_DAYS} days at a time")
    day = since
    while day <= until:
        found: list[tuple[str, str, dict[str, Any]]] = []
        for obj in storage.list(access_log_order_prefix(day, order)):
            for line in storage.get_bytes(obj.key).decode("utf-8", "replace").splitlines():
                if line.strip():
                    record = json.loads(line)
                    found.append((str(record.get("at")), obj.key, record))
        found.sort(key=lambda t: (t[0], t[1]))
        yield from (record for _at, _key, record in found)
        day += dt.timedelta(days=1)
