"""Breach response plan analysis: the NIST SP 800-61 life cycle filled in for this business, a severity matrix, the
evidence-handling rules, and the notification matrix: for every state whose residents' data the business holds,
the deadline to notify residents, whether the attorney general or another regulator must be told and from how
many residents, the consumer reporting agency threshold and the content rules; plus card-brand (PCI) and
cyber-insurer notice. Every figure comes from the facts files; the thresholds are read from the state table's
text by `threshold` (tested against every row).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Literal

from pwcore.compliance.analysis.common import FactsView, state_name
from pwcore.compliance.analysis.findings import AnalysisBase, FactsTable, Frozen, Status
from pwcore.compliance.analysis.privacy import Checklist, as_list, counts, home_state, ordered_states
from pwcore.compliance.services.breach_response_plan import BreachResponsePlanIntake

SERVICE = "breach_response_plan"
TABLE = "states.breach_notification"
# Data types that are "personal information" in (nearly) every state's breach law when combined with a name;
# contact details, birth dates and general employee records mostly are not on their own.
NOTIFIABLE = ("ssn", "drivers_license", "financial_account", "payment_card", "health", "biometric",
              "login_credentials")
DATA_LABELS: dict[str, str] = {
    "ssn": "Social Security numbers", "drivers_license": "driver's license numbers",
    "financial_account": "financial account numbers", "payment_card": "payment card numbers",
    "health": "health information", "biometric": "biometric data", "login_credentials": "login credentials",
    "contact_information": "contact information", "dates_of_birth": "dates of birth",
    "employee_records": "employee records",
}

_MORE_THAN = re.compile(r"\b(?:more than|over|exceeds?|in excess of)\s+(\d[\d,]*)")
_OR_MORE = re.compile(r"\b(\d[\d,]*)\s*(?:or more|\+)|\bat least\s+(\d[\d,]*)")
_TIED = re.compile(r"\bwithin \d+ (?:business )?days of (?:notifying|determ|discover)")
_DAYS = re.compile(r"\b(\d+)\s+(?:calendar\s+|business\s+)?days\b")


class Threshold(Frozen):
    kind: Literal["count", "any", "none", "unknown"]
    residents: int | None = None  # the smallest number of affected residents that triggers the notice

    def label(self) -> str:
        if self.kind == "count":
            return f"{self.residents:,} or more residents"
        return {"any": "any breach requiring notice to residents", "none": "no notice required",
                "unknown": "not stated: confirm"}[self.kind]


def threshold(text: str) -> Threshold:
    """The trigger of a regulator or agency notice, from the table's text: 'more than 1,000' is 1,001 residents,
    '500 or more' is 500; 'none'/'no statutory' is no notice; a notice tied to the residents' notice is any."""
    low = text.lower()
    if low.startswith(("none", "no statutory", "no ")):
        return Threshold(kind="none")
    m = _MORE_THAN.search(low)
    if m:
        return Threshold(kind="count", residents=int(m.group(1).replace(",", "")) + 1)
    m = _OR_MORE.search(low)
    if m:
        return Threshold(kind="count", residents=int((m.group(1) or m.group(2)).replace(",", "")))
    if any(w in low for w in ("any breach", "no later than notice", "at the same time", "for any",
                              "before notifying", "preliminary notice")) or _TIED.search(low):
        return Threshold(kind="any")
    return Threshold(kind="unknown")


def deadline_days(text: str) -> int | None:
    """The numeric deadline in a residents'-notice rule ('no later than 30 days after ...'), None if none."""
    m = _DAYS.search(text)
    return int(m.group(1)) if m else None


class NoticeRow(Frozen):
    state: str
    name: str
    individual_deadline: str
    deadline_days: int | None
    regulator_notice: str
    regulator_threshold: Threshold
    regulator_status: Status
    cra_notice: str
    cra_threshold: Threshold
    cra_status: Status
    content: str
    content_from_state_row: bool  # False: the general content list applies until the state's rule is checked
    encryption_safe_harbor: bool | None
    authority: str
    needs_review: bool


class Phase(Frozen):
    name: str
    actions: list[str]
    authority: str


class SeverityLevel(Frozen):
    level: Literal["Critical", "High", "Medium", "Low"]
    criteria: str
    response: str
    this_business: str  # what would put an incident at this business at this level


class Letter(Frozen):
    audience: str
    when: str
    contents: list[str]
    authority: str


class BreachResponseAnalysis(AnalysisBase):
    home_state: str | None
    jurisdictions: list[str]
    phases: list[Phase]
    severity: list[SeverityLevel]
    evidence: list[str]
    notifications: list[NoticeRow]
    letters: list[Letter]
    shortest_deadline_days: int | None
    counts: dict[str, int]


