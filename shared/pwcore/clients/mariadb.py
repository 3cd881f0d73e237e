"""A MariaDB server through the `mariadb` command-line client (the restore check's scratch database).

The client binary, not a Python driver: a dump is restored the way an operator restores one (`mariadb db <
dump.sql`), statement splitting, `/*!40101 ... */` comments and LOCK TABLES included, and the dump streams through
its stdin without a parser of ours. Credentials go in a `--defaults-extra-file` (mode 0600, in a private temporary
folder removed on close), never on the command line (visible in `ps`) or in the environment.
The server account needs, on the scratch databases only (`GRANT ALL ON \\`pw\\_restore\\_%\\`.* TO ...`):
CREATE, DROP, INSERT, SELECT, ALTER, INDEX, LOCK TABLES.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from pwcore.settings import Settings, deployed

SAFE_DB = re.compile(r"[A-Za-z0-9_]{1,64}\Z")


class MariaDBError(Exception):
    """The client failed; the message is the client's error line (never the password)."""


class MariaDBSettings(Settings):
    model_config = SettingsConfigDict(env_prefix="RESTORE_CHECK_DB_")
    host: str = deployed("")
    port: int = 3306
    user: str = deployed("")
    password: SecretStr  # secret file restore-check-db-password
    client: str = "mariadb"
    connect_timeout_s: int = 10


def quote_ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def quote_str(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _option(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class MariaDB:
    """`with MariaDB(settings) as db:` the option file exists for the block's duration."""

    def __init__(self, settings: MariaDBSettings) -> None:
        self.settings = settings
        self._dir: str | None = None
        self._cnf = ""

    def __enter__(self) -> MariaDB:
        self._dir = tempfile.mkdtemp(prefix="pwmariadb-")
        cnf = Path(self._dir) / "client.cnf"
        s = self.settings
        cnf.touch(mode=0o600)
        cnf.write_text(f"[client]\nhost={_option(s.host)}\nport={int(s.port)}\nuser={_option(s.user)}\n"
                       f"password={_option(s.password.get_secret_value())}\n", encoding="utf-8")
        self._cnf = str(cnf)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)
        self._dir = None

    def args(self, *extra: str) -> list[str]:
        if not self._cnf:
            raise RuntimeError("use MariaDB as a context manager")
        # --defaults-extra-file must be the first option.
        return [self.settings.client, f"--defaults-extra-file={self._cnf}", "--batch", "--skip-column-names",
                f"--connect-timeout={self.settings.connect_timeout_s}", *extra]

    def query(self, sql: str, database: str | None = None, timeout_s: float = 300) -> list[list[str]]:
        cmd = self.args(*([f"--database={database}"] if database else []), "-e", sql)
        try:
            done = subprocess.run(cmd, capture_output=True, timeout=timeout_s, check=False)
        except FileNotFoundError:
            raise MariaDBError(f"the MariaDB client {self.settings.client!r} is not installed") from None
        except subprocess.TimeoutExpired:
            raise MariaDBError(f"the MariaDB client timed out after {timeout_s:.0f} s") from None
        if done.returncode != 0:
            raise MariaDBError(error_line(done.stderr))
        return [line.split("\t") for line in done.stdout.decode("utf-8", "replace").splitlines() if line]

    def databases(self, like_prefix: str) -> list[str]:
        escaped = like_prefix.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%")
        return [r[0] for r in self.query(f"SHOW DATABASES LIKE {quote_str(escaped + '%')}")]

    def create_database(self, name: str) -> None:
        self._check(name)
        self.query(f"CREATE DATABASE {quote_ident(name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")

    def drop_database(self, name: str) -> None:
        self._check(name)
        self.query(f"DROP DATABASE IF EXISTS {quote_ident(name)}")

    def table_rows(self, database: str, tables: list[str]) -> dict[str, int]:
        """Row counts of those of `tables` that exist in `database` (absent tables are left out)."""
        self._check(database)
        # Identifiers and literals are quoted by quote_ident / quote_str (no bind parameters in the CLI).
        present = {r[0] for r in self.query(
            f"SELECT table_name FROM information_schema.tables WHERE table_schema = {quote_str(database)}")}  # noqa: S608
        wanted = [t for t in tables if t in present]
        if not wanted:
            return {}
        sql = " UNION ALL ".join(
            f"SELECT {quote_str(t)}, COUNT(*) FROM {quote_ident(database)}.{quote_ident(t)}"  # noqa: S608
            for t in wanted)
        return {r[0]: int(r[1]) for r in self.query(sql)}

    def restore_process(self, database: str, stderr: IO[bytes]) -> subprocess.Popen[bytes]:
        """A client reading SQL from its stdin into `database` (the caller writes the dump and closes stdin)."""
        self._check(database)
        try:
            return subprocess.Popen(self.args(f"--database={database}", "--max-allowed-packet=1G"),
                                    stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr)
        except FileNotFoundError:
            raise MariaDBError(f"the MariaDB client {self.settings.client!r} is not installed") from None

    @staticmethod
    def _check(name: str) -> None:
        if not SAFE_DB.match(name):
            raise MariaDBError("unsafe database name")


def error_line(stderr: Any) -> str:
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else str(stderr or "")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and "Warning" not in ln]
    return (lines[-1] if lines else "the MariaDB client failed")[:300]
