"""Handbook Review: the employee handbook against federal and state employment law."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import Field

from pwcore.compliance.fields import IntakeModel, ShortText, Text, USState
from pwcore.compliance.services import define
from pwcore.compliance.services.common import NOT_PROVIDED, Facts, Row, count, opt, states, yes_no
from pwcore.compliance.services.report_spec import ReportSpec
from pwcore.model.formatting import long_date

HandbookPolicy = Literal[
    "at_will",
    "equal_employment",
    "anti_harassment",
    "complaint_procedure",
    "leave",
    "paid_time_off",
    "sick_leave",
    "overtime",
    "meal_rest_breaks",
    "timekeeping",
    "remote_work",
    "social_media",
    "drug_alcohol",
    "discipline",
    "confidentiality",
    "workplace_safety",
    "accommodation",
    "expense_reimbursement",
]


class HandbookReviewIntake(IntakeModel):
    headcount: Annotated[int, Field(ge=1, le=1_000_000)]
    states: Annotated[list[USState], Field(min_length=1, max_length=56)]
    policies_present: Annotated[list[HandbookPolicy], Field(max_length=30)] = []
    handbook_last_updated: date | None = None
    has_union_employees: bool | None = None
    industry: ShortText | None = None
    concerns: Text | None = None


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


class PolicyRow(Row):
    policy: str
    status: str


class HandbookFacts(Facts):
    employee_count: str
    states_covered: str
    handbook_last_updated: str
    has_union_employees: str
    industry: str
    concerns: str
    policies_included: str
    policies: list[PolicyRow]


def build_facts(m: HandbookReviewIntake) -> dict[str, Any]:
    present = set(m.policies_present)
    policies = [
        PolicyRow(policy=label, status="Included" if key in present else "Not reported")
        for key, label in POLICY_LABELS.items()
    ]
    return {
        "employee_count": count(m.headcount),
        "states_covered": states(m.states),
        "handbook_last_updated": long_date(m.handbook_last_updated) if m.handbook_last_updated else NOT_PROVIDED,
        "has_union_employees": yes_no(m.has_union_employees),
        "industry": opt(m.industry),
        "concerns": opt(m.concerns),
        "policies_included": f"{len(present)} of {len(POLICY_LABELS)}",
        "policies": policies,
    }


REPORT = ReportSpec(
    "This review compared the employee handbook described by the client (the policies it reported as included) "
    "against federal employment law and the employment laws of its work states ({{ states_covered }}) in effect "
    "on the report date. It did not read the handbook's wording; a policy reported as included is assumed to "
    "exist, and its wording should be reviewed where this report says so.",
    (
        ("Employees", "{{ employee_count }}", None),
        ("Work states", "{{ states_covered }}", None),
        ("Handbook last updated", "{{ handbook_last_updated }}", None),
        ("Union employees", "{{ has_union_employees }}", None),
        ("Industry", "{{ industry }}", None),
        ("Policies included", "{{ policies_included }}", None),
        ("Client concerns", "{{ concerns }}", None),
    ),
    (
        ("Executive Summary", "sections.executive_summary"),
        ("Policies Reviewed", "parts.policies_reviewed"),
        ("Federal Requirements by Headcount", "parts.federal"),
        ("State-Mandated Policies", "parts.states"),
        ("Policy-by-Policy Review", "parts.policy_review"),
        ("Gap Discussion", "sections.policy_gaps"),
        ("Compliance Checklist", "parts.checklist"),
        ("Findings", "parts.findings"),
        ("Recommendations", "sections.recommendations"),
    ),
)

SERVICE = define(
    __file__, intake_model=HandbookReviewIntake, facts_model=HandbookFacts, build_facts=build_facts, report=REPORT
)
