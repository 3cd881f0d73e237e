"""Retention: 30 daily, 12 monthly, yearly forever; promotion of the first backup of a month / year."""

from __future__ import annotations

import datetime as dt
from typing import Any

from minio.commonconfig import ENABLED

from pwcore.clients.s3 import Storage
from pwcore.steps.backup import (
    BackupSettings,
    apply_lifecycle,
    apply_retention,
    backup_key,
    lifecycle_config,
    parse_key,
    plan_retention,
)

START = dt.date(2024, 1, 1)  # a leap year inside the span
DAYS = 800


def _simulate_daily(prefix: str) -> tuple[set[str], int]:
    """Run the rule the way cron does: one backup a day, then retention, for 800 days (in memory)."""
    s = BackupSettings(prefix=prefix)
    present: set[str] = set()
    deleted_newest = 0
    for i in range(DAYS):
        present.add(backup_key(s, "daily", START + dt.timedelta(days=i)))
        plan = plan_retention(present, prefix)
        for _src, dst in plan.promote:
            present.add(dst)
        newest = max(k for k in present if "/daily/" in k)
        deleted_newest += newest in plan.delete
        present -= set(plan.delete)
    return present, deleted_newest


def _by_kind(keys: set[str] | list[str]) -> dict[str, list[dt.date]]:
    out: dict[str, list[dt.date]] = {"daily": [], "monthly": [], "yearly": []}
    for k in keys:
        ref = parse_key(k)
        assert ref is not None
        out[ref.kind].append(ref.day)
    return {k: sorted(v) for k, v in out.items()}


def test_800_days_day_by_day_gives_30_12_and_years() -> None:
    present, deleted_newest = _simulate_daily("backups")
    kinds = _by_kind(present)
    last = START + dt.timedelta(days=DAYS - 1)
    years = sorted({(START + dt.timedelta(days=i)).year for i in range(DAYS)})
    assert len(kinds["daily"]) == 30 and kinds["daily"][-1] == last
    assert kinds["daily"][0] == last - dt.timedelta(days=29)
    assert len(kinds["monthly"]) == 12
    assert all(d.day == 1 for d in kinds["monthly"])  # the first backup of each month
    assert kinds["monthly"][-1] == dt.date(last.year, last.month, 1)
    assert kinds["yearly"] == [dt.date(y, 1, 1) for y in years]  # 2024, 2025, 2026: forever
    assert len(present) == 30 + 12 + len(years)
    assert deleted_newest == 0


def test_missed_days_promote_first_existing_backup_of_month() -> None:
    s = BackupSettings()
    keys = {backup_key(s, "daily", d) for d in (dt.date(2025, 2, 3), dt.date(2025, 2, 10),
                                                dt.date(2025, 3, 31))}
    plan = plan_retention(keys, "backups")
    assert ("backups/daily/erpnext-2025-02-03.sql.gz.gpg",
            "backups/monthly/erpnext-2025-02-03.sql.gz.gpg") in plan.promote
    assert ("backups/daily/erpnext-2025-02-03.sql.gz.gpg",
            "backups/yearly/erpnext-2025-02-03.sql.gz.gpg") in plan.promote
    assert plan.delete == []
    # Idempotent: once promoted, nothing more to do.
    again = plan_retention(keys | {dst for _, dst in plan.promote}, "backups")
    assert again.promote == [] and again.delete == []


def test_unrelated_objects_are_ignored_never_deleted() -> None:
    keys = ["backups/daily/notes.txt", "backups/daily/erpnext-2025-13-01.sql.gz.gpg", "orders/x/v1/a.pdf"]
    plan = plan_retention(keys, "backups")
    assert plan.delete == [] and sorted(plan.ignored) == sorted(keys[:2])


