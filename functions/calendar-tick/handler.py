"""calendar-tick: the daily cron sweep of the Compliance Calendar and the Commission Ledger.

Invoked by the cron-connector (an empty POST with `X-Topic: cron-function`), a Knative PingSource, or by hand.
Query: `dry_run=1` computes everything and writes / sends nothing; `today=YYYY-MM-DD` pins the date, honoured
on a dry run, or on a real run only where CALENDAR_ALLOW_TODAY_OVERRIDE is on (dev/staging), so a stray
query string cannot age a production calendar. Answers a JSON summary; 503 when ERPNext cannot be read.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).parent / "shared"))  # faas-cli copies ./shared into the build context

from pwcore import config, services
from pwcore.calendar import CalendarSettings, run_tick, today_in
from pwcore.commissions import CommissionSettings, sweep_commissions
from pwcore.erpnext import ERPNextError
from pwcore.http import entrypoint, error, json_response, method_not_allowed
from pwcore.logging import get_logger

log = get_logger("calendar-tick")

_TRUE = {"1", "true", "yes", "on"}


@entrypoint("calendar-tick")
def handle(event: Any, context: Any) -> dict[str, Any]:
    if event.method != "POST":
        return method_not_allowed("POST")
    dry_run = str(event.query.get("dry_run", "")).lower() in _TRUE
    settings = config.load(CalendarSettings)
    time_zone = config.load(config.ERPNextSettings).timezone
    now_utc = dt.datetime.now(dt.UTC)
    today = today_in(time_zone, now_utc)
    requested = event.query.get("today")
    if requested:
        if not (dry_run or settings.allow_today_override):
            return error(403, "today= is only honoured with dry_run=1 (or CALENDAR_ALLOW_TODAY_OVERRIDE)")
        try:
            today = dt.date.fromisoformat(str(requested))
        except ValueError:
            return error(400, "today must be YYYY-MM-DD")
    # Commission windows compare with ERPNext's naive wall-clock `modified`, so "now" is in the site zone.
    now_site = dt.datetime.combine(today, now_utc.astimezone(ZoneInfo(time_zone)).time())
    mailer = None
    mail_from, reply_to = "", ""
    if settings.reminders and not dry_run:
        from pwcore.mail import Mailer

        smtp = config.load(config.SMTPSettings)
        mailer, mail_from, reply_to = Mailer(smtp), smtp.sender, smtp.reply_to
    trigger = "cron" if event.headers.get("X-Topic") == "cron-function" or event.headers.get("ce-type") \
        else "manual"
    log.info("calendar.tick_start", today=today.isoformat(), dry_run=dry_run, trigger=trigger)
    try:
        erp = services.erpnext()
        calendar = run_tick(erp, None if dry_run else services.storage(), mailer, settings, today=today,
                            mail_from=mail_from, reply_to=reply_to, dry_run=dry_run)
        commissions = sweep_commissions(erp, config.load(CommissionSettings), now=now_site, dry_run=dry_run,
                                        page_length=settings.page_length)
    except ERPNextError as exc:
        log.error("calendar.erpnext_error", status=exc.status, exc_type=exc.exc_type)
        return error(503, "ERPNext unavailable; the next tick will catch up")
    summary = {"trigger": trigger, "calendar": calendar, "commissions": commissions}
    log.info("calendar.tick_done", **{k: v for k, v in calendar.items() if isinstance(v, int)})
    return json_response(200, summary)
