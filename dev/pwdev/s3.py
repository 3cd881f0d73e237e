"""S3 for tests and the local stack: moto's ThreadedMotoServer on 127.0.0.1 with one bucket.

moto keeps its state in process-wide backends, so two S3Server objects in one process share buckets and
objects; `reset()` clears everything (and re-creates the bucket).

    python -m pwdev.s3 --port 9000 --bucket performancewest
"""

from __future__ import annotations

import argparse
import threading
from typing import Any

import httpx
from minio import Minio
from moto.moto_server import threaded_moto_server
from moto.s3.exceptions import InvalidArgumentError
from moto.s3.models import FakeBucket
from moto.s3.responses import S3Response
from moto.server import ThreadedMotoServer

from pwdev.procs import run_until_interrupted

DEV_ACCESS_KEY = "minioadmin"  # moto accepts any credentials; these are MinIO's well-known dev defaults
DEV_SECRET_KEY = "minioadmin"  # a public dev default, not a secret
REGION = "us-east-1"


_original_create_backend_app = threaded_moto_server.create_backend_app  # type: ignore[attr-defined]
_put_lock = threading.Lock()
_original_put_object = S3Response.put_object


def _atomic_put_object(self: S3Response) -> Any:
    with _put_lock:
        return _original_put_object(self)


def make_conditional_puts_atomic() -> None:
    """moto's `If-None-Match: *` is check-then-put (contract D), while MinIO and S3 decide it atomically.
    Serialising moto's PutObject gives the stand-in the real servers' semantics under concurrency, which is
    what every exactly-once marker of the pipeline relies on. Idempotent; applies process-wide."""
    S3Response.put_object = _atomic_put_object  # type: ignore[method-assign]


_original_set_lifecycle = FakeBucket.set_lifecycle


def _checked_set_lifecycle(self: FakeBucket, rules: list[dict[str, Any]]) -> None:
    ids = [str(rule.get("ID")) for rule in rules if rule.get("ID")]
    if len(ids) != len(set(ids)):
        raise InvalidArgumentError("Rule ID must be unique. Found same ID for more than one rule", "ID", ids[0])
    if any(len(i) > 255 for i in ids):
        raise InvalidArgumentError("ID length should not exceed allowed limit of 255", "ID", ids[0][:40])
    _original_set_lifecycle(self, rules)


def make_lifecycle_faithful() -> None:
    """PutBucketLifecycleConfiguration replaces the whole document in moto as on S3 and MinIO (the earlier
    rules are gone); what moto lacks is the refusal of two rules with one ID (S3: 400 InvalidArgument), which a
    merge of rule sets must never produce. Objects are never expired by moto: the rules are only stored."""
    FakeBucket.set_lifecycle = _checked_set_lifecycle  # type: ignore[method-assign]


def _unlimited_backend_app(service: Any) -> Any:
    app = _original_create_backend_app(service)
    # A function's body limit (MAX_BODY_BYTES), installed when a test imports a handler in this process, sets
    # Flask's default MAX_CONTENT_LENGTH for apps created later; S3 itself takes 5 MiB+ parts, so not this one.
    app.config["MAX_CONTENT_LENGTH"] = None
    return app


def make_body_size_unlimited() -> None:
    """moto's per-service Flask apps accept any body size, as S3 does, whatever Flask defaults this process
    has been given. Idempotent; applies process-wide."""
    threaded_moto_server.create_backend_app = _unlimited_backend_app  # type: ignore[attr-defined]


class S3Server:
    def __init__(
        self,
        bucket: str = "performancewest",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        access_key: str = DEV_ACCESS_KEY,
        secret_key: str = DEV_SECRET_KEY,
    ) -> None:
        self.bucket = bucket
        self.host = host
        self.access_key = access_key
        self.secret_key = secret_key
        self._server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        self._port = 0

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError("S3Server not started")
        return self._port

    @property
    def endpoint(self) -> str:
        """host:port, the form minio.Minio and S3_ENDPOINT take."""
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}"

    def env(self) -> dict[str, str]:
        """The S3_* settings a function needs to talk to this server."""
        return {
            "S3_ENDPOINT": self.endpoint,
            "S3_ACCESS_KEY": self.access_key,
            "S3_SECRET_KEY": self.secret_key,
            "S3_BUCKET": self.bucket,
            "S3_REGION": REGION,
            "S3_SECURE": "false",
        }

    def client(self) -> Minio:
        return Minio(self.endpoint, access_key=self.access_key, secret_key=self.secret_key, secure=False, region=REGION)

    def start(self) -> S3Server:
        make_conditional_puts_atomic()
        make_lifecycle_faithful()
        make_body_size_unlimited()
        self._server.start()
        self._port = int(self._server.get_host_and_port()[1])
        self._ensure_bucket()
        return self

    def _ensure_bucket(self) -> None:
        client = self.client()
        if not client.bucket_exists(self.bucket):
            client.make_bucket(self.bucket)

    def reset(self) -> None:
        """Forget every bucket and object (moto's reset API), then re-create the bucket."""
        httpx.post(f"{self.url}/moto-api/reset", timeout=10)
        self._ensure_bucket()

    def stop(self) -> None:
        if self._port:
            self._server.stop()
            self._port = 0

    def __enter__(self) -> S3Server:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pwdev.s3", description="moto S3 on 127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--bucket", default="performancewest")
    args = parser.parse_args(argv)
    server = S3Server(args.bucket, host=args.host, port=args.port).start()
    print(f"pwdev.s3: S3 on {server.url} bucket={server.bucket} access_key={server.access_key}", flush=True)
    run_until_interrupted(server.stop)


if __name__ == "__main__":
    main()
