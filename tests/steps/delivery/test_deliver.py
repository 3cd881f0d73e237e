"""deliver over real sockets: ERPNext stand-in, moto S3, aiosmtpd; crash windows injected by checkpoints."""

from __future__ import annotations

import hashlib
import io
import json
import time
from collections.abc import Callable
from typing import Any

import delivery_helpers
import pytest
from delivery_helpers import pdf_bytes
from pypdf import PdfReader
from races import race

from pwcore.clients.erpnext import ERPNext
from pwcore.clients.s3 import Storage
from pwcore.clients.smtp import SMTPSettings
from pwcore.model.layout import sent_marker_key as marker_key
from pwcore.steps.delivery import Deliverer, SimulatedCrash
from pwdev.smtp_sink import SMTPSink

Order = dict[str, Any]


def deliverer(erp: ERPNext, storage: Storage, smtp: SMTPSettings, *, attempts: int = 3, **kw: Any) -> Deliverer:
    return delivery_helpers.deliverer(erp, storage, smtp, attempts=attempts, **kw)


def status_of(erp: ERPNext, order: Order) -> str:
    return str(erp.get(order["doctype"], order["name"])["status"])


def comments(erp: ERPNext, order: Order) -> list[str]:
    return [str(c["content"]) for c in erp.list("Comment", fields=["content"], filters={
        "reference_name": order["name"], "comment_type": "Comment"})]


def records(erp: ERPNext, order: Order) -> int:
    comms = erp.list_page("Communication", fields=["name"], filters={"reference_name": order["name"]})
    noted = [c for c in comments(erp, order) if "Message-ID" in c]
    return len(comms) + len(noted)


def test_email_arrives_with_pdfs_headers_and_links(erp: ERPNext, storage: Storage, smtp: SMTPSink,
                                                   smtp_settings: SMTPSettings, make_order: Callable[..., Order]
                                                   ) -> None:
    order = make_order()
    out = deliverer(erp, storage, smtp_settings).run(order["doctype"], order["name"], "call-1")
    assert out.status == "delivered", out
    [msg] = smtp.wait_for(1)
    name = order["name"]
    assert msg["Message-ID"] == f"<order-{name}-v1@performancewest.net>"
    assert msg["To"] == "owner@example.com"
    assert msg["Reply-To"] == "support@performancewest.net"
    assert "documents@performancewest.net" in msg["From"]
    assert name in msg["Subject"]
    atts = {a.get_filename(): a.get_content() for a in msg.iter_attachments()}
    pdfs = {f"{n.rsplit('.', 1)[0]}-{name}.pdf": d for n, d, t in order["files"] if t == "application/pdf"}
    # Both PDFs (the DOCX is not attached), each the reviewed document plus its approval page.
    assert set(atts) == set(pdfs)
    approval = storage.get_json(f"orders/{name}/v1/delivery/approval.json")
    assert approval["approved_by"] == "Administrator" and approval["approved_on"]
    by_file = {f["filename"]: f for f in approval["files"]}
    for filename, original in pdfs.items():
        delivered = PdfReader(io.BytesIO(atts[filename]))
        assert len(delivered.pages) == len(PdfReader(io.BytesIO(original)).pages) + 1
        last = delivered.pages[-1].extract_text()
        assert "Reviewed and approved by Administrator on " + approval["approved_on"][:16] in last
        assert by_file[filename]["reviewed_sha256"] == hashlib.sha256(original).hexdigest() in last
        assert by_file[filename]["final_sha256"] == hashlib.sha256(atts[filename]).hexdigest()
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    link = f"https://performancewest.net/account/orders?order={name}"
    assert link in text and f'href="{link}"' in html
    assert status_of(erp, order) == "Delivered"
    comm = erp.list_page("Communication", fields=["message_id", "recipients", "reference_doctype"],
                         filters={"reference_name": name})
    noted = [c for c in comments(erp, order) if msg["Message-ID"] in c]
    assert (comm and comm[0]["message_id"] == msg["Message-ID"]) or noted
    marker = storage.get_json(marker_key(name, 1))
    assert marker["state"] == "sent" and marker["call_id"] == "call-1" and marker["smtp_reply"].startswith("250")
    # A duplicate webhook afterwards: no second email.
    again = deliverer(erp, storage, smtp_settings).run(order["doctype"], name, "call-2")
    assert again.status == "done" and len(smtp.messages) == 1


