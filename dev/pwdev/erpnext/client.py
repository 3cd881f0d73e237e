"""Dev/test helpers that drive the stand-in's ERPNext-side actions over HTTP (its dev control routes)."""

from __future__ import annotations

from typing import Any

import httpx


def submit_payment_entry(erpnext_url: str, sales_invoice: str, paid_amount: float | None = None,
                         timeout: float = 10.0) -> dict[str, Any]:
    """Pay a submitted Sales Invoice the way ERPNext does when a Payment Entry is submitted (outstanding
    amount lowered, then status db_set to Paid, which fires on_change webhooks). A PUT of `status` on a
    submitted invoice is refused (UpdateAfterSubmitError), as on a real site. Returns the invoice."""
    body: dict[str, Any] = {"sales_invoice": sales_invoice}
    if paid_amount is not None:
        body["paid_amount"] = paid_amount
    r = httpx.post(f"{erpnext_url.rstrip('/')}/_standin/payment_entry", json=body, timeout=timeout)
    r.raise_for_status()
    return dict(r.json()["data"])
