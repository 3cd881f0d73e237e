"""`pw payouts run`: Eligible -> Paid in one batch CSV per run, totals maintained, once (real stand-in + S3)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from calhelpers import Env

from pwcore.orders.payouts import OPEN_MARKER, plan_batch, run_payouts

DAY = dt.date(2026, 7, 1)


def _sales_order(env: Env) -> str:
    return str(env.erp.insert("Sales Order", {"customer": "Acme", "items": [
        {"item_code": "FORMATION", "qty": 1, "rate": 500}]})["name"])


def _ledger(env: Env, agent: str, amount: float, status: str) -> str:
    return str(env.erp.insert("Commission Ledger", {"agent": agent, "order": _sales_order(env),
                                                    "service_type": "Formation", "commission_amount": amount,
                                                    "status": status})["name"])


def _setup(env: Env) -> dict[str, list[str]]:
    env.customer("Acme", "owner@acme.example")
    env.erp.insert("Sales Agent", {"agent_name": "Agent A", "referral_code": "REF-AAAAA", "email": "a@example.com",
                                   "commission_tier": "Premium", "payout_method": "Relay ACH"})
    env.erp.insert("Sales Agent", {"agent_name": "Agent B", "referral_code": "REF-BBBBB", "payout_method": "Check"})
    env.erp.insert("Referral Partner", {"partner_name": "Partner A", "referral_code": "REF-AAAAA",
                                        "commission_rate": 10})
    return {"a": [_ledger(env, "Agent A", 50, "Eligible"), _ledger(env, "Agent A", 100, "Eligible"),
                  _ledger(env, "Agent A", 300, "Pending"), _ledger(env, "Agent A", 50, "Cancelled")],
            "b": [_ledger(env, "Agent B", 300, "Eligible")]}


def test_payout_run_pays_eligible_once_and_maintains_totals(env: Env) -> None:
    ledgers = _setup(env)
    dry = run_payouts(env.erp, env.storage, DAY, dry_run=True)
    assert dry.status == "dry_run" and env.erp.get("Commission Ledger", ledgers["a"][0])["status"] == "Eligible"
    report = run_payouts(env.erp, env.storage, DAY)
    assert report.status == "paid" and report.entries_paid == 3 and report.entries_changed == []
    assert report.batch_key.startswith("payouts/2026-07-01/batch-") and report.batch_key.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(env.storage.get_bytes(report.batch_key).decode())))
    by_payee = {r["payee_id"]: r for r in rows}
    assert set(by_payee) == {"Agent A", "Agent B"}
    assert (by_payee["Agent A"]["payout_method"], by_payee["Agent A"]["amount"], by_payee["Agent A"]["entries"]) \
        == ("Relay ACH", "150.00", "2")
    assert (by_payee["Agent B"]["payout_method"], by_payee["Agent B"]["amount"]) == ("Check", "300.00")
    assert by_payee["Agent A"]["reference"] == ";".join(sorted(ledgers["a"][:2]))
    assert "account" not in ",".join(rows[0].keys())  # no bank account columns at all
    for name in ledgers["a"][:2] + ledgers["b"]:
        entry = env.erp.get("Commission Ledger", name)
        assert entry["status"] == "Paid" and entry["paid_date"] == "2026-07-01"
    assert env.erp.get("Commission Ledger", ledgers["a"][2])["status"] == "Pending"
    agent = env.erp.get("Sales Agent", "Agent A")
    assert (agent["total_referrals"], agent["total_paid"]) == (3, 150.0)  # Cancelled is not a referral
    partner = env.erp.get("Referral Partner", "Partner A")
    assert (partner["total_referrals"], partner["total_paid"]) == (3, 150.0)
    assert not env.storage.exists(OPEN_MARKER)
    # A second run finds nothing to pay and changes no total.
    assert run_payouts(env.erp, env.storage, DAY).status == "nothing_to_pay"
    assert env.erp.get("Sales Agent", "Agent B")["total_paid"] == 300.0


def test_a_crashed_batch_is_finished_not_replanned(env: Env) -> None:
    ledgers = _setup(env)
    planned = plan_batch(env.erp, DAY)
    assert planned is not None
    # The run died after recording its batch and paying one entry, before the CSV was written.
    env.storage.put_if_absent(OPEN_MARKER, json.dumps(planned).encode())
    first = ledgers["b"][0]
    env.erp.update("Commission Ledger", first, {"status": "Paid", "paid_date": "2026-07-01"})
    late = _ledger(env, "Agent B", 75, "Eligible")  # became Eligible after the batch was planned
    busy_free = run_payouts(env.erp, env.storage, dt.date(2026, 7, 2))
    assert busy_free.resumed and busy_free.batch_key == planned["batch_key"] and busy_free.entries_paid == 3
    assert busy_free.date == "2026-07-01"
    assert env.storage.exists(planned["batch_key"])
    assert env.erp.get("Commission Ledger", late)["status"] == "Eligible"  # for the next batch, not this one
    nxt = run_payouts(env.erp, env.storage, dt.date(2026, 7, 2))
    assert nxt.entries_paid == 1 and nxt.batch_key.startswith("payouts/2026-07-02/")
    assert env.erp.get("Sales Agent", "Agent B")["total_paid"] == 375.0
