"""Bench: stream a 1 GiB dump through gpg into S3 (moto in a separate process), then verify-free stats.

The backup runs in a child process so its peak RSS is its own (moto's memory is not counted). The source is
generated on the fly (incompressible bytes), never held whole. Prints one JSON object as its last line.

    .venv/bin/python bench/backup_stream.py [--mib 1024] [--timeout 900]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
from typing import IO, Any, cast

from measure import in_child, moto_server, peak_rss_mb

BUCKET = "bench-backup"


class Generated(io.RawIOBase):
    """`size` bytes of a repeating random 1 MiB block, produced on demand."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.block = os.urandom(1 << 20)

    def readable(self) -> bool:
        return True

    def read(self, n: int | None = -1) -> bytes:
        n = min(self.left, len(self.block) if n is None or n < 0 else n, len(self.block))
        self.left -= n
        return self.block[:n]


def _child(endpoint: str, public_keys: str, size: int, out: Any) -> None:
    from pwcore.clients.s3 import Storage
    from pwcore.steps.backup import BackupSettings, encrypt_and_upload

    storage = Storage(endpoint, "minioadmin", "minioadmin", BUCKET, timeout_s=120)
    settings = BackupSettings(public_keys=public_keys, prefix="bench-backups")
    result = encrypt_and_upload(storage, settings, cast(IO[bytes], Generated(size)), dt.date(2026, 1, 1))
    info = storage.stat(result["key"])
    out.put({**result, "stored_bytes": info.size if info else None, "peak_rss_mb": peak_rss_mb()})


def main() -> None:
    from pwdev import gpg_keys  # the local stack's throw-away key pair (real gpg)

    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    with moto_server(BUCKET) as endpoint:
        public = gpg_keys.generate("Bench <bench@example.com>").public
        result, wall = in_child(_child, endpoint, public, args.mib << 20, timeout=args.timeout)
        report = {
            "bench": "backup_stream", "plaintext_mib": args.mib, "ciphertext_bytes": result["ciphertext_bytes"],
            "stored_bytes": result["stored_bytes"], "encrypt_upload_s": result["seconds"],
            "wall_s": round(wall, 1), "mib_per_s": result["mib_per_s"],
            "peak_rss_mb": round(result["peak_rss_mb"], 1), "rss_ok": result["peak_rss_mb"] <= 100,
            "key": result["key"],
        }
        print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
