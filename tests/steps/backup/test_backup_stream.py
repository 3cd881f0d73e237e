"""Encrypt + upload + verify with real gpg and throw-away keys, against moto over 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any, cast

import pytest
from pydantic import SecretStr

from pwcore.clients.s3 import Storage
from pwcore.steps.backup import (
    META_CIPHER,
    META_PLAIN,
    BackupError,
    BackupSettings,
    BackupVerifySettings,
    encrypt_and_upload,
    open_source_url,
    verify_newest,
)

from .conftest import CuttingProxy, KeyPair

DAY = dt.date(2026, 3, 14)


def _keys_under(storage: Storage, prefix: str) -> list[str]:
    return sorted(o.key for o in storage.list(f"{prefix}/"))


def _dump(size: int) -> bytes:
    # Mostly incompressible, as a real .sql.gz is; gzip-wrapped so the restore check can test it.
    return gzip.compress(os.urandom(size), compresslevel=1)


def _verify(storage: Storage, settings: BackupSettings, key: KeyPair, scratch: Path) -> dict[str, Any]:
    return verify_newest(storage, settings, BackupVerifySettings(private_key=SecretStr(key.private),
                                                                 scratch_dir=str(scratch)))


def test_roundtrip_multipart_two_recipients(storage: Storage, settings: BackupSettings,
                                            keys: dict[str, KeyPair], tmp_path: Path) -> None:
    data = _dump(12 * 1024 * 1024)  # > 2 parts of 5 MiB
    result = encrypt_and_upload(storage, settings, io.BytesIO(data), DAY)
    key = f"{settings.prefix}/daily/erpnext-2026-03-14.sql.gz.gpg"
    assert result["key"] == key
    assert result["plaintext_sha256"] == hashlib.sha256(data).hexdigest()
    # the staging object is gone; the manifest of the day sits next to the backup
    assert _keys_under(storage, settings.prefix) == [key, f"{settings.prefix}/manifests/erpnext-2026-03-14.json"]
    info = storage.stat(key)
    assert info is not None
    meta = {k.removeprefix("x-amz-meta-"): v for k, v in info.metadata.items()}
    assert meta[META_PLAIN] == hashlib.sha256(data).hexdigest()
    cipher = storage.get_bytes(key)
    assert meta[META_CIPHER] == hashlib.sha256(cipher).hexdigest() == result["ciphertext_sha256"]
    assert data[1000:1100] not in cipher
    assert {keys["ops"].fingerprint, keys["dr"].fingerprint} <= set(result["recipients"])

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    for holder in ("ops", "dr"):  # either recipient can restore
        report = _verify(storage, settings, keys[holder], scratch)
        assert report["ok"] is True, report
        assert report["gzip_ok"] is True
        assert report["restored_bytes"] == len(data)
        assert report["scratch_deleted"] and list(scratch.iterdir()) == []


def test_verify_with_wrong_private_key_fails_and_cleans_up(storage: Storage, settings: BackupSettings,
                                                           keys: dict[str, KeyPair], tmp_path: Path) -> None:
    encrypt_and_upload(storage, settings, io.BytesIO(b"small dump"), DAY)
    with pytest.raises(BackupError, match="decryption failed"):
        _verify(storage, settings, keys["other"], tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_verify_detects_tampered_metadata(storage: Storage, settings: BackupSettings,
                                          keys: dict[str, KeyPair], tmp_path: Path) -> None:
    result = encrypt_and_upload(storage, settings, io.BytesIO(b"dump"), DAY)
    from minio.commonconfig import REPLACE, CopySource

    storage.client.copy_object(storage.bucket, result["key"], CopySource(storage.bucket, result["key"]),
                               metadata={META_PLAIN: "0" * 64, META_CIPHER: result["ciphertext_sha256"]},
                               metadata_directive=REPLACE)
    report = _verify(storage, settings, keys["ops"], tmp_path)
    assert report["ok"] is False and report["plaintext_sha256"] == hashlib.sha256(b"dump").hexdigest()


@pytest.mark.parametrize("public_keys, match", [
    ("", "no public key"),
    ("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot a key\n-----END PGP PUBLIC KEY BLOCK-----\n",
     "could not be imported"),
])
def test_missing_or_bad_key_uploads_nothing(storage: Storage, settings: BackupSettings, public_keys: str,
                                            match: str) -> None:
    bad = settings.model_copy(update={"public_keys": public_keys})
    with pytest.raises(BackupError, match=match):
        encrypt_and_upload(storage, bad, io.BytesIO(b"x" * 1000), DAY)
    assert _keys_under(storage, settings.prefix) == []


def test_private_key_in_public_setting_is_refused(storage: Storage, settings: BackupSettings,
                                                  keys: dict[str, KeyPair]) -> None:
    bad = settings.model_copy(update={"public_keys": keys["ops"].private})
    with pytest.raises(BackupError, match="private key material"):
        encrypt_and_upload(storage, bad, io.BytesIO(b"x"), DAY)
    assert _keys_under(storage, settings.prefix) == []


class _BrokenSource(io.RawIOBase):
    def __init__(self, good: int) -> None:
        self.left = good

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if self.left <= 0:
            raise ConnectionResetError("source went away")
        n = min(self.left, size if size and size > 0 else 65536)
        self.left -= n
        return os.urandom(n)


def test_source_failing_midway_leaves_no_backup(storage: Storage, settings: BackupSettings) -> None:
    with pytest.raises(BackupError, match="source failed"):
        encrypt_and_upload(storage, settings, cast(IO[bytes], _BrokenSource(7 * 1024 * 1024)), DAY)
    assert _keys_under(storage, settings.prefix) == []


def test_s3_dying_midupload_leaves_no_partial_object(s3: Any, storage: Storage,
                                                     settings: BackupSettings) -> None:
    proxy = CuttingProxy(("127.0.0.1", s3.port), budget=8 * 1024 * 1024)
    try:
        flaky = Storage(f"127.0.0.1:{proxy.port}", s3.access_key, s3.secret_key, s3.bucket, retries=1,
                        timeout_s=5)
        with pytest.raises(BackupError):
            encrypt_and_upload(flaky, settings, io.BytesIO(os.urandom(16 * 1024 * 1024)), DAY)
        assert proxy.dead.is_set()
    finally:
        proxy.close()
    assert _keys_under(storage, settings.prefix) == []  # neither the daily key nor a staging object


def test_dry_run_writes_nothing(storage: Storage, settings: BackupSettings) -> None:
    result = encrypt_and_upload(storage, settings, io.BytesIO(b"abc" * 1000), DAY, dry_run=True)
    assert result["dry_run"] and result["ciphertext_bytes"] > 0
    assert _keys_under(storage, settings.prefix) == []


@pytest.fixture()
def dump_server() -> Iterator[tuple[str, bytes]]:
    body = _dump(300_000)

    class H(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.headers.get("Authorization") != "Bearer s3cr3t-token":
                self.send_response(401)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/backup.sql.gz", body
    server.shutdown()
    server.server_close()


def test_pull_from_url_with_auth(storage: Storage, settings: BackupSettings,
                                 dump_server: tuple[str, bytes]) -> None:
    url, body = dump_server
    good = settings.model_copy(update={"source_url": url, "source_token": SecretStr("s3cr3t-token")})
    with open_source_url(good) as source:
        result = encrypt_and_upload(storage, good, source, DAY)
    assert result["plaintext_sha256"] == hashlib.sha256(body).hexdigest()
    bad = settings.model_copy(update={"source_url": url, "source_token": SecretStr("wrong")})
    with pytest.raises(BackupError, match="HTTP 401"), open_source_url(bad):
        pass
