"""The restore check against a real MariaDB server on 127.0.0.1: a real dump of the ERPNext stand-in, pulled the
way Frappe serves backups, encrypted with real gpg into moto, restored into a scratch database and counted."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import subprocess
import uuid
from typing import Any

import pytest
from pydantic import SecretStr

from pwcore.clients.erpnext import ERPNext
from pwcore.clients.mariadb import MariaDBSettings
from pwcore.clients.s3 import Storage
from pwcore.model.backup_manifest import DumpCounter, manifest_key, pipeline_doctypes, table_of
from pwcore.steps.backup import BackupError, BackupSettings, open_frappe_backup, run_mode
from pwcore.steps.restore_check import RestoreCheckSettings, run_restore_check

from .conftest import KeyPair

TRICKY = ["O'Brien \\ Sons", "comma),(paren", "line\nbreak\r\x1a", 'quote " and \\\' both', "\u00e9t\u00e9 \u2603"]
BACKUP_USER = {"user": "backups@example.com", "api_key": "bk-key", "api_secret": "bk-secret",
               "roles": ["System Manager"]}
PIPELINE_USER = {"user": "pipeline@example.com", "api_key": "pl-key", "api_secret": "pl-secret", "roles": ["Pipeline"]}
ADMIN = {"user": "Administrator", "api_key": "adm-key", "api_secret": "adm-secret"}
NOBODY = {"user": "support@example.com", "api_key": "sp-key", "api_secret": "sp-secret", "roles": ["Support"]}


@pytest.fixture(scope="module")
def site(standin_factory: Any) -> Any:
    site = standin_factory(users=[ADMIN, BACKUP_USER, PIPELINE_USER, NOBODY])
    admin = _admin(site)
    for i, text in enumerate(TRICKY * 3):
        name = admin.insert("Customer", {"customer_name": f"{text} {i}", "customer_type": "Company"})["name"]
        admin.add_comment("Customer", name, f"note {i}: {text}")
    return site


def _admin(site: Any) -> ERPNext:
    return ERPNext(site.url, ADMIN["api_key"], ADMIN["api_secret"], timeout_s=10, retries=1)


def _pipeline(site: Any) -> ERPNext:
    return ERPNext(site.url, PIPELINE_USER["api_key"], PIPELINE_USER["api_secret"], timeout_s=10, retries=1)


def _frappe_settings(site: Any, keys: dict[str, KeyPair], user: dict[str, Any] = BACKUP_USER) -> BackupSettings:
    return BackupSettings(public_keys=keys["ops"].public, prefix=f"backups-{uuid.uuid4().hex[:8]}", source="frappe",
                          source_url=site.url, source_api_key=user["api_key"],
                          source_api_secret=SecretStr(user["api_secret"]))


def _check_settings(settings: BackupSettings, key: KeyPair) -> RestoreCheckSettings:
    return RestoreCheckSettings(private_key=SecretStr(key.private), prefix=settings.prefix)


def _db(server: Any) -> MariaDBSettings:
    return MariaDBSettings(host=server.host, port=server.port, user=server.user, password=SecretStr(server.password))


def _scratch_dbs(server: Any) -> list[str]:
    out = server.root_sql("SHOW DATABASES LIKE 'pw\\_restore\\_%'").stdout.decode().split()
    return [d for d in out if d]


def test_dump_counter_matches_a_real_mariadb_dump(mariadb: Any) -> None:
    """The manifest's row counting on what mariadb-dump really writes (extended inserts, escapes, one big line)."""
    db = f"pw_restore_scan{uuid.uuid4().hex[:6]}"
    rows = [(f"n{i}", TRICKY[i % len(TRICKY)] * (1 + i % 7), i) for i in range(3000)]
    def lit(v: str) -> str:
        return v.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r")

    values = ",".join(f"('{n}','{lit(v)}',{i})" for n, v, i in rows)
    mariadb.root_sql(f"CREATE DATABASE {db}; USE {db}; "
                     "CREATE TABLE `tabCustomer` (name varchar(140) PRIMARY KEY, v longtext, i int); "
                     "CREATE TABLE `tabSales Order` (name varchar(140) PRIMARY KEY); "
                     "CREATE TABLE `tabOther` (name varchar(140) PRIMARY KEY); "
                     f"INSERT INTO `tabCustomer` VALUES {values};"
                     "INSERT INTO `tabOther` VALUES ('x'),('y');")
    try:
        dump = subprocess.run(["mariadb-dump", "--no-defaults", f"--socket={mariadb.socket}", "-uroot",
                               "--single-transaction", "--quick", "--lock-tables=false", "--net-buffer-length=16384",
                               db], capture_output=True, check=True).stdout
    finally:
        mariadb.root_sql(f"DROP DATABASE {db}")
    assert dump.count(b"INSERT INTO `tabCustomer`") > 1  # several statements: the counter sums them
    counter = DumpCounter(["tabCustomer", "tabSales Order", "tabMissing"])
    packed = gzip.compress(dump)
    for i in range(0, len(packed), 4093):  # odd chunk sizes: lines and gzip blocks split anywhere
        counter.feed(packed[i:i + 4093])
    counter.finish()
    assert counter.problem == ""
    assert counter.rows == {"tabCustomer": 3000, "tabSales Order": 0}
    assert counter.created == {"tabCustomer", "tabSales Order"}


