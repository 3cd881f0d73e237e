"""Commission Ledger entries for referred orders: created once by on-payment (Pending), moved on by calendar-tick."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

from pydantic_settings import SettingsConfigDict

from pwcore.config import _Base
from pwcore.erpnext import DuplicateEntry, ERPNext, ERPNextError, TimestampMismatch, ValidationFailed
from pwcore.logging import get_logger

log = get_logger("pwcore.commissions")

SERVICE_TYPE_OF_ORDER_TYPE = {"formation": "Formation", "crtc": "CRTC", "bundle": "Bundle"}


class CommissionSettings(_Base):
    model_config = SettingsConfigDict(env_prefix="COMMISSION_")
    formation: float = 50.0
    crtc: float = 100.0
    bundle: float = 300.0
    refund_window_days: int = 30

    def amount_for(self, service_type: str) -> float:
        return float(getattr(self, service_type.lower()))


def ensure_pending_commission(erp: ERPNext, sales_order: dict[str, Any], settings: CommissionSettings) -> str:
    """Create the Pending entry of a referred Sales Order once. Returns what happened, for the answer.

    Exactly once rests on the ledger's `order` field being unique in ERPNext: a second insert (a duplicate
    webhook, a racing replica, the reconcile sweep) is refused and we treat that as "already there".
    """
    code = str(sales_order.get("custom_referral_code") or "").strip()
    order_type = str(sales_order.get("custom_order_type") or "").strip()
    if not code:
        return "not_referred"
    if not order_type:
        # The Select starts blank on purpose (Frappe would otherwise store its first option): a referred order
        # without a type cannot be priced, so say so instead of guessing the agent's commission.
        log.warning("commission.order_type_missing", sales_order=sales_order["name"])
        return "order_type_missing"
    service_type = SERVICE_TYPE_OF_ORDER_TYPE.get(order_type)
    if not service_type:
        return "not_referred"  # e.g. compliance-only orders earn no referral commission
    agents = erp.list_page("Sales Agent", fields=["name"], filters=[["referral_code", "=", code]],
                           limit_page_length=1)
    if not agents:
        log.warning("commission.unknown_referral_code", sales_order=sales_order["name"])
        return "unknown_referral_code"
    existing = erp.list_page("Commission Ledger", fields=["name"], filters=[["order", "=", sales_order["name"]]],
                             limit_page_length=1)
    if existing:
        return "exists"
    try:
        erp.insert("Commission Ledger", {
            "agent": agents[0]["name"], "order": sales_order["name"], "service_type": service_type,
            "commission_amount": settings.amount_for(service_type), "status": "Pending",
        })
    except (DuplicateEntry, ValidationFailed) as exc:
        if isinstance(exc, DuplicateEntry) or "unique" in exc.message.lower():
            return "exists"
        raise
    log.info("commission.created", sales_order=sales_order["name"], service_type=service_type)
    return "created"


# -- the calendar-tick sweep: Pending -> Eligible | Cancelled ------------------------------------------------
# Delivery time: the order document's `modified` while it is Delivered. Delivered is the last state before
# Refunded, so `modified` is at or after the moment the order reached Delivered: measuring the refund window
# from it can make an entry Eligible late (someone edited a Delivered order), never early, which is the side
# money must err on. A bundle Sales Order has several order documents: Eligible when every one is Delivered
# (the window counts from the latest), Cancelled when every one is Refunded; a partial refund (some Refunded,
# some not) is left Pending for finance and counted as `commissions_held`. Paid is never set here.
ORDER_DOCTYPES = ("Formation Order", "Compliance Service")
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
