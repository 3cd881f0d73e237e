"""Contractor assessment analysis: every worker group in the intake, scored under the IRS common-law categories
(behavioral control, financial control, relationship of the parties), the work state's own test (the ABC test where
the state uses one, e.g. California Labor Code 2775), with an employment-tax exposure estimate and the relief options
(Form SS-8, Section 530, VCSP with its 10% arithmetic).

The intake has no pay amounts, so compensation is estimated at the floor the law would allow if the workers were
employees: hours a week x 52 x the work state's minimum wage. Every amount is shown with its arithmetic so the
reviewer can replace the floor with the real payments.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pwcore.compliance.analysis.kit import *
from pwcore.compliance.services.contractor_assessment import (
    PAID_BY_LABELS,
    ContractorAssessmentIntake,
    ContractorWorker,
)
from pwcore.model.formatting import join_words

SERVICE = "contractor_assessment"
Points = Literal["employee", "contractor", "unknown"]
Category = Literal["Behavioral control", "Financial control", "Relationship of the parties"]
CATEGORIES: tuple[Category, ...] = ("Behavioral control", "Financial control", "Relationship of the parties")
FULL_TIME_HOURS = 30  # screening: a near full-time schedule points to the worker's time being directed
PERMANENT_MONTHS = 12  # screening: an open-ended engagement of a year or more points to permanency
SHORT_MONTHS = 6


class Factor(Frozen):
    category: Category
    factor: str
    answer: str
    points_to: Points


class CategoryScore(Frozen):
    category: Category
    employee: int
    contractor: int
    unknown: int
    leaning: Literal["Employee", "Contractor", "Mixed", "Not enough information"]


class Prong(Frozen):
    prong: str
    status: Status
    detail: str


class ExposureItem(Frozen):
    item: str
    arithmetic: str
    amount: Decimal
    in_total: bool  # False for "up to" penalties that depend on willfulness
    authority: str


class WorkerExposure(Frozen):
    annual_compensation: Decimal
    compensation_arithmetic: str
    years: Decimal
    items: list[ExposureItem]
    total_per_year: Decimal
    total_lookback: Decimal
    vcsp_payment: Decimal
    vcsp_arithmetic: str


class WorkerAnalysis(Frozen):
    role: str
    count: int
    state: str | None
    factors: list[Factor]
    categories: list[CategoryScore]
    state_test: str  # the test named for the work state
    state_test_authority: str
    state_prongs: list[Prong]
    state_result: str
    conclusion: Literal["Likely employee", "At risk", "Likely contractor"]
    risk: Priority
    reasons: list[str]
    exposure: WorkerExposure | None


class ContractorAnalysis(AnalysisBase):
    workers: list[WorkerAnalysis]
    options: list[ChecklistItem]  # Form SS-8, Section 530, VCSP
    exposure_total_per_year: Decimal  # workers not likely contractors
    exposure_total_lookback: Decimal
    vcsp_total: Decimal


def analyse(intake: ContractorAssessmentIntake, as_of: date, *, strict: bool = False,
            facts_dir: Path | None = None) -> ContractorAnalysis:
    fv = FactsView(SERVICE, as_of, strict=strict, directory=facts_dir)
    return _Analysis(intake, fv).run()


def _yn(value: bool | None, yes: str, no: str) -> str:
    return "not answered" if value is None else (yes if value else no)


class _Analysis:
    def __init__(self, intake: ContractorAssessmentIntake, fv: FactsView) -> None:
        self.m = intake
        self.fv = fv
        self.findings: list[Finding] = []
        self.checklist: list[ChecklistItem] = []

    # --- IRS common-law factors ---------------------------------------------------------------------------

    def factors(self, w: ContractorWorker) -> list[Factor]:
        def f(cat: Category, factor: str, answer: str, to: Points) -> Factor:
            return Factor(category=cat, factor=factor, answer=answer, points_to=to)

        def flag(value: bool | None, if_true: Points) -> Points:
            if value is None:
                return "unknown"
            other: Points = "contractor" if if_true == "employee" else "employee"
            return if_true if value else other

        out = [
            f("Behavioral control", "Who sets the schedule and how the work is done",
              _yn(w.company_controls_schedule, "the company sets the schedule", "the worker sets the schedule"),
              flag(w.company_controls_schedule, "employee")),
        ]
        if w.hours_per_week is not None:
            full = w.hours_per_week >= FULL_TIME_HOURS
            out.append(f("Behavioral control", "Time devoted to the company",
                         f"{num(w.hours_per_week)} hours a week", "employee" if full else "unknown"))
        out.append(f("Financial control", "Investment in tools and equipment",
                     _yn(w.company_provides_tools, "the company provides the tools", "the worker provides the tools"),
                     flag(w.company_provides_tools, "employee")))
        pay: Points = {"hourly": "employee", "daily": "employee", "salary": "employee", "project": "contractor",
                       "commission": "unknown", "retainer": "unknown"}.get(w.paid_by or "", "unknown")  # type: ignore[assignment]
        out.append(f("Financial control", "How the worker is paid (time worked, or a flat fee with profit or loss)",
                     f"paid: {PAID_BY_LABELS[w.paid_by].lower()}" if w.paid_by else "not answered", pay))
        out.append(f("Financial control", "Services offered to the market (own business)",
                     _yn(w.has_own_business, "has an own business", "has no own business"),
                     flag(w.has_own_business, "contractor")))
        out.append(f("Financial control", "Free to work for others",
                     _yn(w.exclusive_to_company, "works only for the company", "works for other clients too"),
                     flag(w.exclusive_to_company, "employee")))
        months = w.engagement_months
        perm: Points = "unknown" if months is None else (
            "employee" if months >= PERMANENT_MONTHS else "contractor" if months < SHORT_MONTHS else "unknown")
        out.append(f("Relationship of the parties", "Permanency of the relationship",
                     "not answered" if months is None else f"engaged {months} months", perm))
        out.append(f("Relationship of the parties", "Services are a key aspect of the regular business",
                     _yn(w.work_is_core_business, "core work of the business", "outside the core business"),
                     flag(w.work_is_core_business, "employee")))
        agreements = self.m.written_agreements
        out.append(f("Relationship of the parties", "Written contract describing the relationship",
                     _yn(agreements, "written agreements in place (considered, not decisive)",
                         "no written agreements"), "contractor" if agreements else "unknown"))
        return out

    @staticmethod
    def score(factors: list[Factor]) -> list[CategoryScore]:
        out = []
        for cat in CATEGORIES:
            mine = [x for x in factors if x.category == cat]
            e = sum(x.points_to == "employee" for x in mine)
            c = sum(x.points_to == "contractor" for x in mine)
            u = sum(x.points_to == "unknown" for x in mine)
            leaning: Literal["Employee", "Contractor", "Mixed", "Not enough information"] = (
                "Not enough information" if e == c == 0 else "Employee" if e > c else
                "Contractor" if c > e else "Mixed")
            out.append(CategoryScore(category=cat, employee=e, contractor=c, unknown=u, leaning=leaning))
        return out

    # --- state test -----------------------------------------------------------------------------------------

    def state_test(self, w: ContractorWorker, state: str | None) -> tuple[str, str, list[Prong], str]:
        a = Prong(prong="A: free from control and direction, under the contract and in fact",
                  status="Review" if w.company_controls_schedule is None else
                  ("Not met" if w.company_controls_schedule else "Met"),
                  detail=_yn(w.company_controls_schedule, "the company sets the schedule",
                             "the worker sets the schedule (confirm the contract and practice match)"))
        b = Prong(prong="B: work outside the usual course of the hiring entity's business",
                  status="Review" if w.work_is_core_business is None else
                  ("Not met" if w.work_is_core_business else "Met"),
                  detail=_yn(w.work_is_core_business, "the work is the core business", "outside the core business"))
        independent = w.has_own_business and w.exclusive_to_company is not True
        c = Prong(prong="C: customarily engaged in an independently established trade or business",
                  status="Review" if w.has_own_business is None else
                  ("Met" if independent else "Review" if w.has_own_business else "Not met"),
                  detail=_yn(w.has_own_business, "has an own business" + (
                      " but works only for the company" if w.exclusive_to_company else ""), "has no own business"))
        if state is None:
            return ("Not determined: no work state given", "", [], "Review: give the work state")
        row = self.fv.row("states.abc_test", state)
        own = self.fv.state_facts(state, "contractor.state.")
        if row is not None:
            scope = str(row.cells.get("scope", ""))
            name = f"{state_name(state)} ABC test ({scope})"
            authority = "; ".join([row.source] + [f.source for f in own if "abc" in f.id])
            prongs = [a, b, c]
        elif own:
            fact = own[0]
            name = fact.title if fact.title.startswith(state_name(state)) else f"{state_name(state)}: {fact.title}"
            authority = fact.source
            prongs = [a.model_copy(update={"prong": "Free from control and direction, under the contract and in fact"}),
                      c.model_copy(update={"prong": "Customarily engaged in an independent trade or business related "
                                                    "to the service"})]
        else:
            return (f"{state_name(state)}: no state-specific test in the reviewed facts; the IRS common-law and FLSA "
                    "economic-reality tests apply", self.fv.source("contractor.irs.common_law"), [],
                    "Review: confirm the state's own test")
        if any(p.status == "Not met" for p in prongs):
            result = "Employee under the state test (a required element is not met)"
        elif all(p.status == "Met" for p in prongs):
            result = "Contractor under the state test, if the facts hold"
        else:
            result = "Review: elements still to be shown"
        return name, authority, prongs, result

    # --- exposure -----------------------------------------------------------------------------------------

    def exposure(self, w: ContractorWorker, state: str | None) -> WorkerExposure | None:
        floor = self.wage_floor(state)
        if w.hours_per_week is None or w.hours_per_week == 0 or floor is None:
            return None
        rate, rate_label = floor
        hours = dec(w.hours_per_week)
        per_worker = cents(hours * WEEKS_PER_YEAR * rate)
        comp = per_worker * w.count
        comp_text = (f"{num(hours)} hours x {WEEKS_PER_YEAR} weeks x {usd(rate)} ({rate_label}) = {usd(per_worker)} "
                     f"per worker x {w.count} = {usd(comp)} a year")
        fica = "contractor.tax.fica_rates"
        ss = self.fv.number(fica, "social_security_pct_each") / 100
        med = self.fv.number(fica, "medicare_pct_each") / 100
        base = self.fv.number(fica, "social_security_wage_base_usd")
        ss_wages = min(per_worker, base) * w.count
        employer_fica = cents(ss_wages * ss + comp * med)
        r3509 = "contractor.irs.3509_rates"
        emp_share = self.fv.number(r3509, "employee_fica_pct_of_employee_share") / 100
        withholding = self.fv.number(r3509, "income_tax_withholding_pct_of_wages") / 100
        employee_fica_3509 = cents((ss_wages * ss + comp * med) * emp_share)
        withholding_3509 = cents(comp * withholding)
        futa = "contractor.tax.futa"
        futa_rate = self.fv.number(futa, "rate_pct") / 100
        futa_base = self.fv.number(futa, "wage_base_usd")
        futa_amount = cents(min(per_worker, futa_base) * w.count * futa_rate)
        items = [
            ExposureItem(item="Employer Social Security and Medicare", amount=employer_fica, in_total=True,
                         arithmetic=f"{num(ss * 100)}% x {usd(ss_wages)} (capped at {usd(base)} a worker) + "
                                    f"{num(med * 100)}% x {usd(comp)} = {usd(employer_fica)}",
                         authority=self.fv.source(fica)),
            ExposureItem(item="Employee FICA under IRC 3509", amount=employee_fica_3509, in_total=True,
                         arithmetic=f"{num(emp_share * 100)}% of the employee share "
                                    f"({usd(ss_wages * ss + comp * med)}) = {usd(employee_fica_3509)}",
                         authority=self.fv.source(r3509)),
            ExposureItem(item="Income tax withholding under IRC 3509", amount=withholding_3509, in_total=True,
                         arithmetic=f"{num(withholding * 100)}% x {usd(comp)} = {usd(withholding_3509)}",
                         authority=self.fv.source(r3509)),
            ExposureItem(item="FUTA (before any credit for state premiums)", amount=futa_amount, in_total=True,
                         arithmetic=f"{num(futa_rate * 100)}% x {usd(min(per_worker, futa_base))} x {w.count} = "
                                    f"{usd(futa_amount)}", authority=self.fv.source(futa)),
        ]
        ui = self.state_ui(state, per_worker, w.count)
        if ui is not None:
            items.append(ui)
        federal_tax = employer_fica + employee_fica_3509 + withholding_3509 + futa_amount
        ftd = "contractor.tax.failure_to_deposit"
        ftd_pct = self.fv.number(ftd, "pct_over_15_days") / 100
        ftd_amount = cents(federal_tax * ftd_pct)
        items.append(ExposureItem(item="Failure-to-deposit penalty (deposits over 15 days late)", amount=ftd_amount,
                                  in_total=True, arithmetic=f"{num(ftd_pct * 100)}% x {usd(federal_tax)} = "
                                                            f"{usd(ftd_amount)}", authority=self.fv.source(ftd)))
        if state is not None:
            items += self.state_fines(state, w.count)
        total = sum((i.amount for i in items if i.in_total), Decimal(0))
        cap = self.fv.number("contractor.tax.assessment_period", "years")
        years = min(dec(w.engagement_months) / 12, cap) if w.engagement_months is not None else Decimal(1)
        years = years.quantize(Decimal("0.01"))
        liability_3509 = employer_fica + employee_fica_3509 + withholding_3509
        vcsp_pct = self.fv.number("contractor.irs.vcsp_payment_pct")  # percent of the 3509 liability
        self.fv.fact("contractor.irs.vcsp")
        vcsp = cents(liability_3509 * vcsp_pct / 100)
        return WorkerExposure(
            annual_compensation=comp, compensation_arithmetic=comp_text, years=years, items=items,
            total_per_year=total, total_lookback=cents(total * years),
            vcsp_payment=vcsp,
            vcsp_arithmetic=f"{num(vcsp_pct)}% x ({usd(employer_fica)} + {usd(employee_fica_3509)} + "
                            f"{usd(withholding_3509)} IRC 3509 liability for the most recent year) = {usd(vcsp)}")

    def wage_floor(self, state: str | None) -> tuple[Decimal, str] | None:
        """The work state's minimum wage (states.min_wage covers every state and DC); None without a state."""
        row = self.fv.row("states.min_wage", state) if state else None
        rate = row.cells.get("rate") if row else None
        if row is None or not isinstance(rate, int | float) or isinstance(rate, bool):
            return None
        return dec(rate), f"{state_name(row.state)} minimum wage"

    def state_ui(self, state: str | None, per_worker: Decimal, count: int) -> ExposureItem | None:
        if state != "CO":
            return None
        fid = "contractor.co.ui_premiums"
        limit = self.fv.number(fid, "chargeable_wage_limit_usd")
        rate = (self.fv.number(fid, "unrated_base_rate_pct") + self.fv.number(fid, "unrated_support_surcharge_pct"))
        amount = cents(min(per_worker, limit) * count * rate / 100)
        return ExposureItem(item="Colorado unemployment insurance premiums (unrated rate)", amount=amount,
                            in_total=True, arithmetic=f"{num(rate)}% x {usd(min(per_worker, limit))} x {count} = "
                                                      f"{usd(amount)}", authority=self.fv.source(fid))

    def state_fines(self, state: str, count: int) -> list[ExposureItem]:
        if state != "CO":
            return []
        fid = "contractor.co.ui_misclassification_fine"
        per = self.fv.number(fid, "first_willful_max_usd_per_employee")
        return [ExposureItem(item="Colorado fine if the misclassification was willful (up to)", amount=per * count,
                             in_total=False, arithmetic=f"up to {usd(per)} x {count} misclassified = "
                                                        f"{usd(per * count)}", authority=self.fv.source(fid))]

    # --- per worker ---------------------------------------------------------------------------------------

    def worker(self, w: ContractorWorker) -> WorkerAnalysis:
        state = w.state or (self.m.states[0] if len(self.m.states) == 1 else None)
        factors = self.factors(w)
        self.fv.fact("contractor.irs.common_law")
        cats = self.score(factors)
        employee_cats = [c.category for c in cats if c.leaning == "Employee"]
        contractor_cats = [c.category for c in cats if c.leaning == "Contractor"]
        name, authority, prongs, result = self.state_test(w, state)
        reasons = [f"{c.category}: {c.leaning.lower()} ({c.employee} for employee, {c.contractor} for contractor, "
                   f"{c.unknown} not known)" for c in cats]
        if w.state is None and state is not None:
            reasons.append(f"work state not given for this worker: the intake's state ({state_name(state)}) is used")
        state_fails = result.startswith("Employee")
        if len(employee_cats) >= 2 or state_fails:
            conclusion: Literal["Likely employee", "At risk", "Likely contractor"] = "Likely employee"
        elif len(contractor_cats) >= 2 and not employee_cats and not result.startswith(("Review: elements",
                                                                                          "Review: give")):
            conclusion = "Likely contractor"
        else:
            conclusion = "At risk"
        if state_fails:
            reasons.append(f"{name}: {result}")
        risks: dict[str, Priority] = {"Likely employee": "High", "At risk": "Medium", "Likely contractor": "Low"}
        risk = risks[conclusion]
        unknown = sum(x.points_to == "unknown" for x in factors)
        if unknown > len(factors) / 2:
            reasons.append(f"{unknown} of {len(factors)} factors are not answered in the intake")
        return WorkerAnalysis(
            role=clean(w.role), count=w.count, state=state, factors=factors, categories=cats, state_test=name,
            state_test_authority=authority, state_prongs=prongs, state_result=result, conclusion=conclusion,
            risk=risk, reasons=reasons, exposure=self.exposure(w, state))

    def worker_findings(self, x: WorkerAnalysis) -> None:
        who = f"{x.role} ({x.count})"
        irs = self.fv.source("contractor.irs.common_law")
        authority = "; ".join(a for a in (irs, x.state_test_authority) if a and a != irs) or irs
        if x.conclusion == "Likely employee":
            why = "; ".join(c.category.lower() for c in x.categories if c.leaning == "Employee")
            self.findings.append(finding(
                requirement="Workers the business controls are employees for employment taxes and wage laws",
                gap=f"{who} treated as contractors; points to employee status: {why or x.state_result}",
                action="Reclassify as employees going forward (consider the VCSP for the federal taxes), put them "
                       "on payroll with withholding, overtime and state leave, and compute back taxes",
                owner="Owner and payroll", priority="High", authority=f"{irs}; {authority}"
                if authority != irs else irs))
        elif x.conclusion == "At risk":
            self.findings.append(finding(
                requirement="A worker's status follows the facts of the relationship",
                gap=f"{who}: the factors point both ways or are not answered",
                action="Collect the missing facts (schedule control, tools, other clients, core business); change "
                       "the engagement to fit contractor status or reclassify; consider Form SS-8 for a ruling",
                owner="Owner and counsel", priority="Medium", authority=authority if authority else irs))
        elif self.m.written_agreements is not True:
            self.findings.append(finding(
                requirement="Evidence of an independent business relationship",
                gap=f"{who}: likely contractors, but no written agreement is reported",
                action="Sign a written agreement that reflects the actual practice (deliverables, own tools, "
                       "other clients) and collect Forms W-9; file Forms 1099-NEC", owner="Owner",
                priority="Low", authority=irs))

    # --- whole intake -------------------------------------------------------------------------------------

    def options(self, workers: list[WorkerAnalysis]) -> list[ChecklistItem]:
        ss8 = self.fv.fact("contractor.irs.ss8")
        s530 = self.fv.fact("contractor.irs.section_530")
        vcsp = self.fv.fact("contractor.irs.vcsp")
        total = sum((x.exposure.vcsp_payment for x in workers if x.exposure and x.conclusion != "Likely contractor"),
                    Decimal(0))
        agreements = self.m.written_agreements
        return [
            ChecklistItem(requirement="Form SS-8 determination", status="Review",
                          note=f"{ss8.value}; useful for the workers whose status is at risk", authority=ss8.source),
            ChecklistItem(requirement="Section 530 relief", status="Review",
                          note=f"{s530.value}. From the intake: written agreements "
                               f"{_yn(agreements, 'are in place', 'are not in place')}; still to confirm: whether "
                               "every Form 1099 was filed, and whether any employee does work similar to these workers "
                               "(which defeats substantive consistency)", authority=s530.source),
            ChecklistItem(requirement="Voluntary Classification Settlement Program", status="Review",
                          note=f"{vcsp.value}. Estimated VCSP payment for the workers not likely contractors: "
                               f"{usd(total)} (10% of the IRC 3509 liability for one year, per worker group in the "
                               "exposure estimate)",
                          authority=vcsp.source),
        ]

    def run(self) -> ContractorAnalysis:
        workers = [self.worker(w) for w in self.m.workers]
        for x in workers:
            self.worker_findings(x)
        dol = self.fv.fact("contractor.dol.enforcement_status")
        self.checklist.append(ChecklistItem(requirement="FLSA employee status (economic reality)", status="Review",
                                            note=str(dol.value), authority=dol.source))
        self.fv.fact("contractor.dol.economic_reality")
        options = self.options(workers)
        counted = [x for x in workers if x.exposure and x.conclusion != "Likely contractor"]
        per_year = sum((x.exposure.total_per_year for x in counted if x.exposure), Decimal(0))
        lookback = sum((x.exposure.total_lookback for x in counted if x.exposure), Decimal(0))
        vcsp = sum((x.exposure.vcsp_payment for x in counted if x.exposure), Decimal(0))
        missing = [x for x in workers if x.exposure is None]
        for x in missing:
            self.checklist.append(ChecklistItem(requirement=f"Exposure for {x.role}", status="Review",
                                                note="hours a week or work state not given: no estimate",
                                                authority=""))
        tables = [
            FactsTable(title="IRS common-law categories by worker",
                       columns=["Worker", "Count", "State", *CATEGORIES, "Conclusion", "Risk"],
                       rows=[[x.role, str(x.count), state_name(x.state) if x.state else "Not given",
                              *[c.leaning for c in x.categories], x.conclusion, x.risk] for x in workers]),
            FactsTable(title="State test by worker", columns=["Worker", "Test", "Result"],
                       rows=[[x.role, x.state_test, x.state_result] for x in workers]),
            FactsTable(title="Employment-tax exposure estimate (per year, at the minimum-wage floor)",
                       columns=["Worker", "Item", "Arithmetic", "Amount"],
                       rows=[[x.role, i.item, i.arithmetic, usd(i.amount) + ("" if i.in_total else " (not in total)")]
                             for x in workers if x.exposure for i in x.exposure.items]),
        ]
        return ContractorAnalysis(
            service=SERVICE, as_of=self.fv.as_of, tables=tables, checklist=self.checklist,
            findings=self.fv.stale_findings() + self.findings, facts_used=[u.id for u in self.fv.used],
            sources=self.fv.used, stale_facts=self.fv.stale, workers=workers, options=options,
            exposure_total_per_year=per_year, exposure_total_lookback=lookback, vcsp_total=vcsp)


