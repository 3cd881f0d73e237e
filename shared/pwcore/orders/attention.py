"""Nobody misses a Failed order: a ToDo in ERPNext for the Operations role (or a configured user).

Frappe's ToDo is what Desk shows in the assignee's "Assigned To" list and sidebar; an order's Comment alone is
only seen by whoever opens the order. `notify_operations` creates one Open ToDo per order and reason kind
("failed", "uncertain delivery"): the transition to Failed is a compare-and-set write, so only the run that won
it asks; an Open ToDo of the same kind on the same order is not duplicated (a retry after a lost answer, an
uncertain delivery flagged twice). Closing the ToDo (status Closed) lets a later failure raise a new one.

Settings (env): OPS_TODO_USER assigns the ToDo to that ERPNext user; otherwise it is assigned to the role
OPS_TODO_ROLE (default Operations), which every user of that role sees.
"""

from __future__ import annotations

from typing import Any

from pydantic_settings import SettingsConfigDict

from pwcore.clients.erpnext import ERPNext, ERPNextError
from pwcore.logs import get_logger, redact_text
from pwcore.settings import Settings

log = get_logger("pwcore.orders")

FAILED = "failed"
UNCERTAIN = "uncertain delivery"


class AttentionSettings(Settings):
    model_config = SettingsConfigDict(env_prefix="OPS_")
    todo_user: str = ""
    todo_role: str = "Operations"


def headline(doctype: str, name: str, kind: str) -> str:
    """The ToDo's first line, also how an Open ToDo of the same kind is recognised."""
    return f"{doctype} {name}: {kind}"


def notify_operations(erp: ERPNext, doctype: str, name: str, kind: str, reason: str,
                      settings: AttentionSettings | None = None) -> str | None:
    """Create the Open ToDo for `kind` on the order, once; returns its name (None when one was already open or
    ERPNext refused: the order's Comment still carries the reason, and the refusal is logged)."""
    settings = settings or AttentionSettings()
    title = headline(doctype, name, kind)
    try:
        open_rows = erp.list_page("ToDo", fields=["name", "description"], limit_page_length=50, filters=[
            ["reference_type", "=", doctype], ["reference_name", "=", name], ["status", "=", "Open"]])
        if any(title in str(row.get("description") or "") for row in open_rows):
            return None
        todo: dict[str, Any] = {
            "status": "Open", "priority": "High", "reference_type": doctype, "reference_name": name,
            "description": f"{title}. {redact_text(reason)[:1500]}",
        }
        if settings.todo_user:
            todo["allocated_to"] = settings.todo_user
        else:
            todo["role"] = settings.todo_role
        created = erp.insert("ToDo", todo)
    except ERPNextError as exc:
        log.error("order.todo_failed", order=name, kind=kind, status=exc.status, exc_type=exc.exc_type)
        return None
    log.info("order.todo_created", order=name, kind=kind, todo=created.get("name"))
    return str(created.get("name") or "")
