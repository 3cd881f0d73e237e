"""Privacy policy analysis: the disclosure set the policy must contain (CCPA regulation 7011(e), CalOPPA, COPPA and
the privacy act of the business's own state), derived from the intake and laid out as numbered sections with the
cross-references between them; contradictions between what the intake says and what it describes (a "we do not
sell or share" answer next to advertising or analytics cookies); and `check_policy_text`, which reads a drafted
policy and reports claims and cross-references that do not hold (an opt-out "described in Section 5" that
Section 5 does not have). `for_report` turns the analysis into the published policy's parts (its headings are
POLICY_HEADINGS; references name headings, never numbers) with California plus the home state's act as the law.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from pwcore.compliance.analysis.kit import *
from pwcore.compliance.services.privacy_policy import PrivacyPolicyIntake
from pwcore.model.formatting import long_date

SERVICE = "privacy_policy"
CCPA = "ccpa_audit"
CALOPPA = "California (CalOPPA)"
COPPA = "United States (COPPA)"
# Purposes and collection methods that mean third-party tracking (the CCPA's "sharing" when for advertising).
TRACKING_STEMS = ("advertis", "retarget", "remarket", "analytic", "pixel", "tracking", "interest-based",
                  "cross-context", "targeted")
COOKIE_STEMS = ("cookie", "pixel", "similar technolog", "tracking")
# A claim in a drafted policy that the business does not sell or share.
NO_SALE_CLAIM = re.compile(r"\b(?:we|the company|[a-z]+ llc)\s+(?:do(?:es)?\s+not|never|don't|will\s+not)\s+"
                           r"(?:sell|share)(?:\s+(?:or|and)\s+(?:sell|share))?\b", re.IGNORECASE)
SECTION_REF = re.compile(r"\bSection\s+(\d{1,2})\b", re.IGNORECASE)
HEADING = re.compile(r"^\s*(?:#+\s*)?(?:Section\s+)?(\d{1,2})[.):]?\s+(\S.{0,120})$", re.IGNORECASE)
# The items of the facts' content lists this module places, found by their words (see _privacy.pick).
POLICY_ITEMS: dict[str, str] = {
    "updated": "date the privacy policy was last updated",
    "collected": "categories of personal information collected",
    "spi": "categories of sensitive personal information",
    "sources": "categories of sources",
    "purposes": "business or commercial purposes",
    "sold": "sold or shared, and disclosed",
    "retention": "retention period",
    "rights": "description of consumers' rights",
    "signal": "opt-out preference signal",
    "requests": "how to submit each kind of request",
    "agent": "authorized agent to make a request",
    "minors": "under 16",
    "contact": "a contact for questions",
}
CALOPPA_ITEMS: dict[str, str] = {"dnt": "do not track", "others": "other parties may collect",
                                 "changes": "notifying consumers of material changes"}
# What a cross-reference is about, by the words around it, and the words the target section must contain.
REF_TOPICS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "opt-out": (("opt out", "opt-out", "do not sell", "privacy choices"), ("opt out", "opt-out", "do not sell")),
    "requests": (("submit", "request"), ("request",)),
    "appeal": (("appeal",), ("appeal",)),
    "contact": (("contact",), ("contact", "@")),
    "retention": (("retain", "retention"), ("retain", "retention")),
    "cookies": (("cookie",), ("cookie",)),
}


class Disclosure(Frozen):
    section: int
    item: str  # what the law requires the policy to say
    content: str  # what it says for this business, from the intake, or what the business must supply
    supplied: bool  # False: the intake does not give it; the business must before the policy is final
    authority: str


class PolicySection(Frozen):
    number: int
    heading: str
    key: str  # stable name (cross-references and tests use it)


class CrossReference(Frozen):
    from_section: int
    to_section: int
    topic: str
    text: str  # the reference as the policy should print it


class Contradiction(Frozen):
    claim: str
    practice: str
    resolution: str
    authority: str


class PrivacyPolicyAnalysis(AnalysisBase):
    home_state: str | None
    jurisdictions: list[str]
    state_laws: list[StateLaw]
    sections: list[PolicySection]
    disclosures: list[Disclosure]
    cross_references: list[CrossReference]
    contradictions: list[Contradiction]
    must_disclose_sharing: bool  # the policy may not claim "we do not sell or share"
    tracking_vendors_or_purposes: list[str]
    counts: dict[str, int]

    def section(self, key: str) -> PolicySection:
        return next(s for s in self.sections if s.key == key)


def analyse(intake: PrivacyPolicyIntake, as_of: date, *, home: str | None = None, strict: bool = False,
            facts_dir: Path | None = None, state_consumers: dict[str, int] | None = None) -> PrivacyPolicyAnalysis:
    mf = MultiFacts((SERVICE, CCPA), as_of, strict=strict, directory=facts_dir)
    return _Analysis(intake, mf, home_state(home, intake.states), state_consumers or {}).run()


class _Analysis:
    def __init__(self, m: PrivacyPolicyIntake, mf: MultiFacts, home: str | None,
                 state_consumers: dict[str, int]) -> None:
        self.m = m
        self.mf = mf
        self.fv: FactsView = mf[SERVICE]
        self.cc: FactsView = mf[CCPA]
        self.home = home
        self.state_consumers = state_consumers
        self.cl = Checklist()
        self.sections: list[PolicySection] = []
        self.disclosures: list[Disclosure] = []
        self.refs: list[CrossReference] = []
        text = " ".join([*m.purposes, *m.collection_methods])
        self.tracking = adtech_matches(self.cc, [*m.purposes, *m.collection_methods]) + [
            p for p in [*m.purposes, *m.collection_methods] if keywords(p, TRACKING_STEMS)]
        self.tracking = list(dict.fromkeys(self.tracking))
        self.cookies = bool(m.uses_cookies) or bool(keywords(text, COOKIE_STEMS))
        self.ads = bool(m.uses_analytics_or_ads) or bool(self.tracking)
        self.california = "CA" in m.states or not m.states
        # Sharing in the CCPA's sense unless every tracker is bound as a service provider: the policy must say so.
        self.shares = m.sells_or_shares or (self.ads and self.california)
        self.sensitive = bool(SENSITIVE_CATEGORIES & set(m.data_categories))

    def add_section(self, key: str, heading: str) -> int:
        n = len(self.sections) + 1
        self.sections.append(PolicySection(number=n, heading=heading, key=key))
        return n

    def disclose(self, section: int, item: str, content: str, authority: str, supplied: bool = True) -> None:
        self.disclosures.append(Disclosure(section=section, item=item, content=content, supplied=supplied,
                                           authority=authority))

    def num_of(self, key: str) -> int | None:
        return next((s.number for s in self.sections if s.key == key), None)

    def ref(self, src: str, dst: str, topic: str) -> None:
        a, b = self.num_of(src), self.num_of(dst)
        if a is None or b is None:
            return
        heading = next(s.heading for s in self.sections if s.key == dst)
        self.refs.append(CrossReference(from_section=a, to_section=b, topic=topic,
                                        text=f"see Section {b} ({heading})"))

    def contradictions(self) -> list[Contradiction]:
        m = self.m
        out: list[Contradiction] = []
        trackers = self.cc.source("ccpa.sale.adtech_trackers")
        if not m.sells_or_shares and self.ads:
            what = ", ".join(self.tracking) or "advertising or analytics services"
            out.append(Contradiction(
                claim="the business does not sell or share personal information",
                practice=f"it uses advertising or analytics services ({what}) that receive personal information "
                         "through cookies or pixels",
                resolution="do not state 'we do not sell or share' unless every such vendor is bound by a service-"
                           "provider contract and none uses the data for cross-context behavioral advertising; "
                           "otherwise disclose the sharing and offer the opt-out and Global Privacy Control",
                authority=trackers))
        if m.uses_cookies is False and keywords(" ".join(m.collection_methods), COOKIE_STEMS):
            out.append(Contradiction(
                claim="the site does not use cookies", practice="cookies or similar technologies are listed among "
                "the collection methods", resolution="describe the cookies and trackers the site uses",
                authority=self.fv.source("privacy.caloppa.contents")))
        if m.children_under_13 is False and "education" in m.data_categories:
            out.append(Contradiction(
                claim="the site does not collect children's data", practice="education information is collected",
                resolution="confirm no information is collected from children under 13 (COPPA) or under 16",
                authority=self.fv.source("privacy.coppa.trigger")))
        return out

    def state_laws(self) -> list[StateLaw]:
        out = []
        for s in ordered_states(self.home, self.m.states):
            if s == "CA":
                continue
            law = state_privacy_law(self.cc, s, consumers=self.state_consumers.get(s), sells=self.shares,
                                    sale_revenue_pct=None, revenue=None, sensitive=self.sensitive)
            if law is not None:
                out.append(law)
        return out

    def build(self, laws: list[StateLaw]) -> None:
        m = self.m
        pol = "privacy.ccpa.policy_contents"
        pol_src = self.fv.source(pol)
        contents = as_list(self.fv.value(pol))
        caloppa_items = as_list(self.fv.value("privacy.caloppa.contents"))
        k = {key: pick(contents, stem) for key, stem in POLICY_ITEMS.items()}
        k |= {key: pick(caloppa_items, stem) for key, stem in CALOPPA_ITEMS.items()}
        caloppa = self.fv.source("privacy.caloppa.contents")
        cats = [CATEGORY_LABELS[c] for c in m.data_categories]
        n = self.add_section("intro", "Introduction")
        self.disclose(n, "Who we are and what the policy covers", f"{m.business_name}; {m.website}", caloppa)
        self.disclose(n, k["updated"], "the date the policy is published (set at delivery)", pol_src)
        n = self.add_section("collect", "Personal Information We Collect")
        self.disclose(n, k["collected"], "; ".join(cats), pol_src)
        if self.sensitive:
            self.disclose(n, k["spi"], "; ".join(CATEGORY_LABELS[c] for c in m.data_categories
                                                  if c in SENSITIVE_CATEGORIES), pol_src)
        n = self.add_section("sources", "Where We Get Personal Information")
        self.disclose(n, k["sources"], "; ".join(m.collection_methods) or "directly from you",
                      pol_src, supplied=bool(m.collection_methods))
        n = self.add_section("use", "How We Use Personal Information")
        self.disclose(n, k["purposes"], "; ".join(m.purposes) or "to be supplied", pol_src, supplied=bool(m.purposes))
        n = self.add_section("disclose", "How We Disclose, Sell or Share Personal Information")
        shared = [CATEGORY_LABELS[c] for c in m.data_categories if c in ("identifiers", "internet_activity",
                                                                         "commercial_information", "inferences",
                                                                         "geolocation")]
        self.disclose(n, k["sold"], (f"shared for cross-context behavioral advertising or analytics in the preceding"
                                       f" 12 months: {'; '.join(shared) or '; '.join(cats)}; categories of third "
                                       "parties: advertising and analytics providers") if self.shares else
                      "a statement that no personal information was sold or shared in the preceding 12 months",
                      pol_src)
        self.disclose(n, "categories of personal information disclosed for a business purpose and the categories "
                         "of service providers receiving them", f"{'; '.join(cats)} to service providers "
                      "(order fulfilment, hosting, email, payment processing)", pol_src)
        if self.cookies or self.ads:
            n = self.add_section("cookies", "Cookies, Analytics and Advertising")
            self.disclose(n, k["dnt"], "state whether the site responds to Do Not Track; Global Privacy Control is "
                          "honored as an opt-out (see Your Privacy Choices)", caloppa)
            self.disclose(n, k["others"], "name the third parties whose cookies or pixels run on the site: "
                          + ("; ".join(self.tracking) or "to be supplied"), caloppa, supplied=bool(self.tracking))
        n = self.add_section("retention", "How Long We Keep Personal Information")
        self.disclose(n, k["retention"], "a retention period or the criteria for each category: "
                      + "; ".join(cats) + " (to be supplied by the business)", pol_src, supplied=False)
        n = self.add_section("rights", "Your Privacy Rights")
        self.disclose(n, k["rights"], "know, delete, correct, opt out of sale or sharing"
                      + (", limit the use of sensitive personal information" if self.sensitive else "")
                      + ", and non-discrimination", pol_src)
        if self.shares or any(law.universal_opt_out.lower().startswith("required") for law in laws):
            n = self.add_section("choices", "Your Privacy Choices: Opting Out of Sale, Sharing and Targeted "
                                            "Advertising")
            self.disclose(n, k["signal"], "Global Privacy Control is treated as a request to opt out of sale and "
                          "sharing for the browser or device and any profile linked to it; the 'Do Not Sell or Share "
                          "My Personal Information' (or 'Your Privacy Choices') link", pol_src)
        n = self.add_section("requests", "How to Submit a Request")
        self.disclose(n, k["requests"], f"email {m.contact_email} and a second method (a toll-free number unless "
                      "the business operates only online); verification steps", pol_src, supplied=False)
        self.disclose(n, k["agent"], "how an authorized agent submits a request and proves authority", pol_src)
        for law in laws:
            if law.status == "Does not apply":
                continue
            key = f"state_{law.state.lower()}"
            own = " (our home state)" if law.state == self.home else ""
            n = self.add_section(key, f"{law.label.split(' (')[0]} Residents{own}")
            self.disclose(n, f"{law.act}: notice contents", as_text(self.fv.value("privacy.states.notice_contents")),
                          self.fv.source("privacy.states.notice_contents"))
            if law.rights:
                self.disclose(n, f"{law.act}: consumer rights", law.rights, law.authority)
            self.disclose(n, f"{law.act}: how to appeal a denied request", law.appeal, law.authority)
            if law.universal_opt_out.lower().startswith("required"):
                self.disclose(n, f"{law.act}: universal opt-out mechanism", law.universal_opt_out, law.authority)
        n = self.add_section("children", "Children")
        if m.children_under_13:
            self.disclose(n, "COPPA notice and verifiable parental consent",
                          as_text(self.fv.value("privacy.coppa.trigger")) + " "
                          + as_text(self.fv.value("privacy.coppa.2025_amendments")),
                          self.fv.source("privacy.coppa.trigger"))
        else:
            self.disclose(n, k["minors"], "a statement that the site is not directed to children under 13 and the "
                          "business does not knowingly sell or share the personal information of consumers under 16",
                          self.cc.source("ccpa.req.minors"))
        n = self.add_section("changes", "Changes to This Policy")
        self.disclose(n, k["changes"], "how material changes are announced; the effective date", caloppa)
        n = self.add_section("contact", "Contact Us")
        self.disclose(n, k["contact"], m.contact_email, pol_src)
        self.ref("intro", "contact", "contact")
        self.ref("disclose", "choices", "opt-out")
        self.ref("cookies", "choices", "opt-out")
        self.ref("rights", "requests", "requests")
        self.ref("collect", "retention", "retention")
        for law in laws:
            self.ref(f"state_{law.state.lower()}", "requests", "requests")
            self.ref(f"state_{law.state.lower()}", "choices", "opt-out")

    def run(self) -> PrivacyPolicyAnalysis:
        m = self.m
        laws = self.state_laws()
        contradictions = self.contradictions()
        self.build(laws)
        jurisdictions: list[str] = []
        if self.california:
            jurisdictions += [CALIFORNIA, CALOPPA]
        jurisdictions += [law.label for law in laws if law.status != "Does not apply"]
        if m.children_under_13:
            jurisdictions.append(COPPA)
        # Applicability: CalOPPA covers any commercial site collecting California residents' data; the CCPA's
        # thresholds need revenue and counts this intake does not ask for.
        if self.california:
            self.cl.add("CalOPPA privacy policy", "Met", "a policy is being drafted for a commercial website that "
                        "collects California residents' personal information",
                        self.fv.source("privacy.caloppa.posting"))
            self.cl.add("CCPA applicability", "Review", "the intake gives no revenue or consumer counts; the policy "
                        "is drafted to the CCPA standard", self.cc.source("ccpa.applies.revenue"), priority="Medium",
                        action=f"Confirm whether revenue exceeds {num(self.cc.number('ccpa.applies.revenue'))} USD "
                               f"or {num(self.cc.number('ccpa.applies.consumers'))} consumers' data is sold or shared")
        for law in laws:
            if law.status != "Does not apply":
                own = " (the business's own state)" if law.state == self.home else ""
                self.cl.add(f"{law.label}: applicability{own}", law.status, law.reason, law.authority,
                            priority="Medium", action=None if law.status == "Applies" else
                            f"Confirm the state's thresholds: {law.thresholds}")
        for c in contradictions:
            self.cl.add(f"Consistent disclosures: {c.claim}", "Not met", f"{c.claim}, but {c.practice}",
                        c.authority, priority="High", action=c.resolution.capitalize())
        for d in self.disclosures:
            if d.supplied:
                self.cl.add(f"Section {d.section}: {d.item}", "Met", d.content, d.authority)
            else:
                self.cl.add(f"Section {d.section}: {d.item}", "Review", d.content, d.authority, priority="Medium",
                            owner="Business owner", action=f"Supply: {d.content}")
        form = self.fv.fact("privacy.ccpa.policy_form")
        self.cl.add("Form and accessibility", "Review", as_text(form.value), form.source)
        tables = [
            FactsTable(title="Policy sections", columns=["Section", "Heading"],
                       rows=[[str(s.number), s.heading] for s in self.sections]),
            FactsTable(title="Required disclosures", columns=["Section", "Disclosure", "Content", "Authority"],
                       rows=[[str(d.section), d.item, d.content, d.authority] for d in self.disclosures]),
            FactsTable(title="Cross-references", columns=["From", "To", "Reference"],
                       rows=[[str(r.from_section), str(r.to_section), r.text] for r in self.refs]),
            FactsTable(title="Contradictions", columns=["Claim", "Practice", "Resolution", "Authority"],
                       rows=[[c.claim, c.practice, c.resolution, c.authority] for c in contradictions]),
        ]
        findings = self.mf.stale_findings() + self.cl.findings
        return PrivacyPolicyAnalysis(
            service=SERVICE, as_of=self.mf.as_of, tables=tables, checklist=self.cl.items, findings=findings,
            facts_used=[u.id for u in self.mf.used], sources=self.mf.used, stale_facts=self.mf.stale,
            home_state=self.home, jurisdictions=jurisdictions, state_laws=laws, sections=self.sections,
            disclosures=self.disclosures, cross_references=self.refs, contradictions=contradictions,
            must_disclose_sharing=self.shares, tracking_vendors_or_purposes=self.tracking,
            counts=counts(self.cl.items, findings))


# --- Checking a drafted policy --------------------------------------------------------------------------------


def split_sections(text: str) -> dict[int, tuple[str, str]]:
    """Numbered sections of a drafted policy: number -> (heading, body). Headings are lines like '5. Your
    Choices', 'Section 5: Your Choices' or '## 5. Your Choices'."""
    out: dict[int, tuple[str, str]] = {}
    current: int | None = None
    body: list[str] = []
    heading = ""
    for line in text.splitlines():
        h = HEADING.match(line)
        if h and _is_heading(h.group(2)):
            if current is not None:
                out[current] = (heading, "\n".join(body))
            current, heading, body = int(h.group(1)), h.group(2).strip(), []
        elif current is not None:
            body.append(line)
    if current is not None:
        out[current] = (heading, "\n".join(body))
    return out


