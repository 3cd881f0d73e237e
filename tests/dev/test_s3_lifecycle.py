"""The S3 stand-in's lifecycle configuration behaves as S3 and MinIO: one document per bucket, a PUT replaces it
whole, GET without one is "none", two rules with one ID are refused."""

from __future__ import annotations

import pytest
from minio.commonconfig import ENABLED, Filter
from minio.error import S3Error
from minio.lifecycleconfig import Expiration, LifecycleConfig, Rule

from pwdev.s3 import S3Server


def rule(rule_id: str, prefix: str, days: int) -> Rule:
    return Rule(ENABLED, rule_filter=Filter(prefix=prefix), rule_id=rule_id, expiration=Expiration(days=days))


def test_put_replaces_the_whole_configuration() -> None:
    with S3Server(bucket="pw-lifecycle-standin") as s3:
        client = s3.client()
        assert client.get_bucket_lifecycle(s3.bucket) is None  # NoSuchLifecycleConfiguration
        client.set_bucket_lifecycle(s3.bucket, LifecycleConfig([rule("a", "a/", 3), rule("b", "b/", 4)]))
        first = client.get_bucket_lifecycle(s3.bucket)
        assert first is not None
        assert [(r.rule_id, r.rule_filter.prefix if r.rule_filter else None) for r in first.rules] == [
            ("a", "a/"), ("b", "b/")]
        client.set_bucket_lifecycle(s3.bucket, LifecycleConfig([rule("c", "c/", 365)]))
        second = client.get_bucket_lifecycle(s3.bucket)
        assert second is not None
        # "a" and "b" are gone: replaced, not merged.
        assert [(r.rule_id, r.rule_filter.prefix if r.rule_filter else None,
                 r.expiration.days if r.expiration else None) for r in second.rules] == [("c", "c/", 365)]
        with pytest.raises(S3Error) as refused:
            client.set_bucket_lifecycle(s3.bucket, LifecycleConfig([rule("x", "a/", 3), rule("x", "b/", 3)]))
        assert refused.value.code == "InvalidArgument"
        after = client.get_bucket_lifecycle(s3.bucket)
        assert after is not None and [r.rule_id for r in after.rules] == ["c"]  # a refused PUT changes nothing
        client.delete_bucket_lifecycle(s3.bucket)
        assert client.get_bucket_lifecycle(s3.bucket) is None
