"""A new entity's Compliance Calendar: the state filings it owes, created once when its formation is delivered.

What is created (one Compliance Calendar row each, `status` Upcoming):
- every obligation `pwcore.facts.entity_obligations.obligations_for(state, kind, formed_on)` gives: the one-off
  first report where the state has one (recurrence empty) and the first date of each recurring series (annual
  / biennial report, franchise tax; recurrence Annual / Biennial / Every 5 years), each row with the rule's
  `source` and review status (`needs_review` rows say so in the entry's `rule_status`);
- "RA Renewal" one year after formation, recurring Annual, when the order bought the registered-agent add-on
  (an add-on whose name mentions "registered agent"): it is the anniversary of our service, not a state date.
`formed_on` is the delivery date in ERPNext's time zone: the documents are delivered once the state filed the
entity, and the Formation Order records no separate filing date. Every row records it (`formed_on`); a later
run for the same order (re-delivery on another day, a crash between inserts) reuses the recorded date, so the
keys, and the due dates, stay the same.

Once: every row carries `calendar_key` = "<order>|<event_type>|<due date>|<title digest>", unique in ERPNext.
A re-delivery, a reconcile redispatch or a racing run inserts the same keys; ERPNext refuses the duplicates,
which count as existing. The calendar-tick later steps each recurring series from the row's recurrence.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from dateutil.relativedelta import relativedelta

from pwcore.clients.erpnext import DuplicateEntry, ERPNext, ValidationFailed
from pwcore.facts.entity_obligations import Obligation, obligations_for
from pwcore.logs import get_logger
from pwcore.model.clock import parse_date

log = get_logger("pwcore.entity_calendar")

DOCTYPE = "Compliance Calendar"
KIND_OF = {"LLC": "llc", "Corporation": "corporation", "Nonprofit": "nonprofit"}
RA_RENEWAL = "RA Renewal"


@dataclass
class CalendarResult:
    created: list[str] = field(default_factory=list)
    existing: int = 0
    skipped: str = ""  # why nothing was created (no state, unknown kind ...)

    def as_dict(self) -> dict[str, Any]:
        return {"created": self.created, "existing": self.existing, "skipped": self.skipped}


def calendar_key(order: str, event_type: str, due: dt.date, title: str) -> str:
    digest = hashlib.sha256(title.encode()).hexdigest()[:8]
    return f"{order}|{event_type}|{due.isoformat()}|{digest}"


def bought_registered_agent(order: dict[str, Any]) -> bool:
    return any("registered agent" in str(row.get("add_on") or "").lower() for row in order.get("add_ons") or [])


def planned_entries(order: dict[str, Any], formed_on: dt.date) -> list[dict[str, Any]]:
    """The Compliance Calendar rows a delivered Formation Order should have (pure: no ERPNext call)."""
    state = str(order.get("state") or "").strip().upper()
    kind = KIND_OF.get(str(order.get("entity_type") or ""))
    if not state or kind is None:
        raise ValueError(f"state {state or '(none)'} / entity type {order.get('entity_type') or '(none)'}")
    name = str(order["name"])
    common = {"customer": order.get("customer"), "entity_name": order.get("entity_name"), "state": state,
              "formation_order": name, "formed_on": formed_on.isoformat(), "status": "Upcoming",
              "reminder_sent": 0}
    rows = [_row(common, name, ob) for ob in obligations_for(state, kind, formed_on)]
    if bought_registered_agent(order):
        due = formed_on + relativedelta(years=1)
        title = "Registered agent service renewal"
        rows.append({**common, "event_type": RA_RENEWAL, "title": title, "due_date": due.isoformat(),
                     "recurrence": "Annual", "anchor_day": formed_on.day,
                     "source": "Performance West registered-agent service: one year from formation",
                     "rule_status": "verified", "calendar_key": calendar_key(name, RA_RENEWAL, due, title)})
    return rows


def _row(common: dict[str, Any], order: str, ob: Obligation) -> dict[str, Any]:
    fee = f" Fee about ${ob.fee:,.2f}." if ob.fee is not None else ""
    return {**common, "event_type": ob.event_type, "title": ob.title[:140], "due_date": ob.due_date.isoformat(),
            "recurrence": ob.recurrence, "anchor_day": ob.anchor_day or 0,
            "source": f"{ob.agency}: {ob.source}.{fee}".strip(), "rule_status": ob.status,
            "calendar_key": calendar_key(order, ob.event_type, ob.due_date, ob.title)}


def create_entity_calendar(erp: ERPNext, order: dict[str, Any], formed_on: dt.date) -> CalendarResult:
    """Insert the rows of `planned_entries` that do not exist yet; duplicates (a racing run) count as existing."""
    result = CalendarResult()
    recorded = [r.get("formed_on") for r in erp.list(DOCTYPE, fields=["formed_on"], filters=[
        ["formation_order", "=", str(order["name"])], ["calendar_key", "is", "set"]], page_length=1)]
    if recorded and recorded[0]:
        formed_on = parse_date(recorded[0])
    try:
        rows = planned_entries(order, formed_on)
    except ValueError as exc:
        result.skipped = f"no calendar: {exc}"
        return result
    keys = [r["calendar_key"] for r in rows]
    have = {str(r["calendar_key"]) for r in erp.list(DOCTYPE, fields=["calendar_key"],
                                                      filters=[["calendar_key", "in", keys]])}
    for row in rows:
        if row["calendar_key"] in have:
            result.existing += 1
            continue
        try:
            created = erp.insert(DOCTYPE, row)
        except (DuplicateEntry, ValidationFailed) as exc:
            if isinstance(exc, DuplicateEntry) or exc.exc_type == "UniqueValidationError" \
                    or "unique" in exc.message.lower() or "duplicate" in exc.message.lower():
                result.existing += 1
                continue
            raise
        result.created.append(str(created["name"]))
    if result.created:
        log.info("entity_calendar.created", order=order.get("name"), entries=len(result.created))
    return result
