from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path

import pytest

from pwcore.compliance.fields import IntakeInvalid
from pwcore.documents import context as ctx
from pwcore.documents import formation, formation_docs
from pwcore.model.formatting import ContextError, count_in_words, long_date, money, percent
from pwdev import samples

SAMPLES = Path(__file__).resolve().parents[2] / "templates" / "samples"


def test_formatting_helpers() -> None:
    assert money(1234.5) == "$1,234.50"
    assert money("0.005") == "$0.01"
    assert money(-5) == "-$5.00"
    assert percent(33.333) == "33.33%"
    assert percent(50) == "50%"
    assert long_date(date(2026, 11, 25)) == "November 25, 2026"
    assert long_date("2026-03-05") == "March 5, 2026"
    assert ctx.section_text("a\nb\n\n\nc\x00\x07") == "a\nb\ac"
    assert count_in_words(1) == "one (1)" and count_in_words(3) == "three (3)"
    assert count_in_words(21) == "twenty-one (21)" and count_in_words(40) == "forty (40)"
    assert count_in_words(150) == "150"


def test_sensitive_values_never_reach_a_context() -> None:
    ssn, ein = "123-45-6789", "98-7654321"
    bundle = formation_docs.load_order(SAMPLES / "single-member-llc-tx.json")
    order = copy.deepcopy(bundle.order)
    order.update(id_value=ssn, tax_id=ein, sensitive_ids=[{"id_type": "SSN", "id_value": ssn}])
    order["members"][0]["ssn"] = ssn
    customer = dict(samples.CUSTOMER, tax_id=ein)
    dumped = json.dumps(formation.formation_context(order, customer, bundle.sales_order))
    assert ssn not in dumped and ein not in dumped  # only the recorded `ein` field ever prints an EIN

    service = samples.compliance_order("FLSA Audit")
    intake = dict(samples.INTAKE["FLSA Audit"], ein=ein, owner_ssn=ssn)
    intake["roles"] = [dict(r, ssn=ssn) for r in intake["roles"]]
    # Typed into free text by the customer: masked, the rest of the text kept.
    intake["roles"][0] = dict(intake["roles"][0], duties=f"Payroll contact, SSN {ssn}, EIN {ein}")
    intake["notes"] = f"Owner SSN is {ssn.replace('-', '')}"
    service["intake_data"] = intake  # a dict works as well as a JSON string
    c = ctx.compliance_context(service, customer, samples.SECTIONS["FLSA Audit"])
    dumped = json.dumps(c)
    assert ssn not in dumped and ein not in dumped and ssn.replace("-", "") not in dumped
    assert c["roles"][0]["duties"] == "Payroll contact, SSN [number removed], EIN [number removed]"


def test_compliance_context_keeps_only_the_services_sections() -> None:
    sections = dict(samples.SECTIONS["TCPA Audit"], executive_summary="One.\n\nTwo.", stray="leak")
    c = ctx.compliance_context(samples.compliance_order("TCPA Audit"), samples.CUSTOMER, sections)
    assert set(c["sections"]) == set(ctx.SERVICE_SECTIONS["TCPA Audit"])
    # Plain text becomes structured content: one paragraph block per blank-line separated paragraph.
    assert c["sections"]["executive_summary"] == {
        "blocks": [{"type": "paragraph", "text": "One."}, {"type": "paragraph", "text": "Two."}], "findings": []}
    assert c["report_title"] == "TCPA Telemarketing Compliance Audit"
    assert c["channels"] == "SMS text messages; Live voice calls"


def test_invoice_totals_include_surcharge() -> None:
    c = ctx.invoice_context(samples.SALES_INVOICE, samples.CUSTOMER)
    assert c["subtotal"] == "$527.00"
    assert c["surcharge_pct"] == "3%" and c["surcharge_amount"] == "$15.81"
    assert c["total"] == "$542.81" and c["balance_due"] == "$0.00" and c["is_paid"] is True
    assert c["lines"][3] == {
        "description": "Certified copy of Articles",
        "quantity": "2",
        "rate": "$25.00",
        "amount": "$50.00",
    }
    assert c["bill_to_address"] == "418 Pearl Street\nBoulder, CO 80302\nUnited States"
    unpaid = ctx.invoice_context(dict(samples.SALES_INVOICE, outstanding_amount=542.81), samples.CUSTOMER)
    assert unpaid["is_paid"] is False and unpaid["balance_due"] == "$542.81"


def test_missing_required_fact_names_it() -> None:
    bundle = formation_docs.load_order(SAMPLES / "single-member-llc-tx.json")
    with pytest.raises(ContextError, match="registered_agent"):
        formation.formation_context(dict(bundle.order, registered_agent=""), bundle.customer)
    with pytest.raises(ContextError, match="intake invalid") as exc:
        ctx.compliance_context(dict(samples.compliance_order("CCPA Audit"), intake_data="{oops"), samples.CUSTOMER, {})
    assert isinstance(exc.value.__cause__, IntakeInvalid)
    secret = "jane.doe@private.example"
    bad = dict(samples.INTAKE["Privacy Policy"], contact_email=secret.replace("@", " at "))
    with pytest.raises(ContextError, match="contact_email") as exc:
        ctx.compliance_context(dict(samples.compliance_order("Privacy Policy"), intake_data=bad), samples.CUSTOMER, {})
    assert "jane.doe" not in str(exc.value)  # names the field, never echoes the value
