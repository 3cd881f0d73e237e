"""Concurrent calls released at once, for the tests of exactly-once rules (a unique module name: no clash with the
conftests)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def race(n: int, work: Callable[[int], T], timeout: float | None = None) -> list[T]:
    """`work(i)` for i in range(n), on n threads that a barrier releases together. The results in the order the
    calls returned; a call that raised adds none (its thread's exception is reported by pytest)."""
    barrier = threading.Barrier(n)
    out: list[T] = []

    def run(i: int) -> None:
        barrier.wait()
        out.append(work(i))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return out
