"""Corporation and nonprofit state facts beyond states.toml (data/states_corp.toml), merged into `state`.

states.toml carries what every entity kind needs (formation document, filing office, act, signer); this
file adds the few facts only corporate and nonprofit documents read: whether the state's act authorizes
emergency bylaws, any statement the state requires in nonprofit articles, the purpose statement a state
requires verbatim in a corporation's articles, whether a corporation's articles must name the initial
directors, what the act calls the holders of shares ("shareholders", Delaware "stockholders"), whether
holders may demand a special meeting, whether the formation document gives the registered office's county
and whether a nonprofit's articles must state that it has no capital stock. A state not listed takes the
safe default (no emergency article; no extra statement; the generic purpose clause; "shareholders"; the
special-meeting demand deferred to the Act; no county line), so a missing row can never print a wrong rule.
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pwcore.facts.states import EXPECTED_CODES, StateFactsError, facts_for, resolve_code

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "states_corp.toml"
DEFAULTS: dict[str, Any] = {
    "emergency_bylaws": False,
    "nonprofit_statement": "",
    "corporation_purpose_statement": "",
    "articles_directors_required": False,
    # the act's word for the holders of shares, plural lower case; the clause forms come from HOLDER_WORDS
    "owner_term": "shareholders",
    # "" = not listed: the bylaws defer to the Act; "none" = holders have no statutory right to demand one;
    # otherwise the percentage in words ("ten percent") of the votes whose holders may demand one
    "special_meeting_by_holders": "",
    "registered_office_county_required": False,
    # the articles must say the corporation is nonstock and where its conditions of membership are stated
    "nonstock_statement": False,
}
OWNER_TERMS = frozenset({"shareholders", "stockholders"})
PERCENT_IN_WORDS = re.compile(r"^[a-z]+(-[a-z]+)? percent$")
# Which entity kinds read each fact (a nonprofit's bylaws have no emergency article).
KINDS_FOR: dict[str, frozenset[str]] = {
    "emergency_bylaws": frozenset({"corporation"}),
    "nonprofit_statement": frozenset({"nonprofit"}),
    "corporation_purpose_statement": frozenset({"corporation"}),
    "articles_directors_required": frozenset({"corporation"}),
    "owner_term": frozenset({"corporation"}),
    "special_meeting_by_holders": frozenset({"corporation"}),
    "registered_office_county_required": frozenset({"corporation", "nonprofit"}),
    "nonstock_statement": frozenset({"nonprofit"}),
}


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    value: bool | str
    source: str = Field(min_length=3)
    checked: str = Field(min_length=3)
    status: Literal["verified", "needs_review"]


def load(path: Path = DATA_FILE) -> dict[str, dict[str, _Row]]:
    """fact -> state code -> row; validates fact names, state codes and value types."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise StateFactsError(f"{path.name}: {exc}") from exc
    out: dict[str, dict[str, _Row]] = {}
    for fact, rows in raw.items():
        if fact not in DEFAULTS:
            raise StateFactsError(f"{path.name}: unknown fact {fact!r}")
        out[fact] = {}
        for code, table in rows.items():
            if code not in EXPECTED_CODES:
                raise StateFactsError(f"{path.name}: [{fact}.{code}] is not a state code")
            try:
                row = _Row.model_validate(table)
            except ValueError as exc:
                raise StateFactsError(f"{path.name}: [{fact}.{code}] {exc}") from exc
            if type(row.value) is not type(DEFAULTS[fact]):
                raise StateFactsError(f"{path.name}: [{fact}.{code}] value must be {type(DEFAULTS[fact]).__name__}")
            _check_value(fact, row.value, f"{path.name}: [{fact}.{code}]")
            out[fact][code] = row
    return out


def _check_value(fact: str, value: bool | str, where: str) -> None:
    """Values the clauses print or branch on must be one of the shapes they were written for."""
    if fact == "owner_term" and value not in OWNER_TERMS:
        raise StateFactsError(f"{where} value must be one of {sorted(OWNER_TERMS)}")
    if fact == "special_meeting_by_holders" and value != "none" and not PERCENT_IN_WORDS.match(str(value)):
        raise StateFactsError(f'{where} value must be "none" or a percentage in words ("ten percent")')


def holder_words(owner_term: str) -> dict[str, str]:
    """The forms a clause prints: `holder` "stockholder", `holders` "stockholders", `Holder`, `Holders`."""
    one = owner_term.removesuffix("s")
    return {"holder": one, "holders": owner_term, "Holder": one.capitalize(), "Holders": owner_term.capitalize()}


@lru_cache(maxsize=1)
def _facts() -> dict[str, dict[str, _Row]]:
    return load()


def extras(code_or_name: str, kind: str) -> dict[str, Any]:
    """The extra `state` fields for one state and entity kind (defaults where the state is not listed)."""
    code = resolve_code(code_or_name)
    result: dict[str, Any] = {}
    for fact, default in DEFAULTS.items():
        row = _facts().get(fact, {}).get(code)
        result[fact] = row.value if row is not None and kind in KINDS_FOR[fact] else default
    return result


def state_context(code_or_name: str, kind: str) -> dict[str, Any]:
    """The full `state` object for a corporation or nonprofit document: states.toml facts plus extras, and
    the holder words derived from `owner_term`."""
    more = extras(code_or_name, kind)
    return facts_for(code_or_name, kind).context() | more | holder_words(more["owner_term"])


def directors_in_articles(code_or_name: str, order_names_directors: bool) -> bool:
    """`directors_in_articles` for a corporation: the state requires the initial directors in the articles,
    or the order names them. When false, the incorporator elects the board in the organizational consent."""
    return order_names_directors or bool(extras(code_or_name, "corporation")["articles_directors_required"])
