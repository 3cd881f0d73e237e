"""Commission Ledger entries: one Pending entry per referred Sales Order."""

from __future__ import annotations

from typing import Any

from pydantic_settings import SettingsConfigDict

from pwcore.clients.erpnext import DuplicateEntry, ERPNext, ValidationFailed
from pwcore.logs import get_logger
from pwcore.settings import Settings

SERVICE_TYPE_OF_ORDER_TYPE = {"formation": "Formation", "crtc": "CRTC", "bundle": "Bundle"}

log = get_logger("pwcore.commissions")


class CommissionSettings(Settings):
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