def _is_heading(text: str) -> bool:
    # A heading is short, starts with a capital and is not a sentence (numbered list items in a body are).
    words = text.split()
    return (0 < len(words) <= 12 and text[0].isupper() and not text.rstrip().endswith((".", ";", ",", ":"))
            and not SECTION_REF.search(text))


def check_policy_text(text: str, analysis: PrivacyPolicyAnalysis) -> list[Finding]:
    """Findings for a drafted policy: a no-sale claim the practice contradicts, and cross-references to sections
    that do not exist or do not cover what the reference points to."""
    out: list[Finding] = []
    authority = next((c.authority for c in analysis.contradictions), "Cal. Civ. Code 1798.135; 11 CCR 7011(e)")
    if analysis.must_disclose_sharing:
        for claim in dict.fromkeys(mt.group(0) for mt in NO_SALE_CLAIM.finditer(text)):
            out.append(finding(
                requirement="The privacy policy states accurately whether personal information is sold or shared",
                gap=f"the policy says \"{claim}\" while the site uses advertising or analytics trackers",
                action="Remove the claim or bind every tracker as a service provider; disclose the sharing and the "
                       "opt-out", owner="Performance West reviewer", priority="High", authority=authority))
    sections = split_sections(text)
    for number, (_heading, body) in sections.items():
        for sentence in re.split(r"(?<=[.!?])\s+", body):
            for mt in SECTION_REF.finditer(sentence):
                target = int(mt.group(1))
                low = sentence.lower()
                topic = next((t for t, (words, _) in REF_TOPICS.items() if any(w in low for w in words)), None)
                if target not in sections:
                    out.append(finding(
                        requirement="Cross-references in the policy point to existing sections",
                        gap=f"Section {number} refers to Section {target}, which the policy does not have",
                        action="Point the reference at the section that covers it", owner="Performance West reviewer",
                        priority="High" if topic == "opt-out" else "Medium", authority="11 CCR 7011(a)"))
                    continue
                if topic is None:
                    continue
                t_heading, t_body = sections[target]
                want = REF_TOPICS[topic][1]
                if not any(w in (t_heading + " " + t_body).lower() for w in want):
                    out.append(finding(
                        requirement="Cross-references in the policy point to the section that covers the topic",
                        gap=f"Section {number} refers to Section {target} for {topic}, but Section {target} "
                            f"({t_heading}) does not cover it",
                        action="Point the reference at the section that covers it or add the missing text",
                        owner="Performance West reviewer", priority="High" if topic == "opt-out" else "Medium",
                        authority="11 CCR 7011(a)"))
    return out


