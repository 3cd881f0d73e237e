"""A reviewer's edited DOCX becomes the delivered version: the ERPNext stand-in (private Files, upload_file and
download over HTTP), moto S3, the SMTP sink and a warm LibreOffice, all real; the PDFs are read back as text."""

from __future__ import annotations

import hashlib
import io
import secrets
from collections.abc import Callable
from typing import Any

import pytest
from delivery_helpers import pdf_bytes, pdf_text
from docx_samples import docx
from races import race

from pwcore.clients.erpnext import ERPNext
from pwcore.clients.libreoffice import PdfConverter
from pwcore.clients.s3 import Storage
from pwcore.clients.smtp import Mailer, SMTPSettings
from pwcore.model.layout import manifest_key
from pwcore.model.manifest import DOCX_TYPE
from pwcore.orders.reviewer_edits import ReviewerEdits
from pwcore.steps.delivery import Deliverer, SimulatedCrash
from pwcore.steps.presign import Presigner, PresignSettings
from pwdev.erpnext import ERPNextStandin
from pwdev.smtp_sink import SMTPSink

Order = dict[str, Any]
SECRET = "reviewer-edits-secret-0123456789abcdef-xyz"


@pytest.fixture(scope="module")
def reviewer(erp: ERPNext, erp_standin: ERPNextStandin) -> tuple[str, ERPNext]:
    key, secret = secrets.token_hex(6), secrets.token_hex(8)
    user = erp.insert("User", {"email": f"reviewer-{key}@example.com", "first_name": "Rita", "last_name": "Reviewer",
                               "api_key": key, "api_secret": secret, "roles": [{"role": "Operations"}]})
    return str(user["name"]), ERPNext(erp_standin.url, key, secret, retries=1)


@pytest.fixture
def approved(make_order: Callable[..., Order]) -> Order:
    return make_order(status="Approved", files=[
        ("articles.pdf", pdf_bytes(1), "application/pdf"),
        ("articles.docx", docx("Article 1. The name of the company is Acme LLC.", "Article 2. Duration: perpetual."),
         DOCX_TYPE)])


def deliverer(erp: ERPNext, storage: Storage, smtp: SMTPSettings, convert: Callable[[bytes], bytes], *,
              lease_s: float = 600, checkpoint: Callable[[str], None] | None = None) -> Deliverer:
    edits = ReviewerEdits(erp, storage, convert, lease_s=lease_s, checkpoint=checkpoint)
    return Deliverer(erp, storage, Mailer(smtp, attempts=1, max_wait_s=0.05), smtp, edits=edits)


def attach(client: ERPNext, order: Order, file_name: str, data: bytes) -> dict[str, Any]:
    return client.upload_file(order["doctype"], order["name"], file_name, data, DOCX_TYPE, is_private=True)


def comments(erp: ERPNext, order: Order) -> list[str]:
    return [str(c["content"]) for c in erp.list("Comment", fields=["content"], filters={
        "reference_name": order["name"], "comment_type": "Comment"})]


EDITED_TEXT = ("Article 1. The name of the company is Acme Holdings LLC.", "Article 2. Duration: perpetual.",
               "Article 3. Added by the reviewer.")


@pytest.fixture
def edited(reviewer: tuple[str, ERPNext], approved: Order) -> Order:
    """The approved order with the reviewer's edit of its articles (EDITED_TEXT) uploaded."""
    _, client = reviewer
    attach(client, approved, f"v1-EDITED-articles-{approved['name']}.docx", docx(*EDITED_TEXT))
    return approved


