"""Report parts built by code: the deterministic analysis as blocks a report prints (facts tables, checklists,
findings, the exposure arithmetic, the "Sources and effective dates" appendix).

A part is rendered like an LLM section (pwcore.documents.section_blocks: real Word paragraphs, lists and tables)
and placed in a template with `{{p parts.<key> }}`. Unlike an LLM answer it is not bounded to six columns or thirty
rows: code wrote it from the intake and the reviewed facts, so its size follows the intake (every role, worker and
state gets its row). Each service's `analysis.py` turns its result into parts with the builders below; the parts
every report has (`checklist`, `findings`, `sources`) come from `standard_parts`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Annotated, Literal

from pydantic import Field

from pwcore.compliance.analysis.findings import AnalysisBase, ChecklistItem, FactsTable, Finding, Frozen, UsedFact


class PartParagraph(Frozen):
    type: Literal["paragraph"] = "paragraph"
    text: str
    bold: bool = False


class PartSubheading(Frozen):
    """A run-in heading inside a numbered section (bold, kept with what follows)."""

    type: Literal["subheading"] = "subheading"
    text: str


class PartBullets(Frozen):
    type: Literal["bullets"] = "bullets"
    items: list[str]


class PartNumbered(Frozen):
    type: Literal["numbered"] = "numbered"
    items: list[str]


class PartTable(Frozen):
    type: Literal["table"] = "table"
    headers: list[str]
    rows: list[list[str]]
    widths: list[float] | None = None  # relative column widths; equal when absent


PartBlock = Annotated[PartParagraph | PartSubheading | PartBullets | PartNumbered | PartTable,
                      Field(discriminator="type")]


class Part(Frozen):
    """What a template prints at `{{p parts.<key> }}`: `kind` tells the renderer it is a part, not a section."""

    kind: Literal["part"] = "part"
    blocks: list[PartBlock]


def part(*blocks: PartBlock) -> Part:
    return Part(blocks=list(blocks))


def para(text: str) -> PartParagraph:
    return PartParagraph(text=text)


def subheading(text: str) -> PartSubheading:
    return PartSubheading(text=text)


def bullets(items: Iterable[str]) -> PartBullets:
    return PartBullets(items=list(items))


def numbered(items: Iterable[str]) -> PartNumbered:
    return PartNumbered(items=list(items))


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], widths: Sequence[float] | None = None) -> PartTable:
    return PartTable(headers=list(headers), rows=[list(r) for r in rows], widths=list(widths) if widths else None)


def facts_table(t: FactsTable, widths: Sequence[float] | None = None) -> list[PartSubheading | PartTable]:
    """An analysis facts table under its own title."""
    return [subheading(t.title), table(t.columns, t.rows, widths)]


CHECKLIST_HEADERS = ("Requirement", "Status", "Note", "Authority")
CHECKLIST_WIDTHS = (1.6, 0.7, 2.4, 1.3)
FINDING_HEADERS = ("No.", "Priority", "Requirement", "Gap", "Action", "Owner", "Due")
FINDING_WIDTHS = (0.35, 0.65, 1.3, 1.3, 1.5, 0.8, 0.8)
SOURCE_HEADERS = ("Fact", "Jurisdiction", "Source", "Effective", "Status")
SOURCE_WIDTHS = (1.8, 0.8, 2.2, 0.8, 0.8)


def checklist_table(items: Sequence[ChecklistItem]) -> PartTable:
    return table(CHECKLIST_HEADERS, ([i.requirement, i.status, i.note, i.authority] for i in items), CHECKLIST_WIDTHS)


def findings_table(findings: Sequence[Finding]) -> PartTable:
    return table(FINDING_HEADERS, ([str(n), f.priority, f"{f.requirement} [{f.authority}]", f.gap, f.action,
                                    f.owner, f.due] for n, f in enumerate(findings, 1)), FINDING_WIDTHS)


def source_status(u: UsedFact) -> str:
    if u.stale:
        return "Past review date"
    return "Verified" if u.status == "verified" else "To be confirmed"


def sources_part(sources: Sequence[UsedFact]) -> Part:
    """The "Sources and effective dates" appendix: every reviewed figure the analysis used."""
    if not sources:
        return part(para("The analysis of this report relied on no reviewed figure."))
    rows = sorted(sources, key=lambda u: (u.jurisdiction != "US", u.jurisdiction, u.title))
    return part(
        para("Every figure, threshold and deadline this report relies on comes from the reviewed facts below, "
             "with its official source and the date it took effect. Figures marked \u201cTo be confirmed\u201d "
             "were not yet verified against the official source when the report was prepared; the reviewer "
             "confirms them before relying on them."),
        table(SOURCE_HEADERS, ([u.title, u.jurisdiction.removeprefix("US-"), u.source, u.effective, source_status(u)]
                               for u in rows), SOURCE_WIDTHS),
    )


def standard_parts(result: AnalysisBase) -> dict[str, Part]:
    """The parts every report has: the requirement checklist, the findings by priority, the sources appendix."""
    found = result.findings_by_priority()
    return {
        "checklist": part(checklist_table(result.checklist)) if result.checklist else part(
            para("No checklist items apply to the facts reported.")),
        "findings": part(findings_table(found)) if found else part(
            para("The analysis found no gap in the facts reported.")),
        "sources": sources_part(result.sources),
    }


class Jurisdiction(Frozen):
    """Whose law a report applies: printed in its facts table and in the disclaimer's "counsel licensed in"."""

    laws: str  # "Federal law (FLSA) and Colorado"
    counsel: str  # "Colorado"


class ReportAnalysis(Frozen):
    """What a report takes from its service's analysis: the result, its parts and the law applied."""

    result: AnalysisBase
    parts: dict[str, Part]
    jurisdiction: Jurisdiction

    def grounding(self, facts_block: str) -> str:
        """The prompt's grounding: the facts the model may state and the findings code has established."""
        lines = [facts_block, "",
                 "Findings established by Performance West's rule-based analysis of the intake (code, not a model). "
                 "The section must agree with them and must not contradict their figures:"]
        for f in self.result.findings_by_priority():
            lines.append(f"- [{f.priority}] {f.requirement}: {f.gap} Action: {f.action} ({f.authority})")
        if not self.result.findings:
            lines.append("- none")
        lines.append(f"Law applied: {self.jurisdiction.laws}.")
        return "\n".join(lines)