# --- The published policy's parts -----------------------------------------------------------------------------

# The published policy's headings, in order (tools/make_templates.py numbers and prints them; the parts' cross-
# references name them, never a section number, so a reference always points at a heading the policy has).
POLICY_HEADINGS: tuple[tuple[str, str], ...] = (
    ("overview", "Overview"),
    ("collect", "Personal Information We Collect"),
    ("use", "How We Use Personal Information"),
    ("disclose", "How We Disclose, Sell or Share Personal Information"),
    ("cookies", "Cookies and Opt-Out Preference Signals"),
    ("retention", "How Long We Keep Personal Information"),
    ("rights", "Your Privacy Rights"),
    ("choices", "Your Privacy Choices"),
    ("requests", "How to Submit a Request"),
    ("fairness", "Non-Discrimination and Financial Incentives"),
    ("states", "State Privacy Rights"),
    ("minors", "Children and Minors Under 16"),
    ("changes", "Changes to This Policy"),
    ("contact", "Contact Us"),
)
HEADINGS = dict(POLICY_HEADINGS)
OPT_OUT_LINK = "Do Not Sell or Share My Personal Information"
CHOICES_LINK = "Your Privacy Choices"
LIMIT_LINK = "Limit the Use of My Sensitive Personal Information"
# Categories an advertising or analytics tracker receives (the rest go to service providers only).
TRACKED = ("identifiers", "internet_activity", "commercial_information", "inferences", "geolocation")


