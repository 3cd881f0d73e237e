"""pwdev.runner answers exactly like the python3-http template's index.py."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pwdev.procs import FunctionProcess
from pwdev.runner import parse_duration

from .conftest import read_records


def get(fn: FunctionProcess, path: str, method: str = "GET", **kw: object) -> httpx.Response:
    return httpx.request(method, fn.url + path, timeout=10, **kw)  # type: ignore[arg-type]


def test_dict_body_is_sorted_compact_json(fn: FunctionProcess) -> None:
    r = get(fn, "/dict")
    assert r.status_code == 201
    assert r.headers["content-type"] == "application/json"
    assert r.content == b'{"a":"\\u00fc","b":1}\n'
    assert r.headers["x-a"] == "1"
    assert "x-duration-seconds" in r.headers  # added by the watchdog layer


@pytest.mark.parametrize(
    ("path", "body"),
    [("/list", b"[1, 2]"), ("/bytes-body", b"b'\\x00abc'"), ("/int", b"5"), ("/str", b"plain")],
)
def test_other_bodies_go_through_str(fn: FunctionProcess, path: str, body: bytes) -> None:
    r = get(fn, path)
    assert r.status_code == 200
    assert r.content == body
    assert r.headers["content-type"] == "text/html; charset=utf-8"


def test_none_and_missing_body(fn: FunctionProcess) -> None:
    r = get(fn, "/none")
    assert (r.status_code, r.content, r.headers["content-type"]) == (200, b"", "text/html; charset=utf-8")
    r = get(fn, "/no-body")
    assert r.status_code == 204 and r.content == b""


def test_passthrough_tuple_response_and_top_level_list(fn: FunctionProcess) -> None:
    r = get(fn, "/tuple")
    assert r.content == b"%PDF-1.4 binary\x00\xff"
    assert r.headers["content-type"] == "application/pdf"
    r = get(fn, "/response")
    assert (r.content, r.headers["content-type"]) == (b"raw", "application/octet-stream")
    r = get(fn, "/top-list")
    assert r.json() == [1, "a"]  # Flask >= 2.2 jsonifies a returned list


def test_status_string_header_override_header_list_and_json_types(fn: FunctionProcess) -> None:
    r = get(fn, "/status-str")
    assert (r.status_code, r.text) == (418, "teapot")
    r = get(fn, "/ct")
    assert r.headers["content-type"] == "text/plain" and r.json() == {"x": 1}
    r = get(fn, "/header-list")
    assert (r.headers["x-one"], r.headers["x-two"]) == ("1", "2")
    r = get(fn, "/date")
    assert r.json() == {"d": "Fri, 02 Jan 2026 00:00:00 GMT", "n": "1.5"}
    assert get(fn, "/set").status_code == 500


def test_exception_is_flask_500_html_and_missing_query_key_is_400(fn: FunctionProcess) -> None:
    r = get(fn, "/raise")
    assert r.status_code == 500
    assert r.headers["content-type"].startswith("text/html")
    assert b"Internal Server Error" in r.content
    r = get(fn, "/missing-query")
    assert r.status_code == 400 and b"Bad Request" in r.content


def test_event_fields_query_and_context(fn: FunctionProcess) -> None:
    r = get(fn, "/query?a=1&a=2&b=x")
    assert r.json() == {"a": ["1", "2"], "b": "x"}
    r = get(fn, "/echo?z=1", "POST", content=b"a=1&b=2", headers={"Content-Type": "application/x-www-form-urlencoded"})
    data = r.json()
    assert data["method"] == "POST" and data["path"] == "/echo"
    assert data["body"] == "a=1&b=2" and data["body_type"] == "bytes"
    assert data["hostname"] == "fn-pod-1"
    assert data["headers"]["content-type"] == "application/x-www-form-urlencoded"
    for method in ("PUT", "PATCH", "DELETE"):
        assert get(fn, "/echo", method).json()["method"] == method
    assert get(fn, "/echo").json()["body"] == ""


def test_package_imports_sibling_and_shared(fn: FunctionProcess) -> None:
    assert get(fn, "/helper").text == "from a sibling"
    assert get(fn, "/pwcore").json() == {"module": "pwcore"}


def test_head_calls_handler_options_does_not_trace_is_405(fn: FunctionProcess, record_file: Path) -> None:
    r = get(fn, "/headcheck", "HEAD", headers={"X-Call-Id": "head-1"})
    assert r.status_code == 200 and r.content == b""
    assert [e["method"] for e in read_records(record_file) if e["headers"].get("x-call-id") == "head-1"] == ["HEAD"]
    r = get(fn, "/optcheck", "OPTIONS", headers={"X-Call-Id": "opt-1"})
    assert r.status_code == 200 and "POST" in r.headers["allow"]
    assert not [e for e in read_records(record_file) if e["headers"].get("x-call-id") == "opt-1"]
    assert get(fn, "/x", "TRACE").status_code == 405


def test_health(fn: FunctionProcess) -> None:
    r = get(fn, "/_/health")
    assert (r.status_code, r.text) == (200, "OK")


def test_parse_duration() -> None:
    assert parse_duration("30") == 30.0
    assert parse_duration("10m") == 600.0
    assert parse_duration("1m30s") == 90.0
    assert parse_duration("500ms") == 0.5
    with pytest.raises(ValueError):
        parse_duration("ten")


@pytest.fixture(scope="module")
def debian_fn(fn_dir: Path, record_file: Path) -> Iterator[FunctionProcess]:
    with FunctionProcess(
        "fn-debian", fn_dir, env={"RECORD_FILE": str(record_file)}, template="python3-http-debian"
    ) as proc:
        yield proc


def test_debian_octet_stream_branch(debian_fn: FunctionProcess) -> None:
    r = get(debian_fn, "/octet")
    assert (r.content, r.headers["content-type"]) == (b"%PDF", "application/octet-stream")
    assert get(debian_fn, "/octet-capital").content == b"b'%PDF'"  # case-sensitive key: str()
    assert get(debian_fn, "/header-list").status_code == 500  # list headers have no .get()
    assert get(debian_fn, "/dict").content == b'{"a":"\\u00fc","b":1}\n'


@pytest.fixture(scope="module")
def guarded_fn(fn_dir: Path, record_file: Path) -> Iterator[FunctionProcess]:
    env = {"RECORD_FILE": str(record_file), "exec_timeout": "1s", "max_inflight": "1"}
    with FunctionProcess("fn-guarded", fn_dir, env=env) as proc:
        yield proc


def test_watchdog_max_inflight_429(guarded_fn: FunctionProcess) -> None:
    results: list[int] = []
    slow = threading.Thread(target=lambda: results.append(get(guarded_fn, "/sleep?s=0.6").status_code))
    slow.start()
    time.sleep(0.2)
    r = get(guarded_fn, "/echo")
    slow.join()
    assert r.status_code == 429
    assert r.headers["x-openfaas-internal"] == "faas-middleware"
    assert results == [200]
    assert get(guarded_fn, "/echo").status_code == 200  # the slot is free again


def test_watchdog_exec_timeout_504(guarded_fn: FunctionProcess) -> None:
    started = time.monotonic()
    r = get(guarded_fn, "/sleep?s=2")
    assert r.status_code == 504
    assert r.headers["x-openfaas-internal"] == "of-watchdog"
    assert time.monotonic() - started < 1.8
    r = get(guarded_fn, "/sleep?s=0.05", headers={"X-Timeout": "0.01s"})  # X-Timeout can only shorten
    assert r.status_code == 504


def test_head_carries_the_gets_content_length(fn: FunctionProcess) -> None:
    """Werkzeug answers HEAD through the handler; the template's answer keeps the GET's Content-Length."""
    full = get(fn, "/dict")
    head = get(fn, "/dict", method="HEAD")
    assert head.status_code == full.status_code == 201
    assert head.content == b""
    assert head.headers["content-length"] == full.headers["content-length"] == str(len(full.content))
    assert head.headers["content-type"] == full.headers["content-type"]
