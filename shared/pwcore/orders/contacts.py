"""ERPNext Contacts: the marketing opt-out flag."""

from __future__ import annotations

from typing import Any

from pwcore.clients.erpnext import ERPNext, ERPNextError


def unsubscribe_contacts(erp: ERPNext, email: str) -> list[str]:
    """Listmonk's unsubscribe webhook: set email_opted_out on every Contact with that address."""
    names = [str(r["name"]) for r in erp.list("Contact", fields=["name", "email_opted_out"],
                                               filters=[["email_id", "=", email]])
             if not int(r.get("email_opted_out") or 0)]
    for contact in names:
        erp.update("Contact", contact, {"email_opted_out": 1})
    return names




def opted_out(erp: ERPNext, email: str, contact: str | None = None) -> bool:
    """True when the customer's primary Contact, or any Contact with that address, has email_opted_out."""
    if contact:
        try:
            if int(erp.get("Contact", contact).get("email_opted_out") or 0):
                return True
        except ERPNextError as exc:
            if exc.status != 404:
                raise
    if not email:
        return False
    filters: list[list[Any]] = [["email_id", "=", email], ["email_opted_out", "=", 1]]
    return any(True for _ in erp.list("Contact", fields=["name"], filters=filters, page_length=1))