def see(key: str) -> str:
    return f"see \u201c{HEADINGS[key]}\u201d below"


def _rights_list(item: str) -> list[str]:
    """'a description of consumers' rights: to know, delete, ... and non-discrimination' -> the rights."""
    tail = item.split(":", 1)[-1].replace(" and ", ", ")
    return [r.strip().removeprefix("to ").strip() for r in tail.split(",") if r.strip()]


def for_report(intake: PrivacyPolicyIntake, as_of: date, entity_state: str) -> ReportAnalysis:
    """The published policy's deterministic parts (tables, the state section, request methods) and the law applied:
    California plus the privacy act of the business's own state. Findings go to the remediation checklist only."""
    home = home_state(entity_state, intake.states) if entity_state else None
    mf = MultiFacts((SERVICE, CCPA), as_of)
    run = _Analysis(intake, mf, home, {})
    result = run.run()
    return ReportAnalysis(result=result, parts={**_policy_parts(run, result), **_internal_parts(result)},
                          jurisdiction=_jurisdiction(result))


def _internal_parts(result: PrivacyPolicyAnalysis) -> dict[str, Part]:
    # The checklist and findings are the remediation checklist's; the sources appendix is not for a published
    # policy, so it is left out of the parts altogether.
    std = standard_parts(result)
    return {k: v for k, v in std.items() if k != "sources"}


