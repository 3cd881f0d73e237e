"""deliver: Approved order -> pre-flight -> Ready -> one email -> recorded -> Delivered (pwcore.steps.delivery).

Callers, all authenticated by the webhook signature (X-Frappe-Webhook-Signature, HMAC-SHA256 of the raw body
with WEBHOOK_SECRET): the ERPNext webhook on Approved (best pointed at the gateway's /async-function/deliver,
since sending mail can outlast Frappe's 5 s webhook timeout; the queue keeps the headers), the reconcile
sweep and operators (their dispatch signs the body the same way). Body: {"doctype", "name"} and, for an
operator who checked the mail log after an uncertain delivery, "resend": true.

Route `POST /listmonk/unsubscribe` (same function, the template sends every path here): Listmonk's
unsubscribe notification (pwcore.steps.unsubscribe): Listmonk's webhook event `subscriber.unsubscribed`,
authenticated by its HMAC signature or Basic auth made with DELIVER_UNSUBSCRIBE_TOKEN (or a relay's Bearer /
X-Webhook-Token), sets `email_opted_out` on the ERPNext Contacts with that address.

Route `POST /listmonk/customer`: ERPNext's signed `pw-customer-created` webhook (Customer after_insert) ->
the customer subscribed to Listmonk's Welcome list (pwcore.steps.welcome).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent / "shared"))  # faas-cli copies ./shared into the build context

from pwcore.logs import bind_context
from pwcore.runtime import wiring
from pwcore.runtime.entrypoint import call_id_of, entrypoint, respond
from pwcore.runtime.signed_request import CustomerEvent, DeliverRequest, signed_payload
from pwcore.settings import load_settings
from pwcore.steps.delivery import DeliverySettings
from pwcore.steps.unsubscribe import unsubscribe
from pwcore.steps.welcome import welcome

UNSUBSCRIBE_PATH = "/listmonk/unsubscribe"
CUSTOMER_PATH = "/listmonk/customer"


@entrypoint("deliver")
def handle(event: Any, context: Any) -> dict[str, Any]:
    if event.path.rstrip("/") == UNSUBSCRIBE_PATH:
        token = load_settings(DeliverySettings).unsubscribe_token.get_secret_value()
        return respond(unsubscribe(wiring.erpnext(), event, token))
    if event.path.rstrip("/") == CUSTOMER_PATH:
        created = signed_payload(event, CustomerEvent)
        bind_context(customer=created.name)
        return respond(welcome(wiring.erpnext(), *wiring.listmonk(), created.name))
    request = signed_payload(event, DeliverRequest)
    bind_context(order=request.name)
    outcome = wiring.deliverer().run(request.doctype, request.name, call_id_of(event), resend=request.resend)
    return respond(outcome)
