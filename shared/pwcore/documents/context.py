"""Render contexts for the compliance and invoice DOCX templates, built from ERPNext documents (plain dicts).
The formation documents' context is pwcore.documents.formation (the clause vocabulary).

Every value a template prints is produced here or by the service's facts builder (its folder in
pwcore.compliance.services), already formatted (money "$1,250.00", dates
"November 25, 2026", percentages "33.33%"), so templates hold no formatting logic. The models list every
field a template may use (the lint checks templates against them). Formation and invoice facts that are
absent are left out of the dict rather than blanked, so a template that needs them fails with
TemplateFieldMissing instead of printing an empty line in a legal document. Compliance facts come from the
validated intake model (pwcore.compliance.intake, the source of truth for `intake_data`); an optional fact the customer
did not give reads "Not provided", so a report states the gap instead of failing or printing a blank.

Only whitelisted keys are copied out of the ERPNext documents: Sensitive ID values (SSN/EIN/ITIN) and any
other unknown key in an order or its intake data can never reach a document (the intake models ignore
unknown keys).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, create_model

from pwcore.compliance import services
from pwcore.compliance.fields import IntakeInvalid, IntakeModel
from pwcore.compliance.intake import intake_model_for, parse_intake
from pwcore.compliance.services.common import (
    CategoryRow,
    opt,
)
from pwcore.compliance.structured import SectionContent
from pwcore.model.formatting import (
    ContextError,
    clean_text,
    long_date,
    money,
    percent,
    quantity,
)
from pwcore.model.formatting import decimal as _decimal

# The labels, row models and facts builders of each service sit in its folder (pwcore.compliance.services).
SERVICE_SECTIONS: dict[str, list[str]] = {s.service_type: list(s.section_keys) for s in services.all_services()}
REPORT_TITLES: dict[str, str] = {s.service_type: s.title for s in services.all_services()}


# --- formatting ------------------------------------------------------------------------------------


def section_text(value: Any) -> str:
    """LLM section text: blank-line separated blocks become paragraphs (docxtpl's \\a), single newlines
    become line breaks (\\n). Escaping stays on: the text is still a plain autoescaped string."""
    text = clean_text(value).replace("\r\n", "\n").replace("\r", "\n")
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text) if b.strip()]
    return "\a".join(blocks)


# --- models ----------------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FindingRow(_Model):
    """One row of the remediation checklist (and of a report's findings table)."""

    number: str
    priority: str
    requirement: str
    gap: str
    action: str
    owner: str
    due: str
    authority: str


class _ComplianceBase(_Model):
    order_name: str
    service_type: str
    report_title: str
    entity_name: str
    state: str
    report_date: str
    customer_name: str
    customer_email: str | None = None
    sections: dict[str, dict[str, Any]]  # structured content (pwcore.compliance.structured), by section key
    # The deterministic analysis as report parts (pwcore.compliance.analysis.parts), by part key.
    parts: dict[str, dict[str, Any]]
    jurisdiction: str  # the law the report applies ("Federal law (FLSA) and Colorado")
    counsel_jurisdiction: str  # the disclaimer's "counsel licensed in ..."
    notes: str
    # The analysis's findings by priority, then those of the LLM sections that add a requirement: the remediation
    # checklist's rows.
    findings: list[FindingRow]
    finding_count: str
    # Shared by several services.
    industry: str | None = None
    states_covered: str | None = None
    employee_count: str | None = None
    sells_or_shares: str | None = None
    data_categories: list[CategoryRow] | None = None


def _compliance_model() -> type[_ComplianceBase]:
    """The base fields plus every service's Facts fields (optional here; the service's own Facts model has
    them required), in service order. A name two services share must have one type."""
    types: dict[str, Any] = {n: f.annotation for n, f in _ComplianceBase.model_fields.items()}
    fields: dict[str, Any] = {}
    for svc in services.all_services():
        for name, info in svc.facts_model.model_fields.items():
            wanted: Any = Optional[info.annotation]  # noqa: UP045 - a type built at runtime
            if name in types:
                if types[name] != wanted:
                    raise TypeError(f"report fact {name!r}: {svc.service_type} declares another type")
                continue
            types[name] = wanted
            fields[name] = (wanted, None)
    return create_model("ComplianceContext", __base__=_ComplianceBase, **fields)


# Every intake fact a report prints. Facts of the order's own service are always present: a fact the customer
# did not give reads NOT_PROVIDED (an empty list NONE_LISTED), never a blank. Facts of the other services are
# absent (a template reading them fails the lint's render test).
ComplianceContext = _compliance_model()


class InvoiceLine(_Model):
    description: str
    quantity: str
    rate: str
    amount: str


class InvoiceContext(_Model):
    invoice_number: str
    invoice_date: str
    due_date: str
    customer_name: str
    customer_email: str | None = None
    bill_to_address: str | None = None
    order_reference: str | None = None
    currency: str
    lines: list[InvoiceLine]
    subtotal: str
    surcharge_pct: str
    surcharge_amount: str
    has_surcharge: bool
    taxes: str
    has_taxes: bool
    total: str
    amount_paid: str
    balance_due: str
    is_paid: bool
    payment_gateway: str | None = None


MODELS: dict[str, type[_Model]] = {
    "compliance": ComplianceContext,
    "invoice": InvoiceContext,
}


# --- builders --------------------------------------------------------------------------------------


def _require(doc: Mapping[str, Any], field: str, doctype: str) -> str:
    value = clean_text(doc.get(field))
    if not value:
        raise ContextError(f"{doctype} field {field!r} is empty")
    return value


def _customer(customer: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "customer_name": clean_text(customer.get("customer_name") or customer.get("name")),
    }
    email = clean_text(customer.get("email_id"))
    if email:
        out["customer_email"] = email
    if not out["customer_name"]:
        raise ContextError("Customer field 'customer_name' is empty")
    return out


def _as_of(as_of: date | None) -> date:
    return as_of or date.today()


def intake_facts(intake: IntakeModel) -> dict[str, Any]:
    """The display facts and tables of a validated intake (keys are ComplianceContext fields)."""
    svc = next((s for s in services.all_services() if isinstance(intake, s.intake_model)), None)
    if svc is None:
        raise ContextError(f"no report facts for intake model {type(intake).__name__}")
    facts = svc.facts(intake)
    facts["notes"] = opt(intake.notes)
    return facts


def _section(value: str | Mapping[str, Any] | SectionContent, print_findings: bool) -> dict[str, Any]:
    """A section as content: structured answers as they are, plain text (samples, older callers) as paragraphs."""
    if isinstance(value, SectionContent):
        content = value
    elif isinstance(value, Mapping):
        content = SectionContent.model_validate(dict(value))
    else:
        content = SectionContent.from_text(clean_text(value))
    if not print_findings:
        content = content.model_copy(update={"findings": []})
    return content.model_dump(mode="json")


def _requirement_key(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", text.lower()).split())


def _finding_rows(established: list[dict[str, Any]], written: list[dict[str, Any]]) -> list[FindingRow]:
    """Checklist rows: the analysis's findings, then each LLM finding whose requirement they do not already name."""
    seen = {_requirement_key(f["requirement"]) for f in established}
    extra = [f for f in written if _requirement_key(f["requirement"]) not in seen]
    return [FindingRow(number=str(n), **{k: clean_text(v) for k, v in f.items()})
            for n, f in enumerate([*established, *extra], 1)]


def compliance_context(
    order: Mapping[str, Any],
    customer: Mapping[str, Any],
    sections: Mapping[str, str | Mapping[str, Any] | SectionContent],
    as_of: date | None = None,
    intake: IntakeModel | None = None,
) -> dict[str, Any]:
    """Compliance Service + Customer + LLM sections -> context for the service's report template.

    The facts come from the validated intake (pwcore.intake): pass `intake` when the caller has parsed it
    already, otherwise `order["intake_data"]` (JSON text or dict) is parsed here. An invalid intake raises
    ContextError naming the fields (never their values)."""
    dt = "Compliance Service"
    service_type = _require(order, "service_type", dt)
    if service_type not in SERVICE_SECTIONS:
        raise ContextError(f"unknown service_type {service_type[:60]!r}")
    if intake is None:
        try:
            intake = parse_intake(service_type, order.get("intake_data"))
        except IntakeInvalid as exc:
            raise ContextError(f"{dt} {exc}") from exc
    elif not isinstance(intake, intake_model_for(service_type)):
        raise ContextError(f"intake model {type(intake).__name__} does not belong to {service_type!r}")
    # Keep only the service's own sections: a stray key must not leak another service's text.
    svc = services.service(service_type)
    wanted = SERVICE_SECTIONS[service_type]
    contents = {k: _section(sections[k], True) for k in wanted if k in sections}
    entity_state = _require(order, "state", dt)
    analysis = svc.analysis(intake, _as_of(as_of), entity_state)
    rows = _finding_rows([f.model_dump() for f in analysis.result.findings_by_priority()],
                         [f for c in contents.values() for f in c["findings"]])
    ctx = ComplianceContext(
        order_name=_require(order, "name", dt),
        service_type=service_type,
        report_title=REPORT_TITLES[service_type],
        entity_name=_require(order, "entity_name", dt),
        state=_require(order, "state", dt),
        report_date=long_date(_as_of(as_of)),
        # A document that never prints findings (the published privacy policy) gets its sections without them.
        sections={k: c if svc.print_findings else {**c, "findings": []} for k, c in contents.items()},
        parts={k: p.model_dump(mode="json") for k, p in analysis.parts.items()},
        jurisdiction=analysis.jurisdiction.laws,
        counsel_jurisdiction=analysis.jurisdiction.counsel,
        findings=rows,
        finding_count=str(len(rows)),
        **intake_facts(intake),
        **_customer(customer),
    )
    return ctx.model_dump(exclude_none=True)


def _address(value: Any) -> str:
    """ERPNext's address_display is HTML with <br> line breaks; keep the lines, drop the tags."""
    text = re.sub(r"(?i)<br\s*/?>", "\n", str(value or ""))
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return "\n".join(line.strip() for line in clean_text(text).splitlines() if line.strip())


def invoice_context(
    invoice: Mapping[str, Any], customer: Mapping[str, Any], order_reference: str | None = None
) -> dict[str, Any]:
    """Sales Invoice + Customer -> context for the invoice template. Totals are recomputed from the lines
    (qty x rate) plus the card surcharge and taxes, so the printed figures always add up."""
    dt = "Sales Invoice"
    currency = clean_text(invoice.get("currency")) or "USD"
    lines = []
    subtotal = Decimal(0)
    for item in sorted(invoice.get("items") or [], key=lambda r: int(r.get("idx") or 0)):
        qty = _decimal(item.get("qty") or 1)
        rate = _decimal(item.get("rate"))
        amount = _decimal(item["amount"]) if item.get("amount") not in (None, "") else qty * rate
        subtotal += amount
        desc = clean_text(item.get("item_name") or item.get("description") or item.get("item_code"))
        lines.append(
            InvoiceLine(
                description=desc, quantity=quantity(qty), rate=money(rate, currency), amount=money(amount, currency)
            )
        )
    if not lines:
        raise ContextError("Sales Invoice has no items")
    pct = _decimal(invoice.get("custom_surcharge_pct"))
    surcharge = (subtotal * pct / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    taxes = _decimal(invoice.get("total_taxes_and_charges"))
    total = subtotal + surcharge + taxes
    outstanding = invoice.get("outstanding_amount")
    paid = total - _decimal(outstanding) if outstanding not in (None, "") else _decimal(invoice.get("paid_amount"))
    balance = total - paid
    ref = order_reference or clean_text(
        next((i.get("sales_order") for i in invoice.get("items") or [] if i.get("sales_order")), "")
    )
    ctx = InvoiceContext(
        invoice_number=_require(invoice, "name", dt),
        invoice_date=long_date(invoice.get("posting_date")),
        due_date=long_date(invoice.get("due_date") or invoice.get("posting_date")),
        currency=currency,
        lines=lines,
        subtotal=money(subtotal, currency),
        surcharge_pct=percent(pct),
        surcharge_amount=money(surcharge, currency),
        has_surcharge=pct != 0,
        taxes=money(taxes, currency),
        has_taxes=taxes != 0,
        total=money(total, currency),
        amount_paid=money(paid, currency),
        balance_due=money(balance, currency),
        is_paid=balance <= 0,
        bill_to_address=_address(invoice.get("address_display")) or None,
        order_reference=ref or None,
        payment_gateway=clean_text(invoice.get("custom_payment_gateway")) or None,
        **_customer(customer),
    )
    return ctx.model_dump(exclude_none=True)
