"""The layout of a compliance report template, as data: tools/make_templates.py turns a ReportSpec into the
docxtpl template (house style, title page, facts table, numbered sections, scope, disclaimer, signatures).

Each service's ReportSpec sits in its folder (pwcore.compliance.services.<service>), next to the intake model
and facts builder whose fields the template prints.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TableSpec:
    """A table with one row per item of the list `variable` (a `{%tr for %}` loop)."""

    title: str
    intro: str
    variable: str
    headers: tuple[str, ...]
    columns: tuple[str, ...]
    widths: tuple[float, ...]


@dataclass(frozen=True)
class FormTable:
    """A fixed table for the client to complete (no context fields)."""

    title: str
    intro: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]


@dataclass(frozen=True)
class ItemList:
    """One paragraph per item of `variable` (a `{%p for %}` loop): bold `lead`, then `text`."""

    title: str
    intro: str
    variable: str
    lead: str
    text: str


# (label, value, condition) of the facts table at the start of the report.
Fact = tuple[str, str, str | None]
# (heading, body): body is a "sections.<key>" field (LLM text), a "parts.<key>" field (the analysis, built by the
# service's analysis.py), a TableSpec / FormTable / ItemList, or literal text.
Body = tuple[str, "str | TableSpec | FormTable | ItemList"]


@dataclass(frozen=True)
class ReportSpec:
    scope: str
    facts: tuple[Fact, ...]
    body: tuple[Body, ...]