# --- the report -------------------------------------------------------------------------------------------------

POINTS_LABEL: dict[str, str] = {"employee": "Employee", "contractor": "Contractor", "unknown": "Not known"}
# The FLSA economic-reality factors the intake answers, each read from the common-law factor asking the same thing.
FLSA_FACTORS: tuple[tuple[str, str], ...] = (
    ("Nature and degree of control", "Who sets the schedule and how the work is done"),
    ("Investment by the worker", "Investment in tools and equipment"),
    ("Opportunity for profit or loss", "How the worker is paid (time worked, or a flat fee with profit or loss)"),
    ("Permanency of the relationship", "Permanency of the relationship"),
    ("Work integral to the business", "Services are a key aspect of the regular business"),
)


def for_report(intake: ContractorAssessmentIntake, as_of: date, entity_state: str) -> ReportAnalysis:
    """The assessment as report parts: the IRS categories, the ABC and state tests, the FLSA test, conclusions,
    exposure and the options, for every worker of the intake (the LLM writes only the prose sections)."""
    fv = FactsView(SERVICE, as_of)
    a = _Analysis(intake, fv)
    result = a.run()
    abc = [x for x in result.workers if x.state and fv.row("states.abc_test", x.state) is not None]
    other = [x for x in result.workers if x not in abc]
    states = list(dict.fromkeys(x.state for x in result.workers if x.state)) or list(intake.states)
    names = join_words([state_name(s) for s in states]) if states else state_name(entity_state)
    parts = {
        "common_law": _common_law_part(fv, result),
        "abc_test": _abc_part(fv, abc),
        "state_tests": _state_tests_part(other, bool(abc)),
        "flsa": _flsa_part(fv, result),
        "conclusions": _conclusions_part(result),
        "exposure": _exposure_part(fv, result),
        "options": _options_part(fv, intake, result),
    }
    # The parts read facts the core analysis did not (the California exemptions): the appendix lists them all.
    result = result.model_copy(update={"sources": fv.used, "facts_used": [u.id for u in fv.used],
                                       "stale_facts": fv.stale})
    parts.update(standard_parts(result))
    return ReportAnalysis(result=result, parts=parts, jurisdiction=Jurisdiction(
        laws=f"Federal law (IRS common-law test, FLSA) and the worker classification laws of {names}",
        counsel=names))


