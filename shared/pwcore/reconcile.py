"""The reconcile sweep: find orders a lost webhook, a lost async call or a killed function left behind.

Per run (every 5 minutes by cron, or by hand with dry_run):
1. lost payment webhooks: orders still `Ordered` whose Sales Order has a Paid invoice -> the very code path of
   on-payment (pwcore.payments.process_paid_invoice), same CAS and idempotency keys;
2. `Queued` / `Processing` / `Revision` for longer than the generation lease -> re-dispatch generate-doc (a dead
   Processing run is first re-queued by CAS, Processing -> Queued);
3. `Approved` / `Ready` for longer than the delivery grace -> re-dispatch deliver (deliver's own marker
   decides whether an email may still go out);
4. every re-dispatch increments the order's `pipeline_retries` by CAS (which is also what stops two sweeps
   from dispatching the same order twice); at K without progress the order goes to `Failed` with a comment
   naming what was tried. Reaching Review / Delivered resets the count.
A short lease object in S3 (conditional create) keeps two sweeps from running at once. Reads are paginated
and ask for only the fields used; filters select the few stranded rows, so requests stay near
orders/500 + stranded.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic_settings import SettingsConfigDict

from pwcore.commissions import CommissionSettings
from pwcore.config import _Base
from pwcore.dispatch import Dispatcher, DispatchError
from pwcore.erpnext import ERPNext, ERPNextError, TimestampMismatch
from pwcore.generation import erpnext_now
from pwcore.logging import get_logger
from pwcore.orders import ORDER_DOCTYPES, Status, fail
from pwcore.payments import ORDER_FIELDS, SALES_ORDER_FIELDS, InvoiceNotPaid, generation_call_id, process_paid_invoice
from pwcore.storage import Storage

log = get_logger("pwcore.reconcile")

LOCK_KEY = "locks/reconcile.json"
FMT = "%Y-%m-%d %H:%M:%S.%f"
STUCK_FIELDS = ["name", "status", "modified", "pipeline_retries", "document_version", "sales_order"]


class ReconcileSettings(_Base):
    model_config = SettingsConfigDict(env_prefix="RECONCILE_")
    invoice_days: int = 14  # how far back to look for paid invoices whose orders are still Ordered
    payment_grace_s: int = 0  # on-payment's CAS makes racing a webhook in flight harmless
    generation_lease_s: int = 900  # longer than the slowest generation
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
    status: str = "ok"

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "dry_run": self.dry_run, "found": self.found,
                "redispatched": self.redispatched, "failed": self.failed, "errors": self.errors,
                "actions": self.actions[:200]}


class Reconciler:
    def __init__(self, erp: ERPNext, storage: Storage, dispatcher: Dispatcher, settings: ReconcileSettings,
                 commissions: CommissionSettings, timezone: str = "America/Chicago") -> None:
        self.erp = erp
        self.storage = storage
        self.dispatcher = dispatcher
        self.settings = settings
        self.commissions = commissions
        self.timezone = timezone
        self._token = ""

    # -- the lock --------------------------------------------------------------------------------------
    def _acquire(self, owner: str) -> bool:
        """Conditional create of the lock. A dead sweep's expired lock is taken over by exactly one sweep: the
        taker must first create a marker named after that lock's expiry (conditional too), so two sweeps that
        both saw the same expired lock cannot both delete and re-create it."""
        now = datetime.now(UTC)
        self._token = f"{owner}:{now.timestamp()}"
        body = json.dumps({"owner": self._token, "expires_at": (now + timedelta(seconds=self.settings.lock_ttl_s))
                           .isoformat()}).encode()
        if self.storage.put_if_absent(LOCK_KEY, body):
            return True
        try:
            raw = self.storage.get_bytes(LOCK_KEY)
            held = json.loads(raw)
            expired = datetime.fromisoformat(held["expires_at"]) < now
        except Exception:
            return False  # vanished or unreadable right now: the next run decides
        if not expired:
            return False
        marker = f"{LOCK_KEY}.takeover-{hashlib.sha256(raw).hexdigest()[:16]}"
        if not self.storage.put_if_absent(marker, body):
            return False  # another sweep is taking this expired lock over
        self.storage.delete(LOCK_KEY)
        return self.storage.put_if_absent(LOCK_KEY, body)

    def _release(self) -> None:
        """Delete the lock only while it is still ours (a sweep that outlived its TTL may have lost it)."""
        try:
            if json.loads(self.storage.get_bytes(LOCK_KEY)).get("owner") == self._token:
                self.storage.delete(LOCK_KEY)
        except Exception as exc:  # it expires by itself
            log.warning("reconcile.unlock_failed", error=type(exc).__name__)

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
                    summary.status = "error"
                    summary.errors.append(f"{step.__name__.strip('_')}: ERPNext {exc.status} {exc.exc_type}".strip())
                    log.error("reconcile.step_failed", step=step.__name__, status=exc.status)
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
                summary.errors.append(f"payment {invoice}: ERPNext {exc.status} {exc.exc_type}".strip())
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
        what = "generate-doc" if kind == "generation" else "deliver"
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

    def _bump(self, doctype: str, row: dict[str, Any], values: dict[str, Any]) -> dict[str, Any] | None:
        """CAS write of pipeline_retries + 1; None when another sweep or the function moved first."""
        values = {**values, "pipeline_retries": int(row.get("pipeline_retries") or 0) + 1}
        try:
            return self.erp.update(doctype, str(row["name"]), values, modified=str(row["modified"]))
        except TimestampMismatch:
            return None

    def _generations(self, now: datetime, summary: Summary) -> None:
        cutoff = now - timedelta(seconds=self.settings.generation_lease_s)
        # Revision too: a lost Revision webhook strands the order there exactly like a lost async call.
        stuck = [Status.QUEUED.value, Status.PROCESSING.value, Status.REVISION.value]
        for doctype, row in self._stuck(stuck, cutoff):
            name = str(row["name"])
            summary.found["generation"] += 1
            if self._give_up(doctype, row, "generation", summary):
                continue
            if summary.dry_run:
                self._act(summary, "generation", name, "would_redispatch", str(row["status"]))
                continue
            values: dict[str, Any] = {}
            if row["status"] == Status.PROCESSING.value:
                values["status"] = Status.QUEUED.value  # the run died: its lease is over
            try:
                if self._bump(doctype, row, values) is None:
                    continue
            except ERPNextError as exc:
                summary.errors.append(f"generation {name}: ERPNext {exc.status} {exc.exc_type}".strip())
                continue
            invoice = None  # generate-doc finds the order's paid invoice itself
            version = int(row.get("document_version") or 0) + 1
            call_id = f"{generation_call_id(name, version)}-r{int(row.get('pipeline_retries') or 0) + 1}"
            payload = {"doctype": doctype, "name": name, "invoice": invoice}
            try:
                self.dispatcher.dispatch("generate-doc", payload, call_id=call_id)
            except DispatchError as exc:
                summary.errors.append(f"dispatch generate-doc {name}: {exc}")
                continue
            summary.redispatched["generation"] += 1
            self._act(summary, "generation", name, "redispatched", str(row["status"]))

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
                if self._bump(doctype, row, {}) is None:
                    continue
            except ERPNextError as exc:
                summary.errors.append(f"delivery {name}: ERPNext {exc.status} {exc.exc_type}".strip())
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

