"""The compliance reports fit the intake models (pwcore.intake, the source of truth for `intake_data`):
an intake valid for its service renders to a PDF holding the customer's facts, a minimal intake renders
with its gaps stated as "Not provided", and every label the reports print covers every model value."""

from __future__ import annotations

import json
import re
import types
import typing
from datetime import date
from typing import Any

import pytest

from pwcore.clients.libreoffice import PdfConverter
from pwcore.compliance.intake import INTAKE_MODELS, parse_intake
from pwcore.compliance.services.breach_response_plan import BREACH_DATA_LABELS, BreachResponsePlanIntake
from pwcore.compliance.services.ccpa_audit import CCPAAuditIntake
from pwcore.compliance.services.common import DATA_CATEGORY_LABELS, NOT_PROVIDED, STATE_NAMES
from pwcore.compliance.services.contractor_assessment import PAID_BY_LABELS, ContractorWorker
from pwcore.compliance.services.flsa_audit import EXEMPTION_LABELS, FLSARole
from pwcore.compliance.services.handbook_review import POLICY_LABELS, HandbookReviewIntake
from pwcore.compliance.services.privacy_policy import PrivacyPolicyIntake
from pwcore.compliance.services.tcpa_audit import CHANNEL_LABELS, CONSENT_LABELS, DIALER_LABELS, TCPAAuditIntake
from pwcore.documents import context as ctx
from pwcore.documents import registry
from pwcore.documents.pdf_check import pdf_opens, pdf_text
from pwcore.documents.render import declared_fields, render_docx
from pwcore.model.formatting import ContextError
from pwdev import samples
from pwdev.demo import FLSA_INTAKE as DEMO_FLSA_INTAKE

SERVICES = sorted(INTAKE_MODELS)
AS_OF = date(2026, 11, 25)

# Only the fields each model requires.
MINIMAL_INTAKE: dict[str, dict[str, Any]] = {
    "FLSA Audit": {
        "headcount": 3,
        "states": ["WA"],
        "roles": [{"title": "Line Cook", "pay_basis": "hourly", "hourly_rate": 19.25, "weekly_hours": 38}],
    },
    "CCPA Audit": {
        "annual_revenue": 2600000,
        "consumer_records": 150000,
        "data_categories": ["geolocation"],
        "sells_or_shares": False,
    },
    "TCPA Audit": {"channels": ["fax"], "consent_capture": "unknown", "dialer_type": "manual", "monthly_volume": 300},
    "Contractor Assessment": {"workers": [{"role": "Wedding photographer"}]},
    "Handbook Review": {"headcount": 7, "states": ["OR"]},
    "Breach Response Plan": {"data_types": ["health"], "record_count": 900, "resident_states": ["NV"]},
    "Privacy Policy": {
        "business_name": "Tiny Shop LLC",
        "website": "tinyshop.example",
        "contact_email": "hi@tinyshop.example",
        "data_categories": ["identifiers"],
        "sells_or_shares": False,
    },
}

# What the rendered report of samples.INTAKE must show (the customer's facts, as displayed).
REALISTIC_FACTS: dict[str, list[str]] = {
    "FLSA Audit": [
        "Shift Lead",
        "$41,600.00",
        "$29,120.00",
        "(est.)",
        "Office Administrator",
        "Administrative",
        "Colorado",
        "1.5x for hours over 40 in a workweek",
        "Runs one café",
    ],
    "CCPA Audit": ["$31,500,000.00", "120,000", "Klaviyo", "Internet or network activity", "Commercial information"],
    "TCPA Audit": ["SMS text messages; Live voice calls", "19,200", "Predictive dialer", "Within 10 days",
                   "Pre-checked box at checkout", "Texas"],
    "Contractor Assessment": ["Delivery driver", "Web developer", "Bookkeeper", "24 months", "Daily rate",
                              "Retainer", "Fixed delivery routes", "9 workers in total"],
    "Handbook Review": ["February 1, 2023", "11 of 18", "Sick leave", "Not reported", "FAMLI"],
    "Breach Response Plan": ["48,000", "Payment card numbers", "Gusto payroll", "Front Range Managed IT",
                             "New York", "To be assigned"],
    "Privacy Policy": ["privacy@juniperridge.example", "Online checkout", "Fulfilling orders",
                       # the sample uses site analytics: the policy discloses sharing and the opt-out link
                       "Do Not Sell or Share My Personal Information", "We use cookies",
                       "not directed to children under 13"],
}  # fmt: skip

