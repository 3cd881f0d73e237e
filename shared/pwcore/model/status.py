"""The order state machine as one table (transitions are compare-and-set writes, pwcore.orders.transitions).

A transition reads the order, checks the from-state against TRANSITIONS, and writes the new status with the
`modified` it read. Frappe refuses a stale `modified` (TimestampMismatchError), so of two racing writers
exactly one wins; the loser re-reads and decides: if the order already reached the target, it lost the race
and stops quietly; if the from-state is still allowed (someone changed another field), it tries again.
"""

from __future__ import annotations

from enum import StrEnum

from pwcore.logs import get_logger

log = get_logger("pwcore.orders")



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
# The one table. Additions to the agreed design, on purpose: Queued/Revision/Approved/Ready -> Failed (reconcile gives
# up after K tries; deliver's pre-flight or SMTP fails), Processing -> Queued (reconcile re-queues a generation
# whose process died, once its lease ran out), Delivered -> Refunded (refunds inside the refund window) and
# Approved -> Review (deliver could not use a reviewer's edited DOCX: the reason is a Comment, nothing was sent).
# Refunded is the only final state.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.ORDERED: frozenset({S.QUEUED, S.REFUNDED}),
    S.QUEUED: frozenset({S.PROCESSING, S.FAILED, S.REFUNDED}),
    # Processing -> Processing: a takeover of a run that died, after its lease (the write renews the lease).
    S.PROCESSING: frozenset({S.PROCESSING, S.REVIEW, S.FAILED, S.QUEUED, S.REFUNDED}),
    S.REVIEW: frozenset({S.APPROVED, S.REVISION, S.REFUNDED}),
    S.REVISION: frozenset({S.PROCESSING, S.FAILED, S.REFUNDED}),
    S.APPROVED: frozenset({S.READY, S.FAILED, S.REVIEW, S.REFUNDED}),
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








