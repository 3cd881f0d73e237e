"""Access-log keys: one folder per UTC day and order, time-sorted names, nothing but checked names and hex."""

from __future__ import annotations

import datetime as dt

import pytest

from pwcore.model import layout
from pwcore.model.doctypes import UnsafeName

NOON = dt.datetime(2026, 3, 1, 12, 0, 5, 123456, tzinfo=dt.UTC)


def test_key_layout() -> None:
    key = layout.access_log_key(NOON, "FO-2026-0001", "presign", "ab" * 16)
    assert key == f"access-log/2026/03/01/FO-2026-0001/120005123-presign-{'ab' * 16}.json"
    assert key.startswith(layout.access_log_order_prefix(NOON.date(), "FO-2026-0001"))
    assert key.startswith(layout.access_log_day_prefix(NOON.date())) and key.startswith(layout.ACCESS_LOG_PREFIX)
    # The folder is the UTC day: 20:00 in Chicago on Feb 28 is Mar 1 in UTC.
    chicago = dt.datetime(2026, 2, 28, 20, 0, tzinfo=dt.timezone(dt.timedelta(hours=-6)))
    assert layout.access_log_key(chicago, "CS-2026-0002", "delivery", "0" * 16).startswith(
        "access-log/2026/03/01/CS-2026-0002/020000000-delivery-")
    earlier = layout.access_log_key(NOON - dt.timedelta(milliseconds=1), "FO-2026-0001", "resend", "f" * 16)
    assert earlier < key  # names sort by time within the day


@pytest.mark.parametrize(("order", "event", "event_id"), [
    ("../backups", "presign", "ab" * 8), ("FO-2026-0001/..", "presign", "ab" * 8), ("123-45-6789", "presign", "ab" * 8),
    ("FO-2026-0001", "download", "ab" * 8), ("FO-2026-0001", "presign", "XYZ"), ("FO-2026-0001", "presign", "a/b"),
])
def test_bad_parts_are_refused(order: str, event: str, event_id: str) -> None:
    with pytest.raises((UnsafeName, ValueError)):
        layout.access_log_key(NOON, order, event, event_id)


def test_naive_times_are_refused_and_the_log_is_never_served() -> None:
    with pytest.raises(ValueError, match="time zone"):
        layout.access_log_key(dt.datetime(2026, 3, 1, 12), "FO-2026-0001", "presign", "ab" * 8)
    with pytest.raises(UnsafeName):
        layout.check_key("access-log/2026/03/01/FO-2026-0001/x.json", "orders/FO-2026-0001/v1/")
