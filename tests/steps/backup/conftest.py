"""Fixtures for the backup tests: throw-away GnuPG keys (real gpg), a Storage on moto, a failing TCP proxy."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from pwcore.clients.s3 import Storage
from pwcore.steps.backup import BackupSettings


@dataclass(frozen=True)
class KeyPair:
    fingerprint: str
    public: str
    private: str


def _gen_key(home: str, uid: str) -> KeyPair:
    base = ["gpg", "--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase", ""]
    subprocess.run([*base, "--quick-gen-key", uid, "ed25519", "cert", "never"], check=True, capture_output=True)
    listing = subprocess.run(["gpg", "--homedir", home, "--batch", "--with-colons", "--list-keys", uid],
                             check=True, capture_output=True, text=True).stdout
    fpr = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
    subprocess.run([*base, "--quick-add-key", fpr, "cv25519", "encr", "never"], check=True, capture_output=True)
    public = subprocess.run(["gpg", "--homedir", home, "--batch", "--armor", "--export", fpr],
                            check=True, capture_output=True, text=True).stdout
    private = subprocess.run([*base, "--armor", "--export-secret-keys", fpr],
                             check=True, capture_output=True, text=True).stdout
    return KeyPair(fpr, public, private)


@pytest.fixture(scope="session")
def keys() -> Iterator[dict[str, KeyPair]]:
    home = tempfile.mkdtemp(prefix="pwgpgtest-")
    try:
        yield {name: _gen_key(home, f"Backup {name} <{name}@example.com>") for name in ("ops", "dr", "other")}
    finally:
        subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], capture_output=True, check=False)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture()
def storage(s3: Any) -> Storage:
    return Storage(s3.endpoint, s3.access_key, s3.secret_key, s3.bucket)


@pytest.fixture()
def settings(keys: dict[str, KeyPair]) -> BackupSettings:
    # A prefix per test: moto's state is shared by the session, so tests must not see each other's backups.
    return BackupSettings(public_keys=keys["ops"].public + keys["dr"].public,
                          prefix=f"backups-{uuid.uuid4().hex[:8]}")


class CuttingProxy:
    """TCP proxy to S3 that drops every connection once `budget` request bytes went through (S3 dying)."""

    def __init__(self, target: tuple[str, int], budget: int) -> None:
        self.target = target
        self.budget = budget
        self.sent = 0
        self.dead = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            if self.dead.is_set():
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, counted: bool) -> None:
        try:
            while data := src.recv(65536):
                if counted:
                    with self._lock:
                        self.sent += len(data)
                        if self.sent > self.budget:
                            self.dead.set()
                if self.dead.is_set():
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="session")
def mariadb() -> Iterator[Any]:
    """A private MariaDB server on 127.0.0.1 (its own datadir, port, socket; a user with a password)."""
    from pwdev.mariadb_server import MariaDBServer, missing

    why = missing()
    if why:
        pytest.skip(why)
    with MariaDBServer() as server:
        yield server
