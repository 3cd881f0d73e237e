"""Grounded compliance facts: reviewed, versioned figures the compliance reports may state.

Each compliance service has one data file, `pwcore/data/facts/<service>.toml`, plus `states.toml` with per-state
tables that several services reuse. A fact carries its value, the law it comes from, the date it took effect,
how it was checked and the date by which it must be checked again. The report code gives the facts to the model
as the only figures it may state (`FactSet.prompt_block`) and prints them in a "Sources and effective dates"
appendix (`FactSet.appendix_rows`). `due_for_review(today)` lists what must be re-checked; the test suite fails
when anything is past its `review_by` date, so stale figures cannot ship silently.

File format (TOML), see docs/compliance-facts.md:

    service = "flsa_audit"
    title = "FLSA wage-and-hour audit"
    uses_tables = ["states.min_wage"]     # per-state tables from states.toml this service uses

    [[facts]]
    id = "flsa.min_wage.federal"
    title = "Federal minimum wage"
    value = 7.25
    unit = "USD/hour"
    jurisdiction = "US"
    effective = 2009-07-24
    source = "29 U.S.C. 206(a)(1)(C)"
    source_url = "https://www.dol.gov/agencies/whd/minimum-wage"
    checked = "search pages: ..."
    review_by = 2027-07-01

    [[tables]]                            # only in states.toml
    id = "states.min_wage"
    title = "State minimum wage"
    coverage = "50+DC"                    # or "partial"
    columns = { rate = "USD/hour", ... }
    [[tables.rows]]
    jurisdiction = "US-CA"
    cells = { rate = 16.90, ... }
    effective = 2026-01-01
    source = "Cal. Lab. Code 1182.12"
    ...
"""

from __future__ import annotations

import re
import tomllib
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator, model_validator

# 50 states + DC; territories are allowed in rows but do not count toward full coverage.
STATES_50_DC: frozenset[str] = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH "
    "OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY".split()
)
TERRITORIES: frozenset[str] = frozenset({"PR", "GU", "VI", "AS", "MP"})
STATES_FILE = "states"
# How a figure was verified: against stored public pages via the search tool, against the regulation text,
# or only from memory (which always needs review).
CHECK_KINDS: tuple[str, ...] = ("search pages:", "search docs:", "regulation text:", "derived:", "model knowledge")
SERVICE_FILES: tuple[str, ...] = (
    "flsa_audit", "ccpa_audit", "tcpa_audit", "contractor_assessment", "handbook_review",
    "breach_response_plan", "privacy_policy",
)

