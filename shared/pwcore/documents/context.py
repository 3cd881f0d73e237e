"""Render contexts for the DOCX templates, built from ERPNext documents (plain dicts).

Every value a template prints is produced here, already formatted (money "$1,250.00", dates
"November 25, 2026", percentages "33.33%"), so templates hold no formatting logic. The models list every
field a template may use (the lint checks templates against them). Optional facts that are absent in the
order are left out of the dict rather than blanked, so a template that needs them fails with
TemplateFieldMissing instead of printing an empty line in a legal document.

Only whitelisted keys are copied out of the ERPNext documents: Sensitive ID values (SSN/EIN/ITIN) and any
other unknown key in an order or its intake data can never reach a document.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from dateutil import parser as date_parser
from pydantic import BaseModel, ConfigDict

# XML 1.0 forbids these code points; \t \n \r are allowed. docxtpl turns \a (0x07) into a paragraph
# break, so customer text loses it here and only section text gets it back, on blank lines.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# Key names that must never be copied out of intake data even if someone nests them in a row.
_SENSITIVE_KEY = re.compile(r"(ssn|ein|itin|id_value|tax_id|password|secret)", re.IGNORECASE)

SERVICE_SECTIONS: dict[str, list[str]] = {
    "FLSA Audit": ["executive_summary", "classification_analysis", "remediation_plan"],
    "CCPA Audit": ["executive_summary", "applicability_analysis", "gap_analysis", "remediation_plan"],
    "TCPA Audit": ["executive_summary", "consent_analysis", "risk_assessment", "remediation_plan"],
    "Contractor Assessment": ["executive_summary", "classification_analysis", "recommendations"],
    "Handbook Review": ["executive_summary", "policy_gaps", "recommendations"],
    "Breach Response Plan": ["executive_summary", "response_procedures", "notification_plan"],
    "Privacy Policy": ["overview", "data_practices", "consumer_rights"],
}

REPORT_TITLES: dict[str, str] = {
    "FLSA Audit": "FLSA Wage and Hour Compliance Audit",
    "CCPA Audit": "CCPA/CPRA Privacy Compliance Audit",
    "TCPA Audit": "TCPA Telemarketing Compliance Audit",
    "Contractor Assessment": "Independent Contractor Classification Assessment",
    "Handbook Review": "Employee Handbook Compliance Review",
    "Breach Response Plan": "Data Breach Response Plan",
    "Privacy Policy": "Privacy Policy",
}

# Display labels for the intake models' enumerations (pwcore.intake is the source of truth for the keys;
# tests check every Literal value has a label here).
NOT_PROVIDED = "Not provided"
NONE_LISTED = "None listed"

STATE_NAMES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California", "CO": "Colorado",
    "CT": "Connecticut", "DE": "Delaware", "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho",
    "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York", "NC": "North Carolina",
    "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas",
    "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington", "WV": "West Virginia",
    "WI": "Wisconsin", "WY": "Wyoming", "DC": "District of Columbia", "PR": "Puerto Rico", "GU": "Guam",
    "VI": "U.S. Virgin Islands", "AS": "American Samoa", "MP": "Northern Mariana Islands",
}  # fmt: skip

EXEMPTION_LABELS: dict[str, str] = {
    "none": "None (non-exempt)",
    "executive": "Executive",
    "administrative": "Administrative",
    "professional": "Professional",
    "computer": "Computer employee",
    "outside_sales": "Outside sales",
    "highly_compensated": "Highly compensated",
}
# Statutory examples of each category (Cal. Civ. Code § 1798.140(v)); also used by the privacy policy.
DATA_CATEGORY_LABELS: dict[str, tuple[str, str]] = {
    "identifiers": ("Identifiers", "Name, postal address, email address, IP address, account name or similar"),
    "customer_records": (
        "Customer records",
        "Information listed in Cal. Civ. Code § 1798.80(e), such as name, signature, telephone number or "
        "financial information",
    ),
    "protected_classifications": (
        "Protected classifications",
        "Characteristics protected under California or federal law, such as age, sex or disability",
    ),
    "commercial_information": (
        "Commercial information",
        "Products or services purchased, obtained or considered, and purchasing history",
    ),
    "biometric": ("Biometric information", "Fingerprints, faceprints, voiceprints or similar"),
    "internet_activity": (
        "Internet or network activity",
        "Browsing and search history, interactions with a website, app or advertisement",
    ),
    "geolocation": ("Geolocation data", "Device or physical location"),
    "sensory": ("Sensory data", "Audio, electronic, visual or similar information, such as call recordings"),
    "professional": ("Professional or employment information", "Job title, employer, work history"),
    "education": ("Education information", "Education records that are not publicly available"),
    "inferences": ("Inferences", "Profiles reflecting preferences, characteristics or behavior"),
    "sensitive_personal_information": (
        "Sensitive personal information",
        "Government identifiers, account log-ins, precise geolocation, health or similar information",
    ),
}
CHANNEL_LABELS: dict[str, str] = {
    "voice": "Live voice calls",
    "sms": "SMS text messages",
    "mms": "MMS multimedia messages",
    "fax": "Fax",
    "prerecorded_voice": "Prerecorded or artificial-voice calls",
    "ringless_voicemail": "Ringless voicemail",
}
CONSENT_LABELS: dict[str, str] = {
    "prior_express_written": "Prior express written consent",
    "prior_express": "Prior express consent",
    "web_form": "Web form",
    "verbal": "Verbal consent",
    "purchased_leads": "Purchased leads",
    "none": "No consent captured",
    "unknown": "Unknown",
}
DIALER_LABELS: dict[str, str] = {
    "manual": "Manual dialing",
    "preview": "Preview dialer",
    "progressive": "Progressive dialer",
    "predictive": "Predictive dialer",
    "autodialer": "Autodialer",
    "none": "No dialer",
    "unknown": "Unknown",
}
PAID_BY_LABELS: dict[str, str] = {
    "project": "Per project",
    "hourly": "Hourly",
    "daily": "Daily rate",
    "retainer": "Retainer",
    "commission": "Commission",
    "salary": "Salary",
}
POLICY_LABELS: dict[str, str] = {
    "at_will": "At-will employment",
    "equal_employment": "Equal employment opportunity",
    "anti_harassment": "Anti-harassment",
    "complaint_procedure": "Complaint procedure",
    "leave": "Leave of absence",
    "paid_time_off": "Paid time off",
    "sick_leave": "Sick leave",
    "overtime": "Overtime",
    "meal_rest_breaks": "Meal and rest breaks",
    "timekeeping": "Timekeeping",
    "remote_work": "Remote work",
    "social_media": "Social media",
    "drug_alcohol": "Drug and alcohol",
    "discipline": "Discipline",
    "confidentiality": "Confidentiality",
    "workplace_safety": "Workplace safety",
    "accommodation": "Reasonable accommodation",
    "expense_reimbursement": "Expense reimbursement",
}
BREACH_DATA_LABELS: dict[str, str] = {
    "ssn": "Social Security numbers",
    "drivers_license": "Driver's license or state ID numbers",
    "financial_account": "Financial account numbers",
    "payment_card": "Payment card numbers",
    "health": "Health or medical information",
    "biometric": "Biometric data",
    "login_credentials": "Login credentials",
    "contact_information": "Contact information",
    "dates_of_birth": "Dates of birth",
    "employee_records": "Employee records",
}

class ContextError(ValueError):
    """The ERPNext document lacks something every document of its kind needs (names the field)."""


# --- formatting ------------------------------------------------------------------------------------


def clean_text(value: Any) -> str:
    """Text for a document: str(), XML-illegal control characters removed, ends trimmed."""
    if value is None:
        return ""
    return _XML_ILLEGAL.sub("", str(value)).strip()


def section_text(value: Any) -> str:
    """LLM section text: blank-line separated blocks become paragraphs (docxtpl's \\a), single newlines
    become line breaks (\\n). Escaping stays on: the text is still a plain autoescaped string."""
    text = clean_text(value).replace("\r\n", "\n").replace("\r", "\n")
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text) if b.strip()]
    return "\a".join(blocks)


def _decimal(value: Any) -> Decimal:
    if value is None or value == "":
        return Decimal(0)
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ContextError(f"not a number: {str(value)[:40]!r}") from exc


def money(value: Any, currency: str = "USD") -> str:
    amount = _decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency.upper(), "")
    sign = "-" if amount < 0 else ""
    text = f"{abs(amount):,.2f}"
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency.upper()}"


def percent(value: Any) -> str:
    amount = _decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = f"{amount:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def long_date(value: date | datetime | str | None) -> str:
    """ "November 25, 2026" (no zero padding, English month names regardless of locale)."""
    if value is None or value == "":
        raise ContextError("date missing")
    if isinstance(value, str):
        value = date_parser.parse(value)
    if isinstance(value, datetime):
        value = value.date()
    return f"{value:%B} {value.day}, {value.year}"


def quantity(value: Any) -> str:
    amount = _decimal(value)
    return f"{amount.normalize():f}" if amount == amount.to_integral() else f"{amount:f}".rstrip("0")


# --- models ----------------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MemberRow(_Model):
    name: str
    ownership_pct: str
    capital: str
    address: str
    role: str


class AddOnRow(_Model):
    name: str
    description: str
    amount: str


class FormationContext(_Model):
    order_name: str
    entity_name: str
    entity_type: str
    is_llc: bool
    is_corporation: bool
    is_nonprofit: bool
    document_title: str
    owner_term: str
    owners_term: str
    interest_term: str
    governing_body: str
    state: str
    management_type: str
    registered_agent: str
    effective_date: str
    customer_name: str
    customer_email: str | None = None
    members: list[MemberRow]
    member_count: int
    total_ownership_pct: str
    total_capital: str
    add_ons: list[AddOnRow]
    filing_number: str | None = None


class ComplianceContext(_Model):
    order_name: str
    service_type: str
    report_title: str
    entity_name: str
    state: str
    report_date: str
    customer_name: str
    customer_email: str | None = None
    sections: dict[str, str]
    # Intake facts (present only when the intake has them).
    employee_count: str | None = None
    industry: str | None = None
    annual_revenue: str | None = None
    consumer_count: str | None = None
    website: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    handbook_version: str | None = None
    effective_date: str | None = None
    # Intake tables (rows are dicts of display strings).
    roles: list[dict[str, str]] | None = None
    contractors: list[dict[str, str]] | None = None
    data_categories: list[dict[str, str]] | None = None
    channels: list[dict[str, str]] | None = None
    policies: list[dict[str, str]] | None = None
    systems: list[dict[str, str]] | None = None
    response_team: list[dict[str, str]] | None = None


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
    "formation": FormationContext,
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


def formation_context(
    order: Mapping[str, Any], customer: Mapping[str, Any], as_of: date | None = None
) -> dict[str, Any]:
    """Formation Order + Customer -> context for the operating agreement / bylaws template."""
    dt = "Formation Order"
    entity_type = _require(order, "entity_type", dt)
    is_llc = entity_type == "LLC"
    is_nonprofit = entity_type == "Nonprofit"
    raw_members = list(order.get("members") or [])
    if not raw_members:
        raise ContextError("Formation Order has no members")
    members = []
    total_pct = Decimal(0)
    total_capital = Decimal(0)
    for row in sorted(raw_members, key=lambda r: int(r.get("idx") or 0)):
        total_pct += _decimal(row.get("ownership_pct"))
        total_capital += _decimal(row.get("capital"))
        members.append(
            MemberRow(
                name=_require(row, "member_name", "Formation Member"),
                ownership_pct=percent(row.get("ownership_pct")),
                capital=money(row.get("capital")),
                address=clean_text(row.get("address")) or "Address on file",
                role=clean_text(row.get("role")) or "Member",
            )
        )
    add_ons = [
        AddOnRow(
            name=clean_text(a.get("add_on")),
            description=clean_text(a.get("description")),
            amount=money(a.get("amount")),
        )
        for a in sorted(order.get("add_ons") or [], key=lambda r: int(r.get("idx") or 0))
    ]
    default_mgmt = "Member-Managed" if is_llc else "Board-Managed"
    ctx = FormationContext(
        order_name=_require(order, "name", dt),
        entity_name=_require(order, "entity_name", dt),
        entity_type=entity_type,
        is_llc=is_llc,
        is_corporation=entity_type == "Corporation",
        is_nonprofit=is_nonprofit,
        document_title="Operating Agreement" if is_llc else "Bylaws",
        owner_term="Member" if is_llc or is_nonprofit else "Shareholder",
        owners_term="Members" if is_llc or is_nonprofit else "Shareholders",
        interest_term="Membership Interest" if is_llc or is_nonprofit else "Shares",
        governing_body="Managers" if is_llc else "Board of Directors",
        state=_require(order, "state", dt),
        management_type=clean_text(order.get("management_type")) or default_mgmt,
        registered_agent=_require(order, "registered_agent", dt),
        effective_date=long_date(_as_of(as_of)),
        members=members,
        member_count=len(members),
        total_ownership_pct=percent(total_pct),
        total_capital=money(total_capital),
        add_ons=add_ons,
        filing_number=clean_text(order.get("filing_number")) or None,
        **_customer(customer),
    )
    return ctx.model_dump(exclude_none=True)


def _intake(order: Mapping[str, Any]) -> dict[str, Any]:
    raw = order.get("intake_data")
    if raw is None or raw == "":
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ContextError(f"Compliance Service intake_data is not valid JSON (line {exc.lineno})") from exc
    if not isinstance(raw, dict):
        raise ContextError("Compliance Service intake_data must be a JSON object")
    return raw


def _scalar(key: str, value: Any) -> str | None:
    if value is None or value == "" or isinstance(value, (dict, list)):
        return None
    if key in _MONEY_SCALARS:
        return money(value)
    if key in _DATE_SCALARS:
        return long_date(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:,}"
    return clean_text(value)


def _rows(value: Any, columns: Iterable[str]) -> list[dict[str, str]]:
    if not isinstance(value, list):
        return []
    rows = []
    for item in value:
        if not isinstance(item, Mapping):
            continue
        row = {}
        for col in columns:
            if _SENSITIVE_KEY.search(col):
                continue
            cell = item.get(col)
            if col in {"annual_pay"} and cell not in (None, ""):
                row[col] = money(cell)
            else:
                row[col] = clean_text(cell) if cell not in (None, "") else "—"
        rows.append(row)
    return rows


def compliance_context(
    order: Mapping[str, Any],
    customer: Mapping[str, Any],
    sections: Mapping[str, str],
    as_of: date | None = None,
) -> dict[str, Any]:
    """Compliance Service + Customer + LLM sections -> context for the service's report template."""
    dt = "Compliance Service"
    service_type = _require(order, "service_type", dt)
    if service_type not in SERVICE_SECTIONS:
        raise ContextError(f"unknown service_type {service_type[:60]!r}")
    intake = _intake(order)
    facts: dict[str, Any] = {}
    for key in INTAKE_SCALARS:
        value = _scalar(key, intake.get(key))
        if value:
            facts[key] = value
    for key, columns in INTAKE_TABLES[service_type].items():
        if key in intake:
            facts[key] = _rows(intake[key], columns)
    # Keep only the service's own sections: a stray key must not leak another service's text.
    wanted = SERVICE_SECTIONS[service_type]
    ctx = ComplianceContext(
        order_name=_require(order, "name", dt),
        service_type=service_type,
        report_title=REPORT_TITLES[service_type],
        entity_name=_require(order, "entity_name", dt),
        state=_require(order, "state", dt),
        report_date=long_date(_as_of(as_of)),
        sections={k: section_text(sections[k]) for k in wanted if k in sections},
        **facts,
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