def _jurisdiction(result: PrivacyPolicyAnalysis) -> Jurisdiction:
    own = next((law for law in result.state_laws if law.state == result.home_state), None)
    laws = CALIFORNIA
    counsel = "California"
    if own is not None:
        laws += f" and {state_name(own.state)} ({own.act})"
        counsel += f" and {state_name(own.state)}"
    elif result.home_state and result.home_state != "CA":
        counsel += f" and {state_name(result.home_state)}"
    return Jurisdiction(laws=laws, counsel=counsel)


def _policy_parts(a: _Analysis, r: PrivacyPolicyAnalysis) -> dict[str, Part]:
    m, cc = a.m, a.cc
    email = m.contact_email
    cats = list(m.data_categories)
    # A gap in the intake is printed as a bracketed note to the business, never papered over.
    sources = "; ".join(m.collection_methods) or "[not provided]"
    purposes = "; ".join(m.purposes) or "[not provided]"
    gaps = ([para("[How you collect personal information: not provided. Describe it before publishing.]")]
            if not m.collection_methods else []) + (
        [para("[Why you use personal information: not provided. Describe it before publishing.]")]
        if not m.purposes else [])
    shares = r.must_disclose_sharing
    sold = "Shared for cross-context behavioral advertising or analytics" if shares else "Not sold or shared"
    timelines = cc.value("ccpa.req.response_timelines")
    t = timelines if isinstance(timelines, dict) else {}
    contents = as_list(a.fv.value("privacy.ccpa.policy_contents"))
    rights = _rights_list(pick(contents, "description of consumers' rights"))
    if not a.sensitive:
        rights = [x for x in rights if "sensitive" not in x]
    out: dict[str, Part] = {}

    out["collect"] = part(
        para("In the preceding 12 months we collected the categories of personal information below, from the "
             "sources shown, for the business or commercial purposes shown. " + f"For how long we keep each "
             f"category, {see('retention')}."),
        table(("Category of personal information", "Sources", "Business or commercial purposes"),
              ([CATEGORY_LABELS[c], sources, purposes] for c in cats), (1.6, 1.9, 2.5)),
        *gaps,
        *([para("Sensitive personal information we collect: "
                + "; ".join(CATEGORY_LABELS[c] for c in cats if c in SENSITIVE_CATEGORIES) + "."),
           para("[Whether sensitive personal information is used or disclosed beyond the purposes allowed by "
                "11 CCR 7027(m): not provided. State it before publishing; if it is, keep the right to limit and "
                "its link.]")]
          if a.sensitive else []),
    )
    tracked = [c for c in cats if c in TRACKED] or cats
    recipients = ("Service providers (order fulfilment, hosting, email, payment processing)")
    rows = []
    for c in cats:
        s = sold if (shares and c in tracked) else "Not sold or shared"
        third = "Advertising and analytics providers" if (shares and c in tracked) else "None"
        rows.append([CATEGORY_LABELS[c], s, third, recipients])
    if shares:
        statement = (f"In the preceding 12 months we shared personal information with advertising and analytics "
                     f"providers through cookies and similar technologies on our website, which California law "
                     f"treats as \u201csharing\u201d for cross-context behavioral advertising. You may opt out "
                     f"through the \u201c{OPT_OUT_LINK}\u201d link on our website (or the \u201c{CHOICES_LINK}\u201d "
                     f"link); {see('choices')}.")
    else:
        statement = ("In the preceding 12 months we have not sold personal information or shared it for "
                     "cross-context behavioral advertising.")
    out["disclose"] = part(
        para(statement),
        para("The table shows, for each category, whether it was sold or shared in the preceding 12 months, the "
             "categories of third parties it was sold or shared with, and the categories of recipients to whom it "
             "was disclosed for a business purpose."),
        table(("Category", "Sold or shared (preceding 12 months)", "Third parties sold or shared with",
               "Disclosed for a business purpose to"), rows, (1.5, 1.5, 1.5, 1.5)),
    )
    trackers = "; ".join(r.tracking_vendors_or_purposes) or "none reported"
    unknown = ([para(f"[Cookies: not provided. State whether {m.website} uses cookies before publishing.]")]
               if m.uses_cookies is None and not a.cookies else [])
    if m.uses_analytics_or_ads is None and not a.ads:
        unknown.append(para("[Analytics and advertising: not provided. State whether you use them before "
                            "publishing; if you do, the statement on selling and sharing must change.]"))
    out["cookies"] = part(
        *unknown,
        para(("We use cookies and similar technologies on " + m.website + ". " if a.cookies else "")
             + ("Other parties, such as advertising and analytics providers, may collect information about your "
                f"online activities over time and across websites when you use our site (we use them for: {trackers})."
                if a.ads else "We do not allow other parties to collect information about your online activities "
                "across websites through our site.")),
        subheading("Global Privacy Control and other opt-out preference signals"),
        para("We treat a Global Privacy Control (GPC) or other opt-out preference signal sent by your browser as a "
             "valid request to opt out of the sale and sharing of personal information for that browser or device "
             "and for any consumer profile we associate with it, including your account when you are signed in. "
             "You do not need to do anything else; to use a signal, turn it on in a browser or extension that "
             "supports it."),
        para("Browser \u201cDo Not Track\u201d signals other than an opt-out preference signal do not change how "
             "our site works."),
    )
    out["retention"] = part(
        para("We keep each category of personal information only as long as reasonably necessary for the purposes "
             "for which it was collected, as follows:"),
        table(("Category", "Retention period or criteria"),
              ([CATEGORY_LABELS[c], "[Retention period or criteria: to be stated by the business before "
                                    "publishing]"] for c in cats), (2.2, 3.8)),
    )
    out["rights"] = part(
        para("If you are a California resident, you have these rights under the California Consumer Privacy Act, "
             "as amended by the California Privacy Rights Act:"),
        bullets(f"The right to {x}." for x in rights),
        para(f"For the rights under other states' laws, {see('states')}. To exercise a right, {see('requests')}."),
    )
    choices = [para(f"You may opt out of the sale and sharing of your personal information at any time, through the "
                    f"\u201c{OPT_OUT_LINK}\u201d link (or the \u201c{CHOICES_LINK}\u201d link) at the bottom of "
                    f"every page of {m.website}, by emailing {email}, or by turning on an opt-out preference signal "
                    f"such as Global Privacy Control. An opt-out request does not need to be verified.")
               if shares else
               para("Because we do not sell or share personal information, there is nothing to opt out of today. "
                    "If that changes, we will update this policy and offer an opt-out before any sale or sharing, "
                    "and we will honor Global Privacy Control signals.")]
    if a.sensitive:
        choices.append(para(f"You may limit the use of your sensitive personal information through the "
                            f"\u201c{LIMIT_LINK}\u201d link or by emailing {email}."))
    out["choices"] = part(*choices)
    methods = [f"Email: {email}",
               f"Online: the privacy request form on {m.website}" + (f" and the \u201c{CHOICES_LINK}\u201d link"
                                                                   if shares else ""),
               "Toll-free telephone: [add a toll-free number before publishing, unless the business operates "
               "exclusively online and has a direct relationship with its consumers, in which case email is "
               "sufficient]"]
    out["requests"] = part(
        para("You may submit a request to know, delete or correct your personal information by any of these "
             "methods:"),
        bullets(methods),
        subheading("Response times"),
        para(f"We confirm receipt within {t.get('confirm_receipt_business_days', '[see facts]')} business days and "
             f"respond within {t.get('respond_calendar_days', '[see facts]')} calendar days. If we need more time, "
             f"we will tell you why and may take up to {t.get('extension_calendar_days', '[see facts]')} more days "
             f"({t.get('maximum_calendar_days', '[see facts]')} days in total)."),
        subheading("Verification"),
        para("To protect your information we verify your identity before acting on a request to know, delete or "
             "correct, by matching information you give us with the information we hold. We ask for more "
             "information for a request for specific pieces of personal information than for categories. We do "
             "not verify requests to opt out of sale or sharing."),
        subheading("Authorized agents"),
        para(f"You may use an authorized agent to submit a request for you. The agent contacts us at {email} with "
             "your signed permission; we may ask you to verify your identity directly or to confirm that you gave "
             "the agent permission."),
    )
    out["fairness"] = part(
        para("We will not discriminate against you for exercising any of your privacy rights: we will not deny you "
             "goods or services, charge you a different price, or give you a different level of quality because "
             "you exercised them."),
        para("If we offer a financial incentive or a price or service difference tied to personal information "
             "(for example a discount for joining our mailing list), we will give you a notice of financial "
             "incentive before you opt in, describing its material terms, how to opt in and withdraw, and a "
             "good-faith estimate of the value of your data and how we calculated it. You may withdraw at any "
             "time."),
    )
    out["states"] = _states_part(r, email)
    if m.children_under_13:
        minors = para("Some of our services may be used by children under 13. We collect personal information from "
                      "a child under 13 only with verifiable parental consent, as the Children's Online Privacy "
                      "Protection Act requires, and a parent may review or delete it by emailing " + email + ". We "
                      "sell or share the personal information of a consumer under 13 only if a parent or guardian "
                      "authorizes it, and of a consumer aged 13 to 15 only if the consumer opts in.")
    else:
        minors = para("Our website is not directed to children under 13, and we do not knowingly collect their "
                      "personal information. We have no actual knowledge of selling or sharing the personal "
                      "information of consumers under 16; we would do so only with the consumer's opt-in consent "
                      "(for a consumer under 13, a parent's or guardian's).")
    out["minors"] = part(minors)
    out["changes"] = part(
        para("We review this policy at least once every 12 months. When we make a material change we post the "
             "updated policy on " + m.website + ", change the \u201cLast updated\u201d date at the top, and, "
             "where the change is significant, tell you by email or a notice on our website."),
        para(f"Date last updated: {long_date(r.as_of)}."),
    )
    out["contact"] = part(
        para(f"Questions or concerns about this policy or our privacy practices: {m.business_name}, {email}, "
             f"{m.website}."),
        para("You can view or download this policy from the \u201cPrivacy Policy\u201d link on our homepage; if you "
             f"need it in another format because of a disability, email {email}."),
    )
    return out