_ID = r"^[a-z0-9_]+(\.[a-z0-9_]+)+$"
FactId = Annotated[str, StringConstraints(pattern=_ID, max_length=120)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
# A scalar, a list of scalars, or a small table (mapping of names to scalars or lists).
Scalar = bool | int | float | str
Value = Scalar | list[Scalar] | dict[str, Scalar | list[Scalar]]


class FactsInvalid(ValueError):
    """A facts file does not parse or validate; the message starts with the file name."""


def _jurisdiction(value: str) -> str:
    if value == "US":
        return value
    m = re.fullmatch(r"US-([A-Z]{2})", value)
    if not m or (m.group(1) not in STATES_50_DC and m.group(1) not in TERRITORIES):
        raise ValueError(f"jurisdiction must be 'US' or 'US-XX' with a state/territory code, not {value!r}")
    return value


class _Sourced(BaseModel):
    """What every fact and table row has: where it comes from, how it was checked, when to re-check it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    jurisdiction: str
    effective: date | None = None  # None only where a row says the law does not exist (e.g. no state statute)
    source: Text
    source_url: Annotated[str, StringConstraints(pattern=r"^https://\S+$", max_length=500)] | None = None
    checked: Text
    review_by: date
    status: Literal["verified", "needs_review"] = "verified"
    note: Text | None = None

    @field_validator("jurisdiction")
    @classmethod
    def _check_jurisdiction(cls, v: str) -> str:
        return _jurisdiction(v)

    @model_validator(mode="after")
    def _unverified_is_flagged(self) -> _Sourced:
        # A row checked only from memory must say so in its status: the report marks it, a reviewer re-checks it.
        how = self.checked.lower()
        if not how.startswith(CHECK_KINDS):
            raise ValueError(f"checked must start with one of {CHECK_KINDS}: say how the figure was verified")
        if how.startswith("model knowledge") and self.status != "needs_review":
            raise ValueError("a fact checked only from model knowledge must have status = 'needs_review'")
        return self

    @property
    def needs_review(self) -> bool:
        return self.status == "needs_review"


class Fact(_Sourced):
    id: FactId
    title: Text
    value: Value
    unit: Annotated[str, StringConstraints(max_length=160)] = ""


class TableRow(_Sourced):
    cells: dict[str, Scalar | list[Scalar]]

    @property
    def state(self) -> str:
        return self.jurisdiction.removeprefix("US-")


class Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: FactId
    title: Text
    coverage: Literal["50+DC", "partial"]
    columns: dict[str, Text]  # column name -> unit / meaning
    description: Text | None = None
    rows: list[TableRow] = Field(min_length=1)

    @model_validator(mode="after")
    def _rows_fit(self) -> Table:
        seen: set[str] = set()
        for row in self.rows:
            if row.jurisdiction in seen:
                raise ValueError(f"{self.id}: two rows for {row.jurisdiction}")
            seen.add(row.jurisdiction)
            unknown = set(row.cells) - set(self.columns)
            if unknown:
                raise ValueError(f"{self.id} {row.jurisdiction}: cells not among the columns: {sorted(unknown)}")
        if self.coverage == "50+DC":
            missing = STATES_50_DC - {r.state for r in self.rows}
            if missing:
                raise ValueError(f"{self.id} claims 50+DC coverage but lacks {sorted(missing)}")
        return self

    def row(self, state: str) -> TableRow | None:
        want = state if state.startswith("US") else f"US-{state.upper()}"
        return next((r for r in self.rows if r.jurisdiction == want), None)


class FactFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    service: Annotated[str, StringConstraints(pattern=r"^[a-z_]+$")]
    title: Text
    uses_tables: list[FactId] = []
    tables: list[Table] = []
    facts: list[Fact] = []

    @model_validator(mode="after")
    def _unique_ids(self) -> FactFile:
        ids = [f.id for f in self.facts] + [t.id for t in self.tables]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"{self.service}: duplicate ids {dupes}")
        return self


class FactSet(BaseModel):
    """The facts one service may state: its own file plus the state tables it names."""

    model_config = ConfigDict(frozen=True)

    service: str
    title: str
    facts: tuple[Fact, ...]
    tables: tuple[Table, ...]

    def get(self, fact_id: str) -> Fact:
        for f in self.facts:
            if f.id == fact_id:
                return f
        raise KeyError(fact_id)

    def value(self, fact_id: str) -> Value:
        return self.get(fact_id).value

    def table(self, table_id: str) -> Table:
        for t in self.tables:
            if t.id == table_id:
                return t
        raise KeyError(table_id)

    def for_states(self, states: list[str] | tuple[str, ...]) -> FactSet:
        """Only the table rows for these states (federal facts and state facts of these states stay)."""
        keep = {s if s.startswith("US") else f"US-{s.upper()}" for s in states}
        facts = tuple(f for f in self.facts if f.jurisdiction == "US" or f.jurisdiction in keep)
        tables = []
        for t in self.tables:
            rows = [r for r in t.rows if r.jurisdiction in keep]
            if rows:
                tables.append(t.model_copy(update={"rows": rows, "coverage": "partial"}))
        return self.model_copy(update={"facts": facts, "tables": tuple(tables)})

    def prompt_block(self) -> str:
        """The facts as plain lines for the model: the only figures it may state, each with its id."""
        lines = [f"Grounded facts for {self.title}. State no figure, threshold or deadline that is not listed here; "
                 "cite facts by their source. Facts marked [needs review] must be stated as 'to be confirmed'."]
        for f in self.facts:
            unit = f" {f.unit}" if f.unit else ""
            flag = " [needs review]" if f.needs_review else ""
            note = f" Note: {f.note}" if f.note else ""
            lines.append(f"- [{f.id}] {f.title}: {_show(f.value)}{unit} ({f.jurisdiction}; {f.source}; "
                         f"effective {_day(f.effective)}){flag}{note}")
        for t in self.tables:
            lines.append(f"Table [{t.id}] {t.title}; columns: "
                         + "; ".join(f"{k} = {v}" for k, v in t.columns.items()))
            for r in t.rows:
                flag = " [needs review]" if r.needs_review else ""
                cells = "; ".join(f"{k}: {_show(v)}" for k, v in r.cells.items())
                note = f" Note: {r.note}" if r.note else ""
                lines.append(f"  - {r.state}: {cells} ({r.source}; effective {_day(r.effective)}){flag}{note}")
        return "\n".join(lines)

    def appendix_rows(self) -> list[dict[str, str]]:
        """One row per fact and table row for the "Sources and effective dates" appendix."""
        rows = [{"item": f.title, "jurisdiction": f.jurisdiction, "source": f.source,
                 "effective": _day(f.effective), "status": f.status} for f in self.facts]
        for t in self.tables:
            rows += [{"item": f"{t.title} ({r.state})", "jurisdiction": r.jurisdiction, "source": r.source,
                      "effective": _day(r.effective), "status": r.status} for r in t.rows]
        return rows


def _show(value: Value) -> str:
    """A value as a reader sees it: 26625000 -> '26,625,000', 15.1 -> '15.10', True -> 'yes'."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        # Most non-integer figures are money or rates: keep two decimals (15.10, 1,086.25); large whole
        # amounts (58,240) drop them.
        return f"{value:,.0f}" if value.is_integer() and abs(value) >= 1000 else f"{value:,.2f}"
    if isinstance(value, list):
        return "; ".join(_show(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k.replace('_', ' ')}: {_show(v)}" for k, v in value.items())
    return str(value)


def _day(d: date | None) -> str:
    return d.isoformat() if d else "n/a"


def facts_dir() -> Path:
    return Path(str(resources.files("pwcore"))) / "data" / "facts"


def _slug(service: str) -> str:
    return service.strip().lower().replace(" ", "_")


@lru_cache(maxsize=16)
def read_file(name: str, directory: Path | None = None) -> FactFile:
    """Parse and validate one facts file (`name` without .toml)."""
    path = (directory or facts_dir()) / f"{name}.toml"
    with path.open("rb") as fh:
        raw: dict[str, Any] = tomllib.load(fh)
    try:
        return FactFile.model_validate(raw)
    except ValidationError as exc:
        # Name the file: a reviewer fixing a row needs to know where it is.
        raise FactsInvalid(f"{path.name}: {exc}") from exc


def load(service: str, directory: Path | None = None) -> FactSet:
    """The FactSet of a service ('FLSA Audit' or 'flsa_audit'): its facts plus the state tables it names."""
    name = _slug(service)
    if name not in SERVICE_FILES:
        raise KeyError(f"no facts file for service {service!r}")
    own = read_file(name, directory)
    states = read_file(STATES_FILE, directory)
    by_id = {t.id: t for t in states.tables}
    wanted = own.uses_tables
    missing = [t for t in wanted if t not in by_id]
    if missing:
        raise KeyError(f"{name}: unknown state tables {missing}")
    return FactSet(service=name, title=own.title, facts=tuple(own.facts),
                   tables=tuple(by_id[t] for t in wanted))


def all_files(directory: Path | None = None) -> dict[str, FactFile]:
    return {name: read_file(name, directory) for name in (*SERVICE_FILES, STATES_FILE)}


class Due(BaseModel):
    file: str
    id: str  # fact id, or "<table id>:<state>" for a table row
    review_by: date
    status: str


def due_for_review(today: date, directory: Path | None = None) -> list[Due]:
    """Every fact and table row whose review_by date is today or earlier, oldest first."""
    out: list[Due] = []
    for name, ff in all_files(directory).items():
        for f in ff.facts:
            if f.review_by <= today:
                out.append(Due(file=name, id=f.id, review_by=f.review_by, status=f.status))
        for t in ff.tables:
            out += [Due(file=name, id=f"{t.id}:{r.state}", review_by=r.review_by, status=r.status)
                    for r in t.rows if r.review_by <= today]
    return sorted(out, key=lambda d: (d.review_by, d.file, d.id))


def needs_review(directory: Path | None = None) -> list[str]:
    """Ids of every fact and table row marked needs_review (for the reviewer's to-do list)."""
    out: list[str] = []
    for name, ff in all_files(directory).items():
        out += [f"{name}:{f.id}" for f in ff.facts if f.needs_review]
        for t in ff.tables:
            out += [f"{name}:{t.id}:{r.state}" for r in t.rows if r.needs_review]
    return out
