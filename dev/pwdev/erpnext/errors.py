"""Frappe exceptions and their v1 error bodies."""

from __future__ import annotations

import json
import secrets
from typing import Any

# exc_type -> HTTP status (frappe/exceptions.py); anything else ValidationError-derived is 417.
STATUS: dict[str, int] = {
    "ValidationError": 417, "MandatoryError": 417, "LinkValidationError": 417, "TimestampMismatchError": 417,
    "CharacterLengthExceededError": 417, "UniqueValidationError": 417, "DataError": 417,
    "DocstatusTransitionError": 417, "UpdateAfterSubmitError": 417, "InvalidNameError": 417,
    "LinkExistsError": 417, "DoesNotExistError": 404, "AuthenticationError": 401, "PermissionError": 403,
    "DuplicateEntryError": 409, "NameError": 409, "InvalidAuthorizationToken": 400,
}


def _exc_id() -> str:
    return secrets.token_hex(5)


def message(msg: str, *, title: str | None = "Message", indicator: str | None = "red",
            raise_exception: bool = True) -> dict[str, Any]:
    """One `frappe.msgprint`/`frappe.throw` entry, keys in Frappe's insertion order."""
    out: dict[str, Any] = {"message": msg}
    if title:
        out["title"] = title
    if indicator:
        out["indicator"] = indicator
    if raise_exception:
        out["raise_exception"] = 1
        out["__frappe_exc_id"] = _exc_id()
    return out


class FrappeError(Exception):
    """A Frappe exception as the v1 API reports it."""

    def __init__(self, exc_type: str, msg: str = "", *, messages: list[dict[str, Any]] | None = None,
                 status: int | None = None, module: str = "frappe.exceptions", bare: bool = False) -> None:
        super().__init__(msg)
        self.exc_type = exc_type
        self.msg = msg
        self.messages = messages or []
        self.status = status or STATUS.get(exc_type, 500)
        self.module = module
        self.bare = bare  # body is {"exc_type"} only (DELETE of a missing document)
        self.extra: dict[str, Any] = {}

    def body(self) -> dict[str, Any]:
        prefix = f"{self.module}.{self.exc_type}" if self.module else self.exc_type
        exception = f"{prefix}: {self.msg}" if self.msg else prefix
        out: dict[str, Any] = {"exc_type": self.exc_type}
        if self.bare:
            return out
        # Frappe omits tracebacks for 404s (unless site logging is on).
        if self.status != 404:
            tb = ("Traceback (most recent call last):\n  File \"apps/frappe/frappe/app.py\", line 114, in "
                  f"application\n    response = frappe.api.handle(request)\n{exception}\n")
            out["exception"] = exception
            out["exc"] = json.dumps([tb])
        if self.messages:
            out["_server_messages"] = json.dumps([json.dumps(m) for m in self.messages])
        out.update(self.extra)
        return out


def throw(exc_type: str, msg: str, *, title: str | None = None) -> FrappeError:
    """`frappe.throw(msg, exc)`: the message goes to _server_messages and is the exception text."""
    return FrappeError(exc_type, msg, messages=[message(msg, title=title or "Message")])


def not_found(doctype: str, name: str) -> FrappeError:
    return throw("DoesNotExistError", f"{doctype} {name} not found")


def data_error(field: str) -> FrappeError:
    return throw("DataError", f"Field not permitted in query: {field}")


def permission(user: str, doctype: str, ptype: str = "read") -> FrappeError:
    msg = f"User <strong>{user}</strong> does not have doctype access via role permission for document " \
          f"<strong>{doctype}</strong>"
    err = FrappeError("PermissionError", "", messages=[message(msg, title="Insufficient Permission")])
    err.extra["_error_message"] = f"No permission for {doctype}"
    return err
