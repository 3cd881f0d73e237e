"""pwdev.s3.S3Server: moto on 127.0.0.1, usable with the minio SDK (region us-east-1)."""

from __future__ import annotations

import io

import httpx
from minio import Minio
from minio.error import S3Error

from pwdev.s3 import S3Server


def test_minio_sdk_round_trip_and_presign() -> None:
    with S3Server(bucket="pw-test") as s3:
        assert s3.endpoint.startswith("127.0.0.1:")
        client = Minio(s3.endpoint, access_key="minioadmin", secret_key="x", secure=False, region="us-east-1")
        assert client.bucket_exists("pw-test")
        data = b"%PDF-1.4 hello"
        client.put_object("pw-test", "orders/A/v1/a.pdf", io.BytesIO(data), len(data), content_type="application/pdf")
        response = client.get_object("pw-test", "orders/A/v1/a.pdf")
        try:
            assert response.read() == data
        finally:
            response.close()
            response.release_conn()
        assert [o.object_name for o in client.list_objects("pw-test", prefix="orders/", recursive=True)] == [
            "orders/A/v1/a.pdf"
        ]
        url = client.presigned_get_object("pw-test", "orders/A/v1/a.pdf")
        assert httpx.get(url).content == data
        assert s3.env()["S3_ENDPOINT"] == s3.endpoint
        s3.reset()
        assert client.bucket_exists("pw-test")
        try:
            client.stat_object("pw-test", "orders/A/v1/a.pdf")
            raise AssertionError("reset kept the object")
        except S3Error as exc:
            assert exc.code == "NoSuchKey"
