"""Backup object names and the backup manifest: what a backup held, counted from the dump as it streams (pure).

The names (`backups/{daily|monthly|yearly}/erpnext-YYYY-MM-DD.sql.gz.gpg`) are shared by the backup function
and the restore check, so they live here, below both steps.

The manifest (`backups/manifests/erpnext-YYYY-MM-DD.json`, next to the backups, one per site date: the monthly
and yearly copies of a day have the same bytes) records, per pipeline DocType, its table and how many rows the
dump inserts into it, plus the plaintext digest of the backup it describes. It is counted from the plaintext
while gpg encrypts it (`DumpCounter`), so it describes exactly the bytes that were encrypted: a REST count taken
minutes later could differ from the dump by the orders placed in between. No secrets: table names and counts.

`bench backup` writes `mariadb-dump --single-transaction --quick --lock-tables=false <db> | gzip`: per table a
`CREATE TABLE \\`tab<DocType>\\`` and extended inserts. Older dumps put a statement on one line
(`INSERT INTO \\`t\\` VALUES (...),(...);`), MariaDB 10.11's mariadb-dump starts a line per row (`INSERT INTO
\\`t\\` VALUES` then `(...),` lines, the last ending `;`); strings are single-quoted with backslash escapes, so a
value never holds a raw newline and never spans lines. Values are literals (strings, numbers, NULL, 0x...), so
rows = the `(` outside quoted strings on the lines of a table's INSERT statements.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

DEFAULT_PREFIX = "backups"
DEFAULT_BASENAME = "erpnext"
DEFAULT_SUFFIX = ".sql.gz.gpg"
MANIFEST_FORMAT = 1
# ERPNext's own DocTypes the pipeline reads and writes, besides the custom ones of data/doctypes.json.
CORE_DOCTYPES = ("Customer", "Sales Order", "Sales Order Item", "Sales Invoice", "Sales Invoice Item", "Comment",
                 "File")
MAX_LINE_BYTES = 64 * 1024 * 1024  # mariadb-dump's lines are <= net_buffer_length (1 MiB by default)
_OUT_CHUNK = 1024 * 1024  # bounded gunzip output per step

_KEY = re.compile(r"^(?P<root>.+)/(?P<kind>daily|monthly|yearly)/(?P<base>[^/]+?)-(?P<day>\d{4}-\d{2}-\d{2})"
                  r"(?P<suffix>\.[^/\s]+)\Z")  # \Z: "$" would match before a final "\n"


@dataclass(frozen=True, order=True)
class BackupRef:
    day: dt.date
    kind: str
    key: str


def parse_key(key: str) -> BackupRef | None:
    m = _KEY.match(key)
    if not m:
        return None
    try:
        return BackupRef(dt.date.fromisoformat(m["day"]), m["kind"], key)
    except ValueError:
        return None


def newest(keys: Iterable[str]) -> BackupRef | None:
    refs = [r for r in (parse_key(k) for k in keys) if r is not None]
    if not refs:
        return None
    rank = {"daily": 2, "monthly": 1, "yearly": 0}  # same day: any copy has the same bytes
    return max(refs, key=lambda r: (r.day, rank[r.kind]))


def manifest_key(prefix: str, basename: str, day: dt.date) -> str:
    return f"{prefix}/manifests/{basename}-{day.isoformat()}.json"


def table_of(doctype: str) -> str:
    return f"tab{doctype}"  # frappe.utils.get_table_name


def pipeline_doctypes() -> list[str]:
    """The DocTypes a restore must bring back: ours (data/doctypes.json) and the ERPNext ones we use."""
    spec = json.loads(resources.files("pwcore").joinpath("data", "doctypes.json").read_text(encoding="utf-8"))
    ours = [str(d["name"]) for d in spec.get("doctypes", [])]
    return list(dict.fromkeys([*ours, *CORE_DOCTYPES]))


# Quoted strings (backslash escapes) are skipped whole, so a "),(" inside a value is never counted.
_TOKENS = re.compile(rb"'[^'\\]*(?:\\.[^'\\]*)*'|\(", re.S)
_INSERT = re.compile(rb"INSERT INTO `((?:[^`]|``)+)` VALUES\s?")
_CREATE = re.compile(rb"CREATE TABLE `((?:[^`]|``)+)`")
_DECIDE = 256  # a line's kind is known from its first bytes


def count_rows(values: bytes) -> int:
    """Rows in (a line of) an extended INSERT's VALUES part: `(..),(..);`."""
    return sum(1 for m in _TOKENS.finditer(values) if m.group(0) == b"(")


