"""TCPA audit analysis: prior express written consent element by element (47 CFR 64.1200(f)(9)), revocation within
10 business days (64.1200(a)(10)), calling hours checked in the called party's local time for every time zone of
every state called (8 a.m. to 9 p.m. federally, narrower state windows from the facts), the Reassigned Numbers
Database safe harbor, the 3% abandonment limit, national and internal do-not-call lists, vendors, and the state
telemarketing laws of the states called, with the statutory damages at the intake's volume. `for_report` turns the
result into the report's parts (one per numbered section of the REPORT body) and names the states called as the law
applied and the counsel jurisdiction.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path

from pwcore.compliance.analysis.kit import *
from pwcore.compliance.services.tcpa_audit import CHANNEL_LABELS, CONSENT_LABELS, DIALER_LABELS, TCPAAuditIntake
from pwcore.model.formatting import join_words

SERVICE = "tcpa_audit"
FEDERAL = "United States (TCPA: 47 U.S.C. 227; 47 CFR 64.1200)"
AUTOMATED_DIALERS = frozenset({"predictive", "progressive", "autodialer", "unknown"})
RECORDED = frozenset({"prerecorded_voice", "ringless_voicemail"})
CHANNEL_NAMES = {"voice": "live voice calls", "sms": "texts", "mms": "multimedia texts", "fax": "faxes",
                 "prerecorded_voice": "prerecorded calls", "ringless_voicemail": "ringless voicemail"}
# Words in the consent description that defeat an element of written consent.
PRECHECKED = ("pre-checked", "prechecked", "pre-ticked", "preticked", "checked by default", "default")
BUNDLED = ("bundled", "terms of service", "terms and conditions", "condition of purchase", "required to")
_TIME = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*(a\.?\s?m\.?|p\.?\s?m\.?)|\b(noon)\b", re.IGNORECASE)
_ZONE = re.compile(r"\b(eastern|central|mountain|pacific|alaska|hawaii)\b", re.IGNORECASE)
_LOCAL = re.compile(r"\b(local|recipient|called party|their time|consumer's time)\b", re.IGNORECASE)


class CallingWindow(Frozen):
    start: float  # hours, 24-hour clock
    end: float
    zone: str | None  # the policy's zone ("Mountain"), or None when the policy runs in the called party's time


class HoursCheck(Frozen):
    state: str
    zone: str
    local_window: str  # the policy's window in the called party's time, widest over the year
    federal: Status
    state_rule: str
    state_status: Status
    authority: str


class StateRule(Frozen):
    state: str  # "FL"
    name: str  # "Florida"
    act: str | None  # None: no row for the state in the reviewed table
    rule: str
    hours: str  # the state's window, or why none applies
    authority: str


class TCPAAnalysis(AnalysisBase):
    home_state: str | None
    jurisdictions: list[str]
    pewc_required: bool
    policy_window: CallingWindow | None
    hours: list[HoursCheck]
    counts: dict[str, int]
    state_rules: list[StateRule]
    rules: dict[str, str]  # fact id -> its reviewed text, for the report's prose parts


def analyse(intake: TCPAAuditIntake, as_of: date, *, home: str | None = None, strict: bool = False,
            facts_dir: Path | None = None) -> TCPAAnalysis:
    fv = FactsView(SERVICE, as_of, strict=strict, directory=facts_dir)
    return _Analysis(intake, fv, home_state(home, intake.states)).run()


def parse_window(text: str | None) -> CallingWindow | None:
    """'Texts and calls between 9 a.m. and 8 p.m. Mountain time' -> 9 to 20, Mountain. None if no two times."""
    if not text:
        return None
    times: list[float] = []
    for m in _TIME.finditer(text):
        if m.group(4):
            times.append(12.0)
            continue
        h, minutes, ampm = int(m.group(1)), int(m.group(2) or 0), m.group(3).lower()
        if not 1 <= h <= 12:
            continue
        h = h % 12 + (12 if ampm.startswith("p") else 0)
        times.append(h + minutes / 60)
    if len(times) < 2:
        return None
    zone = _ZONE.search(text)
    if zone is None and not _LOCAL.search(text):
        return CallingWindow(start=times[0], end=times[1], zone="unstated")
    return CallingWindow(start=times[0], end=times[1], zone=zone.group(1).capitalize() if zone else None)


def _clock(h: float) -> str:
    hh, mm = int(h) % 24, round((h - int(h)) * 60)
    suffix = "a.m." if hh < 12 else "p.m."
    return f"{(hh % 12) or 12}{f':{mm:02d}' if mm else ''} {suffix}"


class _Analysis:
    def __init__(self, m: TCPAAuditIntake, fv: FactsView, home: str | None) -> None:
        self.m = m
        self.fv = fv
        self.home = home
        self.cl = Checklist()
        automated = m.dialer_type in AUTOMATED_DIALERS or bool(RECORDED & set(m.channels))
        self.pewc_required = automated

    def src(self, fid: str) -> str:
        return self.fv.source(fid)

    def consent(self) -> None:
        m, cl = self.m, self.cl
        pewc = "tcpa.consent.pewc_elements"
        elements = as_list(self.fv.value(pewc))
        src = self.src(pewc)
        if not self.pewc_required:
            cl.add("Prior express written consent", "Not applicable", f"{DIALER_LABELS[m.dialer_type].lower()} of "
                   f"{', '.join(CHANNEL_NAMES.get(c, c) for c in m.channels)}: no autodialed or prerecorded "
                   "marketing", src)
            return
        desc = m.consent_description or ""
        prechecked = bool(keywords(desc, PRECHECKED))
        bundled = bool(keywords(desc, BUNDLED))
        capture = m.consent_capture
        # Which element is which, by its words (the facts list may be reordered).
        signed, seller, conspicuous, optional = (elements.index(pick(elements, s)) for s in (
            "signature", "clearly authorizes", "clear and conspicuous", "not required"))
        for i, element in enumerate(elements):
            status: Status = "Review"
            note = f"consent captured by {capture.replace('_', ' ')}" + (f": {desc}" if desc else "")
            if capture == "none":
                status, note = "Not met", "no consent is captured"
            elif i == signed and capture in ("verbal", "prior_express"):
                status, note = "Not met", "consent is not in writing with a signature"
            elif i in (signed, conspicuous) and prechecked:
                status, note = "Not met", "a pre-checked box is not an affirmative, signed agreement or a clear " \
                                          "and conspicuous disclosure"
            elif i == optional and bundled:
                status, note = "Not met", "consent is bundled with the terms, so agreeing is not shown to be " \
                                          "optional"
            elif i == seller and capture == "purchased_leads":
                note = "purchased leads: the consent must name this seller"
            cl.add(f"Written consent: {element}", status, note, src, priority="High", owner="Marketing",
                   action="Use an unchecked, stand-alone consent checkbox with the full disclosure, naming the "
                          "seller and the number, stating consent is not a condition of purchase; keep the "
                          "disclosure version and timestamp with each consent record" if status == "Not met" else
                   ("Keep proof of each element in the consent records" if i == signed else None))

    def revocation(self) -> None:
        m, cl = self.m, self.cl
        limit = int(self.fv.number("tcpa.revocation.deadline"))
        src = self.src("tcpa.revocation.deadline")
        days = m.honors_opt_out_within_days
        if days is None:
            cl.add("Honor revocation within the deadline", "Review", "the intake does not say", src,
                   priority="High", action=f"Honor every revocation within {limit} business days")
        elif days <= limit:
            cl.add("Honor revocation within the deadline", "Met", f"within {days} days (limit {limit} business "
                   "days)", src)
        else:
            cl.add("Honor revocation within the deadline", "Not met", f"{days} days is more than {limit} business "
                   "days", src, priority="High", owner="Marketing",
                   action=f"Process opt-outs within {limit} business days of receipt")
        means = "tcpa.revocation.reasonable_means"
        cl.add("Revocation by any reasonable means", "Review", as_text(self.fv.value(means)), self.src(means),
               priority="Medium", owner="Marketing",
               action="Accept STOP and its synonyms, replies in any wording that reasonably asks to stop, and "
                      "opt-outs by any channel; do not designate an exclusive method")
        cl.add("Revocation applies to all future robocalls and robotexts (revoke-all)", "Review",
               as_text(self.fv.value("tcpa.revocation.revoke_all_delayed")),
               self.src("tcpa.revocation.revoke_all_delayed"))

    def hours(self, window: CallingWindow | None, states: list[str]) -> list[HoursCheck]:
        cl = self.cl
        fed_fact = self.fv.fact("tcpa.calling_hours")
        if window is None or window.zone == "unstated":
            cl.add("Calling hours in the called party's local time", "Review",
                   "no calling window (with a time zone) in the intake" if window is None else
                   "the policy's window names no time zone", fed_fact.source, priority="High", owner="Marketing",
                   action="Set the window by the called party's local time (area code and address) and apply the "
                          "narrower state windows")
            return []
        zones = self.fv.value("tcpa.time_zones.states")
        offsets = self.fv.value("tcpa.time_zones.utc_offsets")
        assert isinstance(zones, dict) and isinstance(offsets, dict)
        out: list[HoursCheck] = []
        for s in states:
            row = self.fv.row("states.mini_tcpa", s)
            c = row.cells if row else {}
            scope = c.get("hours_channels")
            only = [str(x) for x in scope] if isinstance(scope, list) else []
            applies = not only or bool(set(only) & set(self.m.channels))
            lo, hi = c.get("calling_start"), c.get("calling_end")
            for z in as_list(zones.get(s, [])):
                start, end = self._local(window, z, offsets)
                fed_ok = start >= 8 and end <= 21
                state_status: Status = "Not applicable"
                rule = "no narrower state window in the facts file"
                if isinstance(lo, int) and isinstance(hi, int) and applies:
                    rule = f"{_clock(lo)} to {_clock(hi)}"
                    ok = start >= lo and end <= hi
                    sun_lo, sun_hi = c.get("sunday_start"), c.get("sunday_end")
                    if isinstance(sun_lo, int) and isinstance(sun_hi, int):
                        rule += f" ({_clock(sun_lo)} to {_clock(sun_hi)} on Sundays)"
                        if "sunday" not in (self.m.calling_hours_policy or "").lower():
                            ok = ok and start >= sun_lo and end <= sun_hi
                    state_status = "Met" if ok else "Not met"
                elif isinstance(lo, int) and isinstance(hi, int):
                    rule = f"{_clock(lo)} to {_clock(hi)} for {', '.join(CHANNEL_NAMES.get(x, x) for x in only)} only"
                out.append(HoursCheck(state=s, zone=z, local_window=f"{_clock(start)} to {_clock(end)}",
                                      federal="Met" if fed_ok else "Not met", state_rule=rule,
                                      state_status=state_status, authority=row.source if row else fed_fact.source))
        for h in out:
            where = f"{h.state} ({h.zone} time)"
            if h.federal == "Not met":
                cl.add(f"Federal calling hours: {where}", "Not met", f"the policy reaches {h.local_window} local "
                       "time; calls are allowed 8 a.m. to 9 p.m.", fed_fact.source, priority="High",
                       owner="Marketing", action="Schedule calls and texts by the called party's local time")
            if h.state_status == "Not met":
                cl.add(f"State calling hours: {where}", "Not met", f"the policy reaches {h.local_window} local "
                       f"time; the state allows {h.state_rule}", h.authority, priority="High", owner="Marketing",
                       action=f"Limit calls and texts to {h.state} numbers to {h.state_rule}, local time")
        if not any(h.federal == "Not met" or h.state_status == "Not met" for h in out):
            cl.add("Calling hours in the called party's local time", "Met", "the policy's window stays inside the "
                   "federal and state windows in every time zone of the states called", fed_fact.source)
        return out

    @staticmethod
    def _local(window: CallingWindow, zone: str, offsets: Mapping[str, object]) -> tuple[float, float]:
        """The policy window in `zone`, widest over the year (standard and daylight time)."""
        if window.zone is None:
            return window.start, window.end
        def off(z: str, summer: bool) -> float:
            name = z.replace(" (no DST)", "")
            base = offsets[name]
            assert isinstance(base, int)
            return base + (1 if summer and "(no DST)" not in z else 0)
        shifts = [off(zone, s) - off(window.zone, s) for s in (False, True)]
        return window.start + min(shifts), window.end + max(shifts)

    def dnc_and_dialing(self) -> None:
        m, cl = self.m, self.cl
        nat = "tcpa.dnc.national_scrub"
        interval = num(self.fv.number(nat))
        cl.answer("National Do-Not-Call Registry scrub", m.scrubs_national_dnc,
                  f"scrubbed (at most every {interval} days)", "numbers are not scrubbed", self.src(nat),
                  owner="Marketing",
                  action=f"Scrub against the registry using a version no more than {interval} days old, unless the "
                         "number has written consent or an established business relationship")
        internal = "tcpa.dnc.internal_list"
        req = "; ".join(as_list(self.fv.value(internal)))
        cl.answer("Internal do-not-call list", m.keeps_internal_dnc,
                  "kept; it must meet each requirement of the rule (listed in the report)", "no internal list",
                  self.src(internal), owner="Marketing", action=f"Keep an internal list: {req}")
        ebr = "tcpa.dnc.ebr"
        cl.add("Established business relationship exception", "Review",
               f"{num(self.fv.number(ebr, 'months_after_last_transaction'))} months after the last transaction, "
               f"{num(self.fv.number(ebr, 'months_after_inquiry'))} months after an inquiry", self.src(ebr))
        cl.add("Reassigned Numbers Database", "Review", as_text(self.fv.value("tcpa.reassigned_numbers")),
               self.src("tcpa.reassigned_numbers"), priority="Medium", owner="Marketing",
               action="Query the Reassigned Numbers Database with the consent date before calling or texting "
                      "numbers whose consent may predate a reassignment, and keep the query results")
        ab = "tcpa.abandonment"
        if "voice" in m.channels and m.dialer_type in ("predictive", "progressive", "autodialer"):
            cl.add("Abandoned calls no more than 3% per campaign over 30 days", "Review",
                   as_text(self.fv.value(ab)), self.src(ab), priority="High", owner="Marketing",
                   action="Measure abandonment per campaign over each 30-day period and play the identification "
                          "and opt-out message on abandoned calls")
        else:
            cl.add("Abandoned calls no more than 3% per campaign over 30 days", "Not applicable",
                   "no predictive or progressive voice dialing", self.src(ab))
        if "voice" in m.channels or RECORDED & set(m.channels):
            cl.add("Caller ID", "Review", as_text(self.fv.value("tcpa.caller_id")), self.src("tcpa.caller_id"))
        if RECORDED & set(m.channels):
            cl.add("Identification and opt-out in prerecorded messages", "Review",
                   as_text(self.fv.value("tcpa.prerecorded.identification")),
                   self.src("tcpa.prerecorded.identification"), priority="Medium", owner="Marketing",
                   action="Check every recorded script for the identification and the automated opt-out")
        vend = "tcpa.vendors.vicarious"
        if m.uses_third_party_vendors is False:
            cl.add("Vendors calling on the business's behalf", "Not applicable", "no vendors", self.src(vend))
        else:
            cl.add("Vendors calling on the business's behalf", "Review", as_text(self.fv.value(vend)),
                   self.src(vend), priority="Medium", owner="Owner",
                   action="Require TCPA compliance, consent records and DNC scrubbing in vendor contracts, and audit "
                          "them")

    def state_laws(self, states: list[str]) -> tuple[list[str], list[StateRule]]:
        labels: list[str] = []
        rules: list[StateRule] = []
        for s in states:
            row = self.fv.row("states.mini_tcpa", s)
            if row is None:
                rules.append(StateRule(state=s, name=state_name(s), act=None, rule="", hours="federal window only "
                                       "in the reviewed facts", authority="State law (not in the reviewed facts)"))
                self.cl.add(f"State telemarketing law: {state_name(s)}", "Review", "the reviewed facts hold no "
                            "state telemarketing rule for this state; state registration, a state do-not-call list "
                            "or narrower hours may still apply", "State law (not in the reviewed facts)",
                            priority="Medium", owner="Owner",
                            action=f"Have counsel confirm {state_name(s)}'s telemarketing registration, do-not-call "
                                   "and calling-hour rules before calling or texting its numbers")
                continue
            c = row.cells
            name = str(c.get("name", "state telemarketing law"))
            lo, hi = c.get("calling_start"), c.get("calling_end")
            scope = c.get("hours_channels")
            hours = "no window narrower than the federal one"
            if isinstance(lo, int) and isinstance(hi, int):
                hours = f"{_clock(lo)} to {_clock(hi)}"
                sun_lo, sun_hi = c.get("sunday_start"), c.get("sunday_end")
                if isinstance(sun_lo, int) and isinstance(sun_hi, int):
                    hours += f"; {_clock(sun_lo)} to {_clock(sun_hi)} on Sundays"
                if isinstance(scope, list):
                    hours += f" (for {', '.join(CHANNEL_NAMES.get(str(x), str(x)) for x in scope)} only)"
            rules.append(StateRule(state=s, name=state_name(s), act=name, rule=str(c.get("rule", "")), hours=hours,
                                   authority=row.source))
            labels.append(f"{state_name(s)} ({name})")
            self.cl.add(f"{name}", "Review", str(c.get("rule", "")), row.source,
                        priority="High" if s in ("FL", "OK", "MD") else "Medium", owner="Marketing",
                        action=f"Apply {name} to calls and texts to {s} numbers: {c.get('rule', '')}")
        return labels, rules

    def run(self) -> TCPAAnalysis:
        m = self.m
        states = ordered_states(None, m.states)  # calling rules follow the called party's state
        self.consent()
        self.revocation()
        window = parse_window(m.calling_hours_policy)
        hours = self.hours(window, states)
        self.dnc_and_dialing()
        labels, state_rules = self.state_laws(states)
        quoted = ("tcpa.scope.autodialer_prerecorded", "tcpa.consent.pewc_elements", "tcpa.consent.esign",
                  "tcpa.consent.one_to_one", "tcpa.calling_hours", "tcpa.dnc.internal_list")
        rules = {fid: as_text(self.fv.value(fid)) for fid in quoted}
        dmg = "tcpa.damages.statutory"
        low = self.fv.number(dmg, "per_violation_usd")
        high = self.fv.number(dmg, "per_willful_or_knowing_violation_usd")
        tables = [
            FactsTable(title="Statutory damages at the intake's volume", columns=["Basis", "Per message", "Per month",
                                                                                  "Source"],
                       rows=[["Per violation", usd(low), usd(low * m.monthly_volume), self.src(dmg)],
                             ["Willful or knowing", usd(high), usd(high * m.monthly_volume), self.src(dmg)]]),
            FactsTable(title="Calling hours by state and time zone", columns=[
                "State", "Zone", "Policy window (local)", "Federal 8 a.m.-9 p.m.", "State window", "State", "Source"],
                rows=[[h.state, h.zone, h.local_window, h.federal, h.state_rule, h.state_status, h.authority]
                      for h in hours]),
            FactsTable(title="Requirements", columns=["Requirement", "Status", "Evidence", "Authority"],
                       rows=[[i.requirement, i.status, i.note, i.authority] for i in self.cl.items]),
        ]
        findings = self.fv.stale_findings() + self.cl.findings
        return TCPAAnalysis(
            service=SERVICE, as_of=self.fv.as_of, tables=tables, checklist=self.cl.items, findings=findings,
            facts_used=[u.id for u in self.fv.used], sources=self.fv.used, stale_facts=self.fv.stale,
            home_state=self.home, jurisdictions=[FEDERAL, *labels], pewc_required=self.pewc_required,
            policy_window=window, hours=hours, counts=counts(self.cl.items, findings),
            state_rules=state_rules, rules=rules)


# --- The report: the analysis as report parts -------------------------------------------------------------------

LAWS = "Federal law (TCPA, 47 U.S.C. 227; 47 C.F.R. 64.1200; Telemarketing Sales Rule)"


def _sentence(text: str) -> str:
    """A reviewed fact as a sentence: first letter up (not .capitalize(), which lowers 'FCC'), one full stop."""
    text = text.strip().rstrip(".")
    return text[:1].upper() + text[1:] + "."


def _lower(label: str) -> str:
    """'Live voice calls' -> 'live voice calls'; 'SMS text messages' stays."""
    return label if label[1:2].isupper() else label[:1].lower() + label[1:]


def _items(result: TCPAAnalysis, *stems: str) -> list[ChecklistItem]:
    """The checklist items whose requirement starts with one of `stems`, in checklist order."""
    return [i for i in result.checklist if i.requirement.startswith(stems)]


def _channels(m: TCPAAuditIntake, r: TCPAAnalysis) -> Part:
    automated = m.dialer_type in AUTOMATED_DIALERS
    rows = []
    for ch in m.channels:
        if ch in RECORDED:
            need = "Prior express written consent for telemarketing; prior express consent otherwise"
        elif ch == "fax":
            need = "Prior express invitation or permission, or an established business relationship with an opt-out"
        elif automated:
            need = "Prior express written consent for telemarketing with automated dialing"
        else:
            need = "No consent rule for manually dialed calls; do-not-call, hours and caller ID rules apply"
        rows.append([CHANNEL_LABELS[ch], DIALER_LABELS[m.dialer_type] if ch not in RECORDED else "Recorded voice",
                     need])
    return part(
        para(f"The review covered {join_words([_lower(CHANNEL_LABELS[c]) for c in m.channels])}, at a reported volume "
             f"of {m.monthly_volume:,} calls and messages a month. Dialing technology reported: "
             f"{_lower(DIALER_LABELS[m.dialer_type])}. {_sentence(r.rules['tcpa.scope.autodialer_prerecorded'])}"),
        table(("Channel", "Technology", "What the federal rules require"), rows, (1.3, 1.1, 3.6)),
        para("Prior express written consent is required for this programme." if r.pewc_required else
             "On the facts reported, no channel uses automated dialing or a recorded voice, so the federal written "
             "consent rule does not apply; the do-not-call, calling-hour, caller ID and state rules still do."),
    )


def _consent(m: TCPAAuditIntake, r: TCPAAnalysis) -> Part:
    desc = f" The business describes its process as: \u201c{clean(m.consent_description)}\u201d" \
        if m.consent_description else ""
    blocks: list[PartBlock] = [
        para(f"Consent is captured by: {CONSENT_LABELS[m.consent_capture].lower()}.{desc} Under 47 C.F.R. "
             "64.1200(f)(9) prior express written consent is a written agreement, signed by the person called, that "
             "clearly authorizes the seller to deliver telemarketing using an autodialer or a recorded voice, "
             "specifies the telephone number, and includes a clear and conspicuous disclosure of that authorization "
             "and that agreeing is not a condition of purchase. "
             + ("Each element is tested below." if r.pewc_required else "The rule does not apply to the programme "
                "reported (see the table); the elements are listed for the case that the business adds automated "
                "dialing or recorded messages.")),
        checklist_table(_items(r, "Written consent", "Prior express written consent")),
        *([] if r.pewc_required else [bullets(r.rules["tcpa.consent.pewc_elements"].split("; "))]),
        subheading("Electronic signatures (E-SIGN)"),
        para(_sentence(r.rules["tcpa.consent.esign"])),
        subheading("One-to-one consent rule"),
        para(_sentence(r.rules["tcpa.consent.one_to_one"])),
    ]
    return part(*blocks)


def _revocation(r: TCPAAnalysis) -> Part:
    return part(
        para("A consumer may revoke consent by any reasonable means, and the business must honour the revocation "
             "within the deadline below; the checklist records what the intake reports."),
        checklist_table(_items(r, "Honor revocation", "Revocation")),
    )


def _hours(m: TCPAAuditIntake, r: TCPAAnalysis) -> Part:
    policy = f"\u201c{clean(m.calling_hours_policy).strip().rstrip('.')}\u201d" if m.calling_hours_policy else \
        "not provided"
    blocks: list[PartBlock] = [
        para(f"Federal rule: {r.rules['tcpa.calling_hours']}. Several states set a narrower window. The business's "
             f"calling hours policy is {policy}; it is checked below in every time zone of every state called, "
             "at its widest over the year (standard and daylight time)."),
    ]
    if r.hours:
        t = next(t for t in r.tables if t.title.startswith("Calling hours"))
        blocks.append(table(("State", "Zone", "Policy window (local)", "Federal", "State window", "State status",
                             "Source"), t.rows, (0.5, 0.8, 1.0, 0.6, 1.3, 0.9, 1.5)))
    blocks.append(checklist_table(_items(r, "Calling hours", "Federal calling hours", "State calling hours")))
    return part(*blocks)


def _dnc(r: TCPAAnalysis) -> Part:
    return part(
        para("The safe harbor from do-not-call liability needs a scrub against a version of the National "
             "Do-Not-Call Registry no older than the interval in the table, an internal do-not-call list kept to the "
             "federal standard, written procedures and trained staff."),
        checklist_table(_items(r, "National Do-Not-Call", "Internal do-not-call", "Established business",
                               "Reassigned")),
        subheading("Internal do-not-call list: what the rule requires"),
        bullets(r.rules["tcpa.dnc.internal_list"].split("; ")),
    )


def _dialing(r: TCPAAnalysis) -> Part:
    return part(
        para("Abandoned-call limits apply to telemarketing placed with predictive or progressive dialers; caller ID "
             "applies to every telemarketing call; recorded messages must identify the caller and offer an "
             "automated opt-out; a seller answers for vendors calling on its behalf."),
        checklist_table(_items(r, "Abandoned calls", "Caller ID", "Identification and opt-out", "Vendors")),
    )


def _states(r: TCPAAnalysis) -> Part:
    if not r.state_rules:
        return part(para("The intake lists no state called; only the federal rules were applied."))
    blocks: list[PartBlock] = [para("Each state called was checked against the reviewed state telemarketing laws "
                                    "(registration, calling hours, consent and state do-not-call rules).")]
    for s in r.state_rules:
        blocks.append(subheading(s.name))
        if s.act is None:
            blocks.append(para(f"The reviewed facts hold no state telemarketing rule for {s.name}. The federal rules "
                               "above apply; counsel should confirm whether the state requires telemarketer "
                               "registration, keeps its own do-not-call list or sets narrower calling hours."))
            continue
        blocks.append(table(("Item", "State rule"), [["Law", s.act], ["Requirements", s.rule],
                                                     ["Calling hours", s.hours], ["Authority", s.authority]],
                            (1.2, 4.8)))
    return part(*blocks)


def _exposure(m: TCPAAuditIntake, r: TCPAAnalysis) -> Part:
    t = r.tables[0]
    return part(
        para(f"Each call or text that violates the TCPA is a separate violation with statutory damages per message. "
             f"The figures below multiply them by the reported volume of {m.monthly_volume:,} calls and messages a "
             "month. They show the scale of exposure if a month's messages were found to violate the rules, not a "
             "prediction of liability; state laws called above may add their own damages."),
        table(t.columns, t.rows, (1.4, 1.0, 1.4, 2.2)),
    )


def for_report(intake: TCPAAuditIntake, as_of: date, entity_state: str) -> ReportAnalysis:
    """The analysis as report parts, with the law of the states called (the entity's state when none)."""
    r = analyse(intake, as_of, home=entity_state or None)
    parts = {
        "channels": _channels(intake, r),
        "consent": _consent(intake, r),
        "revocation": _revocation(r),
        "calling_hours": _hours(intake, r),
        "dnc": _dnc(r),
        "dialing": _dialing(r),
        "states": _states(r),
        "exposure": _exposure(intake, r),
        **standard_parts(r),
    }
    names = [s.name for s in r.state_rules] or ([state_name(r.home_state)] if r.home_state else [])
    laws = f"{LAWS} and the telemarketing laws of {join_words(names)}" if names else LAWS
    counsel = join_words(names) if names else "the United States"
    return ReportAnalysis(result=r, parts=parts, jurisdiction=Jurisdiction(laws=laws, counsel=counsel))
