"""What the CCPA, privacy policy, TCPA and breach analyses share: the entity's own state, a checklist that turns
every "Not met" into a finding, the state privacy acts' applicability tests, and the facts of several services.

Kept apart from `common` (what every analysis uses) so the two sets of analyses can change independently; it
builds on `common.FactsView` rather than changing it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path

from pwcore.compliance.analysis.common import FactsView, dec, state_name
from pwcore.compliance.analysis.findings import ChecklistItem, Finding, Frozen, Priority, Status, UsedFact, finding
from pwcore.facts import compliance as cf
from pwcore.facts import states as st


def home_state(explicit: str | None, listed: Sequence[str]) -> str | None:
    """The entity's state as a code: `explicit` may be a code or a name ('Colorado', as on the Compliance Service);
    without it, the first state the intake lists (the intake form asks for the home state first)."""
    if explicit:
        want = explicit.strip()
        if want.upper() in st.all_states():
            return want.upper()
        for code, row in st.all_states().items():
            if row.name.lower() == want.lower():
                return code
        raise ValueError("home state is not a US state or territory")
    return listed[0] if listed else None


def ordered_states(home: str | None, listed: Iterable[str]) -> list[str]:
    """The home state first, then the others in the intake's order, without repeats."""
    return list(dict.fromkeys([*([home] if home else []), *listed]))


_RULE = re.compile(r"^(>=|>)\s*(\d+(?:\.\d+)?)$")


def meets(rule: str, value: Decimal | int | float) -> bool:
    """A machine-form threshold from the facts: '>=100000' (at least), '>50' (more than), 'any' (above zero)."""
    v = dec(value)
    if rule == "any":
        return v > 0
    m = _RULE.match(rule.strip())
    if not m:
        raise ValueError(f"threshold rule {rule!r} is not '>=N', '>N' or 'any'")
    limit = Decimal(m.group(2))
    return v >= limit if m.group(1) == ">=" else v > limit


def rule_text(rule: str) -> str:
    if rule == "any":
        return "any"
    m = _RULE.match(rule.strip())
    if not m:
        return rule
    n = Decimal(m.group(2))
    shown = f"{n:,.0f}" if n == n.to_integral_value() else f"{n}"
    return f"{shown} or more" if m.group(1) == ">=" else f"more than {shown}"


class Checklist:
    """Checklist items and their findings: a "Not met" item always carries a finding (the remediation table may
    never be shorter than the list of gaps); a "Review" item gets one when there is something to confirm."""

    def __init__(self) -> None:
        self.items: list[ChecklistItem] = []
        self.findings: list[Finding] = []

    def add(self, requirement: str, status: Status, note: str, authority: str, *, action: str | None = None,
            priority: Priority = "Medium", owner: str = "Privacy lead", gap: str | None = None) -> ChecklistItem:
        item = ChecklistItem(requirement=requirement, status=status, note=note, authority=authority)
        self.items.append(item)
        if status == "Not met" or (status == "Review" and action):
            self.findings.append(finding(
                requirement=requirement, gap=gap or note,
                action=action or f"Meet the requirement: {requirement}", owner=owner, priority=priority,
                authority=authority))
        return item

    def answer(self, requirement: str, answer: bool | None, met: str, unmet: str, authority: str, *, action: str,
               owner: str) -> ChecklistItem:
        """An item for a yes/no intake answer: yes is Met (`met` says how); no is Not met (`unmet` says what is
        missing) and no answer is Review, both with a High finding whose action is `action`."""
        if answer is True:
            return self.add(requirement, "Met", met, authority)
        return self.add(requirement, "Not met" if answer is False else "Review",
                        unmet if answer is False else "the intake does not say", authority, action=action,
                        priority="High", owner=owner)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for i in self.items:
            out[i.status] = out.get(i.status, 0) + 1
        return out


