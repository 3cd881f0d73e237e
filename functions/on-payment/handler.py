"""on-payment: the ERPNext webhook for a paid Sales Invoice (Queued orders, generate-doc dispatched).

Size, then the signature over the raw body, then the schema (pwcore.runtime.signed_request); the work and its
time budget are in pwcore.steps.payment.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent / "shared"))  # faas-cli copies ./shared into the build context

from pwcore.logs import bind_context
from pwcore.runtime import wiring
from pwcore.runtime.entrypoint import entrypoint, respond
from pwcore.runtime.signed_request import InvoiceEvent, signed_payload
from pwcore.steps import payment


@entrypoint("on-payment")
def handle(event: Any, context: Any) -> dict[str, Any]:
    invoice = signed_payload(event, InvoiceEvent)
    bind_context(invoice=invoice.name)
    return respond(payment.acknowledge(wiring.erpnext(), wiring.dispatcher(), invoice.name))
