"""Customers see only approved documents: presign and deliver against the real ERPNext stand-in and moto S3.

A draft in Review or Revision is never signed; the version deliver records as approved keeps being served while
a newer version waits for review; the invoice PDF is attached to the delivery email and served by presign."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from delivery_helpers import pdf_bytes

from pwcore.clients.erpnext import ERPNext
from pwcore.clients.s3 import Storage
from pwcore.clients.smtp import Mailer, SMTPSettings
from pwcore.model.layout import invoice_key
from pwcore.steps.delivery import Deliverer, DeliverySettings
from pwcore.steps.presign import Presigner, PresignError, PresignSettings
from pwdev.smtp_sink import SMTPSink

Order = dict[str, Any]
SECRET = "approved-only-secret-0123456789abcdef-xyz"


def presigner(erp: ERPNext, storage: Storage) -> Presigner:
    return Presigner(erp, storage, PresignSettings(jwt_secret=SECRET, order_cache_s=0))


def refusal(p: Presigner, order: Order) -> PresignError:
    with pytest.raises(PresignError) as caught:
        p.links(order["customer"], order["name"])
    return caught.value


def add_version(storage: Storage, order: Order, version: int, marker: bytes) -> dict[str, Any]:
    prefix = f"orders/{order['name']}/v{version}/"
    data = pdf_bytes(1, pad=len(marker)) + marker
    storage.put_bytes(prefix + "articles.pdf", data, "application/pdf")
    entry = {"key": prefix + "articles.pdf", "filename": f"articles-{order['name']}-v{version}.pdf",
             "content_type": "application/pdf", "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    manifest = {"order": order["name"], "doctype": order["doctype"], "version": version,
                "customer": order["customer"], "files": [entry]}
    storage.put_bytes(prefix + "manifest.json", json.dumps(manifest).encode(), "application/json")
    return entry


@pytest.mark.parametrize("status", ["Review", "Revision", "Processing", "Queued", "Failed", "Refunded"])
def test_no_links_without_an_approved_version(erp: ERPNext, storage: Storage, make_order: Callable[..., Order],
                                               status: str) -> None:
    order = make_order(status=status)
    err = refusal(presigner(erp, storage), order)
    assert err.status == 409
    body = err.body()
    assert body["order_status"] == status and "url" not in json.dumps(body)
    assert len(body["error"]) > 20  # a sentence the site can show, not a code


def test_review_then_approved_serves_that_version(erp: ERPNext, storage: Storage,
                                                  make_order: Callable[..., Order]) -> None:
    order = make_order(status="Review")
    p = presigner(erp, storage)
    assert "reviewed" in refusal(p, order).reason
    erp.update(order["doctype"], order["name"], {"status": "Approved"})
    answer = p.links(order["customer"], order["name"])
    assert answer["version"] == 1 and answer["order_status"] == "Approved" and len(answer["files"]) == 3


def _failed_delivery_then_v2_in_review(erp: ERPNext, storage: Storage, order: Order,
                                       smtp_settings: SMTPSettings) -> None:
    """Approved v1 -> deliver (SMTP refuses: Failed, v1 recorded approved) -> Queued -> Processing -> v2 Review."""
    dead = smtp_settings.model_copy(update={"port": 1})
    out = Deliverer(erp, storage, Mailer(dead, attempts=1, max_wait_s=0.01), dead,
                    DeliverySettings()).run(order["doctype"], order["name"], "call-x")
    assert out.status == "failed", out
    doc = erp.get(order["doctype"], order["name"])
    assert doc["status"] == "Failed" and doc["approved_version"] == 1 and doc["approved_by"] == "Administrator"
    add_version(storage, order, 2, b"%% version two, not reviewed")
    for status in ("Queued", "Processing"):
        erp.update(order["doctype"], order["name"], {"status": status})
    erp.update(order["doctype"], order["name"], {"status": "Review", "document_version": 2,
                                                 "minio_path": f"orders/{order['name']}/v2/"})


def test_newer_unapproved_version_never_replaces_the_approved_one(
        erp: ERPNext, storage: Storage, make_order: Callable[..., Order], smtp_settings: SMTPSettings) -> None:
    order = make_order(status="Approved")
    _failed_delivery_then_v2_in_review(erp, storage, order, smtp_settings)
    p = presigner(erp, storage)
    answer = p.links(order["customer"], order["name"])
    assert answer["version"] == 1 and answer["order_status"] == "Review"
    assert all(f"/orders/{order['name']}/v1/" in f["url"] for f in answer["files"])
    assert not any("v2" in f["filename"] for f in answer["files"])
    for f in answer["files"]:
        assert httpx.get(f["url"], timeout=10).content != b""
    erp.update(order["doctype"], order["name"], {"status": "Revision"})
    assert p.links(order["customer"], order["name"])["version"] == 1
    # Approved v2: now v2 is served.
    erp.update(order["doctype"], order["name"], {"status": "Review"})
    erp.update(order["doctype"], order["name"], {"status": "Approved"})
    answer = p.links(order["customer"], order["name"])
    assert answer["version"] == 2 and [f["filename"] for f in answer["files"]] == [
        f"articles-{order['name']}-v2.pdf"]
    # A refund takes everything away, approved or not.
    erp.update(order["doctype"], order["name"], {"status": "Refunded"})
    assert refusal(p, order).status == 409


def _paid_invoice(erp: ERPNext, storage: Storage, order: Order) -> tuple[str, bytes]:
    so = erp.insert("Sales Order", {"customer": order["customer"], "items": [
        {"item_code": "LLC", "qty": 1, "rate": 499}], "delivery_date": "2026-12-31"})
    inv = erp.insert("Sales Invoice", {"customer": order["customer"], "posting_date": "2026-11-25", "items": [
        {"item_code": "LLC", "item_name": "LLC formation", "qty": 1, "rate": 499, "amount": 499,
         "sales_order": so["name"]}], "status": "Paid", "docstatus": 1})
    erp.update(order["doctype"], order["name"], {"sales_order": so["name"]})
    data = pdf_bytes(1, pad=7)
    storage.put_bytes(invoice_key(inv["name"]), data, "application/pdf")
    return str(inv["name"]), data


def test_invoice_pdf_is_emailed_and_presigned(erp: ERPNext, storage: Storage, smtp: SMTPSink,
                                              smtp_settings: SMTPSettings, make_order: Callable[..., Order]) -> None:
    order = make_order(status="Approved")
    invoice, data = _paid_invoice(erp, storage, order)
    p = presigner(erp, storage)
    answer = p.links(order["customer"], order["name"])
    [inv_link] = [f for f in answer["files"] if f.get("kind") == "invoice"]
    assert inv_link["filename"] == f"invoice-{invoice}.pdf"
    assert httpx.get(inv_link["url"], timeout=10).content == data
    out = Deliverer(erp, storage, Mailer(smtp_settings, attempts=1), smtp_settings).run(
        order["doctype"], order["name"], "call-inv")
    assert out.status == "delivered", out
    [msg] = smtp.wait_for(1)
    atts = {a.get_filename(): a.get_content() for a in msg.iter_attachments()}
    assert atts[f"invoice-{invoice}.pdf"] == data
    assert f"invoice-{invoice}.pdf" in out.attached
    # A Review order with an invoice is still refused: the invoice alone does not open the door.
    other = make_order(status="Review", customer=order["customer"])
    erp.update(other["doctype"], other["name"], {"sales_order": erp.get(order["doctype"], order["name"])
                                                 ["sales_order"]})
    assert refusal(p, other).status == 409