def test_the_edited_docx_is_the_delivered_version(erp: ERPNext, storage: Storage, smtp: SMTPSink,
                                                  smtp_settings: SMTPSettings, converter: PdfConverter,
                                                  reviewer: tuple[str, ERPNext], approved: Order) -> None:
    user, client = reviewer
    name = approved["name"]
    upload = docx(*EDITED_TEXT)
    attach(client, approved, f"v1-EDITED-articles-{name}.docx", upload)
    out = deliverer(erp, storage, smtp_settings, converter.convert).run(approved["doctype"], name, "call-edit")
    assert out.status == "delivered" and out.version == 2, out
    doc = erp.get(approved["doctype"], name)
    assert doc["status"] == "Delivered" and doc["document_version"] == 2 and doc["approved_version"] == 2
    assert doc["approved_by"] == "Administrator" and doc["minio_path"] == f"orders/{name}/v2/"
    manifest = storage.get_json(manifest_key(name, 2))
    assert manifest["edited"]["from_version"] == 1 and manifest["edited"]["by"] == [user]
    by_name = {f["filename"]: f for f in manifest["files"]}
    edited_docx = by_name[f"articles-{name}.docx"]
    assert edited_docx["sha256"] == edited_docx["upload_sha256"] == hashlib.sha256(upload).hexdigest()
    assert edited_docx["edited_by"] == user and edited_docx["edited_at"] and edited_docx["edited_from_version"] == 1
    assert storage.get_bytes(edited_docx["key"]) == upload
    edited_pdf = by_name[f"articles-{name}.pdf"]
    assert edited_pdf["edited_by"] == user and "Acme Holdings LLC" in pdf_text(storage.get_bytes(edited_pdf["key"]))
    # One email, with the edited text and the approval page; v1 stays as it was.
    [msg] = smtp.wait_for(1)
    [att] = [a for a in msg.iter_attachments() if a.get_filename() == f"articles-{name}.pdf"]
    text = pdf_text(att.get_content())
    assert "Article 3. Added by the reviewer." in text and "Reviewed and approved by Administrator" in text
    assert storage.get_json(manifest_key(name, 1))["files"] == approved["manifest"]["files"]
    assert any("v2 was made from the reviewer's edits" in c and f"v1-EDITED-articles-{name}.docx" in c
               for c in comments(erp, approved))
    # The customer downloads v2 as delivered.
    links = Presigner(erp, storage, PresignSettings(jwt_secret=SECRET, order_cache_s=0)).links(
        approved["customer"], name)
    assert links["version"] == 2
    assert any("/v2/delivery/final/" in f["url"] for f in links["files"])


@pytest.mark.parametrize(("kind", "reason"), [
    ("pdf", "it is not a DOCX"),
    ("unknown", "names no document of v1"),
    ("other-order", "names no document of v1"),
    ("future", "has no version v7"),
    ("no-document-xml", "no word/document.xml"),
])
def test_a_bad_upload_returns_the_order_to_review(erp: ERPNext, storage: Storage, smtp: SMTPSink,
                                                  smtp_settings: SMTPSettings, converter: PdfConverter,
                                                  reviewer: tuple[str, ERPNext], approved: Order, kind: str,
                                                  reason: str) -> None:
    import zipfile

    _, client = reviewer
    name = approved["name"]
    bare = io.BytesIO()
    with zipfile.ZipFile(bare, "w") as z:
        z.writestr("word/styles.xml", "<styles/>")
    file_name, data = {
        "pdf": (f"v1-EDITED-articles-{name}.docx", pdf_bytes(1)),
        "unknown": (f"v1-EDITED-bylaws-{name}.docx", docx("Bylaws")),
        "other-order": ("v1-EDITED-articles-FO-2026-99999.docx", docx("Another order's articles")),
        "future": (f"v7-EDITED-articles-{name}.docx", docx("From the future")),
        "no-document-xml": (f"v1-EDITED-articles-{name}.docx", bare.getvalue()),
    }[kind]
    stored = attach(client, approved, file_name, data)
    out = deliverer(erp, storage, smtp_settings, converter.convert).run(approved["doctype"], name, "call-bad")
    assert out.status == "returned" and reason in out.detail, out
    doc = erp.get(approved["doctype"], name)
    assert doc["status"] == "Review" and doc["document_version"] == 1
    [note] = [c for c in comments(erp, approved) if "was not used" in c]
    assert stored["file_name"] in note and reason in note and "back in Review" in note
    assert smtp.messages == [] and not storage.exists(manifest_key(name, 2))
    assert erp.file_content(stored["file_url"]) == data  # nothing lost: the upload is still on the order


def test_a_conversion_failure_returns_the_order_to_review(erp: ERPNext, storage: Storage, smtp: SMTPSink,
                                                          smtp_settings: SMTPSettings, edited: Order) -> None:
    approved, name = edited, edited["name"]
    # A LibreOffice that cannot run: the warm server never starts and the cold fallback exits 1.
    with PdfConverter(soffice="/bin/false", start_timeout_s=3, soffice_timeout_s=10) as broken:
        out = deliverer(erp, storage, smtp_settings, broken.convert).run(approved["doctype"], name, "call-conv")
    assert out.status == "returned" and "could not be converted to PDF (ConversionError" in out.detail, out
    assert erp.get(approved["doctype"], name)["status"] == "Review"
    assert not storage.exists(manifest_key(name, 2))
    assert list(o.key for o in storage.list(f"orders/{name}/v2/") if not o.key.endswith("claim.json")) == []
    assert smtp.messages == []
    # The reviewer approves again with LibreOffice working: the same upload is used.
    erp.update(approved["doctype"], name, {"status": "Approved"})
    with PdfConverter() as working:
        again = deliverer(erp, storage, smtp_settings, working.convert).run(approved["doctype"], name, "call-2")
    assert again.status == "delivered" and again.version == 2, again


