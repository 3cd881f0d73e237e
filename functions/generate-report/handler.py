"""generate-report: renders a compliance order's version, LLM sections included (async from on-payment /
reconcile, or the Compliance Service Revision webhook).

The same work as generate-doc (pwcore.steps.generation), deployed as its own function so LLM generation scales
on its own: its own queue (stack.yml `com.openfaas.queue: llm-queue`), max_inflight, scale bounds and timeouts
sized for a 7B model on one GPU (pwcore.model.generation_route says which orders come here).
Body (signed like Frappe's webhooks): {"doctype": ..., "name": ..., "invoice": optional Sales Invoice name}.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent / "shared"))  # faas-cli copies ./shared into the build context

from pwcore.logs import bind_context
from pwcore.runtime import wiring
from pwcore.runtime.entrypoint import call_id_of, entrypoint, respond
from pwcore.runtime.signed_request import GenerateRequest, signed_payload
from pwcore.steps.generation import warm_libreoffice

# Reports are converted to PDF too: start the warm LibreOffice while the function waits for its first call.
threading.Thread(target=warm_libreoffice, name="warm-libreoffice", daemon=True).start()


@entrypoint("generate-report")
def handle(event: Any, context: Any) -> dict[str, Any]:
    request = signed_payload(event, GenerateRequest)
    bind_context(order=request.name)
    outcome = wiring.generator().run(request.doctype, request.name, invoice=request.invoice,
                                     call_id=call_id_of(event))
    return respond(outcome)
