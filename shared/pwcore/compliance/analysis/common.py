"""What every analysis uses: a view of the facts that records every fact used and notices stale ones, and
money arithmetic in Decimal (exposure figures are printed in a legal report: no float rounding drift)."""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from pwcore.compliance.analysis.findings import Finding, UsedFact, finding
from pwcore.facts import compliance as cf
from pwcore.facts import states
from pwcore.logs import EIN_PATTERN, SSN_PATTERN

CENT = Decimal("0.01")
WEEKS_PER_YEAR = 52  # calendar arithmetic (29 CFR 778.113(b) converts salaries the same way), not a legal figure


class StaleFact(ValueError):
    """A fact needed by the analysis is past its review date and the caller asked for strict mode."""

    def __init__(self, fact_id: str, review_by: date) -> None:
        self.fact_id = fact_id
        super().__init__(f"fact {fact_id} is past its review date {review_by.isoformat()}: re-check it first")


def dec(value: float | int | str | Decimal) -> Decimal:
    # str() first: Decimal(0.1) would carry the binary float error into the cents.
    return value if isinstance(value, Decimal) else Decimal(str(value))


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def usd(value: Decimal | float | int) -> str:
    return f"${cents(dec(value)):,.2f}"


def num(value: Decimal | float | int) -> str:
    """A count or rate as a reader sees it: 8 -> '8', 8.5 -> '8.5', 0.50 -> '0.5'."""
    d = dec(value).normalize()
    return f"{d:,f}" if d == d.to_integral_value() else f"{d:f}"


def state_code(jurisdiction_or_state: str) -> str:
    return jurisdiction_or_state.removeprefix("US-")


class FactsView:
    """The facts of one service as of one date. Every lookup is recorded (for `facts_used` and the sources
    appendix); a fact past its `review_by` is refused in strict mode and otherwise flagged as stale."""

    def __init__(self, service: str, as_of: date, *, strict: bool = False, directory: Path | None = None) -> None:
        self.set = cf.load(service, directory)
        self.as_of = as_of
        self.strict = strict
        self._used: dict[str, UsedFact] = {}

    def _record(self, key: str, title: str, item: cf.Fact | cf.TableRow) -> None:
        stale = item.review_by <= self.as_of
        if stale and self.strict:
            raise StaleFact(key, item.review_by)
        self._used.setdefault(key, UsedFact(
            id=key, title=title, jurisdiction=item.jurisdiction, source=item.source,
            effective=item.effective.isoformat() if item.effective else "n/a", review_by=item.review_by,
            status=item.status, stale=stale))

    def fact(self, fact_id: str) -> cf.Fact:
        f = self.set.get(fact_id)
        self._record(fact_id, f.title, f)
        return f

    def value(self, fact_id: str) -> cf.Value:
        return self.fact(fact_id).value

    def part(self, fact_id: str, key: str) -> cf.Scalar | list[cf.Scalar]:
        value = self.value(fact_id)
        if not isinstance(value, dict):
            raise TypeError(f"{fact_id} is not a table of values")
        return value[key]

    def number(self, fact_id: str, key: str | None = None) -> Decimal:
        value = self.part(fact_id, key) if key else self.value(fact_id)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"{fact_id}{'.' + key if key else ''} is not a number")
        return dec(value)

    def source(self, fact_id: str) -> str:
        return self.fact(fact_id).source

    def row(self, table_id: str, state: str) -> cf.TableRow | None:
        table = self.set.table(table_id)
        r = table.row(state)
        if r is not None:
            self._record(f"{table_id}:{r.state}", f"{table.title} ({r.state})", r)
        return r

    def state_facts(self, state: str, prefix: str) -> list[cf.Fact]:
        """The service's facts for one state whose id starts with `prefix` (e.g. 'handbook.'), recorded."""
        out = [f for f in self.set.facts if f.jurisdiction == f"US-{state}" and f.id.startswith(prefix)]
        for f in out:
            self._record(f.id, f.title, f)
        return out

    @property
    def used(self) -> list[UsedFact]:
        return list(self._used.values())

    @property
    def stale(self) -> list[str]:
        return [u.id for u in self._used.values() if u.stale]

    def stale_findings(self) -> list[Finding]:
        """One High finding per stale fact: the report must not state such a figure as current."""
        return [finding(
            requirement=f"Figures in this report must be current ({u.title})",
            gap=f"The reviewed figure passed its review date ({u.review_by.isoformat()}) before this analysis",
            action="Re-check the figure against its official source and update the facts file before delivery",
            owner="Performance West reviewer", priority="High", authority=u.source, due="Before delivery")
            for u in self._used.values() if u.stale]


MASKED_ID = "[number removed]"


def clean(text: str) -> str:
    """Customer free text shown in a result (role titles) with SSN/EIN-shaped numbers masked: results end up in
    reports that are emailed and stored (the same rule as the report contexts)."""
    return SSN_PATTERN.sub(MASKED_ID, EIN_PATTERN.sub(MASKED_ID, text))


def state_name(code: str) -> str:
    """'CO' (or ' co') -> 'Colorado'; a name or an unknown value as given."""
    row = states.all_states().get(code.strip().upper())
    return row.name if row else code.strip()


def keywords(text: str, stems: tuple[str, ...]) -> list[str]:
    """The stems found at the start of a word in `text` (case-insensitive), in the order given."""
    low = text.lower()
    return [s for s in stems if re.search(r"\b" + re.escape(s), low)]


def matched_words(text: str, stems: tuple[str, ...]) -> list[str]:
    """The words of `text` that the stems found, as the customer wrote them ('evaluat' -> 'evaluates'), for a
    reader: a stem is a matching device, not a word. Cleaned like any customer text shown in a result."""
    out: list[str] = []
    for stem in keywords(text, stems):
        m = re.search(r"\b" + re.escape(stem) + r"[\w-]*", text, re.IGNORECASE)
        word = clean(m.group(0).strip()) if m else stem
        if word.lower() not in (w.lower() for w in out):
            out.append(word)
    return out
