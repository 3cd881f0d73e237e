"""Compliance Calendar sweep (calendar-tick): statuses, reminders once, next occurrence of recurring events.

Decisions (also in the function's docstring and the project docs):
- "Today" is the calendar date in ERPNext's time zone (`ERPNextSettings.timezone`, America/Chicago): the cron
  runs in UTC, and 23:30 in Chicago is already tomorrow in UTC. `today_in()` does the conversion; the domain
  function takes `today` so tests and dry runs can pin it.
- Status: Overdue when due_date < today; Due Soon when today <= due_date <= today + window; else Upcoming.
  Completed is set by people and never touched here. Only rows whose status (or reminder flag) changes are
  written, as a compare-and-set on `modified`.
- Reminders: one email per entry and due date when it needs one (Due Soon, or Overdue without a reminder
  before), then `reminder_sent` = 1 in the same write as the status. The crash window between "email sent" and
  "flag written" is closed by an S3 marker `reminders/{entry}/{due_date}/{status}.json` taken with
  If-None-Match before sending (state "claimed", then "sent"): a second tick that finds "sent" only writes the
  flag; one that finds a fresh "claimed" leaves the row to the claimer; a "claimed" older than the lease means
  the claimer died, and exactly one later tick takes over (a second conditional marker) and sends. Worst case
  after a crash at the wrong line is one duplicate email with the same Message-ID, never a lost reminder.
  The due date is in the marker key so that a due date moved by an operator earns a new reminder
  (the flag is reset when the entry goes back to Upcoming).
- Opt-out: a Contact with the customer's email and `email_opted_out` = 1 gets no email and the flag stays 0
  (it is not true that a reminder was sent); counted as `reminders_opted_out`.
- Recurrence: a Completed entry with a recurrence gets one next entry, due = due_date + 1 month / 3 months /
  1 / 2 / 5 years (Annual, Biennial, Every 5 years: the state cycles of the entity-obligations data);
  dateutil's relativedelta clips to the month end (31 Jan + 1 month = 28/29 Feb). "Once" rests on the
  unique `previous_entry` field: a racing insert is refused by ERPNext and counted as already created.
  The series' `anchor_day` brings a clipped day back (31 Jan -> 28 Feb -> 31 Mar).
- Reads: full paginated scans of the non-Completed rows and of the Completed recurring rows, only the needed
  fields, 500 a page; lookups (customers, opt-outs, existing next entries) are batched per page. Memory holds
  one page. A bad row (invalid date, missing email) is reported in `errors` and skipped.
"""

from __future__ import annotations

import calendar as calendar_module  # the standard library's (month lengths), not this module
import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from pydantic_settings import SettingsConfigDict

from pwcore.clients.claims import Claim, Claims
from pwcore.clients.erpnext import DuplicateEntry, ERPNext, ERPNextError, TimestampMismatch, ValidationFailed
from pwcore.clients.s3 import Storage
from pwcore.clients.smtp import MailUncertain
from pwcore.logs import get_logger
from pwcore.model.clock import parse_date, today_in
from pwcore.model.layout import reminder_key
from pwcore.settings import Settings

log = get_logger("pwcore.calendar")

DOCTYPE = "Compliance Calendar"
UPCOMING, DUE_SOON, OVERDUE, COMPLETED = "Upcoming", "Due Soon", "Overdue", "Completed"
REMIND_STATUSES = frozenset({DUE_SOON, OVERDUE})
RECURRENCE_STEP = {
    "Monthly": relativedelta(months=1),
    "Quarterly": relativedelta(months=3),
    "Annual": relativedelta(years=1),
    "Biennial": relativedelta(years=2),
    "Every 5 years": relativedelta(years=5),
}
STATUS_FIELDS = ["name", "customer", "entity_name", "state", "event_type", "title", "due_date", "status",
                 "reminder_sent", "modified"]
RECUR_FIELDS = ["name", "customer", "entity_name", "state", "event_type", "due_date", "recurrence", "anchor_day",
                "title", "source", "rule_status", "formation_order"]
MAX_ERRORS_LISTED = 100


