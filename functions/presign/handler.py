"""presign: download links for the current version of one of the caller's orders (pwcore.steps.presign).

GET ?order=FO-2026-0001 or POST {"order": "FO-2026-0001"} with `Authorization: Bearer <HS256 JWT>` (claims
sub = ERPNext Customer, exp, aud = PRESIGN_AUDIENCE). Answers {"order", "version", "expires_at", "ttl_s",
"files": [{"filename", "content_type", "size", "sha256", "url"}]}; 400 bad name, 401 bad token, 403 origin
not allowed, 404 not this customer's order, 409 not yet available.

CORS: a request with an Origin in PRESIGN_ALLOWED_ORIGINS gets Access-Control-Allow-Origin; any other Origin gets
403. Preflight (OPTIONS): the python3-http template's Flask answers OPTIONS itself and never calls this handler,
so in production the ingress in front of the gateway answers the preflight (see the README's deployment notes);
the step answers OPTIONS correctly too, for runtimes that pass it through.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent / "shared"))  # faas-cli copies ./shared into the build context

from pwcore.runtime import wiring
from pwcore.runtime.entrypoint import entrypoint, json_response
from pwcore.steps.presign import answer_request


@entrypoint("presign")
def handle(event: Any, context: Any) -> dict[str, Any]:
    answer = answer_request(event, wiring.presign_settings(), wiring.presigner)
    if answer.status == 204:
        return {"statusCode": 204, "body": "", "headers": answer.headers}
    return json_response(answer.status, answer.body, answer.headers)