def _who(x: WorkerAnalysis) -> str:
    return f"{x.role} ({x.count})"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _test_heading(x: WorkerAnalysis) -> str:
    # The test's name already starts with the state's name when there is a state.
    return f"{_who(x)}: {x.state_test}" if x.state else f"{_who(x)}, work state not given: {x.state_test}"


def _where(x: WorkerAnalysis) -> str:
    return state_name(x.state) if x.state else "work state not given"


def _common_law_part(fv: FactsView, result: ContractorAnalysis) -> Part:
    law = fv.fact("contractor.irs.common_law")
    described = dict(zip(CATEGORIES, ("behavioral_control", "financial_control", "relationship_of_parties"),
                         strict=True))
    blocks: list[PartBlock] = [para(
        f"The IRS weighs the evidence of control and independence in three categories ({law.source}). "
        f"{_cap(str(law.note))}. Each factor below is the client's intake answer and the status it points "
        "to; a factor the intake does not answer is shown as not known.")]
    for cat in CATEGORIES:
        blocks.append(subheading(cat))
        blocks.append(para(f"{cat}: {fv.part('contractor.irs.common_law', described[cat])}."))
        rows = [[_who(x), f.factor, f.answer, POINTS_LABEL[f.points_to]]
                for x in result.workers for f in x.factors if f.category == cat]
        blocks.append(table(("Worker", "Factor", "Intake answer", "Points to"), rows, (1.2, 2.0, 1.9, 0.9)))
    blocks.append(subheading("Balance of the three categories"))
    blocks.append(table(
        ("Worker", *CATEGORIES),
        ([_who(x), *[f"{c.leaning} ({c.employee} employee, {c.contractor} contractor, {c.unknown} not known)"
                     for c in x.categories]] for x in result.workers), (1.2, 1.6, 1.6, 1.6)))
    return Part(blocks=blocks)


