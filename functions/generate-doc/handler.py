"""generate-doc: renders an order version (async from on-payment / reconcile, or the Revision webhook).

Body (signed like Frappe's webhooks): {"doctype": "Formation Order"|"Compliance Service"|"CRTC Order", "name": ...,
"invoice": optional Sales Invoice name}. The work and its exactly-once rules live in pwcore.steps.generation.
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

# Start the warm LibreOffice while the function waits for its first call, not during it.
threading.Thread(target=warm_libreoffice, name="warm-libreoffice", daemon=True).start()


@entrypoint("generate-doc")
def handle(event: Any, context: Any) -> dict[str, Any]:
    request = signed_payload(event, GenerateRequest)
    bind_context(order=request.name)
    outcome = wiring.generator().run(request.doctype, request.name, invoice=request.invoice,
                                     call_id=call_id_of(event))
    return respond(outcome)
