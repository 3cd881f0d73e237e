"""HTTP problems: exceptions that carry the status and the reason the caller gets as JSON.

Raised by request parsing and by steps; the function entrypoint (pwcore.runtime.entrypoint) is the one place that
turns them into answers, so no handler maps exceptions by hand.
"""

from __future__ import annotations

from typing import Any, ClassVar


class Problem(Exception):
    status: ClassVar[int] = 400

    def __init__(self, reason: str, *, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.headers = dict(headers or {})
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"error": self.reason, **self.extra}


class BadRequest(Problem):
    status = 400


class Unauthorized(Problem):
    status = 401


class Forbidden(Problem):
    status = 403


class NotFound(Problem):
    status = 404


class MethodNotAllowed(Problem):
    status = 405

    def __init__(self, allowed: str, **extra: Any) -> None:
        super().__init__(f"method not allowed; use {allowed}", headers={"Allow": allowed}, **extra)


class PayloadTooLarge(Problem):
    status = 413


class Unavailable(Problem):
    """An outage of something we depend on: a retry later can succeed."""

    status = 503


class OrderFailure(Exception):
    """A property of the order (not an outage): a reason an operator can act on, written to ERPNext as the
    Failed comment. No retry can fix it until someone changes the order or its templates."""