def _prongs_table(x: WorkerAnalysis) -> PartTable:
    return table(("Element", "Status", "From the intake"), ([p.prong, p.status, p.detail] for p in x.state_prongs),
                 (2.6, 0.7, 2.7))


def _abc_part(fv: FactsView, workers: list[WorkerAnalysis]) -> Part:
    if not workers:
        return part(para("None of the workers assessed works in a state whose reviewed facts apply an ABC test, so "
                         "the ABC test is not applied in this assessment; the work state's own test follows."))
    blocks: list[PartBlock] = []
    ca = [x for x in workers if x.state == "CA"]
    if ca:
        blocks.append(para(f"California: {fv.value('contractor.state.abc_test')} "
                           f"({fv.source('contractor.state.abc_test')}). The hiring entity bears that burden."))
    blocks.append(para("Each worker in a state that uses the ABC test is treated as an employee unless all three "
                       "elements are shown; one element not met is enough for employee status."))
    for x in workers:
        blocks += [subheading(_test_heading(x)), _prongs_table(x),
                   para(f"Result: {x.state_result}. Authority: {x.state_test_authority}.")]
    if ca:
        ex = fv.fact("contractor.ca.abc_exemptions")
        blocks += [subheading("California exemptions from the ABC test"),
                   para(f"{_cap(str(ex.value))} ({ex.source})."),
                   para("The intake does not say whether any California worker meets an exemption's conditions ("
                        + join_words([_who(x) for x in ca]) + "). The result above assumes none does; if one does, the "
                        "Borello factors decide, and they weigh much the same evidence as the IRS categories.")]
    return Part(blocks=blocks)


