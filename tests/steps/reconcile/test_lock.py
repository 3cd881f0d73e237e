"""The sweep's S3 lock: one holder at a time, an expired lock taken over by exactly one sweep, and a sweep
that lost its lock does not delete the new holder's."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from races import race

from pwcore.clients.s3 import Storage
from pwcore.orders.commission_ledger import CommissionSettings
from pwcore.steps.reconcile import LOCK_KEY, Reconciler, ReconcileSettings


def reconciler(storage: Storage) -> Reconciler:
    # Only the lock is exercised: ERPNext and the dispatcher are not touched.
    none: Any = None
    return Reconciler(none, storage, none, ReconcileSettings(lock_ttl_s=60), CommissionSettings())


def storage_for(s3: Any, bucket: str) -> Storage:
    storage = Storage(s3.endpoint, s3.access_key, s3.secret_key, bucket)
    storage.ensure_bucket()
    return storage


def race_for_the_lock(storage: Storage, n: int) -> list[bool]:
    sweeps = [reconciler(storage) for _ in range(n)]
    return race(n, lambda i: sweeps[i]._acquire(f"sweep-{i}"))


def test_one_holder_of_a_free_lock(s3: Any) -> None:
    assert sorted(race_for_the_lock(storage_for(s3, "pw-lock-free"), 6)) == [False] * 5 + [True]


def test_expired_lock_taken_over_by_exactly_one(s3: Any) -> None:
    storage = storage_for(s3, "pw-lock-expired")
    stale = {"holder": "dead-sweep", "state": "sweeping", "at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat()}
    storage.put_bytes(LOCK_KEY, json.dumps(stale).encode())
    assert sorted(race_for_the_lock(storage, 6)) == [False] * 5 + [True]
    assert json.loads(storage.get_bytes(LOCK_KEY))["holder"].startswith("sweep-")


def test_release_leaves_another_holders_lock(s3: Any) -> None:
    storage = storage_for(s3, "pw-lock-release")
    slow = reconciler(storage)
    assert slow._acquire("slow")
    storage.put_bytes(LOCK_KEY, json.dumps({"holder": "new-holder", "state": "sweeping",
                                            "at": datetime.now(UTC).isoformat()}).encode())
    slow._release()
    assert json.loads(storage.get_bytes(LOCK_KEY))["holder"] == "new-holder"
    fresh = reconciler(storage_for(s3, "pw-lock-release-2"))
    assert fresh._acquire("x")
    fresh._release()
    assert not fresh.storage.exists(LOCK_KEY)
