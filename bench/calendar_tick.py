"""Bench: calendar-tick over N Compliance Calendar entries in the ERPNext stand-in, 1 % of them changing.

The stand-in, moto S3 and the SMTP sink run in this process; the tick runs in a child process so its peak
RSS is measured alone (getrusage of the children). Prints one JSON object as its last line.

    .venv/bin/python bench/calendar_tick.py [--entries 100000] [--changing 0.01]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from typing import Any

import httpx
from measure import in_child, peak_rss_mb

TODAY = dt.date(2028, 2, 28)
KEY, SECRET = "bench-key", "bench-secret-0123"


def _child(erp_url: str, s3: dict[str, str], smtp: tuple[str, int], out: Any) -> None:
    from pwcore.clients.erpnext import ERPNext
    from pwcore.clients.s3 import Storage
    from pwcore.clients.smtp import Mailer, SMTPSettings
    from pwcore.orders.commission_ledger import CommissionSettings
    from pwcore.steps.calendar_tick import CalendarSettings, run_tick
    from pwcore.steps.commissions import sweep_commissions

    erp = ERPNext(erp_url, KEY, SECRET, timeout_s=60)
    storage = Storage(s3["S3_ENDPOINT"], s3["S3_ACCESS_KEY"], s3["S3_SECRET_KEY"], s3["S3_BUCKET"])
    mailer = Mailer(SMTPSettings(host=smtp[0], port=smtp[1], security="none"))
    started = time.perf_counter()
    summary = run_tick(erp, storage, mailer, CalendarSettings(), today=TODAY, mail_from="bench@example.com")
    commissions = sweep_commissions(erp, CommissionSettings(), now=dt.datetime(2028, 2, 28, 12))
    out.put({"seconds": time.perf_counter() - started, "summary": summary,
             "commissions_scanned": commissions["commissions_scanned"],
             "peak_rss_mb": peak_rss_mb()})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--changing", type=float, default=0.01)
    args = parser.parse_args()

    from pwdev.erpnext import ERPNextStandin
    from pwdev.s3 import S3Server
    from pwdev.smtp_sink import SMTPSink

    site = ERPNextStandin(users=[{"user": "Administrator", "api_key": KEY, "api_secret": SECRET}]).start()
    s3 = S3Server("bench-calendar").start()
    sink = SMTPSink().start()
    try:
        changing = int(args.entries * args.changing)
        t0 = time.perf_counter()
        site.insert_many("Customer", [{"customer_name": "Acme", "customer_type": "Company",
                                       "email_id": "owner@acme.example"}])
        batch = 20_000
        for start in range(0, args.entries, batch):
            docs = []
            for i in range(start, min(start + batch, args.entries)):
                due = "2028-03-15" if i % int(1 / args.changing) == 0 and i // int(1 / args.changing) < changing \
                    else "2028-09-01"
                docs.append({"customer": "Acme", "entity_name": "Acme LLC", "event_type": "Annual Report",
                             "due_date": due})
            site.insert_many("Compliance Calendar", docs)
        load_s = time.perf_counter() - t0
        httpx.post(f"{site.url}/_standin/stats/reset")
        result, _ = in_child(_child, site.url, s3.env(), (sink.host, sink.port), timeout=1800)
        stats = httpx.get(f"{site.url}/_standin/stats").json()
        summary = result["summary"]
        reminders = summary["reminders_sent"]
        changed = summary["rows_written"]
        budget = args.entries / 500 + changed + reminders
        report = {
            "bench": "calendar_tick", "entries": args.entries, "changing": changing, "load_s": round(load_s, 1),
            "tick_s": round(result["seconds"], 2), "rows_written": changed, "reminders_sent": reminders,
            "emails_received": len(sink.messages), "http_requests": stats["total"],
            "http_by_method": stats["by_method"], "request_budget": int(budget),
            "requests_ok": stats["total"] <= budget, "peak_rss_mb": round(result["peak_rss_mb"], 1),
            "rss_ok": result["peak_rss_mb"] <= 200, "errors_total": summary["errors_total"],
        }
        print(json.dumps(report), flush=True)
    finally:
        sink.stop()
        s3.stop()
        site.stop()


if __name__ == "__main__":
    main()
