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

from pwcore.compliance.analysis.kit import *
from pwcore.compliance.services.breach_response_plan import BREACH_DATA_LABELS as BREACH_LABELS
from pwcore.compliance.services.breach_response_plan import BreachResponsePlanIntake
from pwcore.model.formatting import join_words

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
            if ct.kind == "none" and "confirm" in cra.lower():
                ct = Threshold(kind="unknown")  # the table doubts its own "none": reviewed, not dismissed
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
        cl.answer("Incident response team with named roles", m.has_incident_response_team, "a team exists",
                  "no incident response team", life, owner="Owner",
                  action="Name an Incident Lead, a deputy, and contacts for IT, legal, communications and HR, "
                         "with out-of-hours phone numbers")
        cl.add("Outside IT and forensics contacts", "Met" if m.it_provider else "Review",
               clean(m.it_provider or "no IT provider named"), life, priority="Medium",
               action=None if m.it_provider else "Name the IT provider and a forensics firm (the insurer's panel "
                                                  "where there is a policy)")
        cl.add("Inventory of systems holding personal information", "Met" if m.systems else "Review",
               clean("; ".join(m.systems)) or "no systems listed", life, priority="Medium",
               action=None if m.systems else "List every system that stores personal information")
        enc = "encryption safe harbor (the states' rows): encrypted data is exempt unless the key is compromised"
        cl.answer("Encryption of personal information at rest", m.encrypts_data_at_rest, enc,
                  "data at rest is not encrypted", life, owner="IT provider",
                  action="Encrypt personal information at rest: most state laws then exempt a breach unless the "
                         "key is also compromised")
        actions = ["Incident Lead: " + ("the existing team lead" if m.has_incident_response_team else
                                        "to be named (no team yet)")]
        if m.it_provider:
            actions.append(f"Technical response: {clean(m.it_provider)}")
        listed = clean("; ".join(m.systems)) if m.systems else "to be listed"
        actions += [f"Systems in scope: {listed}",
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
                  + ([f"past incident on record: {clean(m.past_incidents)}"] if m.past_incidents else []),
                  authority=life.source),
        ]
        police = self.fv.fact("breach.law_enforcement.delay")
        self.cl.add("Law enforcement contact and delay requests", "Review", str(police.value), police.source,
                    priority="Low", owner="Incident Lead",
                    action="Name the law enforcement contact (local police or FBI field office) in the plan and "
                           "record any request to delay notice in writing")
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



# --- The report: the plan's parts on the NIST SP 800-61 life cycle ------------------------------------------------

def _yes(flag: bool | None, yes: str, no: str, unknown: str = "not stated in the intake") -> str:
    return yes if flag is True else no if flag is False else unknown


def _regulator(n: NoticeRow) -> str:
    return f"{n.regulator_notice}. Threshold: {n.regulator_threshold.label()}. Status: {n.regulator_status}."


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _trigger(n: NoticeRow) -> str:
    return {True: "Unencrypted personal information; encrypted data is exempt unless the key was also compromised",
            False: "Personal information, encrypted or not (no encryption exemption recorded)",
            None: "Personal information (encryption exemption: confirm)"}[n.encryption_safe_harbor]


def _roles(m: BreachResponsePlanIntake, provider: str | None) -> list[list[str]]:
    team = "[Name] (from the existing team)" if m.has_incident_response_team else "To be assigned"
    rows = [
        ["Incident Lead", "Declares an incident, sets severity, runs the response and the incident log", team,
         "[Phone, out-of-hours phone, email]"],
        ["Deputy Incident Lead", "Acts when the Incident Lead is unavailable", team, "[Phone, email]"],
        ["IT and security", "Containment, evidence preservation, eradication and recovery",
         provider or "[IT provider: to be named]", "[24-hour support line, account number]"],
        ["Legal counsel", "Privilege, notification decisions, regulator contact", "[Outside counsel]",
         "[Phone, email]"],
        ["Communications", "Notices to individuals, media and customer questions", "[Name]", "[Phone, email]"],
        ["Human resources", "Employee data and staff communications", "[Name]", "[Phone, email]"],
    ]
    if m.has_cyber_insurance:
        rows.append(["Cyber insurer", "Coverage, panel counsel and forensics", "[Carrier, policy number]",
                     "[Claims hotline, notice email]"])
    if "payment_card" in m.data_types:
        rows.append(["Card acquirer", "Card-brand notice and forensic investigation", "[Acquirer / processor]",
                     "[Incident contact]"])
    rows.append(["Law enforcement", "Criminal report; requests to delay notice", "[Local police / FBI field office]",
                 "[Phone]"])
    return rows


