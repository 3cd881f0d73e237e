"""generate-doc: renders an order version (async from on-payment / reconcile, or the Revision webhook).

Body (signed like Frappe's webhooks): {"doctype": "Formation Order"|"Compliance Service", "name": ...,
"invoice": optional Sales Invoice name}. The work and its exactly-once rules live in pwcore.generation.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent / "shared"))  # faas-cli copies ./shared into the build context

from pydantic import Field

from pwcore.functions_common import signed_payload
from pwcore.generation_service import generator
from pwcore.http import entrypoint, json_response
from pwcore.logging import bind_context, get_logger
from pwcore.webhooks import NAME_PATTERN, OrderEvent


class GenerateRequest(OrderEvent):
    invoice: str | None = Field(default=None, pattern=NAME_PATTERN)


def _warm_libreoffice() -> None:
    """Start the warm LibreOffice while the function waits for its first call, not during it."""
    try:
        from pwcore.documents.pdf import get_converter

        get_converter().start()
    except Exception as exc:  # the first conversion retries, then falls back to cold soffice
        get_logger("generate-doc").warning("libreoffice.warmup_failed", error=type(exc).__name__)


threading.Thread(target=_warm_libreoffice, name="warm-libreoffice", daemon=True).start()

# 503 only where a retry can help (OpenFaaS Pro / Knative retry it); a failed order is an answer, not an error.
STATUS_CODES = {"not_found": 404, "review": 200, "done": 200, "busy": 200, "skipped": 200, "failed": 200,
                "retry_later": 503}


@entrypoint("generate-doc")
def handle(event: Any, context: Any) -> dict[str, Any]:
    request = signed_payload(event, GenerateRequest)
    if isinstance(request, dict):
        return request
    bind_context(order=request.name)
    outcome = generator().run(request.doctype, request.name, invoice=request.invoice,
                              call_id=event.headers.get("X-Call-Id", ""))
    return json_response(STATUS_CODES.get(outcome.status, 200), outcome.as_dict())
