"""The Compliance upsell: 30 days after a formation is delivered, its customer joins Listmonk's upsell list.

Run by calendar-tick's daily sweep (pwcore.steps.calendar_tick.run_daily). Which customers: those with a
Formation Order Delivered between `upsell_after_days` and `upsell_after_days + upsell_catch_up_days` ago (the
delivery moment is the order's `modified` while Delivered: Delivered is the last state before Refunded, so it
errs late, never early); the catch-up span lets a day missed by a Listmonk outage be made up on a later tick.
Not for: customers who already bought a compliance service (any Compliance Service not Refunded), contacts with
`email_opted_out`, subscribers who unsubscribed from the list (Listmonk.subscribe never re-adds them).
Once per customer: an S3 marker `marketing/compliance-upsell/{customer digest}.json` is written after the
subscription; a customer with the marker is never looked at again (even if someone removed them from the list).
A Listmonk error leaves no marker: the next tick retries. Nothing here can fail the tick.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from typing import Any

from pydantic_settings import SettingsConfigDict

from pwcore.clients.erpnext import ERPNext, ERPNextError
from pwcore.clients.listmonk import Listmonk, ListmonkError, ListmonkSettings
from pwcore.clients.s3 import Storage
from pwcore.logs import get_logger
from pwcore.orders.contacts import opted_out
from pwcore.settings import Settings

log = get_logger("pwcore.marketing")


class UpsellSettings(Settings):
    model_config = SettingsConfigDict(env_prefix="UPSELL_")
    after_days: int = 30
    catch_up_days: int = 30


def upsell_marker(customer: str) -> str:
    # A digest, not the customer's name: object keys carry no customer names.
    return f"marketing/compliance-upsell/{hashlib.sha256(customer.encode()).hexdigest()[:32]}.json"


def compliance_upsell(erp: ERPNext, storage: Storage, listmonk: Listmonk | None, lists: ListmonkSettings,
                      settings: UpsellSettings, site_now: dt.datetime, *, dry_run: bool = False) -> dict[str, Any]:
    counts: Counter[str] = Counter()
    if listmonk is None:
        return {"enabled": False}
    newest = site_now - dt.timedelta(days=settings.after_days)
    oldest = newest - dt.timedelta(days=settings.catch_up_days)
    fmt = "%Y-%m-%d %H:%M:%S.%f"
    try:
        customers = sorted({str(r["customer"]) for r in erp.list("Formation Order", fields=["customer"], filters=[
            ["status", "=", "Delivered"], ["modified", "<=", newest.strftime(fmt)],
            ["modified", ">=", oldest.strftime(fmt)]]) if r.get("customer")})
        for customer in customers:
            counts[_one(erp, storage, listmonk, lists, customer, dry_run)] += 1
    except ERPNextError as exc:
        log.warning("upsell.erpnext_failed", status=exc.status)
        counts["erpnext_error"] += 1
    return {"enabled": True, "list": lists.compliance_list, **dict(sorted(counts.items()))}


def _one(erp: ERPNext, storage: Storage, listmonk: Listmonk, lists: ListmonkSettings, customer: str,
         dry_run: bool) -> str:
    marker = upsell_marker(customer)
    if storage.exists(marker):
        return "already"
    bought = [r for r in erp.list("Compliance Service", fields=["name", "status"],
                                  filters=[["customer", "=", customer]]) if r.get("status") != "Refunded"]
    if bought:
        return "has_service"
    doc = erp.get("Customer", customer)
    email = str(doc.get("email_id") or "").strip()
    contact = str(doc.get("customer_primary_contact") or "") or None
    if not email and contact:
        email = str(erp.get("Contact", contact).get("email_id") or "").strip()
    if "@" not in email:
        return "no_email"
    if opted_out(erp, email, contact):
        return "opted_out"
    if dry_run:
        return "would_subscribe"
    try:
        result = listmonk.subscribe(email, str(doc.get("customer_name") or ""), lists.compliance_list,
                                    {"erpnext_customer": customer,
                                     "customer_name": str(doc.get("customer_name") or customer)})
    except ListmonkError as exc:
        log.warning("upsell.listmonk_failed", error=str(exc))
        return "listmonk_error"
    storage.put_if_absent(marker, b'{"subscribed": true}')
    return "subscribed" if result in {"created", "added", "already"} else result
