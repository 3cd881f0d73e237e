"""on-payment: the ERPNext webhook for a paid Sales Invoice.

Size check, then the signature over the raw body, then the schema; then Ordered -> Queued and an async
generate-doc per order, within a time budget well inside Frappe's 5 s webhook timeout (a slow answer makes
Frappe send the same webhook again). If ERPNext is slow the work continues in the background and we answer
202; the reconcile sweep finishes anything a killed process leaves behind.
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent / "shared"))  # faas-cli copies ./shared into the build context

from pwcore import config, services
from pwcore.commissions import CommissionSettings
from pwcore.erpnext import ERPNextError, NotFound
from pwcore.functions_common import signed_payload
from pwcore.http import entrypoint, error, json_response
from pwcore.logging import bind_context, get_logger
from pwcore.payments import InvoiceNotPaid, process_paid_invoice
from pwcore.webhooks import InvoiceEvent

log = get_logger("on-payment")
_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="on-payment")


@entrypoint("on-payment")
def handle(event: Any, context: Any) -> dict[str, Any]:
    payload = signed_payload(event, InvoiceEvent)
    if isinstance(payload, dict):
        return payload
    bind_context(invoice=payload.name)

    future = _pool.submit(process_paid_invoice, services.erpnext(), services.dispatcher(), payload.name,
                          config.load(CommissionSettings))
    try:
        result = future.result(timeout=services.pipeline().on_payment_budget_s)
    except FutureTimeout:
        log.warning("payment.slow_erpnext", invoice=payload.name)
        return json_response(202, {"status": "accepted", "invoice": payload.name,
                                   "detail": "ERPNext is slow; processing continues in the background"})
    except NotFound:
        return error(404, f"Sales Invoice {payload.name} not found")
    except InvoiceNotPaid as exc:
        # Not an error for Frappe to retry: the webhook condition and the invoice disagree.
        return json_response(200, {"status": "ignored", "invoice": payload.name, "detail": str(exc)})
    except ERPNextError as exc:
        log.error("payment.erpnext_error", status=exc.status, exc_type=exc.exc_type)
        return error(503, "ERPNext unavailable; retry later")
    return json_response(200, result)
