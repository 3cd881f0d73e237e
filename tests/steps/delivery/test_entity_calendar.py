"""A delivered formation gets its Compliance Calendar once: real ERPNext stand-in, moto S3, SMTP sink."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pwcore.clients.erpnext import ERPNext
from pwcore.clients.s3 import Storage
from pwcore.clients.smtp import Mailer, SMTPSettings
from pwcore.model.clock import today_in
from pwcore.orders.entity_calendar import create_entity_calendar
from pwcore.steps.calendar_tick import CalendarSettings, CalendarTick
from pwcore.steps.delivery import Deliverer, DeliverySettings
from pwdev.smtp_sink import SMTPSink

Order = dict[str, Any]
FIELDS = ["name", "event_type", "title", "due_date", "recurrence", "source", "rule_status", "formed_on",
          "calendar_key", "state", "entity_name", "customer", "status"]


def entries(erp: ERPNext, order: str) -> list[dict[str, Any]]:
    return sorted(erp.list("Compliance Calendar", fields=FIELDS, filters=[["formation_order", "=", order]]),
                  key=lambda r: (r["due_date"], r["event_type"]))


def deliver(erp: ERPNext, storage: Storage, smtp: SMTPSettings, order: Order) -> dict[str, Any]:
    d = Deliverer(erp, storage, Mailer(smtp, attempts=2, max_wait_s=0.05), smtp, DeliverySettings())
    return d.run(order["doctype"], order["name"], "call").as_dict()


def test_delivery_creates_the_state_calendar_once(erp: ERPNext, storage: Storage, smtp: SMTPSink,
                                                   smtp_settings: SMTPSettings,
                                                   make_order: Callable[..., Order]) -> None:
    order = make_order()
    erp.update("Formation Order", order["name"], {"state": "CA", "add_ons": [
        {"add_on": "Registered Agent Service (1 year)", "amount": 125}]})
    out = deliver(erp, storage, smtp_settings, order)
    assert out["status"] == "delivered", out
    today = today_in("America/Chicago")
    rows = entries(erp, order["name"])
    assert len(out["calendar"]["created"]) == len(rows) == 5
    kinds = [(r["event_type"], r["recurrence"] or "") for r in rows]
    # California LLC: initial Statement of Information within 90 days, the $800 first-year tax, the yearly tax,
    # the biennial Statement of Information, and our registered-agent renewal a year on.
    assert ("Annual Report", "") in kinds and ("Annual Report", "Biennial") in kinds
    assert ("Franchise Tax", "") in kinds and ("Franchise Tax", "Annual") in kinds
    ra = [r for r in rows if r["event_type"] == "RA Renewal"]
    assert len(ra) == 1 and ra[0]["recurrence"] == "Annual"
    assert ra[0]["due_date"] == today.replace(year=today.year + 1).isoformat() or today.month == 2
    first = next(r for r in rows if r["event_type"] == "Annual Report" and not r["recurrence"])
    assert first["due_date"] == (today + dt.timedelta(days=90)).isoformat()
    assert all(r["source"] and r["formed_on"] == today.isoformat() and r["state"] == "CA"
               and r["customer"] == order["customer"] and r["status"] == "Upcoming" for r in rows)

    # Re-delivery (the order is Delivered: "done") and a direct second run create nothing more.
    again = deliver(erp, storage, smtp_settings, order)
    assert again["status"] == "done" and again["calendar"]["created"] == [] and again["calendar"]["existing"] == 5
    doc = erp.get("Formation Order", order["name"])
    later = create_entity_calendar(erp, doc, today + dt.timedelta(days=40))  # another day: recorded date wins
    assert later.created == [] and later.existing == 5
    assert len(entries(erp, order["name"])) == 5


def test_racing_runs_create_no_duplicates(erp: ERPNext, make_order: Callable[..., Order]) -> None:
    order = make_order(status="Delivered")
    erp.update("Formation Order", order["name"], {"state": "TX"})
    doc = erp.get("Formation Order", order["name"])
    formed = dt.date(2026, 3, 10)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: create_entity_calendar(erp, doc, formed), range(4)))
    assert sum(len(r.created) for r in results) == 1
    [row] = entries(erp, order["name"])
    assert (row["event_type"], row["due_date"], row["recurrence"]) == ("Franchise Tax", "2027-05-15", "Annual")
    # An order whose entity type is unknown gets no calendar, and says why.
    skipped = create_entity_calendar(erp, {**doc, "name": "FO-NOT-KNOWN", "entity_type": "Trust"}, formed)
    assert skipped.created == [] and "entity type" in skipped.skipped


def test_tick_steps_a_completed_biennial_report(erp: ERPNext, make_order: Callable[..., Order]) -> None:
    order = make_order(status="Delivered")
    erp.update("Formation Order", order["name"], {"state": "CA"})
    create_entity_calendar(erp, erp.get("Formation Order", order["name"]), dt.date(2026, 1, 31))
    biennial = next(r for r in entries(erp, order["name"]) if r["recurrence"] == "Biennial")
    assert biennial["due_date"] == "2028-01-31"
    erp.update("Compliance Calendar", biennial["name"], {"status": "Completed"})
    for _ in range(2):  # a second tick finds the next entry and creates nothing
        CalendarTick(erp, None, None, CalendarSettings(reminders=False), mail_from="x@example.com",
                     today=dt.date(2028, 2, 1)).run()
    following = list(erp.list("Compliance Calendar", fields=["due_date", "recurrence", "title", "calendar_key"],
                              filters=[["previous_entry", "=", biennial["name"]]]))
    assert len(following) == 1
    assert following[0]["due_date"] == "2030-01-31" and following[0]["recurrence"] == "Biennial"
    assert following[0]["title"] == biennial["title"] and not following[0]["calendar_key"]
