"""Nobody misses a Failed order: one ToDo for Operations per failure, also for an uncertain delivery, also when
many runs fail the same order at once (ERPNext stand-in over a real socket)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from races import race

from pwcore.clients.erpnext import ERPNext
from pwcore.clients.s3 import Storage
from pwcore.clients.smtp import Mailer, SMTPSettings
from pwcore.orders import attention
from pwcore.orders.transitions import fail
from pwcore.steps.delivery import Deliverer, DeliverySettings

Order = dict[str, Any]


def todos(erp: ERPNext, order: Order, status: str = "Open") -> list[dict[str, Any]]:
    return erp.list_page("ToDo", fields=["name", "description", "role", "allocated_to", "status", "priority"],
                         filters=[["reference_type", "=", order["doctype"]], ["reference_name", "=", order["name"]],
                                  ["status", "=", status]])


def test_failed_creates_one_todo_for_operations(erp: ERPNext, make_order: Callable[..., Order]) -> None:
    order = make_order(status="Queued")
    assert fail(erp, order["doctype"], order["name"], "the template articles.docx is missing")
    [todo] = todos(erp, order)
    assert todo["role"] == "Operations" and not todo["allocated_to"] and todo["priority"] == "High"
    assert f"{order['doctype']} {order['name']}: failed" in todo["description"]
    assert "articles.docx is missing" in todo["description"]
    # Failing again (already Failed): the Comment explains, no second ToDo.
    assert not fail(erp, order["doctype"], order["name"], "again")
    assert len(todos(erp, order)) == 1


def test_racing_failures_make_one_todo(erp: ERPNext, make_order: Callable[..., Order]) -> None:
    order = make_order(status="Processing")
    won = race(8, lambda i: fail(erp, order["doctype"], order["name"], f"reason {i}"))
    assert won.count(True) == 1
    assert len(todos(erp, order)) == 1


def test_configured_user_and_a_new_failure_after_closing(erp: ERPNext, make_order: Callable[..., Order],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    user = erp.insert("User", {"email": "ops-lead@example.com", "first_name": "Ops Lead"})["name"]
    monkeypatch.setenv("OPS_TODO_USER", user)
    order = make_order(status="Queued")
    fail(erp, order["doctype"], order["name"], "first")
    [todo] = todos(erp, order)
    assert todo["allocated_to"] == user and not todo["role"]
    erp.update("ToDo", todo["name"], {"status": "Closed"})
    erp.update(order["doctype"], order["name"], {"status": "Queued"})  # an operator retries
    fail(erp, order["doctype"], order["name"], "second")
    [again] = todos(erp, order)
    assert "second" in again["description"] and again["name"] != todo["name"]
    assert attention.notify_operations(erp, order["doctype"], order["name"], attention.FAILED, "dup") is None


def test_uncertain_delivery_creates_a_todo(erp: ERPNext, storage: Storage, smtp_settings: SMTPSettings,
                                           make_order: Callable[..., Order]) -> None:
    order = make_order(status="Approved")

    class Broken(Mailer):
        def send(self, message: Any) -> Any:
            from pwcore.clients.smtp import MailUncertain
            raise MailUncertain("connection lost during DATA")

    out = Deliverer(erp, storage, Broken(smtp_settings, attempts=1), smtp_settings, DeliverySettings()).run(
        order["doctype"], order["name"], "call-u")
    assert out.status == "uncertain", out
    [todo] = todos(erp, order)
    assert "uncertain delivery" in todo["description"] and out.message_id.strip("<>") in todo["description"]
