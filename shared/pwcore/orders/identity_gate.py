"""The identity gate of CRTC and bundle orders: no documents before the applicant's identity is verified.

The CRTC registers a named carrier and its officers; Performance West verifies who the applicant is before it
prepares a filing. The verification itself happens outside the pipeline: the pipeline reads one field, the
Sales Order's `custom_identity_status` (blank / Pending / Verified / Failed), and stores nothing about identity
documents (no copies, numbers or names of documents, in ERPNext, S3, logs or answers).

Which orders wait: every CRTC Order, and every order of a Sales Order whose `custom_order_type` is `crtc` or
`bundle` (a bundle's Formation Order waits with its CRTC Order: the sale is one applicant).
- blank or Pending: the order stays Queued; one Comment says what it waits for (written once per order, found
  again by its marker); generate-doc returns `waiting` and the reconcile sweep re-checks the order on every run
  without counting the check toward its re-dispatch limit;
- Verified: generation runs as for any other order;
- Failed (the seed's word; Rejected is read the same way): the order goes to Failed with the reason as its
  Comment, so an operator sees why and can set it back to Queued once the identity is verified after all.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pwcore.clients.erpnext import ERPNext
from pwcore.logs import get_logger
from pwcore.model.doctypes import CRTC_ORDER
from pwcore.orders.transitions import fail

log = get_logger("pwcore.identity_gate")

GATED_ORDER_TYPES = frozenset({"crtc", "bundle"})
IDENTITY_FIELD = "custom_identity_status"
SALES_ORDER_FIELDS = ["name", "custom_order_type", IDENTITY_FIELD]
WAITING_MARKER = "Pipeline: waiting for identity verification"
VERIFIED = "Verified"
REJECTED = frozenset({"Failed", "Rejected"})


class Identity(StrEnum):
    NOT_GATED = "not_gated"  # not a CRTC sale: the gate does not apply
    VERIFIED = "verified"
    PENDING = "pending"  # blank or Pending
    REJECTED = "rejected"


@dataclass(frozen=True)
class GateDecision:
    identity: Identity
    sales_order: str
    detail: str

    @property
    def may_generate(self) -> bool:
        return self.identity in (Identity.NOT_GATED, Identity.VERIFIED)


def decide(doctype: str, order: dict[str, Any], sales_order: dict[str, Any] | None) -> GateDecision:
    """Pure decision from the order and its Sales Order row (None when the order has no Sales Order)."""
    so_name = str(order.get("sales_order") or "")
    order_type = str((sales_order or {}).get("custom_order_type") or "").strip().lower()
    if doctype != CRTC_ORDER and order_type not in GATED_ORDER_TYPES:
        return GateDecision(Identity.NOT_GATED, so_name, "")
    if sales_order is None:
        # A CRTC Order without its Sales Order has no identity status to read: wait, never guess.
        return GateDecision(Identity.PENDING, so_name, "the order has no Sales Order whose identity status "
                            "could be checked (set sales_order)")
    status = str(sales_order.get(IDENTITY_FIELD) or "").strip()
    if status == VERIFIED:
        return GateDecision(Identity.VERIFIED, so_name, "")
    if status in REJECTED:
        return GateDecision(Identity.REJECTED, so_name,
                            f"identity verification of the applicant on Sales Order {so_name} is {status}: "
                            "the CRTC registration is not prepared for an unverified applicant. Once the "
                            "identity is verified, set the Sales Order's Identity Status to Verified and this "
                            "order back to Queued")
    shown = status or "not started"
    return GateDecision(Identity.PENDING, so_name,
                        f"Sales Order {so_name} Identity Status is {shown}; documents are generated once it is "
                        "Verified")


def sales_order_of(erp: ERPNext, order: dict[str, Any]) -> dict[str, Any] | None:
    name = order.get("sales_order")
    if not name:
        return None
    rows = erp.list_page("Sales Order", fields=SALES_ORDER_FIELDS, filters=[["name", "=", str(name)]],
                         limit_page_length=1)
    return dict(rows[0]) if rows else None


def sales_orders_by_name(erp: ERPNext, names: list[str]) -> dict[str, dict[str, Any]]:
    """The gate's Sales Order fields for many orders in one list request per 100 (the sweep)."""
    found: dict[str, dict[str, Any]] = {}
    unique = sorted(set(names))
    for i in range(0, len(unique), 100):
        for row in erp.list("Sales Order", fields=SALES_ORDER_FIELDS, filters=[["name", "in", unique[i:i + 100]]]):
            found[str(row["name"])] = dict(row)
    return found


def check(erp: ERPNext, doctype: str, order: dict[str, Any],
          known: dict[str, dict[str, Any]] | None = None) -> GateDecision:
    """The decision for `order`. `known` (Sales Order name -> row with SALES_ORDER_FIELDS) spares the read when
    the caller (the sweep) has listed the rows already; a Sales Order missing from it is read here."""
    name = str(order.get("sales_order") or "")
    sales_order = (known or {}).get(name) if name else None
    if sales_order is None:
        sales_order = sales_order_of(erp, order)
    return decide(doctype, order, sales_order)


def hold(erp: ERPNext, doctype: str, order: dict[str, Any], decision: GateDecision) -> bool:
    """Say once, as a Comment on the order, what it waits for. True if this call wrote the Comment."""
    name = str(order["name"])
    # Frappe stores Comment content HTML-escaped; the marker has nothing to escape, but match it as stored.
    marker = html.escape(WAITING_MARKER, quote=False)
    existing = erp.list_page("Comment", fields=["name"], limit_page_length=1, filters=[
        ["reference_doctype", "=", doctype], ["reference_name", "=", name], ["content", "like", f"{marker}%"]])
    if existing:
        return False
    erp.add_comment(doctype, name, f"{WAITING_MARKER}: {decision.detail}. The order stays Queued; the "
                    "reconcile sweep checks again every run.")
    log.info("identity.waiting", order=name, sales_order=decision.sales_order)
    return True


def reject(erp: ERPNext, doctype: str, order: dict[str, Any], decision: GateDecision) -> bool:
    """Failed with the reason (Comment first). True if this call moved the order."""
    log.warning("identity.rejected", order=order.get("name"), sales_order=decision.sales_order)
    return fail(erp, doctype, str(order["name"]), decision.detail, doc=order if "modified" in order else None)
