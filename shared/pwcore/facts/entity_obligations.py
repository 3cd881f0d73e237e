"""State compliance-calendar rules: which recurring state filings an entity owes, and when.

The facts live in the reviewed data file `data/entity_obligations.toml` (one row per state, entity kind and
filing, each with its source, how it was checked and a status). This module is pure: it loads and validates
the file and computes due dates; it never talks to ERPNext. The file header documents the rule kinds and the
assumptions (domestic entities, calendar fiscal year, statutory dates not moved for weekends).

    obligations_for("CA", "llc", date(2026, 1, 31))
    -> [Obligation(event_type="Annual Report", title="Initial Statement of Information (Form LLC-12)",
                   due_date=date(2026, 5, 1), recurrence="", ...),
        Obligation(event_type="Annual Report", ..., due_date=date(2028, 1, 31), recurrence="Biennial", ...),
        ...]

A first-report rule (e.g. California's statement within 90 days) gives two obligations: the one-off first
filing (recurrence "") and the first date of the recurring series, so that a calendar that steps a series by
its recurrence never steps from the one-off date. `anchor_day` is the day of month a series returns to
(31 for month-end rules), for calendars that clip 31 January to 28 February.
"""

from __future__ import annotations

import calendar
import tomllib
from collections.abc import Iterator
from datetime import date, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

EventType = Literal["Annual Report", "Franchise Tax", "RA Renewal", "BOI Report", "Other"]
Kind = Literal["llc", "corporation", "nonprofit"]
Frequency = Literal["annual", "biennial", "quinquennial", "none"]
RecurringRule = Literal["fixed", "anniversary_date", "anniversary_month_start", "anniversary_month_end",
                        "anniversary_quarter", "biennial_anniversary"]
FirstRule = Literal["first_report_within_days", "first_report_within_months", "first_report_month_end",
                    "first_report_day_of_month"]

EVENT_TYPES: tuple[str, ...] = ("Annual Report", "Franchise Tax", "RA Renewal", "BOI Report", "Other")
KINDS: tuple[str, ...] = ("llc", "corporation", "nonprofit")
STATES: tuple[str, ...] = (
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY",
    "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH",
    "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY",
)
FIRST_RULES: frozenset[str] = frozenset(FirstRule.__args__)  # type: ignore[attr-defined]
EVERY_YEARS = {"annual": 1, "biennial": 2, "quinquennial": 5}
RECURRENCE = {"annual": "Annual", "biennial": "Biennial", "quinquennial": "Every 5 years"}