class CalendarSettings(Settings):
    model_config = SettingsConfigDict(env_prefix="CALENDAR_")
    due_soon_days: int = 30
    reminders: bool = True
    reminder_lease_s: int = 900  # a claimed-but-unconfirmed reminder older than this is taken over
    page_length: int = 500
    # `?today=YYYY-MM-DD` is honoured on a real (writing) run only when this is on (dev / staging).
    allow_today_override: bool = False
    message_id_domain: str = "performancewest.net"


class MailSender(Protocol):
    """What pwcore.mail.Mailer provides: send one message (raises when it could not be delivered)."""

    def send(self, message: EmailMessage) -> Any: ...




def status_for(due: dt.date, today: dt.date, window_days: int) -> str:
    if due < today:
        return OVERDUE
    if due <= today + dt.timedelta(days=window_days):
        return DUE_SOON
    return UPCOMING


def next_due(due: dt.date, recurrence: str, anchor_day: int | None = None) -> dt.date:
    """The next due date of a series. relativedelta clips to the month's last day (31 Jan + 1 month = 28/29
    Feb); the series' anchor day then brings it back (28 Feb -> 31 Mar, not 28 Mar)."""
    step = RECURRENCE_STEP.get(recurrence)
    if step is None:
        raise ValueError(f"unknown recurrence {recurrence!r}")
    result: dt.date = due + step
    if anchor_day and anchor_day > result.day:
        last = calendar_module.monthrange(result.year, result.month)[1]
        result = result.replace(day=min(anchor_day, last))
    return result




def _slug(status: str) -> str:
    return status.lower().replace(" ", "-")


def reminder_message_id(entry: str, due: dt.date, status: str, domain: str) -> str:
    """Stable per entry + due date + status, so a duplicate after a crash threads as the same message."""
    return f"<reminder.{entry}.{due.isoformat()}.{_slug(status)}@{domain}>"


def build_reminder(row: dict[str, Any], due: dt.date, status: str, to: str, customer_name: str,
                   mail_from: str, reply_to: str, domain: str, today: dt.date) -> EmailMessage:
    entity = str(row.get("entity_name") or customer_name or row.get("customer") or "your company")
    event = str(row.get("title") or row.get("event_type") or "Compliance deadline")
    state = f" ({row['state']})" if row.get("state") else ""
    when = due.strftime("%B %d, %Y").replace(" 0", " ")
    msg = EmailMessage()
    msg["From"] = mail_from
    msg["To"] = to
    if reply_to:
        msg["Reply-To"] = reply_to
    if status == OVERDUE:
        msg["Subject"] = f"Overdue: {event} for {entity} was due {when}"
        lead = f"The {event} for {entity}{state} was due on {when} and is now overdue."
    else:
        days = (due - today).days
        msg["Subject"] = f"Due soon: {event} for {entity} is due {when}"
        lead = (f"The {event} for {entity}{state} is due on {when} "
                f"({'today' if days == 0 else f'in {days} day' + ('s' if days != 1 else '')}).")
    msg["Message-ID"] = reminder_message_id(str(row["name"]), due, status, domain)
    msg["X-PW-Calendar-Entry"] = str(row["name"])
    msg.set_content(
        f"Hello {customer_name or entity},\n\n{lead}\n\nStatus: {status}\nEntity: {entity}{state}\n"
        f"Event: {event}\nDue date: {when}\n\nReply to this email if you would like us to handle it, or if it "
        "has already been taken care of.\n\nPerformance West\n"
    )
    return msg


# -- the sweep ---------------------------------------------------------------------------------------------
@dataclass
class TickReport:
    dry_run: bool
    today: dt.date
    transitions: Counter[str] = field(default_factory=Counter)
    counts: Counter[str] = field(default_factory=Counter)
    errors: list[dict[str, str]] = field(default_factory=list)
    errors_total: int = 0

    def error(self, row: str, reason: str) -> None:
        self.errors_total += 1
        if len(self.errors) < MAX_ERRORS_LISTED:
            self.errors.append({"name": row, "error": reason})
        log.warning("calendar.row_error", row=row, error=reason)

    def as_dict(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "today": self.today.isoformat(),
                "status_changes": dict(sorted(self.transitions.items())),
                **{k: self.counts.get(k, 0) for k in (
                    "scanned", "rows_written", "lost_races", "reminders_sent", "reminders_already_sent",
                    "reminders_in_flight", "reminders_opted_out", "reminders_failed", "completed_scanned",
                    "next_entries_created", "next_entries_existing")},
                "errors_total": self.errors_total, "errors": self.errors}


