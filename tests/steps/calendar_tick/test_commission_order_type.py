"""A referred Sales Order must name its order type: the Select starts blank (else Frappe stores its first
option), and the commission is not guessed when it is blank."""

from __future__ import annotations

from typing import Any

from pwcore.clients.erpnext import ERPNext
from pwcore.orders.commission_ledger import CommissionSettings, ensure_pending_commission


def _sales_order(erp: ERPNext, customer: str, **kw: Any) -> dict[str, Any]:
    return erp.insert("Sales Order", {"customer": customer, "items": [{"item_code": "LLC", "qty": 1, "rate": 499}],
                                      **kw})


def test_blank_order_type_is_reported_not_priced(erp: ERPNext, customer: str) -> None:
    erp.insert("Sales Agent", {"agent_name": "Type Check Agent", "referral_code": "REF-TYPE1"})
    settings = CommissionSettings()
    untyped = _sales_order(erp, customer, custom_referral_code="REF-TYPE1")
    assert not untyped.get("custom_order_type")  # omitted Select with a blank first option stays blank
    assert ensure_pending_commission(erp, untyped, settings) == "order_type_missing"
    assert list(erp.list("Commission Ledger", fields=["name"], filters=[["order", "=", untyped["name"]]])) == []
    typed = _sales_order(erp, customer, custom_referral_code="REF-TYPE1", custom_order_type="formation")
    assert ensure_pending_commission(erp, typed, settings) == "created"
    rows = list(erp.list("Commission Ledger", fields=["service_type", "commission_amount"],
                         filters=[["order", "=", typed["name"]]]))
    assert rows == [{"service_type": "Formation", "commission_amount": settings.formation}]
    compliance = _sales_order(erp, customer, custom_referral_code="REF-TYPE1", custom_order_type="compliance")
    assert ensure_pending_commission(erp, compliance, settings) == "not_referred"
    assert ensure_pending_commission(erp, _sales_order(erp, customer), settings) == "not_referred"
