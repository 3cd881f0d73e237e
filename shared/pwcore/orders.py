"""The order state machine (DESIGN.md section 4) as one table, and transitions as compare-and-set.

A transition reads the order, checks the from-state against TRANSITIONS, and writes the new status with the
`modified` it read. Frappe refuses a stale `modified` (TimestampMismatchError), so of two racing writers
exactly one wins; the loser re-reads and decides: if the order already reached the target, it lost the race
and stops quietly; if the from-state is still allowed (someone changed another field), it tries again.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pwcore.erpnext import ERPNext, TimestampMismatch
from pwcore.logging import get_logger, redact_text

log = get_logger("pwcore.orders")

ORDER_DOCTYPES = ("Formation Order", "Compliance Service")


class Status(StrEnum):
    ORDERED = "Ordered"
    QUEUED = "Queued"
    PROCESSING = "Processing"
    REVIEW = "Review"
    REVISION = "Revision"
    APPROVED = "Approved"
    READY = "Ready"
    DELIVERED = "Delivered"
    FAILED = "Failed"
    REFUNDED = "Refunded"


S = Status
# The one table. Additions to DESIGN.md, on purpose: Queued/Revision/Approved/Ready -> Failed (reconcile gives
# up after K tries; deliver's pre-flight or SMTP fails), Processing -> Queued (reconcile re-queues a generation
# whose process died, once its lease ran out) and Delivered -> Refunded (refunds inside the refund window).
# Refunded is the only final state.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.ORDERED: frozenset({S.QUEUED, S.REFUNDED}),
    S.QUEUED: frozenset({S.PROCESSING, S.FAILED, S.REFUNDED}),
    S.PROCESSING: frozenset({S.REVIEW, S.FAILED, S.QUEUED, S.REFUNDED}),
    S.REVIEW: frozenset({S.APPROVED, S.REVISION, S.REFUNDED}),
    S.REVISION: frozenset({S.PROCESSING, S.FAILED, S.REFUNDED}),
    S.APPROVED: frozenset({S.READY, S.FAILED, S.REFUNDED}),
    S.READY: frozenset({S.DELIVERED, S.FAILED, S.REFUNDED}),
    S.DELIVERED: frozenset({S.REFUNDED}),
    S.FAILED: frozenset({S.QUEUED, S.REFUNDED}),
    S.REFUNDED: frozenset(),
}


class InvalidTransition(Exception):
    def __init__(self, doctype: str, name: str, current: str, target: str) -> None:
        self.current = current
        self.target = target
        super().__init__(f"{doctype} {name}: cannot go from {current} to {target}")


def can_transition(current: str, target: str) -> bool:
    try:
        return Status(target) in TRANSITIONS[Status(current)]
    except ValueError:
        return False


@dataclass(frozen=True)
class TransitionResult:
    won: bool  # True: this call made the change. False: the order was already at the target.
    doc: dict[str, Any]


def transition(
    erp: ERPNext,
    doctype: str,
    name: str,
    target: Status,
    *,
    allowed_from: frozenset[Status] | set[Status] | None = None,
    values: dict[str, Any] | None = None,
    doc: dict[str, Any] | None = None,
    attempts: int = 5,
) -> TransitionResult:
    """Move an order to `target` by CAS. `allowed_from` narrows the table for this caller.

    Raises InvalidTransition when the current state may not move to `target` (and is not already there).
    """
    current_doc = doc if doc is not None else erp.get(doctype, name)
    for _ in range(attempts):
        current = str(current_doc.get("status", ""))
        if current == target:
            return TransitionResult(False, current_doc)
        ok = can_transition(current, target) and (allowed_from is None or current in allowed_from)
        if not ok:
            raise InvalidTransition(doctype, name, current, target)
        body = dict(values or {})
        body["status"] = str(target)
        try:
            updated = erp.update(doctype, name, body, modified=str(current_doc["modified"]))
        except TimestampMismatch:
            current_doc = erp.get(doctype, name)
            continue
        log.info("order.transition", order=name, doctype=doctype, from_status=current, to_status=str(target))
        return TransitionResult(True, updated)
    raise TimestampMismatch(417, "TimestampMismatchError", f"{doctype} {name} kept changing under us")


def fail(erp: ERPNext, doctype: str, name: str, reason: str, doc: dict[str, Any] | None = None) -> bool:
    """Failed with the reason as an ERPNext comment (written first, so Failed never lacks its reason).

    Returns True if this call moved the order to Failed. An order in a state that cannot fail (e.g. already
    Delivered or Refunded) is left alone and the comment still explains what went wrong.
    """
    reason = redact_text(reason)[:2000]
    erp.add_comment(doctype, name, f"Pipeline: order failed. Reason: {reason}")
    try:
        result = transition(erp, doctype, name, Status.FAILED, doc=doc)
    except InvalidTransition as exc:
        log.warning("order.fail_refused", order=name, current=exc.current, reason=reason)
        return False
    log.error("order.failed", order=name, doctype=doctype, reason=reason)
    return result.won


def doctype_for(name: str) -> str:
    """Order doctype from its naming series (FO-... / CS-...)."""
    if name.startswith("FO-"):
        return "Formation Order"
    if name.startswith("CS-"):
        return "Compliance Service"
    raise ValueError(f"not an order name: {name!r}")