def test_racing_deliveries_make_one_edited_version_and_one_email(
        erp: ERPNext, storage: Storage, smtp: SMTPSink, smtp_settings: SMTPSettings, converter: PdfConverter,
        edited: Order) -> None:
    approved, name = edited, edited["name"]

    def run(i: int) -> str:
        out = deliverer(erp, storage, smtp_settings, converter.convert).run(approved["doctype"], name, f"race-{i}")
        return f"{out.status}:{out.version}"

    outcomes = race(4, run, timeout=120)
    assert len(outcomes) == 4 and "delivered:2" in outcomes, outcomes
    assert all(o.split(":")[0] in {"delivered", "busy", "done"} for o in outcomes), outcomes
    assert len(smtp.wait_for(1)) == 1
    assert not storage.exists(manifest_key(name, 3))
    doc = erp.get(approved["doctype"], name)
    assert doc["document_version"] == 2 and doc["status"] == "Delivered"
    # Later calls find v2 made from these edits and deliver nothing more.
    late = deliverer(erp, storage, smtp_settings, converter.convert).run(approved["doctype"], name, "late")
    assert late.status == "done" and len(smtp.messages) == 1


def test_a_crash_after_the_edited_manifest_is_completed_by_a_retry(
        erp: ERPNext, storage: Storage, smtp: SMTPSink, smtp_settings: SMTPSettings, converter: PdfConverter,
        edited: Order) -> None:
    approved, name = edited, edited["name"]

    def crash(point: str) -> None:
        if point == "edited_manifest":
            raise SimulatedCrash(point)

    with pytest.raises(SimulatedCrash):
        deliverer(erp, storage, smtp_settings, converter.convert, checkpoint=crash).run(approved["doctype"], name, "a")
    assert storage.exists(manifest_key(name, 2)) and erp.get(approved["doctype"], name)["document_version"] == 1
    busy = deliverer(erp, storage, smtp_settings, converter.convert).run(approved["doctype"], name, "b")
    assert busy.status == "busy" and smtp.messages == []  # the holder's lease has not run out
    done = deliverer(erp, storage, smtp_settings, converter.convert, lease_s=0).run(approved["doctype"], name, "c")
    assert done.status == "delivered" and done.version == 2, done
    assert len(smtp.wait_for(1)) == 1


def _second_version(storage: Storage, erp: ERPNext, order: Order, created_at: str) -> None:
    """v2 as generate-doc leaves it after a revision (same files), generated at `created_at` (UTC)."""
    import json

    name = order["name"]
    files = []
    for entry in order["manifest"]["files"]:
        key = entry["key"].replace("/v1/", "/v2/")
        storage.put_bytes(key, storage.get_bytes(entry["key"]), entry["content_type"])
        files.append({**entry, "key": key})
    manifest = {**order["manifest"], "version": 2, "files": files, "created_at": created_at}
    storage.put_bytes(manifest_key(name, 2), json.dumps(manifest).encode(), "application/json")
    erp.update(order["doctype"], name, {"document_version": 2, "minio_path": f"orders/{name}/v2/"})


def test_an_edit_of_a_superseded_version(erp: ERPNext, storage: Storage, smtp: SMTPSink,
                                        smtp_settings: SMTPSettings, converter: PdfConverter,
                                        reviewer: tuple[str, ERPNext], make_order: Callable[..., Order]) -> None:
    """An upload named for v1 made before v2 was generated is history (ignored); one made while v2 was in
    review has the wrong name and is refused."""
    from datetime import UTC, datetime, timedelta

    _, client = reviewer
    files = [("articles.pdf", pdf_bytes(1), "application/pdf"), ("articles.docx", docx("Article 1."), DOCX_TYPE)]
    old = make_order(status="Approved", files=files)
    attach(client, old, f"v1-EDITED-articles-{old['name']}.docx", docx("An edit of v1"))
    _second_version(storage, erp, old, (datetime.now(UTC) + timedelta(minutes=5)).isoformat(timespec="seconds"))
    out = deliverer(erp, storage, smtp_settings, converter.convert).run(old["doctype"], old["name"], "old")
    assert out.status == "delivered" and out.version == 2, out  # v2 as generated: the v1 edit was superseded
    late = make_order(status="Approved", files=files)
    _second_version(storage, erp, late, (datetime.now(UTC) - timedelta(minutes=5)).isoformat(timespec="seconds"))
    attach(client, late, f"v1-EDITED-articles-{late['name']}.docx", docx("Meant for v2"))
    out = deliverer(erp, storage, smtp_settings, converter.convert).run(late["doctype"], late["name"], "late")
    assert out.status == "returned" and "current version is v2" in out.detail, out
    assert f"v2-EDITED-articles-{late['name']}.docx" in out.detail
