"""Commission Ledger entries for referred orders: created once by on-payment (Pending), moved on by calendar-tick."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

from pwcore.clients.erpnext import ERPNext, ERPNextError, TimestampMismatch
from pwcore.logs import get_logger
from pwcore.model.doctypes import ORDER_DOCTYPES
from pwcore.orders.commission_ledger import CommissionSettings

log = get_logger("pwcore.commissions")







# -- the calendar-tick sweep: Pending -> Eligible | Cancelled ------------------------------------------------
# Delivery time: the order document's `modified` while it is Delivered. Delivered is the last state before
# Refunded, so `modified` is at or after the moment the order reached Delivered: measuring the refund window
# from it can make an entry Eligible late (someone edited a Delivered order), never early, which is the side
# money must err on. A bundle Sales Order has several order documents: Eligible when every one is Delivered
# (the window counts from the latest), Cancelled when every one is Refunded; a partial refund (some Refunded,
# some not) is left Pending for finance and counted as `commissions_held`. Paid is never set here.

LEDGER_FIELDS = ["name", "order", "status", "modified"]


def _parse_frappe_dt(value: Any) -> datetime:
    return datetime.fromisoformat(str(value).replace("T", " ")[:26])


def sweep_commissions(erp: ERPNext, settings: CommissionSettings, *, now: datetime, dry_run: bool = False,
                      page_length: int = 500) -> dict[str, Any]:
    """Move Pending ledger entries on; `now` is naive wall-clock time in ERPNext's time zone (like `modified`)."""
    counts: Counter[str] = Counter()
    errors: list[dict[str, str]] = []
    window = timedelta(days=settings.refund_window_days)
    page: list[dict[str, Any]] = []

    def flush() -> None:
        orders = sorted({str(e["order"]) for e in page if e.get("order")})
        docs: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for doctype in ORDER_DOCTYPES:
            for doc in erp.list(doctype, fields=["name", "sales_order", "status", "modified"],
                                filters=[["sales_order", "in", orders]], page_length=page_length):
                docs[str(doc["sales_order"])].append(doc)
        for entry in page:
            try:
                _decide(erp, entry, docs.get(str(entry.get("order")), []), now, window, dry_run, counts)
            except (ERPNextError, ValueError, TypeError) as exc:
                reason = f"ERPNext {exc.status} {exc.exc_type}" if isinstance(exc, ERPNextError) else str(exc)
                counts["commission_errors"] += 1
                if len(errors) < 100:
                    errors.append({"name": str(entry.get("name")), "error": reason})
                log.warning("commission.row_error", row=entry.get("name"), error=reason)
        page.clear()

    for entry in erp.list("Commission Ledger", fields=LEDGER_FIELDS, filters=[["status", "=", "Pending"]],
                          page_length=page_length):
        counts["commissions_scanned"] += 1
        page.append(entry)
        if len(page) >= page_length:
            flush()
    if page:
        flush()
    return {**{k: counts.get(k, 0) for k in ("commissions_scanned", "commissions_eligible",
                                              "commissions_cancelled", "commissions_waiting",
                                              "commissions_held", "commissions_lost_races",
                                              "commission_errors")},
            "commission_error_list": errors}


def _decide(erp: ERPNext, entry: dict[str, Any], docs: list[dict[str, Any]], now: datetime, window: timedelta,
            dry_run: bool, counts: Counter[str]) -> None:
    statuses = {str(d.get("status")) for d in docs}
    if not docs:
        counts["commissions_waiting"] += 1  # the order documents are not there (yet)
        return
    if statuses == {"Refunded"}:
        target = "Cancelled"
    elif statuses == {"Delivered"}:
        delivered_at = max(_parse_frappe_dt(d["modified"]) for d in docs)
        if now - delivered_at < window:
            counts["commissions_waiting"] += 1
            return
        target = "Eligible"
    else:
        counts["commissions_held" if "Refunded" in statuses else "commissions_waiting"] += 1
        return
    counted = "commissions_eligible" if target == "Eligible" else "commissions_cancelled"
    if dry_run:
        counts[counted] += 1
        return
    try:
        erp.update("Commission Ledger", str(entry["name"]), {"status": target}, modified=str(entry["modified"]))
    except TimestampMismatch:
        # Someone (finance, a racing tick) wrote the entry since we read it: only a still-Pending entry moves.
        current = erp.get("Commission Ledger", str(entry["name"]))
        if current.get("status") != "Pending":
            counts["commissions_lost_races"] += 1
            return
        erp.update("Commission Ledger", str(entry["name"]), {"status": target}, modified=str(current["modified"]))
    counts[counted] += 1
    if target == "Cancelled":
        # After the CAS, so only the winner comments; a crash in between loses only the comment.
        erp.add_comment("Commission Ledger", str(entry["name"]),
                        f"Commission cancelled by the pipeline: Sales Order {entry['order']} was refunded.")
    log.info("commission.moved", entry=entry["name"], sales_order=entry["order"], status=target)
