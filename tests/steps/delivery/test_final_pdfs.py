"""The delivered PDFs (reviewed PDF + approval page) are stored once and are what presign serves afterwards:
real ERPNext stand-in, moto S3 and SMTP sink over sockets."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from delivery_helpers import deliverer
from pypdf import PdfReader

from pwcore.clients.erpnext import ERPNext
from pwcore.clients.s3 import Storage
from pwcore.clients.smtp import Mailer, SMTPSettings
from pwcore.model.layout import approval_key, final_key
from pwcore.steps.delivery import Deliverer, SimulatedCrash
from pwcore.steps.presign import Presigner, PresignSettings
from pwdev.smtp_sink import SMTPSink

Order = dict[str, Any]
SECRET = "final-pdfs-secret-0123456789abcdef-xyz!"


def presigner(erp: ERPNext, storage: Storage) -> Presigner:
    return Presigner(erp, storage, PresignSettings(jwt_secret=SECRET, order_cache_s=0))


def died_after_storing_the_finals(erp: ERPNext, storage: Storage, smtp_settings: SMTPSettings,
                                  make_order: Callable[..., Order]) -> Order:
    """An Approved order whose delivery run died after storing the finals, before its email; its sent marker
    removed, as after an operator checked the mail log."""
    order = make_order(status="Approved")
    with pytest.raises(SimulatedCrash):
        deliverer(erp, storage, smtp_settings, crash_at="marker_written").run(order["doctype"], order["name"], "c1")
    storage.delete(f"orders/{order['name']}/v1/delivery/sent.json")
    return order


def test_presign_serves_what_was_emailed_after_delivery(erp: ERPNext, storage: Storage, smtp: SMTPSink,
                                                        smtp_settings: SMTPSettings,
                                                        make_order: Callable[..., Order]) -> None:
    order = make_order(status="Approved")
    name = order["name"]
    p = presigner(erp, storage)
    before = {f["filename"]: f for f in p.links(order["customer"], name)["files"]}
    reviewed = {f["filename"]: f["sha256"] for f in order["manifest"]["files"]}
    # Approved, deliver not run yet: the approved reviewed files.
    assert {k: v["sha256"] for k, v in before.items()} == reviewed
    out = deliverer(erp, storage, smtp_settings).run(order["doctype"], name, "c1")
    assert out.status == "delivered", out
    [msg] = smtp.wait_for(1)
    emailed = {a.get_filename(): a.get_content() for a in msg.iter_attachments()}
    record = storage.get_json(approval_key(name, 1))
    assert {f["key"] for f in record["files"]} == {final_key(name, 1, fn) for fn in emailed}
    after = {f["filename"]: f for f in p.links(order["customer"], name)["files"]}
    assert set(after) == set(reviewed)
    for filename, data in emailed.items():
        link = after[filename]
        assert "/delivery/final/" in link["url"] and link["sha256"] == hashlib.sha256(data).hexdigest()
        served = httpx.get(link["url"], timeout=10).content
        assert served == data and len(served) == link["size"]
        assert "Reviewed and approved by" in PdfReader(io.BytesIO(served)).pages[-1].extract_text()
    docx = [f for f in after.values() if f["filename"].endswith(".docx")]
    assert docx and "/delivery/" not in docx[0]["url"]  # the DOCX source stays the reviewed one


def test_a_retry_delivers_the_stored_finals(erp: ERPNext, storage: Storage, smtp: SMTPSink,
                                            smtp_settings: SMTPSettings, make_order: Callable[..., Order]) -> None:
    """A run that died after storing the finals (before its email) and the retry that sends: the email carries
    the stored bytes, not a second rendering of the approval page."""
    order = died_after_storing_the_finals(erp, storage, smtp_settings, make_order)
    name = order["name"]
    stored = {f["filename"]: storage.get_bytes(f["key"]) for f in storage.get_json(approval_key(name, 1))["files"]}
    out = deliverer(erp, storage, smtp_settings).run(order["doctype"], name, "c2")
    assert out.status == "delivered", out
    [msg] = smtp.wait_for(1)
    assert {a.get_filename(): a.get_content() for a in msg.iter_attachments()} == stored


def test_a_damaged_final_fails_the_order_before_any_email(erp: ERPNext, storage: Storage, smtp: SMTPSink,
                                                          smtp_settings: SMTPSettings,
                                                          make_order: Callable[..., Order]) -> None:
    order = died_after_storing_the_finals(erp, storage, smtp_settings, make_order)
    name = order["name"]
    first = storage.get_json(approval_key(name, 1))["files"][0]
    storage.put_bytes(first["key"], b"%PDF-1.4 tampered", "application/pdf")
    out = deliverer(erp, storage, smtp_settings).run(order["doctype"], name, "c2")
    assert out.status == "failed" and "differs from delivery/approval.json" in out.detail
    assert erp.get(order["doctype"], name)["status"] == "Failed"
    assert smtp.messages == []
    assert json.loads(storage.get_bytes(approval_key(name, 1)))["files"][0]["key"] == first["key"]


def test_presign_during_a_revision_serves_the_approved_finals(erp: ERPNext, storage: Storage,
                                                              smtp_settings: SMTPSettings,
                                                              make_order: Callable[..., Order]) -> None:
    """Delivered -> Revision is not in the status table (a delivered order is only refunded), so the revision
    of an approved version is the one whose delivery failed: Failed -> Queued -> ... -> Revision. presign keeps
    serving the approved v1 as deliver stored it (with its approval page), never the draft in revision."""
    from pwcore.model.status import can_transition

    assert not can_transition("Delivered", "Revision")
    order = make_order(status="Approved")
    name = order["name"]
    dead = smtp_settings.model_copy(update={"port": 1})
    out = Deliverer(erp, storage, Mailer(dead, attempts=1, max_wait_s=0.01), dead).run(order["doctype"], name, "x")
    assert out.status == "failed"
    for status in ("Queued", "Processing", "Review", "Revision"):
        erp.update(order["doctype"], name, {"status": status})
    record = {f["filename"]: f for f in storage.get_json(approval_key(name, 1))["files"]}
    links = presigner(erp, storage).links(order["customer"], name)
    assert links["version"] == 1 and links["order_status"] == "Revision"
    for f in links["files"]:
        if f["filename"] in record:
            assert f["sha256"] == record[f["filename"]]["final_sha256"] and "/v1/delivery/final/" in f["url"]