def _headed(*sections: tuple[str, str]) -> list[PartBlock]:
    """A letter's paragraphs, each under its bold heading line."""
    return [block for heading, text in sections for block in (PartParagraph(text=heading, bold=True), para(text))]


def _individual_letter(r: BreachResponseAnalysis) -> list[PartBlock]:
    names = join_words([n.name for n in r.notifications]) if r.notifications else "[state]"
    return [
        subheading("Template 1: Notice to affected individuals"),
        para(f"Use for residents of {names}. Replace every bracketed item; delete what does not apply; check the "
             "letter against the content requirements of each state in the notification matrix (a state's own "
             "list governs where it differs)."),
        para("[Business letterhead]    [Date]    [Recipient name and address]"),
        *_headed(
            ("NOTICE OF DATA BREACH", "Dear [Recipient name],"),
            ("What happened",
             "On [date of discovery], [business name] learned that [general description of the "
             "incident]. The incident occurred [on / between] [date, estimated date or date range of the breach]. "
             "[Notice was delayed at the request of [law enforcement agency] because notice would have impeded its "
             "investigation.]"),
            ("What information was involved",
             "The information involved included your name and [types of "
             "personal information involved for this recipient]."),
            ("What we are doing",
             "We [steps taken to contain the incident and protect the information], notified "
             "[law enforcement / regulators] and [offer of identity theft protection or credit monitoring: provider, "
             "duration, enrollment code and deadline]."),
            ("What you can do",
             "Review your account statements and credit reports and report anything unusual. You "
             "may place a fraud alert or a security freeze on your credit file free of charge by contacting the "
             "nationwide consumer reporting agencies: [Equifax: toll-free number, address, website]; [Experian: "
             "toll-free number, address, website]; [TransUnion: toll-free number, address, website]. You can learn "
             "more about identity theft from the Federal Trade Commission: [FTC toll-free number, address, "
             "website] [and from your state attorney general: [contact details where the state requires them]]."),
            ("For more information",
             "Call [toll-free number] between [hours], write to [postal address] or email "
             "[email address]."),
        ),
        para("Sincerely, [Name, title]"),
    ]


def _ag_letter(r: BreachResponseAnalysis) -> list[PartBlock]:
    regs = [n for n in r.notifications if n.regulator_status in ("Applies", "Review")]
    intro = ("Send where the matrix shows a regulator notice that applies or must be reviewed: "
             + "; ".join(f"{n.name} ({n.regulator_notice})" for n in regs) + "." if regs else
             "No state in the matrix requires a regulator notice on the facts reported; keep the template for a "
             "change in the states or records held.")
    return [
        subheading("Template 2: Notice to a state attorney general or regulator"),
        para(intro + " Many attorneys general take the notice through an online form; the form's fields then "
                     "govern, and the paragraphs below supply the answers."),
        para("[Office of the Attorney General of [state]]    [Address or online portal]    [Date]"),
        *_headed(
            ("Re: Notice of a security breach affecting [number] [state] residents",
             "[Business name], [address], [type of business], gives notice under [statute] of a breach of the "
             "security of its system."),
            ("Dates",
             "The breach occurred [on / between] [dates]; it was discovered on [date]; notice to residents "
             "was [sent / will be sent] on [date] by [mail / email / substitute notice]."),
            ("Residents affected", "[Number] residents of [state]; [total number] individuals in all."),
            ("Information involved",
             "[Types of personal information]; the information [was / was not] encrypted "
             "[and the key was / was not compromised]."),
            ("Description and response",
             "[General description of the incident, its cause as known, and the steps "
             "taken to contain it and to prevent a recurrence.] [Law enforcement was notified on [date]; any delay "
             "requested by law enforcement: [details].]"),
            ("Services offered", "[Credit monitoring or identity theft protection: provider and duration.]"),
        ),
        para("Attached: a copy of the notice sent to residents. Contact: [name, title, phone, email]."),
    ]


