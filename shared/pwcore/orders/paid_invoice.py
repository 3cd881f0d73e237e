"""What a paid Sales Invoice sets in motion. One code path for on-payment and the reconcile sweep.

For every Formation Order / Compliance Service of the invoice's Sales Orders: Ordered -> Queued by CAS and,
for the winner only, dispatch its generation function (generate-doc, or generate-report for a compliance
service: pwcore.model.generation_route); create the referral commission once. Every step is idempotent, so
duplicate webhooks, racing replicas and the sweep all converge on the same result.
"""

from __future__ import annotations

from typing import Any

from pwcore.clients.dispatch import Dispatcher, DispatchError
from pwcore.clients.erpnext import ERPNext
from pwcore.logs import get_logger
from pwcore.model.doctypes import ORDER_DOCTYPES, next_version
from pwcore.model.generation_route import generation_function
from pwcore.model.status import InvalidTransition, Status
from pwcore.orders.commission_ledger import CommissionSettings, ensure_pending_commission
from pwcore.orders.transitions import transition

log = get_logger("pwcore.payments")

ORDER_FIELDS = ["name", "status", "modified", "sales_order", "document_version"]
SALES_ORDER_FIELDS = ["name", "custom_referral_code", "custom_order_type"]


class InvoiceNotPaid(Exception):
    pass


def sales_orders_of(invoice: dict[str, Any]) -> list[str]:
    seen: dict[str, None] = {}
    for item in invoice.get("items") or []:
        so = item.get("sales_order")
        if so:
            seen[str(so)] = None
    return list(seen)


def orders_of(erp: ERPNext, sales_orders: list[str]) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    for doctype in ORDER_DOCTYPES:
        for row in erp.list(doctype, fields=ORDER_FIELDS, filters=[["sales_order", "in", sales_orders]]):
            found.append((doctype, row))
    return found


def generation_call_id(name: str, version: int) -> str:
    """Same key for every dispatch of one order version (logs and queue correlate on it)."""
    return f"gen-{name}-v{version}"


def queue_and_dispatch(erp: ERPNext, dispatcher: Dispatcher, doctype: str, row: dict[str, Any],
                       invoice: str | None) -> str:
    """Ordered -> Queued; only the CAS winner dispatches. Returns queued / duplicate / skipped:<status>."""
    try:
        result = transition(erp, doctype, row["name"], Status.QUEUED,
                            allowed_from={Status.ORDERED}, doc=row if "modified" in row else None,
                            values={"pipeline_retries": 0})
    except InvalidTransition as exc:
        return "duplicate" if exc.current != Status.ORDERED else f"skipped:{exc.current}"
    if not result.won:
        return "duplicate"
    version = next_version(result.doc)
    payload = {"doctype": doctype, "name": row["name"], "invoice": invoice}
    try:
        dispatcher.dispatch(generation_function(doctype), payload, call_id=generation_call_id(row["name"], version))
    except DispatchError as exc:
        # The order is Queued; the reconcile sweep re-dispatches it after the lease.
        log.warning("payment.dispatch_failed", order=row["name"], error=str(exc))
    return "queued"


def process_paid_invoice(erp: ERPNext, dispatcher: Dispatcher, invoice_name: str,
                         commissions: CommissionSettings,
                         known_orders: dict[str, list[tuple[str, dict[str, Any]]]] | None = None,
                         known_sales_orders: dict[str, dict[str, Any]] | None = None,
                         known_invoice: dict[str, Any] | None = None) -> dict[str, Any]:
    """Raises erpnext.NotFound for an unknown invoice and InvoiceNotPaid when it is not Paid.

    known_invoice ({name, status, items: [{sales_order}]}), known_orders (Sales Order -> (doctype, row with
    ORDER_FIELDS)) and known_sales_orders (name -> row with SALES_ORDER_FIELDS) spare the reads when the caller
    (the sweep) has just listed those rows in pages; the CAS re-checks each order anyway, and the ledger's
    unique `order` keeps the commission single.
    """
    invoice = known_invoice if known_invoice is not None else erp.get("Sales Invoice", invoice_name)
    if invoice.get("status") != "Paid":
        raise InvoiceNotPaid(f"Sales Invoice {invoice_name} is {invoice.get('status')!r}, not Paid")
    sales_orders = sales_orders_of(invoice)
    outcome: dict[str, list[str]] = {"queued": [], "duplicate": [], "skipped": []}
    commission: dict[str, str] = {}
    if sales_orders:
        rows = ([pair for so in sales_orders for pair in known_orders.get(so, [])] if known_orders is not None
                else orders_of(erp, sales_orders))
        for doctype, row in rows:
            what = queue_and_dispatch(erp, dispatcher, doctype, row, invoice_name)
            outcome["queued" if what == "queued" else "duplicate" if what == "duplicate" else "skipped"].append(
                row["name"])
        for so_name in sales_orders:
            so = (known_sales_orders or {}).get(so_name) or erp.get("Sales Order", so_name)
            commission[so_name] = ensure_pending_commission(erp, so, commissions)
    if outcome["queued"]:
        status = "queued"
    elif outcome["duplicate"]:
        status = "duplicate"
    else:
        status = "no_orders"
    log.info("payment.processed", invoice=invoice_name, status=status, queued=outcome["queued"])
    return {"status": status, "invoice": invoice_name, "sales_orders": sales_orders, **outcome,
            "commission": commission}
