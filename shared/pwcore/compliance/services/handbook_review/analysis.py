"""Handbook review analysis: which policies the law requires of this employer (federal laws by headcount, each
work state's mandates such as Colorado's paid sick leave under the HFWA), which of them the handbook has, the NLRA
limits on the policies it has, and what changed in the law since the handbook was last updated.

The sort is strict: a policy the intake lists as present is never reported as a gap (an earlier report listed
"At-will disclaimer present" among the gaps). A present policy can still get a finding, but only to review its
wording (NLRA) or to bring it up to a law that took effect after the handbook's date.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pwcore.compliance.analysis.kit import *
from pwcore.compliance.services.handbook_review import HandbookPolicy, HandbookReviewIntake
from pwcore.model.formatting import join_words

SERVICE = "handbook_review"

POLICY_LABELS: dict[str, str] = {
    "at_will": "At-will employment statement", "equal_employment": "Equal employment opportunity",
    "anti_harassment": "Anti-harassment", "complaint_procedure": "Complaint procedure",
    "leave": "Family and medical leave", "paid_time_off": "Paid time off", "sick_leave": "Sick leave",
    "overtime": "Overtime", "meal_rest_breaks": "Meal and rest breaks", "timekeeping": "Timekeeping",
    "remote_work": "Remote work", "social_media": "Social media", "drug_alcohol": "Drug and alcohol",
    "discipline": "Discipline", "confidentiality": "Confidentiality", "workplace_safety": "Workplace safety",
    "accommodation": "Reasonable accommodation", "expense_reimbursement": "Expense reimbursement",
}
# Federal coverage facts: (fact id, law, the policies it calls for, what it means for the handbook, the priority
# of a missing policy). High where the handbook itself is the legal duty or the employer's main defence (FMLA notice,
# 29 CFR 825.300(a); a harassment policy with a complaint route); Medium where the law requires the practice
# (accommodating) rather than a written policy.
FEDERAL: tuple[tuple[str, str, tuple[str, ...], str, Priority], ...] = (
    ("handbook.coverage.title_vii", "Title VII", ("equal_employment", "anti_harassment", "complaint_procedure"),
     "EEO and anti-harassment policies with a complaint procedure", "High"),
    ("handbook.coverage.ada", "ADA Title I", ("accommodation",), "a reasonable-accommodation procedure", "Medium"),
    ("handbook.coverage.gina_pwfa", "GINA and the Pregnant Workers Fairness Act", ("accommodation",),
     "pregnancy accommodation in the accommodation procedure", "Medium"),
    ("handbook.coverage.adea", "ADEA", ("equal_employment",), "age (40 and over) among the EEO categories", "Medium"),
    ("handbook.coverage.cobra", "COBRA", (), "continuation coverage notices (benefits documents, not the handbook)",
     "Low"),
    ("handbook.coverage.fmla", "FMLA", ("leave",), "FMLA rights in the handbook (or at hire) and the FMLA poster",
     "High"),
    ("handbook.coverage.warn", "WARN Act", (), "60 days' notice of plant closings and mass layoffs", "Low"),
    ("handbook.coverage.eeo1", "EEO-1 report", (), "yearly EEO-1 Component 1 report", "Low"),
)
# Present policies whose wording the NLRA limits (Stericycle), with what to check.
NLRA_POLICIES: dict[str, str] = {
    "confidentiality": "must not bar discussing wages, hours or working conditions",
    "social_media": "must not bar comments about the employer or working conditions, and recording or camera "
                    "bans need a narrow business reason",
}


class PolicyRow(Frozen):
    policy: str
    label: str
    status: Literal["Present", "Missing"]
    required_by: list[str]  # laws that call for it for this employer; empty = recommended practice
    priority: Priority | None  # of the gap, for a missing policy


class TriggerRow(Frozen):
    law: str
    threshold: int
    headcount: int
    status: Literal["Applies", "Does not apply"]
    handbook: str
    authority: str


class StateRequirement(Frozen):
    state: str
    requirement: str
    rule: str
    policy: str | None
    status: Status
    effective: str
    authority: str


class HandbookAnalysis(AnalysisBase):
    policies: list[PolicyRow]
    federal: list[TriggerRow]
    states: list[StateRequirement]


def analyse(intake: HandbookReviewIntake, as_of: date, *, strict: bool = False,
            facts_dir: Path | None = None) -> HandbookAnalysis:
    fv = FactsView(SERVICE, as_of, strict=strict, directory=facts_dir)
    return _Analysis(intake, fv).run()


class _Analysis:
    def __init__(self, intake: HandbookReviewIntake, fv: FactsView) -> None:
        self.m = intake
        self.fv = fv
        self.present: set[str] = set(intake.policies_present)
        # policy -> (law, authority, priority, what it requires)
        self.required: dict[str, list[tuple[str, str, Priority, str]]] = {}
        self.findings: list[Finding] = []
        self.checklist: list[ChecklistItem] = []
        self.states: list[StateRequirement] = []

    def need(self, policy: str, law: str, authority: str, priority: Priority, rule: str) -> None:
        self.required.setdefault(policy, []).append((law, authority, priority, rule))

    def federal(self) -> list[TriggerRow]:
        rows = []
        for fid, law, policies, effect, priority in FEDERAL:
            fact = self.fv.fact(fid)
            key = "employer_employees" if isinstance(fact.value, dict) else None
            threshold = int(self.fv.number(fid, key))
            applies = self.m.headcount >= threshold
            rows.append(TriggerRow(law=law, threshold=threshold, headcount=self.m.headcount,
                                   status="Applies" if applies else "Does not apply", handbook=effect,
                                   authority=fact.source))
            if applies:
                for p in policies:
                    self.need(p, law, fact.source, priority, effect)
        base = self.fv.fact("handbook.coverage.all_employers")
        self.checklist.append(ChecklistItem(requirement="Laws that apply from the first employee", status="Applies",
                                            note="; ".join(str(v) for v in base.value)
                                            if isinstance(base.value, list) else str(base.value),
                                            authority=base.source))
        posters = self.fv.fact("handbook.federal.posters")
        self.checklist.append(ChecklistItem(requirement="Federal posters", status="Review",
                                            note="; ".join(str(v) for v in posters.value)
                                            if isinstance(posters.value, list) else str(posters.value),
                                            authority=posters.source))
        return rows

    def state(self, s: str) -> None:
        name = state_name(s)
        sick = self.fv.row("states.paid_sick_leave", s)
        if sick is not None:
            self.add_state(s, f"{name} paid sick leave", str(sick.cells.get("rule")), "sick_leave", "High",
                           sick.source, sick.effective)
        pfl = self.fv.row("states.paid_family_leave", s)
        if pfl is not None:
            self.add_state(s, f"{name} paid family and medical leave", str(pfl.cells.get("rule")), "leave", "High",
                           pfl.source, pfl.effective)
        for f in self.fv.state_facts(s, "handbook."):
            policy = _policy_for(f.id)
            if policy == "anti_harassment" and f.id.startswith("handbook.ca.") and self.m.headcount < 5:
                continue  # California's policy and training duty starts at 5 employees
            self.add_state(s, f.title, str(f.value), policy, "High" if policy else "Medium", f.source, f.effective)

    def add_state(self, s: str, requirement: str, rule: str, policy: str | None, priority: Priority,
                  authority: str, effective: date | None) -> None:
        if rule.lower().startswith("no statewide"):
            # A row that records a repeal or the absence of a mandate (Missouri's paid sick leave) calls for nothing.
            self.states.append(StateRequirement(state=s, requirement=requirement, rule=rule, policy=policy,
                                                status="Not applicable", effective=effective.isoformat()
                                                if effective else "n/a", authority=authority))
            return
        if policy is not None:
            status: Status = "Present" if policy in self.present else "Missing"
            self.need(policy, requirement, authority, priority, rule)
        else:
            status = "Review"
            self.findings.append(finding(
                requirement=requirement, gap="the intake does not show this is done", action=f"Confirm and "
                f"document it: {rule}", owner="HR", priority=priority, authority=authority))
        self.states.append(StateRequirement(state=s, requirement=requirement, rule=rule, policy=policy,
                                            status=status, effective=effective.isoformat() if effective else "n/a",
                                            authority=authority))
        if policy in self.present and "training" in rule.lower():
            # A policy in the handbook does not show the training the same statute requires (CA, NY).
            self.findings.append(finding(
                requirement=f"{requirement}: training", gap="the policy is present; the intake does not show the "
                "required training is given", action=f"Confirm and document the training: {rule}", owner="HR",
                priority="Medium", authority=authority))
        updated = self.m.handbook_last_updated
        if policy in self.present and effective is not None and updated is not None and effective > updated:
            self.findings.append(finding(
                requirement=requirement, gap=f"the handbook ({updated.isoformat()}) predates this rule "
                f"(effective {effective.isoformat()})", action=f"Update the {POLICY_LABELS[policy].lower()} policy "
                f"to the current rule: {rule}", owner="HR", priority="Medium", authority=authority))

    def nlra(self) -> None:
        rule = self.fv.fact("handbook.nlra.stericycle")
        risky = self.fv.fact("handbook.nlra.rules_at_risk")
        self.checklist.append(ChecklistItem(requirement="NLRA Section 7 limits on work rules", status="Review",
                                            note="; ".join(str(v) for v in risky.value)
                                            if isinstance(risky.value, list) else str(risky.value),
                                            authority=rule.source))
        for policy, check in NLRA_POLICIES.items():
            if policy in self.present:
                self.findings.append(finding(
                    requirement=f"{POLICY_LABELS[policy]} policy within NLRA Section 7 limits",
                    gap=f"policy present: review its wording ({check})",
                    action="Narrow the rule to a stated business interest and add a Section 7 savings clause",
                    owner="HR and counsel", priority="Medium", authority=rule.source))
        if self.m.has_union_employees:
            self.checklist.append(ChecklistItem(requirement="Collective bargaining agreement", status="Review",
                                                note="union employees: policies must match the agreement and changes "
                                                     "to mandatory subjects need bargaining", authority=rule.source))

    def policies(self) -> list[PolicyRow]:
        rows = []
        for key, label in POLICY_LABELS.items():
            needs = self.required.get(key, [])
            if key in self.present:
                rows.append(PolicyRow(policy=key, label=label, status="Present", required_by=[n[0] for n in needs],
                                      priority=None))
                continue
            ranks = [("Low", "Medium", "High").index(n[2]) for n in needs]
            priority: Priority = ("Low", "Medium", "High")[max(ranks)] if needs else "Low"
            rows.append(PolicyRow(policy=key, label=label, status="Missing", required_by=[n[0] for n in needs],
                                  priority=priority))
            if needs:
                laws = "; ".join(dict.fromkeys(n[0] for n in needs))
                self.findings.append(finding(
                    requirement=f"{label} policy ({laws})", gap="not in the handbook",
                    action=f"Add a {label.lower()} policy: " + "; ".join(dict.fromkeys(n[3] for n in needs)),
                    owner="HR", priority=priority,
                    authority="; ".join(dict.fromkeys(n[1] for n in needs))))
            else:
                self.findings.append(finding(
                    requirement=f"{label} policy (recommended practice)", gap="not in the handbook",
                    action=f"Consider adding a {label.lower()} policy", owner="HR", priority="Low",
                    authority="recommended practice; no statute requires it for this employer"))
        return rows

    def run(self) -> HandbookAnalysis:
        federal = self.federal()
        for s in dict.fromkeys(self.m.states):
            self.state(s)
        self.nlra()
        policies = self.policies()
        if self.m.handbook_last_updated is None:
            self.findings.append(finding(
                requirement="A handbook kept current with the law", gap="the date of the last update is not known",
                action="Date the handbook and review it at least yearly", owner="HR", priority="Low",
                authority="recommended practice"))
        tables = [
            FactsTable(title="Federal laws by headcount", columns=["Law", "Threshold", "Employees", "Status",
                                                                   "Handbook", "Source"],
                       rows=[[t.law, str(t.threshold), str(t.headcount), t.status, t.handbook, t.authority]
                             for t in federal]),
            FactsTable(title="State requirements", columns=["State", "Requirement", "Rule", "Status", "Source"],
                       rows=[[state_name(r.state), r.requirement, r.rule, r.status, r.authority]
                             for r in self.states]),
            FactsTable(title="Policies", columns=["Policy", "Status", "Required by"],
                       rows=[[p.label, p.status, "; ".join(p.required_by) or "recommended practice"]
                             for p in policies]),
        ]
        return HandbookAnalysis(
            service=SERVICE, as_of=self.fv.as_of, tables=tables, checklist=self.checklist,
            findings=self.fv.stale_findings() + self.findings, facts_used=[u.id for u in self.fv.used],
            sources=self.fv.used, stale_facts=self.fv.stale, policies=policies, federal=federal, states=self.states)


def _policy_for(fact_id: str) -> HandbookPolicy | None:
    """The handbook policy a state fact calls for, by its id (handbook.<state>.<what>)."""
    what = fact_id.split(".")[-1]
    if "harassment" in what:
        return "anti_harassment"
    if "hfwa" in what or "sick" in what:
        return "sick_leave"
    return None


# --- The report: the analysis as report parts --------------------------------------------------------------------

def _listing(items: list[str]) -> str:
    return ", ".join(items) if items else "none"


def _policy_note(p: PolicyRow, result: HandbookAnalysis) -> tuple[str, str]:
    """(status, note) of one policy for the policy-by-policy table."""
    if p.status == "Present":
        if p.policy == "at_will":
            return "Present", ("Strength: the at-will statement preserves the employer's right to end employment and "
                               "guards against an implied-contract claim; keep it prominent and in the "
                               "acknowledgement form")
        if p.policy in NLRA_POLICIES:
            return "Present", f"Review wording under the NLRA: {NLRA_POLICIES[p.policy]}"
        if p.required_by:
            return "Present", "Meets the requirement of " + "; ".join(dict.fromkeys(p.required_by))
        return "Present", "Included; recommended practice"
    if p.required_by:
        return "Missing", f"Required for this employer ({p.priority} priority): " + "; ".join(
            dict.fromkeys(p.required_by))
    return "Not reported", "Not required by a law reviewed for this employer; recommended practice"


def _policy_authority(p: PolicyRow, result: HandbookAnalysis) -> str:
    by_law = {t.law: t.authority for t in result.federal} | {r.requirement: r.authority for r in result.states}
    cited = [by_law[law] for law in dict.fromkeys(p.required_by) if law in by_law]
    if p.policy in NLRA_POLICIES and p.status == "Present":
        cited.append("29 U.S.C. 157 (NLRA Section 7)")
    return "; ".join(cited) or "Recommended practice"


def for_report(intake: HandbookReviewIntake, as_of: date, entity_state: str) -> ReportAnalysis:
    """The handbook review's report parts: policies reviewed, federal triggers by headcount, each work state's
    mandated policies, the policy-by-policy table, plus the checklist, findings and sources every report has."""
    result = analyse(intake, as_of)
    fv = FactsView(SERVICE, as_of)
    work_states = [state_name(s) for s in dict.fromkeys(intake.states)]
    present = [p for p in result.policies if p.status == "Present"]
    missing = [p for p in result.policies if p.status == "Missing" and p.required_by]
    unreported = [p for p in result.policies if p.status == "Missing" and not p.required_by]

    reviewed = part(
        para(f"The review covered {len(result.policies)} standard handbook policies for an employer with "
             f"{intake.headcount} employees in {_listing(work_states)}. The client reported {len(present)} of them "
             f"as included. A policy the client did not list is treated as not in the handbook; it is a gap only "
             f"where a law that applies to this employer calls for it."),
        subheading(f"Present ({len(present)})"),
        bullets([p.label for p in present] or ["No policy was reported as included."]),
        subheading(f"Missing: required for this employer ({len(missing)})"),
        bullets([f"{p.label}: required by {'; '.join(dict.fromkeys(p.required_by))}" for p in missing]
                or ["No required policy is missing."]),
        subheading(f"Not reported: recommended practice ({len(unreported)})"),
        bullets([p.label for p in unreported] or ["None."]),
    )

    applies = [t for t in result.federal if t.status == "Applies"]
    not_yet = [t for t in result.federal if t.status != "Applies"]
    base = fv.fact("handbook.coverage.all_employers")
    stericycle = fv.fact("handbook.nlra.stericycle")
    at_risk = fv.fact("handbook.nlra.rules_at_risk")
    at_will = next(p for p in result.policies if p.policy == "at_will")
    nlra_present = [POLICY_LABELS[k] for k in NLRA_POLICIES if k in set(intake.policies_present)]
    federal_blocks: list[PartBlock] = [
        para(f"Most federal employment laws start at a headcount. With {intake.headcount} employees the following "
             f"apply: {_listing([t.law for t in applies])}. Not triggered at this headcount: "
             f"{_listing([f'{t.law} ({t.threshold}+ employees)' for t in not_yet])}."),
        table(("Law", "Threshold", "Status", "What it means for the handbook", "Authority"),
              ([t.law, f"{t.threshold}+ employees", t.status, t.handbook, t.authority] for t in result.federal),
              (1.2, 0.9, 0.9, 2.0, 1.6)),
        subheading("Laws that apply from the first employee"),
        bullets([str(v) for v in base.value] if isinstance(base.value, list) else [str(base.value)]),
        subheading("At-will employment statement"),
        para("The handbook includes an at-will statement. This is a strength, not a gap: it preserves the "
             "employer's right to end employment and guards against a claim that the handbook is a contract. It "
             "should not promise discipline steps or job security elsewhere in the handbook."
             if at_will.status == "Present" else
             "The client did not report an at-will statement. No statute requires one, but without it other "
             "handbook language (discipline steps, probation periods) can be read as a promise of continued "
             "employment."),
        subheading("NLRA limits on handbook rules"),
        para(f"Standard applied: {stericycle.value} ({stericycle.source})."),
        *([para("This standard is marked to be confirmed: a Board with a new majority may return to the earlier, "
                "more permissive test, so counsel should confirm the current standard before relying on it.")]
          if stericycle.status != "verified" else []),
        para("Rules commonly challenged:"),
        bullets([str(v) for v in at_risk.value] if isinstance(at_risk.value, list) else [str(at_risk.value)]),
        para(f"Present policies to review against this standard: {_listing(nlra_present)}."),
    ]
    federal_part = part(*federal_blocks)

    state_blocks: list[PartBlock] = []
    for s in dict.fromkeys(intake.states):
        name = state_name(s)
        rows = [r for r in result.states if r.state == s]
        state_blocks.append(subheading(name))
        if not rows:
            state_blocks.append(para(f"The reviewed facts record no handbook policy that {name} mandates beyond "
                                     f"federal law; counsel licensed in {name} should confirm."))
            continue
        sick = [r for r in rows if r.policy == "sick_leave" and r.status == "Missing"]
        if sick:
            state_blocks.append(para(f"Flagged: Sick leave: Not reported. {name} requires a paid sick leave policy "
                                     f"of this employer ({sick[0].rule}; {sick[0].authority})."))
        state_blocks.append(table(
            ("Requirement", "Rule", "Handbook", "Effective", "Authority"),
            ([r.requirement, r.rule, "Not reported" if r.status == "Missing" else r.status, r.effective,
              r.authority] for r in rows), (1.3, 2.5, 0.8, 0.8, 1.3)))
    state_part = part(*state_blocks)

    policy_rows = []
    for p in result.policies:
        status, note = _policy_note(p, result)
        policy_rows.append([p.label, status, note, _policy_authority(p, result)])
    policy_part = part(table(("Requirement", "Status", "Note", "Authority"), policy_rows, (1.3, 0.8, 2.6, 1.5)))

    parts = standard_parts(result) | {"policies_reviewed": reviewed, "federal": federal_part, "states": state_part,
                                      "policy_review": policy_part}
    names = join_words(work_states)
    return ReportAnalysis(result=result, parts=parts, jurisdiction=Jurisdiction(
        laws=f"Federal employment law and the employment laws of {names}", counsel=names))
