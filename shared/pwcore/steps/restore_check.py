"""The monthly restore check: the newest backup decrypted and restored into a scratch MariaDB, then counted.

Its own deployment (function `restore-check`) holds the private key (secret restore-check-private-key) and the
scratch server's password; the backup function never gets either. Steps:
1. the newest backup (`backups/{daily,monthly,yearly}/`), its metadata and the manifest of its day;
2. scratch databases left by a killed earlier run (`RESTORE_CHECK_DATABASE_PREFIX`...) are dropped, a new one
   created;
3. S3 -> gpg --decrypt -> gunzip -> `mariadb <scratch>`, streamed (python-gnupg feeds gpg from the S3 response
   in its thread and hands each plaintext chunk to `on_data`, which inflates it in bounded steps into the
   client's stdin; nothing is kept), hashing the plaintext on the way;
4. per pipeline DocType the table's presence and row count in the scratch database against the manifest;
5. the scratch database is dropped (also on failure) and the result recorded in ERPNext as a `Backup Check`.
A check that finds a problem is a result, not an error: status "failed" with the reasons, recorded in ERPNext.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
import uuid
import zlib
from typing import IO, Any, cast

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from pwcore.clients.erpnext import ERPNext
from pwcore.clients.gpg import HashingReader, gpg_home
from pwcore.clients.mariadb import MariaDB, MariaDBError, MariaDBSettings, error_line
from pwcore.clients.s3 import Storage
from pwcore.logs import get_logger
from pwcore.model.backup_manifest import (
    DEFAULT_BASENAME,
    DEFAULT_PREFIX,
    BackupRef,
    manifest_key,
    newest,
)
from pwcore.settings import Settings

log = get_logger("pwcore.restore_check")

BACKUP_CHECK = "Backup Check"
_OUT_CHUNK = 1024 * 1024


class RestoreCheckSettings(Settings):
    model_config = SettingsConfigDict(env_prefix="RESTORE_CHECK_")
    private_key: SecretStr  # ASCII-armored; secret file restore-check-private-key (this deployment only)
    passphrase: SecretStr = SecretStr("")
    prefix: str = DEFAULT_PREFIX  # the backup function's BACKUP_PREFIX / BACKUP_BASENAME
    basename: str = DEFAULT_BASENAME
    database_prefix: str = "pw_restore_"
    gpg_binary: str = "gpg"
    restore_timeout_s: float = 3000.0


def _newest(storage: Storage, settings: RestoreCheckSettings) -> BackupRef | None:
    return newest(o.key for o in storage.list(f"{settings.prefix}/"))


class _Restore:
    """gpg's plaintext chunks -> sha256 + gunzip -> the client's stdin; never raises inside python-gnupg."""

    def __init__(self, stdin: IO[bytes]) -> None:
        self.stdin = stdin
        self.sha256 = hashlib.sha256()
        self.bytes = 0
        self.sql_bytes = 0
        self.z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self.problem = ""

    def _write(self, data: bytes) -> None:
        if not data or self.problem:
            return
        try:
            self.stdin.write(data)
            self.sql_bytes += len(data)
        except OSError:  # the client exited: its own error says why
            self.problem = "the MariaDB client stopped reading"

    def on_data(self, chunk: bytes) -> bool:
        if chunk:
            self.sha256.update(chunk)
            self.bytes += len(chunk)
            if not self.problem:
                try:
                    data = chunk
                    while data and not self.z.eof:
                        self._write(self.z.decompress(data, _OUT_CHUNK))
                        data = self.z.unconsumed_tail
                except zlib.error as exc:
                    self.problem = f"the backup does not decompress: {exc}"
        return False  # never let python-gnupg keep the plaintext


def run_restore_check(storage: Storage, settings: RestoreCheckSettings, db_settings: MariaDBSettings,
                      erp: ERPNext | None = None) -> dict[str, Any]:
    """Restore the newest backup, compare with its manifest, drop the scratch database, record the result."""
    started = time.perf_counter()
    report: dict[str, Any] = {"status": "failed", "problems": [], "doctypes": {}}
    problems: list[str] = report["problems"]
    try:
        _check(storage, settings, db_settings, report)
    except MariaDBError as exc:
        problems.append(f"MariaDB: {exc}")
    report["seconds"] = round(time.perf_counter() - started, 3)
    if not problems:
        report["status"] = "passed"
    log.info("restore_check.done", status=report["status"], problems=len(problems), key=report.get("key"))
    if erp is not None:
        report["record"] = record(erp, report)
    return report


def _check(storage: Storage, settings: RestoreCheckSettings, db_settings: MariaDBSettings,
           report: dict[str, Any]) -> None:
    problems: list[str] = report["problems"]
    ref = _newest(storage, settings)
    if ref is None:
        problems.append("no backup found")
        return
    report.update({"key": ref.key, "day": ref.day.isoformat()})
    info = storage.stat(ref.key)
    if info is None:
        problems.append("the newest backup vanished")
        return
    meta = {k.lower().removeprefix("x-amz-meta-"): v for k, v in info.metadata.items()}
    expected_sha = meta.get("plaintext-sha256", "")
    raw = storage.get_bytes_if_exists(manifest_key(settings.prefix, settings.basename, ref.day))
    manifest: dict[str, Any] = {}
    if raw is None:
        problems.append("the backup has no manifest: nothing to compare the restore with")
    else:
        manifest = json.loads(raw)
        if manifest.get("plaintext_sha256") != expected_sha:
            problems.append("the manifest of the day describes another backup (digests differ)")
        elif not manifest.get("complete"):
            problems.append(f"the manifest is incomplete: {manifest.get('problem') or 'unknown'}")
    with MariaDB(db_settings) as db:
        for stale in db.databases(settings.database_prefix):  # a killed earlier run's scratch database
            db.drop_database(stale)
        scratch = f"{settings.database_prefix}{uuid.uuid4().hex[:12]}"
        db.create_database(scratch)
        try:
            restored = _restore(storage, settings, db, ref.key, scratch)
            report.update(restored)
            problems.extend(restored.pop("restore_problems"))
            if expected_sha and restored["plaintext_sha256"] != expected_sha:
                problems.append("the decrypted backup's digest differs from the one stored at backup time")
            doctypes: dict[str, Any] = manifest.get("doctypes") or {}
            counts = db.table_rows(scratch, [str(t["table"]) for t in doctypes.values()])
            report["doctypes"] = compare(doctypes, counts)
        finally:
            db.drop_database(scratch)
            report["scratch_dropped"] = scratch not in db.databases(settings.database_prefix)
    bad = [d for d, r in report["doctypes"].items() if not r["ok"]]
    if bad:
        problems.append(f"{len(bad)} DocTypes differ from the manifest: {', '.join(sorted(bad))}")
    report["tables_checked"] = sum(1 for r in report["doctypes"].values() if r["restored_present"])
    report["rows_restored"] = sum(int(r["restored_rows"]) for r in report["doctypes"].values())
    if not report["scratch_dropped"]:
        problems.append("the scratch database could not be dropped")


def compare(expected: dict[str, Any], counts: dict[str, int]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for doctype, exp in expected.items():
        table = str(exp["table"])
        present = table in counts
        rows = counts.get(table, 0)
        out[doctype] = {"table": table, "expected_present": bool(exp["present"]), "restored_present": present,
                        "expected_rows": int(exp["rows"]), "restored_rows": rows,
                        "ok": present == bool(exp["present"]) and rows == int(exp["rows"])}
    return out


def _restore(storage: Storage, settings: RestoreCheckSettings, db: MariaDB, key: str,
             database: str) -> dict[str, Any]:
    problems: list[str] = []
    with tempfile.TemporaryFile() as err, gpg_home(settings.gpg_binary) as gpg:
        imported = gpg.import_keys(settings.private_key.get_secret_value())
        if not imported.sec_imported:
            return {"restore_problems": ["the restore-check private key could not be imported"],
                    "plaintext_sha256": "", "restored_bytes": 0, "sql_bytes": 0}
        proc = db.restore_process(database, cast(IO[bytes], err))
        assert proc.stdin is not None
        sink = _Restore(proc.stdin)
        gpg.on_data = sink.on_data
        response = storage.get_stream(key)
        try:
            cipher = HashingReader(cast(IO[bytes], response))
            result = gpg.decrypt_file(cipher, passphrase=settings.passphrase.get_secret_value() or None,
                                      always_trust=True)
        finally:
            response.close()
            response.release_conn()
            try:
                proc.stdin.close()
            except OSError:
                pass
        if not result.ok:
            proc.kill()
            problems.append(f"decryption failed: {result.status or 'gpg exit ' + str(result.returncode)}")
        try:
            rc = proc.wait(timeout=settings.restore_timeout_s)
        except Exception:
            proc.kill()
            proc.wait()
            rc = -1
            problems.append("the MariaDB client did not finish in time")
        if sink.problem:
            problems.append(sink.problem)
        if result.ok and not sink.z.eof and not sink.problem:
            problems.append("the backup ends before its gzip end (truncated)")
        if result.ok and rc != 0:
            err.seek(0)
            problems.append(f"the MariaDB restore failed: {error_line(err.read(65536))}")
    return {"restore_problems": problems, "plaintext_sha256": sink.sha256.hexdigest(),
            "restored_bytes": sink.bytes, "sql_bytes": sink.sql_bytes}


def record(erp: ERPNext, report: dict[str, Any]) -> dict[str, Any]:
    """One Backup Check document per run (a check is an event: a repeated run is a second check)."""
    details = {d: {k: v for k, v in r.items() if k != "ok"} for d, r in (report.get("doctypes") or {}).items()}
    doc = erp.insert(BACKUP_CHECK, {
        "backup": str(report.get("key") or ""),
        "backup_date": report.get("day"),
        "status": "Passed" if report["status"] == "passed" else "Failed",
        "tables_checked": int(report.get("tables_checked") or 0),
        "rows_restored": int(report.get("rows_restored") or 0),
        "mismatches": sum(1 for r in (report.get("doctypes") or {}).values() if not r["ok"]),
        "seconds": float(report.get("seconds") or 0),
        "reason": "; ".join(report["problems"])[:1000],
        "details": json.dumps(details, sort_keys=True),
    })
    return {"doctype": BACKUP_CHECK, "name": doc.get("name")}
