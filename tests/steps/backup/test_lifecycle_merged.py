"""The bucket's lifecycle rules live together: applying them (backup's `mode=lifecycle`) writes the backups' and
the access log's rules in one document, keeps an operator's own rule, and never drops one set for the other."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from minio.commonconfig import ENABLED, Filter
from minio.lifecycleconfig import Expiration, LifecycleConfig, Rule

from pwcore.clients import s3_lifecycle
from pwcore.clients.s3 import Storage
from pwcore.model.layout import ACCESS_LOG_PREFIX, ACCESS_LOG_RETENTION_DAYS
from pwcore.model.lifecycle import access_log_rules, backup_rules, bucket_rules
from pwcore.steps.backup import BackupSettings, run_mode


@pytest.fixture()
def clean(storage: Storage) -> Iterator[Storage]:
    storage.client.delete_bucket_lifecycle(storage.bucket)
    yield storage
    storage.client.delete_bucket_lifecycle(storage.bucket)


def stored(storage: Storage) -> dict[str, dict[str, object]]:
    return {str(r["id"]): r for r in s3_lifecycle.describe(s3_lifecycle.current(storage))}


def test_one_composition_holds_both_sets() -> None:
    ids = [r.id for r in bucket_rules("backups")]
    assert ids == [r.id for r in backup_rules("backups")] + [r.id for r in access_log_rules()]
    assert len(ids) == len(set(ids))
    [log_rule] = access_log_rules()
    assert (log_rule.prefix, log_rule.expire_days) == (ACCESS_LOG_PREFIX, ACCESS_LOG_RETENTION_DAYS) == (
        "access-log/", 365)


def test_backup_lifecycle_mode_writes_both_sets_and_keeps_an_operators_rule(clean: Storage,
                                                                           settings: BackupSettings) -> None:
    # Before: an operator's own rule, and an older set of ours with a rule that no longer exists.
    clean.client.set_bucket_lifecycle(clean.bucket, LifecycleConfig([
        Rule(ENABLED, rule_filter=Filter(prefix="tmp/"), rule_id="ops-tmp", expiration=Expiration(days=7)),
        Rule(ENABLED, rule_filter=Filter(prefix="old/"), rule_id="pw-retired", expiration=Expiration(days=1))]))
    answer = run_mode(clean, settings, "lifecycle", dry_run=False, body=b"")
    rules = stored(clean)
    assert set(rules) == {"ops-tmp", *(r.id for r in bucket_rules(settings.prefix))}  # pw-retired replaced
    assert rules["pw-access-log"] == {"id": "pw-access-log", "prefix": "access-log/", "expire_days": 365,
                                      "abort_multipart_days": None}
    assert rules["pw-backups-daily"]["prefix"] == f"{settings.prefix}/daily/"
    assert rules["ops-tmp"]["expire_days"] == 7
    assert {r["id"] for r in answer["rules"]} == set(rules)
    # Applying again (a retry, a second operator) changes nothing and duplicates nothing.
    run_mode(clean, settings, "lifecycle", dry_run=False, body=b"")
    assert stored(clean) == rules


def test_applying_the_bucket_rules_after_only_one_set_restores_the_other(clean: Storage) -> None:
    """The failure this design prevents: a PUT of one set (as the old backup code did) drops the other set."""
    s3_lifecycle.apply_rules(clean, backup_rules("backups"))
    assert "pw-access-log" not in stored(clean)  # what a one-set PUT leaves
    s3_lifecycle.apply_rules(clean, bucket_rules("backups"))
    assert {"pw-access-log", "pw-backups-daily", "pw-backups-monthly"} <= set(stored(clean))


def test_a_dry_run_shows_the_composed_rules_and_writes_nothing(clean: Storage, settings: BackupSettings) -> None:
    answer = run_mode(clean, settings, "lifecycle", dry_run=True, body=b"")
    assert [r["id"] for r in answer["rules"]] == [r.id for r in bucket_rules(settings.prefix)]
    assert s3_lifecycle.current(clean) is None