def _state_tests_part(workers: list[WorkerAnalysis], any_abc: bool) -> Part:
    if not workers:
        return part(para("Every worker assessed works in a state that uses the ABC test: the state test for each is "
                         "the ABC test applied in the previous section."))
    blocks: list[PartBlock] = [para(
        "For the workers below the work state has no ABC test in the reviewed facts"
        + (" (the others are assessed under the ABC test above)" if any_abc else "")
        + ": the state's own test, where the reviewed facts have one, or the federal tests apply.")]
    for x in workers:
        blocks.append(subheading(_test_heading(x)))
        if x.state_prongs:
            blocks.append(_prongs_table(x))
        blocks.append(para(f"Result: {x.state_result}."
                           + (f" Authority: {x.state_test_authority}." if x.state_test_authority else "")))
    return Part(blocks=blocks)


def _flsa_part(fv: FactsView, result: ContractorAnalysis) -> Part:
    test = fv.fact("contractor.dol.economic_reality")
    status = fv.fact("contractor.dol.enforcement_status")
    rows = []
    for x in result.workers:
        by_name = {f.factor: f for f in x.factors}
        cells = [POINTS_LABEL[by_name[f].points_to] if f in by_name else "Not known" for _, f in FLSA_FACTORS]
        e, c = cells.count("Employee"), cells.count("Contractor")
        lean = ("Not enough information" if e == c == 0 else "Economically dependent (employee)" if e > c else
                "In business for themself" if c > e else "Mixed")
        rows.append([_who(x), *cells, lean])
    return part(
        para(f"Under the Fair Labor Standards Act the question is {test.value} ({test.source})."),
        para(f"Enforcement: {status.value} ({status.source})."),
        para("The intake answers five of these factors; skill and initiative is not asked, so it is left to the "
             "reviewer. The table reads each factor from the intake answer that asks the same thing."),
        table(("Worker", *(n for n, _ in FLSA_FACTORS), "Leaning"), rows, (1.1, 0.8, 0.8, 0.8, 0.8, 0.8, 1.1)),
    )


