"""pwdev.gateway: sync proxy, async queue (CE vs Pro retries), callbacks, bounds, cron-connector ticks."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from pwdev.gateway import CronError, CronSchedule, Gateway
from pwdev.procs import FunctionProcess, free_port

from .conftest import read_records


@pytest.fixture(scope="module")
def gw(fn: FunctionProcess) -> Iterator[Gateway]:
    with Gateway({"fn": fn.url}, workers=2) as gateway:
        yield gateway


def records_for(record_file: Path, call_id: str) -> list[dict]:
    return [e for e in read_records(record_file) if e["headers"].get("x-call-id") == call_id]


def test_sync_proxy_adds_call_id_and_forwarding_headers(gw: Gateway) -> None:
    r = httpx.post(f"{gw.url}/function/fn/echo?x=1", content=b"hello", headers={"X-Custom": "v"})
    assert r.status_code == 200
    seen = r.json()
    assert seen["path"] == "/echo" and seen["method"] == "POST" and seen["body"] == "hello"
    headers = seen["headers"]
    assert headers["x-custom"] == "v"
    assert str(uuid.UUID(headers["x-call-id"])) == headers["x-call-id"]
    assert r.headers["x-call-id"] == headers["x-call-id"]  # generated: echoed back to the caller
    assert headers["x-start-time"].isdigit()
    # waitress (the template's server, default settings) drops untrusted X-Forwarded-* headers, so a
    # handler never sees them; the gateway does send them (next test).
    assert "x-forwarded-for" not in headers
    assert r.headers["x-served-by"].startswith("openfaas-ce/")
    assert "x-duration-seconds" in r.headers


def test_gateway_sends_forwarded_headers(gw: Gateway) -> None:
    @Request.application
    def echo(request: Request) -> Response:
        return Response(json.dumps({k.lower(): v for k, v in request.headers.items()}), mimetype="application/json")

    server = make_server("127.0.0.1", 0, echo, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    gw.register("raw", f"http://127.0.0.1:{server.server_port}")
    try:
        seen = httpx.get(f"{gw.url}/function/raw", headers={"X-Forwarded-For": "10.0.0.1"}).json()
    finally:
        gw.unregister("raw")
        server.shutdown()
    assert seen["x-forwarded-for"] == "10.0.0.1, 127.0.0.1"
    assert seen["x-forwarded-host"] == f"127.0.0.1:{gw.port}"


def test_sync_proxy_keeps_given_call_id_path_query_status_and_binary(gw: Gateway) -> None:
    r = httpx.get(f"{gw.url}/function/fn/echo", headers={"X-Call-Id": "given-1"})
    assert r.json()["headers"]["x-call-id"] == "given-1"
    assert "x-call-id" not in r.headers  # only a generated one is returned
    assert httpx.get(f"{gw.url}/function/fn/query?a=1&a=2&b=%20").json() == {"a": ["1", "2"], "b": " "}
    assert httpx.get(f"{gw.url}/function/fn").status_code == 200  # no rest -> path "/"
    r = httpx.get(f"{gw.url}/function/fn/tuple")
    assert r.content == b"%PDF-1.4 binary\x00\xff" and r.headers["content-type"] == "application/pdf"
    r = httpx.get(f"{gw.url}/function/fn/dict")
    assert r.status_code == 201 and r.json() == {"a": "ü", "b": 1}
    assert httpx.request("HEAD", f"{gw.url}/function/fn/echo").status_code == 200
    assert httpx.request("TRACE", f"{gw.url}/function/fn/echo").status_code == 405


def test_sync_unknown_or_unreachable_function_is_503_json(gw: Gateway) -> None:
    r = httpx.get(f"{gw.url}/function/nope")
    assert r.status_code == 503 and "nope" in r.json()["error"]
    assert r.headers["x-openfaas-internal"] == "proxy"
    gw.register("dead", f"http://127.0.0.1:{free_port()}")
    try:
        r = httpx.get(f"{gw.url}/function/dead")
        assert r.status_code == 503 and r.json()["error"]
    finally:
        gw.unregister("dead")


def test_async_202_then_post_with_same_call_id(gw: Gateway, record_file: Path) -> None:
    r = httpx.post(
        f"{gw.url}/async-function/fn/record?k=v",
        content=b'{"doctype":"X"}',
        headers={"Content-Type": "application/json", "X-Custom": "kept"},
    )
    assert r.status_code == 202 and r.content == b""
    call_id = r.headers["x-call-id"]
    assert gw.wait_idle(10)
    calls = records_for(record_file, call_id)
    assert len(calls) == 1
    call = calls[0]
    assert call["method"] == "POST" and call["path"] == "/record" and call["query"] == {"k": ["v"]}
    assert call["body"] == '{"doctype":"X"}'
    assert call["headers"]["user-agent"] == "openfaas-ce/nats-queue-worker"
    assert call["headers"]["x-custom"] == "kept"
    assert call["headers"]["content-type"] == "application/json"
    # a caller-supplied call id is kept
    r = httpx.post(f"{gw.url}/async-function/fn/record", content=b"", headers={"X-Call-Id": "mine-1"})
    assert r.headers["x-call-id"] == "mine-1"
    assert gw.wait_idle(10)
    assert len(records_for(record_file, "mine-1")) == 1


def test_async_is_post_only_and_rejects_bad_callback(gw: Gateway) -> None:
    assert httpx.get(f"{gw.url}/async-function/fn").status_code == 405
    assert httpx.put(f"{gw.url}/async-function/fn", content=b"").status_code == 405
    r = httpx.post(f"{gw.url}/async-function/fn", content=b"", headers={"X-Callback-Url": "not a url"})
    assert r.status_code == 400


def test_ce_mode_never_retries(gw: Gateway, record_file: Path) -> None:
    r = httpx.post(f"{gw.url}/async-function/fn/record?fail=5", content=b"")
    call_id = r.headers["x-call-id"]
    assert gw.wait_idle(10)
    assert len(records_for(record_file, call_id)) == 1
    result = next(x for x in gw.results if x.call_id == call_id)
    assert (result.status, result.attempts) == (500, 1)


def test_pro_mode_retries_with_backoff_and_callback(fn: FunctionProcess, record_file: Path) -> None:
    with Gateway({"fn": fn.url}, retry_mode="pro", initial_retry_wait=0.05, max_attempts=4) as pro:
        callback = f"{fn.url}/callback-sink"
        r = pro_post = httpx.post(
            f"{pro.url}/async-function/fn/record?fail=2&code=502", content=b"x", headers={"X-Callback-Url": callback}
        )
        call_id = pro_post.headers["x-call-id"]
        assert r.status_code == 202
        assert pro.wait_idle(10)
        assert len([c for c in records_for(record_file, call_id) if c["path"] == "/record"]) == 3
        result = next(x for x in pro.results if x.call_id == call_id)
        assert (result.status, result.attempts) == (200, 3)
        cb = [c for c in records_for(record_file, call_id) if c["path"] == "/callback-sink"]
        assert len(cb) == 1
        assert cb[0]["headers"]["x-function-status"] == "200"
        assert cb[0]["headers"]["x-function-name"] == "fn"
        assert cb[0]["headers"]["x-retry"] == "2"
        assert '"attempt":3' in cb[0]["body"]
        # a non-retryable status (400) is not retried; the attempts are bounded
        r = httpx.post(f"{pro.url}/async-function/fn/record?fail=9&code=400", content=b"")
        r2 = httpx.post(f"{pro.url}/async-function/fn/record?fail=9&code=500", content=b"")
        assert pro.wait_idle(10)
        assert len(records_for(record_file, r.headers["x-call-id"])) == 1
        assert len(records_for(record_file, r2.headers["x-call-id"])) == 4


def test_queue_is_bounded_and_reports_counts(fn: FunctionProcess) -> None:
    with Gateway({"fn": fn.url}, workers=1, queue_size=2) as small:
        # The first call holds the one worker long enough that the next three posts and the stats read land
        # while it runs, even on a loaded machine (0.5 s was not always enough).
        first = httpx.post(f"{small.url}/async-function/fn/sleep?s=3", content=b"")
        assert first.status_code == 202
        deadline = time.monotonic() + 5
        while small.queue_stats()["inflight"] != 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        codes = [httpx.post(f"{small.url}/async-function/fn/sleep?s=0.01", content=b"").status_code for _ in range(3)]
        assert codes == [202, 202, 429]
        stats = httpx.get(f"{small.url}/system/queue").json()
        assert stats["pending"] == 2 and stats["inflight"] == 1
        assert small.wait_idle(10)
        assert httpx.get(f"{small.url}/system/queue").json() == {"pending": 0, "inflight": 0, "done": 3, "failed": 0}
        listed = httpx.get(f"{small.url}/system/functions").json()
        assert [f["name"] for f in listed] == ["fn"] and listed[0]["invocationCount"] == 3


def test_cron_ticks_post_empty_body_with_connector_headers(fn: FunctionProcess, record_file: Path) -> None:
    with Gateway({"fn": fn.url}, cron_every={"fn": 0.25}) as cron_gw:
        deadline = time.monotonic() + 5
        while len([s for f, _, s in cron_gw.cron_log if s == 200]) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        ticks = list(cron_gw.cron_log)
    assert len(ticks) >= 2 and all(status == 200 for _, _, status in ticks)
    crons = [e for e in read_records(record_file) if e["headers"].get("x-topic") == "cron-function"]
    assert len(crons) >= 2
    call = crons[0]
    assert call["method"] == "POST" and call["path"] == "/" and call["body"] == ""
    assert call["headers"]["x-connector"] == "cron-connector"
    assert "content-type" not in call["headers"]


def test_cron_async_goes_through_the_queue(fn: FunctionProcess, record_file: Path) -> None:
    with Gateway({"fn": fn.url}, cron={"fn": "0 * * * *"}, cron_async=True) as cron_gw:
        assert cron_gw.trigger_cron("fn") == 202
        assert cron_gw.wait_idle(10)
        assert cron_gw.results[-1].status == 200
        listed = httpx.get(f"{cron_gw.url}/system/functions").json()
        assert listed[0]["annotations"] == {"topic": "cron-function", "schedule": "0 * * * *"}


def test_cron_schedule_semantics() -> None:
    t = dt.datetime(2026, 3, 10, 7, 29, 30)
    assert CronSchedule.parse("0 * * * *").next_after(t) == dt.datetime(2026, 3, 10, 8, 0)
    assert CronSchedule.parse("30 7 * * *").next_after(t) == dt.datetime(2026, 3, 10, 7, 30)
    assert CronSchedule.parse("30 7 * * *").next_after(dt.datetime(2026, 3, 10, 7, 30)) == dt.datetime(
        2026, 3, 11, 7, 30
    )
    assert CronSchedule.parse("*/5 * * * *").next_after(t) == dt.datetime(2026, 3, 10, 7, 30)
    assert CronSchedule.parse("@hourly").next_after(t) == dt.datetime(2026, 3, 10, 8, 0)
    # dom and dow both restricted: either matches (2026-03-13 is a Friday, before the 15th)
    assert CronSchedule.parse("0 0 15 * FRI").next_after(t) == dt.datetime(2026, 3, 13, 0, 0)
    # dow restricted, dom '*': both must match
    assert CronSchedule.parse("0 0 * * MON").next_after(t) == dt.datetime(2026, 3, 16, 0, 0)
    assert CronSchedule.parse("0 12 1 JAN *").next_after(t) == dt.datetime(2027, 1, 1, 12, 0)
    assert CronSchedule.parse("@every 5m").every == 300.0
    for bad in ("* * * * * *", "61 * * * *", "a b c d e", "@often", "5-1 * * * *", "*/0 * * * *"):
        with pytest.raises(CronError):
            CronSchedule.parse(bad)


def raw_post(url: str, path: str, header_lines: list[bytes]) -> tuple[int, bytes]:
    """One HTTP/1.1 request written byte for byte (httpx refuses padded header values on the client side)."""
    import socket

    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"POST " + path.encode() + b" HTTP/1.1\r\nHost: " + host.encode() + b"\r\n"
                     + b"".join(line + b"\r\n" for line in header_lines)
                     + b"Content-Length: 1\r\nConnection: close\r\n\r\nx")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body


def test_non_ascii_and_padded_header_values_reach_the_function(gw: Gateway) -> None:
    """The Go gateway forwards raw header bytes and trims surrounding whitespace: no 500, no 503."""
    name = "Zoë Müller".encode()
    status, body = raw_post(gw.url, "/function/fn/echo", [b"X-Name: " + name, b"X-Padded:   value\t "])
    assert status == 200, body
    headers = json.loads(body)["headers"]
    assert headers["x-name"].encode("latin-1") == name  # the same bytes, as WSGI presents them (latin-1)
    assert headers["x-padded"] == "value"


def test_head_through_the_gateway_keeps_content_length(gw: Gateway) -> None:
    full = httpx.get(f"{gw.url}/function/fn/dict")
    head = httpx.head(f"{gw.url}/function/fn/dict")
    assert head.status_code == 201 and head.content == b""
    assert head.headers["content-length"] == full.headers["content-length"]
