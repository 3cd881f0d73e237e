"""One claim mechanism on S3: one winner, holder-only advance and release, and a stale claim taken over by
exactly one caller, any number of times (a taker that dies too can itself be taken over)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from races import race

from pwcore.clients.claims import Claim, Claims, Held
from pwcore.clients.s3 import Storage


def storage_for(s3: Any, bucket: str) -> Storage:
    storage = Storage(s3.endpoint, s3.access_key, s3.secret_key, bucket)
    storage.ensure_bucket()
    return storage


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def test_one_winner_and_the_others_see_the_claim(s3: Any) -> None:
    claims = Claims(storage_for(s3, "pw-claims-one"))
    results = race(6, lambda _: claims.acquire("work/a.json", lease_s=60))
    won = [r for r in results if isinstance(r, Claim)]
    held = [r for r in results if isinstance(r, Held)]
    assert len(won) == 1 and len(held) == 5
    assert all(h.claim is not None and h.claim.holder == won[0].holder and not h.stale for h in held)


def test_advance_and_release_are_the_holders(s3: Any) -> None:
    claims = Claims(storage_for(s3, "pw-claims-adv"))
    mine = claims.acquire("work/b.json", lease_s=60, state="sending", data={"message_id": "<m@x>"})
    assert isinstance(mine, Claim)
    sent = claims.advance(mine, "sent")
    seen = claims.read("work/b.json")
    assert seen is not None and seen.state == "sent" and seen.data["message_id"] == "<m@x>"
    impostor = Claim("work/b.json", "someone-else", "sent", sent.at)
    assert not claims.release(impostor)
    assert claims.release(sent) and claims.read("work/b.json") is None


def test_a_stale_claim_is_taken_over_once_and_again_when_the_taker_dies(s3: Any) -> None:
    clock = Clock()
    claims = Claims(storage_for(s3, "pw-claims-stale"), clock=clock)
    first = claims.acquire("work/c.json", lease_s=60)
    assert isinstance(first, Claim)
    clock.now += timedelta(minutes=5)  # the first holder died
    seen = claims.acquire("work/c.json", lease_s=60)
    assert isinstance(seen, Held) and seen.stale and seen.claim is not None
    stale = seen.claim
    takers = race(6, lambda _: claims.take_over(stale))
    winners = [t for t in takers if t is not None]
    assert len(winners) == 1
    again = claims.acquire("work/c.json", lease_s=60)
    assert isinstance(again, Held) and not again.stale  # the taker's claim is fresh
    clock.now += timedelta(minutes=5)  # the taker died too: its claim is stale and can be taken over again
    later = claims.acquire("work/c.json", lease_s=60)
    assert isinstance(later, Held) and later.stale and later.claim is not None
    assert later.claim.holder == winners[0].holder
    assert claims.take_over(later.claim) is not None


def test_an_unreadable_claim_counts_as_stale(s3: Any) -> None:
    storage = storage_for(s3, "pw-claims-bad")
    storage.put_bytes("work/d.json", b"not json")
    seen = Claims(storage).acquire("work/d.json", lease_s=60)
    assert isinstance(seen, Held) and seen.stale
