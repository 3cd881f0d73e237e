"""GnuPG through python-gnupg: a throw-away keyring of public keys, and a streaming encryption pipe."""

from __future__ import annotations

import hashlib
import io
import queue
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

import gnupg


class GpgError(Exception):
    """Encryption failed or the keys are unusable; the message holds no key material."""


CHUNK = 256 * 1024


# -- GnuPG home per invocation ------------------------------------------------------------------------------
@contextmanager
def gpg_home(gpg_binary: str = "gpg") -> Iterator[gnupg.GPG]:
    home = tempfile.mkdtemp(prefix="pwgpg-")
    try:
        gpg = gnupg.GPG(gnupghome=home, gpgbinary=gpg_binary)
        gpg.encoding = "utf-8"
        gpg.buffer_size = CHUNK
        yield gpg
    finally:
        # gpg 2.x starts an agent for the home; stop it before removing the folder it lives in.
        try:
            subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], capture_output=True, timeout=10,
                           check=False)
        except (OSError, subprocess.SubprocessError):
            pass
        shutil.rmtree(home, ignore_errors=True)


def import_public_keys(gpg: gnupg.GPG, armored: str) -> list[str]:
    """Import the recipients' public keys; returns the fingerprints of keys able to encrypt."""
    if "PRIVATE KEY BLOCK" in armored:
        raise GpgError("BACKUP_PUBLIC_KEYS holds private key material; the backup function takes public keys only")
    if "BEGIN PGP PUBLIC KEY BLOCK" not in armored:
        raise GpgError("no public key configured (BACKUP_PUBLIC_KEYS / secret file backup-public-keys)")
    result = gpg.import_keys(armored)
    fingerprints = [fp for fp in (result.fingerprints or []) if fp]
    usable: list[str] = []
    for key in gpg.list_keys():
        if key.get("fingerprint") in fingerprints and "E" in str(key.get("cap", "")) \
                and str(key.get("trust", "")) not in {"r", "e"}:
            usable.append(str(key["fingerprint"]))
    if not usable:
        raise GpgError("the configured public keys could not be imported or cannot encrypt "
                          "(expired, revoked or not an encryption key)")
    return usable


# -- streams -----------------------------------------------------------------------------------------------
class _Aborted(Exception):
    pass


class HashingReader(io.RawIOBase):
    """Wraps a binary stream; hashes and counts what is read. `abort` makes the next read fail."""

    def __init__(self, source: IO[bytes]) -> None:
        self.source = source
        self.sha256 = hashlib.sha256()
        self.bytes = 0
        self.abort = threading.Event()

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if self.abort.is_set():
            raise _Aborted("upload aborted")
        data = self.source.read(CHUNK if size is None or size < 0 else size)
        if data:
            self.sha256.update(data)
            self.bytes += len(data)
        return bytes(data)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class IterReader(io.RawIOBase):
    """A file-like view of an iterator of byte chunks (an httpx streaming body)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.buffer = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        want = CHUNK if size is None or size < 0 else size
        while len(self.buffer) < want:
            try:
                self.buffer += next(self.chunks)
            except StopIteration:
                break
        out, self.buffer = self.buffer[:want], self.buffer[want:]
        return out

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


_EOF = object()


class _CipherPipe(io.RawIOBase):
    """gpg's output as a readable stream; EOF only once gpg succeeded, otherwise the stored error is raised."""

    def __init__(self, max_chunks: int = 4) -> None:
        self.q: queue.Queue[Any] = queue.Queue(maxsize=max_chunks)
        self.buffer = b""
        self.done = False
        self.sha256 = hashlib.sha256()
        self.bytes = 0
        self.abort = threading.Event()

    # producer side (python-gnupg's stdout thread)
    def feed(self, item: Any) -> None:
        while not self.abort.is_set():
            try:
                self.q.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    # consumer side (minio)
    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        want = CHUNK if size is None or size < 0 else size
        while len(self.buffer) < want and not self.done:
            item = self.q.get()
            if item is _EOF:
                self.done = True
            elif isinstance(item, BaseException):
                self.done = True
                raise item
            else:
                self.buffer += item
        out, self.buffer = self.buffer[:want], self.buffer[want:]
        self.sha256.update(out)
        self.bytes += len(out)
        return out

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


@dataclass
class EncryptResult:
    plaintext_sha256: str
    ciphertext_sha256: str
    plaintext_bytes: int
    ciphertext_bytes: int
    seconds: float


@contextmanager
def encrypted_stream(gpg: gnupg.GPG, source: IO[bytes], recipients: list[str],
                     compress: bool = False) -> Iterator[tuple[_CipherPipe, HashingReader, threading.Thread]]:
    """Run gpg over `source` in a thread; yields (ciphertext reader, plaintext hasher, thread)."""
    plain = HashingReader(source)
    pipe = _CipherPipe()

    def on_data(chunk: bytes) -> bool:
        if chunk:
            pipe.feed(bytes(chunk))
        return False  # never let python-gnupg keep the output in memory

    gpg.on_data = on_data
    extra = [] if compress else ["--compress-algo", "none"]

    def run() -> None:
        try:
            result = gpg.encrypt_file(plain, recipients, armor=False, always_trust=True, extra_args=extra)
        except _Aborted:
            pipe.feed(GpgError("aborted"))
            return
        except Exception as exc:  # the source failed mid-way: gpg saw a truncated input
            pipe.feed(GpgError(f"reading the backup source failed: {type(exc).__name__}: {exc}"))
            return
        if not result.ok or result.returncode != 0:
            pipe.feed(GpgError(f"gpg encryption failed: {result.status or 'exit ' + str(result.returncode)}"))
            return
        pipe.feed(_EOF)

    thread = threading.Thread(target=run, name="gpg-encrypt", daemon=True)
    thread.start()
    try:
        yield pipe, plain, thread
    finally:
        if thread.is_alive():
            pipe.abort.set()
            plain.abort.set()
            # Drain so the producer is never stuck on a full queue.
            while thread.is_alive():
                try:
                    pipe.q.get(timeout=0.1)
                except queue.Empty:
                    pass
        thread.join(timeout=30)