def test_too_large_attachments_become_a_link(erp: ERPNext, storage: Storage, smtp: SMTPSink,
                                             smtp_settings: SMTPSettings, make_order: Callable[..., Order]) -> None:
    order = make_order(doctype="Compliance Service")
    small = smtp_settings.model_copy(update={"max_attachments_bytes": 200})
    out = deliverer(erp, storage, small).run(order["doctype"], order["name"])
    assert out.status == "delivered" and out.attached == [] and len(out.linked) == 2
    [msg] = smtp.wait_for(1)
    assert list(msg.iter_attachments()) == []
    text = msg.get_body(("plain",)).get_content()
    assert "too large to attach" in text and f"?order={order['name']}" in text
    assert all(f in text for f in out.linked)


def test_html_part_escapes_customer_values(erp: ERPNext, storage: Storage, smtp: SMTPSink,
                                           smtp_settings: SMTPSettings, make_order: Callable[..., Order]) -> None:
    order = make_order(customer='Evil <script>alert(1)</script> & "Co"')
    deliverer(erp, storage, smtp_settings).run(order["doctype"], order["name"])
    [msg] = smtp.wait_for(1)
    html = msg.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp;" in html


def test_twenty_concurrent_invocations_send_one_email(erp: ERPNext, storage: Storage, smtp: SMTPSink,
                                                      smtp_settings: SMTPSettings,
                                                      make_order: Callable[..., Order]) -> None:
    order = make_order()
    runs = [deliverer(erp, storage, smtp_settings) for _ in range(20)]
    outcomes = race(20, lambda i: runs[i].run(order["doctype"], order["name"], f"call-{i}").status, timeout=30)
    assert len(outcomes) == 20 and set(outcomes) <= {"delivered", "done", "busy"}
    assert outcomes.count("delivered") == 1
    smtp.wait_for(1)
    assert len(smtp.messages) == 1
    assert status_of(erp, order) == "Delivered"
    assert records(erp, order) == 1


@pytest.mark.parametrize("crash_at", ["ready", "marker_sent", "recorded"])
def test_crash_then_retry_sends_no_second_email_and_ends_delivered(
        crash_at: str, erp: ERPNext, storage: Storage, smtp: SMTPSink, smtp_settings: SMTPSettings,
        make_order: Callable[..., Order]) -> None:
    """W0 (before the marker), W3 (after SMTP acceptance and the "sent" marker, before the ERPNext record /
    before the Delivered write): the retry finishes with exactly one email and one record."""
    order = make_order()
    with pytest.raises(SimulatedCrash):
        deliverer(erp, storage, smtp_settings, crash_at=crash_at).run(order["doctype"], order["name"], "first")
    sent_before = len(smtp.messages)
    assert sent_before == (0 if crash_at == "ready" else 1)
    assert status_of(erp, order) == "Ready"
    out = deliverer(erp, storage, smtp_settings).run(order["doctype"], order["name"], "retry")
    assert out.status == "delivered", out
    assert len(smtp.wait_for(1)) == 1
    assert status_of(erp, order) == "Delivered"
    assert records(erp, order) == 1


