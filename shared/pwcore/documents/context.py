"""Render contexts for the compliance and invoice DOCX templates, built from ERPNext documents (plain dicts).
The formation documents' context is pwcore.documents.formation (the clause vocabulary).

Every value a template prints is produced here, already formatted (money "$1,250.00", dates
"November 25, 2026", percentages "33.33%"), so templates hold no formatting logic. The models list every
field a template may use (the lint checks templates against them). Formation and invoice facts that are
absent are left out of the dict rather than blanked, so a template that needs them fails with
TemplateFieldMissing instead of printing an empty line in a legal document. Compliance facts come from the
validated intake model (pwcore.intake, the source of truth for `intake_data`); an optional fact the customer
did not give reads "Not provided", so a report states the gap instead of failing or printing a blank.

Only whitelisted keys are copied out of the ERPNext documents: Sensitive ID values (SSN/EIN/ITIN) and any
other unknown key in an order or its intake data can never reach a document (the intake models ignore
unknown keys).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from dateutil import parser as date_parser
from pydantic import BaseModel, ConfigDict

from pwcore.compliance.intake import (
    BreachResponsePlanIntake,
    CCPAAuditIntake,
    ContractorAssessmentIntake,
    FLSAAuditIntake,
    HandbookReviewIntake,
    IntakeInvalid,
    IntakeModel,
    PrivacyPolicyIntake,
    TCPAAuditIntake,
    intake_model_for,
    parse_intake,
)
from pwcore.logs import EIN_PATTERN, SSN_PATTERN

# XML 1.0 forbids these code points; \t \n \r are allowed. docxtpl turns \a (0x07) into a paragraph
# break, so customer text loses it here and only section text gets it back, on blank lines.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")

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
MASKED_ID = "[number removed]"

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


class RoleRow(_Model):
    title: str
    headcount: str
    exemption: str
    pay_basis: str
    pay_rate: str
    annual_pay: str
    weekly_hours: str
    duties: str


class WorkerRow(_Model):
    role: str
    count: str
    state: str
    engagement: str
    hours_per_week: str
    paid_by: str
    controls_schedule: str
    provides_tools: str
    exclusive: str
    core_business: str
    own_business: str
    description: str


class CategoryRow(_Model):
    category: str
    examples: str


class PolicyRow(_Model):
    policy: str
    status: str


class ComplianceContext(_Model):
    """Every intake fact a report prints. Facts of the order's own service are always present: a fact
    the customer did not give reads NOT_PROVIDED (an empty list NONE_LISTED), never a blank. Facts of the
    other services are absent (a template reading them fails the lint's render test)."""

    order_name: str
    service_type: str
    report_title: str
    entity_name: str
    state: str
    report_date: str
    customer_name: str
    customer_email: str | None = None
    sections: dict[str, str]
    notes: str
    # Shared by several services.
    industry: str | None = None
    states_covered: str | None = None
    employee_count: str | None = None
    sells_or_shares: str | None = None
    data_categories: list[CategoryRow] | None = None
    # FLSA Audit
    tracks_hours_worked: str | None = None
    overtime_policy: str | None = None
    pays_bonuses_or_commissions: str | None = None
    roles: list[RoleRow] | None = None
    # CCPA Audit
    annual_revenue: str | None = None
    consumer_count: str | None = None
    revenue_share_from_selling: str | None = None
    uses_sensitive_pi: str | None = None
    has_privacy_policy: str | None = None
    honors_opt_out_signals: str | None = None
    service_providers: str | None = None
    # TCPA Audit
    channels: str | None = None
    consent_capture: str | None = None
    consent_description: str | None = None
    dialer_type: str | None = None
    monthly_volume: str | None = None
    scrubs_national_dnc: str | None = None
    keeps_internal_dnc: str | None = None
    opt_out_timing: str | None = None
    calling_hours_policy: str | None = None
    uses_third_party_vendors: str | None = None
    # Contractor Assessment
    worker_count: str | None = None
    written_agreements: str | None = None
    workers: list[WorkerRow] | None = None
    # Handbook Review
    handbook_last_updated: str | None = None
    has_union_employees: str | None = None
    concerns: str | None = None
    policies_included: str | None = None
    policies: list[PolicyRow] | None = None
    # Breach Response Plan
    data_types: str | None = None
    record_count: str | None = None
    resident_states: str | None = None
    systems: str | None = None
    has_incident_response_team: str | None = None
    has_cyber_insurance: str | None = None
    it_provider: str | None = None
    encrypts_data_at_rest: str | None = None
    past_incidents: str | None = None
    # Privacy Policy
    business_name: str | None = None
    website: str | None = None
    contact_email: str | None = None
    collection_methods: str | None = None
    purposes: str | None = None
    uses_cookies: str | None = None
    uses_analytics_or_ads: str | None = None
    children_under_13: str | None = None


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


# --- compliance intake -> display facts ----------------------------------------------------------------


def _free_text(value: Any) -> str:
    """Customer free text from the intake, with SSN/EIN-shaped numbers masked: a customer who types one into
    a duties or notes box must not see it printed in a report that is emailed and stored."""
    text = EIN_PATTERN.sub(MASKED_ID, clean_text(value))
    return SSN_PATTERN.sub(MASKED_ID, text)


def _opt(value: Any) -> str:
    """An optional text fact: the text, or NOT_PROVIDED."""
    return _free_text(value) or NOT_PROVIDED


def _yes_no(value: bool | None) -> str:
    return NOT_PROVIDED if value is None else ("Yes" if value else "No")


def _count(value: int | float | None) -> str:
    if value is None:
        return NOT_PROVIDED
    return f"{value:,}" if isinstance(value, int) else quantity(value)


def _join(values: Iterable[str], labels: Mapping[str, str] | None = None, empty: str = NONE_LISTED) -> str:
    shown = [labels.get(v, v) if labels else _free_text(v) for v in values]
    return "; ".join(v for v in shown if v) or empty


def _states(codes: Iterable[str], empty: str = NOT_PROVIDED) -> str:
    return ", ".join(STATE_NAMES.get(c, c) for c in codes) or empty


def _categories(values: Iterable[str]) -> list[CategoryRow]:
    return [CategoryRow(category=DATA_CATEGORY_LABELS[v][0], examples=DATA_CATEGORY_LABELS[v][1]) for v in values]


def _flsa(m: FLSAAuditIntake) -> dict[str, Any]:
    roles = []
    for r in m.roles:
        if r.pay_basis == "salary" and r.annual_salary is not None:
            rate = f"{money(r.annual_salary)} per year"
            annual = money(r.annual_salary)
        else:
            hourly = r.hourly_rate or 0
            rate = f"{money(hourly)} per hour"
            # Straight time for the reported hours; overtime premiums are not included in the estimate.
            annual = f"{money(Decimal(str(hourly)) * Decimal(str(r.weekly_hours)) * 52)} (est.)"
        roles.append(
            RoleRow(
                title=_free_text(r.title),
                headcount=_count(r.headcount),
                exemption=EXEMPTION_LABELS[r.exemption_claimed],
                pay_basis=r.pay_basis.capitalize(),
                pay_rate=rate,
                annual_pay=annual,
                weekly_hours=quantity(r.weekly_hours),
                duties=_opt(r.duties),
            )
        )
    return {
        "employee_count": _count(m.headcount),
        "states_covered": _states(m.states),
        "industry": _opt(m.industry),
        "tracks_hours_worked": _yes_no(m.tracks_hours_worked),
        "overtime_policy": _opt(m.overtime_policy),
        "pays_bonuses_or_commissions": _yes_no(m.pays_bonuses_or_commissions),
        "roles": roles,
    }


def _ccpa(m: CCPAAuditIntake) -> dict[str, Any]:
    share = m.revenue_share_from_selling_pct
    return {
        "annual_revenue": money(m.annual_revenue),
        "consumer_count": _count(m.consumer_records),
        "revenue_share_from_selling": NOT_PROVIDED if share is None else percent(share),
        "sells_or_shares": _yes_no(m.sells_or_shares),
        "uses_sensitive_pi": _yes_no(m.uses_sensitive_pi),
        "has_privacy_policy": _yes_no(m.has_privacy_policy),
        "honors_opt_out_signals": _yes_no(m.honors_opt_out_signals),
        "service_providers": _join(m.service_providers),
        "states_covered": _states(m.states),
        "industry": _opt(m.industry),
        "data_categories": _categories(m.data_categories),
    }


def _tcpa(m: TCPAAuditIntake) -> dict[str, Any]:
    days = m.honors_opt_out_within_days
    timing = (
        NOT_PROVIDED if days is None else "Same day" if days == 0 else f"Within {days} day{'s' if days != 1 else ''}"
    )
    return {
        "channels": _join(m.channels, CHANNEL_LABELS),
        "consent_capture": CONSENT_LABELS[m.consent_capture],
        "consent_description": _opt(m.consent_description),
        "dialer_type": DIALER_LABELS[m.dialer_type],
        "monthly_volume": _count(m.monthly_volume),
        "scrubs_national_dnc": _yes_no(m.scrubs_national_dnc),
        "keeps_internal_dnc": _yes_no(m.keeps_internal_dnc),
        "opt_out_timing": timing,
        "calling_hours_policy": _opt(m.calling_hours_policy),
        "uses_third_party_vendors": _yes_no(m.uses_third_party_vendors),
        "states_covered": _states(m.states),
    }


def _contractor(m: ContractorAssessmentIntake) -> dict[str, Any]:
    workers = [
        WorkerRow(
            role=_free_text(w.role),
            count=_count(w.count),
            state=STATE_NAMES.get(w.state, w.state) if w.state else NOT_PROVIDED,
            engagement=NOT_PROVIDED
            if w.engagement_months is None
            else f"{w.engagement_months} month{'s' if w.engagement_months != 1 else ''}",
            hours_per_week=NOT_PROVIDED if w.hours_per_week is None else quantity(w.hours_per_week),
            paid_by=PAID_BY_LABELS[w.paid_by] if w.paid_by else NOT_PROVIDED,
            controls_schedule=_yes_no(w.company_controls_schedule),
            provides_tools=_yes_no(w.company_provides_tools),
            exclusive=_yes_no(w.exclusive_to_company),
            core_business=_yes_no(w.work_is_core_business),
            own_business=_yes_no(w.has_own_business),
            description=_opt(w.description),
        )
        for w in m.workers
    ]
    return {
        "worker_count": _count(sum(w.count for w in m.workers)),
        "employee_count": _count(m.employee_headcount),
        "states_covered": _states(m.states),
        "industry": _opt(m.industry),
        "written_agreements": _yes_no(m.written_agreements),
        "workers": workers,
    }


def _handbook(m: HandbookReviewIntake) -> dict[str, Any]:
    present = set(m.policies_present)
    policies = [
        PolicyRow(policy=label, status="Included" if key in present else "Not reported")
        for key, label in POLICY_LABELS.items()
    ]
    return {
        "employee_count": _count(m.headcount),
        "states_covered": _states(m.states),
        "handbook_last_updated": long_date(m.handbook_last_updated) if m.handbook_last_updated else NOT_PROVIDED,
        "has_union_employees": _yes_no(m.has_union_employees),
        "industry": _opt(m.industry),
        "concerns": _opt(m.concerns),
        "policies_included": f"{len(present)} of {len(POLICY_LABELS)}",
        "policies": policies,
    }


def _breach(m: BreachResponsePlanIntake) -> dict[str, Any]:
    return {
        "data_types": _join(m.data_types, BREACH_DATA_LABELS),
        "record_count": _count(m.record_count),
        "resident_states": _states(m.resident_states),
        "systems": _join(m.systems),
        "has_incident_response_team": _yes_no(m.has_incident_response_team),
        "has_cyber_insurance": _yes_no(m.has_cyber_insurance),
        "it_provider": _opt(m.it_provider),
        "encrypts_data_at_rest": _yes_no(m.encrypts_data_at_rest),
        "past_incidents": _opt(m.past_incidents),
    }


def _privacy(m: PrivacyPolicyIntake) -> dict[str, Any]:
    return {
        "business_name": _free_text(m.business_name),
        "website": _free_text(m.website),
        "contact_email": clean_text(m.contact_email),
        "data_categories": _categories(m.data_categories),
        # Empty lists are gaps the published policy must not paper over: the template prints a note instead.
        "collection_methods": _join(m.collection_methods, empty=NOT_PROVIDED),
        "purposes": _join(m.purposes, empty=NOT_PROVIDED),
        "uses_cookies": _yes_no(m.uses_cookies),
        "uses_analytics_or_ads": _yes_no(m.uses_analytics_or_ads),
        "sells_or_shares": _yes_no(m.sells_or_shares),
        "children_under_13": _yes_no(m.children_under_13),
        "states_covered": _states(m.states),
    }


def intake_facts(intake: IntakeModel) -> dict[str, Any]:
    """The display facts and tables of a validated intake (keys are ComplianceContext fields)."""
    facts: dict[str, Any]
    if isinstance(intake, FLSAAuditIntake):
        facts = _flsa(intake)
    elif isinstance(intake, CCPAAuditIntake):
        facts = _ccpa(intake)
    elif isinstance(intake, TCPAAuditIntake):
        facts = _tcpa(intake)
    elif isinstance(intake, ContractorAssessmentIntake):
        facts = _contractor(intake)
    elif isinstance(intake, HandbookReviewIntake):
        facts = _handbook(intake)
    elif isinstance(intake, BreachResponsePlanIntake):
        facts = _breach(intake)
    elif isinstance(intake, PrivacyPolicyIntake):
        facts = _privacy(intake)
    else:
        raise ContextError(f"no report facts for intake model {type(intake).__name__}")
    facts["notes"] = _opt(intake.notes)
    return facts


def compliance_context(
    order: Mapping[str, Any],
    customer: Mapping[str, Any],
    sections: Mapping[str, str],
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
    wanted = SERVICE_SECTIONS[service_type]
    ctx = ComplianceContext(
        order_name=_require(order, "name", dt),
        service_type=service_type,
        report_title=REPORT_TITLES[service_type],
        entity_name=_require(order, "entity_name", dt),
        state=_require(order, "state", dt),
        report_date=long_date(_as_of(as_of)),
        sections={k: section_text(sections[k]) for k in wanted if k in sections},
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
