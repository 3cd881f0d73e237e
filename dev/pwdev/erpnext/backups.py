"""`bench backup` and Frappe's backup download, as the stand-in's site offers them.

- `bench_backup` writes what `bench backup` writes: `<sites>/<site>/private/backups/<YYYYMMDD_HHMMSS>-<site with
  dots as _>-database.sql.gz`, a gzip'd dump in mariadb-dump's layout (header SETs; per table DROP / CREATE
  TABLE with backtick names `tab<DocType>`, LOCK TABLES, extended INSERTs of at most ~1 MiB, a line per row,
  UNLOCK), so a real MariaDB restores it with the `mariadb` client. Values are escaped as mariadb-dump escapes
  them (backslash escapes for \\0 ' " \\ newline, CR, ^Z). The stamp is site-local time, as Frappe names it.
- `fetch_latest_backups` (frappe.desk.page.backups.backups): `frappe.only_for("System Manager")` (Administrator
  passes it), then the paths of the newest backups of the last 30 days (`./<site>/private/backups/<file>`,
  None where there is none).
- `GET /backups/<file>` (frappe.utils.response.download_backup): System Manager or Administrator, else 403
  "You need to be logged in and have System Manager Role to be able to access backups."; then the file
  (send_private_file), streamed.
"""

from __future__ import annotations

import datetime as dt
import gzip
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Request, Response
from werkzeug.wsgi import wrap_file

from .errors import FrappeError, message

NET_BUFFER_LENGTH = 1024 * 1024  # mariadb-dump starts a new INSERT statement past this
_FILE = re.compile(r"\d{8}_\d{6}-[A-Za-z0-9_.-]+-database\.sql\.gz\Z")
_ESCAPES = {0: b"\\0", 0x27: b"\\'", 0x22: b'\\"', 0x5C: b"\\\\", 0x0A: b"\\n", 0x0D: b"\\r", 0x1A: b"\\Z"}
_TRANSLATE = {k: v.decode() for k, v in _ESCAPES.items()}

HEADER = """-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB, for debian-linux-gnu (x86_64)
--
-- Host: 127.0.0.1    Database: {db}
-- ------------------------------------------------------
-- Server version\t10.11.6-MariaDB-0+deb12u1

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;
/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;
/*!40101 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;
"""
FOOTER = """/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;
/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;
/*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;
/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;

-- Dump completed on {when}
"""


def quote_ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def sql_value(v: Any) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, bytes | bytearray | memoryview):
        return "0x" + bytes(v).hex() if bytes(v) else "''"
    return "'" + str(v).translate(_TRANSLATE) + "'"


def _column_type(name: str, declared: str, key: bool) -> str:
    if key or name in ("name", "parent"):
        return "varchar(140)"  # Frappe's key columns; a longtext cannot be a PRIMARY KEY
    t = declared.upper()
    if "INT" in t:
        return "bigint(20)"
    if "REAL" in t:
        return "decimal(21,9)"
    return "longtext"


