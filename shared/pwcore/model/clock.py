"""Time as ERPNext sees it: naive wall-clock timestamps in the site's time zone (pure)."""

from __future__ import annotations

import datetime as dt
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

FMT = "%Y-%m-%d %H:%M:%S.%f"


def erpnext_now(tz: str) -> datetime:
    """Now as ERPNext writes `modified`: a naive wall-clock time in the site's time zone."""
    return datetime.now(ZoneInfo(tz)).replace(tzinfo=None)


def parse_modified(value: str) -> datetime:
    return datetime.fromisoformat(value.replace(" ", "T"))


def lease_expired(doc: dict[str, Any], lease_s: int, tz: str) -> bool:
    return erpnext_now(tz) - parse_modified(str(doc["modified"])) > timedelta(seconds=lease_s)


# -- pure rules --------------------------------------------------------------------------------------------
def today_in(time_zone: str, now: dt.datetime | None = None) -> dt.date:
    """The calendar date in `time_zone` at `now` (an aware datetime; default: the current instant)."""
    instant = now if now is not None else dt.datetime.now(dt.UTC)
    if instant.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return instant.astimezone(ZoneInfo(time_zone)).date()


def parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


