"""The bucket's lifecycle rules: the one composition of every age-based rule the pipeline wants (pure).

An S3 (and MinIO) bucket has ONE lifecycle configuration: PutBucketLifecycleConfiguration replaces the whole
document. So no command may write only "its" rules: whatever sets lifecycle (backup's `mode=lifecycle`) writes
`bucket_rules()`, the backups' rules and the access log's together (`pwcore.clients.s3_lifecycle` does the PUT
and keeps rules that are not ours). Every rule id starts with `pw-`, which is how ours are told apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from pwcore.model.layout import ACCESS_LOG_PREFIX, ACCESS_LOG_RETENTION_DAYS, BACKUPS_PREFIX

RULE_ID_PREFIX = "pw-"
# Age-based approximations of the backup retention (pwcore.steps.backup.plan_retention keeps backups by count).
BACKUP_DAILY_DAYS = 31
BACKUP_MONTHLY_DAYS = 366
BACKUP_INCOMING_DAYS = 1


@dataclass(frozen=True)
class LifecycleRule:
    id: str
    prefix: str
    expire_days: int | None = None
    abort_multipart_days: int | None = None

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "prefix": self.prefix, "expire_days": self.expire_days,
                "abort_multipart_days": self.abort_multipart_days}


def backup_rules(prefix: str = BACKUPS_PREFIX.rstrip("/")) -> list[LifecycleRule]:
    """Dailies 31 days, monthlies 366, staging objects a day; yearlies are kept (no rule)."""
    return [
        LifecycleRule("pw-backups-daily", f"{prefix}/daily/", expire_days=BACKUP_DAILY_DAYS),
        LifecycleRule("pw-backups-monthly", f"{prefix}/monthly/", expire_days=BACKUP_MONTHLY_DAYS),
        LifecycleRule("pw-backups-incoming", f"{prefix}/incoming/", expire_days=BACKUP_INCOMING_DAYS),
        LifecycleRule("pw-backups-abort-multipart", f"{prefix}/", abort_multipart_days=1),
    ]


def access_log_rules() -> list[LifecycleRule]:
    """The access log is kept a year, then the store deletes it (single-part PUTs: no multipart rule)."""
    return [LifecycleRule("pw-access-log", ACCESS_LOG_PREFIX, expire_days=ACCESS_LOG_RETENTION_DAYS)]


def bucket_rules(backup_prefix: str = BACKUPS_PREFIX.rstrip("/")) -> list[LifecycleRule]:
    """Every rule of the bucket that is ours, in one list: what a lifecycle PUT must contain."""
    rules = backup_rules(backup_prefix) + access_log_rules()
    ids = [r.id for r in rules]
    assert len(ids) == len(set(ids)) and all(i.startswith(RULE_ID_PREFIX) for i in ids)
    return rules