def for_report(intake: BreachResponsePlanIntake, as_of: date, entity_state: str) -> ReportAnalysis:
    r = analyse(intake, as_of, home=entity_state)
    fv = FactsView(SERVICE, as_of)  # the texts below; analyse() has already recorded each as a source
    m = intake
    notifiable = [d for d in m.data_types if d in NOTIFIABLE]
    phases = {p.name: p for p in r.phases}
    names = [p.name for p in r.phases]
    systems = join_words([clean(x) for x in m.systems]) if m.systems else "[systems to be listed]"
    provider = clean(m.it_provider) if m.it_provider else None
    state_names = [n.name for n in r.notifications] or [state_name(s) for s in ordered_states(
        r.home_state, m.resident_states)]
    enc = _yes(m.encrypts_data_at_rest, "encrypted at rest", "not encrypted at rest")

    scope = part(
        para(f"This plan governs the response to any incident that may compromise personal information held by the "
             f"business: {m.record_count:,} records held in {systems}, about residents of {join_words(state_names)}. "
             f"It follows the incident response life cycle of NIST SP 800-61 ({' / '.join(names)}), which SP "
             "800-61r3 maps onto the CSF 2.0 functions; each phase below is one section of the plan."),
        subheading("Personal information in scope"),
        table(("Data type", "Triggers state breach notice", "Severity if accessed"),
              ([BREACH_LABELS.get(d, d), "Yes, combined with a name" if d in NOTIFIABLE else
                "Generally not on its own", "Critical" if d in NOTIFIABLE else "High"] for d in m.data_types),
              (2.2, 2.2, 1.4)),
        para(f"Personal information is {enc}. An incident response team is "
             f"{_yes(m.has_incident_response_team, 'in place', 'not yet in place')}; cyber insurance is "
             f"{_yes(m.has_cyber_insurance, 'in place', 'not held')}."),
    )

    prep = phases[names[0]]
    preparation = part(
        subheading("Roles and contacts"),
        para("Each role is assigned before an incident and the list is kept, with out-of-hours numbers, outside the "
             "systems it protects (printed and on a personal device)."),
        table(("Role", "Responsibility", "Assigned to", "Contact"), _roles(m, provider), (1.2, 2.4, 1.5, 1.5)),
        subheading("Tools and resources"),
        bullets([a for a in prep.actions if not a.startswith(("Incident Lead", "Tabletop"))] + [
            "Central logging for the systems in scope, kept long enough to reconstruct an incident",
            "Offline or immutable backups of the systems in scope, with a tested restore",
            f"Encryption: personal information is {enc}",
            "An out-of-band channel (phone bridge or separate messaging) for when email or chat is compromised",
            "A jump bag: this plan, the contact list, the chain-of-custody forms and the notification templates"]),
        subheading("Training and exercises"),
        bullets(["Every employee: how to recognise and report a suspected incident, at hire and each year",
                 "Response team: a tabletop exercise each year using a scenario from the severity table",
                 "After each exercise or incident: update this plan and the contact list"]),
    )

    evidence_log = table(("Item", "Identifiers", "Collected by", "Date and time (zone)", "Stored at", "Transfers"),
                         [["[1]", "[serial, hostname, MAC/IP]", "[name, title, phone]", "[date time zone]",
                           "[location]", "[to whom, when]"]], (0.5, 1.4, 1.3, 1.1, 1.0, 1.1))
    detection = part(
        subheading("Detection and escalation"),
        numbered(_cap(a) for a in phases[names[1]].actions),
        subheading("Severity levels"),
        para("The Incident Lead sets the level when the incident is declared and revises it as facts emerge; the "
             "response times are this plan's targets, not legal deadlines."),
        table(("Level", "Criteria", "Response time", "At this business"),
              ([s.level, _cap(s.criteria), _cap(s.response), _cap(s.this_business)] for s in r.severity),
              (0.8, 2.0, 1.8, 1.6)),
        subheading("Evidence handling and chain of custody"),
        numbered([_cap(r.evidence[0]), _cap("; ".join(r.evidence[1:-1])), _cap(r.evidence[-1])]
                 if len(r.evidence) > 2 else [_cap(e) for e in r.evidence]),
        para("Chain-of-custody log (one row per item of evidence):"),
        evidence_log,
    )

    steps = phases[names[2]].actions
    containment = part(
        subheading("Containment"),
        numbered([_cap(steps[0]), f"Disconnect affected accounts or devices in {systems}; do not power off a system "
                  "before memory is captured", "Block the attacker's access: disable compromised accounts, revoke "
                  "sessions and API keys", "Decide with counsel and the insurer before paying any ransom"]),
        subheading("Eradication"),
        numbered([_cap(steps[1]), "Scan the remaining systems for the same indicators",
                  "Confirm with " + (provider or "the IT provider") + " that the cause is removed"]),
        subheading("Recovery"),
        numbered([_cap(steps[2]), "Return systems to service in stages, watching for renewed activity",
                  "Record when each system returned to service in the incident log"]),
    )

    notices = r.notifications
    pci = fv.fact("breach.pci.card_brands")
    ins = fv.fact("breach.insurance.notice")
    police = fv.fact("breach.law_enforcement.delay")
    cra = fv.fact("breach.cra.notice_contents")
    scope_rule = fv.value("breach.state.table_scope")
    short = (f" The shortest deadline is {r.shortest_deadline_days} days." if r.shortest_deadline_days else "")
    notification: list[PartBlock] = [
        para(f"Which law applies: {scope_rule}. The matrix below covers every state the intake lists.{short} "
             "A duty to notify arises on the unauthorized acquisition of a resident's personal information; of the "
             "data the business holds, "
             + (", ".join(DATA_LABELS[d] for d in notifiable) or "none of the types listed")
             + " are personal information under these laws when combined with a name. "
             "A regulator or agency notice with status \u201cReview\u201d depends on how many of the affected "
             "individuals live in that state, which is known only at the time of an incident."),
        subheading("Notification matrix"),
        table(("State", "Trigger", "Deadline to notify residents", "Attorney general or regulator notice"),
              ([n.name, _trigger(n), _cap(n.individual_deadline), _cap(_regulator(n))] for n in notices),
              (0.9, 1.6, 1.8, 2.2)),
        subheading("Content of the notice to residents"),
        table(("State", "Content requirements", "Source"),
              ([n.name, n.content + ("" if n.content_from_state_row else " (general list: confirm the state's "
                                     "own rule)"), n.authority + (" (to be confirmed)" if n.needs_review else "")]
               for n in notices), (0.9, 4.0, 1.5)),
        subheading("Consumer reporting agencies"),
        para(f"{_cap(str(cra.value))} ({cra.source})."),
        table(("State", "Agency notice rule", "Threshold", "Status"),
              ([n.name, n.cra_notice, n.cra_threshold.label(), n.cra_status] for n in notices), (1.0, 3.0, 1.4, 1.0)),
    ]
    if "payment_card" in m.data_types:
        notification += [subheading("Payment card brands and acquirer (PCI DSS)"),
                         para(f"The business holds payment card numbers. {pci.value} ({pci.source}). Notify the "
                              "acquirer before any public notice and follow its instructions on a forensic "
                              "investigator.")]
    if m.has_cyber_insurance:
        notification += [subheading("Cyber insurer"),
                         para(f"The business holds a cyber insurance policy. {_cap(str(ins.value))}. "
                              "Notify the carrier when a High or Critical incident is declared and before "
                              "engaging counsel or forensic firms.")]
    notification += [subheading("Law enforcement"),
                      para("Report criminal activity to local police or the FBI field office. "
                           f"{_cap(str(police.value))} ({police.source}).")]
    federal = []
    if "health" in m.data_types:
        hipaa = fv.fact("breach.hipaa.individuals")
        federal.append(f"HIPAA, if the business is a covered entity or business associate: individuals within "
                       f"{hipaa.value} {hipaa.unit} ({hipaa.source}).")
    if "financial_account" in m.data_types:
        ftc = fv.fact("breach.glba.ftc_safeguards")
        federal.append(f"FTC Safeguards Rule, only for non-bank financial institutions: {ftc.value} ({ftc.source}).")
    if federal:
        notification += [subheading("Federal rules that may apply"), bullets(federal)]

    letters = part(
        *_individual_letter(r), *_ag_letter(r),
        subheading("Other notices"),
        bullets([f"{x.audience}: {x.when}. Include: {'; '.join(x.contents)}." for x in r.letters
                 if not x.audience.endswith(" residents") and not x.audience.startswith(("State attorneys",
                                                                                          "Nationwide"))]),
    )

    post = phases[names[3]]
    past: list[PartBlock] = [subheading("Incidents on record"), para(clean(m.past_incidents or ""))]
    post_incident = part(
        subheading("Lessons learned"),
        numbered([_cap(post.actions[0]), "Review what happened and when, what worked, what did not, and what "
                  "would have detected the incident sooner", _cap(post.actions[1]) + " and the contact list; assign "
                  "each improvement an owner and a date"]),
        subheading("Record retention"),
        bullets([_cap(post.actions[2]), "Keep the incident log, the severity decisions and their reasons, and any "
                 "decision that notice was not required, with the facts it relied on",
                 "Keep copies of every notice sent, the mailing lists, proof of mailing and regulator confirmations",
                 "Suspend deletion of anything relevant when counsel issues a litigation hold"]),
        *(past if m.past_incidents else []),
    )

    home = r.home_state or entity_state
    counsel = join_words(state_names) if state_names else state_name(home)
    parts = {"scope": scope, "preparation": preparation, "detection": detection, "containment": containment,
             "notification": part(*notification), "letters": letters, "post_incident": post_incident,
             **standard_parts(r)}
    return ReportAnalysis(result=r, parts=parts, jurisdiction=Jurisdiction(
        laws=f"The breach notification laws of {counsel} and applicable federal rules", counsel=counsel))