def dump_lines(conn: sqlite3.Connection, db_name: str) -> Iterator[str]:
    """The dump, a line at a time (one INSERT statement per line, each at most ~NET_BUFFER_LENGTH)."""
    yield HEADER.format(db=db_name)
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    for table in tables:
        q = quote_ident(table)
        info = conn.execute(f'PRAGMA table_info("{table}")').fetchall()
        cols = [str(c[1]) for c in info]
        keys = [str(c[1]) for c in sorted(info, key=lambda c: c[5]) if c[5]]
        defs = [f"  {quote_ident(c)} {_column_type(c, str(d or ''), c in keys)}"
                f"{' NOT NULL' if c in keys else ' DEFAULT NULL'}" for c, d in zip(cols, (i[2] for i in info),
                                                                                   strict=True)]
        if keys:
            defs.append(f"  PRIMARY KEY ({','.join(quote_ident(k) for k in keys)})")
        yield (f"\n--\n-- Table structure for table {q}\n--\n\nDROP TABLE IF EXISTS {q};\n"
               "/*!40101 SET @saved_cs_client     = @@character_set_client */;\n"
               "/*!40101 SET character_set_client = utf8 */;\n"
               f"CREATE TABLE {q} (\n" + ",\n".join(defs) + "\n"
               ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci ROW_FORMAT=DYNAMIC;\n"
               "/*!40101 SET character_set_client = @saved_cs_client */;\n"
               f"\n--\n-- Dumping data for table {q}\n--\n\n"
               f"LOCK TABLES {q} WRITE;\n/*!40000 ALTER TABLE {q} DISABLE KEYS */;\n")
        start = f"INSERT INTO {q} VALUES\n"  # mariadb-dump 10.11: a line per row
        line: list[str] = []
        size = 0
        for row in conn.execute(f'SELECT * FROM "{table}"'):
            tup = "(" + ",".join(sql_value(v) for v in row) + ")"
            if line and size + len(tup) > NET_BUFFER_LENGTH:
                yield start + ",\n".join(line) + ";\n"
                line, size = [], 0
            line.append(tup)
            size += len(tup) + 1
        if line:
            yield start + ",\n".join(line) + ";\n"
        yield f"/*!40000 ALTER TABLE {q} ENABLE KEYS */;\nUNLOCK TABLES;\n"
    yield FOOTER.format(when=dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S"))


class Backups:
    """The site's private/backups folder and the two ways Frappe serves it."""

    def __init__(self, folder: Path, site: str) -> None:
        self.site = site
        self.folder = folder / site / "private" / "backups"

    def bench_backup(self, app: Any, now: dt.datetime | None = None) -> Path:
        """`bench --site <site> backup`: a consistent snapshot (the store's lock), gzip'd to a new file."""
        local = (now or app.clock.now_dt()).replace(tzinfo=None)
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{local.strftime('%Y%m%d_%H%M%S')}-{self.site.replace('.', '_')}-database.sql.gz"
        tmp = path.with_suffix(".part")
        with app.store.lock, gzip.open(tmp, "wt", encoding="utf-8", compresslevel=6) as out:
            for chunk in dump_lines(app.store.conn, "_" + self.site.replace(".", "_")):
                out.write(chunk)
        tmp.rename(path)
        return path

    def files(self) -> list[Path]:
        return sorted(p for p in self.folder.glob("*-database.sql.gz") if _FILE.match(p.name)) \
            if self.folder.is_dir() else []

    @staticmethod
    def _only_for_system_manager(app: Any, user: str) -> None:
        if user != "Administrator" and "System Manager" not in app.perms.roles(user):
            raise FrappeError("PermissionError", "This action is only allowed for System Manager",
                              messages=[message("This action is only allowed for System Manager",
                                                title="Not Permitted")])

    def fetch_latest(self, app: Any, user: str) -> dict[str, Any]:
        self._only_for_system_manager(app, user)
        newest = None
        cutoff = app.clock.now_dt().replace(tzinfo=None) - dt.timedelta(hours=24 * 30)
        for p in self.files():
            stamp = dt.datetime.strptime(p.name[:15], "%Y%m%d_%H%M%S")
            if stamp >= cutoff:
                newest = p  # names sort by stamp
        rel = f"./{self.site}/private/backups/{newest.name}" if newest else None
        return {"database": rel, "public": None, "private": None, "config": None}

    def serve(self, app: Any, req: Request, user: str) -> Response:
        if user == "Guest" or (user != "Administrator" and "System Manager" not in app.perms.roles(user)):
            return Response("You need to be logged in and have System Manager Role to be able to access backups.",
                            status=403, mimetype="text/html")
        name = req.path.removeprefix("/backups/")
        path = self.folder / name
        if not _FILE.match(name) or not path.is_file():
            return Response("Not Found", status=404, mimetype="text/html")
        f = path.open("rb")
        return Response(wrap_file(req.environ, f, 256 * 1024), mimetype="application/octet-stream",
                        direct_passthrough=True,
                        headers={"Content-Disposition": f'attachment; filename="{name}"',
                                 "Content-Length": str(path.stat().st_size)})
