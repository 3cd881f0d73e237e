"""The one handler body of the two generation functions: generate-doc (the template path) and generate-report (the
same work deployed on its own queue for LLM sections; pwcore.model.generation_route says which order goes where).

Body (signed like Frappe's webhooks): {"doctype": "Formation Order"|"Compliance Service"|"CRTC Order", "name": ...,
"invoice": optional Sales Invoice name}. The work and its exactly-once rules live in pwcore.steps.generation.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from pwcore.logs import bind_context
from pwcore.runtime import wiring
from pwcore.runtime.entrypoint import call_id_of, entrypoint, respond
from pwcore.runtime.signed_request import GenerateRequest, signed_payload
from pwcore.steps.generation import warm_libreoffice


def generation_handler(function: str) -> Callable[[Any, Any], dict[str, Any]]:
    """The handler of `function`; starts the warm LibreOffice while the function waits for its first call."""
    threading.Thread(target=warm_libreoffice, name="warm-libreoffice", daemon=True).start()

    @entrypoint(function)
    def handle(event: Any, context: Any) -> dict[str, Any]:
        request = signed_payload(event, GenerateRequest)
        bind_context(order=request.name)
        outcome = wiring.generator().run(request.doctype, request.name, invoice=request.invoice,
                                         call_id=call_id_of(event))
        return respond(outcome)

    return handle