def _states_part(r: PrivacyPolicyAnalysis, email: str) -> Part:
    laws = [law for law in r.state_laws if law.status != "Does not apply"]
    if not laws:
        return part(para("The rights described in this policy are those of California law. If your state's privacy "
                         f"law gives you further rights, email {email} and we will honor them."))
    blocks: list[PartBlock] = []
    for law in laws:
        own = " (our home state)" if law.state == r.home_state else ""
        blocks.append(subheading(f"{state_name(law.state)} residents: {law.act}{own}"))
        if law.rights:
            blocks.append(para(f"Under the {law.act} you may: {law.rights}."))
        if law.appeal and not law.appeal.lower().startswith("not required"):
            blocks.append(para(f"How to appeal: if we decline to act on your request, you may appeal by replying to "
                               f"our decision or emailing {email} with the subject \u201cAppeal\u201d. The "
                               f"{law.act} sets these terms for an appeal: {law.appeal.removeprefix('yes: ')}."))
        if law.universal_opt_out.lower().startswith("required"):
            blocks.append(para(f"We honor Global Privacy Control as a universal opt-out mechanism for "
                               f"{state_name(law.state)} residents, as the {law.act} requires."))
        blocks.append(para(f"To exercise these rights, {see('requests')}."))
    return Part(blocks=blocks)
