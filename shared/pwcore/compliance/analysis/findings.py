"""The result types every analysis module returns: findings, checklist items, facts tables and the sources used.

A `Finding` is one row of a report's remediation table. Its fields are fixed (the templates and the lead's wiring
rely on them): what the law requires, the gap found, the action, who does it, by when, its priority and the rule
cited. Everything here is plain data so the report templates can print it and tests can compare it.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

Priority = Literal["High", "Medium", "Low"]
Status = Literal["Met", "Not met", "Review", "Not applicable", "Present", "Missing", "Applies", "Does not apply"]

# Due dates are relative so a report reviewed a week after generation still reads right.
DUE_BY_PRIORITY: dict[str, str] = {"High": "Within 30 days", "Medium": "Within 60 days", "Low": "Within 90 days"}


class Frozen(BaseModel):
    """The base of every analysis result type: immutable, and no field it does not declare."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Finding(Frozen):
    requirement: str
    gap: str
    action: str
    owner: str
    due: str
    priority: Priority
    authority: str  # the rule cited, e.g. "29 C.F.R. 541.600"


def finding(requirement: str, gap: str, action: str, owner: str, priority: Priority, authority: str,
            due: str | None = None) -> Finding:
    return Finding(requirement=requirement, gap=gap, action=action, owner=owner,
                   due=due or DUE_BY_PRIORITY[priority], priority=priority, authority=authority)


class ChecklistItem(Frozen):
    requirement: str
    status: Status
    note: str
    authority: str


class FactsTable(Frozen):
    title: str
    columns: list[str]
    rows: list[list[str]]


class UsedFact(Frozen):
    """One fact or table row the analysis relied on, for the "Sources and effective dates" appendix."""

    id: str  # fact id, or "<table id>:<state>" for a table row
    title: str
    jurisdiction: str
    source: str
    effective: str
    review_by: date
    status: str  # "verified" or "needs_review"
    stale: bool  # past its review date on the analysis date


class AnalysisBase(Frozen):
    service: str
    as_of: date
    tables: list[FactsTable]
    checklist: list[ChecklistItem]
    findings: list[Finding]
    facts_used: list[str]
    sources: list[UsedFact]
    stale_facts: list[str]  # ids of facts past their review date: the report must not state them as current

    def findings_by_priority(self) -> list[Finding]:
        order = {"High": 0, "Medium": 1, "Low": 2}
        return sorted(self.findings, key=lambda f: order[f.priority])