class CalendarTick:
    def __init__(self, erp: ERPNext, storage: Storage | None, mailer: MailSender | None,
                 settings: CalendarSettings, *, mail_from: str, reply_to: str = "",
                 dry_run: bool = False, today: dt.date, now_utc: dt.datetime | None = None) -> None:
        self.erp = erp
        self.storage = storage
        self.mailer = mailer
        self.settings = settings
        self.mail_from = mail_from
        self.reply_to = reply_to
        self.dry_run = dry_run
        self.today = today
        self.now_utc = now_utc or dt.datetime.now(dt.UTC)
        self.report = TickReport(dry_run=dry_run, today=today)

    def run(self) -> TickReport:
        # Recurrence first, so a next entry created now gets its status (and reminder) in this same tick.
        self.create_next_entries()
        self.update_statuses()
        return self.report

    # ---- recurrence ------------------------------------------------------------------------------------
    def create_next_entries(self) -> None:
        pages = _pages(self.erp.list(DOCTYPE, fields=RECUR_FIELDS,
                                     filters=_filters(["status", "=", COMPLETED],
                                                      ["recurrence", "in", list(RECURRENCE_STEP)]),
                                     page_length=self.settings.page_length), self.settings.page_length)
        for page in pages:
            self.report.counts["completed_scanned"] += len(page)
            names = [str(r["name"]) for r in page]
            existing = {str(r["previous_entry"]) for r in self.erp.list(
                DOCTYPE, fields=["previous_entry"], filters=[["previous_entry", "in", names]],
                page_length=self.settings.page_length)}
            for row in page:
                if row["name"] in existing:
                    continue
                try:
                    self._create_next(row)
                except (ValueError, TypeError) as exc:
                    self.report.error(str(row["name"]), f"cannot compute next entry: {exc}")
                except ERPNextError as exc:
                    self.report.error(str(row["name"]), f"next entry not created: ERPNext {exc.status} {exc.exc_type}")

    def _create_next(self, row: dict[str, Any]) -> None:
        current = parse_date(row["due_date"])
        anchor = int(row.get("anchor_day") or 0) or current.day  # the first entry of a series sets it
        due = next_due(current, str(row["recurrence"]), anchor)
        doc = {"customer": row["customer"], "entity_name": row.get("entity_name"), "state": row.get("state"),
               "event_type": row["event_type"], "due_date": due.isoformat(), "recurrence": row["recurrence"],
               "status": UPCOMING, "reminder_sent": 0, "previous_entry": row["name"], "anchor_day": anchor,
               **{k: row[k] for k in ("title", "source", "rule_status", "formation_order") if row.get(k)}}
        if self.dry_run:
            self.report.counts["next_entries_created"] += 1
            return
        try:
            created = self.erp.insert(DOCTYPE, doc)
        except (DuplicateEntry, ValidationFailed) as exc:
            if isinstance(exc, DuplicateEntry) or exc.exc_type == "UniqueValidationError" \
                    or "unique" in exc.message.lower() or "duplicate" in exc.message.lower():
                self.report.counts["next_entries_existing"] += 1  # a racing tick created it first
                return
            raise
        self.report.counts["next_entries_created"] += 1
        log.info("calendar.next_entry", previous=row["name"], entry=created.get("name"), due=due.isoformat())

    # ---- statuses and reminders ------------------------------------------------------------------------
    def update_statuses(self) -> None:
        pages = _pages(self.erp.list(DOCTYPE, fields=STATUS_FIELDS, filters=[["status", "!=", COMPLETED]],
                                     page_length=self.settings.page_length), self.settings.page_length)
        for page in pages:
            self._status_page(page)

    def _status_page(self, page: list[dict[str, Any]]) -> None:
        plans: list[tuple[dict[str, Any], dt.date, str, bool]] = []
        for row in page:
            self.report.counts["scanned"] += 1
            try:
                due = parse_date(row.get("due_date"))
            except (ValueError, TypeError):
                self.report.error(str(row.get("name")), "invalid or missing due_date")
                continue
            new = status_for(due, self.today, self.settings.due_soon_days)
            remind = self.settings.reminders and new in REMIND_STATUSES and not _flag(row.get("reminder_sent"))
            reset = new == UPCOMING and _flag(row.get("reminder_sent")) and row.get("status") != UPCOMING
            if new != row.get("status") or remind or reset:
                plans.append((row, due, new, remind))
        if not plans:
            return
        contacts = self._recipients([p[0] for p in plans if p[3]])
        for row, due, new, remind in plans:
            try:
                self._apply(row, due, new, remind, contacts)
            except ERPNextError as exc:
                self.report.error(str(row["name"]), f"ERPNext {exc.status} {exc.exc_type}".strip())

    def _recipients(self, rows: list[dict[str, Any]]) -> dict[str, tuple[str, str, bool]]:
        """customer -> (email, customer_name, opted_out), with two batched reads per page."""
        customers = sorted({str(r["customer"]) for r in rows if r.get("customer")})
        if not customers:
            return {}
        found = {str(c["name"]): c for c in self.erp.list(
            "Customer", fields=["name", "customer_name", "email_id"], filters=_filters(["name", "in", customers]),
            page_length=self.settings.page_length)}
        emails = sorted({str(c["email_id"]).strip().lower() for c in found.values() if c.get("email_id")})
        opted_out: set[str] = set()
        if emails:
            opted_out = {str(c["email_id"]).strip().lower() for c in self.erp.list(
                "Contact", fields=["email_id"],
                filters=_filters(["email_id", "in", emails], ["email_opted_out", "=", 1]),
                page_length=self.settings.page_length)}
        out: dict[str, tuple[str, str, bool]] = {}
        for name, c in found.items():
            email = str(c.get("email_id") or "").strip()
            out[name] = (email, str(c.get("customer_name") or name), email.lower() in opted_out)
        return out

    def _apply(self, row: dict[str, Any], due: dt.date, new: str, remind: bool,
               contacts: dict[str, tuple[str, str, bool]]) -> None:
        values: dict[str, Any] = {}
        if new != row.get("status"):
            values["status"] = new
        if new == UPCOMING and _flag(row.get("reminder_sent")) and row.get("status") != UPCOMING:
            values["reminder_sent"] = 0  # the due date moved out: the new due date earns a new reminder
        if remind:
            outcome = self._remind(row, due, new, contacts.get(str(row.get("customer"))))
            self.report.counts[f"reminders_{outcome}"] += 1
            if outcome in {"sent", "already_sent"}:
                values["reminder_sent"] = 1
            elif outcome == "in_flight":
                return  # another tick holds the reminder; it writes this row
        if not values:
            return
        if self.dry_run:
            self._count_change(row, values)
            return
        self._write(row, values)

    def _count_change(self, row: dict[str, Any], values: dict[str, Any]) -> None:
        if "status" in values:
            self.report.transitions[f"{row.get('status') or '(none)'} -> {values['status']}"] += 1
        self.report.counts["rows_written"] += 1

    def _write(self, row: dict[str, Any], values: dict[str, Any], attempts: int = 3) -> None:
        name = str(row["name"])
        current = row
        for _ in range(attempts):
            try:
                self.erp.update(DOCTYPE, name, values, modified=str(current["modified"]))
                self._count_change(current, values)
                return
            except TimestampMismatch:
                current = self.erp.get(DOCTYPE, name)
                if current.get("status") == COMPLETED:
                    return
                if all(_same(current.get(k), v) for k, v in values.items()):
                    self.report.counts["lost_races"] += 1  # a racing tick wrote the same thing
                    return
        self.report.error(name, "row kept changing under us")

    def _remind(self, row: dict[str, Any], due: dt.date, status: str,
                contact: tuple[str, str, bool] | None) -> str:
        name = str(row["name"])
        if contact is None:
            self.report.error(name, "customer not found; no reminder sent")
            return "failed"
        email, customer_name, opted_out = contact
        if opted_out:
            return "opted_out"
        if "@" not in email:
            self.report.error(name, "customer has no email address; no reminder sent")
            return "failed"
        if self.dry_run:
            return "sent"
        if self.storage is None or self.mailer is None:
            raise RuntimeError("reminders need storage and a mailer")
        key = reminder_key(name, due.isoformat(), status)
        claims = Claims(self.storage)
        got = claims.acquire(key, self.settings.reminder_lease_s)
        if isinstance(got, Claim):
            claim = got
        else:
            if got.claim is None or (got.claim.state != "sent" and not got.stale):
                return "in_flight"  # vanished (released a moment ago) or another tick is sending it
            if got.claim.state == "sent":
                return "already_sent"
            # Stale claim: the claimer died before confirming. One tick (the one that wins this) takes over.
            taken = claims.take_over(got.claim)
            if taken is None:
                return "in_flight"
            claim = taken
        message = build_reminder(row, due, status, email, customer_name, self.mail_from, self.reply_to,
                                 self.settings.message_id_domain, self.today)
        try:
            self.mailer.send(message)
        except MailUncertain:
            # Maybe delivered: keep the claim, so one later tick resends (same Message-ID) after the lease.
            self.report.error(name, "reminder delivery uncertain; will be retried after the lease")
            return "failed"
        except Exception as exc:  # not sent (MailError, or anything else): release the claim for a retry
            claims.release(claim)
            self.report.error(name, f"reminder not sent: {type(exc).__name__}")
            return "failed"
        try:
            claims.advance(claim, "sent")
        except Exception as exc:  # the email went; a lost confirmation only risks one duplicate after the lease
            log.warning("calendar.marker_confirm_failed", row=name, error_type=type(exc).__name__)
        log.info("calendar.reminder_sent", row=name, status=status, due=due.isoformat())
        return "sent"


