"""The bucket's lifecycle configuration through the minio SDK: read it, and replace it with ours.

PutBucketLifecycleConfiguration replaces the whole document (AWS and MinIO alike), so `apply_rules` reads the
current configuration first and keeps every rule whose id is not ours (`pw-...`, pwcore.model.lifecycle), e.g.
one an operator added by hand; ours are replaced by the given list as a whole. Read-modify-write is not atomic:
two operators applying at the same moment may lose each other's foreign rule; ours are rewritten either way.
"""

from __future__ import annotations

from minio.commonconfig import ENABLED, Filter
from minio.lifecycleconfig import AbortIncompleteMultipartUpload, Expiration, LifecycleConfig, Rule

from pwcore.clients.s3 import Storage
from pwcore.model.lifecycle import RULE_ID_PREFIX, LifecycleRule


def to_minio(rule: LifecycleRule) -> Rule:
    return Rule(ENABLED, rule_filter=Filter(prefix=rule.prefix), rule_id=rule.id,
                expiration=Expiration(days=rule.expire_days) if rule.expire_days else None,
                abort_incomplete_multipart_upload=(AbortIncompleteMultipartUpload(
                    days_after_initiation=rule.abort_multipart_days) if rule.abort_multipart_days else None))


def config_of(rules: list[LifecycleRule]) -> LifecycleConfig:
    return LifecycleConfig([to_minio(r) for r in rules])


def describe(config: LifecycleConfig | None) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for rule in config.rules if config else []:
        out.append({"id": rule.rule_id, "prefix": rule.rule_filter.prefix if rule.rule_filter else None,
                    "expire_days": rule.expiration.days if rule.expiration else None,
                    "abort_multipart_days": (rule.abort_incomplete_multipart_upload.days_after_initiation
                                             if rule.abort_incomplete_multipart_upload else None)})
    return out


def current(storage: Storage) -> LifecycleConfig | None:
    """The bucket's configuration, or None when it has none."""
    config: LifecycleConfig | None = storage._retry(storage.client.get_bucket_lifecycle, storage.bucket)
    return config


def apply_rules(storage: Storage, rules: list[LifecycleRule]) -> LifecycleConfig:
    """Replace our rules by `rules`, keep the others; returns the configuration written."""
    existing = current(storage)
    foreign = [r for r in (existing.rules if existing else []) if not str(r.rule_id or "").startswith(RULE_ID_PREFIX)]
    config = LifecycleConfig([*foreign, *(to_minio(r) for r in rules)])
    storage._retry(storage.client.set_bucket_lifecycle, storage.bucket, config)
    return config
