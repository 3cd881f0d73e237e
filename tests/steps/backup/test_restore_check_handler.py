"""functions/restore-check/handler.py as deployed: the schedule's call answers counts only and runs once per slot,
an operator gets the full report, anything else unauthenticated is refused; a real MariaDB and moto behind it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from pwcore.clients.s3 import Storage
from pwcore.steps.backup import BackupSettings, run_mode
from pwdev import runner

from .conftest import KeyPair

ROOT = Path(__file__).resolve().parents[3]
OPERATOR = "op-token-restore-check-1"
ADMIN = {"user": "Administrator", "api_key": "adm-key", "api_secret": "adm-secret"}
BACKUP_USER = {"user": "backups@example.com", "api_key": "bk-key", "api_secret": "bk-secret",
               "roles": ["System Manager"]}
PIPELINE_USER = {"user": "pipeline@example.com", "api_key": "pl-key", "api_secret": "pl-secret", "roles": ["Pipeline"]}


class Event:
    def __init__(self, headers: dict[str, str] | None = None, query: dict[str, str] | None = None,
                 body: bytes = b"") -> None:
        self.method, self.body, self.path = "POST", body, "/"
        self.query = query or {}
        self.headers = httpx.Headers(headers or {})


def load_handler() -> ModuleType:
    return runner.load_handler(ROOT / "functions" / "restore-check")


@pytest.fixture()
def deployed(standin_factory: Any, s3: Any, mariadb: Any, keys: dict[str, KeyPair], storage: Storage,
             monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, Any]]:
    from pwcore.runtime import wiring

    site = standin_factory(users=[ADMIN, BACKUP_USER, PIPELINE_USER])
    site.backups.bench_backup(site)
    prefix = f"backups-{uuid.uuid4().hex[:8]}"
    settings = BackupSettings(public_keys=keys["ops"].public, prefix=prefix, source="frappe", source_url=site.url,
                              source_api_key="bk-key", source_api_secret=SecretStr("bk-secret"))
    run_mode(storage, settings, "backup", dry_run=False, body=b"")
    monkeypatch.setenv("SECRETS_DIR", str(tmp_path))
    (tmp_path / "restore-check-private-key").write_text(keys["ops"].private)
    (tmp_path / "restore-check-db-password").write_text(mariadb.password + "\n")
    (tmp_path / "operator-token").write_text(OPERATOR)
    env = {**s3.env(), "ERPNEXT_URL": site.url, "ERPNEXT_API_KEY": "pl-key", "ERPNEXT_API_SECRET": "pl-secret",
           "ERPNEXT_RETRIES": "1", "WEBHOOK_SECRET": "whs-restore", "DISPATCH_MODE": "local",
           "RESTORE_CHECK_PREFIX": prefix, "RESTORE_CHECK_DB_HOST": mariadb.host,
           "RESTORE_CHECK_DB_PORT": str(mariadb.port), "RESTORE_CHECK_DB_USER": mariadb.user,
           "SCHEDULED_RESTORE_CHECK_MIN_INTERVAL_S": str(20 * 86400 + int(uuid.uuid4().int % 997))}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    wiring.reset()
    yield {"site": site, "prefix": prefix}
    wiring.reset()


def test_schedule_runs_once_per_slot_with_counts_only_and_records(deployed: dict[str, Any]) -> None:
    handler = load_handler()
    answer = handler.handle(Event({"X-Topic": "cron-function"}), None)
    assert answer["statusCode"] == 200, answer
    body = answer["body"]
    assert body["status"] == "passed" and body["tables_checked"] > 0 and isinstance(body["rows_restored"], int)
    assert "key" not in body and deployed["prefix"] not in str(body)  # counts only: no object names
    again = handler.handle(Event({"X-Topic": "cron-function"}), None)
    assert again["statusCode"] == 200 and again["body"]["status"] == "skipped"

    full = handler.handle(Event({"Authorization": f"Bearer {OPERATOR}"}), None)
    assert full["statusCode"] == 200 and full["body"]["key"].startswith(f"{deployed['prefix']}/daily/")
    checks = httpx.get(f"{deployed['site'].url}/api/resource/Backup Check",
                       params={"fields": '["status","backup"]', "limit_page_length": 10},
                       headers={"Authorization": "token pl-key:pl-secret"}).json()["data"]
    assert [c["status"] for c in checks] == ["Passed", "Passed"]


def test_unauthenticated_options_are_refused(deployed: dict[str, Any]) -> None:
    handler = load_handler()
    assert handler.handle(Event({"X-Topic": "cron-function"}, {"mode": "x"}), None)["statusCode"] == 401
    assert handler.handle(Event({"Authorization": "Bearer wrong"}), None)["statusCode"] == 401