@pytest.mark.parametrize("crash_at", ["marker_written", "sent"])
def test_crash_with_sending_marker_never_sends_twice(crash_at: str, erp: ERPNext, storage: Storage,
                                                     smtp: SMTPSink, smtp_settings: SMTPSettings,
                                                     make_order: Callable[..., Order]) -> None:
    """W1 (marker written, SMTP not reached) and W2 (SMTP accepted, marker not yet "sent") look alike:
    within the lease the retry is "busy"; after it the order is flagged for a human, and nothing is sent."""
    order = make_order()
    with pytest.raises(SimulatedCrash):
        deliverer(erp, storage, smtp_settings, crash_at=crash_at).run(order["doctype"], order["name"], "first")
    sent = 1 if crash_at == "sent" else 0
    busy = deliverer(erp, storage, smtp_settings, sending_lease_s=600).run(order["doctype"], order["name"], "retry1")
    assert busy.status == "busy" and status_of(erp, order) == "Ready"
    flagged = deliverer(erp, storage, smtp_settings, sending_lease_s=-1).run(order["doctype"], order["name"], "retry2")
    assert flagged.status == "uncertain"
    assert status_of(erp, order) == "Failed"
    assert any("delivery uncertain" in c and f"order-{order['name']}-v1@" in c for c in comments(erp, order))
    assert storage.get_json(marker_key(order["name"], 1))["state"] == "uncertain"
    assert len(smtp.messages) == sent
    # The operator checked the mail log, set Approved again and asked for a resend: the one way to send again.
    doc = erp.get(order["doctype"], order["name"])
    erp.update(order["doctype"], order["name"], {"status": "Approved"}, modified=doc["modified"])
    # four operators (or retries) ask for the resend at once
    outcomes = race(4, lambda i: deliverer(erp, storage, smtp_settings).run(
        order["doctype"], order["name"], f"op{i}", resend=True).status)
    assert outcomes.count("delivered") >= 1 and len(smtp.wait_for(sent + 1)) == sent + 1
    time.sleep(0.5)
    assert len(smtp.messages) == sent + 1  # one resend, not four
    assert status_of(erp, order) == "Delivered"


def test_smtp_down_is_retried_then_failed_with_reason(erp: ERPNext, storage: Storage, smtp: SMTPSink,
                                                      smtp_settings: SMTPSettings,
                                                      make_order: Callable[..., Order]) -> None:
    order = make_order()
    smtp.refuse_next(3)  # every attempt gets 421 and a hang-up
    out = deliverer(erp, storage, smtp_settings, attempts=3).run(order["doctype"], order["name"])
    assert out.status == "failed" and "after 3 attempts" in out.detail
    assert status_of(erp, order) == "Failed"
    assert any("email not sent" in c for c in comments(erp, order))
    assert storage.stat(marker_key(order["name"], 1)) is None  # nothing was accepted: a later retry may send
    assert smtp.messages == []
    # Closed port: connection refused, also retried then failed.
    order2 = make_order()
    closed = smtp_settings.model_copy(update={"port": 1})
    out2 = deliverer(erp, storage, closed, attempts=2).run(order2["doctype"], order2["name"])
    assert out2.status == "failed" and "ConnectionRefusedError" in out2.detail


def test_transient_smtp_refusals_are_retried(erp: ERPNext, storage: Storage, smtp: SMTPSink,
                                             smtp_settings: SMTPSettings, make_order: Callable[..., Order]) -> None:
    order = make_order()
    smtp.refuse_next(1)
    smtp.fail_next_data(1)  # 451 on DATA: refused, nothing stored, safe to retry
    out = deliverer(erp, storage, smtp_settings, attempts=4).run(order["doctype"], order["name"])
    assert out.status == "delivered"
    assert len(smtp.wait_for(1)) == 1
    assert storage.get_json(marker_key(order["name"], 1))["attempts"] == 3


def _corrupt(kind: str, storage: Storage, order: Order) -> None:
    first = order["manifest"]["files"][0]
    if kind == "missing":
        storage.delete(first["key"])
    elif kind == "bad_sha":
        data = bytearray(storage.get_bytes(first["key"]))
        data[-5] ^= 0xFF
        storage.put_bytes(first["key"], bytes(data), "application/pdf")
    elif kind == "not_pdf":
        data = b"%PDF-1.4 this is not really a pdf"
        manifest = dict(order["manifest"])
        manifest["files"] = [{**first, "size": len(data), "sha256": __import__("hashlib").sha256(data).hexdigest()}]
        storage.put_bytes(first["key"], data, "application/pdf")
        storage.put_bytes(order["prefix"] + "manifest.json", json.dumps(manifest).encode(), "application/json")
    elif kind == "no_manifest":
        storage.delete(order["prefix"] + "manifest.json")


