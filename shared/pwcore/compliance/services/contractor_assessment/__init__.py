"""Contractor Assessment: independent-contractor classification of the worker groups reported."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pwcore.compliance.fields import IntakeModel, ShortText, States, Text, USState
from pwcore.compliance.services import define
from pwcore.compliance.services.common import NOT_PROVIDED, STATE_NAMES, Facts, Row, count, opt, states, yes_no
from pwcore.compliance.services.report_spec import ItemList, ReportSpec, TableSpec
from pwcore.model.formatting import free_text, quantity


class ContractorWorker(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, frozen=True)

    role: ShortText
    count: Annotated[int, Field(ge=1, le=100_000)] = 1
    state: USState | None = None
    engagement_months: Annotated[int, Field(ge=0, le=600)] | None = None
    hours_per_week: Annotated[float, Field(ge=0, le=168)] | None = None
    paid_by: Literal["project", "hourly", "daily", "retainer", "commission", "salary"] | None = None
    company_controls_schedule: bool | None = None
    company_provides_tools: bool | None = None
    exclusive_to_company: bool | None = None
    work_is_core_business: bool | None = None
    has_own_business: bool | None = None
    description: Text = ""


class ContractorAssessmentIntake(IntakeModel):
    workers: Annotated[list[ContractorWorker], Field(min_length=1, max_length=100)]
    employee_headcount: Annotated[int, Field(ge=0, le=1_000_000)] | None = None
    states: States = []
    industry: ShortText | None = None
    written_agreements: bool | None = None


PAID_BY_LABELS: dict[str, str] = {
    "project": "Per project",
    "hourly": "Hourly",
    "daily": "Daily rate",
    "retainer": "Retainer",
    "commission": "Commission",
    "salary": "Salary",
}


class WorkerRow(Row):
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


class ContractorFacts(Facts):
    worker_count: str
    employee_count: str
    states_covered: str
    industry: str
    written_agreements: str
    workers: list[WorkerRow]


def build_facts(m: ContractorAssessmentIntake) -> dict[str, Any]:
    workers = [
        WorkerRow(
            role=free_text(w.role),
            count=count(w.count),
            state=STATE_NAMES.get(w.state, w.state) if w.state else NOT_PROVIDED,
            engagement=NOT_PROVIDED
            if w.engagement_months is None
            else f"{w.engagement_months} month{'s' if w.engagement_months != 1 else ''}",
            hours_per_week=NOT_PROVIDED if w.hours_per_week is None else quantity(w.hours_per_week),
            paid_by=PAID_BY_LABELS[w.paid_by] if w.paid_by else NOT_PROVIDED,
            controls_schedule=yes_no(w.company_controls_schedule),
            provides_tools=yes_no(w.company_provides_tools),
            exclusive=yes_no(w.exclusive_to_company),
            core_business=yes_no(w.work_is_core_business),
            own_business=yes_no(w.has_own_business),
            description=opt(w.description),
        )
        for w in m.workers
    ]
    return {
        "worker_count": count(sum(w.count for w in m.workers)),
        "employee_count": count(m.employee_headcount),
        "states_covered": states(m.states),
        "industry": opt(m.industry),
        "written_agreements": yes_no(m.written_agreements),
        "workers": workers,
    }


WORKERS = TableSpec(
    "Workers Reviewed",
    "The following worker groups engaged as independent contractors were assessed ({{ worker_count }} "
    "workers in total).",
    "workers",
    ("Role", "Count", "Work State", "Engagement", "Hours / Week", "Paid By"),
    ("role", "count", "state", "engagement", "hours_per_week", "paid_by"),
    (1.6, 0.6, 1.0, 1.1, 0.9, 1.3),
)
WORK_DESCRIPTIONS = ItemList(
    "Work Described",
    "The work of each group, as described by the client:",
    "workers",
    "{{ r.role }}:",
    "{{ r.description }}",
)

REPORT = ReportSpec(
    "This assessment applied {{ jurisdiction }} to each worker group the business treats as independent "
    "contractors: the IRS common-law categories of behavioral control, financial control and the relationship of "
    "the parties, the ABC test where the work state uses it, the work state's own test, and the economic-reality "
    "test under the Fair Labor Standards Act. It is based on the answers given in the intake questionnaire and did "
    "not include a review of contracts, invoices or payroll records; the exposure figures are planning estimates, "
    "not a calculation of taxes owed.",
    (
        ("Workers assessed", "{{ worker_count }}", None),
        ("W-2 employees", "{{ employee_count }}", None),
        ("States", "{{ states_covered }}", None),
        ("Industry", "{{ industry }}", None),
        ("Written contractor agreements", "{{ written_agreements }}", None),
    ),
    (
        ("Executive Summary", "sections.executive_summary"),
        (WORKERS.title, WORKERS),
        (WORK_DESCRIPTIONS.title, WORK_DESCRIPTIONS),
        ("IRS Common-Law Analysis", "parts.common_law"),
        ("ABC Test", "parts.abc_test"),
        ("State Tests", "parts.state_tests"),
        ("FLSA Economic-Reality Test", "parts.flsa"),
        ("Classification Discussion", "sections.classification_analysis"),
        ("Conclusions by Worker", "parts.conclusions"),
        ("Exposure Estimate", "parts.exposure"),
        ("Options to Correct", "parts.options"),
        ("Findings", "parts.findings"),
        ("Requirement Checklist", "parts.checklist"),
        ("Recommendations", "sections.recommendations"),
    ),
)

SERVICE = define(
    __file__,
    intake_model=ContractorAssessmentIntake,
    facts_model=ContractorFacts,
    build_facts=build_facts,
    report=REPORT,
)
