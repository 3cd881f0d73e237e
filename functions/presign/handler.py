"""presign: download links for the current version of one of the caller's orders (pwcore.presign).

GET ?order=FO-2026-0001 or POST {"order": "FO-2026-0001"} with `Authorization: Bearer <HS256 JWT>` (claims
sub = ERPNext Customer, exp, aud = PRESIGN_AUDIENCE). Answers {"order", "version", "expires_at", "ttl_s",
"files": [{"filename", "content_type", "size", "sha256", "url"}]}; 400 bad name, 401 bad token, 403 origin
not allowed, 404 not this customer's order, 409 not yet reviewable.

CORS: a request with an Origin in PRESIGN_ALLOWED_ORIGINS gets Access-Control-Allow-Origin echoing it; any
other Origin gets 403. Preflight (OPTIONS): the python3-http template's Flask answers OPTIONS itself and never
calls this handler (contract A), so in production the ingress in front of the gateway answers the preflight
(see the deployment notes); this handler answers OPTIONS correctly too, for runtimes that pass it through.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent / "shared"))  # faas-cli copies ./shared into the build context

from pwcore import config, services
from pwcore.erpnext import ERPNextError
from pwcore.http import entrypoint, json_response
from pwcore.logging import bind_context, get_logger
from pwcore.presign import Presigner, PresignError, PresignSettings, Unauthorized, cors_headers

log = get_logger("presign")
MAX_BODY = 4096


@cache
def settings() -> PresignSettings:
    return config.load(PresignSettings)


@cache
def presigner() -> Presigner:
    return Presigner(services.erpnext(), services.storage(), settings())


def _answer(status: int, body: dict[str, Any], cors: dict[str, str]) -> dict[str, Any]:
    return json_response(status, body, {**cors, "Cache-Control": "no-store"})


@entrypoint("presign")
def handle(event: Any, context: Any) -> dict[str, Any]:
    s = settings()
    origin = event.headers.get("Origin")
    if event.method == "OPTIONS":
        pre = cors_headers(origin, s.origins, preflight=True)
        if pre is None or not origin:
            return json_response(403, {"error": "origin not allowed"})
        return {"statusCode": 204, "body": "", "headers": pre}
    cors = cors_headers(origin, s.origins)
    if cors is None:
        return json_response(403, {"error": "origin not allowed"}, {"Vary": "Origin"})
    if event.method in ("GET", "HEAD"):
        order = event.query.get("order", "")
    elif event.method == "POST":
        body: bytes = event.body or b""
        if len(body) > MAX_BODY:
            return _answer(413, {"error": "body too large"}, cors)
        try:
            data = json.loads(body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return _answer(400, {"error": "body is not valid JSON"}, cors)
        order = data.get("order", "") if isinstance(data, dict) else ""
    else:
        return _answer(405, {"error": "method not allowed; use GET or POST"}, {**cors, "Allow": "GET, POST"})
    if not isinstance(order, str) or not order:
        return _answer(400, {"error": "order: required", "field": "order"}, cors)
    try:
        customer = presigner().authenticate(event.headers.get("Authorization"))
    except Unauthorized as exc:
        return json_response(401, {"error": str(exc)}, {**cors, "WWW-Authenticate": 'Bearer realm="presign"'})
    bind_context(order=order[:64])
    try:
        result = presigner().links(customer, order)
    except PresignError as exc:
        return _answer(exc.status, {"error": exc.reason}, cors)
    except ERPNextError as exc:
        log.error("presign.erpnext_error", status=exc.status)
        return _answer(503, {"error": "ERPNext unavailable; retry later"}, cors)
    return _answer(200, result, cors)