def test_apply_on_s3_all_at_once_matches_rule_and_dry_run_deletes_nothing(storage: Storage,
                                                                          settings: BackupSettings) -> None:
    # 800 tiny objects (names are what retention reads), then one run: same end state as day by day.
    for i in range(DAYS):
        storage.put_bytes(backup_key(settings, "daily", START + dt.timedelta(days=i)), b"x")
    dry = apply_retention(storage, settings, dry_run=True)
    assert len([o for o in storage.list(f"{settings.prefix}/")]) == DAYS
    assert dry["counts"] == {"daily": 30, "monthly": 12, "yearly": 3, "deleted": DAYS - 30}
    real = apply_retention(storage, settings)
    assert real["deleted"] == dry["deleted"] and real["promoted"] == dry["promoted"]
    left = _by_kind([o.key for o in storage.list(f"{settings.prefix}/")])
    expected = _by_kind(_simulate_daily(settings.prefix)[0])
    assert left == expected
    # Promotion is a server-side copy: the monthly object has the daily's bytes.
    assert storage.get_bytes(backup_key(settings, "monthly", left["monthly"][-1])) == b"x"
    assert apply_retention(storage, settings)["deleted"] == []


def test_stale_staging_objects_are_cleaned(storage: Storage, settings: BackupSettings) -> None:
    storage.put_bytes(f"{settings.prefix}/incoming/abc.gpg", b"partial")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    assert apply_retention(storage, settings, now=later)["stale_incoming_deleted"] == [
        f"{settings.prefix}/incoming/abc.gpg"]
    assert not storage.exists(f"{settings.prefix}/incoming/abc.gpg")


def test_lifecycle_rules_applied(storage: Storage) -> None:
    config = lifecycle_config("backups")
    by_id = {r.rule_id: r for r in config.rules}
    daily, monthly = by_id["pw-backups-daily"].expiration, by_id["pw-backups-monthly"].expiration
    assert daily is not None and daily.days == 31
    assert monthly is not None and monthly.days == 366
    assert "pw-backups-yearly" not in by_id  # yearly: forever
    apply_lifecycle(storage, "backups")
    stored = storage.client.get_bucket_lifecycle(storage.bucket)
    assert stored is not None
    assert {r.rule_id for r in stored.rules} == set(by_id)
    assert all(r.status == ENABLED for r in stored.rules)
    storage.client.delete_bucket_lifecycle(storage.bucket)


def test_handler_backup_retention_and_dry_run(s3: Any, storage: Storage, settings: BackupSettings,
                                              monkeypatch: Any, tmp_path: Any) -> None:
    from pathlib import Path

    from pwcore.runtime import wiring
    from pwdev.runner import load_handler

    for k, v in s3.env().items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("SECRETS_DIR", str(tmp_path))
    (tmp_path / "backup-public-keys").write_text(settings.public_keys)
    monkeypatch.setenv("BACKUP_PREFIX", settings.prefix)
    monkeypatch.setenv("OPERATOR_TOKEN", "backup-operator-token-for-tests")
    wiring.reset()
    handler = load_handler(Path(__file__).parents[3] / "functions" / "backup")

    class Event:
        def __init__(self, body: bytes, query: dict[str, str], operator: bool = True) -> None:
            self.method, self.body, self.query, self.path = "POST", body, query, "/"
            self.headers = {"X-Call-Id": "test-call"}
            if operator:
                self.headers["Authorization"] = "Bearer backup-operator-token-for-tests"

    # Without the operator credential: no bytes, no mode, no dry run is accepted (nothing is written).
    before = sorted(o.key for o in storage.list(settings.prefix))
    for body, query in ((b"attacker-bytes", {}), (b"", {"mode": "retention"}), (b"", {"mode": "lifecycle"}),
                        (b"", {"dry_run": "1"})):
        assert handler.handle(Event(body, query, operator=False), None)["statusCode"] == 401
    assert sorted(o.key for o in storage.list(settings.prefix)) == before
    answer = handler.handle(Event(b"dump-bytes", {}), None)
    assert answer["statusCode"] == 200, answer
    assert answer["body"]["retention"]["counts"]["daily"] == 1
    assert answer["body"]["retention"]["counts"]["yearly"] == 1
    assert storage.exists(answer["body"]["backup"]["key"])
    assert handler.handle(Event(b"", {"mode": "nope"}), None)["statusCode"] == 400
    dry = handler.handle(Event(b"", {"mode": "lifecycle", "dry_run": "1"}), None)
    assert dry["statusCode"] == 200 and len(dry["body"]["rules"]) == 5  # 4 backup rules + the access log's year
    empty = handler.handle(Event(b"", {}), None)  # nothing posted and no source configured: a clear 400
    assert empty["statusCode"] == 400 and "BACKUP_SOURCE_URL" in empty["body"]["error"]
    wiring.reset()

