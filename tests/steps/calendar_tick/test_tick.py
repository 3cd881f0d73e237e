"""calendar-tick against the ERPNext stand-in, moto S3 and an SMTP sink, all on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from calhelpers import MAIL_FROM, Env

from pwcore.steps.calendar_tick import CalendarSettings, CalendarTick

TODAY = dt.date(2028, 2, 28)


def _status(env: Env, name: str) -> tuple[str, int]:
    doc = env.erp.get("Compliance Calendar", name)
    return str(doc["status"]), int(doc["reminder_sent"])


def test_statuses_reminders_opt_out_and_second_tick(env: Env) -> None:
    acme = env.customer("Acme", "owner@acme.example")
    quiet = env.customer("Quiet", "quiet@example.com", opted_out=True)
    nomail = env.customer("Nomail", None)
    soon = env.entry(acme, "2028-03-10")["name"]  # Upcoming -> Due Soon + reminder
    late = env.entry(acme, "2028-02-27")["name"]  # Upcoming -> Overdue + reminder (none before)
    far = env.entry(acme, "2028-06-01")["name"]  # stays Upcoming: not written
    reminded = env.entry(acme, "2028-02-01", status="Due Soon", reminder_sent=1)["name"]  # -> Overdue, no email
    opted = env.entry(quiet, "2028-03-01")["name"]
    bad = env.entry(nomail, "2028-03-02")["name"]
    far_modified = env.erp.get("Compliance Calendar", far)["modified"]

    report = env.tick(TODAY).as_dict()
    assert report["status_changes"] == {"Due Soon -> Overdue": 1, "Upcoming -> Due Soon": 3,
                                        "Upcoming -> Overdue": 1}
    assert report["reminders_sent"] == 2 and report["reminders_opted_out"] == 1
    assert report["errors_total"] == 1 and report["errors"][0]["name"] == bad
    assert _status(env, soon) == ("Due Soon", 1)
    assert _status(env, late) == ("Overdue", 1)
    assert _status(env, reminded) == ("Overdue", 1)
    assert _status(env, opted) == ("Due Soon", 0)  # no email went, so the flag is not set
    assert _status(env, bad) == ("Due Soon", 0)
    assert env.erp.get("Compliance Calendar", far)["modified"] == far_modified  # unchanged rows untouched

    mails = env.sink.wait_for(2)
    assert sorted(m["To"] for m in mails) == ["owner@acme.example"] * 2
    soon_mail = next(m for m in mails if m["X-PW-Calendar-Entry"] == soon)
    assert soon_mail["Message-ID"] == f"<reminder.{soon}.2028-03-10.due-soon@performancewest.net>"
    body = soon_mail.get_content()
    assert "Acme LLC" in body and "Annual Franchise Tax Report" in body and "March 10, 2028" in body
    assert "Due Soon" in body

    env.reset_stats()
    again = env.tick(TODAY).as_dict()
    assert again["status_changes"] == {} and again["reminders_sent"] == 0 and again["rows_written"] == 0
    assert len(env.sink.messages) == 2
    # Second tick: 2 list reads (recurrence + statuses) and the batched look-ups of the two rows that still
    # want a reminder (opted out / no email): customers + contacts. No writes.
    assert env.stats() <= 5


def test_crash_after_send_before_flag_sends_nothing_more(env: Env) -> None:
    acme = env.customer("Acme", "owner@acme.example")
    name = env.entry(acme, "2028-03-10")["name"]

    class Dies(Exception):
        pass

    class CrashAfterSend(CalendarTick):
        def _write(self, row: dict[str, Any], values: dict[str, Any], attempts: int = 3) -> None:
            raise Dies()  # the process dies between the email and the ERPNext write

    tick = CrashAfterSend(env.erp, env.storage, env.mailer, CalendarSettings(), mail_from=MAIL_FROM,
                          today=TODAY)
    try:
        tick.run()
    except Dies:
        pass
    assert len(env.sink.wait_for(1)) == 1
    assert _status(env, name) == ("Upcoming", 0)
    report = env.tick(TODAY).as_dict()
    assert report["reminders_already_sent"] == 1 and report["reminders_sent"] == 0
    assert _status(env, name) == ("Due Soon", 1)
    assert len(env.sink.messages) == 1


def test_due_date_moved_out_resets_flag(env: Env) -> None:
    acme = env.customer("Acme", "owner@acme.example")
    name = env.entry(acme, "2028-09-01", status="Due Soon", reminder_sent=1)["name"]
    env.tick(TODAY)
    assert _status(env, name) == ("Upcoming", 0)


def test_recurrence_month_end_and_once(env: Env) -> None:
    acme = env.customer("Acme", "owner@acme.example")
    done = env.entry(acme, "2028-01-31", status="Completed", recurrence="Monthly", reminder_sent=1)["name"]
    env.entry(acme, "2027-12-31", status="Completed")  # no recurrence: nothing
    report = env.tick(TODAY).as_dict()
    assert report["next_entries_created"] == 1
    nxt = list(env.erp.list("Compliance Calendar",
                            fields=["name", "due_date", "status", "reminder_sent", "anchor_day"],
                            filters=[["previous_entry", "=", done]]))
    assert len(nxt) == 1 and nxt[0]["due_date"] == "2028-02-29"
    assert nxt[0]["anchor_day"] == 31  # so the entry after it is due on 31 March, not 29 March
    # Created before the status pass, so it gets its status and reminder in the same tick.
    assert (nxt[0]["status"], nxt[0]["reminder_sent"]) == ("Due Soon", 1)
    assert env.tick(TODAY).as_dict()["next_entries_created"] == 0


def test_racing_ticks_one_reminder_one_next_entry(env: Env) -> None:
    acme = env.customer("Acme", "owner@acme.example")
    entries = [env.entry(acme, f"2028-03-{d:02d}")["name"] for d in range(1, 13)]
    done = [env.entry(acme, f"2028-01-{d:02d}", status="Completed", recurrence="Annual")["name"]
            for d in range(1, 6)]
    barrier = threading.Barrier(2)
    reports: list[dict[str, Any]] = []

    def run() -> None:
        tick = CalendarTick(env.erp, env.storage, env.mailer, CalendarSettings(), mail_from=MAIL_FROM,
                            today=TODAY)
        barrier.wait()
        reports.append(tick.run().as_dict())

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(reports) == 2
    assert sum(r["reminders_sent"] for r in reports) == len(entries)
    ids = [m["Message-ID"] for m in env.sink.messages]
    assert len(ids) == len(entries) == len(set(ids))
    assert sum(r["next_entries_created"] for r in reports) == len(done)
    nexts = list(env.erp.list("Compliance Calendar", fields=["previous_entry"],
                              filters=[["previous_entry", "in", done]]))
    assert sorted(n["previous_entry"] for n in nexts) == sorted(done)
    for name in entries:
        assert _status(env, name) == ("Due Soon", 1)


def test_dry_run_writes_and_sends_nothing(env: Env) -> None:
    acme = env.customer("Acme", "owner@acme.example")
    name = env.entry(acme, "2028-03-01")["name"]
    env.entry(acme, "2028-01-31", status="Completed", recurrence="Monthly")
    report = env.tick(TODAY, dry_run=True).as_dict()
    assert report["status_changes"] == {"Upcoming -> Due Soon": 1}
    assert report["reminders_sent"] == 1 and report["next_entries_created"] == 1
    assert _status(env, name) == ("Upcoming", 0)
    assert env.sink.messages == []
    assert list(env.storage.list("reminders/")) == []
    assert env.erp.count("Compliance Calendar") == 2


def test_invalid_row_is_reported_and_skipped(env: Env) -> None:
    acme = env.customer("Acme", "owner@acme.example")
    good = env.entry(acme, "2028-03-01")
    tick = CalendarTick(env.erp, env.storage, env.mailer, CalendarSettings(), mail_from=MAIL_FROM, today=TODAY)
    # A row as a broken import could return it (ERPNext itself refuses such dates on insert).
    broken = {**good, "name": "CC-BROKEN", "due_date": "2028-02-30"}
    tick._status_page([broken, good])
    report = tick.report.as_dict()
    assert report["errors"] == [{"name": "CC-BROKEN", "error": "invalid or missing due_date"}]
    assert report["reminders_sent"] == 1 and _status(env, good["name"]) == ("Due Soon", 1)


def test_many_rows_across_pages_flat_requests(env: Env) -> None:
    env.customer("Acme", "owner@acme.example")
    docs = ([{"customer": "Acme", "event_type": "Annual Report", "due_date": "2028-08-01"}] * 2000  # no change
            + [{"customer": "Acme", "event_type": "Other", "due_date": "2028-03-15"}] * 300  # -> Due Soon + mail
            + [{"customer": "Acme", "event_type": "Annual Report", "due_date": "2028-01-15", "status": "Due Soon",
                "reminder_sent": 1}] * 300)  # -> Overdue, no mail
    env.site.insert_many("Compliance Calendar", [dict(d) for d in docs])
    env.reset_stats()
    report = env.tick(TODAY, settings=CalendarSettings(page_length=500)).as_dict()
    assert report["scanned"] == 2600
    assert report["status_changes"] == {"Upcoming -> Due Soon": 300, "Due Soon -> Overdue": 300}
    assert report["reminders_sent"] == 300 and report["rows_written"] == 600
    pages = -(-2600 // 500)
    # list pages + one recurrence read + per page with reminders: customers + contacts; + one write per change
    assert env.stats() <= pages + 1 + 2 * pages + 600
    assert len(env.sink.wait_for(300)) == 300
