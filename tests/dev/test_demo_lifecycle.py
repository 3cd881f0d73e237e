"""The demo's lifecycle part against a local stack (real function processes behind the gateway, the Listmonk
stand-in, a private MariaDB when installed): the Welcome list filled by ERPNext's customer webhook, a referred
order's commission paid in a batch file, the restore check of a fresh backup, and its "skipped" without MariaDB."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import stack_fixtures

from pwdev.demo import CRTC_ORDER
from pwdev.demo_lifecycle import (
    FUNCTION_OVERRIDES,
    create_agent,
    listmonk_summary,
    pay_commissions,
    payouts_ok,
    read_lists,
    restore_check,
)
from pwdev.stack import LocalStack

# The module's clients of its own stack (pytest fixtures shared with the other stack modules).
erp = stack_fixtures.erp


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with LocalStack(tmp_path_factory.mktemp("life"), functions=("deliver", "calendar-tick", "backup", "restore-check"),
                    function_overrides=FUNCTION_OVERRIDES) as s:
        yield s



def test_new_customers_join_the_welcome_list(stack: LocalStack, erp: Any) -> None:
    erp.insert("Customer", {"customer_name": "Lifecycle & Sons <Test>", "customer_type": "Company",
                            "email_id": "Owner@Lifecycle.example"})
    erp.insert("Customer", {"customer_name": "No Mail Co", "customer_type": "Company"})
    lists, ok = listmonk_summary(stack, erp, timeout_s=30)
    assert ok, lists
    assert "owner@lifecycle.example" in lists["Welcome"]
    assert set(lists) == {"Welcome", "Formation follow-up", "CRTC follow-up", "Compliance upsell"}
    assert lists["CRTC follow-up"] == []  # nothing delivered yet
    assert stack.listmonk is not None
    stack.listmonk.webhook_url = ""  # this test plays the click only; deliver's route has its own tests
    stack.listmonk.unsubscribe("owner@lifecycle.example")
    assert "owner@lifecycle.example" not in read_lists(stack)["Welcome"]


def test_a_referred_delivered_order_is_paid_in_a_batch(stack: LocalStack, erp: Any) -> None:
    from pwcore.runtime import wiring

    agent = create_agent(erp, code="PW-TEST-LIFE")
    customer = erp.insert("Customer", {"customer_name": "Referred Carrier Inc.", "customer_type": "Company",
                                       "email_id": "carrier@referred.example"})["name"]
    so = erp.insert("Sales Order", {"customer": customer, "transaction_date": date.today().isoformat(),
                                    "items": [{"item_code": "CRTC-REGISTRATION", "qty": 1, "rate": 1200.0}],
                                    "docstatus": 1, "custom_order_type": "crtc",
                                    "custom_referral_code": "PW-TEST-LIFE"})["name"]
    order = erp.insert("CRTC Order", {**CRTC_ORDER, "customer": customer, "sales_order": so,
                                      "order_total": 1200.0})["name"]
    # What on-payment and deliver leave behind (their own tests cover them): the Pending entry, a Delivered order.
    erp.insert("Commission Ledger", {"agent": agent["agent"], "order": so, "service_type": "CRTC",
                                     "commission_amount": 100.0, "status": "Pending"})
    assert stack.erpnext is not None
    httpx.post(f"{stack.erpnext.url}/_standin/set_value", timeout=10, json={
        "doctype": "CRTC Order", "name": order, "values": {"status": "Delivered"}}).raise_for_status()

    summary = pay_commissions(stack, erp, wiring.storage(), so, agent)
    assert payouts_ok(summary), summary
    assert summary["status"] == "paid" and summary["eligible_after_tick"] == [e["name"] for e in summary["entries"]]
    assert summary["batch_key"].startswith(f"payouts/{summary['entries'][0]['paid_date']}/batch-")
    rows = list(csv.DictReader(io.StringIO(wiring.storage().get_bytes(summary["batch_key"]).decode())))
    assert [(r["payee_id"], r["amount"], r["payout_method"]) for r in rows] == [(agent["agent"], "100.00", "ACH")]
    assert summary["agent"]["total_paid"] == 100.0 and summary["partner"]["total_paid"] == 100.0
    assert erp.get("Referral Partner", agent["partner"])["total_paid"] == 100.0


def test_restore_check_of_a_fresh_backup_is_recorded(stack: LocalStack, erp: Any) -> None:
    if stack.mariadb is None:
        pytest.skip(stack.mariadb_skipped)
    customers = erp.count("Customer")
    result = restore_check(stack, erp)
    assert result["ok"] is True and result["status"] == "passed", result
    assert result["tables"]["Customer"] == customers and result["mismatched"] == []
    assert result["scratch_dropped"] is True and result["backup"].endswith(".gpg")
    record = erp.get("Backup Check", result["record"]["name"])
    assert record["status"] == "Passed" and record["backup"] == result["backup"]


def test_without_mariadb_the_restore_check_says_skipped(tmp_path: Path) -> None:
    with LocalStack(tmp_path, functions=("restore-check",), mariadb=False) as bare:
        from pwcore.runtime import wiring

        assert bare.mariadb is None
        result = restore_check(bare, wiring.erpnext())
        assert set(result) == {"skipped"} and "MariaDB" in result["skipped"]
        assert wiring.erpnext().count("Backup Check") == 0
