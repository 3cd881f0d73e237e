"""Realistic sample ERPNext documents and LLM section text.

Used by tools/make_templates.py to build the manifest's sample contexts (through the real context
builders), by the template lint and by `pw render` demos. Fictional people and companies only.
"""

from __future__ import annotations

import json
from datetime import date
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

SECTIONS: dict[str, dict[str, str]] = {
    "FLSA Audit": {
        "executive_summary": (
            "We reviewed the classification and pay practices for 42 employees across five roles. "
            "Three roles are classified correctly. Two roles present material exposure under the Fair "
            "Labor Standards Act.\n\nThe most significant finding is that Shift Leads are treated as "
            "exempt although their $41,600 salary falls below Colorado's salary threshold for exempt "
            "employees (it is above the federal $684 a week) and their duties are primarily non-managerial."
        ),
        "classification_analysis": (
            "Shift Lead (6 employees): paid a salary of $41,600 and classified as exempt executive "
            "employees. The salary basis test is met, but the salary level test is not, and the primary "
            "duty is serving customers rather than management.\n\nRoaster (4 employees): hourly and "
            "non-exempt; overtime is paid at 1.5x for hours over 40 per workweek. No issue found."
        ),
        "remediation_plan": (
            "1. Reclassify Shift Leads as non-exempt effective the next pay period.\n"
            "2. Calculate back overtime for the two-year look-back period.\n"
            "3. Implement timekeeping for all non-exempt staff, including pre-shift work.\n\n"
            "We recommend completing steps 1 and 3 within 30 days."
        ),
    },
    "CCPA Audit": {
        "executive_summary": (
            "The business meets the CCPA revenue threshold and is subject to the CCPA as amended by the "
            "CPRA. Its online privacy notice predates the CPRA amendments.\n\nWe identified six gaps, two "
            "of them high priority."
        ),
        "applicability_analysis": (
            "Annual gross revenue exceeds the current threshold. The business does not sell personal "
            "information, but it shares identifiers with an advertising partner for cross-context "
            "behavioral advertising, which the CPRA treats as sharing."
        ),
        "gap_analysis": (
            'No "Do Not Sell or Share My Personal Information" link is displayed.\n'
            "Global Privacy Control signals are not honored.\n\nRetention periods are not disclosed "
            "for each category of personal information."
        ),
        "remediation_plan": (
            "Add an opt-out link and honor GPC signals within 30 days. Update the privacy notice with "
            "retention periods and the categories of third parties within 45 days."
        ),
    },
    "TCPA Audit": {
        "executive_summary": (
            "Outbound SMS marketing relies on consent captured at checkout. The consent language does "
            "not meet the prior express written consent standard for autodialed marketing texts."
        ),
        "consent_analysis": (
            "The checkout checkbox is pre-checked and bundled with the terms of service.\n\nConsent "
            "records do not store the disclosure text shown at the time of consent."
        ),
        "risk_assessment": (
            "Statutory damages are $500 to $1,500 per message. At 19,200 messages per month the "
            "exposure is significant. Risk rating: High."
        ),
        "remediation_plan": (
            "Replace the pre-checked box with an unchecked, stand-alone consent disclosure; store the "
            "disclosure version with each consent record; scrub against the National DNC Registry every "
            "31 days."
        ),
    },
    "Contractor Assessment": {
        "executive_summary": (
            "Of 9 workers engaged as independent contractors, 7 (the 4 delivery drivers and 3 event "
            "baristas) are likely employees under the IRS common-law test and Colorado law."
        ),
        "classification_analysis": (
            "Delivery drivers work fixed shifts set by the company, use company vehicles and perform "
            "the core work of the business.\n\nThe web developer sets their own schedule, invoices "
            "several clients and supplies their own tools."
        ),
        "recommendations": (
            "Convert delivery drivers to W-2 employment. Keep the web developer as a contractor under "
            "a written agreement that reflects actual practice."
        ),
    },
    "Handbook Review": {
        "executive_summary": (
            "The 2023 handbook covers most core policies but predates several state law changes, "
            "including paid family leave and updated harassment-training requirements."
        ),
        "policy_gaps": (
            "Paid leave: no reference to the state paid family and medical leave program.\n"
            "Sick leave: no policy on Colorado paid sick leave (Healthy Families and Workplaces Act).\n\n"
            "Pay transparency: no policy on salary ranges in postings."
        ),
        "recommendations": (
            "Adopt the revised leave policy, add a pay-transparency policy and obtain signed "
            "acknowledgments from all employees."
        ),
    },
    "Breach Response Plan": {
        "executive_summary": (
            "This plan sets out how the company detects, contains and reports a security incident "
            "involving personal information."
        ),
        "response_procedures": (
            "Detection: any employee who suspects an incident reports it to the Incident Lead at once.\n"
            "Containment: isolate affected systems and preserve logs.\n\nAssessment: determine the data "
            "involved and the residents affected within 72 hours."
        ),
        "notification_plan": (
            "Notify affected Colorado residents within 30 days of determining that a breach occurred. "
            "Notify the Attorney General when 500 or more residents are affected."
        ),
    },
    "Privacy Policy": {
        "overview": (
            "This Privacy Policy explains how we collect, use and share personal information when you "
            "visit our website or buy from us."
        ),
        "data_practices": (
            "We collect contact and order details to fulfil purchases.\n\nWe use analytics cookies to "
            "understand how visitors use our website."
        ),
        "consumer_rights": (
            "You may request access to, correction of, or deletion of your personal information by "
            "emailing us. We will not discriminate against you for exercising these rights."
        ),
    },
}