@pytest.mark.parametrize(("kind", "reason"), [
    ("missing", "is missing in S3"), ("bad_sha", "sha256 differs"), ("not_pdf", "does not open as a PDF"),
    ("no_manifest", "manifest.json is missing"), ("no_email", "has no valid email address")])
def test_preflight_failures_fail_the_order_with_a_reason(kind: str, reason: str, erp: ERPNext, storage: Storage,
                                                         smtp: SMTPSink, smtp_settings: SMTPSettings,
                                                         make_order: Callable[..., Order]) -> None:
    order = make_order(email=None if kind == "no_email" else "owner@example.com")
    _corrupt(kind, storage, order)
    out = deliverer(erp, storage, smtp_settings).run(order["doctype"], order["name"])
    assert out.status == "failed" and reason in out.detail
    assert status_of(erp, order) == "Failed"
    assert any(reason in c for c in comments(erp, order))
    assert smtp.messages == []


def test_refunded_and_unapproved_orders_are_refused(erp: ERPNext, storage: Storage, smtp: SMTPSink,
                                                    smtp_settings: SMTPSettings,
                                                    make_order: Callable[..., Order]) -> None:
    refunded = make_order(status="Refunded")
    out = deliverer(erp, storage, smtp_settings).run(refunded["doctype"], refunded["name"])
    assert out.status == "refused" and "Refunded" in out.detail and status_of(erp, refunded) == "Refunded"
    review = make_order(status="Review")
    out2 = deliverer(erp, storage, smtp_settings).run(review["doctype"], review["name"])
    assert out2.status == "skipped" and status_of(erp, review) == "Review"
    assert smtp.messages == []


def test_contact_email_is_used_when_customer_has_none(erp: ERPNext, storage: Storage, smtp: SMTPSink,
                                                      smtp_settings: SMTPSettings,
                                                      make_order: Callable[..., Order]) -> None:
    order = make_order(email=None, contact_email="contact@example.org",
                       files=[("a.pdf", pdf_bytes(1), "application/pdf")])
    assert deliverer(erp, storage, smtp_settings).run(order["doctype"], order["name"]).status == "delivered"
    assert smtp.wait_for(1)[0]["To"] == "contact@example.org"


def test_comment_fallback_is_found_escaped_so_a_retry_writes_no_second_record(
        erp: ERPNext, erp_standin: Any, storage: Storage, smtp: SMTPSink, smtp_settings: SMTPSettings,
        make_order: Callable[..., Order]) -> None:
    """Issue 19, defect 6: Frappe HTML-escapes Comment content, so the Message-ID <...> of the Comment
    fallback is stored as &lt;...&gt;; the retry must still find that record and not write a second one."""
    import httpx

    order = make_order()
    refusal = json.dumps({"exc_type": "ValidationError", "_server_messages": json.dumps(
        [json.dumps({"message": "Communication refused"})])})
    httpx.post(f"{erp_standin.url}/_standin/faults", timeout=5, json={
        "path_prefix": "/api/resource/Communication", "method": "POST", "status": 417, "count": 10,
        "body": refusal, "content_type": "application/json"})
    try:
        with pytest.raises(SimulatedCrash):  # recorded as a Comment, then killed before the Delivered write
            deliverer(erp, storage, smtp_settings, crash_at="recorded").run(order["doctype"], order["name"], "a")
        [stored] = [c for c in comments(erp, order) if "Message-ID" in c]
        assert f"&lt;order-{order['name']}-v1@" in stored and "<order-" not in stored  # as Frappe stores it
        out = deliverer(erp, storage, smtp_settings).run(order["doctype"], order["name"], "retry")
    finally:
        httpx.delete(f"{erp_standin.url}/_standin/faults", timeout=5)
    assert out.status == "delivered", out
    assert status_of(erp, order) == "Delivered"
    assert len([c for c in comments(erp, order) if "Message-ID" in c]) == 1
    assert len(smtp.wait_for(1)) == 1
