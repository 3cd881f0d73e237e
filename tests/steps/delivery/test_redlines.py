"""Redlines between versions, stored in S3 (moto) and attached to the order in the ERPNext stand-in over real
sockets; the PDFs are read back as text."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from delivery_helpers import pdf_text
from docx_samples import docx

from pwcore.clients.erpnext import ERPNext
from pwcore.clients.libreoffice import PdfConverter
from pwcore.clients.s3 import Storage
from pwcore.documents import review_redlines
from pwcore.documents.review_copies import attach_review_copies
from pwcore.model.layout import redline_key
from pwcore.model.manifest import DOCX_TYPE, PDF_TYPE

Order = dict[str, Any]


def put_version(storage: Storage, order: Order, version: int, documents: dict[str, bytes]) -> dict[str, Any]:
    prefix = f"orders/{order['name']}/v{version}/"
    files = []
    for base, data in documents.items():
        storage.put_bytes(prefix + base + ".docx", data, DOCX_TYPE)
        files.append({"key": prefix + base + ".docx", "filename": f"{base}-{order['name']}.docx",
                      "content_type": DOCX_TYPE, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
        pdf = b"%PDF-1.4 v" + str(version).encode()
        storage.put_bytes(prefix + base + ".pdf", pdf, PDF_TYPE)
        files.append({"key": prefix + base + ".pdf", "filename": f"{base}-{order['name']}.pdf",
                      "content_type": PDF_TYPE, "size": len(pdf), "sha256": hashlib.sha256(pdf).hexdigest()})
    manifest = {"order": order["name"], "doctype": order["doctype"], "version": version,
                "customer": order["customer"], "files": files}
    storage.put_bytes(prefix + "manifest.json", json.dumps(manifest).encode(), "application/json")
    return manifest


def test_version_two_gets_one_redline_per_document(erp: ERPNext, storage: Storage, converter: PdfConverter,
                                                   make_order: Callable[..., Order]) -> None:
    order = make_order(status="Review")
    name = order["name"]
    put_version(storage, order, 1, {"operating-agreement": docx("Managed by its members.", "Signed in Austin."),
                                    "articles": docx("Article 1. Name: Acme LLC.")})
    v2 = put_version(storage, order, 2, {"operating-agreement": docx("Managed by a manager.", "Signed in Austin."),
                                         "articles": docx("Article 1. Name: Acme LLC."),
                                         "banking-resolution": docx("A new document in v2.")})
    made = review_redlines.produce(storage, converter.convert, v2)
    assert not made.errors
    by_doc = {r.document: r for r in made.made}
    assert set(by_doc) == {"operating-agreement", "articles"}  # the new document has nothing to compare with
    oa = pdf_text(storage.get_bytes(redline_key(name, 2, "operating-agreement", 1)))
    assert "members." in oa and "manager." in oa and "Changes from v1 to v2" in oa
    assert "No changes" in pdf_text(storage.get_bytes(redline_key(name, 2, "articles", 1)))
    assert by_doc["operating-agreement"].changed and not by_doc["articles"].changed
    # Attached with the review copies; a second run (a retry) attaches nothing twice.
    attach_review_copies(erp, storage, order["doctype"], name, v2)
    review_redlines.attach(erp, storage, order["doctype"], name, made)
    again = review_redlines.attach(erp, storage, order["doctype"], name,
                                   review_redlines.produce(storage, converter.convert, v2))
    files = [f["file_name"] for f in erp.list_page("File", fields=["file_name"], limit_page_length=100,
                                                    filters=[["attached_to_name", "=", name]])]
    redline_name = f"v2-DRAFT-operating-agreement-{name}.changes-from-v1.pdf"
    assert files.count(redline_name) == 1 and files.count(f"v2-DRAFT-articles-{name}.changes-from-v1.pdf") == 1
    assert len(again.attached) == 2 and not again.errors
    lines = "\n".join(review_redlines.comment_lines(made))
    assert f"{redline_name}: " in lines and "word(s) inserted" in lines and "no changes" in lines
    # v3 reaches Review: v2's copies and redlines are detached with the same rule.
    v3 = put_version(storage, order, 3, {"operating-agreement": docx("Managed by a manager.", "Signed in Dallas.")})
    copies = attach_review_copies(erp, storage, order["doctype"], name, v3)
    assert redline_name in copies.detached


def test_version_one_has_no_redline_and_a_missing_previous_version_is_named(
        storage: Storage, converter: PdfConverter, make_order: Callable[..., Order]) -> None:
    order = make_order(status="Review")
    v1 = put_version(storage, order, 1, {"articles": docx("Article 1.")})
    assert review_redlines.produce(storage, converter.convert, v1).made == []
    v5 = {**v1, "version": 5}
    out = review_redlines.produce(storage, converter.convert, v5)
    assert out.made == [] and "v4/manifest.json" in out.errors[0]


def test_a_forged_previous_manifest_is_not_followed(storage: Storage, converter: PdfConverter,
                                                    make_order: Callable[..., Order]) -> None:
    """v1's manifest pointing at backups/ never makes its way into a reviewer's attachment."""
    order = make_order(status="Review")
    name = order["name"]
    storage.put_bytes("backups/secret.docx", docx("backup content"), DOCX_TYPE)
    forged = {"order": name, "doctype": order["doctype"], "version": 1, "files": [
        {"key": "backups/secret.docx", "filename": f"articles-{name}.docx", "content_type": DOCX_TYPE,
         "size": 1, "sha256": "0" * 64}]}
    storage.put_bytes(f"orders/{name}/v1/manifest.json", json.dumps(forged).encode(), "application/json")
    v2 = put_version(storage, order, 2, {"articles": docx("Article 1.")})
    out = review_redlines.produce(storage, converter.convert, v2)
    assert out.made == [] and "v1/manifest.json could not be read (ManifestInvalid)" in out.errors[0]
