"""Bench: the monthly restore check on a 1 GiB (uncompressed) dump: S3 -> gpg -> gunzip -> a real MariaDB.

Set-up (not timed): moto in its own process, a private mariadbd on 127.0.0.1 (pwdev.mariadb_server), a
throw-away gpg key pair, a generated gzip'd dump in mariadb-dump's layout (pipeline tables, a line per row),
encrypted and stored by the backup step (which writes the manifest). Timed: `run_restore_check` in a child
process, so its peak RSS is its own; gpg's and the mariadb client's peaks are reported separately (children).
Target: the function's own peak RSS <= 150 MB. Prints one JSON object as its last line.

    .venv/bin/python bench/backup_restore.py [--mib 1024] [--timeout 3600]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from measure import ROOT, in_child, moto_server, peak_rss_mb

BUCKET = "bench-restore"
TABLES = ("tabCustomer", "tabFormation Order", "tabComment", "tabSales Invoice")


def write_dump(path: Path, size: int) -> dict[str, int]:
    """A gzip'd dump of about `size` uncompressed bytes spread over TABLES; answers the rows per table."""
    rows = dict.fromkeys(TABLES, 0)
    per_table = size // len(TABLES)
    filler = os.urandom(96).hex()  # text that compresses like real rows do, roughly
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as out:
        out.write("/*!40101 SET NAMES utf8mb4 */;\n/*!40014 SET UNIQUE_CHECKS=0, FOREIGN_KEY_CHECKS=0 */;\n")
        for table in TABLES:
            out.write(f"DROP TABLE IF EXISTS `{table}`;\nCREATE TABLE `{table}` (\n  `name` varchar(140) NOT NULL,\n"
                      "  `modified` datetime(6) DEFAULT NULL,\n  `note` longtext DEFAULT NULL,\n  `amount` "
                      "decimal(21,9) DEFAULT NULL,\n  PRIMARY KEY (`name`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 "
                      f"COLLATE=utf8mb4_unicode_ci;\nLOCK TABLES `{table}` WRITE;\n")
            written, statement = 0, 0
            while written < per_table:
                lines = []
                for _ in range(2000):  # ~1 MiB statements, as mariadb-dump's net_buffer_length makes them
                    n = rows[table]
                    lines.append(f"('{table[3:6]}-{n:09d}','2026-01-01 00:00:00.000000',"
                                 f"'O\\'Brien {n} {filler[n % 97:]}',{n % 100000}.5)")
                    rows[table] += 1
                text = f"INSERT INTO `{table}` VALUES\n" + ",\n".join(lines) + ";\n"
                out.write(text)
                written += len(text)
                statement += 1
            out.write("UNLOCK TABLES;\n")
    return rows


def _child(endpoint: str, private: str, prefix: str, db_env: dict[str, str], out: Any) -> None:
    from pydantic import SecretStr

    from pwcore.clients.mariadb import MariaDBSettings
    from pwcore.clients.s3 import Storage
    from pwcore.steps.restore_check import RestoreCheckSettings, run_restore_check

    storage = Storage(endpoint, "minioadmin", "minioadmin", BUCKET, timeout_s=300)
    db = MariaDBSettings(host=db_env["RESTORE_CHECK_DB_HOST"], port=int(db_env["RESTORE_CHECK_DB_PORT"]),
                         user=db_env["RESTORE_CHECK_DB_USER"], password=SecretStr(db_env["RESTORE_CHECK_DB_PASSWORD"]))
    started = time.perf_counter()
    report = run_restore_check(storage, RestoreCheckSettings(private_key=SecretStr(private), prefix=prefix), db)
    out.put({"status": report["status"], "problems": report["problems"], "rows_restored": report.get("rows_restored"),
             "restored_bytes": report.get("restored_bytes"), "sql_bytes": report.get("sql_bytes"),
             "scratch_dropped": report.get("scratch_dropped"), "seconds": round(time.perf_counter() - started, 1),
             "peak_rss_mb": peak_rss_mb(), "children_peak_rss_mb": peak_rss_mb(children=True)})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--timeout", type=float, default=3600)
    args = parser.parse_args()
    sys.path[:0] = [str(ROOT / "shared"), str(ROOT / "dev")]
    from pwcore.clients.s3 import Storage
    from pwcore.steps.backup import BackupSettings, encrypt_and_upload
    from pwdev import gpg_keys
    from pwdev.mariadb_server import MariaDBServer

    work = Path(tempfile.mkdtemp(prefix="pwbench-restore-"))
    with moto_server(BUCKET) as endpoint:
        server = MariaDBServer(buffer_pool="256M")
        try:
            server.start()
            pair = gpg_keys.generate("Bench <bench@example.com>")
            public, private = pair.public, pair.private
            t0 = time.perf_counter()
            dump = work / "dump.sql.gz"
            rows = write_dump(dump, args.mib << 20)
            generate_s = time.perf_counter() - t0
            storage = Storage(endpoint, "minioadmin", "minioadmin", BUCKET, timeout_s=300)
            settings = BackupSettings(public_keys=public, prefix="bench-backups")
            with dump.open("rb") as f:
                backup = encrypt_and_upload(storage, settings, f, dt.date(2026, 1, 1))
            result, wall = in_child(_child, endpoint, private, settings.prefix, server.env, timeout=args.timeout)
            report = {
                "bench": "backup_restore", "plaintext_mib": args.mib, "gzip_bytes": dump.stat().st_size,
                "rows_generated": sum(rows.values()), "generate_s": round(generate_s, 1),
                "backup_s": backup["seconds"], "manifest_rows": backup["manifest"]["rows"],
                "restore_wall_s": round(wall, 1), "restore_check_s": result["seconds"], "status": result["status"],
                "problems": result["problems"], "rows_restored": result["rows_restored"],
                "sql_mib": round((result["sql_bytes"] or 0) / 1048576, 1),
                "restore_mib_per_s": round((result["sql_bytes"] or 0) / 1048576 / max(result["seconds"], 1e-9), 1),
                "scratch_dropped": result["scratch_dropped"],
                "peak_rss_mb": round(result["peak_rss_mb"], 1), "rss_ok": result["peak_rss_mb"] <= 150,
                "children_peak_rss_mb": round(result["children_peak_rss_mb"], 1),
            }
            print(json.dumps(report), flush=True)
        finally:
            server.stop()
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