def test_dump_counter_reports_truncation_and_non_gzip() -> None:
    packed = gzip.compress(b"CREATE TABLE `tabCustomer` (\n) ;\nINSERT INTO `tabCustomer` VALUES ('a'),('b');\n")
    cut = DumpCounter(["tabCustomer"])
    cut.feed(packed[:-9])
    cut.finish()
    assert "truncated" in cut.problem
    plain = DumpCounter(["tabCustomer"])
    plain.feed(b"-- not gzip")
    plain.finish()
    assert "not gzip" in plain.problem


def test_backup_pulled_from_frappe_restores_into_mariadb_and_is_recorded(
        site: Any, storage: Storage, keys: dict[str, KeyPair], mariadb: Any) -> None:
    site.backups.bench_backup(site)
    settings = _frappe_settings(site, keys)
    result = run_mode(storage, settings, "backup", dry_run=False, body=b"")
    backup = result["backup"]
    assert backup["manifest"]["complete"] is True and backup["manifest"]["problem"] == ""
    day = dt.date.fromisoformat(backup["key"].removesuffix(settings.suffix)[-10:])
    manifest = json.loads(storage.get_bytes(manifest_key(settings.prefix, settings.basename, day)))
    assert manifest["source"].startswith("frappe:") and manifest["source"].endswith("-database.sql.gz")
    admin = _admin(site)
    assert manifest["doctypes"]["Customer"] == {"table": "tabCustomer", "present": True,
                                                "rows": admin.count("Customer")}
    assert manifest["doctypes"]["Comment"]["rows"] == admin.count("Comment") >= 15
    assert set(manifest["doctypes"]) == set(pipeline_doctypes())
    assert "bk-secret" not in json.dumps(manifest)

    report = run_restore_check(storage, _check_settings(settings, keys["ops"]), _db(mariadb), _pipeline(site))
    assert report["status"] == "passed", report["problems"]
    assert report["plaintext_sha256"] == backup["plaintext_sha256"]
    assert report["doctypes"]["Customer"]["restored_rows"] == admin.count("Customer")
    assert report["doctypes"]["Formation Order"] == {
        "table": table_of("Formation Order"), "expected_present": True, "restored_present": True,
        "expected_rows": 0, "restored_rows": 0, "ok": True}
    assert report["tables_checked"] == len(pipeline_doctypes())
    assert report["scratch_dropped"] is True and _scratch_dbs(mariadb) == []
    record = admin.get("Backup Check", report["record"]["name"])
    assert record["status"] == "Passed" and record["backup"] == backup["key"]
    assert record["rows_restored"] == report["rows_restored"] and record["mismatches"] == 0
    assert json.loads(record["details"])["Customer"]["restored_rows"] == admin.count("Customer")


