"""generate-doc's failure rules with real dependencies and injected faults: a template with a missing field,
S3 down during upload, ERPNext 502 on the final status write, a retry after a crash."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from docx import Document

from pwcore.clients.libreoffice import get_converter
from pwcore.clients.s3 import Storage
from pwcore.documents.template_store import TemplateStore
from pwcore.model.status import Status
from pwcore.steps.generation import Generator
from pwdev.demo import place_order
from pwdev.faults import TcpProxy
from pwdev.stack import LocalStack


@pytest.fixture(scope="module")
def proxy(stack: LocalStack) -> Iterator[TcpProxy]:
    assert stack.s3 is not None
    p = TcpProxy("127.0.0.1", stack.s3.port).start()
    yield p
    p.stop()


@pytest.fixture(scope="module")
def proxied_storage(stack: LocalStack, proxy: TcpProxy) -> Storage:
    assert stack.s3 is not None
    return Storage(proxy.endpoint, stack.s3.access_key, stack.s3.secret_key, stack.s3.bucket, retries=2,
                   timeout_s=5)


def make_generator(erp: Any, storage: Storage) -> Generator:
    return Generator(erp, storage, TemplateStore(storage), get_converter().convert, lease_s=900,
                     timezone="America/Chicago")


def queued_order(erp: Any, name_hint: str) -> tuple[str, str]:
    order = place_order(erp, name_hint, "f@example.com", compliance=False)
    doctype, name = order["orders"][0]
    erp.update(doctype, name, {"status": "Queued"})
    return doctype, name


def comments(erp: Any, name: str) -> list[str]:
    return [c["content"] for c in erp.list("Comment", fields=["content"], filters=[["reference_name", "=", name]])]


def test_missing_template_field_fails_with_its_name(stack: LocalStack, erp: Any, storage: Any) -> None:
    broken_bucket = "pw-broken-templates"
    assert stack.s3 is not None
    broken = Storage(stack.s3.endpoint, stack.s3.access_key, stack.s3.secret_key, broken_bucket)
    broken.ensure_bucket()
    doc = Document()
    doc.add_paragraph("Entity {{ entity_name }} registered agent {{ registered_agent_phone }}")
    buf = io.BytesIO()
    doc.save(buf)
    broken.put_bytes("templates/compiled/operating-agreement.docx", buf.getvalue())
    for key in ("articles-of-organization", "organizer-statement"):  # the rest of the set, intact
        broken.put_bytes(f"templates/compiled/{key}.docx", storage.get_bytes(f"templates/compiled/{key}.docx"))
    broken.put_bytes("templates/manifest.json", storage.get_bytes("templates/manifest.json"))
    doctype, name = queued_order(erp, "Broken Template LLC")
    outcome = make_generator(erp, broken).run(doctype, name)
    assert outcome.status == "failed"
    assert erp.get(doctype, name)["status"] == Status.FAILED
    assert any("registered_agent_phone" in c for c in comments(erp, name))
    assert not list(broken.list(f"orders/{name}/"))  # the partial upload does not count


def test_s3_down_during_upload_is_retried_not_failed(stack: LocalStack, erp: Any, storage: Any, proxy: TcpProxy,
                               proxied_storage: Storage) -> None:
    doctype, name = queued_order(erp, "S3 Outage LLC")
    generator = make_generator(erp, proxied_storage)
    generator.templates.manifest()  # warm the template cache while S3 is up
    original = generator.convert

    def convert_then_cut(docx: bytes) -> bytes:
        pdf = original(docx)
        proxy.set_mode("refuse")  # S3 goes away between conversion and upload
        return pdf

    generator.convert = convert_then_cut
    try:
        outcome = generator.run(doctype, name)
    finally:
        proxy.set_mode("pass")
    # An outage is not the order's fault: it stays Processing (no partial version) for the sweep to retry.
    assert outcome.status == "retry_later", outcome
    assert erp.get(doctype, name)["status"] == Status.PROCESSING
    assert not storage.exists(f"orders/{name}/v1/manifest.json")
    assert not list(storage.list(f"orders/{name}/"))
    # After the lease (the sweep's re-queue), the same version completes, exactly once.
    retry = make_generator(erp, storage)
    retry.lease_s = 0
    assert retry.run(doctype, name).status == "review"
    assert [o.key for o in storage.list(f"orders/{name}/") if o.key.endswith("manifest.json")] == [
        f"orders/{name}/v1/manifest.json"]


def test_erpnext_502_on_final_write_then_retry_completes(stack: LocalStack, erp: Any, storage: Any) -> None:
    doctype, name = queued_order(erp, "Flaky ERP LLC")
    path = f"/api/resource/{doctype}/{name}"
    generator = make_generator(erp, storage)
    original = generator.convert

    def convert_then_break(docx: bytes) -> bytes:
        pdf = original(docx)
        httpx.post(f"{stack.erpnext.url}/_standin/faults",
                   json={"status": 502, "count": 40, "path_prefix": path.replace(" ", "%20"), "method": "PUT"})
        return pdf

    generator.convert = convert_then_break
    outcome = generator.run(doctype, name)
    httpx.delete(f"{stack.erpnext.url}/_standin/faults", timeout=5)
    assert outcome.status == "retry_later", outcome
    assert erp.get(doctype, name)["status"] == Status.PROCESSING
    assert storage.exists(f"orders/{name}/v1/manifest.json")
    # The sweep re-queues after the lease; the retry finds the finished version and only writes the status.
    erp.update(doctype, name, {"status": "Queued"})
    again = make_generator(erp, storage).run(doctype, name)
    assert again.status == "review" and again.version == 1
    assert erp.get(doctype, name)["status"] == Status.REVIEW
    assert not list(storage.list(f"orders/{name}/v2/"))


def test_retry_after_crash_before_manifest_reuses_the_version(stack: LocalStack, erp: Any, storage: Any) -> None:
    doctype, name = queued_order(erp, "Crashy LLC")
    generator = make_generator(erp, storage)
    original = generator.convert
    calls = {"n": 0}

    class Killed(BaseException):
        """Stands for the process dying: not an Exception, so no handler in the code path catches it."""

    def convert_and_die(docx: bytes) -> bytes:
        calls["n"] += 1
        raise Killed

    generator.convert = convert_and_die
    with pytest.raises(Killed):
        generator.run(doctype, name)
    assert erp.get(doctype, name)["status"] == Status.PROCESSING
    generator.convert = original
    generator.lease_s = 0  # the dead run's lease has run out
    outcome = generator.run(doctype, name)
    assert outcome.status == "review" and outcome.version == 1 and calls["n"] == 1