def _conclusions_part(result: ContractorAnalysis) -> Part:
    return part(
        para("The conclusion weighs the IRS categories and the work state's test: a worker is a likely employee "
             "when two categories lean to employee or a required state element is not met, a likely contractor "
             "when two categories lean to contractor and none to employee, and at risk otherwise."),
        table(("Worker", "Count", "Work state", "Conclusion", "Risk", "Reasons"),
              ([x.role, str(x.count), _where(x), x.conclusion, x.risk, "; ".join(x.reasons)] for x in result.workers),
              (1.1, 0.5, 0.9, 0.9, 0.6, 2.6)),
    )


def _exposure_part(fv: FactsView, result: ContractorAnalysis) -> Part:
    r3509 = fv.fact("contractor.irs.3509_rates")
    cap = fv.number("contractor.tax.assessment_period", "years")
    blocks: list[PartBlock] = [
        para("If the workers were found to be employees, the business would owe the employment taxes it did not "
             "withhold or pay. The intake gives no pay amounts, so each estimate assumes the lowest pay the law would "
             "allow an employee; the reviewer replaces it with the amounts actually paid."),
        subheading("Assumptions"),
        bullets([
            "Compensation: hours a week x 52 weeks x the work state's minimum wage, for every worker of the group.",
            f"IRC 3509 reduced rates for the employee's share of FICA and for income tax withholding, which assume "
            f"the Forms 1099 were filed; {r3509.note}.",
            "FUTA at the full rate, before any credit for state unemployment premiums.",
            "The failure-to-deposit penalty at its top tier for deposits over 15 days late; interest is not included.",
            f"The look-back period is the engagement so far, up to the {num(cap)}-year assessment period; one year "
            "where the engagement length is not given.",
            "Workers who are likely contractors are shown but left out of the totals.",
        ]),
    ]
    for x in result.workers:
        e = x.exposure
        if e is None:
            continue
        blocks += [
            subheading(f"{_who(x)}, {_where(x)}: {x.conclusion.lower()}"),
            para(f"Compensation: {e.compensation_arithmetic}."),
            table(("Item", "Arithmetic", "Amount", "Authority"),
                  ([i.item, i.arithmetic, usd(i.amount) + ("" if i.in_total else " (not in total)"), i.authority]
                   for i in e.items), (1.5, 2.4, 0.9, 1.2)),
            para(f"Total a year: {usd(e.total_per_year)}; over {num(e.years)} years: {usd(e.total_lookback)}"
                 + (" (not in the totals: likely contractor)." if x.conclusion == "Likely contractor" else ".")),
        ]
    counted = [x for x in result.workers if x.exposure and x.conclusion != "Likely contractor"]
    blocks.append(subheading("Totals for the workers not likely contractors"))
    if counted:
        blocks.append(table(("Worker", "A year", "Look-back period", "VCSP payment"),
                            [[_who(x), usd(x.exposure.total_per_year), usd(x.exposure.total_lookback),
                              usd(x.exposure.vcsp_payment)] for x in counted if x.exposure]
                            + [["Total", usd(result.exposure_total_per_year), usd(result.exposure_total_lookback),
                                usd(result.vcsp_total)]], (2.0, 1.2, 1.4, 1.4)))
    else:
        blocks.append(para("No worker with an estimate is at risk of reclassification."))
    missing = [x for x in result.workers if x.exposure is None]
    if missing:
        blocks.append(para("No estimate for " + join_words([_who(x) for x in missing])
                           + ": the intake gives no hours a week or no work state for them."))
    return Part(blocks=blocks)