MINIMAL_FACTS: dict[str, list[str]] = {
    "FLSA Audit": ["Line Cook", "$19.25 per hour", "$38,038.00", "Washington"],
    "CCPA Audit": ["$2,600,000.00", "150,000", "Geolocation data", "None listed"],
    "TCPA Audit": ["Fax", "Manual dialing", "Unknown"],
    "Contractor Assessment": ["Wedding photographer", "1 workers in total"],
    "Handbook Review": ["Oregon", "0 of 18"],
    "Breach Response Plan": ["Health or medical information", "900", "Nevada", "None listed"],
    "Privacy Policy": ["Tiny Shop LLC", "hi@tinyshop.example", "Cookies: not provided",
                       "How you collect personal information: not provided",
                       "Analytics and advertising: not provided"],
}  # fmt: skip


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _order(service: str, intake: dict[str, Any]) -> dict[str, Any]:
    # intake_data as ERPNext returns it: JSON text.
    return dict(samples.compliance_order(service), intake_data=json.dumps(intake))


def _render_pdf_text(service: str, intake: dict[str, Any], converter: PdfConverter) -> tuple[dict[str, Any], str]:
    parse_intake(service, intake)  # the intake is valid for its service
    c = ctx.compliance_context(_order(service, intake), samples.CUSTOMER, samples.SECTIONS[service], as_of=AS_OF)
    ctx.ComplianceContext.model_validate(c)
    slug = samples.SLUGS[service]
    pdf = converter.convert(render_docx(registry.template_bytes(slug), c))
    assert pdf_opens(pdf)
    text = _norm(pdf_text(pdf))
    assert "{{" not in text and "{%" not in text
    assert c["entity_name"] in text and "Page 1 of" in text
    return c, text


@pytest.mark.parametrize("service", SERVICES)
def test_realistic_intake_renders_the_customers_facts(service: str, converter: PdfConverter) -> None:
    _, text = _render_pdf_text(service, samples.INTAKE[service], converter)
    missing = [fact for fact in REALISTIC_FACTS[service] if fact not in text]
    assert not missing, f"{service}: facts missing from the PDF: {missing}"


@pytest.mark.parametrize("service", SERVICES)
def test_minimal_intake_renders_with_gaps_stated(service: str, converter: PdfConverter) -> None:
    c, text = _render_pdf_text(service, MINIMAL_INTAKE[service], converter)
    missing = [fact for fact in MINIMAL_FACTS[service] if fact not in text]
    assert not missing, f"{service}: facts missing from the PDF: {missing}"
    if service == "Privacy Policy":
        # The published policy states the gap as a note to the client, not as a key-facts row.
        assert "not provided" in text
    else:
        assert "Not provided" in text
    assert c["notes"] == NOT_PROVIDED


@pytest.mark.parametrize("service", SERVICES)
def test_absent_optional_facts_keep_their_key(service: str) -> None:
    """A missing optional fact never removes a key, so the template's fields are always defined."""
    full = ctx.compliance_context(_order(service, samples.INTAKE[service]), samples.CUSTOMER, {}, as_of=AS_OF)
    minimal = ctx.compliance_context(_order(service, MINIMAL_INTAKE[service]), samples.CUSTOMER, {}, as_of=AS_OF)
    assert set(full) == set(minimal)
    assert all(v != "" for v in minimal.values()), "a blank fact would print a silent gap"
    # Every field the service's template reads is one the builder fills for this service.
    used = declared_fields(registry.template_bytes(samples.SLUGS[service]))
    assert used <= set(minimal) | {"sections"}, used - set(minimal)


