"""Fixtures for the local runtime tests: throw-away function folders served by real runner processes."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from pwdev.procs import FunctionProcess

# One handler with many behaviours, chosen by path, so a single runner process covers the template's answer formats.
HANDLER = textwrap.dedent(
    """
    import datetime
    import decimal
    import json
    import os
    import threading
    import time

    from flask import Response

    from . import helper  # a sibling module: the folder is the package `function`

    _lock = threading.Lock()


    def _record(event):
        entry = {
            "method": event.method,
            "path": event.path,
            "query": event.query.to_dict(flat=False),
            "headers": {k.lower(): v for k, v in event.headers.items()},
            "body": event.body.decode("latin-1"),
        }
        with _lock:
            with open(os.environ["RECORD_FILE"], "a") as fh:
                fh.write(json.dumps(entry) + "\\n")
            with open(os.environ["RECORD_FILE"]) as fh:
                seen = [json.loads(line) for line in fh]
        call_id = entry["headers"].get("x-call-id")
        return sum(1 for e in seen if e["headers"].get("x-call-id") == call_id and e["path"] == event.path)


    def handle(event, context):
        p = event.path
        if p == "/dict":
            return {"statusCode": 201, "body": {"b": 1, "a": "\\u00fc"}, "headers": {"X-A": "1"}}
        if p == "/list":
            return {"body": [1, 2]}
        if p == "/bytes-body":
            return {"body": b"\\x00abc"}
        if p == "/int":
            return {"body": 5}
        if p == "/none":
            return None
        if p == "/no-body":
            return {"statusCode": 204}
        if p == "/tuple":
            return (b"%PDF-1.4 binary\\x00\\xff", 200, {"Content-Type": "application/pdf"})
        if p == "/response":
            return Response(b"raw", mimetype="application/octet-stream")
        if p == "/str":
            return "plain"
        if p == "/top-list":
            return [1, "a"]
        if p == "/raise":
            raise RuntimeError("boom")
        if p == "/missing-query":
            return {"body": event.query["missing"]}
        if p == "/query":
            return {"body": {"a": event.query.getlist("a"), "b": event.query.get("b")}}
        if p == "/status-str":
            return {"statusCode": "418", "body": "teapot"}
        if p == "/ct":
            return {"body": {"x": 1}, "headers": {"Content-Type": "text/plain"}}
        if p == "/header-list":
            return {"body": "x", "headers": [("X-One", "1"), ("X-Two", "2")]}
        if p == "/date":
            return {"body": {"d": datetime.date(2026, 1, 2), "n": decimal.Decimal("1.5")}}
        if p == "/set":
            return {"body": {"s": {1}}}
        if p == "/octet":
            return {"body": b"%PDF", "headers": {"Content-type": "application/octet-stream"}}
        if p == "/octet-capital":
            return {"body": b"%PDF", "headers": {"Content-Type": "application/octet-stream"}}
        if p == "/helper":
            return {"body": helper.VALUE}
        if p == "/pwcore":
            import pwcore

            return {"body": {"module": pwcore.__name__}}
        if p == "/echo":
            return {
                "body": {
                    "method": event.method,
                    "path": event.path,
                    "body": event.body.decode("latin-1"),
                    "body_type": type(event.body).__name__,
                    "headers": {k.lower(): v for k, v in event.headers.items()},
                    "hostname": context.hostname,
                }
            }
        if p == "/sleep":
            time.sleep(float(event.query.get("s", "1")))
            return {"body": "slept"}
        if p == "/step":
            # For kill -9 tests: a marker before and after a long step.
            with open(os.environ["RECORD_FILE"], "a") as fh:
                fh.write("started\\n")
            time.sleep(float(event.query.get("s", "5")))
            with open(os.environ["RECORD_FILE"], "a") as fh:
                fh.write("finished\\n")
            return {"body": "done"}
        count = _record(event)
        fail = int(event.query.get("fail", "0"))
        if count <= fail:
            return {"statusCode": int(event.query.get("code", "500")), "body": {"error": "try again"}}
        return {"statusCode": 200, "body": {"ok": True, "attempt": count}}
    """
)


def make_function(root: Path, name: str = "fn") -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "handler.py").write_text(HANDLER)
    (folder / "helper.py").write_text("VALUE = 'from a sibling'\n")
    (folder / "requirements.txt").write_text("")
    return folder


def read_records(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


@pytest.fixture(scope="module")
def fn_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_function(tmp_path_factory.mktemp("functions"))


@pytest.fixture(scope="module")
def record_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("records") / "calls.jsonl"


@pytest.fixture(scope="module")
def fn(fn_dir: Path, record_file: Path) -> Iterator[FunctionProcess]:
    proc = FunctionProcess("fn", fn_dir, env={"RECORD_FILE": str(record_file), "HOSTNAME": "fn-pod-1"})
    with proc:
        yield proc