def _options_part(fv: FactsView, m: ContractorAssessmentIntake, result: ContractorAnalysis) -> Part:
    by = {o.requirement: o for o in result.options}
    employees = [_who(x) for x in result.workers if x.conclusion == "Likely employee"]
    at_risk = [_who(x) for x in result.workers if x.conclusion == "At risk"]
    eligibility = str(fv.fact("contractor.irs.vcsp").note).removeprefix("eligibility: ")
    ss8, s530, v = (by["Form SS-8 determination"], by["Section 530 relief"],
                    by["Voluntary Classification Settlement Program"])
    agreements = _yn(m.written_agreements, "written agreements are in place", "no written agreements are in place")
    return part(
        subheading("Form SS-8: ask the IRS to decide"),
        para(f"{_cap(ss8.note)} ({ss8.authority})."),
        para("Suited to: " + (join_words(at_risk) if at_risk else "no worker group (none is at risk)") + "."),
        subheading("Section 530 relief"),
        para(f"{_cap(s530.note)} ({s530.authority})."),
        subheading("Voluntary Classification Settlement Program (VCSP)"),
        para(f"{_cap(v.note)} ({v.authority})."),
        para(f"Eligibility: {eligibility}. From the intake: {agreements}, which supports consistent treatment; the "
             "intake does not say whether Forms 1099 were filed for the previous three years or whether any "
             "employment tax or worker-classification audit is under way: confirm both before applying."),
        para("Candidates: " + (join_words(employees + at_risk) if employees or at_risk else
                               "no worker group (none is a likely employee or at risk)") + "."),
    )
