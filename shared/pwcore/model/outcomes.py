"""What a step reports back, as enums whose members carry the HTTP status the entrypoint answers with.

200 for everything settled (including Failed: the reason is on the order and a retry cannot help), 404 when the
order does not exist, 409 when it is in no state for the step, 503 only when a later retry can finish the job
(OpenFaaS Pro and Knative retry those). A status without an HTTP status cannot be written.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self


class OutcomeStatus(StrEnum):
    """Base: `Member = ("value", http_status)`."""

    http_status: int

    def __new__(cls, value: str, http_status: int) -> OutcomeStatus:
        member = str.__new__(cls, value)
        member._value_ = value
        member.http_status = http_status
        return member

    @classmethod
    def of(cls, value: str) -> Self:
        """The member whose value is `value` (ValueError for an unknown one: no status goes unmapped)."""
        for member in cls:
            if member.value == value:
                return member
        raise ValueError(f"{value!r} is not a {cls.__name__}")


class GenerationStatus(OutcomeStatus):
    REVIEW = ("review", 200)  # this run produced the version and moved the order to Review
    DONE = ("done", 200)  # the order is past generation already
    BUSY = ("busy", 200)  # another run holds the order
    SKIPPED = ("skipped", 200)  # the order is in no state to generate (e.g. Refunded)
    WAITING = ("waiting", 200)  # a CRTC / bundle order waits Queued for its identity verification
    FAILED = ("failed", 200)  # a property of the order; the reason is on the order
    REFUSED = ("refused", 422)  # the order's type is no real choice and ERPNext refused even Failed; see Comment
    NOT_FOUND = ("not_found", 404)
    RETRY_LATER = ("retry_later", 503)  # an outage; nothing partial is left behind


class DeliveryStatus(OutcomeStatus):
    DELIVERED = ("delivered", 200)
    DONE = ("done", 200)
    BUSY = ("busy", 200)
    FAILED = ("failed", 200)
    UNCERTAIN = ("uncertain", 200)  # maybe sent; a person decides (never resent automatically)
    SENT_NOT_DELIVERED = ("sent_not_delivered", 200)
    RETURNED = ("returned", 200)  # a reviewer's edited DOCX could not be used: back in Review, reason on the order
    SKIPPED = ("skipped", 409)
    REFUSED = ("refused", 409)
    NOT_FOUND = ("not_found", 404)
    RETRY_LATER = ("retry_later", 503)


class SweepStatus(OutcomeStatus):
    OK = ("ok", 200)
    BUSY = ("busy", 200)  # another sweep holds the lock
    ERROR = ("error", 503)  # a step could not read ERPNext; the next run catches up
    REFUSED = ("refused", 500)  # ERPNext refused a read or write (permission, validation): no run can catch up
