"""Order status changes on ERPNext: compare-and-set transitions checked against the one table.

`fail` writes the reason as a Comment first, so a Failed order never lacks its reason; the run that moved the
order to Failed then creates the ToDo that tells Operations (pwcore.orders.attention).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pwcore.clients.erpnext import ERPNext, TimestampMismatch
from pwcore.logs import get_logger, redact_text
from pwcore.model.status import InvalidTransition, Status, can_transition
from pwcore.orders import attention

log = get_logger("pwcore.orders")


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
    renew: bool = False,
) -> TransitionResult:
    """Move an order to `target` by CAS. `allowed_from` narrows the table for this caller.

    Raises InvalidTransition when the current state may not move to `target` (and is not already there).
    `renew`: write even when the order is at `target` already (a self-transition the table allows, such as a
    takeover of a dead generation, which renews its lease); with attempts=1 a lost race raises TimestampMismatch
    instead of re-reading, for callers whose decision depended on exactly the document they read.
    """
    current_doc = doc if doc is not None else erp.get(doctype, name)
    for _ in range(attempts):
        current = str(current_doc.get("status", ""))
        if current == target and not renew:
            return TransitionResult(False, current_doc)
        ok = can_transition(current, target) and (allowed_from is None or current in allowed_from)
        if not ok:
            raise InvalidTransition(doctype, name, current, target)
        body = dict(values or {})
        body["status"] = str(target)
        try:
            updated = erp.update(doctype, name, body, modified=str(current_doc["modified"]))
        except TimestampMismatch:
            if attempts == 1:
                raise
            current_doc = erp.get(doctype, name)
            continue
        log.info("order.transition", order=name, doctype=doctype, from_status=current, to_status=str(target))
        return TransitionResult(True, updated)
    raise TimestampMismatch(417, "TimestampMismatchError", f"{doctype} {name} kept changing under us")


def fail(erp: ERPNext, doctype: str, name: str, reason: str, doc: dict[str, Any] | None = None,
         kind: str = attention.FAILED) -> bool:
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
    if result.won:
        attention.notify_operations(erp, doctype, name, kind, reason)
    return result.won


