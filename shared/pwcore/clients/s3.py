"""S3 / MinIO access through the minio SDK (pinned to 7.2.x, see the contract file).

The client is created with its region, so presigning is a local computation (no GetBucketLocation call).
Conditional create (`If-None-Match: *`) is how markers and leases are taken exactly once: minio 7.2.20's
public put_object cannot send that header, so `put_if_absent` uses the SDK's single-part `_put_object`,
which takes headers (stable across 7.2.x; re-check when moving to minio 8, whose put_object takes headers).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any, BinaryIO, cast

import urllib3
from minio import Minio
from minio.error import S3Error
from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from pwcore.logs import register_secret
from pwcore.settings import Settings


class S3Settings(Settings):
    model_config = SettingsConfigDict(env_prefix="S3_")
    endpoint: str = Field(description="host:port of MinIO / S3")
    access_key: SecretStr
    secret_key: SecretStr
    bucket: str = "performancewest"
    region: str = "us-east-1"
    secure: bool = False


MIN_PART_SIZE = 5 * 1024 * 1024
MISSING_CODES = frozenset({"NoSuchKey", "NoSuchObject", "ResourceNotFound"})


class StorageError(Exception):
    pass


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    etag: str
    last_modified: datetime | None
    metadata: dict[str, str]


TRANSIENT_S3_CODES = frozenset({"InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout"})


def is_transient_s3_error(exc: BaseException) -> bool:
    """Connection trouble or the server's own "try again" answers."""
    if isinstance(exc, S3Error):
        return exc.code in TRANSIENT_S3_CODES
    return isinstance(exc, urllib3.exceptions.HTTPError | ConnectionError | TimeoutError)


class Storage:
    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        region: str = "us-east-1",
        secure: bool = False,
        retries: int = 3,
        timeout_s: float = 30.0,
        http_client: urllib3.PoolManager | None = None,
    ) -> None:
        register_secret(secret_key)
        self.bucket = bucket
        self.retries = retries
        # A unit test injects its own urllib3 pool (no socket); production gets one pool per process.
        http = http_client or urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=5.0, read=timeout_s),
            maxsize=16,
            retries=False,  # tenacity decides, with backoff and only on retryable errors
        )
        self.client = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=secure,
                            region=region, http_client=http)

    @classmethod
    def from_settings(cls, s: S3Settings) -> Storage:
        return cls(s.endpoint, s.access_key.get_secret_value(), s.secret_key.get_secret_value(), s.bucket,
                   s.region, s.secure)

    def _retry(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        retrying = Retrying(stop=stop_after_attempt(self.retries), reraise=True,
                            wait=wait_exponential_jitter(multiplier=0.1, max=2.0),
                            retry=retry_if_exception(is_transient_s3_error))
        return retrying(fn, *args, **kwargs)

    def ensure_bucket(self) -> None:
        if not self._retry(self.client.bucket_exists, self.bucket):
            self.client.make_bucket(self.bucket)

    # -- writes ----------------------------------------------------------------------------------------
    def put_bytes(self, key: str, data: bytes, content_type: str = "application/octet-stream",
                  metadata: dict[str, str] | None = None) -> str:
        def put() -> str:
            result = self.client.put_object(self.bucket, key, io.BytesIO(data), len(data),
                                            content_type=content_type,
                                            metadata=cast(Any, metadata))
            return str(result.etag)
        return cast(str, self._retry(put))

    def put_json(self, key: str, value: Any) -> str:
        return self.put_bytes(key, json.dumps(value, indent=1, sort_keys=True).encode(), "application/json")

    def put_if_absent(self, key: str, data: bytes, content_type: str = "application/json") -> bool:
        """Create `key` only if it does not exist. True if we created it, False if it was already there."""
        headers: dict[str, Any] = {"Content-Type": content_type, "If-None-Match": "*"}

        def put() -> bool:
            try:
                self.client._put_object(self.bucket, key, data, headers=headers)
                return True
            except S3Error as exc:
                if exc.code in {"PreconditionFailed", "ConditionalRequestConflict"}:
                    return False
                raise
        return cast(bool, self._retry(put))

    def put_stream(self, key: str, stream: IO[bytes], content_type: str = "application/octet-stream",
                   metadata: dict[str, str] | None = None, part_size: int = MIN_PART_SIZE) -> str:
        """Multipart upload of a stream of unknown length; memory stays at about one part."""
        result = self.client.put_object(self.bucket, key, cast(BinaryIO, stream), -1, content_type=content_type,
                                        metadata=cast(Any, metadata), part_size=part_size,
                                        num_parallel_uploads=1)
        return str(result.etag)

    def delete(self, key: str) -> None:
        self._retry(self.client.remove_object, self.bucket, key)

    # -- reads -----------------------------------------------------------------------------------------
    def get_bytes(self, key: str) -> bytes:
        def get() -> bytes:
            response = self.client.get_object(self.bucket, key)
            try:
                return bytes(response.read())
            finally:
                response.close()
                response.release_conn()
        return cast(bytes, self._retry(get))

    def get_bytes_if_exists(self, key: str) -> bytes | None:
        """The object's bytes, or None when there is no such object."""
        try:
            return self.get_bytes(key)
        except S3Error as exc:
            if exc.code in MISSING_CODES:
                return None
            raise

    def get_json(self, key: str) -> Any:
        return json.loads(self.get_bytes(key))

    def get_stream(self, key: str) -> Any:
        """An urllib3 response; the caller reads it in chunks and must close() and release_conn()."""
        return self.client.get_object(self.bucket, key)

    def stat(self, key: str) -> ObjectInfo | None:
        try:
            st = self._retry(self.client.stat_object, self.bucket, key)
        except S3Error as exc:
            if exc.code in MISSING_CODES:
                return None
            raise
        meta = {k.lower(): str(v) for k, v in (st.metadata or {}).items()}
        return ObjectInfo(key, int(st.size or 0), str(st.etag), st.last_modified, meta)

    def exists(self, key: str) -> bool:
        return self.stat(key) is not None

    def list(self, prefix: str, recursive: bool = True) -> Iterator[ObjectInfo]:
        for obj in self.client.list_objects(self.bucket, prefix=prefix, recursive=recursive):
            yield ObjectInfo(str(obj.object_name), int(obj.size or 0), str(obj.etag or ""),
                             obj.last_modified, {})

    # -- links -----------------------------------------------------------------------------------------
    def presign_get(self, key: str, ttl_s: int, filename: str | None = None) -> str:
        """A GET URL valid for ttl_s seconds, signed locally (the client knows its region)."""
        headers: dict[str, Any] | None = None
        if filename:
            safe = filename.replace('"', "").replace("\r", "").replace("\n", "")
            headers = {"response-content-disposition": f'attachment; filename="{safe}"'}
        return str(self.client.presigned_get_object(self.bucket, key, expires=timedelta(seconds=ttl_s),
                                                    response_headers=headers))
