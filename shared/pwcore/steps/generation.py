"""generate-doc's job: one order version rendered, converted, stored, and the order moved to Review.

Exactly one version per generation, whatever crashes or races happen:
- the version number is `document_version + 1`, and `document_version` only changes in the final CAS to
  Review, so every retry of the same generation writes to the same `orders/{name}/v{n}/` prefix;
- a version exists only once its `manifest.json` exists: it is written last, with a conditional create;
  a retry that finds it skips straight to the final status write;
- the claim is a CAS to Processing; an order already Processing is taken over (CAS again) only when its
  lease (`modified` older than PIPELINE_GENERATION_LEASE_S) has run out, i.e. the previous run died.
On a failure that is not ours to retry, the partial files are deleted and the order goes to Failed with the
reason as an ERPNext comment. If even that write fails, the order stays Processing for the sweep.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pwcore import __version__
from pwcore.clients.erpnext import ERPNext, ERPNextError, NotFound, TimestampMismatch
from pwcore.clients.outages import is_transient
from pwcore.clients.s3 import Storage
from pwcore.documents import review_redlines
from pwcore.documents.review_copies import ReviewCopies, attach_review_copies, review_comment
from pwcore.documents.template_store import TemplateStore, template_key, templates_for
from pwcore.logs import get_logger, redact_text
from pwcore.model.clock import lease_expired
from pwcore.model.doctypes import CRTC_ORDER, choice_problem, current_version, next_version
from pwcore.model.layout import MANIFEST_NAME, invoice_key, slug, version_prefix
from pwcore.model.manifest import DOCX_TYPE, PDF_TYPE, VersionManifest
from pwcore.model.outcomes import GenerationStatus
from pwcore.model.problems import OrderFailure
from pwcore.model.status import InvalidTransition, Status
from pwcore.orders import identity_gate
from pwcore.orders.transitions import fail, transition

log = get_logger("pwcore.generation")



class GenerationFailed(OrderFailure):
    """A failure with a reason an operator can act on (written to ERPNext as the Failed comment)."""


@dataclass
class Outcome:
    status: GenerationStatus
    order: str
    version: int = 0
    detail: str = ""
    files: list[str] = field(default_factory=list)
    redlines: list[str] = field(default_factory=list)  # the redline Files attached for the reviewer

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status, "order": self.order, "version": self.version,
                               "detail": self.detail, "files": self.files}
        if self.redlines:
            out["redlines"] = self.redlines
        return out














class Generator:
    """Collaborators are injected so tests and the local stack use the same code as production."""

    def __init__(self, erp: ERPNext, storage: Storage, templates: TemplateStore, convert: Callable[[bytes], bytes],
                 lease_s: int = 900, timezone: str = "America/Chicago",
                 sections: Callable[..., tuple[dict[str, dict[str, Any]], dict[str, Any]]] | None = None) -> None:
        self.erp = erp
        self.storage = storage
        self.templates = templates
        self.convert = convert
        self.lease_s = lease_s
        self.timezone = timezone
        self.sections = sections  # LLM writer for compliance services; None = placeholder text

    # -- claim -----------------------------------------------------------------------------------------
    def claim(self, doctype: str, name: str) -> tuple[dict[str, Any] | None, Outcome | None]:
        doc = self.erp.get(doctype, name)
        status = str(doc.get("status"))
        problem = choice_problem(doctype, doc)
        if problem is not None and status in (Status.QUEUED, Status.REVISION, Status.PROCESSING):
            return None, self._refuse_choice(doctype, name, problem)
        if status == Status.QUEUED:
            waiting = self._identity_gate(doctype, doc)
            if waiting is not None:
                return None, waiting
        if status in (Status.QUEUED, Status.REVISION):
            try:
                result = transition(self.erp, doctype, name, Status.PROCESSING, doc=doc,
                                    allowed_from={Status.QUEUED, Status.REVISION})
            except InvalidTransition as exc:
                return None, Outcome(GenerationStatus.SKIPPED, name, detail=f"order is {exc.current}")
            if not result.won:
                return None, Outcome(GenerationStatus.BUSY, name, detail="another run claimed it")
            return result.doc, None
        if status == Status.PROCESSING:
            if not lease_expired(doc, self.lease_s, self.timezone):
                return None, Outcome(GenerationStatus.BUSY, name, detail="another run holds the lease")
            try:  # take over a dead run: a CAS write renews the lease for exactly one taker
                taken = transition(self.erp, doctype, name, Status.PROCESSING, doc=doc,
                                   allowed_from={Status.PROCESSING}, renew=True, attempts=1).doc
            except TimestampMismatch:
                return None, Outcome(GenerationStatus.BUSY, name, detail="another run took over")
            log.warning("generation.takeover", order=name)
            return taken, None
        if status in (Status.REVIEW, Status.APPROVED, Status.READY, Status.DELIVERED):
            version = current_version(doc)
            return None, Outcome(GenerationStatus.DONE, name, version, f"order is {status}")
        return None, Outcome(GenerationStatus.SKIPPED, name, detail=f"order is {status}")

    def _refuse_choice(self, doctype: str, name: str, problem: str) -> Outcome:
        """Never guess the entity or the service (a wrong one is a wrong legal product): Failed with the reason.
        Frappe validates the whole document on a status write, so a blank mandatory Select may make it refuse
        even Failed (MandatoryError); the reason is on the order as a Comment either way, and the answer is 422."""
        try:
            fail(self.erp, doctype, name, problem)
        except ERPNextError as exc:
            if exc.transient:
                raise
            log.error("generation.refused", order=name, reason=problem, exc_type=exc.exc_type or None)
            return Outcome(GenerationStatus.REFUSED, name, detail=f"{problem} (ERPNext refused the status write:"
                           f" {exc.exc_type or exc.status})")
        log.error("generation.refused", order=name, reason=problem)
        return Outcome(GenerationStatus.FAILED, name, detail=problem)
    def _identity_gate(self, doctype: str, doc: dict[str, Any]) -> Outcome | None:
        """CRTC and bundle orders wait Queued until the Sales Order's identity is Verified (see
        pwcore.orders.identity_gate); a rejected identity fails the order with the reason."""
        name = str(doc["name"])
        decision = identity_gate.check(self.erp, doctype, doc)
        if decision.may_generate:
            return None
        if decision.identity == identity_gate.Identity.REJECTED:
            identity_gate.reject(self.erp, doctype, doc, decision)
            return Outcome(GenerationStatus.FAILED, name, detail=decision.detail)
        identity_gate.hold(self.erp, doctype, doc, decision)
        return Outcome(GenerationStatus.WAITING, name, detail=decision.detail)

    # -- the job ---------------------------------------------------------------------------------------
    def run(self, doctype: str, name: str, invoice: str | None = None, call_id: str = "") -> Outcome:
        try:
            doc, early = self.claim(doctype, name)
        except NotFound:
            return Outcome(GenerationStatus.NOT_FOUND, name, detail=f"{doctype} {name} not found")
        except ERPNextError as exc:
            log.error("generation.claim_failed", order=name, status=exc.status, exc_type=exc.exc_type)
            if not exc.transient:  # a refusal (403, 417): the entrypoint names it; no retry can help
                raise
            # nothing claimed yet: the caller (queue, sweep) retries later
            return Outcome(GenerationStatus.RETRY_LATER, name, detail="ERPNext unavailable")
        if early is not None:
            log.info("generation.skip", order=name, status=early.status, detail=early.detail)
            return early
        assert doc is not None
        version = next_version(doc)
        prefix = version_prefix(name, version)
        try:
            manifest = self._existing_manifest(prefix)
            if manifest is None:
                manifest = self._produce(doctype, doc, version, prefix, call_id)
            self._ensure_invoice(invoice, doc)
        except Exception as exc:
            reason = str(exc) if isinstance(exc, OrderFailure) else f"{type(exc).__name__}: {exc}"
            if is_transient(exc):
                # An outage, not a property of the order: leave it Processing; after the lease the sweep
                # re-queues it, and after K tries fails it with a comment naming what was tried.
                self._delete_partial(prefix)
                log.warning("generation.interrupted", order=name, version=version, reason=redact_text(reason[:300]))
                return Outcome(GenerationStatus.RETRY_LATER, name, version,
                               f"interrupted, will be retried: {reason[:300]}")
            return self._fail(doctype, name, prefix, reason[:1000])
        files = [f["key"] for f in manifest["files"]]
        values: dict[str, Any] = {"minio_path": prefix, "document_version": version, "pipeline_retries": 0}
        if doctype == CRTC_ORDER:
            from pwcore.documents.crtc import computed_flags

            values.update(computed_flags(doc))  # the read-only BITS / 9-1-1 Checks follow the services
        # Attached before the status write, so the reviewer finds them the moment the order shows Review.
        copies = attach_review_copies(self.erp, self.storage, doctype, name, manifest)
        # What changed since the previous version, for a reviewer of version n > 1 (stored and attached once).
        redlines = review_redlines.attach(self.erp, self.storage, doctype, name,
                                          review_redlines.produce(self.storage, self.convert, manifest))
        try:
            transition(self.erp, doctype, name, Status.REVIEW, allowed_from={Status.PROCESSING},
                       values=values)
        except InvalidTransition as exc:
            return Outcome(GenerationStatus.SKIPPED, name, version, f"order became {exc.current} meanwhile", files)
        except ERPNextError as exc:
            log.error("generation.final_write_failed", order=name, status=exc.status)
            return Outcome(GenerationStatus.RETRY_LATER, name, version,
                           "ERPNext unavailable for the final status write", files)
        self._after_review(doctype, name, manifest, copies, redlines)
        log.info("generation.review", order=name, version=version, files=len(files), redlines=len(redlines.made))
        return Outcome(GenerationStatus.REVIEW, name, version, "", files, [r.file_name for r in redlines.made])

    def _after_review(self, doctype: str, name: str, manifest: dict[str, Any], copies: ReviewCopies,
                      redlines: review_redlines.Redlines) -> None:
        """The Comment that tells the reviewer what this version is, what is attached and what changed."""
        text = "\n".join([review_comment(manifest, copies), *review_redlines.comment_lines(redlines)])
        try:
            self.erp.add_comment(doctype, name, text)
        except ERPNextError as exc:  # the order is in Review already; the manifest holds the same facts
            log.warning("generation.review_comment_failed", order=name, status=exc.status)

    def _fail(self, doctype: str, name: str, prefix: str, reason: str) -> Outcome:
        self._delete_partial(prefix)
        try:
            fail(self.erp, doctype, name, reason)
        except ERPNextError as exc:
            log.error("generation.fail_write_failed", order=name, status=exc.status)
            return Outcome(GenerationStatus.RETRY_LATER, name,
                           detail=f"{reason} (and ERPNext unavailable to record it)")
        return Outcome(GenerationStatus.FAILED, name, detail=reason)

    def _delete_partial(self, prefix: str) -> None:
        try:
            if self.storage.exists(prefix + MANIFEST_NAME):
                return  # a complete version is never deleted
            for obj in list(self.storage.list(prefix)):
                self.storage.delete(obj.key)
        except Exception as exc:
            log.warning("generation.cleanup_failed", prefix=prefix, error=type(exc).__name__)

    def _existing_manifest(self, prefix: str) -> dict[str, Any] | None:
        if not self.storage.exists(prefix + MANIFEST_NAME):
            return None
        return dict(self.storage.get_json(prefix + MANIFEST_NAME))

    def _produce(self, doctype: str, doc: dict[str, Any], version: int, prefix: str,
                 call_id: str) -> dict[str, Any]:
        from pwcore.documents.render import render_docx

        started = time.perf_counter()
        name = str(doc["name"])
        customer = self.erp.get("Customer", str(doc["customer"]))
        manifest_tpl = self.templates.manifest()
        timings: dict[str, float] = {"render_ms": 0.0, "convert_ms": 0.0, "upload_ms": 0.0, "llm_ms": 0.0}
        section_meta: dict[str, Any] = {}
        keys: dict[str, str] = {}  # template id -> S3 key, where the manifest's `templates` does not say
        if doctype == CRTC_ORDER:  # the CRTC document set (compiled clause templates, pwcore.documents.crtc_set)
            from pwcore.documents import crtc_set

            crtc_plan = crtc_set.plan(doc, customer, manifest_tpl)
            template_ids, keys, context = crtc_plan.template_ids, crtc_plan.template_keys, crtc_plan.context
        elif doctype == "Formation Order":
            context, template_ids = self._formation_plan(doc, customer, manifest_tpl)
        else:  # a compliance service: the LLM writes its sections (the same plan `pw preview` renders)
            from pwcore.documents import compliance_docs

            cplan = compliance_docs.plan(doc, customer, manifest_tpl, self._sections)
            template_ids, context, section_meta = cplan.template_ids, cplan.context, cplan.sections
            timings["llm_ms"] = cplan.llm_ms
        files: list[dict[str, Any]] = []
        for template_id in template_ids:
            template = self.templates.get(keys.get(template_id) or template_key(manifest_tpl, template_id))
            t0 = time.perf_counter()
            docx = render_docx(template.data, context)
            t1 = time.perf_counter()
            pdf = self.convert(docx)
            t2 = time.perf_counter()
            base = f"{slug(template_id)}"
            for data, ext, ctype in ((docx, "docx", DOCX_TYPE), (pdf, "pdf", PDF_TYPE)):
                key = f"{prefix}{base}.{ext}"
                self.storage.put_bytes(key, data, ctype)
                files.append({"key": key, "filename": f"{base}-{slug(name)}.{ext}", "content_type": ctype,
                              "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                              "template": template.key, "template_sha256": template.sha256,
                              "template_etag": template.etag})
            timings["render_ms"] += (t1 - t0) * 1000
            timings["convert_ms"] += (t2 - t1) * 1000
            timings["upload_ms"] += (time.perf_counter() - t2) * 1000
        timings["total_ms"] = (time.perf_counter() - started) * 1000
        manifest = {
            "order": name, "doctype": doctype, "version": version, "customer": doc.get("customer"),
            "generator_version": __version__, "call_id": call_id,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "files": files, "timings": {k: round(v, 1) for k, v in timings.items()}, "sections": section_meta,
        }
        body = VersionManifest.model_validate(manifest).to_json()  # the one schema deliver and presign check
        if not self.storage.put_if_absent(prefix + MANIFEST_NAME, body):
            # A racing run finished this version first: its manifest describes what is stored.
            log.warning("generation.manifest_exists", order=name, version=version)
            return dict(self.storage.get_json(prefix + MANIFEST_NAME))
        return manifest

    def _formation_plan(self, doc: dict[str, Any], customer: dict[str, Any],
                        manifest_tpl: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """The formation context from the order, its Customer and Sales Order, and the customer's document set
        (pwcore.documents.formation_set). The operator's SS-4 worksheet is never rendered here: generate-doc
        never reads the responsible party's number (see formation_set)."""
        from pwcore.documents import formation_docs

        sales_order = self.erp.get("Sales Order", str(doc["sales_order"])) if doc.get("sales_order") else None
        context, template_ids = formation_docs.plan(doc, customer, sales_order)
        known = set(manifest_tpl.get("formation", {}).get("templates", []))
        missing = [t for t in template_ids if t not in known]
        if missing:
            raise GenerationFailed(f"templates/manifest.json lists no formation template {', '.join(missing)}; "
                                   "run `pw templates upload`")
        return context, template_ids

    def _sections(self, doc: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
        if self.sections is None:
            raise GenerationFailed("the LLM section writer is not configured for compliance services")
        return self.sections(doc)

    def _ensure_invoice(self, invoice_name: str | None, order: dict[str, Any]) -> None:
        """invoices/{invoice}.pdf once per invoice. Without a name (a re-dispatch by the sweep, a revision),
        the paid invoice of the order's Sales Order is looked up here, so the sweep need not."""
        from pwcore.documents import context as ctx
        from pwcore.documents.render import render_docx

        if not invoice_name:
            if current_version(order) > 0 or not order.get("sales_order"):
                return  # a revision: the invoice was made with the first version
            paid: list[list[Any]] = [["Sales Invoice", "status", "=", "Paid"],
                                     ["Sales Invoice Item", "sales_order", "=", order["sales_order"]]]
            rows = self.erp.list_page("Sales Invoice", fields=["name"], limit_page_length=1, filters=paid)
            if not rows:
                return
            invoice_name = str(rows[0]["name"])
        key = invoice_key(invoice_name)
        if self.storage.exists(key):
            return
        invoice = self.erp.get("Sales Invoice", invoice_name)
        customer = self.erp.get("Customer", str(invoice.get("customer") or order["customer"]))
        manifest_tpl = self.templates.manifest()
        template = self.templates.get(template_key(manifest_tpl, templates_for(manifest_tpl, "invoice")[0]))
        pdf = self.convert(render_docx(template.data, ctx.invoice_context(invoice, customer)))
        self.storage.put_bytes(key, pdf, PDF_TYPE)


def warm_libreoffice() -> None:
    """Start the warm LibreOffice early (a thread at import), so the first order does not wait for it."""
    try:
        from pwcore.clients.libreoffice import get_converter

        get_converter().start()
    except Exception as exc:  # the first conversion retries, then falls back to cold soffice
        log.warning("libreoffice.warmup_failed", error=type(exc).__name__)