def _filters(*conditions: list[Any]) -> list[list[Any]]:
    return list(conditions)


def _flag(value: Any) -> bool:
    try:
        return int(value or 0) == 1
    except (TypeError, ValueError):
        return False


def _same(current: Any, wanted: Any) -> bool:
    if isinstance(wanted, int):
        return _flag(current) == bool(wanted)
    return bool(current == wanted)


def _pages(rows: Iterable[dict[str, Any]], size: int) -> Iterable[list[dict[str, Any]]]:
    page: list[dict[str, Any]] = []
    for row in rows:
        page.append(row)
        if len(page) >= size:
            yield page
            page = []
    if page:
        yield page


def run_tick(erp: ERPNext, storage: Storage | None, mailer: MailSender | None, settings: CalendarSettings, *,
             today: dt.date, mail_from: str, reply_to: str = "", dry_run: bool = False) -> dict[str, Any]:
    """One calendar sweep; returns the JSON summary. `today` is the date in ERPNext's time zone."""
    report = CalendarTick(erp, storage, mailer, settings, mail_from=mail_from, reply_to=reply_to,
                          dry_run=dry_run, today=today).run()
    return report.as_dict()


def run_daily(erp: ERPNext, storage: Storage | None, settings: CalendarSettings, time_zone: str, *,
              today: dt.date | None = None, dry_run: bool = False) -> tuple[dict[str, Any], dt.datetime]:
    """The scheduled tick: today in the site's zone (unless pinned), reminders mailed when configured.

    Returns the summary and "now" as ERPNext's naive site-zone wall clock (for the commission windows, which
    compare with ERPNext's `modified`)."""
    now_utc = dt.datetime.now(dt.UTC)
    day = today or today_in(time_zone, now_utc)
    site_now = dt.datetime.combine(day, now_utc.astimezone(ZoneInfo(time_zone)).time())
    mailer, mail_from, reply_to = None, "", ""
    if settings.reminders and not dry_run:
        from pwcore.clients.smtp import Mailer, SMTPSettings
        from pwcore.settings import load_settings

        smtp = load_settings(SMTPSettings)
        mailer, mail_from, reply_to = Mailer(smtp), smtp.sender, smtp.reply_to
    summary = run_tick(erp, storage, mailer, settings, today=day, mail_from=mail_from, reply_to=reply_to,
                       dry_run=dry_run)
    if storage is not None:  # the Compliance upsell 30 days after a formation (pwcore.orders.marketing)
        from pwcore.clients.listmonk import Listmonk, ListmonkSettings
        from pwcore.orders.marketing import UpsellSettings, compliance_upsell
        from pwcore.settings import load_settings as load

        lists = load(ListmonkSettings)
        summary["upsell"] = compliance_upsell(erp, storage, Listmonk(lists) if lists.url else None, lists,
                                              load(UpsellSettings), site_now, dry_run=dry_run)
    log.info("calendar.tick_done", today=day.isoformat(), **{k: v for k, v in summary.items() if isinstance(v, int)})
    return summary, site_now
