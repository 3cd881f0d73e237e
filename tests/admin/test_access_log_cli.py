"""`pw access-log --order NAME [--since] [--until] [--table]`: who fetched what, when, read back from S3."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from pwcore.clients.s3 import Storage
from pwcore.orders.access_log import AccessLog, derive_client_key

ROOT = Path(__file__).resolve().parents[2]


def pw(s3: Any, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pwcore.admin.cli", "access-log", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, **s3.env(), "SECRETS_DIR": str(tmp_path)})


@pytest.fixture()
def order(s3: Any) -> str:
    """Records of one order on three days (and one of another order), written as presign and deliver write them."""
    storage = Storage(s3.endpoint, s3.access_key, s3.secret_key, s3.bucket)

    def at(day: str, clock: str = "12:00:00") -> AccessLog:
        return AccessLog(storage, derive_client_key("cli-test-secret-" * 3),
                         now=lambda: dt.datetime.fromisoformat(f"{day}T{clock}+00:00"))

    name = f"FO-2025-{uuid.uuid4().hex[:6].upper()}"
    answer = {"version": 2, "order_status": "Delivered", "expires_at": "2025-03-01T13:00:00Z", "ttl_s": 3600,
              "files": [{"filename": "articles.pdf", "url": "http://s3/x?X-Amz-Signature=abc"}]}
    at("2025-03-01", "12:00:00").presign(outcome=200, customer="Acme Owner", order=name, answer=answer,
                                         headers={"X-Real-IP": "203.0.113.7", "X-Call-Id": "c-1"}, method="GET")
    at("2025-02-28").delivery(doctype="Formation Order", order=name, version=2, recipient="owner@acme.example",
                              message_id="<order-x-v2@performancewest.net>", attached=["articles.pdf"], linked=[],
                              call_id="d-1", accepted_at="2025-02-28T09:30:00+00:00")
    at("2025-03-01", "12:05:00").presign(outcome=404, customer="Somebody Else", order=name, headers={})
    at("2025-03-05").presign(outcome=200, customer="Acme Owner", order=name, answer=answer, headers={})
    at("2025-03-01").presign(outcome=200, customer="Other Owner", order="FO-2025-OTHER", answer=answer, headers={})
    return name


def test_reader_lists_the_orders_events_oldest_first(s3: Any, tmp_path: Path, order: str) -> None:
    result = pw(s3, tmp_path, "--order", order, "--since", "2025-02-01", "--until", "2025-03-31")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["at"], r["event"], r.get("outcome"), r.get("customer") or r.get("recipient")) for r in rows] == [
        ("2025-02-28T09:30:00.000Z", "delivery", None, "owner@acme.example"),
        ("2025-03-01T12:00:00.000Z", "presign", 200, "Acme Owner"),
        ("2025-03-01T12:05:00.000Z", "presign", 404, "Somebody Else"),
        ("2025-03-05T12:00:00.000Z", "presign", 200, "Acme Owner")]
    assert rows[1]["files"] == ["articles.pdf"] and rows[1]["version"] == 2 and rows[1]["call_id"] == "c-1"
    assert "X-Amz" not in result.stdout and "203.0.113.7" not in result.stdout and len(rows[1]["client"]) == 32


def test_reader_range_and_table(s3: Any, tmp_path: Path, order: str) -> None:
    one_day = pw(s3, tmp_path, "--order", order, "--since", "2025-03-01", "--until", "2025-03-01")
    assert [json.loads(line)["outcome"] for line in one_day.stdout.splitlines()] == [200, 404]
    table = pw(s3, tmp_path, "--order", order, "--since", "2025-02-28", "--until", "2025-02-28", "--table")
    assert table.returncode == 0, table.stderr
    [line] = table.stdout.splitlines()
    assert line.split("\t")[:7] == ["2025-02-28T09:30:00.000Z", "delivery", "sent", order, "v2",
                                     "owner@acme.example", "articles.pdf"]
    # The default range ends today and reaches back the retention (365 days): these 2025 records are older.
    assert pw(s3, tmp_path, "--order", order).stdout == ""


@pytest.mark.parametrize("args", [("--order", "../backups"), ("--order", "FO-1", "--since", "2025-13-01"),
                                  ("--order", "FO-1", "--since", "2025-03-02", "--until", "2025-03-01"),
                                  ("--order", "FO-1", "--since", "2020-01-01", "--until", "2025-01-01")])
def test_reader_refuses_bad_arguments_clearly(s3: Any, tmp_path: Path, args: tuple[str, ...]) -> None:
    result = pw(s3, tmp_path, *args)
    assert result.returncode == 2 and result.stderr.startswith("pw: ") and "Traceback" not in result.stderr