# Sample intake per service, in the shape of the intake models (pwcore.intake, the source of truth for
# `intake_data`): compliance_context() validates them with parse_intake, so an invalid sample stops
# tools/make_templates.py. The facts match the sample section text above.
INTAKE: dict[str, dict[str, Any]] = {
    "FLSA Audit": {
        "headcount": 42,
        "states": ["CO"],
        "industry": "Specialty coffee roasting and cafés",
        "roles": [
            {
                "title": "Shift Lead",
                "headcount": 6,
                "pay_basis": "salary",
                "annual_salary": 41600,
                "weekly_hours": 48,
                "exemption_claimed": "executive",
                "duties": "Opens and closes the café, works the register and espresso bar, directs baristas.",
            },
            {
                "title": "Barista",
                "headcount": 26,
                "pay_basis": "hourly",
                "hourly_rate": 17.5,
                "weekly_hours": 32,
                "duties": "Prepares drinks and serves customers.",
            },
            {
                "title": "Roaster",
                "headcount": 4,
                "pay_basis": "hourly",
                "hourly_rate": 23,
                "weekly_hours": 42,
                "duties": "Roasts, cups and packs coffee to the production plan.",
            },
            {
                "title": "Café Manager",
                "headcount": 4,
                "pay_basis": "salary",
                "annual_salary": 58000,
                "weekly_hours": 45,
                "exemption_claimed": "executive",
                "duties": "Runs one café: hires, schedules and evaluates staff; manages inventory and budget.",
            },
            {
                "title": "Office Administrator",
                "headcount": 2,
                "pay_basis": "salary",
                "annual_salary": 47500,
                "weekly_hours": 40,
                "exemption_claimed": "administrative",
                "duties": "Payroll inputs, vendor invoices, benefits enrolment.",
            },
        ],
        "tracks_hours_worked": True,
        "overtime_policy": "Overtime is paid at 1.5x for hours over 40 in a workweek and must be pre-approved.",
        "pays_bonuses_or_commissions": True,
    },
    "CCPA Audit": {
        "annual_revenue": 31500000,
        "consumer_records": 120000,
        "data_categories": ["identifiers", "commercial_information", "internet_activity"],
        "sells_or_shares": True,
        "uses_sensitive_pi": False,
        "has_privacy_policy": True,
        "honors_opt_out_signals": False,
        "service_providers": ["Shopify", "Klaviyo", "Google Analytics"],
        "states": ["CO", "CA"],
        "industry": "Specialty coffee retail and e-commerce",
    },
    "TCPA Audit": {
        "channels": ["sms", "voice"],
        "consent_capture": "web_form",
        "consent_description": "Pre-checked box at checkout, bundled with the terms of service.",
        "dialer_type": "predictive",
        "monthly_volume": 19200,
        "scrubs_national_dnc": False,
        "keeps_internal_dnc": True,
        "honors_opt_out_within_days": 10,
        "calling_hours_policy": "Texts and calls between 9 a.m. and 8 p.m. Mountain time.",
        "uses_third_party_vendors": True,
        "states": ["CO", "CA", "TX"],
    },
    "Contractor Assessment": {
        "workers": [
            {
                "role": "Delivery driver",
                "count": 4,
                "state": "CO",
                "engagement_months": 24,
                "hours_per_week": 35,
                "paid_by": "daily",
                "company_controls_schedule": True,
                "company_provides_tools": True,
                "exclusive_to_company": True,
                "work_is_core_business": True,
                "has_own_business": False,
                "description": "Fixed delivery routes in company vans, shifts set by the café managers.",
            },
            {
                "role": "Web developer",
                "count": 1,
                "state": "CO",
                "engagement_months": 8,
                "hours_per_week": 10,
                "paid_by": "project",
                "company_controls_schedule": False,
                "company_provides_tools": False,
                "exclusive_to_company": False,
                "work_is_core_business": False,
                "has_own_business": True,
                "description": "Maintains the online store; invoices several clients.",
            },
            {
                "role": "Event barista",
                "count": 3,
                "state": "CO",
                "engagement_months": 6,
                "hours_per_week": 12,
                "paid_by": "hourly",
                "company_controls_schedule": True,
                "company_provides_tools": True,
            },
            {"role": "Bookkeeper", "count": 1, "paid_by": "retainer", "has_own_business": True},
        ],
        "employee_headcount": 42,
        "states": ["CO"],
        "industry": "Specialty coffee roasting and cafés",
        "written_agreements": True,
    },
    "Handbook Review": {
        "headcount": 42,
        "states": ["CO"],
        "policies_present": [
            "at_will",
            "equal_employment",
            "anti_harassment",
            "complaint_procedure",
            "paid_time_off",
            "overtime",
            "meal_rest_breaks",
            "timekeeping",
            "drug_alcohol",
            "discipline",
            "confidentiality",
        ],
        "handbook_last_updated": "2023-02-01",
        "has_union_employees": False,
        "industry": "Specialty coffee roasting and cafés",
        "concerns": "Colorado paid family and medical leave (FAMLI) and pay transparency in job postings.",
    },
    "Breach Response Plan": {
        "data_types": ["contact_information", "payment_card", "ssn", "financial_account", "employee_records"],
        "record_count": 48000,
        "resident_states": ["CO", "CA", "TX", "NY"],
        "systems": ["Shopify store", "Gusto payroll", "Google Workspace"],
        "has_incident_response_team": False,
        "has_cyber_insurance": True,
        "it_provider": "Front Range Managed IT",
        "encrypts_data_at_rest": True,
        "past_incidents": "A phishing attempt in 2025 was reported by staff; no data was accessed.",
    },
    "Privacy Policy": {
        "business_name": "Juniper Ridge Coffee Roasters LLC",
        "website": "https://juniperridge.example",
        "contact_email": "privacy@juniperridge.example",
        "data_categories": ["identifiers", "commercial_information", "internet_activity"],
        "collection_methods": ["Online checkout", "Account sign-up", "Cookies and similar technologies"],
        "purposes": ["Fulfilling orders", "Customer support", "Marketing emails you sign up for", "Site analytics"],
        "uses_cookies": True,
        "uses_analytics_or_ads": True,
        "sells_or_shares": False,
        "children_under_13": False,
        "states": ["CO", "CA"],
    },
}

SLUGS: dict[str, str] = {
    "FLSA Audit": "flsa-audit-report",
    "CCPA Audit": "ccpa-audit-report",
    "TCPA Audit": "tcpa-audit-report",
    "Contractor Assessment": "contractor-assessment",
    "Handbook Review": "handbook-review",
    "Breach Response Plan": "breach-response-plan",
    "Privacy Policy": "privacy-policy",
}


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