def _month_day(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    month, _, day = value.partition("-")
    parsed = (int(month), int(day))
    date(2024, *parsed)  # a leap year, so "02-29" is accepted; raises for "13-01" or "04-31"
    return parsed


class ObligationRule(BaseModel):
    """One row of the data file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    state: str
    kinds: tuple[Kind, ...] = Field(min_length=1)
    event_type: EventType
    title: str = Field(min_length=1)
    first_title: str = ""  # the official name of the one-off first filing of a first_report_* rule
    frequency: Frequency
    rule: RecurringRule | FirstRule | Literal["none"]
    then: RecurringRule | None = None
    month: int | None = Field(default=None, ge=1, le=12)
    day: int | None = Field(default=None, ge=1, le=31)
    day_then: int | None = Field(default=None, ge=1, le=31)  # the `then` rule's day when `day` is the first's
    days: int | None = Field(default=None, ge=0)
    months: int | None = Field(default=None, ge=0)
    offset_months: int = Field(default=0, ge=-11, le=11)
    anchor: Literal["formation", "formation_next"] | int = "formation"
    starts: Literal["next_year", "after_formation"] = "next_year"
    late_formation_cutoff: str | None = None
    initial_unless_formed_after: str | None = None
    fee: float | None = Field(default=None, ge=0)
    fee_note: str = ""
    agency: str = ""
    source: str = Field(min_length=1)
    checked: str = Field(min_length=1)
    status: Literal["verified", "needs_review"]
    note: str = ""

    @field_validator("state")
    @classmethod
    def _known_state(cls, value: str) -> str:
        if value not in STATES:
            raise ValueError(f"unknown state {value!r}")
        return value

    @field_validator("late_formation_cutoff", "initial_unless_formed_after")
    @classmethod
    def _mm_dd(cls, value: str | None) -> str | None:
        _month_day(value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.frequency == "none") != (self.rule == "none"):
            raise ValueError("frequency 'none' goes with rule 'none' and only with it")
        if self.rule == "none":
            return self
        recurring = self.then if self.rule in FIRST_RULES else self.rule
        if self.rule in FIRST_RULES:
            if self.then is None:
                raise ValueError(f"{self.rule} needs `then`, the rule of the recurring filings")
            needs = {"first_report_within_days": ("days",), "first_report_within_months": ("months",),
                     "first_report_month_end": ("months",), "first_report_day_of_month": ("months", "day")}
            for name in needs[self.rule]:
                if getattr(self, name) is None:
                    raise ValueError(f"{self.rule} needs `{name}`")
        elif self.then is not None or self.initial_unless_formed_after is not None or self.first_title:
            raise ValueError("`then`, `first_title` and `initial_unless_formed_after` only go with first_report_*")
        if recurring == "fixed":
            if self.month is None or self.recurring_day is None:
                raise ValueError("a fixed rule needs `month` and `day`")
            date(2024, self.month, self.recurring_day)  # day exists in that month (29 Feb in leap years)
        if recurring == "biennial_anniversary" and self.frequency != "biennial":
            raise ValueError("biennial_anniversary goes with frequency 'biennial'")
        if self.late_formation_cutoff is not None and recurring != "fixed":
            raise ValueError("late_formation_cutoff only goes with fixed dates")
        return self

    @property
    def recurring_rule(self) -> str:
        return str(self.then if self.rule in FIRST_RULES else self.rule)

    @property
    def recurring_day(self) -> int | None:
        # For first_report_day_of_month `day` is the first filing's day; `day_then` then names the series day.
        return self.day_then if self.day_then is not None else self.day

    @property
    def every(self) -> int:
        return EVERY_YEARS[self.frequency]


class Obligation(BaseModel):
    """A filing an entity owes: what the Compliance Calendar records."""

    model_config = ConfigDict(frozen=True)

    state: str
    kind: Kind
    event_type: EventType
    title: str
    due_date: date
    recurrence: str  # "Annual" | "Biennial" | "Every 5 years" | "" (a one-off first filing)
    anchor_day: int | None
    agency: str
    fee: float | None
    fee_note: str
    source: str
    status: Literal["verified", "needs_review"]
    note: str


# --- dates ----------------------------------------------------------------------------------------------

def _clip(year: int, month: int, day: int) -> date:
    """The day in that month, or the month's last day when the month is shorter (29 Feb -> 28 Feb)."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _shift(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _recurring_dates(row: ObligationRule, formed: date) -> Iterator[date]:
    """The recurring due dates of `row`, in order, without end."""
    kind, every = row.recurring_rule, row.every
    if kind == "fixed":
        assert row.month is not None and row.recurring_day is not None
        month, day = row.month, row.recurring_day
        if row.starts == "next_year":
            year = formed.year + 1
        else:
            year = formed.year if _clip(formed.year, month, day) > formed else formed.year + 1
        cutoff = _month_day(row.late_formation_cutoff)
        if cutoff is not None and formed > date(formed.year, *cutoff):
            year += 1  # formed late in the year: the first filing skips a year
        if every > 1:
            anchor = {"formation": formed.year, "formation_next": formed.year + 1}.get(str(row.anchor))
            anchor_year = anchor if anchor is not None else int(row.anchor)
            year += (anchor_year - year) % every  # the first year of the cycle at or after `year`
        while True:
            yield _clip(year, month, day)
            year += every
    year = formed.year + every
    while True:
        if kind == "anniversary_date":
            yield _clip(year, formed.month, formed.day)
        elif kind == "anniversary_month_start":
            yield date(year, formed.month, 1)
        elif kind in ("anniversary_month_end", "biennial_anniversary"):
            yield _month_end(*_shift(year, formed.month, row.offset_months))
        elif kind == "anniversary_quarter":
            yield _month_end(year, (formed.month - 1) // 3 * 3 + 3)
        else:
            raise ValueError(f"unknown recurring rule {kind!r}")
        year += every


def _first_date(row: ObligationRule, formed: date) -> date | None:
    """The one-off first filing of a first_report_* row, or None when the row drops it for this formation."""
    skip_after = _month_day(row.initial_unless_formed_after)
    if skip_after is not None and formed > date(formed.year, *skip_after):
        return None
    months = row.months or 0
    if row.rule == "first_report_within_days":
        return formed + timedelta(days=row.days or 0)
    if row.rule == "first_report_within_months":
        return _clip(*_shift(formed.year, formed.month, months), formed.day) + timedelta(days=row.days or 0)
    if row.rule == "first_report_month_end":
        return _month_end(*_shift(formed.year, formed.month, months))
    if row.rule == "first_report_day_of_month":
        assert row.day is not None
        return _clip(*_shift(formed.year, formed.month, months), row.day)
    raise ValueError(f"{row.rule!r} is not a first-report rule")


def schedule(row: ObligationRule, formed: date) -> Iterator[tuple[date, bool]]:
    """(due date, is the one-off first filing) in date order, without end; nothing for frequency 'none'."""
    if row.rule == "none":
        return
    after = formed
    if row.rule in FIRST_RULES:
        first = _first_date(row, formed)
        if first is not None:
            yield first, True
            after = first
    for due in _recurring_dates(row, formed):
        if due > after:
            yield due, False


def _anchor_day(row: ObligationRule, formed: date) -> int:
    kind = row.recurring_rule
    if kind == "fixed":
        return int(row.recurring_day or 1)
    if kind == "anniversary_date":
        return formed.day
    if kind == "anniversary_month_start":
        return 1
    return 31  # month-end and quarter-end rules: the series returns to the month's last day


# --- data -----------------------------------------------------------------------------------------------

def _data_path() -> Path:
    return Path(str(resources.files("pwcore"))) / "data" / "entity_obligations.toml"


@lru_cache(maxsize=4)
def load_rules(path: Path | None = None) -> tuple[ObligationRule, ...]:
    """Every row of the data file, validated; raises ValueError when a state and kind has no row."""
    with open(path or _data_path(), "rb") as fh:
        raw = tomllib.load(fh)
    rows = tuple(ObligationRule.model_validate(item) for item in raw.get("obligation", []))
    covered = {(row.state, kind) for row in rows for kind in row.kinds}
    missing = [f"{state}/{kind}" for state in STATES for kind in KINDS if (state, kind) not in covered]
    if missing:
        raise ValueError(f"entity obligations missing for: {', '.join(missing)}")
    return rows


def rules_for(state: str, kind: str) -> list[ObligationRule]:
    """The rows for a state and entity kind, including 'none' rows that say the state has no filing."""
    state = state.strip().upper()
    if state not in STATES:
        raise ValueError(f"unknown state {state!r}")
    if kind not in KINDS:
        raise ValueError(f"unknown entity kind {kind!r}; expected one of {', '.join(KINDS)}")
    return [row for row in load_rules() if row.state == state and kind in row.kinds]


def obligations_for(state: str, kind: str, formed_on: date, as_of: date | None = None) -> list[Obligation]:
    """The filings owed by an entity of `kind` formed in `state` on `formed_on`, by due date.

    Without `as_of`: each filing's first due date after formation. With `as_of`: the next due date on or after
    it (a first filing already past is left out).
    """
    found: list[Obligation] = []
    for row in rules_for(state, kind):
        since = as_of or formed_on
        initial: date | None = None
        recurring: date | None = None
        for due, is_first in schedule(row, formed_on):
            if is_first:
                initial = due
                continue
            if due >= since:  # the series is endless and ascending, so this ends
                recurring = due
                break
        common = {"state": row.state, "kind": kind, "event_type": row.event_type, "agency": row.agency,
                  "fee": row.fee, "fee_note": row.fee_note, "source": row.source, "status": row.status,
                  "note": row.note}
        if initial is not None and (as_of is None or initial >= as_of):
            found.append(Obligation(title=row.first_title or f"{row.title} (first filing)", due_date=initial,
                                    recurrence="",
                                    anchor_day=None, **common))
        if recurring is not None:
            found.append(Obligation(title=row.title, due_date=recurring, recurrence=RECURRENCE[row.frequency],
                                    anchor_day=_anchor_day(row, formed_on), **common))
    return sorted(found, key=lambda o: (o.due_date, o.event_type, o.title))