def test_a_manifest_that_disagrees_fails_the_check_and_is_recorded(
        site: Any, storage: Storage, keys: dict[str, KeyPair], mariadb: Any) -> None:
    site.backups.bench_backup(site)
    settings = _frappe_settings(site, keys)
    run_mode(storage, settings, "backup", dry_run=False, body=b"")
    key = next(o.key for o in storage.list(f"{settings.prefix}/manifests/"))
    manifest = json.loads(storage.get_bytes(key))
    manifest["doctypes"]["Customer"]["rows"] += 1  # the dump had one more row than the restore brings back
    storage.put_json(key, manifest)
    mariadb.root_sql("CREATE DATABASE pw_restore_leftover")  # a killed earlier run's scratch database

    report = run_restore_check(storage, _check_settings(settings, keys["ops"]), _db(mariadb), _pipeline(site))
    assert report["status"] == "failed"
    assert any("Customer" in p for p in report["problems"])
    assert report["doctypes"]["Customer"]["ok"] is False
    assert _scratch_dbs(mariadb) == []  # the new scratch database and the leftover are gone
    record = _pipeline(site).get("Backup Check", report["record"]["name"])
    assert record["status"] == "Failed" and record["mismatches"] == 1 and "Customer" in record["reason"]


def test_wrong_private_key_fails_and_drops_the_scratch_database(
        site: Any, storage: Storage, keys: dict[str, KeyPair], mariadb: Any) -> None:
    site.backups.bench_backup(site)
    settings = _frappe_settings(site, keys)
    run_mode(storage, settings, "backup", dry_run=False, body=b"")
    report = run_restore_check(storage, _check_settings(settings, keys["other"]), _db(mariadb), None)
    assert report["status"] == "failed"
    assert any("decryption failed" in p for p in report["problems"])
    assert report["scratch_dropped"] is True and _scratch_dbs(mariadb) == []
    assert keys["other"].private not in json.dumps(report)


def test_wrong_database_password_is_a_failed_check_with_the_reason(
        storage: Storage, site: Any, keys: dict[str, KeyPair], mariadb: Any) -> None:
    site.backups.bench_backup(site)
    settings = _frappe_settings(site, keys)
    run_mode(storage, settings, "backup", dry_run=False, body=b"")
    bad = MariaDBSettings(host=mariadb.host, port=mariadb.port, user=mariadb.user, password=SecretStr("wrong-pw-1"))
    report = run_restore_check(storage, _check_settings(settings, keys["ops"]), bad, None)
    assert report["status"] == "failed"
    assert any("Access denied" in p for p in report["problems"])
    assert "wrong-pw-1" not in json.dumps(report)


def test_frappe_backup_download_needs_system_manager(site: Any, keys: dict[str, KeyPair]) -> None:
    site.backups.bench_backup(site)
    with pytest.raises(BackupError, match="System Manager"), open_frappe_backup(_frappe_settings(site, keys, NOBODY)):
        pass
    # The download route refuses the same user, and Guest, as Frappe's download_backup does.
    import httpx

    name = site.backups.files()[-1].name
    for headers in ({"Authorization": f"token {NOBODY['api_key']}:{NOBODY['api_secret']}"}, {}):
        r = httpx.get(f"{site.url}/backups/{name}", headers=headers)
        assert r.status_code == 403 and "System Manager" in r.text
    ok = httpx.get(f"{site.url}/backups/{name}",
                   headers={"Authorization": f"token {BACKUP_USER['api_key']}:{BACKUP_USER['api_secret']}"})
    assert ok.status_code == 200 and ok.content[:2] == b"\x1f\x8b"


def test_a_stale_newest_backup_is_refused(site: Any, keys: dict[str, KeyPair]) -> None:
    site.backups.bench_backup(site)
    settings = _frappe_settings(site, keys)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=settings.source_max_age_h + 2)
    with pytest.raises(BackupError, match="stopped running"), open_frappe_backup(settings, now=later):
        pass