def counts(items: Sequence[ChecklistItem], findings: Sequence[Finding]) -> dict[str, int]:
    """What a summary may say: items per status, findings in total and per priority. The LLM states these
    numbers; it never counts gaps itself (an earlier report said "six gaps" and listed three)."""
    out = {s: 0 for s in ("Met", "Not met", "Review", "Not applicable")}
    for i in items:
        out[i.status] = out.get(i.status, 0) + 1
    out["findings"] = len(findings)
    for p in ("High", "Medium", "Low"):
        out[f"findings_{p.lower()}"] = sum(1 for f in findings if f.priority == p)
    return out


class MultiFacts:
    """Facts of several services for one analysis (the privacy policy uses the CCPA's thresholds and tracker list);
    each lookup is recorded in the view of the file it comes from."""

    def __init__(self, services: Sequence[str], as_of: date, *, strict: bool = False,
                 directory: Path | None = None) -> None:
        self.views = {s: FactsView(s, as_of, strict=strict, directory=directory) for s in services}
        self.as_of = as_of

    def __getitem__(self, service: str) -> FactsView:
        return self.views[service]

    @property
    def used(self) -> list[UsedFact]:
        seen: dict[str, UsedFact] = {}
        for v in self.views.values():
            for u in v.used:
                seen.setdefault(u.id, u)
        return list(seen.values())

    @property
    def stale(self) -> list[str]:
        return [u.id for u in self.used if u.stale]

    def stale_findings(self) -> list[Finding]:
        out: list[Finding] = []
        ids: set[str] = set()
        for v in self.views.values():
            for f in v.stale_findings():
                if f.requirement not in ids:
                    ids.add(f.requirement)
                    out.append(f)
        return out


def as_text(value: cf.Value) -> str:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k.replace('_', ' ')}: {as_text(v)}" for k, v in value.items())
    return str(value)


def pick(items: Sequence[str], stem: str) -> str:
    """The item of a facts list that contains `stem` (lists are matched by content, not position, so a reviewer
    may reorder or extend them)."""
    for i in items:
        if stem.lower() in i.lower():
            return i
    raise KeyError(f"no item containing {stem!r}")


def as_list(value: cf.Value) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [as_text(value)]


# --- State comprehensive privacy acts -------------------------------------------------------------------------


class StateLaw(Frozen):
    state: str
    act: str
    label: str  # "Colorado (CPA)": what the report's jurisdiction list prints
    status: Status  # "Applies", "Does not apply" or "Review"
    reason: str
    thresholds: str
    appeal: str
    universal_opt_out: str
    rights: str  # "" where the facts file does not record them
    authority: str
    effective: str


def act_label(state: str, act: str) -> str:
    initials = "".join(w[0] for w in act.split() if w[0].isupper())
    return f"{state_name(state)} ({initials})" if len(initials) >= 3 else f"{state_name(state)} ({act})"


def state_privacy_law(fv: FactsView, state: str, *, consumers: int | None, sells: bool | None,
                      sale_revenue_pct: float | None, revenue: float | None,
                      sensitive: bool | None) -> StateLaw | None:
    """Whether a state's comprehensive privacy act covers the business, from the machine-form thresholds of
    states.privacy_laws. `consumers` is the count of that state's residents (None when the intake does not give it:
    the answer is then "Review" with the thresholds to check). None when the state has no such act in the facts."""
    row = fv.row("states.privacy_laws", state)
    if row is None:
        return None
    c = row.cells
    act = str(c.get("name", "privacy act"))
    status: Status
    if c.get("sba_small_business_exempt") is True:
        status, reason = "Review", ("applies to a business that processes or sells personal data here unless it is a "
                                    "small business as the SBA defines it (size standards differ by industry)")
    else:
        status, reason = _volume_test(c, consumers=consumers, sells=sells, sale_revenue_pct=sale_revenue_pct,
                                      revenue=revenue, sensitive=sensitive)
    return StateLaw(state=state, act=act, label=act_label(state, act), status=status, reason=reason,
                    thresholds=str(c.get("thresholds", "")), appeal=str(c.get("appeal", "")),
                    universal_opt_out=str(c.get("universal_opt_out", "")), rights=str(c.get("rights", "")),
                    authority=row.source,
                    effective=row.effective.isoformat() if row.effective else "n/a")


