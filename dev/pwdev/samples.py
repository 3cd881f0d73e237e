"""Realistic sample ERPNext documents and LLM section text.

Used by tools/make_templates.py to build the manifest's sample contexts (through the real context
builders), by the template lint and by `pw render` demos. Fictional people and companies only.
"""

from __future__ import annotations

import json
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

SAMPLE_DATE = date(2026, 11, 25)

CUSTOMER: dict[str, Any] = {
    "name": "CUST-00042",
    "customer_name": "Juniper Ridge Coffee Roasters LLC",
    "email_id": "owner@juniperridge.example",
}

FORMATION_ORDER: dict[str, Any] = {
    "doctype": "Formation Order",
    "name": "FO-2026-0042",
    "customer": "CUST-00042",
    "entity_name": "Juniper Ridge Coffee Roasters LLC",
    "entity_type": "LLC",
    "state": "Colorado",
    "management_type": "Member-Managed",
    "registered_agent": "Front Range Registered Agents, Inc., 1600 Broadway, Suite 400, Denver, CO 80202",
    "members": [
        {
            "idx": 1,
            "member_name": "Alicia M. Fernández",
            "ownership_pct": 50,
            "capital": 25000,
            "address": "418 Pearl Street, Boulder, CO 80302",
            "role": "Member",
        },
        {
            "idx": 2,
            "member_name": "Marcus T. Okafor",
            "ownership_pct": 30,
            "capital": 15000,
            "address": "92 Larimer Square, Denver, CO 80202",
            "role": "Member",
        },
        {
            "idx": 3,
            "member_name": "Harbor Lane Holdings LLC",
            "ownership_pct": 20,
            "capital": 10000,
            "address": "2100 Blake Street, Denver, CO 80205",
            "role": "Member",
        },
    ],
    "add_ons": [
        {"idx": 1, "add_on": "EIN Filing", "description": "Federal employer identification number", "amount": 79},
        {"idx": 2, "add_on": "Operating Agreement", "description": "Custom operating agreement", "amount": 99},
    ],
    "status": "Processing",
}

# The compliance samples (intake and section output) sit in each service's folder, shared/pwcore/compliance/
# services/<slug>/sample.json, with the service's identity in service.toml there. They are read as files, not
# imported: this module never imports pwcore.
SERVICES_DIR = Path(__file__).resolve().parents[2] / "shared" / "pwcore" / "compliance" / "services"


def _service_folders() -> list[tuple[int, str, str, Path]]:
    out = []
    for spec in SERVICES_DIR.glob("*/service.toml"):
        with spec.open("rb") as fh:
            raw = tomllib.load(fh)
        out.append((int(raw["order"]), raw["service_type"], raw["template"], spec.parent))
    return sorted(out)


def _sample(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "sample.json").read_text(encoding="utf-8"))
    return data


# Sample section output and intake per service (the intake in the shape of the service's intake model:
# compliance_context() validates it with parse_intake, so an invalid sample stops tools/make_templates.py).
SECTIONS: dict[str, dict[str, Any]] = {svc: _sample(folder)["sections"] for _, svc, _, folder in _service_folders()}
INTAKE: dict[str, dict[str, Any]] = {svc: _sample(folder)["intake"] for _, svc, _, folder in _service_folders()}
# service type -> template id
SLUGS: dict[str, str] = {svc: template for _, svc, template, _ in _service_folders()}


def compliance_order(service_type: str) -> dict[str, Any]:
    n = sorted(SLUGS).index(service_type) + 1
    return {
        "doctype": "Compliance Service",
        "name": f"CS-2026-{n:04d}",
        "customer": "CUST-00042",
        "service_type": service_type,
        "entity_name": "Juniper Ridge Coffee Roasters LLC",
        "state": "Colorado",
        "intake_data": json.dumps(INTAKE[service_type]),
        "status": "Processing",
    }


SALES_INVOICE: dict[str, Any] = {
    "doctype": "Sales Invoice",
    "name": "ACC-SINV-2026-00042",
    "customer": "CUST-00042",
    "posting_date": "2026-11-25",
    "due_date": "2026-11-25",
    "currency": "USD",
    "custom_surcharge_pct": 3,
    "custom_payment_gateway": "Stripe",
    "address_display": "418 Pearl Street<br>Boulder, CO 80302<br>United States",
    "items": [
        {
            "idx": 1,
            "item_code": "FORMATION-LLC",
            "item_name": "LLC Formation (Colorado)",
            "qty": 1,
            "rate": 299,
            "amount": 299,
            "sales_order": "SAL-ORD-2026-00042",
        },
        {
            "idx": 2,
            "item_code": "EIN",
            "item_name": "EIN Filing",
            "qty": 1,
            "rate": 79,
            "amount": 79,
            "sales_order": "SAL-ORD-2026-00042",
        },
        {
            "idx": 3,
            "item_code": "OA",
            "item_name": "Custom Operating Agreement",
            "qty": 1,
            "rate": 99,
            "amount": 99,
            "sales_order": "SAL-ORD-2026-00042",
        },
        {
            "idx": 4,
            "item_code": "CERT-COPY",
            "item_name": "Certified copy of Articles",
            "qty": 2,
            "rate": 25,
            "amount": 50,
            "sales_order": "SAL-ORD-2026-00042",
        },
    ],
    "total_taxes_and_charges": 0,
    "outstanding_amount": 0,
}
