"""The reconcile sweep: find orders a lost webhook, a lost async call or a killed function left behind.

Per run (every 5 minutes by cron, or by hand with dry_run):
1. lost payment webhooks: orders still `Ordered` whose Sales Order has a Paid invoice -> the very code path of
   on-payment (pwcore.payments.process_paid_invoice), same CAS and idempotency keys;
2. `Queued` / `Processing` / `Revision` for longer than the generation lease -> re-dispatch the order's generation
   function (generate-doc, or generate-report for a compliance service; a dead Processing run is first re-queued
   by CAS, Processing -> Queued);
3. `Approved` / `Ready` for longer than the delivery grace -> re-dispatch deliver (deliver's own marker
   decides whether an email may still go out);
   CRTC and bundle orders that are Queued waiting for their identity verification (pwcore.orders.identity_gate)
   are re-checked on every run, at any age and without counting toward K: still Pending -> left Queued (the
   waiting Comment is written once); Verified -> dispatched like any stranded order; Failed -> Failed with the
   reason;
4. every re-dispatch increments the order's `pipeline_retries` by CAS (which is also what stops two sweeps
   from dispatching the same order twice); at K without progress the order goes to `Failed` with a comment
   naming what was tried. Reaching Review / Delivered resets the count.
A short lease object in S3 (conditional create) keeps two sweeps from running at once. Reads are paginated
and ask for only the fields used; filters select the few stranded rows, so requests stay near
orders/500 + stranded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic_settings import SettingsConfigDict

from pwcore.clients.claims import Claim, Claims
from pwcore.clients.dispatch import Dispatcher, DispatchError
from pwcore.clients.erpnext import ERPNext, ERPNextError, TimestampMismatch
from pwcore.clients.s3 import Storage
from pwcore.logs import get_logger
from pwcore.model.clock import FMT, erpnext_now
from pwcore.model.doctypes import ORDER_DOCTYPES, next_version
from pwcore.model.generation_route import generation_function
from pwcore.model.layout import RECONCILE_LOCK_KEY
from pwcore.model.status import InvalidTransition, Status
from pwcore.orders import identity_gate
from pwcore.orders.commission_ledger import CommissionSettings
from pwcore.orders.lease import GenerationLeaseSettings
from pwcore.orders.paid_invoice import (
    ORDER_FIELDS,
    SALES_ORDER_FIELDS,
    InvoiceNotPaid,
    generation_call_id,
    process_paid_invoice,
)
from pwcore.orders.transitions import fail, transition
from pwcore.settings import Settings

log = get_logger("pwcore.reconcile")

LOCK_KEY = RECONCILE_LOCK_KEY
STUCK_FIELDS = ["name", "status", "modified", "pipeline_retries", "document_version", "sales_order"]


class ReconcileSettings(Settings):
    model_config = SettingsConfigDict(env_prefix="RECONCILE_")
    invoice_days: int = 14  # how far back to look for paid invoices whose orders are still Ordered
    payment_grace_s: int = 0  # on-payment's CAS makes racing a webhook in flight harmless
    delivery_grace_s: int = 600
    max_redispatch: int = 3  # K
    lock_ttl_s: int = 60  # a sweep of 50,000 orders takes ~15 s; a lock left by a dead sweep expires soon


@dataclass
class Summary:
    dry_run: bool
    found: dict[str, int] = field(default_factory=lambda: {"payment": 0, "generation": 0, "delivery": 0})
    redispatched: dict[str, int] = field(default_factory=lambda: {"payment": 0, "generation": 0, "delivery": 0})
    failed: dict[str, int] = field(default_factory=lambda: {"payment": 0, "generation": 0, "delivery": 0})
    errors: list[str] = field(default_factory=list)
    actions: list[dict[str, str]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    waiting_identity: int = 0  # CRTC / bundle orders still waiting Queued for their identity verification
    status: str = "ok"

    def erpnext_error(self, where: str, exc: ERPNextError, step_failed: bool = False) -> None:
        """An outage makes the run "error" (503: the next run catches up); a permanent refusal (403 permission,
        417 validation) makes it "refused" (500), naming what ERPNext refused: no later run can fix it."""
        if exc.transient:
            self.errors.append(f"{where}: ERPNext {exc.status} {exc.exc_type}".strip())
            if step_failed and self.status != "refused":
                self.status = "error"
            return
        refused = exc.refusal()
        what = " ".join(str(refused[k]) for k in ("permission", "doctype") if refused.get(k))
        self.errors.append(f"{where}: ERPNext refused ({exc.status} {exc.exc_type}{': ' + what if what else ''}); "
                           "not an outage".strip())
        self.refused.append({"where": where, **refused})
        self.status = "refused"

    def as_dict(self) -> dict[str, Any]:
        out = {"status": self.status, "dry_run": self.dry_run, "found": self.found,
               "redispatched": self.redispatched, "failed": self.failed, "errors": self.errors,
               "waiting_identity": self.waiting_identity, "actions": self.actions[:200]}
        if self.refused:
            out["refused"] = self.refused[:50]
        return out


class Reconciler:
    def __init__(self, erp: ERPNext, storage: Storage, dispatcher: Dispatcher, settings: ReconcileSettings,
                 commissions: CommissionSettings, timezone: str = "America/Chicago",
                 generation_lease_s: int | None = None) -> None:
        self.erp = erp
        self.storage = storage
        self.dispatcher = dispatcher
        self.settings = settings
        self.commissions = commissions
        self.timezone = timezone
        # The same lease generate-doc honours before taking a Processing order over (one setting for both).
        self.generation_lease_s = (GenerationLeaseSettings().generation_lease_s if generation_lease_s is None
                                   else generation_lease_s)
        self.claims = Claims(storage)
        self._lock: Claim | None = None

    # -- the lock --------------------------------------------------------------------------------------
    def _acquire(self, owner: str) -> bool:
        """One sweep at a time: a claim on the lock key (pwcore.clients.claims). A dead sweep's lock, older
        than RECONCILE_LOCK_TTL_S, is taken over by exactly one sweep."""
        holder = f"{owner}:{datetime.now(UTC).timestamp()}"
        got = self.claims.acquire(LOCK_KEY, self.settings.lock_ttl_s, state="sweeping", holder=holder)
        if isinstance(got, Claim):
            self._lock = got
        elif got.stale and got.claim is not None:
            self._lock = self.claims.take_over(got.claim, "sweeping", holder=holder)
        return self._lock is not None

    def _release(self) -> None:
        """Delete the lock only while it is still ours (a sweep that outlived its TTL may have lost it)."""
        if self._lock is not None:
            self.claims.release(self._lock)
            self._lock = None

    # -- the sweep -------------------------------------------------------------------------------------
    def run(self, dry_run: bool = False, owner: str = "") -> dict[str, Any]:
        summary = Summary(dry_run)
        if not dry_run and not self._acquire(owner or "reconcile"):
            summary.status = "busy"
            log.info("reconcile.busy")
            return summary.as_dict()
        try:
            now = erpnext_now(self.timezone)
            for step in (self._payments, self._generations, self._deliveries):
                try:
                    step(now, summary)
                except ERPNextError as exc:
                    summary.erpnext_error(step.__name__.strip("_"), exc, step_failed=True)
                    log.error("reconcile.step_failed", step=step.__name__, status=exc.status,
                              exc_type=exc.exc_type or None)
        finally:
            if not dry_run:
                self._release()
        log.info("reconcile.done", **{k: v for k, v in summary.as_dict().items() if k != "actions"})
        return summary.as_dict()

    def _act(self, summary: Summary, kind: str, order: str, action: str, detail: str = "") -> None:
        summary.actions.append({"kind": kind, "order": order, "action": action, "detail": detail})
        log.info("reconcile.action", kind=kind, order=order, action=action, detail=detail,
                 dry_run=summary.dry_run)

    def _payments(self, now: datetime, summary: Summary) -> None:
        since = (now - timedelta(days=self.settings.invoice_days)).strftime(FMT)
        grace = (now - timedelta(seconds=self.settings.payment_grace_s)).strftime(FMT)
        by_so: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for doctype in ORDER_DOCTYPES:
            filters: list[list[Any]] = [
                ["status", "=", Status.ORDERED.value], ["creation", ">=", since], ["modified", "<", grace],
                ["sales_order", "is", "set"]]
            for row in self.erp.list(doctype, fields=ORDER_FIELDS, filters=filters):
                by_so.setdefault(str(row["sales_order"]), []).append((doctype, row))
        sales_orders = sorted(by_so)
        invoices: dict[str, set[str]] = {}
        so_rows: dict[str, dict[str, Any]] = {}
        for i in range(0, len(sales_orders), 100):
            chunk = sales_orders[i:i + 100]
            for so in self.erp.list("Sales Order", fields=SALES_ORDER_FIELDS, filters=[["name", "in", chunk]]):
                so_rows[str(so["name"])] = so
            paid: list[list[Any]] = [["Sales Invoice", "status", "=", "Paid"],
                                     ["Sales Invoice Item", "sales_order", "in", chunk]]
            # One row per (invoice, item of a stranded Sales Order): the invoice->orders map without a read each.
            for inv in self.erp.list("Sales Invoice", fields=["name", "`tabSales Invoice Item`.sales_order"],
                                     filters=paid):
                invoices.setdefault(str(inv["name"]), set()).add(str(inv["sales_order"]))
        for invoice, invoice_sos in sorted(invoices.items()):
            summary.found["payment"] += 1
            if summary.dry_run:
                self._act(summary, "payment", invoice, "would_process")
                continue
            try:
                # The rows listed above are handed over, so the shared path need not list them again.
                items = [{"sales_order": so} for so in sorted(invoice_sos)]
                known = {"name": invoice, "status": "Paid", "items": items}
                result = process_paid_invoice(self.erp, self.dispatcher, invoice, self.commissions,
                                              known_orders=by_so, known_sales_orders=so_rows, known_invoice=known)
            except InvoiceNotPaid:
                continue
            except ERPNextError as exc:  # one bad invoice must not stop the sweep for every other order
                summary.erpnext_error(f"payment {invoice}", exc)
                continue
            summary.redispatched["payment"] += len(result["queued"])
            self._act(summary, "payment", invoice, "processed", ",".join(result["queued"]))

    def _stuck(self, statuses: list[str], older_than: datetime) -> list[tuple[str, dict[str, Any]]]:
        rows = []
        for doctype in ORDER_DOCTYPES:
            filters: list[list[Any]] = [["status", "in", statuses], ["modified", "<", older_than.strftime(FMT)]]
            for row in self.erp.list(doctype, fields=STUCK_FIELDS, filters=filters):
                rows.append((doctype, row))
        return rows

    def _give_up(self, doctype: str, row: dict[str, Any], kind: str, summary: Summary) -> bool:
        tries = int(row.get("pipeline_retries") or 0)
        if tries < self.settings.max_redispatch:
            return False
        what = generation_function(doctype) if kind == "generation" else "deliver"
        reason = (f"reconcile re-dispatched {what} {tries} times while the order stayed {row['status']} "
                  f"(since {row['modified']}); no progress, needs a person")
        if not summary.dry_run:
            try:
                fail(self.erp, doctype, str(row["name"]), reason, doc=row)
            except ERPNextError as exc:
                summary.errors.append(f"{kind} {row['name']}: could not record Failed: ERPNext {exc.status}")
                return True
        summary.failed[kind] += 1
        self._act(summary, kind, str(row["name"]), "failed", reason)
        return True

    def _bump(self, doctype: str, row: dict[str, Any], requeue: bool = False) -> dict[str, Any] | None:
        """CAS write of pipeline_retries + 1 (and Processing -> Queued through the state machine when the run
        died); None when another sweep or the function moved first."""
        values = {"pipeline_retries": int(row.get("pipeline_retries") or 0) + 1}
        try:
            if requeue:
                return transition(self.erp, doctype, str(row["name"]), Status.QUEUED, doc=row, values=values,
                                  allowed_from={Status.PROCESSING}, attempts=1).doc
            return self.erp.update(doctype, str(row["name"]), values, modified=str(row["modified"]))
        except (TimestampMismatch, InvalidTransition):
            return None

    def _generations(self, now: datetime, summary: Summary) -> None:
        cutoff = now - timedelta(seconds=self.generation_lease_s)
        # Revision too: a lost Revision webhook strands the order there exactly like a lost async call.
        stuck = [Status.QUEUED.value, Status.PROCESSING.value, Status.REVISION.value]
        rows = [(doctype, row, False) for doctype, row in self._stuck(stuck, cutoff)]
        rows += [(doctype, row, True) for doctype, row in self._queued_since(cutoff)]
        queued_sos = [str(r["sales_order"]) for _, r, _ in rows
                      if r["status"] == Status.QUEUED.value and r.get("sales_order")]
        known = identity_gate.sales_orders_by_name(self.erp, queued_sos) if queued_sos else {}
        for doctype, row, young in rows:
            name = str(row["name"])
            if row["status"] == Status.QUEUED.value:
                try:
                    if not self._identity_allows(doctype, row, known, young, summary):
                        continue
                except ERPNextError as exc:
                    summary.errors.append(f"identity {name}: ERPNext {exc.status} {exc.exc_type}".strip())
                    continue
            summary.found["generation"] += 1
            if self._give_up(doctype, row, "generation", summary):
                continue
            if summary.dry_run:
                self._act(summary, "generation", name, "would_redispatch", str(row["status"]))
                continue
            requeue = row["status"] == Status.PROCESSING.value  # the run died: its lease is over
            try:
                if self._bump(doctype, row, requeue) is None:
                    continue
            except ERPNextError as exc:
                summary.erpnext_error(f"generation {name}", exc)
                continue
            invoice = None  # generate-doc finds the order's paid invoice itself
            version = next_version(row)
            call_id = f"{generation_call_id(name, version)}-r{int(row.get('pipeline_retries') or 0) + 1}"
            payload = {"doctype": doctype, "name": name, "invoice": invoice}
            function = generation_function(doctype)
            try:
                self.dispatcher.dispatch(function, payload, call_id=call_id)
            except DispatchError as exc:
                summary.errors.append(f"dispatch {function} {name}: {exc}")
                continue
            summary.redispatched["generation"] += 1
            self._act(summary, "generation", name, "redispatched", str(row["status"]))

    def _queued_since(self, cutoff: datetime) -> list[tuple[str, dict[str, Any]]]:
        """Queued orders younger than the lease: only the identity gate looks at them (an order waiting for its
        identity must start soon after it is Verified, not a lease later)."""
        rows = []
        for doctype in ORDER_DOCTYPES:
            filters: list[list[Any]] = [["status", "=", Status.QUEUED.value],
                                        ["modified", ">=", cutoff.strftime(FMT)], ["sales_order", "is", "set"]]
            for row in self.erp.list(doctype, fields=STUCK_FIELDS, filters=filters):
                rows.append((doctype, row))
        return rows

    def _identity_allows(self, doctype: str, row: dict[str, Any], known: dict[str, dict[str, Any]], young: bool,
                         summary: Summary) -> bool:
        """The identity gate for a Queued order. True: go on as for any stranded order (not gated and old
        enough, or Verified); False: handled here (still waiting, rejected, or young and not gated)."""
        decision = identity_gate.check(self.erp, doctype, row, known)
        name = str(row["name"])
        if decision.identity == identity_gate.Identity.NOT_GATED:
            return not young  # a young ungated Queued order is simply in flight
        if decision.identity == identity_gate.Identity.VERIFIED:
            return True
        if decision.identity == identity_gate.Identity.PENDING:
            summary.waiting_identity += 1  # not a re-dispatch: never counts toward K
            if not summary.dry_run:
                identity_gate.hold(self.erp, doctype, row, decision)
            self._act(summary, "identity", name, "waiting", decision.sales_order)
            return False
        summary.found["generation"] += 1
        if not summary.dry_run:
            identity_gate.reject(self.erp, doctype, row, decision)
        summary.failed["generation"] += 1
        self._act(summary, "identity", name, "failed", decision.sales_order)
        return False

    def _deliveries(self, now: datetime, summary: Summary) -> None:
        cutoff = now - timedelta(seconds=self.settings.delivery_grace_s)
        for doctype, row in self._stuck([Status.APPROVED.value, Status.READY.value], cutoff):
            name = str(row["name"])
            summary.found["delivery"] += 1
            if self._give_up(doctype, row, "delivery", summary):
                continue
            if summary.dry_run:
                self._act(summary, "delivery", name, "would_redispatch", str(row["status"]))
                continue
            try:
                if self._bump(doctype, row) is None:
                    continue
            except ERPNextError as exc:
                summary.erpnext_error(f"delivery {name}", exc)
                continue
            try:
                self.dispatcher.dispatch("deliver", {"doctype": doctype, "name": name},
                                         call_id=f"deliver-{name}-v{row.get('document_version') or 0}"
                                                 f"-r{row.get('pipeline_retries') or 0}")
            except DispatchError as exc:
                summary.errors.append(f"dispatch deliver {name}: {exc}")
                continue
            summary.redispatched["delivery"] += 1
            self._act(summary, "delivery", name, "redispatched", str(row["status"]))

