"""A private MariaDB server on 127.0.0.1 for the restore check: its own datadir, port and socket, real grants.

Debian's `mariadb-server` package (the Makefile installs it): `mariadb-install-db` creates a data folder, then
`mariadbd` serves it on a free loopback port with its socket in the same temporary folder. An account with a
password and rights on the scratch databases only (`pw\\_restore\\_%`), as an operator would grant the restore
check; no --skip-grant-tables. `stop()` shuts the server down and removes the folder.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

USER = "pwrestore"
DB_PREFIX = "pw_restore_"


def binaries() -> dict[str, str | None]:
    path = os.environ.get("PATH", "") + ":/usr/sbin:/usr/local/sbin"
    return {name: shutil.which(name, path=path) for name in ("mariadbd", "mariadb-install-db", "mariadb")}


def missing() -> str:
    """Why no server can be started here ('' when it can)."""
    absent = [name for name, where in binaries().items() if where is None]
    return f"MariaDB is not installed ({', '.join(absent)} missing; apt-get install mariadb-server mariadb-client)" \
        if absent else ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MariaDBServer:
    def __init__(self, buffer_pool: str = "128M") -> None:
        self.buffer_pool = buffer_pool
        self.root = Path(tempfile.mkdtemp(prefix="pwmariadbd-"))
        self.port = _free_port()
        self.host = "127.0.0.1"
        self.user = USER
        self.password = "pw-" + secrets.token_hex(12)
        self.socket = str(self.root / "mariadb.sock")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        """The restore check's settings for this server (RESTORE_CHECK_DB_*)."""
        return {"RESTORE_CHECK_DB_HOST": self.host, "RESTORE_CHECK_DB_PORT": str(self.port),
                "RESTORE_CHECK_DB_USER": self.user, "RESTORE_CHECK_DB_PASSWORD": self.password}

    def start(self, timeout_s: float = 60) -> MariaDBServer:
        bins = binaries()
        if any(v is None for v in bins.values()):
            raise RuntimeError(missing())
        data = self.root / "data"
        as_root = ["--user=root"] if os.geteuid() == 0 else []
        subprocess.run([str(bins["mariadb-install-db"]), "--no-defaults", f"--datadir={data}", "--skip-test-db",
                        "--auth-root-authentication-method=socket", *as_root],
                       check=True, capture_output=True, timeout=120)
        self.log = self.root / "error.log"
        self.proc = subprocess.Popen(
            [str(bins["mariadbd"]), "--no-defaults", f"--datadir={data}", f"--port={self.port}",
             "--bind-address=127.0.0.1", f"--socket={self.socket}", f"--pid-file={self.root / 'mariadb.pid'}",
             f"--log-error={self.log}", "--skip-name-resolve", f"--innodb-buffer-pool-size={self.buffer_pool}",
             "--innodb-log-file-size=256M", "--innodb-flush-log-at-trx-commit=2", "--skip-log-bin",
             "--max-allowed-packet=1G", "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci",
             *as_root],  # the character set Frappe requires of its server
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout_s
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mariadbd exited: {self._log_tail()}")
            if self.root_sql("SELECT 1", check=False).returncode == 0:
                break
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"mariadbd did not start in {timeout_s} s: {self._log_tail()}")
            time.sleep(0.2)
        grant_on = "`" + DB_PREFIX.replace("_", "\\_") + "%`.*"
        self.root_sql(f"CREATE USER '{self.user}'@'127.0.0.1' IDENTIFIED BY '{self.password}'; "
                      f"GRANT ALL PRIVILEGES ON {grant_on} TO '{self.user}'@'127.0.0.1'; FLUSH PRIVILEGES;")
        return self

    def root_sql(self, sql: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        """As the server's root over its socket (set-up and test inspection only)."""
        client = binaries()["mariadb"] or "mariadb"
        # (check=True raises CalledProcessError, whose stderr names the failing statement)
        return subprocess.run([client, "--no-defaults", f"--socket={self.socket}", "-uroot", "--batch",
                               "--skip-column-names"], input=sql.encode(), capture_output=True, check=check,
                              timeout=120)  # stdin: a statement may exceed one argument's limit

    def _log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-800:]
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: a clean InnoDB shutdown
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> MariaDBServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
