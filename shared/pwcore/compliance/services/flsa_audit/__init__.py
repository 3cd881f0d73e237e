"""FLSA Audit: exemption classification, salary basis and level, overtime and recordkeeping."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pwcore.compliance.fields import IntakeModel, ShortText, Text, USState
from pwcore.compliance.services import define
from pwcore.compliance.services.common import Facts, Row, count, opt, states, yes_no
from pwcore.compliance.services.report_spec import ItemList, ReportSpec, TableSpec
from pwcore.model.formatting import free_text, money, quantity

Exemption = Literal[
    "none",
    "executive",
    "administrative",
    "professional",
    "computer",
    "outside_sales",
    "highly_compensated",
]


class FLSARole(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, frozen=True)

    title: ShortText
    headcount: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    pay_basis: Literal["salary", "hourly"]
    annual_salary: Annotated[float, Field(ge=0, le=100_000_000)] | None = None
    hourly_rate: Annotated[float, Field(gt=0, le=100_000)] | None = None
    weekly_hours: Annotated[float, Field(ge=0, le=168)]
    exemption_claimed: Exemption = "none"
    duties: Text = ""

    @model_validator(mode="after")
    def _pay_matches_basis(self) -> FLSARole:
        # Messages name the field and rule only: salary figures are personal data.
        if self.pay_basis == "salary" and self.annual_salary is None:
            raise ValueError("annual_salary is required when pay_basis is salary")
        if self.pay_basis == "hourly" and self.hourly_rate is None:
            raise ValueError("hourly_rate is required when pay_basis is hourly")
        return self


class FLSAAuditIntake(IntakeModel):
    headcount: Annotated[int, Field(ge=1, le=1_000_000)]
    states: Annotated[list[USState], Field(min_length=1, max_length=56)]
    roles: Annotated[list[FLSARole], Field(min_length=1, max_length=100)]
    industry: ShortText | None = None
    tracks_hours_worked: bool | None = None
    overtime_policy: Text | None = None
    pays_bonuses_or_commissions: bool | None = None


EXEMPTION_LABELS: dict[str, str] = {
    "none": "None (non-exempt)",
    "executive": "Executive",
    "administrative": "Administrative",
    "professional": "Professional",
    "computer": "Computer employee",
    "outside_sales": "Outside sales",
    "highly_compensated": "Highly compensated",
}


class RoleRow(Row):
    title: str
    headcount: str
    exemption: str
    pay_basis: str
    pay_rate: str
    annual_pay: str
    weekly_hours: str
    duties: str


class FLSAFacts(Facts):
    employee_count: str
    states_covered: str
    industry: str
    tracks_hours_worked: str
    overtime_policy: str
    pays_bonuses_or_commissions: str
    roles: list[RoleRow]


def build_facts(m: FLSAAuditIntake) -> dict[str, Any]:
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
                title=free_text(r.title),
                headcount=count(r.headcount),
                exemption=EXEMPTION_LABELS[r.exemption_claimed],
                pay_basis=r.pay_basis.capitalize(),
                pay_rate=rate,
                annual_pay=annual,
                weekly_hours=quantity(r.weekly_hours),
                duties=opt(r.duties),
            )
        )
    return {
        "employee_count": count(m.headcount),
        "states_covered": states(m.states),
        "industry": opt(m.industry),
        "tracks_hours_worked": yes_no(m.tracks_hours_worked),
        "overtime_policy": opt(m.overtime_policy),
        "pays_bonuses_or_commissions": yes_no(m.pays_bonuses_or_commissions),
        "roles": roles,
    }


ROLES = TableSpec(
    "Roles Reviewed",
    "The following roles were reported in the intake questionnaire ({{ employee_count }} employees in total). "
    "Annual pay marked (est.) is an estimate for hourly roles: the hourly rate times the reported weekly "
    "hours times 52 weeks, at straight time.",
    "roles",
    ("Role", "Headcount", "Exemption Claimed", "Pay Basis", "Pay Rate", "Annual Pay", "Weekly Hours"),
    ("title", "headcount", "exemption", "pay_basis", "pay_rate", "annual_pay", "weekly_hours"),
    (1.2, 0.8, 1.0, 0.7, 1.1, 1.0, 0.7),
)

DUTIES = ItemList(
    "Duties Reported",
    "The primary duties of each role, as described by the client:",
    "roles",
    "{{ r.title }}:",
    "{{ r.duties }}",
)

REPORT = ReportSpec(
    "This audit reviewed exemption classification, salary basis and level, minimum wage, overtime, the regular "
    "rate and recordkeeping for the roles reported in the intake, applying {{ jurisdiction }}; the federal rules "
    "are those of the Fair Labor Standards Act (29 U.S.C. \u00a7 201 et seq.) and its regulations (29 C.F.R. "
    "Parts 516, 541 and 778). It relied on the pay, hours and duties reported in the intake and did not include "
    "a payroll-level audit of individual time records; the back-pay figures are estimates for planning, not a "
    "calculation of wages owed.",
    (
        ("Employees", "{{ employee_count }}", None),
        ("Work states", "{{ states_covered }}", None),
        ("Industry", "{{ industry }}", None),
        ("Tracks hours worked", "{{ tracks_hours_worked }}", None),
        ("Overtime policy", "{{ overtime_policy }}", None),
        ("Pays bonuses or commissions", "{{ pays_bonuses_or_commissions }}", None),
    ),
    (
        ("Executive Summary", "sections.executive_summary"),
        ("Scope and Method", "parts.scope"),
        (ROLES.title, ROLES),
        (DUTIES.title, DUTIES),
        ("Exemption Classification by Role", "parts.classification"),
        ("Classification Discussion", "sections.classification_analysis"),
        ("Minimum Wage and Tip Credit", "parts.minimum_wage"),
        ("Overtime", "parts.overtime"),
        ("Regular Rate", "parts.regular_rate"),
        ("Hours Worked and Recordkeeping", "parts.recordkeeping"),
        ("State Law Requirements", "parts.state_law"),
        ("Risk Ratings", "parts.risk"),
        ("Back-Pay Exposure Estimate", "parts.exposure"),
        ("Findings", "parts.findings"),
        ("Requirement Checklist", "parts.checklist"),
        ("Remediation Plan", "sections.remediation_plan"),
    ),
)

SERVICE = define(
    __file__, intake_model=FLSAAuditIntake, facts_model=FLSAFacts, build_facts=build_facts, report=REPORT
)
