"""Commission sweep (Pending -> Eligible / Cancelled) and the calendar-tick handler end to end."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from calhelpers import Env

from pwcore.orders.commission_ledger import CommissionSettings
from pwcore.steps.commissions import sweep_commissions
from pwdev.runner import load_handler

NOW = dt.datetime(2026, 6, 1, 12, 0)  # naive, ERPNext's zone


def _order(env: Env, kind: str, so: str, status: str, days_ago: int) -> None:
    modified = (NOW - dt.timedelta(days=days_ago)).strftime("%Y-%m-%d %H:%M:%S.%f")
    if kind == "FO":
        doc = {"customer": "Acme", "sales_order": so, "entity_name": "Acme LLC", "entity_type": "LLC",
               "state": "TX", "status": status, "modified": modified}
        env.site.insert_many("Formation Order", [doc])
    else:
        doc = {"customer": "Acme", "sales_order": so, "service_type": "FLSA Audit", "entity_name": "Acme LLC",
               "status": status, "modified": modified}
        env.site.insert_many("Compliance Service", [doc])


def _sales_order(env: Env) -> str:
    return str(env.erp.insert("Sales Order", {"customer": "Acme", "items": [
        {"item_code": "FORMATION", "qty": 1, "rate": 500}]})["name"])


def _ledger(env: Env, so: str, status: str = "Pending") -> str:
    return str(env.erp.insert("Commission Ledger", {"agent": "Agent A", "order": so, "service_type": "Formation",
                                                    "commission_amount": 50, "status": status})["name"])


@pytest.fixture()
def ledgers(env: Env) -> dict[str, str]:
    env.customer("Acme", "owner@acme.example")
    env.erp.insert("Sales Agent", {"agent_name": "Agent A", "referral_code": "REF-AAAAA"})
    out = {}
    for key, orders in {
        "eligible": [("FO", "Delivered", 31)],
        "young": [("FO", "Delivered", 5)],
        "refunded": [("FO", "Refunded", 2)],
        "partial": [("FO", "Delivered", 60), ("CS", "Refunded", 10)],
        "bundle_ok": [("FO", "Delivered", 45), ("CS", "Delivered", 40)],
        "in_progress": [("CS", "Review", 40)],
    }.items():
        so = _sales_order(env)
        for kind, status, days in orders:
            _order(env, kind, so, status, days)
        out[key] = _ledger(env, so)
    out["paid"] = _ledger(env, _sales_order(env), status="Paid")
    return out


def _ledger_status(env: Env, name: str) -> str:
    return str(env.erp.get("Commission Ledger", name)["status"])


def test_commission_sweep(env: Env, ledgers: dict[str, str]) -> None:
    settings = CommissionSettings(refund_window_days=30)
    dry = sweep_commissions(env.erp, settings, now=NOW, dry_run=True)
    assert _ledger_status(env, ledgers["eligible"]) == "Pending"
    result = sweep_commissions(env.erp, settings, now=NOW)
    assert {k: v for k, v in dry.items() if k != "commission_error_list"} == \
        {k: v for k, v in result.items() if k != "commission_error_list"}
    assert result["commissions_scanned"] == 6
    assert result["commissions_eligible"] == 2 and result["commissions_cancelled"] == 1
    assert result["commissions_held"] == 1 and result["commissions_waiting"] == 2
    assert _ledger_status(env, ledgers["eligible"]) == "Eligible"
    assert _ledger_status(env, ledgers["bundle_ok"]) == "Eligible"
    assert _ledger_status(env, ledgers["young"]) == "Pending"
    assert _ledger_status(env, ledgers["partial"]) == "Pending"
    assert _ledger_status(env, ledgers["in_progress"]) == "Pending"
    assert _ledger_status(env, ledgers["paid"]) == "Paid"
    assert _ledger_status(env, ledgers["refunded"]) == "Cancelled"
    comments = list(env.erp.list("Comment", fields=["content"],
                                 filters=[["reference_name", "=", ledgers["refunded"]]]))
    assert len(comments) == 1 and "refunded" in comments[0]["content"]
    again = sweep_commissions(env.erp, settings, now=NOW)
    assert again["commissions_scanned"] == 3 and again["commissions_eligible"] == 0
    # the young one becomes Eligible once its window has passed
    later = sweep_commissions(env.erp, settings, now=NOW + dt.timedelta(days=26))
    assert later["commissions_eligible"] == 1 and _ledger_status(env, ledgers["young"]) == "Eligible"


class Event:
    def __init__(self, query: dict[str, str], headers: dict[str, str] | None = None) -> None:
        self.method, self.body, self.query, self.path = "POST", b"", query, "/"
        self.headers = {"X-Call-Id": "tick-test", **(headers or {})}


@pytest.fixture()
def handler(env: Env, s3: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    from pwcore.runtime import wiring

    # The credentials of the root conftest's client ("token key:secret").
    api_key, api_secret = env.erp._http.headers["Authorization"].removeprefix("token ").split(":", 1)

    monkeypatch.setenv("SECRETS_DIR", str(tmp_path))
    monkeypatch.setenv("OPERATOR_TOKEN", OPERATOR)
    for k, v in {**s3.env(), **env.sink.env(), "S3_BUCKET": env.storage.bucket, "ERPNEXT_URL": env.site.url,
                 "ERPNEXT_API_KEY": api_key, "ERPNEXT_API_SECRET": api_secret}.items():
        monkeypatch.setenv(k, v)
    wiring.reset()
    yield load_handler(Path(__file__).parents[3] / "functions" / "calendar-tick")
    wiring.reset()


OPERATOR = "calendar-operator-token-for-tests"
AUTH = {"Authorization": f"Bearer {OPERATOR}"}


def test_handler_cron_dry_run_and_today_guard(env: Env, handler: Any) -> None:
    acme = env.customer("Acme", "owner@acme.example")
    far = env.entry(acme, "2099-01-01")["name"]
    soon = env.entry(acme, (dt.date.today() + dt.timedelta(days=3)).isoformat())["name"]

    # Options without the operator credential: refused before anything runs (401), whatever they ask.
    for query in ({"today": "2098-12-20"}, {"dry_run": "1"}, {"today": "2098-12-20", "dry_run": "1"}):
        assert handler.handle(Event(query, {"X-Topic": "cron-function"}), None)["statusCode"] == 401
    assert handler.handle(Event({"dry_run": "1"}, {"Authorization": "Bearer wrong"}), None)["statusCode"] == 401
    refused = handler.handle(Event({"today": "2098-12-20"}, AUTH), None)
    assert refused["statusCode"] == 403
    dry = handler.handle(Event({"today": "2098-12-20", "dry_run": "1"}, AUTH), None)
    assert dry["statusCode"] == 200
    assert dry["body"]["calendar"]["status_changes"] == {"Upcoming -> Due Soon": 1, "Upcoming -> Overdue": 1}
    assert env.erp.get("Compliance Calendar", far)["status"] == "Upcoming"
    assert handler.handle(Event({"today": "2098-13-01", "dry_run": "1"}, AUTH), None)["statusCode"] == 400

    cron = handler.handle(Event({}, {"X-Topic": "cron-function", "X-Connector": "cron-connector"}), None)
    assert cron["statusCode"] == 200, cron
    assert cron["body"]["trigger"] == "cron"
    assert cron["body"]["calendar"]["reminders_sent"] == 1
    assert env.erp.get("Compliance Calendar", soon)["status"] == "Due Soon"
    assert "commissions_scanned" in cron["body"]["commissions"]
    assert len(env.sink.wait_for(1)) == 1
    # The schedule runs once per slot (SCHEDULED_CALENDAR_TICK_MIN_INTERVAL_S, 20 h by default).
    again = handler.handle(Event({}, {"X-Topic": "cron-function"}), None)
    assert again["statusCode"] == 200 and again["body"]["status"] == "skipped", again
    # Counts only for the schedule: no entry, customer or order names anywhere in the answer.
    assert far not in json.dumps(cron["body"]) and soon not in json.dumps(cron["body"])
    assert handler.handle(type("E", (), {"method": "GET", "query": {}, "headers": {}, "body": b""})(),
                          None)["statusCode"] == 401
    assert handler.handle(type("E", (), {"method": "GET", "query": {}, "headers": AUTH, "body": b""})(),
                          None)["statusCode"] == 405
