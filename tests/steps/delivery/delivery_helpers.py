"""Helpers shared by the delivery tests and benches (a unique module name: no clash with other conftests)."""

from __future__ import annotations

import io
from typing import Any

from pypdf import PdfReader, PdfWriter

from pwcore.clients.erpnext import ERPNext
from pwcore.clients.s3 import Storage
from pwcore.clients.smtp import Mailer, SMTPSettings
from pwcore.steps.delivery import Deliverer, DeliverySettings, SimulatedCrash


def pdf_bytes(pages: int = 1, pad: int = 0) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    if pad:
        writer.add_metadata({"/Padding": "x" * pad})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_text(data: bytes) -> str:
    """A PDF's text with its whitespace runs folded to single spaces."""
    return " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(data)).pages)


def deliverer(erp: ERPNext, storage: Storage, smtp: SMTPSettings, *, crash_at: str | None = None, attempts: int = 1,
              **settings: Any) -> Deliverer:
    """A Deliverer with `settings` (DeliverySettings fields) and quick SMTP retries, which dies (SimulatedCrash)
    at the checkpoint `crash_at`."""

    def checkpoint(point: str) -> None:
        if point == crash_at:
            raise SimulatedCrash(point)

    return Deliverer(erp, storage, Mailer(smtp, attempts=attempts, max_wait_s=0.05), smtp, DeliverySettings(**settings),
                     checkpoint=checkpoint if crash_at else None)
