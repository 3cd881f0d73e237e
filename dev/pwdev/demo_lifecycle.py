"""The demo's lifecycle part (issue #17): what happens around the orders once they are paid and delivered.

- Listmonk: every new Customer joined the Welcome list (ERPNext's pw-customer-created webhook -> deliver's
  /listmonk/customer), a delivered Formation Order's customer the Formation follow-up list, a delivered CRTC
  Order's the CRTC follow-up list; read back through Listmonk's REST API (lists, then subscribers per list).
- Payouts: a Sales Agent (and its Referral Partner) referred one order; on-payment wrote a Pending Commission
  Ledger entry; after delivery an operator runs calendar-tick through the gateway with `today=` past the refund
  window (the local stack allows the override, as staging does) so the entry turns Eligible, then runs
  `pw payouts run`: the batch CSV lands at `payouts/{date}/batch-<digest>.csv`, the entries are Paid with
  paid_date, the agent's and partner's total_paid recomputed.
- Restore check: the site's `bench backup` (the stand-in's /_standin/bench_backup), the backup function pulls and
  encrypts it (operator run through the gateway), restore-check restores it into the stack's private MariaDB and
  counts the tables against the manifest, recorded as a Backup Check in ERPNext. Without MariaDB: "skipped".
Narration goes to stderr; each function answers its summary entry.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import sys
import time
from typing import Any

import httpx

from pwdev.stack import LocalStack, operator_headers

REFERRAL_CODE = "PW-DEMO-AGENT"
# calendar-tick's today= on a real run is honoured only where the deployment allows it (dev/staging).
FUNCTION_OVERRIDES = {"calendar-tick": {"CALENDAR_ALLOW_TODAY_OVERRIDE": "true"}}


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _gateway(stack: LocalStack) -> str:
    assert stack.gateway is not None
    return stack.gateway.url


# -- Listmonk -----------------------------------------------------------------------------------------------
def read_lists(stack: LocalStack) -> dict[str, list[str]]:
    """List name -> emails of its subscribers whose membership is not unsubscribed (Listmonk's REST API)."""
    assert stack.listmonk is not None
    auth = {"Authorization": f"token {stack.listmonk.user}:{stack.listmonk.password}"}
    with httpx.Client(base_url=stack.listmonk.url, headers=auth, timeout=10) as lm:
        lists = lm.get("/api/lists", params={"per_page": "all"})
        lists.raise_for_status()
        out: dict[str, list[str]] = {}
        for row in lists.json()["data"]["results"]:
            subs = lm.get("/api/subscribers", params={"list_id": row["id"], "per_page": "all"})
            subs.raise_for_status()
            out[str(row["name"])] = sorted(
                str(s["email"]) for s in subs.json()["data"]["results"]
                if any(m["id"] == row["id"] and m["subscription_status"] != "unsubscribed" for m in s["lists"]))
    return out


def expected_lists(stack: LocalStack, erp: Any) -> dict[str, set[str]]:
    """Who must be where, from ERPNext: every Customer in Welcome, delivered orders' customers in follow-ups."""
    welcome, formation, crtc = stack.listmonk_lists()[:3]
    emails = {str(c["name"]): str(c.get("email_id") or "").lower()
              for c in erp.list("Customer", fields=["name", "email_id"])}
    want: dict[str, set[str]] = {welcome: {e for e in emails.values() if "@" in e}, formation: set(), crtc: set()}
    for doctype, list_name in (("Formation Order", formation), ("CRTC Order", crtc)):
        for doc in erp.list(doctype, fields=["customer"], filters=[["status", "=", "Delivered"]]):
            if "@" in emails.get(str(doc["customer"]), ""):
                want[list_name].add(emails[str(doc["customer"])])
    return want


def listmonk_summary(stack: LocalStack, erp: Any, timeout_s: float = 30.0) -> tuple[dict[str, list[str]], bool]:
    """Listmonk's lists once they hold everyone ERPNext says they should (the welcome calls are async)."""
    want = expected_lists(stack, erp)
    deadline = time.monotonic() + timeout_s
    while True:
        lists = read_lists(stack)
        ok = all(emails <= set(lists.get(name, [])) for name, emails in want.items())
        if ok or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    _say("== Listmonk lists (read through its REST API)")
    for name, emails in lists.items():
        _say(f"   {name}: {', '.join(emails) or '(nobody)'}")
    return lists, ok


# -- commissions and the payout -----------------------------------------------------------------------------
def create_agent(erp: Any, code: str = REFERRAL_CODE) -> dict[str, Any]:
    """A Sales Agent who is paid by ACH, and the Referral Partner record carrying the same code (ERPNext data an
    operator enters; the agent's bank details stay with the bank, never here)."""
    agent = erp.insert("Sales Agent", {"agent_name": "Priya Natarajan", "email": "priya@natarajan-advisors.example",
                                       "referral_code": code, "payout_method": "ACH", "commission_tier": "Standard"})
    partner = erp.insert("Referral Partner", {"partner_name": "Natarajan Advisors", "referral_code": code,
                                              "email": "priya@natarajan-advisors.example"})
    _say(f"== Sales Agent {agent['name']} / Referral Partner {partner['name']}: referral code {code}")
    return {"agent": str(agent["name"]), "partner": str(partner["name"]), "referral_code": code}


def _ledger(erp: Any, sales_order: str) -> list[dict[str, Any]]:
    return list(erp.list("Commission Ledger", fields=["name", "agent", "status", "commission_amount", "paid_date",
                                                       "service_type"], filters=[["order", "=", sales_order]]))


def _wait_ledger(erp: Any, sales_order: str, status: str, timeout_s: float = 30.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout_s
    while True:
        rows = _ledger(erp, sales_order)
        if (rows and all(r["status"] == status for r in rows)) or time.monotonic() > deadline:
            return rows
        time.sleep(0.2)


def pay_commissions(stack: LocalStack, erp: Any, storage: Any, sales_order: str,
                    agent: dict[str, Any]) -> dict[str, Any]:
    """The referred order's commission from Pending to Paid: calendar-tick past the refund window, then the
    operator's payout run. Answers the summary's "payouts" entry."""
    from pwcore.admin.cli import main as pw
    from pwcore.model.clock import today_in
    from pwcore.orders.commission_ledger import CommissionSettings
    from pwcore.settings import load_settings

    pending = _wait_ledger(erp, sales_order, "Pending")
    _say(f"== commission of {sales_order} (referral {agent['referral_code']}): "
         + ", ".join(f"{r['name']} {r['service_type']} ${float(r['commission_amount']):.2f} {r['status']}"
                     for r in pending))
    today = today_in("America/Chicago")  # the stack's ERPNEXT_TIMEZONE
    after_window = today + dt.timedelta(days=load_settings(CommissionSettings).refund_window_days + 1)
    tick = httpx.post(f"{_gateway(stack)}/function/calendar-tick", params={"today": after_window.isoformat()},
                      headers=operator_headers(), timeout=120)
    tick.raise_for_status()
    commissions = tick.json().get("commissions", {})
    eligible = _wait_ledger(erp, sales_order, "Eligible", timeout_s=5)
    _say(f"   calendar-tick as of {after_window} (refund window over): "
         f"{commissions.get('commissions_eligible', 0)} Eligible")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = pw(["payouts", "run"])  # what the operator types: `pw payouts run`
    report = json.loads(out.getvalue().strip().splitlines()[-1]) if code == 0 else {"status": f"exit {code}"}
    paid = _ledger(erp, sales_order)
    agent_doc = erp.get("Sales Agent", agent["agent"])
    partner_doc = erp.get("Referral Partner", agent["partner"])
    batch_key = str(report.get("batch_key") or "")
    _say(f"   pw payouts run: {report.get('status')}, {report.get('entries_paid', 0)} entries; batch {batch_key} "
         f"({'in S3' if batch_key and storage.exists(batch_key) else 'missing'})")
    for r in paid:
        _say(f"   {r['name']}: {r['status']} on {r['paid_date']}")
    _say(f"   {agent['agent']} total_paid ${float(agent_doc.get('total_paid') or 0):.2f}; "
         f"{agent['partner']} total_paid ${float(partner_doc.get('total_paid') or 0):.2f}")
    return {"sales_order": sales_order, "referral_code": agent["referral_code"],
            "eligible_after_tick": [str(r["name"]) for r in eligible if r["status"] == "Eligible"],
            "tick_today": after_window.isoformat(), "status": report.get("status"), "batch_key": batch_key,
            "batch_in_s3": bool(batch_key) and storage.exists(batch_key),
            "entries": [{"name": str(r["name"]), "amount": float(r["commission_amount"]), "status": r["status"],
                         "paid_date": r["paid_date"]} for r in paid],
            "agent": {"name": agent["agent"], "total_paid": float(agent_doc.get("total_paid") or 0),
                      "total_referrals": int(agent_doc.get("total_referrals") or 0)},
            "partner": {"name": agent["partner"], "total_paid": float(partner_doc.get("total_paid") or 0)}}


def payouts_ok(summary: dict[str, Any]) -> bool:
    entries = summary.get("entries") or []
    return bool(entries) and summary.get("batch_in_s3") is True and all(
        e["status"] == "Paid" and e["paid_date"] for e in entries) and \
        summary["agent"]["total_paid"] == round(sum(e["amount"] for e in entries), 2)


# -- the restore check --------------------------------------------------------------------------------------
def restore_check(stack: LocalStack, erp: Any) -> dict[str, Any]:
    """bench backup -> the backup function -> restore-check (operator runs through the gateway) -> the report
    and its Backup Check record. Answers the summary's "restore_check" entry."""
    if "restore-check" not in stack.functions or stack.mariadb is None:
        why = stack.mariadb_skipped or "no private MariaDB in this stack (restore-check needs one)"
        _say(f"== restore check skipped: {why}")
        return {"skipped": why}
    assert stack.erpnext is not None
    gw = _gateway(stack)
    dump = httpx.post(f"{stack.erpnext.url}/_standin/bench_backup", timeout=60)  # the site's scheduled job
    dump.raise_for_status()
    backup = httpx.post(f"{gw}/function/backup", headers=operator_headers(), timeout=300)
    backup.raise_for_status()
    made = backup.json().get("backup", {})
    _say(f"== backup: bench backup {dump.json()['file']} pulled, encrypted -> {made.get('key')}")
    answer = httpx.post(f"{gw}/function/restore-check", headers=operator_headers(), timeout=600)
    report = answer.json()
    tables = {d: int(r["restored_rows"]) for d, r in sorted((report.get("doctypes") or {}).items())}
    record_name = str((report.get("record") or {}).get("name") or "")
    record = erp.get("Backup Check", record_name) if record_name else {}
    _say(f"== restore check ({answer.status_code}): {report.get('status')}, {report.get('tables_checked')} tables, "
         f"{report.get('rows_restored')} rows restored into a scratch database in {report.get('seconds')} s")
    for doctype, rows in tables.items():
        if rows:
            _say(f"   {doctype}: {rows} rows")
    if report.get("problems"):
        _say(f"   problems: {'; '.join(report['problems'])}")
    _say(f"   Backup Check {record_name}: {record.get('status')} (backup {record.get('backup')})")
    mismatched = sorted(d for d, r in (report.get("doctypes") or {}).items() if not r["ok"])
    return {"backup": made.get("key"), "status": report.get("status"),
            "ok": report.get("status") == "passed" and record.get("status") == "Passed",
            "tables_checked": report.get("tables_checked"), "rows_restored": report.get("rows_restored"),
            "tables": {d: n for d, n in tables.items() if n}, "mismatched": mismatched,
            "scratch_dropped": report.get("scratch_dropped"),
            "record": {"name": record_name, "status": record.get("status")}}


def run_lifecycle(stack: LocalStack, erp: Any, storage: Any, referred_sales_order: str,
                  agent: dict[str, Any]) -> dict[str, Any]:
    """The three summary entries and whether each shows what it should."""
    lists, lists_ok = listmonk_summary(stack, erp)
    payouts = pay_commissions(stack, erp, storage, referred_sales_order, agent)
    check = restore_check(stack, erp)
    ok = lists_ok and payouts_ok(payouts) and ("skipped" in check or check["ok"] is True)
    return {"ok": ok, "listmonk": lists, "payouts": payouts, "restore_check": check}
