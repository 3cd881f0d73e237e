"""CCPA Audit: applicability of and compliance with the CCPA as amended by the CPRA."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from pwcore.compliance.fields import Count, IntakeModel, Money, ShortText, States
from pwcore.compliance.services import define
from pwcore.compliance.services.common import (
    NOT_PROVIDED,
    CategoryRow,
    DataCategory,
    Facts,
    categories,
    count,
    join,
    opt,
    states,
    yes_no,
)
from pwcore.compliance.services.report_spec import ReportSpec, TableSpec
from pwcore.model.formatting import money, percent


class CCPAAuditIntake(IntakeModel):
    annual_revenue: Money
    consumer_records: Count = Field(description="California consumers/households whose data is handled yearly")
    revenue_share_from_selling_pct: Annotated[float, Field(ge=0, le=100)] | None = None
    data_categories: Annotated[list[DataCategory], Field(min_length=1, max_length=12)]
    sells_or_shares: bool
    uses_sensitive_pi: bool | None = None
    has_privacy_policy: bool | None = None
    honors_opt_out_signals: bool | None = None
    service_providers: Annotated[list[ShortText], Field(max_length=50)] = []
    states: States = []
    industry: ShortText | None = None


class CCPAFacts(Facts):
    annual_revenue: str
    consumer_count: str
    revenue_share_from_selling: str
    sells_or_shares: str
    uses_sensitive_pi: str
    has_privacy_policy: str
    honors_opt_out_signals: str
    service_providers: str
    states_covered: str
    industry: str
    data_categories: list[CategoryRow]


def build_facts(m: CCPAAuditIntake) -> dict[str, Any]:
    share = m.revenue_share_from_selling_pct
    return {
        "annual_revenue": money(m.annual_revenue),
        "consumer_count": count(m.consumer_records),
        "revenue_share_from_selling": NOT_PROVIDED if share is None else percent(share),
        "sells_or_shares": yes_no(m.sells_or_shares),
        "uses_sensitive_pi": yes_no(m.uses_sensitive_pi),
        "has_privacy_policy": yes_no(m.has_privacy_policy),
        "honors_opt_out_signals": yes_no(m.honors_opt_out_signals),
        "service_providers": join(m.service_providers),
        "states_covered": states(m.states),
        "industry": opt(m.industry),
        "data_categories": categories(m.data_categories),
    }


DATA_CATEGORIES = TableSpec(
    "Categories of Personal Information",
    "The categories of personal information the client reported collecting, with the statutory examples "
    "of each category:",
    "data_categories",
    ("Category", "Examples"),
    ("category", "examples"),
    (2.1, 4.4),
)

REPORT = ReportSpec(
    "This audit assessed applicability of and compliance with the California Consumer Privacy Act as "
    "amended by the CPRA (Cal. Civ. Code \u00a7 1798.100 et seq.), its regulations and the privacy acts of the "
    "states listed, from the client's intake answers; \u201cReview\u201d marks what the client must confirm.",
    (
        ("Annual revenue", "{{ annual_revenue }}", None),
        ("California consumers or households a year", "{{ consumer_count }}", None),
        ("Revenue share from selling or sharing", "{{ revenue_share_from_selling }}", None),
        ("Sells or shares personal information", "{{ sells_or_shares }}", None),
        ("Uses sensitive personal information", "{{ uses_sensitive_pi }}", None),
        ("Has a privacy policy", "{{ has_privacy_policy }}", None),
        ("Honors opt-out preference signals", "{{ honors_opt_out_signals }}", None),
        ("Service providers", "{{ service_providers }}", None),
        ("States of operation", "{{ states_covered }}", None),
        ("Industry", "{{ industry }}", None),
    ),
    (
        ("Executive Summary", "sections.executive_summary"),
        ("Applicability", "parts.applicability"),
        ("Data Inventory", "parts.data_inventory"),
        ("Requirement-by-Requirement Review", "parts.requirements"),
        ("Vendors and Contracts", "parts.vendors"),
        ("Other State Privacy Laws", "parts.state_laws"),
        ("Compliance Checklist", "parts.checklist"),
        ("Findings", "parts.findings"),
        ("Remediation Plan", "sections.remediation_plan"),
    ),
)


SERVICE = define(
    __file__, intake_model=CCPAAuditIntake, facts_model=CCPAFacts, build_facts=build_facts, report=REPORT
)
