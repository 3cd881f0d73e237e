"""Real stand-ins on 127.0.0.1 for the delivery/presign tests: ERPNext (pwdev), S3 (moto), SMTP (aiosmtpd),
Listmonk (pwdev). Orders are created through the ERPNext REST API and their files put into S3 here."""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from delivery_helpers import pdf_bytes
from moto.s3.responses import S3Response

from pwcore.clients.erpnext import ERPNext
from pwcore.clients.libreoffice import PdfConverter
from pwcore.clients.s3 import Storage
from pwcore.clients.smtp import SMTPSettings
from pwdev.erpnext import ERPNextStandin
from pwdev.listmonk_standin import ListmonkStandin
from pwdev.s3 import S3Server
from pwdev.smtp_sink import SMTPSink

_seq = itertools.count(1)


@pytest.fixture(scope="session")
def atomic_moto() -> Iterator[None]:
    """moto's `If-None-Match: *` is check-then-put; MinIO and S3 make it atomic. Serialise
    moto's PutObject so the conditional create behaves like the real servers under our concurrency tests."""
    original = S3Response.put_object
    lock = threading.Lock()

    def put_object(self: S3Response) -> Any:
        with lock:
            return original(self)

    S3Response.put_object = put_object  # type: ignore[method-assign]
    yield
    S3Response.put_object = original  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def s3(atomic_moto: None) -> Iterator[S3Server]:
    server = S3Server(bucket="pw-delivery-tests").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def storage(s3: S3Server) -> Storage:
    return Storage(s3.endpoint, s3.access_key, s3.secret_key, s3.bucket, region="us-east-1")


@pytest.fixture(scope="session")
def erp_standin() -> Iterator[ERPNextStandin]:
    standin = ERPNextStandin().start()
    yield standin
    standin.stop()


@pytest.fixture(scope="session")
def erp(erp_standin: ERPNextStandin) -> ERPNext:
    return ERPNext(erp_standin.url, "dev-key", "dev-secret", timeout_s=10, retries=2, max_wait_s=0.1)


@pytest.fixture
def smtp() -> Iterator[SMTPSink]:
    sink = SMTPSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def smtp_settings(smtp: SMTPSink) -> SMTPSettings:
    return SMTPSettings(host="127.0.0.1", port=smtp.port, security="none", timeout_s=5,
                        sender="Performance West <documents@performancewest.net>",
                        reply_to="support@performancewest.net", portal_url="https://performancewest.net/account/orders")


@pytest.fixture
def listmonk() -> Iterator[ListmonkStandin]:
    standin = ListmonkStandin(user="api", password="lm-secret-123").start()
    yield standin
    standin.stop()


Order = dict[str, Any]


@pytest.fixture
def make_order(erp: ERPNext, storage: Storage) -> Callable[..., Order]:
    """An order at `status` with version 1 in S3 (manifest + files), and its customer (+ contact)."""

    def make(status: str = "Approved", doctype: str = "Formation Order", email: str | None = "owner@example.com",
             files: list[tuple[str, bytes, str]] | None = None, contact_email: str | None = None,
             upload: bool = True, customer: str | None = None) -> Order:
        n = next(_seq)
        cust_name = customer or f"Customer {n} {hashlib.sha1(str(id(make)).encode()).hexdigest()[:6]}"
        if customer is None or not erp.list_page("Customer", filters={"name": cust_name}):
            cust_doc: dict[str, Any] = {"customer_name": cust_name, "customer_type": "Company"}
            if email:
                cust_doc["email_id"] = email
            if contact_email is not None:
                contact = erp.insert("Contact", {"first_name": f"Owner{n}", "email_id": contact_email})
                cust_doc["customer_primary_contact"] = contact["name"]
            cust_name = erp.insert("Customer", cust_doc)["name"]
        if doctype == "Formation Order":
            doc = {"customer": cust_name, "entity_name": f"Acme {n} LLC", "entity_type": "LLC", "state": "TX",
                   "status": status}
        else:
            doc = {"customer": cust_name, "service_type": "FLSA Audit", "entity_name": f"Acme {n} Inc",
                   "status": status}
        order = erp.insert(doctype, doc)
        name = order["name"]
        prefix = f"orders/{name}/v1/"
        order = erp.update(doctype, name, {"document_version": 1, "minio_path": prefix})
        if files is None:
            files = [("articles.pdf", pdf_bytes(1), "application/pdf"),
                     ("operating-agreement.pdf", pdf_bytes(2), "application/pdf"),
                     ("articles.docx", b"PK\x03\x04 fake docx " + bytes(n), "application/vnd.openxmlformats-"
                      "officedocument.wordprocessingml.document")]
        entries = []
        for fname, data, ctype in files:
            key = prefix + fname
            if upload:
                storage.put_bytes(key, data, ctype)
            entries.append({"key": key, "filename": f"{fname.rsplit('.', 1)[0]}-{name}.{fname.rsplit('.', 1)[1]}",
                            "content_type": ctype, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                            "template": "templates/x.docx"})
        manifest = {"order": name, "doctype": doctype, "version": 1, "customer": cust_name, "files": entries}
        storage.put_bytes(prefix + "manifest.json", json.dumps(manifest).encode(), "application/json")
        return {"doctype": doctype, "name": name, "customer": cust_name, "files": files, "manifest": manifest,
                "prefix": prefix}

    return make


@pytest.fixture(scope="module")
def converter() -> Iterator[PdfConverter]:
    """A warm LibreOffice for the tests that convert (redlines, reviewer edits)."""
    with PdfConverter() as conv:
        yield conv
