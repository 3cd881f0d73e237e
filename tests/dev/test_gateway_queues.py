"""Named queues in the local gateway (`com.openfaas.queue`): a function annotated with a queue has its async
calls served only by that queue's workers, with their own concurrency, so a saturated named queue never delays
the default queue; a named queue nobody serves keeps its messages, as a NATS channel without a subscriber."""

from __future__ import annotations

import time

import httpx

from pwdev.gateway import DEFAULT_QUEUE, QUEUE_ANNOTATION, Gateway
from pwdev.procs import FunctionProcess


def _wait(predicate: object, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.01)
    return False


def test_named_queue_has_its_own_workers_and_never_blocks_the_default(fn: FunctionProcess) -> None:
    with Gateway(workers=1, queues={"llm-queue": 1}) as gw:
        gw.register("fast", fn.url)
        gw.register("slow", fn.url, {QUEUE_ANNOTATION: "llm-queue"})
        assert (gw.queue_of("slow"), gw.queue_of("fast"), gw.queue_of("slow.openfaas-fn")) == (
            "llm-queue", DEFAULT_QUEUE, "llm-queue")
        slow = [httpx.post(f"{gw.url}/async-function/slow/sleep?s=1.5", content=b"") for _ in range(3)]
        assert [r.status_code for r in slow] == [202, 202, 202]
        assert _wait(lambda: gw.queue_stats("llm-queue")["inflight"] == 1)
        started = time.monotonic()
        fast = httpx.post(f"{gw.url}/async-function/fast/sleep?s=0.01", content=b"")
        assert fast.status_code == 202
        fast_id = fast.headers["x-call-id"]
        assert _wait(lambda: any(r.call_id == fast_id for r in gw.results), timeout=5)
        assert time.monotonic() - started < 1.0  # not behind 4.5 s of slow calls
        llm = gw.queue_stats("llm-queue")
        assert llm["workers"] == 1 and llm["inflight"] == 1 and llm["pending"] == 2  # its own concurrency: one
        assert gw.queue_stats(DEFAULT_QUEUE)["pending"] == 0
        assert httpx.get(f"{gw.url}/system/queue", params={"name": "llm-queue"}).json()["pending"] == 2
        assert gw.wait_idle(15)
        slow_ids = {r.headers["x-call-id"] for r in slow}
        assert {r.call_id for r in gw.results if r.status == 200} == slow_ids | {fast_id}
        listed = {f["name"]: f for f in httpx.get(f"{gw.url}/system/functions").json()}
        assert listed["slow"]["annotations"] == {QUEUE_ANNOTATION: "llm-queue"}
        assert listed["fast"]["annotations"] == {}


def test_named_queue_without_a_worker_keeps_its_messages(fn: FunctionProcess) -> None:
    with Gateway(workers=1) as gw:
        gw.register("orphan", fn.url, {QUEUE_ANNOTATION: "nobody-serves-this"})
        r = httpx.post(f"{gw.url}/async-function/orphan/sleep?s=0.01", content=b"")
        assert r.status_code == 202
        time.sleep(0.5)
        assert gw.queue_stats("nobody-serves-this") == {"pending": 1, "inflight": 0, "workers": 0}
        assert gw.results == [] and gw.invocations.get("orphan", 0) == 0
        assert gw.wait_idle(1)  # only queues a worker serves count as work in progress