def test_demo_flsa_intake_validates_and_renders(converter: PdfConverter) -> None:
    _, text = _render_pdf_text("FLSA Audit", DEMO_FLSA_INTAKE, converter)
    for fact in (
        "Store Manager",
        "$61,000.00",
        "Sales Associate",
        "$16.50 per hour",
        "$30,888.00",
        "Texas, California",
    ):
        assert fact in text, fact


def test_hourly_pay_is_an_estimate_and_parsed_model_is_accepted() -> None:
    intake = {
        "headcount": 14,
        "states": ["CA", "tx"],
        "roles": [
            {"title": "Technician", "headcount": 8, "pay_basis": "hourly", "hourly_rate": 24.5, "weekly_hours": 44},
            {"title": "Office Manager", "pay_basis": "salary", "annual_salary": 52000, "weekly_hours": 48.5,
             "exemption_claimed": "administrative"},
        ],
        "tracks_hours_worked": False,
    }  # fmt: skip
    model = parse_intake("FLSA Audit", intake)
    order = samples.compliance_order("FLSA Audit")
    c = ctx.compliance_context(order, samples.CUSTOMER, {}, as_of=AS_OF, intake=model)
    tech, manager = c["roles"]
    assert tech["annual_pay"] == "$56,056.00 (est.)" and tech["pay_rate"] == "$24.50 per hour"
    assert manager["annual_pay"] == "$52,000.00" and manager["weekly_hours"] == "48.5"
    assert manager["exemption"] == "Administrative" and tech["exemption"] == "None (non-exempt)"
    assert manager["headcount"] == "1" and tech["duties"] == NOT_PROVIDED
    assert c["states_covered"] == "California, Texas" and c["tracks_hours_worked"] == "No"
    assert c["overtime_policy"] == NOT_PROVIDED and c["pays_bonuses_or_commissions"] == NOT_PROVIDED
    # Passing the parsed model gives the same context as parsing order["intake_data"].
    assert c == ctx.compliance_context(dict(order, intake_data=intake), samples.CUSTOMER, {}, as_of=AS_OF)
    with pytest.raises(ContextError, match="does not belong"):
        ctx.compliance_context(
            order, samples.CUSTOMER, {}, intake=parse_intake("Handbook Review", MINIMAL_INTAKE["Handbook Review"])
        )


def _literal_values(annotation: Any) -> set[str]:
    """Every Literal value inside an annotation (through list[...], X | None, Annotated)."""
    if typing.get_origin(annotation) is typing.Literal:
        return {str(v) for v in typing.get_args(annotation)}
    out: set[str] = set()
    if typing.get_origin(annotation) is not None or isinstance(annotation, types.UnionType):
        for arg in typing.get_args(annotation):
            out |= _literal_values(arg)
    return out


@pytest.mark.parametrize(
    ("model", "field", "labels"),
    [
        (FLSARole, "exemption_claimed", EXEMPTION_LABELS),
        (CCPAAuditIntake, "data_categories", DATA_CATEGORY_LABELS),
        (PrivacyPolicyIntake, "data_categories", DATA_CATEGORY_LABELS),
        (TCPAAuditIntake, "channels", CHANNEL_LABELS),
        (TCPAAuditIntake, "consent_capture", CONSENT_LABELS),
        (TCPAAuditIntake, "dialer_type", DIALER_LABELS),
        (ContractorWorker, "paid_by", PAID_BY_LABELS),
        (HandbookReviewIntake, "policies_present", POLICY_LABELS),
        (BreachResponsePlanIntake, "data_types", BREACH_DATA_LABELS),
    ],
)
def test_every_model_value_has_a_label(model: Any, field: str, labels: dict[str, Any]) -> None:
    values = _literal_values(model.model_fields[field].annotation)
    assert values and values == set(labels)


def test_every_state_code_has_a_name() -> None:
    from pwcore.compliance.fields import US_STATES

    assert set(STATE_NAMES) == US_STATES


def test_sample_intakes_validate_and_feed_the_manifest() -> None:
    for service in SERVICES:
        parse_intake(service, samples.INTAKE[service])
        sample = registry.template(samples.SLUGS[service]).sample
        assert sample["notes"] and sample["service_type"] == service