def _volume_test(c: dict[str, cf.Scalar | list[cf.Scalar]], *, consumers: int | None, sells: bool | None,
                 sale_revenue_pct: float | None, revenue: float | None,
                 sensitive: bool | None) -> tuple[Status, str]:
    base = c.get("consumers_rule")
    sale_n = c.get("sale_consumers_rule")
    sale_pct = c.get("sale_revenue_rule")
    rev = c.get("revenue_rule")
    if not isinstance(base, str):
        return "Review", "thresholds not in machine form in the facts file: apply them by hand"
    if isinstance(rev, str):
        if revenue is None:
            return "Review", f"applies only with annual revenue of {rule_text(rev)} USD: revenue not given"
        if not meets(rev, revenue):
            return "Does not apply", f"annual revenue is not {rule_text(rev)} USD"
    if sensitive and c.get("sensitive_data_any") is True:
        return "Applies", "the business processes sensitive data, which brings it in at any volume"
    wanted = f"{rule_text(base)} consumers"
    if isinstance(sale_n, str) and isinstance(sale_pct, str):
        share = "any" if sale_pct == "any" else rule_text(sale_pct) + "%"
        wanted += f", or {rule_text(sale_n)} consumers with {share} revenue (or a discount) from selling personal data"
    if consumers is None:
        return "Review", f"applies at {wanted}: the intake does not count this state's consumers"
    if meets(base, consumers):
        return "Applies", f"{consumers:,} consumers meets {rule_text(base)}"
    if isinstance(sale_n, str) and isinstance(sale_pct, str) and meets(sale_n, consumers):
        if sells is False:
            return "Does not apply", f"{consumers:,} consumers (under {rule_text(base)}) and no sales"
        if sale_pct == "any":
            if sells:
                return "Applies", f"{consumers:,} consumers with revenue or a discount from selling personal data"
            return "Review", f"{consumers:,} consumers: applies if the business sells personal data"
        if sale_revenue_pct is None:
            return "Review", f"{consumers:,} consumers: applies if {rule_text(sale_pct)}% of revenue is from sales"
        if meets(sale_pct, sale_revenue_pct):
            return "Applies", f"{consumers:,} consumers and {sale_revenue_pct:g}% of revenue from selling personal data"
    return "Does not apply", f"{consumers:,} consumers does not meet {wanted}"


CALIFORNIA = "California (CCPA/CPRA)"

# Statutory category names (Cal. Civ. Code 1798.140(v)(1)) for the intake's category keys.
CATEGORY_LABELS: dict[str, str] = {
    "identifiers": "Identifiers", "customer_records": "Customer records (Cal. Civ. Code 1798.80(e))",
    "protected_classifications": "Characteristics of protected classifications",
    "commercial_information": "Commercial information", "biometric": "Biometric information",
    "internet_activity": "Internet or other electronic network activity", "geolocation": "Geolocation data",
    "sensory": "Audio, electronic, visual, thermal, olfactory or similar information",
    "professional": "Professional or employment-related information",
    "education": "Education information", "inferences": "Inferences drawn to create a profile",
    "sensitive_personal_information": "Sensitive personal information",
}
# Categories whose collection means sensitive personal information (1798.140(ae)) is in play.
SENSITIVE_CATEGORIES = frozenset({"sensitive_personal_information", "biometric"})


def adtech_matches(fv: FactsView, vendors: list[str]) -> list[str]:
    """The vendors whose names contain a tracker name from the facts (case-insensitive)."""
    stems = [s.lower() for s in as_list(fv.value("ccpa.sale.adtech_trackers"))]
    return [v for v in vendors if any(s in v.lower() for s in stems)]
