"""Sample CRTC Orders (as ERPNext returns them) for the CRTC document set: the three variants the
documents branch on. Used by tests/test_crtc.py and for eyeballing rendered PDFs."""

from __future__ import annotations

from datetime import date
from typing import Any

AS_OF = date(2026, 12, 1)

CUSTOMER: dict[str, Any] = {"name": "CUST-0042", "customer_name": "Northern Lights Telecom Inc."}

# A US-incorporated reseller of local VoIP, Internet and international calling (BITS needed, 9-1-1).
VOIP_RESELLER: dict[str, Any] = {
    "name": "CR-2026-0001",
    "doctype": "CRTC Order",
    "customer": "CUST-0042",
    "sales_order": "SO-2026-0107",
    "order_kind": "Bundle",
    "formation_order": "FO-2026-0031",
    "carrier_legal_name": "Northern Lights Telecom Inc.",
    "operating_names": "Aurora Voice\nAurora Connect",
    "province": "Ontario",
    "entity_form": "Corporation",
    "corporation_number": "",
    "incorporation_jurisdiction": "Delaware",
    "incorporation_date": "2026-11-20",
    "head_office_address": "100 King Street West, Suite 5600\nToronto, Ontario M5X 1C9",
    "employee_count": 6,
    "revenue_band": "$10 million to under $25 million",
    "service_resale": 1,
    "service_facilities_based": 0,
    "service_international": 1,
    "service_local_voip": 1,
    "service_wireless": 0,
    "service_internet": 1,
    "service_description": ("Hosted VoIP lines, long distance and resold high-speed Internet for small businesses "
                            "in Ontario."),
    "service_area": "Ontario",
    "ownership_basis": "",
    "telemarketing": 1,
    "principal_contact_name": "Dana Whitfield",
    "principal_contact_title": "President",
    "principal_contact_email": "dana@aurora-voice.example",
    "principal_contact_phone": "+1 416 555 0134",
    "regulatory_contact_name": "Marc Tremblay",
    "regulatory_contact_title": "Regulatory Affairs Manager",
    "regulatory_contact_email": "regulatory@aurora-voice.example",
    "regulatory_contact_phone": "+1 416 555 0199",
    "deponent_residence": "the City of Toronto, in the Province of Ontario, Canada",
    "ccts_status": "Not a participant",
    "launch_date": "2027-02-01",
    "status": "Processing",
    "document_version": 0,
}

# A Canadian-owned facilities-based wireless carrier (ownership statement, wireless 9-1-1, no BITS).
WIRELESS_CARRIER: dict[str, Any] = {
    **VOIP_RESELLER,
    "name": "CR-2026-0002",
    "order_kind": "CRTC",
    "formation_order": "",
    "carrier_legal_name": "Prairie Spectrum Networks Ltd.",
    "operating_names": "",
    "province": "Saskatchewan",
    "corporation_number": "1234567-8",
    "incorporation_jurisdiction": "Canada (CBCA)",
    "head_office_address": "2100 Albert Street\nRegina, Saskatchewan S4P 2V1",
    "employee_count": 140,
    "revenue_band": "$25 million or more",
    "service_resale": 0,
    "service_facilities_based": 1,
    "service_international": 0,
    "service_local_voip": 0,
    "service_wireless": 1,
    "service_internet": 1,
    "service_description": "",
    "service_area": "Saskatchewan and Manitoba",
    "ownership_basis": "Canadian-owned and controlled",
    "telemarketing": 0,
    "principal_contact_name": "Harpreet Sandhu",
    "principal_contact_title": "Chief Executive Officer",
    "principal_contact_email": "h.sandhu@prairiespectrum.example",
    "principal_contact_phone": "+1 306 555 0110",
    "regulatory_contact_name": "Elise Fortin",
    "regulatory_contact_title": "",
    "regulatory_contact_email": "regulatory@prairiespectrum.example",
    "regulatory_contact_phone": "+1 306 555 0120",
    "deponent_residence": "",
    "ccts_status": "Participant",
    "launch_date": "",
}

# The smallest case: a reseller of Internet access only.
INTERNET_RESELLER: dict[str, Any] = {
    **VOIP_RESELLER,
    "name": "CR-2026-0003",
    "order_kind": "CRTC",
    "carrier_legal_name": "Bayside Fibre Resale Corp.",
    "operating_names": "",
    "province": "",
    "incorporation_jurisdiction": "Nova Scotia",
    "incorporation_date": "",
    "head_office_address": "1 Ocean Drive, Portland, Maine 04101, USA",
    "employee_count": 25,
    "revenue_band": "Under $10 million",
    "service_international": 0,
    "service_local_voip": 0,
    "service_internet": 1,
    "telemarketing": 0,
}

SAMPLES: dict[str, dict[str, Any]] = {
    "voip_reseller": VOIP_RESELLER,
    "wireless_carrier": WIRELESS_CARRIER,
    "internet_reseller": INTERNET_RESELLER,
}


def sample_context(key: str = "voip_reseller") -> dict[str, Any]:
    from pwcore.documents.crtc import document_context

    return document_context(SAMPLES[key], CUSTOMER, as_of=AS_OF)
