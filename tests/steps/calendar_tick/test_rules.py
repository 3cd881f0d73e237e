"""Pure date rules: the ERPNext time zone, window edges, leap years and month ends."""

from __future__ import annotations

import datetime as dt

import pytest

from pwcore.model.clock import today_in
from pwcore.steps.calendar_tick import DUE_SOON, OVERDUE, UPCOMING, next_due, status_for

UTC = dt.UTC


@pytest.mark.parametrize("now, expected", [
    (dt.datetime(2026, 3, 1, 5, 30, tzinfo=UTC), dt.date(2026, 2, 28)),  # 23:30 CST: UTC is already March 1
    (dt.datetime(2026, 3, 1, 6, 0, tzinfo=UTC), dt.date(2026, 3, 1)),  # midnight CST
    (dt.datetime(2026, 7, 1, 4, 30, tzinfo=UTC), dt.date(2026, 6, 30)),  # 23:30 CDT (UTC-5)
    (dt.datetime(2027, 1, 1, 5, 59, tzinfo=UTC), dt.date(2026, 12, 31)),  # new year in UTC only
])
def test_today_is_the_chicago_date(now: dt.datetime, expected: dt.date) -> None:
    assert today_in("America/Chicago", now) == expected
    assert now.date() != expected or now.hour >= 5


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError):
        today_in("America/Chicago", dt.datetime(2026, 1, 1))


def test_window_edges() -> None:
    today = dt.date(2028, 2, 28)  # leap year: Feb 29 exists
    assert status_for(today - dt.timedelta(days=1), today, 30) == OVERDUE
    assert status_for(today, today, 30) == DUE_SOON
    assert status_for(dt.date(2028, 3, 29), today, 30) == DUE_SOON  # today + 30 across Feb 29
    assert status_for(dt.date(2028, 3, 30), today, 30) == UPCOMING


@pytest.mark.parametrize("due, recurrence, expected", [
    (dt.date(2028, 1, 31), "Monthly", dt.date(2028, 2, 29)),
    (dt.date(2027, 1, 31), "Monthly", dt.date(2027, 2, 28)),
    (dt.date(2028, 2, 29), "Annual", dt.date(2029, 2, 28)),
    (dt.date(2027, 11, 30), "Quarterly", dt.date(2028, 2, 29)),
    (dt.date(2027, 12, 31), "Monthly", dt.date(2028, 1, 31)),
    (dt.date(2027, 3, 31), "Quarterly", dt.date(2027, 6, 30)),
])
def test_next_due_clips_to_month_end(due: dt.date, recurrence: str, expected: dt.date) -> None:
    assert next_due(due, recurrence) == expected


def test_unknown_recurrence() -> None:
    with pytest.raises(ValueError):
        next_due(dt.date(2027, 1, 1), "Weekly")


def test_series_keeps_its_anchor_day_after_a_clipped_month() -> None:
    # A monthly filing due on the 31st: February clips it, March brings it back to the month's end.
    feb = next_due(dt.date(2027, 1, 31), "Monthly", anchor_day=31)
    assert feb == dt.date(2027, 2, 28)
    assert next_due(feb, "Monthly", anchor_day=31) == dt.date(2027, 3, 31)
    assert next_due(dt.date(2027, 3, 31), "Monthly", anchor_day=31) == dt.date(2027, 4, 30)
    assert next_due(dt.date(2027, 11, 30), "Quarterly", anchor_day=30) == dt.date(2028, 2, 29)
    assert next_due(dt.date(2028, 2, 29), "Annual", anchor_day=29) == dt.date(2029, 2, 28)
    assert next_due(dt.date(2029, 2, 28), "Annual", anchor_day=29) == dt.date(2030, 2, 28)
    assert next_due(dt.date(2027, 2, 28), "Monthly") == dt.date(2027, 3, 28)  # no anchor: plain relativedelta
