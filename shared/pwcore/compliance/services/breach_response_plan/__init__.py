"""Breach Response Plan: detection, containment and notification for incidents affecting personal data."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from pwcore.compliance.fields import Count, IntakeModel, ShortText, Text, USState
from pwcore.compliance.services import define
from pwcore.compliance.services.common import Facts, count, join, opt, states, yes_no
from pwcore.compliance.services.report_spec import ReportSpec

BreachDataType = Literal[
    "ssn",
    "drivers_license",
    "financial_account",
    "payment_card",
    "health",
    "biometric",
    "login_credentials",
    "contact_information",
    "dates_of_birth",
    "employee_records",
]


class BreachResponsePlanIntake(IntakeModel):
    data_types: Annotated[list[BreachDataType], Field(min_length=1, max_length=10)]
    record_count: Count
    resident_states: Annotated[list[USState], Field(min_length=1, max_length=56)]
    systems: Annotated[list[ShortText], Field(max_length=50)] = []
    has_incident_response_team: bool | None = None
    has_cyber_insurance: bool | None = None
    it_provider: ShortText | None = None
    encrypts_data_at_rest: bool | None = None
    past_incidents: Text | None = None

    @property
    def states(self) -> list[str]:
        """The states whose facts ground the prompts (ServiceDef.grounding reads `states`)."""
        return list(self.resident_states)


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


class BreachFacts(Facts):
    data_types: str
    record_count: str
    resident_states: str
    systems: str
    has_incident_response_team: str
    has_cyber_insurance: str
    it_provider: str
    encrypts_data_at_rest: str
    past_incidents: str


def build_facts(m: BreachResponsePlanIntake) -> dict[str, Any]:
    return {
        "data_types": join(m.data_types, BREACH_DATA_LABELS),
        "record_count": count(m.record_count),
        "resident_states": states(m.resident_states),
        "systems": join(m.systems),
        "has_incident_response_team": yes_no(m.has_incident_response_team),
        "has_cyber_insurance": yes_no(m.has_cyber_insurance),
        "it_provider": opt(m.it_provider),
        "encrypts_data_at_rest": yes_no(m.encrypts_data_at_rest),
        "past_incidents": opt(m.past_incidents),
    }


REPORT = ReportSpec(
    "This plan addresses incidents affecting personal information held by {{ entity_name }}, under the breach "
    "notification laws of the states where the affected individuals live and of {{ state }}, organised on the "
    "NIST SP 800-61 incident response life cycle. Test the plan at least once a year and after any significant "
    "change to the systems listed above.",
    (
        ("Personal information held", "{{ data_types }}", None),
        ("Records held", "{{ record_count }}", None),
        ("States where individuals live", "{{ resident_states }}", None),
        ("Systems holding the data", "{{ systems }}", None),
        ("Incident response team in place", "{{ has_incident_response_team }}", None),
        ("Cyber insurance", "{{ has_cyber_insurance }}", None),
        ("IT provider", "{{ it_provider }}", None),
        ("Encrypts data at rest", "{{ encrypts_data_at_rest }}", None),
        ("Past incidents", "{{ past_incidents }}", None),
    ),
    (
        ("Executive Summary", "sections.executive_summary"),
        ("Scope and Roles", "parts.scope"),
        ("Preparation", "parts.preparation"),
        ("Detection and Analysis", "parts.detection"),
        ("Containment, Eradication and Recovery", "parts.containment"),
        ("Notification Obligations", "parts.notification"),
        ("State Notification Priorities", "sections.notification_priorities"),
        ("Notification Letters", "parts.letters"),
        ("Post-Incident Activity", "parts.post_incident"),
        ("Findings", "parts.findings"),
        ("Requirement Checklist", "parts.checklist"),
        ("Implementation Plan", "sections.implementation_plan"),
    ),
)

SERVICE = define(
    __file__,
    intake_model=BreachResponsePlanIntake,
    facts_model=BreachFacts,
    build_facts=build_facts,
    report=REPORT,
)
