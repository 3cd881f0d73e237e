"""presign's job: a customer's token + an order name -> 1-hour download links for that order's current files.

- Auth: `Authorization: Bearer <JWT>`, HS256 only (PyJWT with algorithms=["HS256"], so `alg: none` and RS/HS
  confusion are refused), required claims sub (the ERPNext Customer name), exp, aud (PRESIGN_AUDIENCE).
- The order must belong to the token's customer. Another customer's order and an unknown order get the same
  404, so names cannot be probed.
- Customers see only approved documents. An order whose current version was approved (Approved, Ready,
  Delivered) answers with that version; any other order answers with the version recorded as approved on it
  (`approved_version`, written by deliver when it takes the approved order to Ready), so a newer unapproved
  version never replaces the approved one; an order that has none answers 409 with a reason the site can show
  (`{"error": ..., "order_status": ...}`): a draft in Review or Revision is never signed. Refunded: 409.
- Links: that version's files from its manifest.json, each key re-checked to sit under `orders/{name}/v{n}/`;
  once deliver recorded the version's `delivery/approval.json`, each PDF is its delivered form instead
  (`delivery/final/{filename}`: the reviewed PDF plus the approval page, byte for byte what was emailed). Between
  the approval and deliver's record (seconds: deliver writes it right after Ready) the approved reviewed PDFs are
  served: their content is what was approved; only the approval page is missing. Either way,
  plus the invoice PDF of the order's paid Sales Invoice (`invoices/{invoice}.pdf`) when it exists; signed
  locally by the minio client (created with its region, so no S3 call).
- Access log (pwcore.orders.access_log): every 200 and every 404 / 409 of an authenticated customer is one
  record (customer, order, version, file names, expiry, a keyed hash of the client address), written before the
  answer leaves; when it cannot be written the answer is 503, never links without their record.
- Caches: the order's (customer, status, version) for PRESIGN_ORDER_CACHE_S (short: a refund or a new version
  shows within seconds); the manifest and the delivered files by (order, version) for longer, since both are
  written once and never change (a version not delivered yet is looked at again after PRESIGN_ORDER_CACHE_S).
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

import jwt
from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from pwcore.clients.erpnext import ERPNext, NotFound
from pwcore.clients.outages import outage_of
from pwcore.clients.s3 import Storage
from pwcore.logs import bind_context, get_logger
from pwcore.model import jsonsafe, problems
from pwcore.model.doctypes import UnsafeName, check_order_name, current_version, doctype_for
from pwcore.model.layout import approval_key, check_key, invoice_key, manifest_key, slug, version_prefix
from pwcore.model.manifest import PDF_TYPE, VersionManifest
from pwcore.orders.access_log import AccessLog, derive_client_key
from pwcore.settings import Settings

log = get_logger("pwcore.presign")

MAX_TTL_S = 3600
# The statuses in which the order's current version is the approved one.
APPROVED_STATUSES = frozenset({"Approved", "Ready", "Delivered"})
# What the site shows for an order that has no approved version (yet, or any more).
UNAVAILABLE_REASONS = {
    "Ordered": "the order is waiting for its payment; documents are prepared once it is paid",
    "Queued": "your documents are being prepared",
    "Processing": "your documents are being prepared",
    "Review": "your documents are being reviewed by our staff; the downloads appear once they are approved",
    "Revision": "your documents are being revised after our staff's review; the downloads appear once the "
                "revised documents are approved",
    "Failed": "there is a problem preparing your documents; our staff has been notified and will contact you",
    "Refunded": "this order was refunded; its documents are no longer available",
}


class PresignSettings(Settings):
    model_config = SettingsConfigDict(env_prefix="PRESIGN_")
    jwt_secret: SecretStr = Field(min_length=32)  # HS256 keys shorter than the hash are guessable
    audience: str = "performancewest-portal"
    ttl_s: int = MAX_TTL_S
    allowed_origins: str = ""  # comma-separated, exact origins like https://performancewest.net
    order_cache_s: float = 15.0
    manifest_cache_s: float = 3600.0
    leeway_s: int = Field(default=30, ge=0, le=300)  # clock skew between the site and the functions

    @property
    def origins(self) -> frozenset[str]:
        out = set()
        for item in self.allowed_origins.split(","):
            item = item.strip()
            normal = normalise_origin(item.removesuffix("/")) if item else None  # one "/" tolerated in config
            if normal:
                out.add(normal)
        return frozenset(out)


    @property
    def effective_ttl_s(self) -> int:
        return max(1, min(self.ttl_s, MAX_TTL_S))




DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-")


def normalise_origin(value: str) -> str | None:
    """The serialisation of an Origin (RFC 6454 section 6.2), or None when `value` is not one.

    Only what the RFC allows is normalised: the scheme and host to lower case, the scheme's default port
    dropped. A path (even a lone "/"), query, userinfo, "null", whitespace or anything else is not an origin."""
    scheme, sep, rest = value.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in DEFAULT_PORTS or not rest:
        return None
    host, colon, port_text = rest.rpartition(":") if ":" in rest else (rest, "", "")
    host = host.lower()
    if not host or not set(host) <= _HOST_CHARS or host.startswith((".", "-")) or ".." in host:
        return None
    if colon:
        if not port_text.isascii() or not port_text.isdigit() or len(port_text) > 5 or not 0 < int(port_text) < 65536:
            return None
        port = int(port_text)
        return f"{scheme}://{host}" if port == DEFAULT_PORTS[scheme] else f"{scheme}://{host}:{port}"
    return f"{scheme}://{host}"


class Unauthorized(problems.Unauthorized):
    def __init__(self, reason: str) -> None:
        super().__init__(reason, headers={"WWW-Authenticate": 'Bearer realm="presign"'})


class PresignError(problems.Problem):
    """A refusal with its own status (400 bad name, 404 not the caller's order, 409 not yet available)."""

    def __init__(self, status: int, reason: str, **extra: Any) -> None:
        super().__init__(reason, **extra)
        self.status = status  # type: ignore[misc]








K = TypeVar("K")
V = TypeVar("V")


class TTLCache(Generic[K, V]):
    """A small thread-safe TTL + LRU cache (no extra dependency for a dozen lines)."""

    def __init__(self, ttl_s: float, max_items: int = 4096, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self.max_items = max_items
        self.clock = clock
        self._data: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_load(self, key: K, load: Callable[[], V]) -> V:
        now = self.clock()
        with self._lock:
            hit = self._data.get(key)
            if hit is not None and hit[0] > now:
                self._data.move_to_end(key)
                return hit[1]
        value = load()  # outside the lock: a slow ERPNext must not block other keys
        with self._lock:
            self._data[key] = (now + self.ttl_s, value)
            self._data.move_to_end(key)
            while len(self._data) > self.max_items:
                self._data.popitem(last=False)
        return value

    def get(self, key: K) -> V | None:
        with self._lock:
            hit = self._data.get(key)
            if hit is None or hit[0] <= self.clock():
                return None
            self._data.move_to_end(key)
            return hit[1]

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._data[key] = (self.clock() + self.ttl_s, value)
            self._data.move_to_end(key)
            while len(self._data) > self.max_items:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


@dataclass(frozen=True)
class OrderFacts:
    exists: bool
    customer: str = ""
    status: str = ""
    version: int = 0
    approved_version: int = 0
    invoice: str = ""  # the paid Sales Invoice whose PDF is stored, "" if none

    def served_version(self) -> int:
        """The approved version a customer may download (0 = none)."""
        if self.status == "Refunded":
            return 0
        if self.status in APPROVED_STATUSES:
            return self.version
        return self.approved_version if 0 < self.approved_version <= self.version else 0


class Presigner:
    def __init__(self, erp: ERPNext, storage: Storage, settings: PresignSettings,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC), access_log: AccessLog | None = None) -> None:
        self.erp = erp
        self.storage = storage
        self.settings = settings
        self.now = now
        self._secret = settings.jwt_secret.get_secret_value()
        # Client addresses are hashed with a key derived from the JWT secret: no extra secret to deploy.
        self.access_log = access_log or AccessLog(storage, derive_client_key(self._secret))
        self._orders: TTLCache[str, OrderFacts] = TTLCache(settings.order_cache_s)
        self._manifests: TTLCache[tuple[str, int], list[dict[str, Any]]] = TTLCache(settings.manifest_cache_s)
        self._finals: TTLCache[tuple[str, int], dict[str, dict[str, Any]]] = TTLCache(settings.manifest_cache_s)
        self._no_finals: TTLCache[tuple[str, int], dict[str, dict[str, Any]]] = TTLCache(settings.order_cache_s)

    # -- auth -------------------------------------------------------------------------------------------
    def authenticate(self, authorization: str | None) -> str:
        """The customer id (`sub`) of a valid token, else Unauthorized with a short reason."""
        if not authorization:
            raise Unauthorized("missing Authorization header")
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("expected 'Authorization: Bearer <token>'")
        try:
            claims = jwt.decode(token.strip(), self._secret, algorithms=["HS256"], audience=self.settings.audience,
                                leeway=self.settings.leeway_s,
                                options={"require": ["sub", "exp", "aud"], "verify_signature": True})
        except jwt.ExpiredSignatureError:
            raise Unauthorized("token expired") from None
        except jwt.InvalidAudienceError:
            raise Unauthorized("token audience not accepted") from None
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthorized(f"token lacks the {exc.claim!r} claim") from None
        except jwt.InvalidTokenError:
            raise Unauthorized("invalid token") from None
        for claim in ("exp", "iat", "nbf"):  # PyJWT would take "exp": "1999999999" as a number
            value = claims.get(claim)
            if claim in claims and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise Unauthorized(f"token claim {claim!r} must be a number")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub.strip():
            raise Unauthorized("token subject is empty")
        return sub

    # -- lookups ----------------------------------------------------------------------------------------
    def _order(self, name: str) -> OrderFacts:
        def load() -> OrderFacts:
            doctype = doctype_for(name)  # the name passed check_order_name: one of our naming series
            try:
                doc = self.erp.get(doctype, name)
            except NotFound:
                return OrderFacts(False)
            facts = OrderFacts(True, str(doc.get("customer") or ""), str(doc.get("status") or ""),
                               current_version(doc), int(doc.get("approved_version") or 0))
            if facts.served_version() < 1:
                return facts
            return OrderFacts(facts.exists, facts.customer, facts.status, facts.version, facts.approved_version,
                              self._invoice_of(doc))
        return self._orders.get_or_load(name, load)

    def _invoice_of(self, doc: dict[str, Any]) -> str:
        """The order's paid Sales Invoice whose PDF generate-doc stored, or ""."""
        if not doc.get("sales_order"):
            return ""
        rows = self.erp.list_page("Sales Invoice", fields=["name"], limit_page_length=1, filters=[
            ["Sales Invoice", "status", "=", "Paid"], ["Sales Invoice Item", "sales_order", "=", doc["sales_order"]]])
        if not rows:
            return ""
        invoice = str(rows[0]["name"])
        return invoice if self.storage.exists(invoice_key(invoice)) else ""

    def _files(self, name: str, version: int) -> list[dict[str, Any]]:
        def load() -> list[dict[str, Any]]:
            raw = self.storage.get_bytes(manifest_key(name, version))
            manifest = VersionManifest.parse(raw, name, version, drop_bad_files=True)
            for key in manifest.dropped:
                log.error("presign.bad_manifest_key", order=name, version=version, key=key)
            return [{"key": f.key, "filename": f.filename, "content_type": f.content_type, "size": f.size,
                     "sha256": f.sha256} for f in manifest.files]
        files = self._manifests.get_or_load((name, version), load)
        finals = self._finals.get((name, version))
        if finals is None:
            # Written once: kept like the manifest. Absent (deliver has not run yet) is asked again after the
            # order cache's few seconds, the time a status change takes to show anyway.
            finals = self._no_finals.get_or_load((name, version), lambda: self._load_finals(name, version))
            if finals:
                self._finals.put((name, version), finals)
        return [{**f, **finals[f["filename"]]} if f["filename"] in finals else f for f in files]

    def _load_finals(self, name: str, version: int) -> dict[str, dict[str, Any]]:
        """The delivered PDFs of a version by filename, from its `delivery/approval.json`: what the customer was
        emailed (the reviewed PDF plus its approval page). Empty until deliver wrote the record; until then the
        approved reviewed PDFs are served (an Approved order whose deliver has not run yet)."""
        raw = self.storage.get_bytes_if_exists(approval_key(name, version))
        if raw is None:
            return {}
        out: dict[str, dict[str, Any]] = {}
        try:
            entries = list(json.loads(raw).get("files") or [])
        except (ValueError, AttributeError, TypeError):
            log.error("presign.bad_approval_record", order=name, version=version)
            return {}
        prefix = version_prefix(name, version) + "delivery/final/"
        for f in entries:
            try:
                key = check_key(str(f["key"]), prefix)
                out[str(f["filename"])] = {"key": key, "size": int(f["final_size"]),
                                           "sha256": str(f["final_sha256"]), "content_type": PDF_TYPE}
            except (UnsafeName, KeyError, TypeError, ValueError):
                log.error("presign.bad_final_key", order=name, version=version)
        return out

    # -- the answer -------------------------------------------------------------------------------------
    def links(self, customer: str, order: str) -> dict[str, Any]:
        try:
            check_order_name(order)
        except UnsafeName as exc:
            raise PresignError(400, str(exc)) from None
        facts = self._order(order)
        if not facts.exists or facts.customer != customer:
            raise PresignError(404, "order not found")
        version = facts.served_version()
        if version < 1:
            reason = UNAVAILABLE_REASONS.get(facts.status, f"documents are not available while the order is "
                                                           f"{facts.status}")
            raise PresignError(409, reason, order_status=facts.status)
        ttl = self.settings.effective_ttl_s
        issued = self.now()
        expires_at = (issued + timedelta(seconds=ttl)).isoformat(timespec="seconds").replace("+00:00", "Z")
        out = []
        for f in self._files(order, version):
            out.append({"filename": f["filename"], "content_type": f["content_type"], "size": f["size"],
                        "sha256": f["sha256"], "url": self.storage.presign_get(f["key"], ttl, f["filename"])})
        if facts.invoice:
            filename = f"invoice-{slug(facts.invoice)}.pdf"
            out.append({"filename": filename, "content_type": PDF_TYPE, "kind": "invoice",
                        "url": self.storage.presign_get(invoice_key(facts.invoice), ttl, filename)})
        return {"order": order, "version": version, "order_status": facts.status, "expires_at": expires_at,
                "ttl_s": ttl, "files": out}


# --- CORS --------------------------------------------------------------------------------------------------

CORS_ALLOW_HEADERS = "Authorization, Content-Type"
CORS_ALLOW_METHODS = "GET, POST, OPTIONS"
CORS_MAX_AGE = "600"


def cors_headers(origin: str | None, allowed: frozenset[str], preflight: bool = False) -> dict[str, str] | None:
    """Headers for an allowed origin; {} when there is no Origin (server-side call); None = refuse."""
    if not origin:
        return {}
    normal = normalise_origin(origin)
    if normal is None or normal not in allowed:
        return None
    headers = {"Access-Control-Allow-Origin": normal, "Vary": "Origin"}  # the allowed value, not the caller's
    if preflight:
        headers.update({"Access-Control-Allow-Methods": CORS_ALLOW_METHODS,
                        "Access-Control-Allow-Headers": CORS_ALLOW_HEADERS,
                        "Access-Control-Max-Age": CORS_MAX_AGE})
    return headers


# --- the request ---------------------------------------------------------------------------------------------

MAX_BODY = 4096
NO_STORE = {"Cache-Control": "no-store"}


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


def order_of_request(method: str, query: Any, body: bytes) -> str:
    """The order name from `?order=` (GET/HEAD) or a JSON body {"order": ...} (POST); raises a Problem."""
    if method in ("GET", "HEAD"):
        order = query.get("order", "")
    elif method == "POST":
        if len(body) > MAX_BODY:
            raise problems.PayloadTooLarge("body too large")
        data = jsonsafe.loads(body or b"{}", max_bytes=MAX_BODY, max_depth=4)
        order = data.get("order", "") if isinstance(data, dict) else ""
    else:
        raise problems.MethodNotAllowed("GET, POST")
    if not isinstance(order, str) or not order:
        raise problems.BadRequest("order: required", field="order")
    return order


# Refusals worth a record: an authenticated customer asked for a well-formed order name ("who tried").
LOGGED_REFUSALS = frozenset({404, 409})


def _record_refusal(service: Presigner, event: Any, customer: str, order: str, exc: PresignError) -> None:
    """A refusal reveals nothing, so it is answered even when its record cannot be written."""
    try:
        service.access_log.presign(outcome=exc.status, customer=customer, order=order,
                                   order_status=str(exc.extra.get("order_status") or ""), headers=event.headers,
                                   method=event.method)
    except Exception as write_exc:
        log.warning("access_log.write_failed", outcome=exc.status, error=type(write_exc).__name__)


def answer_request(event: Any, settings: PresignSettings, presigner: Callable[[], Presigner]) -> Answer:
    """CORS first (an Origin outside PRESIGN_ALLOWED_ORIGINS is refused with 403), then the order and the token.

    `presigner` is called only once a request gets past CORS (a preflight needs no ERPNext or S3 client)."""
    origins = settings.origins
    origin = event.headers.get("Origin")
    if event.method == "OPTIONS":
        pre = cors_headers(origin, origins, preflight=True)
        if pre is None or not origin:
            raise problems.Forbidden("origin not allowed")
        return Answer(204, {}, pre)
    cors = cors_headers(origin, origins)
    if cors is None:
        raise problems.Forbidden("origin not allowed", headers={"Vary": "Origin"})
    try:
        if event.method not in ("GET", "HEAD", "POST"):
            raise problems.MethodNotAllowed("GET, POST")
        service = presigner()
        customer = service.authenticate(event.headers.get("Authorization"))  # the token before the body
        order = order_of_request(event.method, event.query, event.body or b"")
        bind_context(order=order[:64])
        try:
            body = service.links(customer, order)
        except PresignError as exc:
            if exc.status in LOGGED_REFUSALS:
                _record_refusal(service, event, customer, order, exc)
            raise
        # Before the answer leaves: an S3 outage here is a 503 (below), never links without their record.
        service.access_log.presign(outcome=200, customer=customer, order=order, answer=body, headers=event.headers,
                                   method=event.method)
        return Answer(200, body, {**cors, **NO_STORE})
    except problems.Problem as exc:
        exc.headers = {**cors, **NO_STORE, **exc.headers}
        raise
    except Exception as exc:  # an outage still answers with CORS headers, so the site can show the reason
        system = outage_of(exc)
        if system is None:
            raise
        raise problems.Unavailable(f"{system} unavailable; retry later", headers={**cors, **NO_STORE}) from None