def analyse(intake: BreachResponsePlanIntake, as_of: date, *, home: str | None = None, strict: bool = False,
            facts_dir: Path | None = None) -> BreachResponseAnalysis:
    fv = FactsView(SERVICE, as_of, strict=strict, directory=facts_dir)
    return _Analysis(intake, fv, home_state(home, intake.resident_states)).run()


def _status(t: Threshold, records: int) -> Status:
    if t.kind == "none":
        return "Not applicable"
    if t.kind == "any":
        return "Applies"
    if t.kind == "count" and t.residents is not None and records < t.residents:
        return "Does not apply"  # fewer records in total than the state's threshold
    return "Review"  # depends on how many of the affected are residents of the state


class _Analysis:
    def __init__(self, m: BreachResponsePlanIntake, fv: FactsView, home: str | None) -> None:
        self.m = m
        self.fv = fv
        self.home = home
        self.cl = Checklist()
        self.notifiable = [d for d in m.data_types if d in NOTIFIABLE]

    def notice_rows(self) -> list[NoticeRow]:
        rows = []
        general = as_list(self.fv.value("breach.content.general"))
        for s in ordered_states(self.home, self.m.resident_states):
            r = self.fv.row(TABLE, s)
            if r is None:
                self.cl.add(f"Notice to {state_name(s)} residents", "Review",
                            "no row for this jurisdiction in the facts file",
                            self.fv.source("breach.state.table_scope"),
                            priority="High", action=f"Research {state_name(s)}'s breach law before the plan is final")
                continue
            c = r.cells
            reg, cra = str(c.get("regulator_notice", "")), str(c.get("cra_notice", ""))
            rt, ct = threshold(reg), threshold(cra)
            content = c.get("content")
            row = NoticeRow(
                state=s, name=state_name(s), individual_deadline=str(c.get("individual_deadline", "")),
                deadline_days=deadline_days(str(c.get("individual_deadline", ""))), regulator_notice=reg,
                regulator_threshold=rt, regulator_status=_status(rt, self.m.record_count), cra_notice=cra,
                cra_threshold=ct, cra_status=_status(ct, self.m.record_count),
                content=str(content) if content else "; ".join(general), content_from_state_row=bool(content),
                encryption_safe_harbor=c.get("encryption_safe_harbor") if isinstance(
                    c.get("encryption_safe_harbor"), bool) else None,
                authority=r.source, needs_review=r.needs_review)
            rows.append(row)
            self.cl.add(f"Notice to {row.name} residents", "Review", row.individual_deadline, row.authority,
                        priority="High", action=f"Put {row.name}'s deadline ({row.individual_deadline}) and content "
                                                "rules in the notification procedure")
            if row.regulator_status in ("Applies", "Review"):
                self.cl.add(f"Notice to the {row.name} regulator", row.regulator_status,
                            f"{reg} (threshold: {rt.label()}; records held: {self.m.record_count:,})", row.authority)
            if row.cra_status in ("Applies", "Review"):
                self.cl.add(f"{row.name}: notice to the consumer reporting agencies", row.cra_status,
                            f"{cra} (threshold: {ct.label()})", row.authority)
            if not row.content_from_state_row:
                self.cl.add(f"{row.name}: notice content rules", "Review", "the facts file records no content rule "
                            "for this state; the general content list applies until it is checked", row.authority,
                            priority="Medium", action=f"Confirm {row.name}'s required notice contents")
        return rows

    def preparation(self) -> list[str]:
        m, cl = self.m, self.cl
        life = self.fv.source("breach.nist.sp800_61r2_lifecycle")
        if m.has_incident_response_team is True:
            cl.add("Incident response team with named roles", "Met", "a team exists", life)
        else:
            cl.add("Incident response team with named roles", "Not met" if m.has_incident_response_team is False
                   else "Review", "no incident response team" if m.has_incident_response_team is False else
                   "the intake does not say", life, priority="High", owner="Owner",
                   action="Name an Incident Lead, a deputy, and contacts for IT, legal, communications and HR, "
                          "with out-of-hours phone numbers")
        cl.add("Outside IT and forensics contacts", "Met" if m.it_provider else "Review",
               m.it_provider or "no IT provider named", life, priority="Medium",
               action=None if m.it_provider else "Name the IT provider and a forensics firm (the insurer's panel "
                                                  "where there is a policy)")
        cl.add("Inventory of systems holding personal information", "Met" if m.systems else "Review",
               "; ".join(m.systems) or "no systems listed", life, priority="Medium",
               action=None if m.systems else "List every system that stores personal information")
        enc = "encryption safe harbor (the states' rows): encrypted data is exempt unless the key is compromised"
        if m.encrypts_data_at_rest is True:
            cl.add("Encryption of personal information at rest", "Met", enc, life)
        else:
            cl.add("Encryption of personal information at rest", "Not met" if m.encrypts_data_at_rest is False
                   else "Review", "data at rest is not encrypted" if m.encrypts_data_at_rest is False else
                   "the intake does not say", life, priority="High", owner="IT provider",
                   action="Encrypt personal information at rest: most state laws then exempt a breach unless the "
                          "key is also compromised")
        actions = ["Incident Lead: " + ("the existing team lead" if m.has_incident_response_team else
                                        "to be named (no team yet)")]
        if m.it_provider:
            actions.append(f"Technical response: {m.it_provider}")
        actions += [f"Systems in scope: {'; '.join(m.systems)}" if m.systems else "Systems in scope: to be listed",
                    "Contact lists for counsel, insurer, card acquirer, regulators and the consumer reporting "
                    "agencies kept outside the affected systems", "Tabletop exercise at least yearly"]
        return actions

    def insurer_and_cards(self) -> list[Letter]:
        m, cl = self.m, self.cl
        letters: list[Letter] = []
        ins = self.fv.fact("breach.insurance.notice")
        if m.has_cyber_insurance:
            cl.add("Notice to the cyber insurer", "Review", str(ins.value), ins.source, priority="High",
                   owner="Owner", action="Record the carrier, policy number, notice method and deadline, and panel "
                                         "vendors in the plan; notify before hiring vendors")
            letters.append(Letter(audience="Cyber insurer", when="at once, under the policy's notice clause",
                                  contents=["policy number", "date of discovery", "what is known of the incident",
                                            "request for panel counsel and forensics"], authority=ins.source))
        else:
            cl.add("Notice to the cyber insurer", "Not applicable" if m.has_cyber_insurance is False else "Review",
                   "no cyber insurance" if m.has_cyber_insurance is False else "the intake does not say",
                   ins.source)
        if "payment_card" in m.data_types:
            pci = self.fv.fact("breach.pci.card_brands")
            cl.add("Notice to the card acquirer and card brands (PCI DSS)", "Review", str(pci.value), pci.source,
                   priority="High", owner="Owner", action="Record the acquirer's incident contact and the merchant "
                                                          "agreement's notice deadline in the plan")
            letters.append(Letter(audience="Card acquirer and card brands", when="by the merchant agreement's "
                                  "deadline", contents=["merchant identification", "dates and scope of the "
                                  "compromise", "card data involved", "forensic investigator engaged"],
                                  authority=pci.source))
        if "health" in m.data_types:
            hipaa = self.fv.fact("breach.hipaa.individuals")
            cl.add("HIPAA breach notification", "Review", f"if the business is a covered entity or business "
                   f"associate: individuals within {hipaa.value} days at the latest", hipaa.source, priority="Medium",
                   action="Confirm whether HIPAA applies to the health information held")
        if "financial_account" in m.data_types:
            ftc = self.fv.fact("breach.glba.ftc_safeguards")
            cl.add("FTC Safeguards Rule notice", "Review", "only for non-bank financial institutions: "
                   + str(ftc.value), ftc.source)
        return letters

    def severity(self) -> list[SeverityLevel]:
        cat = self.fv.value("breach.severity.impact_categories")
        tgt = self.fv.value("breach.severity.response_targets")
        assert isinstance(cat, dict) and isinstance(tgt, dict)
        fi, ii, rc = (as_list(cat[k]) for k in ("functional_impact", "information_impact", "recoverability"))
        sensitive = ", ".join(DATA_LABELS[d] for d in self.notifiable) or "none held"
        other = ", ".join(DATA_LABELS[d] for d in self.m.data_types if d not in NOTIFIABLE) or "none held"
        return [
            SeverityLevel(level="Critical", criteria=f"information impact {ii[1]} of data that triggers notice, or "
                          f"functional impact {fi[3]}, or recoverability {rc[3]}", response=str(tgt["critical"]),
                          this_business=f"any access to {sensitive}"),
            SeverityLevel(level="High", criteria=f"{ii[1]} of other personal information, {ii[2]}, functional "
                          f"impact {fi[2]}, or recoverability {rc[2]}", response=str(tgt["high"]),
                          this_business=f"access to {other}; ransomware on a system in scope"),
            SeverityLevel(level="Medium", criteria=f"functional impact {fi[1]}, {ii[3]} without personal "
                          f"information, or recoverability {rc[1]}", response=str(tgt["medium"]),
                          this_business="a compromised account with no personal information reached"),
            SeverityLevel(level="Low", criteria=f"functional impact {fi[0]}, information impact {ii[0]}, "
                          f"recoverability {rc[0]}", response=str(tgt["low"]),
                          this_business="a phishing attempt reported with no access (as in the intake's past "
                                        "incident)" if self.m.past_incidents else "a blocked attempt with no access"),
        ]

    def run(self) -> BreachResponseAnalysis:
        m = self.m
        life = self.fv.fact("breach.nist.sp800_61r2_lifecycle")
        names = as_list(life.value)
        prep = self.preparation()
        evidence = as_list(self.fv.value("breach.evidence.handling"))
        self.cl.add("Evidence handling and chain of custody", "Review", "; ".join(evidence),
                    self.fv.source("breach.evidence.handling"), priority="Medium", owner="IT provider",
                    action="Adopt the chain-of-custody log and preserve logs before rebuilding systems")
        notices = self.notice_rows()
        letters = self.insurer_and_cards()
        days = [n.deadline_days for n in notices if n.deadline_days is not None]
        shortest = min(days) if days else None
        assess = (f"determine the data and the residents affected well inside the shortest deadline "
                  f"({shortest} days)" if shortest else "determine the data and the residents affected")
        phases = [
            Phase(name=names[0], actions=prep, authority=life.source),
            Phase(name=names[1], actions=["any employee reports a suspected incident to the Incident Lead at once",
                                          "classify severity with the matrix", assess,
                                          "start the incident log (times in UTC)"], authority=life.source),
            Phase(name=names[2], actions=["isolate affected systems; preserve evidence before changes",
                                          "remove the cause; reset credentials; patch",
                                          "restore from clean backups and monitor"], authority=life.source),
            Phase(name=names[3], actions=["lessons-learned meeting within two weeks", "update this plan",
                                          "keep incident records and evidence under the retention policy"]
                  + ([f"past incident on record: {m.past_incidents}"] if m.past_incidents else []),
                  authority=life.source),
        ]
        r3 = self.fv.fact("breach.nist.sp800_61r3")
        self.cl.add("Plan follows the NIST SP 800-61 life cycle", "Met", " / ".join(names) + "; mapped to "
                    "SP 800-61r3 (CSF 2.0 functions)", f"{life.source}; {r3.source}")
        for n in notices:
            letters.append(Letter(audience=f"{n.name} residents", when=n.individual_deadline,
                                  contents=n.content.split("; "), authority=n.authority))
        regs = [n for n in notices if n.regulator_status in ("Applies", "Review")]
        if regs:
            letters.append(Letter(audience="State attorneys general and regulators",
                                  when="; ".join(f"{n.name}: {n.regulator_notice}" for n in regs),
                                  contents=["the notice sent to residents", "the number of residents notified",
                                            "dates of the breach and of discovery", "measures taken"],
                                  authority="; ".join(n.authority for n in regs)))
        cras = [n for n in notices if n.cra_status in ("Applies", "Review")]
        if cras:
            cra = self.fv.fact("breach.cra.notice_contents")
            letters.append(Letter(audience="Nationwide consumer reporting agencies",
                                  when="; ".join(f"{n.name}: {n.cra_threshold.label()}" for n in cras),
                                  contents=[str(cra.value)], authority=cra.source))
        self.fv.fact("breach.state.table_scope")  # the rule that the residents' state decides (appendix)
        jurisdictions = ["United States (federal: NIST SP 800-61, FTC, card brands)"] + [
            f"{n.name} ({n.authority})" for n in notices]
        tables = [
            FactsTable(title="Notification matrix", columns=[
                "State", "Residents' deadline", "Regulator notice", "Regulator threshold", "Regulator",
                "Consumer reporting agencies", "Agencies", "Content", "Source"],
                rows=[[n.name, n.individual_deadline, n.regulator_notice, n.regulator_threshold.label(),
                       n.regulator_status, n.cra_threshold.label(), n.cra_status, n.content, n.authority]
                      for n in notices]),
            FactsTable(title="Severity levels", columns=["Level", "Criteria", "Response", "At this business"],
                       rows=[[s.level, s.criteria, s.response, s.this_business] for s in self.severity()]),
            FactsTable(title="Incident response life cycle", columns=["Phase", "Actions"],
                       rows=[[p.name, "; ".join(p.actions)] for p in phases]),
        ]
        findings = self.fv.stale_findings() + self.cl.findings
        return BreachResponseAnalysis(
            service=SERVICE, as_of=self.fv.as_of, tables=tables, checklist=self.cl.items, findings=findings,
            facts_used=[u.id for u in self.fv.used],
            sources=self.fv.used, stale_facts=self.fv.stale, home_state=self.home, jurisdictions=jurisdictions,
            phases=phases, severity=self.severity(), evidence=evidence, notifications=notices, letters=letters,
            shortest_deadline_days=shortest, counts=counts(self.cl.items, findings))

