"""CCPA audit analysis: whether the CCPA covers the business (the three thresholds of Cal. Civ. Code
1798.140(d)(1), revenue as CPI-adjusted), whether the privacy act of the business's own state and of the other
states it lists covers it, and a per-requirement checklist (notice at collection, privacy policy, Do Not Sell or
Share and Limit links, opt-out preference signals, requests, service-provider contracts, financial incentives,
minors, employee and B2B data, training, records) with a finding for every gap.

The report's jurisdiction is the list of laws applied (`jurisdictions`), not the entity's state alone: a Colorado
business audited under the CCPA is audited under California law.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Literal

from pwcore.compliance.analysis.kit import *
from pwcore.compliance.services.ccpa_audit import CCPAAuditIntake
from pwcore.compliance.services.common import DATA_CATEGORY_LABELS

SERVICE = "ccpa_audit"


class ThresholdTest(Frozen):
    test: str
    threshold: str
    intake: str
    met: bool | None  # None: the intake does not say
    authority: str


class VendorRow(Frozen):
    vendor: str
    role: Literal["Service provider (contract terms to confirm)", "Third party: likely sale or sharing"]
    status: Status
    note: str


class CCPAAnalysis(AnalysisBase):
    home_state: str | None
    jurisdictions: list[str]
    ccpa_applies: bool
    thresholds: list[ThresholdTest]
    state_laws: list[StateLaw]
    vendors: list[VendorRow]
    adtech_vendors: list[str]  # listed vendors whose trackers are a sale or sharing unless bound as service providers
    counts: dict[str, int]


def analyse(intake: CCPAAuditIntake, as_of: date, *, home: str | None = None, strict: bool = False,
            facts_dir: Path | None = None, state_consumers: dict[str, int] | None = None) -> CCPAAnalysis:
    """`home`: the entity's state (code or name; default the intake's first state). `state_consumers`: residents of
    other states whose data the business handles, where known (the intake counts only California consumers)."""
    fv = FactsView(SERVICE, as_of, strict=strict, directory=facts_dir)
    return _Analysis(intake, fv, home_state(home, intake.states), state_consumers or {}).run()


def applicability(fv: FactsView, m: CCPAAuditIntake) -> list[ThresholdTest]:
    revenue = fv.number("ccpa.applies.revenue")
    consumers = fv.number("ccpa.applies.consumers")
    share = fv.number("ccpa.applies.sale_share_revenue")
    # (A) "in excess of" the adjusted figure; (B) "100,000 or more"; (C) "50 percent or more".
    rev_met = m.annual_revenue > revenue
    # (B) counts consumers whose data the business buys, sells or shares; the intake counts those it handles,
    # so the count only counts when the business sells or shares.
    cons_met = m.sells_or_shares and m.consumer_records >= consumers
    pct = m.revenue_share_from_selling_pct
    pct_met: bool | None = (pct >= share) if pct is not None else (False if not m.sells_or_shares else None)
    return [
        ThresholdTest(test="Annual gross revenue (preceding calendar year)", threshold=f"more than {usd(revenue)}",
                      intake=usd(m.annual_revenue), met=rev_met, authority=fv.source("ccpa.applies.revenue")),
        ThresholdTest(test="California consumers or households whose personal information is bought, sold or shared",
                      threshold=f"{num(consumers)} or more",
                      intake=f"{m.consumer_records:,} ({'' if m.sells_or_shares else 'not '}sold or shared)",
                      met=cons_met, authority=fv.source("ccpa.applies.consumers")),
        ThresholdTest(test="Share of annual revenue from selling or sharing personal information",
                      threshold=f"{num(share)}% or more", intake="not given" if pct is None else f"{pct:g}%",
                      met=pct_met, authority=fv.source("ccpa.applies.sale_share_revenue")),
    ]


class _Analysis:
    def __init__(self, m: CCPAAuditIntake, fv: FactsView, home: str | None, state_consumers: dict[str, int]) -> None:
        self.m = m
        self.fv = fv
        self.home = home
        self.state_consumers = state_consumers
        self.cl = Checklist()
        self.adtech = adtech_matches(fv, m.service_providers)
        # Sharing in fact: the intake says so, or an ad/analytics tracker receives the data (Sephora).
        self.shares = m.sells_or_shares or bool(self.adtech)
        self.sensitive: bool | None = True if SENSITIVE_CATEGORIES & set(m.data_categories) else m.uses_sensitive_pi

    def src(self, fid: str) -> str:
        return self.fv.source(fid)

    def txt(self, fid: str) -> str:
        return as_text(self.fv.value(fid))

    def ccpa_checklist(self) -> list[VendorRow]:
        m, cl = self.m, self.cl
        cats = ", ".join(CATEGORY_LABELS[c] for c in m.data_categories)
        # Privacy policy.
        pp = "ccpa.req.privacy_policy"
        if m.has_privacy_policy is False:
            cl.add("Privacy policy posted online", "Not met", "no privacy policy", self.src(pp), priority="High",
                   action=f"Publish a privacy policy: {self.txt(pp)}")
        else:
            cl.add("Privacy policy contents (11 CCR 7011(e)) and yearly update", "Review",
                   "a policy exists" if m.has_privacy_policy else "the intake does not say whether a policy exists",
                   self.src(pp), priority="Medium",
                   action="Check the policy item by item against 11 CCR 7011(e) (the Privacy Policy analysis lists "
                          "the disclosures) and date it; update it at least every 12 months")
        # Notice at collection.
        nac = "ccpa.req.notice_at_collection"
        cl.add("Notice at collection", "Review", f"categories collected: {cats}", self.src(nac), priority="Medium",
               action=f"Confirm a notice at collection on every page that collects personal information: "
                      f"{self.txt(nac)}")
        # Do Not Sell or Share link and opt-out preference signals.
        link, sig = "ccpa.req.opt_out_link", "ccpa.req.opt_out_signal"
        if self.shares:
            why = "the business sells or shares personal information" if m.sells_or_shares else (
                f"the intake says it does not sell or share, but {', '.join(self.adtech)} receive(s) personal "
                "information through trackers: a sale or sharing unless bound as service providers")
            cl.add("\"Do Not Sell or Share My Personal Information\" link and notice of right to opt out", "Review",
                   why, self.src(link), priority="High",
                   action="Confirm the link (or the alternative opt-out link) is on the homepage, the opt-out "
                          "notice is posted and two or more opt-out methods are offered")
            if m.honors_opt_out_signals is True:
                cl.add("Opt-out preference signals (Global Privacy Control)", "Met", "signals are honored",
                       self.src(sig))
            elif m.honors_opt_out_signals is False:
                cl.add("Opt-out preference signals (Global Privacy Control)", "Not met",
                       "opt-out preference signals are not honored", self.src(sig), priority="High",
                       action=f"Honor Global Privacy Control as a valid opt-out: {self.txt(sig)}")
            else:
                cl.add("Opt-out preference signals (Global Privacy Control)", "Review",
                       "the intake does not say whether signals are honored", self.src(sig), priority="High",
                       action=f"Confirm signals are honored: {self.txt(sig)}")
        else:
            cl.add("\"Do Not Sell or Share My Personal Information\" link", "Not applicable",
                   "no sale or sharing reported and no advertising or analytics trackers listed", self.src(link))
            cl.add("Opt-out preference signals (Global Privacy Control)", "Not applicable",
                   "no sale or sharing reported", self.src(sig))
        if self.adtech and not m.sells_or_shares:
            cl.add("Disclosures match practice: sale or sharing through trackers", "Not met",
                   f"the intake answers that it does not sell or share, while {', '.join(self.adtech)} receive(s) "
                   "personal information for analytics or advertising", self.src("ccpa.sale.adtech_trackers"),
                   priority="High", action="Either bind each tracker vendor as a service provider (no cross-context "
                   "behavioral advertising) or disclose the sale or sharing and offer the opt-out")
        # Sensitive personal information.
        spi = "ccpa.req.limit_spi_link"
        if self.sensitive is False:
            cl.add("\"Limit the Use of My Sensitive Personal Information\" link", "Not applicable",
                   "no sensitive personal information reported", self.src(spi))
        else:
            note = ("sensitive personal information is collected" if self.sensitive else
                    "the intake does not say whether sensitive personal information is used")
            if m.uses_sensitive_pi is False and self.sensitive:
                note = "the intake says no sensitive personal information is used, but lists a sensitive category"
            cl.add("\"Limit the Use of My Sensitive Personal Information\" link", "Review", note, self.src(spi),
                   priority="Medium", action=f"Confirm whether the use goes beyond the permitted purposes: "
                                             f"{self.txt(spi)}")
        cl.add("Alternative opt-out link (\"Your Privacy Choices\")", "Review" if self.shares else "Not applicable",
               self.txt("ccpa.req.alternative_link"), self.src("ccpa.req.alternative_link"))
        # Requests.
        cl.add("Notice of financial incentive", "Review",
               "loyalty programs, sign-up discounts and price differences tied to personal information need one",
               self.src("ccpa.req.financial_incentive"), priority="Low",
               action=f"List incentive programs; for each: {self.txt('ccpa.req.financial_incentive')}")
        cl.add("Methods for submitting requests", "Review", self.txt("ccpa.req.request_methods"),
               self.src("ccpa.req.request_methods"), priority="Medium",
               action="Confirm two or more request methods (a toll-free number unless the business operates only "
                      "online with a direct consumer relationship)")
        t = "ccpa.req.response_timelines"
        cl.add("Request response timelines", "Review",
               f"confirm receipt within {num(self.fv.number(t, 'confirm_receipt_business_days'))} business days; "
               f"respond within {num(self.fv.number(t, 'respond_calendar_days'))} calendar days, extendable by "
               f"{num(self.fv.number(t, 'extension_calendar_days'))} ({num(self.fv.number(t, 'maximum_calendar_days'))}"
               " in all) with notice", self.src(t), priority="Medium",
               action="Put these deadlines in the request procedure and the ticketing system")
        cl.add("Verification of requests and authorized agents", "Review", self.txt("ccpa.req.verification"),
               self.src("ccpa.req.verification"))
        # Service providers and contractors.
        terms = as_list(self.fv.value("ccpa.req.service_provider_contracts"))
        sp_src = self.src("ccpa.req.service_provider_contracts")
        vendors: list[VendorRow] = []
        for v in m.service_providers:
            if v in self.adtech:
                vendors.append(VendorRow(vendor=v, role="Third party: likely sale or sharing", status="Review",
                                         note="tracker vendor: a service provider only under a contract with the "
                                              "terms below and no cross-context behavioral advertising"))
                cl.add(f"Contract with {v}", "Review", "advertising or analytics tracker", sp_src, priority="High",
                       action=f"Bind {v} as a service provider by a contract with the {len(terms)} required terms (no "
                              "cross-context behavioral advertising) or treat the disclosure as a sale or sharing")
            else:
                vendors.append(VendorRow(vendor=v, role="Service provider (contract terms to confirm)",
                                         status="Review", note="; ".join(terms)))
                cl.add(f"Contract with {v}", "Review", "service provider or contractor", sp_src, priority="Medium",
                       action=f"Confirm the contract with {v} has each of the {len(terms)} terms required of a service "
                              "provider contract (listed in the audit report under Vendors and Contracts)")
        if not m.service_providers:
            cl.add("Service provider and contractor contracts", "Review", "no vendors listed", sp_src,
                   priority="Medium", action="List every vendor that receives personal information and confirm "
                                             "each contract has the required terms")
        # Minors, employees and B2B, training, records.
        cl.add("Consumers under 16", "Review", self.txt("ccpa.req.minors"), self.src("ccpa.req.minors"),
               priority="Low", action="Confirm whether the business has actual knowledge of consumers under 16 and, "
                                      "if it sells or shares their data, that it obtains opt-in consent")
        cl.add("Employee, applicant and B2B personal information", "Review", self.txt("ccpa.applies.employee_b2b"),
               self.src("ccpa.applies.employee_b2b"), priority="Medium",
               action="Give employees and applicants a notice at collection and handle their requests like "
                      "consumers'")
        large = self.fv.number("ccpa.req.large_business_threshold")
        is_large = m.consumer_records >= large
        cl.add("Training of staff who handle requests", "Review", self.txt("ccpa.req.training"),
               self.src("ccpa.req.training"), priority="Low",
               action="Train everyone who handles privacy inquiries"
                      + (" and adopt a documented training policy" if is_large else ""))
        cl.add("Records of requests", "Review",
               f"keep for at least {num(self.fv.number('ccpa.req.recordkeeping'))} months",
               self.src("ccpa.req.recordkeeping"))
        cl.add("Annual request metrics", "Review" if is_large else "Not applicable",
               f"{'at or above' if is_large else 'under'} {num(large)} consumers a year",
               self.src("ccpa.req.large_business_metrics"), priority="Medium",
               action="Compile and publish the metrics by July 1" if is_large else None)
        ra = "ccpa.req.risk_assessments"
        if self.shares or self.sensitive:
            cl.add("Risk assessments (2025 regulations)", "Review", self.txt(ra), self.src(ra), priority="Medium",
                   action="Assess the selling/sharing and sensitive-data processing and prepare the attestation")
        else:
            cl.add("Risk assessments (2025 regulations)", "Not applicable", "no significant-risk processing reported",
                   self.src(ra))
        return vendors

    def state_laws(self) -> list[StateLaw]:
        out: list[StateLaw] = []
        for s in ordered_states(self.home, self.m.states):
            if s == "CA":
                continue
            law = state_privacy_law(self.fv, s, consumers=self.state_consumers.get(s), sells=self.shares,
                                    sale_revenue_pct=self.m.revenue_share_from_selling_pct,
                                    revenue=self.m.annual_revenue, sensitive=self.sensitive)
            if law is None:
                continue
            out.append(law)
            if law.status == "Does not apply":
                continue
            own = " (the business's own state)" if s == self.home else ""
            pending = law.status == "Review"
            self.cl.add(f"{law.label}: applicability{own}", law.status, law.reason, law.authority,
                        priority="High" if s == self.home else "Medium",
                        action=f"Count this state's consumers and apply the thresholds: {law.thresholds}"
                        if pending else None)
            if law.rights:
                self.cl.add(f"{law.label}: consumer rights", "Review", law.rights, law.authority, priority="Medium",
                            action=f"Add the rights of the {law.act} to the request procedure and the privacy notice")
            self.cl.add(f"{law.label}: appeal process for denied requests", "Review", law.appeal, law.authority,
                        priority="Medium", action="Add the appeal process to the request procedure and the privacy "
                                                  "notice")
            required = law.universal_opt_out.lower().startswith("required")
            if required and self.m.honors_opt_out_signals is False:
                status: Status = "Review" if pending else "Not met"
                self.cl.add(f"{law.label}: universal opt-out mechanism", status,
                            f"{law.universal_opt_out}; signals are not honored", law.authority, priority="High",
                            action="Honor Global Privacy Control for this state's consumers")
            elif required:
                self.cl.add(f"{law.label}: universal opt-out mechanism",
                            "Met" if self.m.honors_opt_out_signals else "Review", law.universal_opt_out,
                            law.authority)
        return out

    def run(self) -> CCPAAnalysis:
        thresholds = applicability(self.fv, self.m)
        applies = any(t.met for t in thresholds)
        vendors: list[VendorRow] = []
        if applies:
            vendors = self.ccpa_checklist()
        else:
            self.cl.add("CCPA applicability", "Not applicable", "no threshold of Cal. Civ. Code 1798.140(d)(1) is met",
                        self.fv.source("ccpa.applies.revenue"))
        laws = self.state_laws()
        jurisdictions = [CALIFORNIA] if applies else []
        jurisdictions += [law.label for law in laws if law.status != "Does not apply"]
        penalties = FactsTable(title="Penalties", columns=["Violation", "Amount", "Source"], rows=[
            ["Per violation", usd(self.fv.number("ccpa.penalty.per_violation")),
             self.fv.source("ccpa.penalty.per_violation")],
            ["Per intentional violation or violation involving consumers under 16",
             usd(self.fv.number("ccpa.penalty.intentional_or_minors")),
             self.fv.source("ccpa.penalty.intentional_or_minors")],
            ["Data breach (private action), per consumer per incident",
             f"{usd(self.fv.number('ccpa.penalty.breach_damages', 'minimum_usd'))} to "
             f"{usd(self.fv.number('ccpa.penalty.breach_damages', 'maximum_usd'))}",
             self.fv.source("ccpa.penalty.breach_damages")]])
        tables = [
            FactsTable(title="CCPA applicability", columns=["Test", "Threshold", "Business", "Met", "Source"],
                       rows=[[t.test, t.threshold, t.intake, {True: "Yes", False: "No", None: "Not known"}[t.met],
                              t.authority] for t in thresholds]),
            FactsTable(title="State privacy laws", columns=["State", "Act", "Status", "Why", "Appeal", "Source"],
                       rows=[[law.label, law.act, law.status, law.reason, law.appeal, law.authority]
                             for law in laws]),
            FactsTable(title="Requirements", columns=["Requirement", "Status", "Evidence", "Authority"],
                       rows=[[i.requirement, i.status, i.note, i.authority] for i in self.cl.items]),
            penalties,
        ]
        findings = self.fv.stale_findings() + self.cl.findings
        return CCPAAnalysis(
            service=SERVICE, as_of=self.fv.as_of, tables=tables, checklist=self.cl.items, findings=findings,
            facts_used=[u.id for u in self.fv.used], sources=self.fv.used, stale_facts=self.fv.stale,
            home_state=self.home, jurisdictions=jurisdictions, ccpa_applies=applies, thresholds=thresholds,
            state_laws=laws, vendors=vendors, adtech_vendors=self.adtech, counts=counts(self.cl.items, findings))


# --- The report: parts built from the analysis (the LLM writes only the summary and the plan) ----------------------

LAW_APPLIED = "California (CCPA as amended by the CPRA)"
STATUS_WORD = {True: "Yes", False: "No", None: "Not known"}

# Requirement-by-requirement review: (topic, requirement prefix, fact whose text says what the law requires).
REVIEW: tuple[tuple[str, str, str | None], ...] = (
    ("Notices and privacy policy", "Privacy policy", "ccpa.req.privacy_policy"),
    ("Notices and privacy policy", "Notice at collection", "ccpa.req.notice_at_collection"),
    ("Opt-out rights, links and preference signals", "\"Do Not Sell", "ccpa.req.opt_out_link"),
    ("Opt-out rights, links and preference signals", "Opt-out preference signals", "ccpa.req.opt_out_signal"),
    ("Opt-out rights, links and preference signals", "\"Limit the Use", "ccpa.req.limit_spi_link"),
    ("Opt-out rights, links and preference signals", "Alternative opt-out link", "ccpa.req.alternative_link"),
    ("Opt-out rights, links and preference signals", "Disclosures match practice", None),
    ("Consumer requests: methods, timelines and verification", "Methods for submitting", "ccpa.req.request_methods"),
    ("Consumer requests: methods, timelines and verification", "Request response timelines", None),
    ("Consumer requests: methods, timelines and verification", "Verification", "ccpa.req.verification"),
    ("Service providers and contractors", "Contract with", None),
    ("Service providers and contractors", "Service provider and contractor", None),
    ("Financial incentives, minors, employee and B2B data", "Notice of financial incentive", None),
    ("Financial incentives, minors, employee and B2B data", "Consumers under 16", "ccpa.req.minors"),
    ("Financial incentives, minors, employee and B2B data", "Employee, applicant", "ccpa.applies.employee_b2b"),
    ("Training, recordkeeping and assessments", "Training", "ccpa.req.training"),
    ("Training, recordkeeping and assessments", "Records of requests", None),
    ("Training, recordkeeping and assessments", "Annual request metrics", "ccpa.req.large_business_metrics"),
    ("Training, recordkeeping and assessments", "Risk assessments", "ccpa.req.risk_assessments"),
)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?" else text + "."


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def for_report(intake: CCPAAuditIntake, as_of: date, entity_state: str) -> ReportAnalysis:
    """The CCPA audit's report parts; `entity_state` is the business's own state (its privacy act is reviewed)."""
    fv = FactsView(SERVICE, as_of)
    result = _Analysis(intake, fv, home_state(entity_state, intake.states), {}).run()
    base = standard_parts(result)
    parts = {
        "applicability": _applicability_part(result, fv),
        "data_inventory": _inventory_part(intake, result),
        "requirements": _requirements_part(result, fv),
        "vendors": _vendors_part(intake, result, fv),
        "state_laws": _state_laws_part(intake, result),
        "checklist": base["checklist"],
        "findings": base["findings"],
        # After the parts above: they look facts up too, and the appendix lists every one.
        "sources": sources_part(fv.used),
    }
    result = result.model_copy(update={"sources": fv.used, "facts_used": [u.id for u in fv.used]})
    home_law = next((law for law in result.state_laws if law.state == result.home_state), None)
    laws, counsel = [LAW_APPLIED], ["California"]
    if home_law is not None:
        laws.append(f"{state_name(home_law.state)} ({home_law.act})")
        if home_law.status != "Does not apply":
            counsel.append(state_name(home_law.state))
    for law in result.state_laws:
        if law is not home_law and law.status == "Applies":
            laws.append(f"{state_name(law.state)} ({law.act})")
            counsel.append(state_name(law.state))
    return ReportAnalysis(result=result, parts=parts,
                          jurisdiction=Jurisdiction(laws=" and ".join(laws), counsel=" and ".join(counsel)))


def _applicability_part(r: CCPAAnalysis, fv: FactsView) -> Part:
    met = [t.test for t in r.thresholds if t.met]
    unknown = [t.test for t in r.thresholds if t.met is None]
    if r.ccpa_applies:
        verdict = (f"Conclusion: the CCPA applies. A for-profit business doing business in California is covered when "
                   f"it meets any one of the three thresholds; this business meets {len(met)} of them: "
                   f"{'; '.join(met)}.")
    else:
        verdict = ("Conclusion: on the figures reported, the CCPA does not apply: the business meets none of the "
                   "three thresholds. It becomes covered from the time it meets any one of them; the business "
                   "should re-test each year against the preceding calendar year's figures.")
    blocks: list[Any] = [
        para("The CCPA applies to a for-profit business that collects California consumers' personal information, "
             "determines the purposes and means of processing it, does business in California and meets at least "
             "one of the thresholds below. Each threshold is the reviewed figure in force on the report date; the "
             "business column is the figure the client reported."),
        table(("Test", "Threshold", "Business", "Met", "Authority"),
              ([t.test, t.threshold, t.intake, STATUS_WORD[t.met], t.authority] for t in r.thresholds),
              (1.7, 1.0, 1.1, 0.5, 1.7)),
        para(verdict),
    ]
    if unknown:
        blocks.append(para(f"Not established from the intake: {'; '.join(unknown)}. The conclusion above does not "
                           "depend on it when another threshold is met; the client should still confirm it."))
    blocks.append(para(f"Employee, applicant and business-to-business data: "
                       f"{_sentence(as_text(fv.value('ccpa.applies.employee_b2b')))}"))
    penalties = next(t for t in r.tables if t.title == "Penalties")
    blocks += [subheading("Enforcement exposure"),
               para("The California Privacy Protection Agency and the Attorney General enforce the CCPA. "
                    f"{_cap(_sentence(as_text(fv.value('ccpa.penalty.no_cure'))))} The reviewed penalty figures:"),
               table(penalties.columns, penalties.rows, (2.4, 1.4, 2.2))]
    return part(*blocks)


def _inventory_part(m: CCPAAuditIntake, r: CCPAAnalysis) -> Part:
    if m.sells_or_shares:
        sold = "Likely (the business reports selling or sharing)"
    elif r.adtech_vendors:
        sold = f"Likely: {', '.join(r.adtech_vendors)} receive(s) it through trackers"
    else:
        sold = "No (reported by the client)"
    rows = []
    for c in m.data_categories:
        label, examples = DATA_CATEGORY_LABELS[c]
        sensitive = "Yes" if c in SENSITIVE_CATEGORIES else "No"
        online = c in {"identifiers", "internet_activity", "geolocation", "inferences", "commercial_information"}
        rows.append([label, examples, sensitive, sold if online else "To be confirmed"])
    flagged = [DATA_CATEGORY_LABELS[c][0] for c in m.data_categories if c in SENSITIVE_CATEGORIES]
    blocks: list[Any] = [
        para(f"The client reported collecting {len(m.data_categories)} categories of personal information. The table "
             "flags the categories that are sensitive personal information and whether each is likely sold or "
             "shared. Categories collected online (identifiers, commercial information, internet activity, "
             "geolocation, inferences) can reach advertising and analytics vendors through the site's cookies and "
             "pixels; for the others the client should confirm who receives them."),
        table(("Category", "Examples", "Sensitive", "Sold or shared"), rows, (1.5, 2.6, 0.7, 1.4)),
    ]
    if flagged:
        blocks.append(para(f"Sensitive personal information flagged: {', '.join(flagged)}. Its use beyond the "
                           "permitted purposes requires the \u201cLimit the Use of My Sensitive Personal "
                           "Information\u201d link (section on opt-out rights below)."))
    elif m.uses_sensitive_pi:
        blocks.append(para("The client reports using sensitive personal information although no sensitive category "
                           "is listed: the inventory should name the sensitive categories collected."))
    else:
        blocks.append(para("No sensitive personal information category was reported."))
    blocks.append(para("For each category the notice at collection and the privacy policy must state the purposes, "
                       "whether it is sold or shared, and how long it is kept (or the criteria used)."))
    return part(*blocks)


def _requirements_part(r: CCPAAnalysis, fv: FactsView) -> Part:
    if not r.ccpa_applies:
        return part(para("The CCPA does not apply on the figures reported (see Applicability), so its requirements "
                         "are not reviewed item by item. If the business meets a threshold, the following apply: "
                         "notice at collection, a privacy policy, the \u201cDo Not Sell or Share\u201d and "
                         "\u201cLimit the Use\u201d links where it sells, shares or uses sensitive personal "
                         "information, opt-out preference signals, request handling and verification, service "
                         "provider contracts, financial incentive notices, the rules for consumers under 16, employee "
                         "and B2B data, training and recordkeeping."))
    found = {f.requirement: f for f in r.findings}
    own = [i for i in r.checklist if not any(i.requirement.startswith(law.label) for law in r.state_laws)]
    n = {s: sum(1 for i in own if i.status == s) for s in ("Met", "Not met", "Review", "Not applicable")}
    blocks: list[Any] = [para(
        f"Each requirement below gives what the law requires, what the intake shows, its status and, where there "
        f"is a gap or something to confirm, the action. CCPA requirements that apply: "
        f"{len(own) - n['Not applicable']} (met: {n['Met']}; not met: {n['Not met']}; to be confirmed by the client: "
        f"{n['Review']}). Requirements that do not apply to the facts reported: {n['Not applicable']}.")]
    done: set[str] = set()
    topic = ""
    for t, prefix, fid in REVIEW:
        for item in r.checklist:
            if item.requirement in done or not item.requirement.startswith(prefix):
                continue
            done.add(item.requirement)
            if t != topic:
                topic = t
                blocks.append(subheading(topic))
            blocks.append(PartParagraph(text=f"{item.requirement}: {item.status}", bold=True))
            law = as_text(fv.value(fid)) if fid else ""
            if law:
                blocks.append(para(f"What the law requires: {_sentence(law)}"))
            # Where the checklist's note is the rule itself, the intake said nothing about the practice.
            seen = ("the intake does not show how the business meets this requirement: the client confirms it"
                    if item.note.strip() == law.strip() else item.note)
            blocks.append(para(f"What we found: {_sentence(_cap(seen))} Authority: {_sentence(item.authority)}"))
            f = found.get(item.requirement)
            if f is not None:
                blocks.append(para(f"Action ({f.priority} priority, {f.due.lower()}): {_sentence(f.action)}"))
    rest = [i for i in own if i.requirement not in done]
    if rest:
        blocks.append(subheading("Other requirements"))
        blocks.append(checklist_table(rest))
    return part(*blocks)


def _vendors_part(m: CCPAAuditIntake, r: CCPAAnalysis, fv: FactsView) -> Part:
    terms = as_list(fv.value("ccpa.req.service_provider_contracts"))
    tracker = fv.fact("ccpa.sale.adtech_trackers")
    blocks: list[Any] = [para(
        "A vendor that receives personal information is a service provider or contractor only under a written "
        "contract with the terms required by the regulations; without one, or when it uses the data for "
        "cross-context behavioral advertising, the disclosure is a sale or sharing to a third party, with the "
        f"opt-out rights that follow ({fv.source('ccpa.req.service_provider_contracts')}).")]
    if m.service_providers:
        blocks.append(table(("Vendor", "Likely role", "Status", "Note"),
                            ([clean(v.vendor), v.role, v.status, v.note if v.vendor in r.adtech_vendors else
                              "confirm the contract contains each term listed below"] for v in r.vendors),
                            (1.2, 1.6, 0.6, 2.6)))
        if r.adtech_vendors:
            blocks.append(para(f"Advertising and analytics trackers: {', '.join(clean(v) for v in r.adtech_vendors)}. "
                               f"{_sentence(tracker.title)} {_sentence(_cap(tracker.note or ''))}"))
        else:
            blocks.append(para("None of the listed vendors is a known advertising or analytics tracker."))
    else:
        blocks.append(para("The intake lists no vendors. Every vendor that receives personal information (hosting, "
                           "e-commerce, email, payments, analytics) should be listed and its contract checked."))
    blocks += [subheading("Terms every service provider and contractor contract must contain"), bullets(terms)]
    return part(*blocks)


def _state_laws_part(m: CCPAAuditIntake, r: CCPAAnalysis) -> Part:
    listed = ordered_states(r.home_state, m.states)
    blocks: list[Any] = [para(
        "Besides the CCPA, the comprehensive consumer privacy act of each state where the business operates may "
        "apply. The intake counts California consumers only, so where a state's act applies by the number of its "
        "residents the status is \u201cReview\u201d with the thresholds to check.")]
    if not listed:
        blocks.append(para("The intake lists no states of operation."))
    laws = {law.state: law for law in r.state_laws}
    items = {i.requirement: i for i in r.checklist}
    for s in listed:
        own = " (the business's own state)" if s == r.home_state else ""
        blocks.append(subheading(f"{state_name(s)}{own}"))
        if s == "CA":
            blocks.append(para("California: the CCPA as amended by the CPRA, reviewed in the sections above."))
            continue
        law = laws.get(s)
        if law is None:
            blocks.append(para(f"{state_name(s)}: no comprehensive consumer privacy act in force is recorded for this "
                               "state in Performance West's reviewed table of state privacy acts. Sector laws (for "
                               "example breach notification) still apply."))
            continue
        rows = [["Act", law.act], ["Status", law.status], ["Why", law.reason], ["Who must comply", law.thresholds]]
        if law.rights:
            rows.append(["Consumer rights", law.rights])
        rows += [["Appeal of denied requests", law.appeal], ["Universal opt-out (GPC)", law.universal_opt_out],
                 ["Authority", law.authority], ["In effect since", law.effective]]
        blocks.append(table(("Item", law.label), rows, (1.6, 4.4)))
        checks = [i for req, i in items.items() if req.startswith(law.label)]
        if checks:
            blocks.append(para(f"Checklist items for the {law.act} (actions under Findings):"))
            blocks.append(bullets(f"{i.requirement.removeprefix(law.label + ': ')}: {i.status}" for i in checks))
    return part(*blocks)
