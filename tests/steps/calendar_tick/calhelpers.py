"""Helpers for the calendar tests (a module with a unique name: `calendar` would shadow the stdlib)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from pwcore.clients.erpnext import ERPNext
from pwcore.clients.s3 import Storage
from pwcore.clients.smtp import Mailer
from pwcore.steps.calendar_tick import CalendarSettings, CalendarTick

MAIL_FROM = "Performance West <documents@performancewest.net>"


@dataclass
class Env:
    site: Any
    erp: ERPNext
    storage: Storage
    mailer: Mailer
    sink: Any

    def stats(self) -> int:
        return int(httpx.get(f"{self.site.url}/_standin/stats").json()["total"])

    def reset_stats(self) -> None:
        httpx.post(f"{self.site.url}/_standin/stats/reset")

    def customer(self, name: str, email: str | None, opted_out: bool = False) -> str:
        self.erp.insert("Customer", {"customer_name": name, "customer_type": "Company", "email_id": email})
        if email:
            self.erp.insert("Contact", {"first_name": name, "email_id": email, "email_opted_out": int(opted_out)})
        return name

    def entry(self, customer: str, due: str, **kw: Any) -> dict[str, Any]:
        doc = {"customer": customer, "entity_name": f"{customer} LLC", "state": "TX",
               "event_type": "Franchise Tax", "title": "Annual Franchise Tax Report", "due_date": due, **kw}
        return self.erp.insert("Compliance Calendar", doc)

    def tick(self, today: Any, *, dry_run: bool = False, settings: CalendarSettings | None = None) -> Any:
        return CalendarTick(self.erp, self.storage, self.mailer, settings or CalendarSettings(),
                            mail_from=MAIL_FROM, dry_run=dry_run, today=today).run()
