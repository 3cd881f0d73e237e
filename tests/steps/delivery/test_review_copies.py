"""Review copies attached in ERPNext (private Files through upload_file on the stand-in, over a real socket):
stamped PDFs, the DOCX unchanged, one set per version, superseded copies detached, who may open them."""

from __future__ import annotations

import io
import secrets
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from pwcore.clients.erpnext import ERPNext, ERPNextError
from pwcore.clients.s3 import Storage
from pwcore.documents.review_copies import DRAFT_MARK, _overlay_pdf, attach_review_copies, review_comment

Order = dict[str, Any]


def text_pdf(line: str) -> bytes:
    """A PDF whose page says `line` (the overlay writer doubles as a tiny text-PDF writer: its label)."""
    return _overlay_pdf(612, 792, line)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def user_client(erp: ERPNext, url: str, roles: list[str]) -> ERPNext:
    key, secret = secrets.token_hex(6), secrets.token_hex(8)
    erp.insert("User", {"email": f"{key}@example.com", "first_name": key, "api_key": key, "api_secret": secret,
                        "roles": [{"role": r} for r in roles]})
    return ERPNext(url, key, secret, retries=1)


def files_of(erp: ERPNext, order: Order) -> list[dict[str, Any]]:
    return erp.list_page("File", fields=["name", "file_name", "file_url", "is_private", "file_size",
                                         "attached_to_doctype", "attached_to_name"],
                         filters=[["attached_to_name", "=", order["name"]]])


@pytest.fixture
def review_order(make_order: Callable[..., Order]) -> Order:
    docx = b"PK\x03\x04 the operating agreement source"
    return make_order(status="Review", files=[
        ("articles.pdf", text_pdf("ARTICLES OF ORGANIZATION body"), "application/pdf"),
        ("articles.docx", docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document")])


def test_review_copies_are_private_stamped_and_listed(erp: ERPNext, storage: Storage, erp_standin: Any,
                                                      review_order: Order) -> None:
    manifest = dict(review_order["manifest"])
    manifest["sections"] = {"findings": {"model": "qwen2.5:7b", "attempts": 2, "cached": False}}
    copies = attach_review_copies(erp, storage, review_order["doctype"], review_order["name"], manifest)
    assert not copies.errors
    name = review_order["name"]
    files = {f["file_name"]: f for f in files_of(erp, review_order)}
    assert set(files) == {f"v1-DRAFT-articles-{name}.pdf", f"v1-DRAFT-articles-{name}.docx"}
    for f in files.values():
        assert f["is_private"] == 1 and f["file_url"].startswith("/private/files/")
        assert f["attached_to_doctype"] == review_order["doctype"]
    pdf = erp.file_content(files[f"v1-DRAFT-articles-{name}.pdf"]["file_url"])
    text = pdf_text(pdf)
    assert DRAFT_MARK in text and "ARTICLES OF ORGANIZATION body" in text and f"{name} v1" in text
    assert erp.file_content(files[f"v1-DRAFT-articles-{name}.docx"]["file_url"]) == review_order["files"][1][1]
    comment = review_comment(manifest, copies)
    assert f"articles-{name}.pdf (" in comment and "KB" in comment and "templates/x.docx" in comment
    assert "findings: model qwen2.5:7b, 2 attempt(s)" in comment and f"v1-DRAFT-articles-{name}.pdf" in comment


def test_who_may_open_and_attach(erp: ERPNext, storage: Storage, erp_standin: Any, review_order: Order) -> None:
    attach_review_copies(erp, storage, review_order["doctype"], review_order["name"], review_order["manifest"])
    url = files_of(erp, review_order)[0]["file_url"]
    support = user_client(erp, erp_standin.url, ["Support"])
    assert support.file_content(url)  # may read the order, so may read its attachments
    stranger = user_client(erp, erp_standin.url, ["Sales Agent"])
    with pytest.raises(ERPNextError) as denied:
        stranger.file_content(url)
    assert denied.value.status == 403
    assert httpx.get(erp_standin.url + url, timeout=5).status_code == 403  # Guest
    # Support may not write the order, so may not attach to it.
    with pytest.raises(ERPNextError) as refused:
        support.upload_file(review_order["doctype"], review_order["name"], "x.pdf", b"%PDF-1.4", "application/pdf")
    assert refused.value.status == 403


def test_one_set_per_version_and_superseded_detached(erp: ERPNext, storage: Storage, review_order: Order) -> None:
    doctype, name = review_order["doctype"], review_order["name"]
    attach_review_copies(erp, storage, doctype, name, review_order["manifest"])
    again = attach_review_copies(erp, storage, doctype, name, review_order["manifest"])  # a retry
    assert len(files_of(erp, review_order)) == 2 and len(again.attached) == 2
    v2_key = f"orders/{name}/v2/articles.pdf"
    data = text_pdf("ARTICLES version two")
    storage.put_bytes(v2_key, data, "application/pdf")
    v2 = {"order": name, "version": 2, "files": [{"key": v2_key, "filename": f"articles-{name}.pdf",
                                                  "content_type": "application/pdf", "size": len(data)}]}
    copies = attach_review_copies(erp, storage, doctype, name, v2)
    assert sorted(copies.detached) == [f"v1-DRAFT-articles-{name}.docx", f"v1-DRAFT-articles-{name}.pdf"]
    assert [f["file_name"] for f in files_of(erp, review_order)] == [f"v2-DRAFT-articles-{name}.pdf"]
    assert "Superseded review copies detached" in review_comment(v2, copies)
