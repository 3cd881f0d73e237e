"""on-payment's step: a paid Sales Invoice -> its orders Queued, generate-doc dispatched, commission Pending.

The work itself (pwcore.orders.paid_invoice) is shared with the reconcile sweep; this step adds the time budget.
Frappe gives a webhook 5 s and sends it again when the answer is slow, so the work runs in a small pool and the
answer waits at most PIPELINE_ON_PAYMENT_BUDGET_S: past it we answer 202 and the work continues (a killed process
leaves orders the sweep finishes).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

from pydantic_settings import SettingsConfigDict

from pwcore.clients.dispatch import Dispatcher
from pwcore.clients.erpnext import ERPNext
from pwcore.clients.erpnext import NotFound as ERPNextNotFound
from pwcore.logs import get_logger
from pwcore.model.outcomes import OutcomeStatus
from pwcore.model.problems import NotFound
from pwcore.orders.commission_ledger import CommissionSettings
from pwcore.orders.paid_invoice import InvoiceNotPaid, process_paid_invoice
from pwcore.settings import Settings, load_settings

log = get_logger("pwcore.payment")
_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="on-payment")


class PaymentSettings(Settings):
    model_config = SettingsConfigDict(env_prefix="PIPELINE_")
    on_payment_budget_s: float = 2.0  # well inside Frappe's 5 s webhook timeout


class PaymentStatus(OutcomeStatus):
    QUEUED = ("queued", 200)
    DUPLICATE = ("duplicate", 200)  # a repeated webhook: another delivery queued the orders
    NO_ORDERS = ("no_orders", 200)
    IGNORED = ("ignored", 200)  # the invoice is not Paid: not an error for Frappe to retry
    ACCEPTED = ("accepted", 202)  # ERPNext is slow: the work continues in the background


@dataclass
class PaymentOutcome:
    status: PaymentStatus
    invoice: str
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {**self.detail, "status": self.status, "invoice": self.invoice}


def acknowledge(erp: ERPNext, dispatcher: Dispatcher, invoice: str) -> PaymentOutcome:
    """Process the paid invoice within the budget; raises NotFound (404) for an unknown invoice."""
    future = _pool.submit(process_paid_invoice, erp, dispatcher, invoice, load_settings(CommissionSettings))
    try:
        result = future.result(timeout=load_settings(PaymentSettings).on_payment_budget_s)
    except FutureTimeout:
        log.warning("payment.slow_erpnext", invoice=invoice)
        return PaymentOutcome(PaymentStatus.ACCEPTED, invoice,
                              {"detail": "ERPNext is slow; processing continues in the background"})
    except ERPNextNotFound:
        raise NotFound(f"Sales Invoice {invoice} not found") from None
    except InvoiceNotPaid as exc:
        return PaymentOutcome(PaymentStatus.IGNORED, invoice, {"detail": str(exc)})
    return PaymentOutcome(PaymentStatus.of(result.pop("status")), invoice, result)
