"""deliver's job: pre-flight -> Ready -> exactly one email per order version -> recorded -> Delivered.

Exactly once rests on one S3 object per order version, `orders/{name}/v{n}/delivery/sent.json`: a claim
(pwcore.clients.claims) created with a conditional write (`If-None-Match: *`) BEFORE the SMTP conversation, state
"sending" (call id, time, Message-ID). Only the run that created it may send; the policy on top of the shared
mechanism is deliver's own: a stale "sending" claim is flagged "uncertain", never taken over, except by an
operator's resend. It is rewritten to state "sent" right after the SMTP
server accepted the message (the server's reply is recorded). Every other run reads it and decides.

What a crash (process killed at any line) leaves behind, and what the next run (webhook retry, reconcile
sweep, operator) does:
- W0, before the marker exists (pre-flight, Approved -> Ready): nothing was sent. The retry starts over: the
  pre-flight runs again, the order is Ready already (the CAS is a no-op), it creates the marker and sends.
- W1, marker "sending", SMTP not (yet) accepted; and W2, accepted but the marker not yet rewritten to "sent":
  from outside, both look the same and nothing can prove whether the customer got the email. Policy: never
  risk a second email. While the marker is younger than DELIVER_SENDING_LEASE_S (longer than the mailer's
  worst case: attempts x timeout + backoff) the sender may still be working: the retry answers "busy" and
  does nothing. After the lease, the order goes to Failed with "delivery uncertain: check the mail log for
  Message-ID <...>", and the marker becomes "uncertain". A human looks the Message-ID up in the mail server's
  log, then either sets the order to Delivered, or sets it back to Approved and invokes deliver with
  `"resend": true` (the only way to send again). W2 is one S3 PUT wide; W1 is the SMTP conversation.
- W3, marker "sent", the Communication or the Delivered CAS not written: the retry sees "sent", sends
  nothing, records the email in ERPNext and sets Delivered. Recording is once too: a second conditional
  marker `delivery/recorded.json` is the claim to insert the Communication; runs that lose it while the
  holder is alive answer "busy" (the holder finishes); a holder that died before inserting is replaced
  after DELIVER_RECORD_LEASE_S (an ERPNext error drops the claim at once, so the retry records).
- W4, after Delivered: the retry answers "done" (and repeats the idempotent Listmonk subscription).
SMTP failures that prove nothing was accepted (connection refused, 4xx after the retries, 5xx) release the
claim, so a later retry may send, and the order goes to Failed with the reason. If the SMTP connection
breaks during DATA (MailUncertain) the marker stays and the order is flagged as in W1/W2.

Access log (pwcore.orders.access_log): each email that went out (a delivery, or a resend) is one record, written
when the run that sent it, or a later run that finds the marker "sent", finishes; its key comes from the marker
(Message-ID, sending run, acceptance time; the marker also keeps the recipient), so repeats write nothing. A failed
write (S3 down) is logged as access_log.write_failed with the order and does not stop the delivery: the email is
out, and failing now could turn a known send into an "uncertain" one (the marker may not say "sent" either). That
email's record is then missing from the log; the Communication in ERPNext (recipient, Message-ID, files) still
records it.

Before the pre-flight, an Approved order's reviewer edits (`v{n}-EDITED-<document>.docx` Files) become version
n+1, which is then the version delivered; a bad upload sends the order back to Review with a Comment
(pwcore.orders.reviewer_edits, docs/review-loop.md). After Ready, each PDF gets its approval page; the final PDFs
are stored once under `delivery/final/` and recorded in `delivery/approval.json`, and every run (a retry too)
emails those stored bytes, which are also what presign serves from then on.

The email is transactional (the documents the customer paid for), so a Contact's `email_opted_out` does not
stop it; it only stops the Listmonk follow-up subscription.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parseaddr
from typing import Any

from minio.error import S3Error
from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from pwcore.clients.claims import Claim, Claims, Held
from pwcore.clients.erpnext import ERPNext, ERPNextError
from pwcore.clients.listmonk import Listmonk, ListmonkError, ListmonkSettings
from pwcore.clients.s3 import Storage
from pwcore.clients.smtp import Mailer, MailError, MailUncertain, SMTPSettings
from pwcore.logs import get_logger
from pwcore.mail.delivery_email import Attachment, DeliveryEmail, build_delivery_email
from pwcore.model.clock import today_in
from pwcore.model.doctypes import CRTC_ORDER, UnsafeName, check_order_name, current_version
from pwcore.model.layout import (
    approval_key,
    check_key,
    final_key,
    invoice_key,
    manifest_key,
    recorded_marker_key,
    sent_marker_key,
    slug,
    version_prefix,
)
from pwcore.model.manifest import PDF_TYPE, ManifestInvalid, VersionManifest
from pwcore.model.outcomes import DeliveryStatus
from pwcore.model.status import InvalidTransition, Status
from pwcore.orders import attention
from pwcore.orders.access_log import AccessLog
from pwcore.orders.entity_calendar import create_entity_calendar
from pwcore.orders.reviewer_edits import ReviewerEdits
from pwcore.orders.transitions import fail, transition
from pwcore.settings import Settings

log = get_logger("pwcore.delivery")



class DeliverySettings(Settings):
    model_config = SettingsConfigDict(env_prefix="DELIVER_")
    # A "sending" marker younger than this may belong to a run that is still talking to the SMTP server.
    sending_lease_s: int = 600
    # A recording claim (delivery/recorded.json) older than this without an ERPNext record: its run died.
    record_lease_s: int = 120
    check_pdfs: bool = True
    # Shared token of the Listmonk unsubscribe webhook (POST /listmonk/unsubscribe); empty = route disabled.
    unsubscribe_token: SecretStr = SecretStr("")




class PreflightFailed(Exception):
    """A reason an operator can act on; written to ERPNext as the Failed comment."""


class SimulatedCrash(BaseException):
    """Raised by test checkpoints: a BaseException, so no `except Exception` in the path can swallow it."""


@dataclass
class Outcome:
    status: DeliveryStatus
    order: str
    version: int = 0
    detail: str = ""
    message_id: str = ""
    attached: list[str] = field(default_factory=list)
    linked: list[str] = field(default_factory=list)
    listmonk: str = ""
    calendar: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        out = {"status": self.status, "order": self.order, "version": self.version, "detail": self.detail,
               "message_id": self.message_id, "attached": self.attached, "linked": self.linked,
               "listmonk": self.listmonk}
        if self.calendar is not None:
            out["calendar"] = self.calendar
        return out


@dataclass
class Package:
    """What the pre-flight found: everything needed to build the email."""

    version: int
    prefix: str
    manifest: VersionManifest
    pdfs: list[Attachment]
    customer: dict[str, Any]
    email: str
    contact: dict[str, Any] | None






def _now() -> datetime:
    return datetime.now(UTC)


def approval_record(doc: dict[str, Any]) -> dict[str, Any]:
    """What deliver writes with Approved -> Ready: the approved version (what presign serves from then on, even
    while a newer version is in Review) and who approved it when. The document read in Approved is the one the
    reviewer's save produced (the Ready CAS refuses any later change), so its `modified_by`/`modified` are the
    approval. A record of this same version written before (a retry after a crash) is kept."""
    version = current_version(doc)
    if int(doc.get("approved_version") or 0) == version and doc.get("approved_by"):
        return {"approved_version": version, "approved_by": str(doc["approved_by"]),
                "approved_on": str(doc.get("approved_on") or "")}
    return {"approved_version": version, "approved_by": str(doc.get("modified_by") or ""),
            "approved_on": str(doc.get("modified") or "")}


def _valid_email(value: str) -> str:
    addr = parseaddr(value or "")[1].strip()
    if "@" not in addr or addr.startswith("@") or addr.endswith("@") or " " in addr:
        return ""
    return addr


# --- Listmonk -----------------------------------------------------------------------------------------------







# --- the job -----------------------------------------------------------------------------------------------

class Deliverer:
    def __init__(self, erp: ERPNext, storage: Storage, mailer: Mailer, smtp: SMTPSettings,
                 settings: DeliverySettings | None = None, listmonk: Listmonk | None = None,
                 listmonk_settings: ListmonkSettings | None = None,
                 checkpoint: Callable[[str], None] | None = None, timezone: str = "America/Chicago",
                 access_log: AccessLog | None = None, edits: ReviewerEdits | None = None) -> None:
        self.erp = erp
        self.access_log = access_log or AccessLog(storage)  # no client address here: no key needed
        self.edits = edits  # the reviewer's edited DOCX of an Approved order (None: deliver as generated)
        self.timezone = timezone  # ERPNext's: the delivery date a new entity's calendar is computed from
        self.storage = storage
        self.mailer = mailer
        self.smtp = smtp
        self.settings = settings or DeliverySettings()
        self.listmonk = listmonk
        self.listmonk_settings = listmonk_settings or ListmonkSettings()
        self._checkpoint = checkpoint  # tests only: raise SimulatedCrash at a named point

    def checkpoint(self, point: str) -> None:
        if self._checkpoint is not None:
            self._checkpoint(point)

    # -- entry ------------------------------------------------------------------------------------------
    def run(self, doctype: str, name: str, call_id: str = "", resend: bool = False) -> Outcome:
        try:
            check_order_name(name)
        except UnsafeName as exc:
            return Outcome(DeliveryStatus.REFUSED, name, detail=str(exc))
        try:
            doc = self.erp.get(doctype, name)
        except ERPNextError as exc:
            if exc.status == 404:
                return Outcome(DeliveryStatus.NOT_FOUND, name, detail=f"{doctype} {name} not found")
            raise
        status = str(doc.get("status", ""))
        version = current_version(doc)
        if status == Status.REFUNDED:
            return Outcome(DeliveryStatus.REFUSED, name, version, "order is Refunded: nothing is sent")
        if status == Status.DELIVERED:
            out = Outcome(DeliveryStatus.DONE, name, version, "order is Delivered already")
            out.listmonk = self._subscribe(doctype, doc)
            out.calendar = self._calendar(doctype, doc)
            return out
        if status not in (Status.APPROVED, Status.READY):
            return Outcome(DeliveryStatus.SKIPPED, name, version, f"order is {status}, not Approved")
        if status == Status.APPROVED and self.edits is not None:
            edit = self.edits.apply(doctype, doc, approval_record(doc), call_id)
            if edit.state == "returned":
                return Outcome(DeliveryStatus.RETURNED, name, version, edit.detail)
            if edit.state == "busy":
                return Outcome(DeliveryStatus.BUSY, name, version, edit.detail)
            doc, version = edit.doc, current_version(edit.doc)
            status = str(doc.get("status", ""))
        try:
            package = self.preflight(doctype, doc)
        except PreflightFailed as exc:
            reason = f"Delivery pre-flight failed: {exc}"
            fail(self.erp, doctype, name, reason, doc=doc)
            return Outcome(DeliveryStatus.FAILED, name, version, reason)
        if status == Status.APPROVED:
            try:
                doc = transition(self.erp, doctype, name, Status.READY, allowed_from={Status.APPROVED},
                                 doc=doc, values=approval_record(doc)).doc
            except InvalidTransition as exc:
                if exc.current == Status.DELIVERED:  # a concurrent run won and finished the delivery
                    return Outcome(DeliveryStatus.DONE, name, version, "order was delivered meanwhile")
                return Outcome(DeliveryStatus.SKIPPED, name, version, f"order became {exc.current} meanwhile")
        self.checkpoint("ready")
        try:
            package = self._with_approval(doctype, doc, package)
        except PreflightFailed as exc:  # a damaged delivery record: a human looks before anything is sent
            reason = f"Delivery pre-flight failed: {exc}"
            fail(self.erp, doctype, name, reason)
            return Outcome(DeliveryStatus.FAILED, name, version, reason)
        return self._send_once(doctype, doc, package, call_id, resend)

    # -- the approval on the documents -------------------------------------------------------------------
    def _approver_name(self, user: str) -> str:
        if not user:
            return "(unknown reviewer)"
        try:
            full = str(self.erp.get("User", user).get("full_name") or "").strip()
        except ERPNextError:
            full = ""  # the pipeline user may not read Users: the user id still names the approver
        return f"{full} ({user})" if full and full != user else user

    def _with_approval(self, doctype: str, doc: dict[str, Any], package: Package) -> Package:
        """Each delivered document gets an approval page (approver and date from the order's approval record).
        The final PDFs are stored once (`delivery/final/{filename}`, put-if-absent) and `delivery/approval.json`
        records, once per version, each document's reviewed and final sha256 and final key. A retry, or a run
        that lost the race, delivers the stored finals (pypdf's output differs run to run, so bytes built again
        would not match the record presign serves from)."""
        name = str(doc["name"])
        recorded = self._approval_finals(name, package)
        if recorded is not None:
            return self._repackaged(package, recorded)
        from pwcore.documents.review_copies import approval_lines, with_approval_page

        record = approval_record(doc)
        approver = self._approver_name(str(record["approved_by"]))
        approved_on = str(record["approved_on"])[:16] or "(unknown date)"
        reviewed = {f.filename: f for f in package.manifest.files}
        finals: dict[str, bytes] = {}
        entries: list[dict[str, Any]] = []
        for att in package.pdfs:
            entry = reviewed.get(att.filename)
            if entry is None:  # the invoice: not a reviewed document
                continue
            data = with_approval_page(att.data, approval_lines(
                name, package.version, att.filename, entry.sha256, approver, approved_on))
            key = final_key(name, package.version, att.filename)
            if not self.storage.put_if_absent(key, data, PDF_TYPE):
                stored = self._get(key)  # a racing run stored its final first: deliver that one
                data = stored if stored is not None else data
            finals[att.filename] = data
            entries.append({"filename": att.filename, "key": key, "reviewed_sha256": entry.sha256,
                            "final_sha256": hashlib.sha256(data).hexdigest(), "final_size": len(data)})
        body = {"order": name, "doctype": doctype, "version": package.version,
                "approved_by": record["approved_by"], "approver": approver, "approved_on": record["approved_on"],
                "files": entries}
        if not self.storage.put_if_absent(approval_key(name, package.version),
                                          json.dumps(body, indent=1, sort_keys=True).encode(), "application/json"):
            won = self._approval_finals(name, package)
            if won is not None:
                return self._repackaged(package, won)
        return self._repackaged(package, finals)

    def _approval_finals(self, name: str, package: Package) -> dict[str, bytes] | None:
        """The final PDFs `delivery/approval.json` records, each checked against its sha256; None when there is
        no record with finals (not written yet, or written before finals were stored: they are built now)."""
        raw = self._get(approval_key(name, package.version))
        if raw is None:
            return None
        try:
            files = list(json.loads(raw).get("files") or [])
        except (ValueError, AttributeError, TypeError):
            raise PreflightFailed(f"{approval_key(name, package.version)} is not valid JSON") from None
        if not files or not all(isinstance(f, dict) and f.get("key") for f in files):
            return None
        out: dict[str, bytes] = {}
        for f in files:
            try:
                key = check_key(str(f["key"]), package.prefix + "delivery/final/")
            except UnsafeName as exc:
                raise PreflightFailed(f"delivery/approval.json names a final outside the version: {exc}") from None
            data = self._get(key)
            if data is None or hashlib.sha256(data).hexdigest() != f.get("final_sha256"):
                raise PreflightFailed(f"the delivered form of {f.get('filename')} ({key}) is missing or differs "
                                      "from delivery/approval.json")
            out[str(f.get("filename"))] = data
        return out

    @staticmethod
    def _repackaged(package: Package, finals: dict[str, bytes]) -> Package:
        pdfs = [Attachment(a.filename, a.content_type, finals[a.filename]) if a.filename in finals else a
                for a in package.pdfs]
        return Package(package.version, package.prefix, package.manifest, pdfs, package.customer, package.email,
                       package.contact)

    # -- pre-flight -------------------------------------------------------------------------------------
    def preflight(self, doctype: str, doc: dict[str, Any]) -> Package:
        name = str(doc["name"])
        version = current_version(doc)
        if version < 1:
            raise PreflightFailed("the order has no generated version (document_version is 0)")
        prefix = version_prefix(name, version)
        minio_path = str(doc.get("minio_path") or "")
        if minio_path and minio_path.rstrip("/") + "/" != prefix:
            raise PreflightFailed(f"minio_path {minio_path!r} is not the current version's folder {prefix!r}")
        manifest_bytes = self._get(manifest_key(name, version))
        if manifest_bytes is None:
            raise PreflightFailed(f"{prefix}manifest.json is missing")
        try:
            manifest = VersionManifest.parse(manifest_bytes, name, version)
        except ManifestInvalid as exc:
            raise PreflightFailed(str(exc)) from None
        pdfs: list[Attachment] = []
        for entry in manifest.files:
            data = self._get(entry.key)
            if data is None:
                raise PreflightFailed(f"{entry.filename} is missing in S3 ({entry.key})")
            if not data or len(data) != entry.size:
                raise PreflightFailed(f"{entry.filename}: size {len(data)} differs from the manifest's {entry.size}")
            if hashlib.sha256(data).hexdigest() != entry.sha256:
                raise PreflightFailed(f"{entry.filename}: sha256 differs from the manifest")
            if entry.is_pdf:
                if self.settings.check_pdfs:
                    _check_pdf(entry.filename, data)
                pdfs.append(Attachment(entry.filename, PDF_TYPE, data))
        invoice = self._invoice_pdf(doc)
        if invoice is not None:
            pdfs.append(invoice)
        customer = self.erp.get("Customer", str(doc.get("customer")))
        contact = None
        if customer.get("customer_primary_contact"):
            try:
                contact = self.erp.get("Contact", str(customer["customer_primary_contact"]))
            except ERPNextError as exc:
                if exc.status != 404:
                    raise
        email = _valid_email(str(customer.get("email_id") or "")) or _valid_email(
            str((contact or {}).get("email_id") or ""))
        if not email:
            raise PreflightFailed(f"customer {customer.get('name')} has no valid email address")
        return Package(version, prefix, manifest, pdfs, customer, email, contact)

    def _invoice_pdf(self, doc: dict[str, Any]) -> Attachment | None:
        """The invoice PDF generate-doc stored for the order's paid Sales Invoice (None if there is none)."""
        if not doc.get("sales_order"):
            return None
        rows = self.erp.list_page("Sales Invoice", fields=["name"], limit_page_length=1, filters=[
            ["Sales Invoice", "status", "=", "Paid"], ["Sales Invoice Item", "sales_order", "=", doc["sales_order"]]])
        if not rows:
            return None
        invoice = str(rows[0]["name"])
        data = self._get(invoice_key(invoice))
        if data is None:
            log.warning("delivery.invoice_pdf_missing", order=doc.get("name"), invoice=invoice)
            return None
        if self.settings.check_pdfs:
            _check_pdf(f"invoice {invoice}", data)
        return Attachment(f"invoice-{slug(invoice)}.pdf", PDF_TYPE, data)

    def _get(self, key: str) -> bytes | None:
        try:
            return self.storage.get_bytes(key)
        except S3Error as exc:
            if exc.code in {"NoSuchKey", "NoSuchObject", "ResourceNotFound"}:
                return None
            raise

    # -- exactly once -----------------------------------------------------------------------------------
    def build_email(self, doctype: str, doc: dict[str, Any], package: Package) -> DeliveryEmail:
        if doctype == "Formation Order":
            kind = "formation"
            service = f"{doc.get('entity_type') or 'business'} formation".strip()
        elif doctype == CRTC_ORDER:
            kind = "crtc"
            service = "CRTC registration"
        else:
            kind = "compliance"
            service = str(doc.get("service_type") or "compliance")
        return build_delivery_email(
            self.smtp, order=str(doc["name"]), version=package.version, order_kind=kind, service=service,
            customer_name=str(package.customer.get("customer_name") or package.customer.get("name")),
            to=package.email, files=package.pdfs)

    def _send_once(self, doctype: str, doc: dict[str, Any], package: Package, call_id: str,
                   resend: bool) -> Outcome:
        name = str(doc["name"])
        version = package.version
        email = self.build_email(doctype, doc, package)
        message_id = str(email.message["Message-ID"])
        claims = Claims(self.storage, clock=_now)
        data = {"call_id": call_id, "message_id": message_id, "order": name, "version": version,
                "to": package.email}
        got = claims.acquire(sent_marker_key(name, version), self.settings.sending_lease_s, "sending", data)
        if isinstance(got, Claim):
            return self._send(doctype, doc, email, claims, got)
        held = got.claim
        if held is None:  # deleted between our write attempt and the read (a failed send cleaned up)
            return Outcome(DeliveryStatus.BUSY, name, version, "another run just gave up sending; retry later",
                           message_id)
        if held.state == "sent":
            log.info("delivery.already_sent", order=name, version=version)
            return self._finish(doctype, doc, package, email, held.data)
        if resend and (held.state == "uncertain" or got.stale):
            # An operator checked the mail log and asked for a new send: the only path to a second email.
            # One resend per superseded claim, even when two operators (or retries) ask at once.
            taken = claims.take_over(held, "sending", {**data, "resend_of": held.data.get("call_id", "")})
            if taken is None:
                return Outcome(DeliveryStatus.BUSY, name, version, "another resend of this email is already under way",
                               message_id)
            log.warning("delivery.resend", order=name, version=version, previous_call_id=held.data.get("call_id"))
            return self._send(doctype, doc, email, claims, taken)
        if held.state == "sending" and not got.stale:
            return Outcome(DeliveryStatus.BUSY, name, version, "another run is sending this email", message_id)
        return self._uncertain(doctype, name, version, claims, held,
                               f"a run started sending at {held.at.isoformat(timespec='seconds')} and never "
                               "recorded the result")

    def _uncertain(self, doctype: str, name: str, version: int, claims: Claims, claim: Claim, why: str) -> Outcome:
        message_id = str(claim.data.get("message_id", ""))
        reason = (f"delivery uncertain: {why}; check the mail log for Message-ID {message_id}, then set the order "
                  "to Delivered, or back to Approved and invoke deliver with resend=true")
        try:  # flagged, never taken over: only an operator's resend may send again
            claims.advance(claim, "uncertain", {"flagged_at": _now().isoformat()})
        except Exception as exc:  # the claim still blocks sending; the comment carries the facts
            log.warning("delivery.marker_write_failed", order=name, error=type(exc).__name__)
        if not fail(self.erp, doctype, name, reason, kind=attention.UNCERTAIN):
            # Not moved to Failed by this run (already Failed, or a state that cannot fail): Operations must
            # still look the Message-ID up; notify_operations keeps it to one Open ToDo.
            attention.notify_operations(self.erp, doctype, name, attention.UNCERTAIN, reason)
        return Outcome(DeliveryStatus.UNCERTAIN, name, version, reason, message_id)

    def _send(self, doctype: str, doc: dict[str, Any], email: DeliveryEmail, claims: Claims, claim: Claim) -> Outcome:
        name = str(doc["name"])
        version = int(claim.data["version"])
        message_id = str(claim.data["message_id"])
        self.checkpoint("marker_written")
        try:
            result = self.mailer.send(email.message)
        except MailUncertain as exc:
            return self._uncertain(doctype, name, version, claims, claim, str(exc))
        except MailError as exc:
            if not claims.release(claim):  # nothing was accepted: a later retry may send
                log.error("delivery.marker_delete_failed", order=name)
            reason = f"email not sent: {exc}"
            fail(self.erp, doctype, name, reason)
            return Outcome(DeliveryStatus.FAILED, name, version, reason, message_id)
        self.checkpoint("sent")
        sent = {**claim.data, "accepted_at": result.accepted_at, "smtp_reply": result.reply,
                "attempts": result.attempts, "attached": email.attached, "linked": email.linked}
        try:
            claims.advance(claim, "sent", sent)
        except Exception as exc:
            # We know it was sent; finish now. Only a crash before this point leaves the claim "sending".
            log.error("delivery.marker_update_failed", order=name, error=type(exc).__name__)
        self.checkpoint("marker_sent")
        log.info("delivery.sent", order=name, version=version, message_id=message_id,
                 attached=len(email.attached), linked=len(email.linked))
        return self._finish(doctype, doc, None, email, sent)

    # -- after the email --------------------------------------------------------------------------------
    def _finish(self, doctype: str, doc: dict[str, Any], package: Package | None, email: DeliveryEmail,
                marker: dict[str, Any]) -> Outcome:
        name = str(doc["name"])
        version = int(marker.get("version") or 0)
        message_id = str(marker.get("message_id") or email.message["Message-ID"])
        out = Outcome(DeliveryStatus.DELIVERED, name, version, "", message_id,
                      list(marker.get("attached") or email.attached), list(marker.get("linked") or email.linked))
        self._log_access(doctype, name, version, message_id, marker, email, out)
        if not self._record_once(doctype, doc, email, message_id, version):
            out.status, out.detail = DeliveryStatus.BUSY, "another run is recording the email in ERPNext"
            return out
        self.checkpoint("recorded")
        try:
            result = transition(self.erp, doctype, name, Status.DELIVERED, allowed_from={Status.READY})
        except InvalidTransition as exc:
            out.status = DeliveryStatus.DONE if exc.current == Status.DELIVERED else DeliveryStatus.SENT_NOT_DELIVERED
            out.detail = f"the email was sent, but the order is {exc.current}"
            return out
        if not result.won:
            out.status = DeliveryStatus.DONE
        out.listmonk = self._subscribe(doctype, result.doc)
        out.calendar = self._calendar(doctype, result.doc)
        return out

    def _log_access(self, doctype: str, name: str, version: int, message_id: str, marker: dict[str, Any],
                    email: DeliveryEmail, out: Outcome) -> None:
        """The email's access-log record, once (see the module docstring for why a failure does not stop us)."""
        try:
            self.access_log.delivery(
                doctype=doctype, order=name, version=version, message_id=message_id,
                recipient=str(marker.get("to") or email.message["To"]), attached=out.attached, linked=out.linked,
                call_id=str(marker.get("call_id") or ""), accepted_at=str(marker.get("accepted_at") or ""),
                resend_of=str(marker["resend_of"]) if "resend_of" in marker else None)
        except Exception as exc:
            log.error("access_log.write_failed", order=name, version=version, error=type(exc).__name__)

    def _calendar(self, doctype: str, doc: dict[str, Any]) -> dict[str, Any] | None:
        """A delivered formation's Compliance Calendar, once (pwcore.orders.entity_calendar). Never fails the
        delivery: on an ERPNext error the answer says so and a later deliver call (answer "done") completes it."""
        if doctype != "Formation Order":
            return None
        try:
            return create_entity_calendar(self.erp, doc, today_in(self.timezone)).as_dict()
        except ERPNextError as exc:
            log.warning("delivery.calendar_failed", order=doc.get("name"), status=exc.status)
            return {"created": [], "existing": 0, "skipped": f"ERPNext {exc.status}: retry deliver to complete"}

    def _recorded(self, doctype: str, name: str, message_id: str) -> bool:
        if self.erp.list_page("Communication", fields=["name"], limit_page_length=1, filters=[
                ["reference_doctype", "=", doctype], ["reference_name", "=", name], ["message_id", "=", message_id]]):
            return True
        # Frappe stores Comment content HTML-escaped: the <id@host> of the message reads &lt;id@host&gt; there.
        escaped = html.escape(message_id, quote=False)
        return bool(self.erp.list_page("Comment", fields=["name"], limit_page_length=1, filters=[
            ["reference_doctype", "=", doctype], ["reference_name", "=", name],
            ["content", "like", f"%{escaped}%"]]))

    def _record_once(self, doctype: str, doc: dict[str, Any], email: DeliveryEmail, message_id: str,
                     version: int) -> bool:
        """Record the email in ERPNext exactly once; False if another live run holds the recording claim.

        ERPNext has no unique key to make "insert if absent" atomic, so the right to insert is a claim
        (`delivery/recorded.json`, pwcore.clients.claims). Its holder inserts; on an ERPNext error it releases
        the claim so a retry can record. A claim older than DELIVER_RECORD_LEASE_S belongs to a dead run: after
        checking ERPNext once more, exactly one of the runs that find it takes it over and records."""
        name = str(doc["name"])
        claims = Claims(self.storage, clock=_now)
        got = claims.acquire(recorded_marker_key(name, version), self.settings.record_lease_s, "recording",
                             {"message_id": message_id})
        if isinstance(got, Held):
            if self._recorded(doctype, name, message_id):
                return True
            if got.claim is None:  # released between our attempt and our read: that run failed; retry later
                return False
            if not got.stale:
                return False
            taken = claims.take_over(got.claim, "recording", {"message_id": message_id})
            if taken is None:
                return False
            got = taken
        self.checkpoint("record_claimed")
        try:
            self._record(doctype, doc, email, message_id)
        except BaseException:
            claims.release(got)
            raise
        return True

    def _record(self, doctype: str, doc: dict[str, Any], email: DeliveryEmail, message_id: str) -> None:
        """The email in ERPNext: a Communication on the order (timeline link to the customer), or a Comment
        when Communication cannot be inserted."""
        name = str(doc["name"])
        if self._recorded(doctype, name, message_id):
            return
        msg = email.message
        text = msg.get_body(preferencelist=("plain",))
        content = text.get_content() if text is not None else ""
        comm = {"subject": str(msg["Subject"]), "content": content, "communication_type": "Communication",
                "communication_medium": "Email", "sent_or_received": "Sent", "sender": str(msg["From"]),
                "recipients": str(msg["To"]), "reference_doctype": doctype, "reference_name": name,
                "message_id": message_id, "status": "Linked",
                "timeline_links": [{"link_doctype": "Customer", "link_name": str(doc.get("customer"))}]}
        try:
            self.erp.insert("Communication", comm)
            return
        except ERPNextError as exc:
            if exc.transient:
                raise  # ERPNext is down: the retry records it
            log.warning("delivery.communication_refused", order=name, status=exc.status, exc_type=exc.exc_type)
        files = ", ".join(email.attached) or "none"
        linked = ", ".join(email.linked) or "none"
        self.erp.add_comment(doctype, name, f"Pipeline: emailed the documents to {msg['To']} "
                             f"(Message-ID {message_id}); attached: {files}; via portal link: {linked}")

    def _subscribe(self, doctype: str, doc: dict[str, Any]) -> str:
        if self.listmonk is None:
            return ""
        try:
            customer = self.erp.get("Customer", str(doc.get("customer")))
            contact = None
            if customer.get("customer_primary_contact"):
                contact = self.erp.get("Contact", str(customer["customer_primary_contact"]))
            if contact is not None and int(contact.get("email_opted_out") or 0):
                return "opted_out"
            email = _valid_email(str(customer.get("email_id") or "")) or _valid_email(
                str((contact or {}).get("email_id") or ""))
            if not email:
                return "no_email"
            # Formation -> Formation follow-up, CRTC -> CRTC follow-up. A compliance service is not followed up
            # here: its buyer must not land in the Compliance upsell list (that list is the 30-day formation cron's).
            list_name = {"Formation Order": self.listmonk_settings.formation_list,
                         "CRTC Order": self.listmonk_settings.crtc_list}.get(doctype)
            if list_name is None:
                return "no_list"
            attribs = {"erpnext_customer": str(customer["name"]),
                       "customer_name": str(customer.get("customer_name") or customer["name"])}
            return self.listmonk.subscribe(email, str(customer.get("customer_name") or ""), list_name, attribs)
        except (ListmonkError, ERPNextError) as exc:
            # Marketing follow-up is not worth failing a delivered order for.
            log.warning("delivery.listmonk_failed", order=doc.get("name"), error=str(exc))
            return "error"


def _check_pdf(filename: str, data: bytes) -> None:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        pages = len(PdfReader(io.BytesIO(data)).pages)
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise PreflightFailed(f"{filename} does not open as a PDF ({type(exc).__name__})") from None
    if pages < 1:
        raise PreflightFailed(f"{filename} is a PDF without pages")