@dataclass
class DumpCounter:
    """Counts CREATE TABLEs and inserted rows per wanted table while a gzip'd dump passes through `feed`.

    Memory: one INSERT line of a wanted table at most (bounded by MAX_LINE_BYTES), lines of other tables are
    skipped as they stream. Never raises on odd input: `problem` says why the counts are not complete.
    """

    tables: Iterable[str]
    created: set[str] = field(default_factory=set)
    rows: dict[str, int] = field(default_factory=dict)
    problem: str = ""
    _wanted: frozenset[bytes] = frozenset()
    _z: Any = None
    _line: bytearray = field(default_factory=bytearray)
    _mode: str = "start"  # start (kind not known yet) | keep (a line of a wanted INSERT) | skip
    _current: str = ""  # the wanted table whose INSERT statement the next "(" lines continue
    _gzip: bool | None = None
    _done: bool = False

    def __post_init__(self) -> None:
        self._wanted = frozenset(t.encode() for t in self.tables)
        self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def feed(self, data: bytes) -> None:
        if self.problem or not data:
            return
        if self._gzip is None:
            self._gzip = data[:2] == b"\x1f\x8b"
            if not self._gzip:
                self.problem = "the dump is not gzip (bench backup writes .sql.gz)"
                return
        try:
            while data:
                if self._z.eof:  # a further gzip member (concatenated .gz)
                    rest = self._z.unused_data + data
                    self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    data = rest
                out = self._z.decompress(data, _OUT_CHUNK)
                self._text(out)
                data = self._z.unconsumed_tail
                while not data and not self._z.eof:  # drain what zlib holds back for the output bound
                    more = self._z.decompress(b"", _OUT_CHUNK)
                    if not more:
                        break
                    self._text(more)
        except zlib.error as exc:
            self.problem = f"the dump does not decompress: {exc}"

    def _text(self, out: bytes) -> None:
        start = 0
        while start < len(out) and not self.problem:
            nl = out.find(b"\n", start)
            end = len(out) if nl < 0 else nl
            piece = out[start:end]
            if self._mode == "start":
                self._line += piece
                if nl >= 0 or len(self._line) >= _DECIDE:
                    self._decide()
            elif self._mode == "keep":
                self._line += piece
                if len(self._line) > MAX_LINE_BYTES:
                    self.problem = f"an INSERT line longer than {MAX_LINE_BYTES} bytes"
                    return
            if nl < 0:
                return
            self._end_line()
            start = nl + 1

    def _decide(self) -> None:
        line = bytes(self._line)
        if line[:1] == b"(" and self._current:
            self._mode = "keep"
            return
        self._current = ""
        m = _INSERT.match(line)
        if m and m.group(1) in self._wanted:
            self._current = m.group(1).decode()
            self._mode = "keep"
            return
        c = _CREATE.match(line)
        if c and c.group(1) in self._wanted:
            name = c.group(1).decode()
            self.created.add(name)
            self.rows.setdefault(name, 0)
        self._mode = "skip"
        self._line.clear()

    def _end_line(self) -> None:
        if self._mode == "start":
            self._decide()
        if self._mode == "keep":
            line = bytes(self._line)
            m = _INSERT.match(line)
            values = line[m.end():] if m is not None else line
            self.rows[self._current] = self.rows.get(self._current, 0) + count_rows(values)
            if line.rstrip().endswith(b";"):  # the statement ends (a string never spans lines)
                self._current = ""
        self._line.clear()
        self._mode = "start"

    def finish(self) -> None:
        if self._done:
            return
        self._done = True
        if self._line and not self.problem:
            self._end_line()
        if self._gzip and not self.problem and not self._z.eof:
            self.problem = "the dump ends before its gzip end (truncated)"

    def tables_report(self, doctypes: Iterable[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for doctype in doctypes:
            table = table_of(doctype)
            out[doctype] = {"table": table, "present": table in self.created, "rows": self.rows.get(table, 0)}
        return out


def build_manifest(counter: DumpCounter, doctypes: Iterable[str], *, backup_key: str, day: dt.date,
                   plaintext_sha256: str, plaintext_bytes: int, source: str,
                   now: dt.datetime | None = None) -> dict[str, Any]:
    counter.finish()
    return {"format": MANIFEST_FORMAT, "backup": backup_key, "day": day.isoformat(),
            "plaintext_sha256": plaintext_sha256, "plaintext_bytes": plaintext_bytes, "source": source,
            "created_at": (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
            "complete": not counter.problem, "problem": counter.problem,
            "doctypes": counter.tables_report(doctypes)}
