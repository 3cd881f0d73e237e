"""A new ERPNext Customer -> a Listmonk subscriber in the Welcome list (the welcome drip), once.

Called by ERPNext's `pw-customer-created` webhook (Customer after_insert, signed like every webhook, through the
gateway's async route) at deliver's `POST /listmonk/customer`. The customer is re-read from ERPNext; the
subscriber is upserted by email with attributes `erpnext_customer` (the Customer's name, its id) and
`customer_name`. Never for a contact with `email_opted_out` (the primary Contact or any Contact with that
address), and never back into a list the subscriber unsubscribed from (Listmonk.subscribe). A repeat call
answers "already". With Listmonk unset or down the answer says so (503 "retry_later" when down, so the
gateway's async retry comes back); nothing in ERPNext depends on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pwcore.clients.erpnext import ERPNext, ERPNextError
from pwcore.clients.listmonk import Listmonk, ListmonkError, ListmonkSettings
from pwcore.logs import get_logger
from pwcore.model.outcomes import OutcomeStatus
from pwcore.orders.contacts import opted_out

log = get_logger("pwcore.welcome")


class WelcomeStatus(OutcomeStatus):
    SUBSCRIBED = ("subscribed", 200)
    SKIPPED = ("skipped", 200)
    NOT_FOUND = ("not_found", 404)
    RETRY_LATER = ("retry_later", 503)


@dataclass
class WelcomeOutcome:
    status: WelcomeStatus
    customer: str
    listmonk: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "customer": self.customer, "listmonk": self.listmonk}


def customer_attribs(customer: dict[str, Any]) -> dict[str, Any]:
    return {"erpnext_customer": str(customer["name"]),
            "customer_name": str(customer.get("customer_name") or customer["name"])}


def welcome(erp: ERPNext, listmonk: Listmonk | None, settings: ListmonkSettings, name: str) -> WelcomeOutcome:
    if listmonk is None:
        return WelcomeOutcome(WelcomeStatus.SKIPPED, name, "not_configured")
    try:
        customer = erp.get("Customer", name)
    except ERPNextError as exc:
        if exc.status == 404:
            return WelcomeOutcome(WelcomeStatus.NOT_FOUND, name)
        raise
    email = str(customer.get("email_id") or "").strip()
    contact = str(customer.get("customer_primary_contact") or "") or None
    if not email and contact:
        email = str(erp.get("Contact", contact).get("email_id") or "").strip()
    if "@" not in email:
        return WelcomeOutcome(WelcomeStatus.SKIPPED, name, "no_email")
    if opted_out(erp, email, contact):
        return WelcomeOutcome(WelcomeStatus.SKIPPED, name, "opted_out")
    try:
        result = listmonk.subscribe(email, str(customer.get("customer_name") or ""), settings.welcome_list,
                                    customer_attribs(customer))
    except ListmonkError as exc:
        log.warning("welcome.listmonk_failed", customer=name, error=str(exc))
        return WelcomeOutcome(WelcomeStatus.RETRY_LATER, name, "error")
    log.info("welcome.subscribed", customer=name, listmonk=result)
    return WelcomeOutcome(WelcomeStatus.SUBSCRIBED, name, result)
