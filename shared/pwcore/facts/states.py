"""State facts for formation documents (pwcore/data/states.toml): formation document title, filing office,
governing act and citation, who signs the filing, community property.

The data file is the reviewed artefact; this module only loads and validates it and answers
`facts_for("TX", "llc")` / `facts_for("Texas", "llc")` with a flat object whose fields match the `state`
object of the clause vocabulary (state.name, state.the_state, state.formation_document, ...).
Rows marked `status = "needs_review"` were written from model knowledge and must be checked by a reviewer.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "states.toml"
EntityKind = Literal["llc", "corporation", "nonprofit"]
KINDS: tuple[EntityKind, ...] = ("llc", "corporation", "nonprofit")
Status = Literal["verified", "needs_review"]

# The 50 states and DC by USPS code: the file must cover exactly these.
EXPECTED_CODES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND "
    "OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY".split()
)


class StateFactsError(ValueError):
    """The data file is malformed, or a lookup names no known state / entity kind."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KindFacts(_Strict):
    """What one entity kind files in one state."""

    formation_document: str = Field(min_length=3)
    filing_office: str = Field(min_length=3)
    act: str = Field(min_length=3)
    act_cite: str = Field(min_length=3)
    signer_title: str = Field(min_length=3)
    # Optional statutory particulars that change a formation document; default false / empty.
    secretary_is_agent: bool = False  # the Secretary of State is designated agent for process (New York)
    agent_acceptance: bool = False  # the agent's signed acceptance must be part of the filing
    publication_required: bool = False  # a notice of formation must be published after filing
    lists_governing_persons: bool = False  # the filing names the initial members or managers (Texas)
    lists_managers: bool = False  # the filing names the managers of a manager-managed company (Massachusetts)
    lists_all_members: bool = False  # a manager-managed filing also names members (Arizona: 20% holders)
    states_organizer_membership: bool = False  # the filing says whether the organizer is a member (N.C.)
    notes: str = ""  # reviewer-facing detail with its citation; never printed
    source: str = Field(min_length=3)
    checked: str = Field(min_length=3)
    status: Status


class StateRow(_Strict):
    name: str = Field(min_length=4)
    code: str = Field(pattern=r"^[A-Z]{2}$")
    the_state: str
    community_property: bool
    community_property_note: str = ""
    community_property_source: str = Field(min_length=3)
    community_property_checked: str = Field(min_length=3)
    llc: KindFacts
    corporation: KindFacts
    nonprofit: KindFacts

    @field_validator("the_state")
    @classmethod
    def _the_state(cls, value: str) -> str:
        # Printed inline ("the laws of the State of Texas"), so it must start lower-case "the ".
        if not value.startswith("the "):
            raise ValueError("the_state must read like 'the State of Texas'")
        return value


class StateFacts(_Strict):
    """One state's facts for one entity kind, shaped like the vocabulary's `state` object."""

    name: str
    code: str
    the_state: str
    community_property: bool
    community_property_note: str
    kind: EntityKind
    formation_document: str
    filing_office: str
    act: str
    act_cite: str
    signer_title: str
    secretary_is_agent: bool
    agent_acceptance: bool
    publication_required: bool
    lists_governing_persons: bool
    lists_managers: bool
    lists_all_members: bool
    states_organizer_membership: bool
    notes: str
    source: str
    checked: str
    status: Status

    def context(self) -> dict[str, Any]:
        """The `state` object for a document context (plain dict: docxtpl/Jinja reads attributes of dicts)."""
        return self.model_dump()


def load(path: Path = DATA_FILE) -> dict[str, StateRow]:
    """Parse and validate the data file; keys are the USPS codes. Raises StateFactsError naming the row."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise StateFactsError(f"{path.name}: {exc}") from exc
    rows: dict[str, StateRow] = {}
    for code, table in raw.items():
        if not isinstance(table, dict):
            raise StateFactsError(f"{path.name}: top-level key {code!r} is not a state table")
        try:
            row = StateRow.model_validate(table)
        except ValueError as exc:
            raise StateFactsError(f"{path.name}: [{code}] {exc}") from exc
        if row.code != code:
            raise StateFactsError(f"{path.name}: [{code}] has code = {row.code!r}")
        rows[code] = row
    missing, extra = EXPECTED_CODES - rows.keys(), rows.keys() - EXPECTED_CODES
    if missing or extra:
        raise StateFactsError(f"{path.name}: missing {sorted(missing)}, unexpected {sorted(extra)}")
    return rows


@lru_cache(maxsize=1)
def _rows() -> dict[str, StateRow]:
    return load()


def _by_name() -> dict[str, str]:
    return {row.name.casefold(): code for code, row in _rows().items()}


def resolve_code(code_or_name: str) -> str:
    """ "TX", "tx", "Texas", "texas", "State of Texas" -> "TX"."""
    key = " ".join(code_or_name.split())
    if key.upper() in _rows():
        return key.upper()
    folded = key.casefold()
    for prefix in ("the state of ", "state of ", "the commonwealth of ", "commonwealth of ", "the "):
        if folded.startswith(prefix):
            folded = folded[len(prefix) :]
            break
    code = _by_name().get(folded)
    if code is None:
        raise StateFactsError(f"unknown state: {code_or_name!r}")
    return code


def facts_for(code_or_name: str, kind: str) -> StateFacts:
    """The facts a formation document needs for `kind` (llc | corporation | nonprofit) in one state."""
    if kind not in KINDS:
        raise StateFactsError(f"unknown entity kind: {kind!r} (expected one of {', '.join(KINDS)})")
    row = _rows()[resolve_code(code_or_name)]
    per_kind: KindFacts = getattr(row, kind)
    return StateFacts(
        name=row.name,
        code=row.code,
        the_state=row.the_state,
        community_property=row.community_property,
        community_property_note=row.community_property_note,
        kind=kind,  # checked against KINDS above
        **per_kind.model_dump(),
    )


def all_states() -> dict[str, StateRow]:
    return dict(_rows())
