"""The commission payout run (`pw payouts run`): Eligible Commission Ledger entries -> Paid, in one batch file.

An operator runs it (a payout moves money, so it is a deliberate act, not a cron): `pw payouts run` (optionally
`--date YYYY-MM-DD`, `--dry-run`). One run:
1. takes every Eligible entry, groups it per Sales Agent and the agent's payout method (ACH, Relay ACH, Check,
   PayPal) and writes one row per group to `payouts/{date}/batch-{digest}.csv` (columns below: a bank's bulk
   payment import maps payee, amount and reference; no bank account numbers anywhere: the bank, or Relay,
   holds the payee's account under its own payee record, matched by `payee_id` / `payee_email`);
2. sets each entry Paid with `paid_date` = the batch date (compare-and-set on `modified`: an entry that changed
   meanwhile is left for the next run and reported);
3. recomputes `total_referrals` (entries not Cancelled) and `total_paid` (sum of Paid amounts) of each agent
   from the ledger, so the totals are right however often it runs, and mirrors them on the Referral Partner
   with the agent's referral_code when there is one.
Once: the batch is first recorded as the open marker `payouts/open.json` (created only if absent). A run that
finds an open marker finishes that batch (rewrites the same CSV if missing, marks its entries Paid) before
anything else, so a crash between file and ledger never pays an entry in two files; a concurrent run answers
"busy". Logs carry counts, the batch key and totals, never payee details.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from pwcore.clients.erpnext import ERPNext, TimestampMismatch
from pwcore.clients.s3 import Storage
from pwcore.logs import get_logger

log = get_logger("pwcore.payouts")

LEDGER = "Commission Ledger"
OPEN_MARKER = "payouts/open.json"
CSV_COLUMNS = ["batch_id", "payee_id", "payee_name", "payee_email", "payout_method", "amount", "currency",
               "entries", "reference"]


@dataclass
class PayoutReport:
    date: str
    batch_key: str = ""
    status: str = "paid"  # paid | nothing_to_pay | busy | dry_run
    entries_paid: int = 0
    entries_changed: list[str] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    resumed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"date": self.date, "status": self.status, "batch_key": self.batch_key,
                "entries_paid": self.entries_paid, "entries_changed": self.entries_changed,
                "groups": self.groups, "resumed": self.resumed}


def _money(value: Any) -> str:
    return f"{float(value or 0):.2f}"


def plan_batch(erp: ERPNext, date: dt.date) -> dict[str, Any] | None:
    """The batch of every Eligible entry (None when there is none): groups, CSV rows, the entries' modified."""
    entries = list(erp.list(LEDGER, fields=["name", "agent", "commission_amount", "modified"],
                            filters=[["status", "=", "Eligible"]]))
    if not entries:
        return None
    agents = {str(a["name"]): a for a in erp.list("Sales Agent", fields=[
        "name", "agent_name", "email", "payout_method"], filters=[["name", "in", sorted({str(e["agent"])
                                                                                      for e in entries})]])}
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for e in entries:
        agent = agents.get(str(e["agent"]), {})
        groups[(str(e["agent"]), str(agent.get("payout_method") or "ACH"))].append(e)
    names = sorted(str(e["name"]) for e in entries)
    digest = hashlib.sha256("\n".join(names).encode()).hexdigest()[:12]
    batch_id = f"PW-{date.isoformat()}-{digest}"
    rows = []
    for (agent_id, method), items in sorted(groups.items()):
        agent = agents.get(agent_id, {})
        rows.append({"batch_id": batch_id, "payee_id": agent_id, "payee_name": agent.get("agent_name") or agent_id,
                     "payee_email": agent.get("email") or "", "payout_method": method,
                     "amount": _money(sum(float(i.get("commission_amount") or 0) for i in items)),
                     "currency": "USD", "entries": len(items),
                     "reference": ";".join(sorted(str(i["name"]) for i in items))})
    return {"date": date.isoformat(), "batch_key": f"payouts/{date.isoformat()}/batch-{digest}.csv",
            "rows": rows, "entries": {str(e["name"]): str(e["modified"]) for e in entries}}


def batch_csv(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode()


def run_payouts(erp: ERPNext, storage: Storage, date: dt.date, *, dry_run: bool = False) -> PayoutReport:
    report = PayoutReport(date=date.isoformat())
    raw = storage.get_bytes_if_exists(OPEN_MARKER)
    if raw is not None:
        batch = json.loads(raw)
        report.resumed = True
    else:
        planned = plan_batch(erp, date)
        if planned is None:
            report.status = "nothing_to_pay"
            return report
        if dry_run:
            report.status, report.batch_key, report.groups = "dry_run", planned["batch_key"], planned["rows"]
            return report
        if not storage.put_if_absent(OPEN_MARKER, json.dumps(planned).encode()):
            report.status = "busy"
            return report
        batch = planned
    if dry_run:
        report.status, report.batch_key, report.groups = "dry_run", batch["batch_key"], batch["rows"]
        return report
    report.batch_key, report.groups, report.date = batch["batch_key"], batch["rows"], batch["date"]
    if not storage.exists(batch["batch_key"]):
        storage.put_bytes(batch["batch_key"], batch_csv(batch["rows"]), "text/csv")
    for name, modified in sorted(batch["entries"].items()):
        current = erp.get(LEDGER, name)
        if current.get("status") == "Paid" and current.get("paid_date") == batch["date"]:
            report.entries_paid += 1  # a resumed batch: this one was written before the crash
            continue
        try:
            if current.get("status") != "Eligible" or str(current.get("modified")) != modified:
                raise TimestampMismatch(417, "TimestampMismatchError", "changed since the batch was planned")
            erp.update(LEDGER, name, {"status": "Paid", "paid_date": batch["date"]}, modified=modified)
            report.entries_paid += 1
        except TimestampMismatch:
            report.entries_changed.append(name)  # in the file but changed: finance checks it (listed here)
    update_totals(erp, sorted({str(r["payee_id"]) for r in batch["rows"]}))
    storage.delete(OPEN_MARKER)
    log.info("payouts.batch_done", batch=batch["batch_key"], entries=report.entries_paid,
             changed=len(report.entries_changed), groups=len(batch["rows"]))
    return report


def update_totals(erp: ERPNext, agents: list[str]) -> None:
    """total_referrals / total_paid of each agent (and its Referral Partner), recomputed from the ledger."""
    for agent in agents:
        rows = list(erp.list(LEDGER, fields=["status", "commission_amount"], filters=[["agent", "=", agent]]))
        referrals = sum(1 for r in rows if r.get("status") != "Cancelled")
        paid = round(sum(float(r.get("commission_amount") or 0) for r in rows if r.get("status") == "Paid"), 2)
        doc = erp.update("Sales Agent", agent, {"total_referrals": referrals, "total_paid": paid})
        code = str(doc.get("referral_code") or "")
        for partner in erp.list("Referral Partner", fields=["name"], filters=[["referral_code", "=", code]]):
            erp.update("Referral Partner", str(partner["name"]), {"total_referrals": referrals, "total_paid": paid})
