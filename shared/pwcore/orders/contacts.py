"""ERPNext Contacts: the marketing opt-out flag."""

from __future__ import annotations

from pwcore.clients.erpnext import ERPNext


def unsubscribe_contacts(erp: ERPNext, email: str) -> list[str]:
    """Listmonk's unsubscribe webhook: set email_opted_out on every Contact with that address."""
    names = [str(r["name"]) for r in erp.list("Contact", fields=["name", "email_opted_out"],
                                               filters=[["email_id", "=", email]])
             if not int(r.get("email_opted_out") or 0)]
    for contact in names:
        erp.update("Contact", contact, {"email_opted_out": 1})
    return names


