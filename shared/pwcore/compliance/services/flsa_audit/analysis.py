"""FLSA audit analysis: every role in the intake, in every work state, tested against the reviewed facts.

For each role and state: the exemption tests (salary level, federal and state; salary basis; the duties test of the
claimed exemption, as indicators for the reviewer), the minimum wage, weekly and daily overtime, the regular rate
when bonuses or commissions are paid, and recordkeeping. Each role gets a risk rating with its reasons, and a role
whose exemption fails gets a back-pay estimate with the arithmetic shown:

    overtime hours a week x regular rate x premium (0.5 or 1.5) x employees x weeks in the lookback
    + an equal amount of liquidated damages where the FLSA itself is breached (29 U.S.C. 216(b))

The intake does not say how many employees of a role work in each state, so each state is analysed as if the whole
role worked there; the exposure is estimated once per role (the arithmetic does not depend on the state), labelled
with the first state whose test the role fails.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pwcore.compliance.analysis.kit import *
from pwcore.compliance.services.flsa_audit import FLSAAuditIntake, FLSARole
from pwcore.model.formatting import join_words

SERVICE = "flsa_audit"
OVERTIME_AFTER_HOURS = Decimal(40)  # 29 U.S.C. 207(a)(1); also in flsa.overtime.rule
DAYS_ASSUMED = Decimal(5)
TENTATIVE_MARGIN = Decimal("1.05")  # daily-overtime screen: weekly hours spread over a five-day week

EXEMPTION_LABEL: dict[str, str] = {
    "none": "None (non-exempt)", "executive": "Executive", "administrative": "Administrative",
    "professional": "Professional", "computer": "Computer employee", "outside_sales": "Outside sales",
    "highly_compensated": "Highly compensated",
}
DUTIES_KEY: dict[str, str] = {
    "executive": "executive", "administrative": "administrative", "professional": "learned_professional",
    "computer": "computer", "outside_sales": "outside_sales", "highly_compensated": "executive",
}
# Word stems in the intake's duties text that point toward or away from the claimed exemption. They are screening
# indicators for the reviewer (the primary-duty test is a judgement, 29 CFR 541.700), never a conclusion.
DUTIES_FOR: dict[str, tuple[str, ...]] = {
    "executive": ("hire", "hiring", "fire", "firing", "evaluat", "supervis", "manag", "schedul", "budget", "direct"),
    "administrative": ("budget", "policy", "policies", "complian", "contract", "negotiat", "analy", "plan",
                       "purchas", "human resources", "discretion", "benefits administration"),
    "professional": ("degree", "licens", "engineer", "attorney", "lawyer", "accountant", "cpa", "nurse",
                     "teacher", "pharmac", "architect", "scien", "research"),
    "computer": ("software", "systems analy", "program", "develop", "architect", "design"),
    "outside_sales": ("sales", "sells", "selling", "orders", "territory", "field", "customer visits"),
    "highly_compensated": ("manag", "supervis", "direct", "analy", "plan", "budget"),
}
DUTIES_AGAINST: dict[str, tuple[str, ...]] = {
    "executive": ("register", "cashier", "serves", "serving", "serve ", "works the", "prepares", "cleans", "stocks",
                  "espresso", "drives", "deliver"),
    "administrative": ("inputs", "data entry", "filing", "reception", "answers phones", "clerical", "typing",
                       "enrol", "invoices"),
    "professional": ("assists", "clerical", "data entry"),
    "computer": ("help desk", "helpdesk", "repairs", "installs", "troubleshoot"),
    "outside_sales": ("inside", "phone", "online", "call center", "in the store"),
    "highly_compensated": ("register", "cashier", "manual", "drives", "deliver"),
}
# Which state threshold columns apply to which exemption: the row's applies_to text names them.
STATE_APPLIES_WORDS: dict[str, tuple[str, ...]] = {
    "executive": ("executive",), "administrative": ("administrative",), "professional": ("professional",),
    "computer": ("computer",), "highly_compensated": ("executive", "administrative", "professional"),
}


class Test(Frozen):
    test: str
    status: Status
    detail: str
    authority: str


class RoleStateAnalysis(Frozen):
    role: str
    state: str
    headcount: int
    exemption_claimed: str
    weekly_pay: Decimal
    hourly_equivalent: Decimal
    tests: list[Test]  # exemption tests (empty for a role claimed non-exempt)
    exemption_fails: bool  # a salary or basis test is not met
    duties_at_risk: bool  # the duties indicators point away from the claimed exemption
    minimum_wage: Test
    overtime_hours_per_week: Decimal  # hours over 40 for a non-exempt (or failing) role, else 0
    daily_overtime: Test | None
    regular_rate: Test | None
    risk: Priority
    reasons: list[str]


class ExposureLine(Frozen):
    role: str
    state: str
    basis: str
    method: str
    employees: int
    overtime_hours_per_week: Decimal
    regular_rate: Decimal
    premium: Decimal  # 0.5 or 1.5
    weekly_amount: Decimal  # for all employees of the role
    weeks_2y: int
    back_pay_2y: Decimal
    weeks_3y: int
    back_pay_3y: Decimal
    liquidated_damages: bool
    total_2y: Decimal  # back pay plus liquidated damages where they apply
    total_3y: Decimal
    arithmetic: str
    note: str
    counts_in: Literal["low", "high", "both"]  # which estimate total the line belongs to


class ExposureTotal(Frozen):
    method: str
    total_2y: Decimal
    total_3y: Decimal


class FLSAAnalysis(AnalysisBase):
    roles: list[RoleStateAnalysis]
    exposure: list[ExposureLine]
    exposure_totals: list[ExposureTotal]


def analyse(intake: FLSAAuditIntake, as_of: date, *, strict: bool = False,
            facts_dir: Path | None = None) -> FLSAAnalysis:
    """The deterministic FLSA analysis of `intake` with the facts in force on `as_of` (see the module doc)."""
    fv = FactsView(SERVICE, as_of, strict=strict, directory=facts_dir)
    a = _Analysis(intake, fv)
    return a.run()


class _Analysis:
    def __init__(self, intake: FLSAAuditIntake, fv: FactsView) -> None:
        self.m = intake
        self.fv = fv
        self.checklist: list[ChecklistItem] = []
        self.findings: list[Finding] = []
        self.rows: list[RoleStateAnalysis] = []
        self.exposure: list[ExposureLine] = []

    # --- figures ------------------------------------------------------------------------------------------

    def federal_salary(self) -> Decimal:
        return self.fv.number("flsa.exempt.salary_level")

    def state_salary(self, state: str, exemption: str) -> tuple[Decimal, str, str, bool] | None:
        """(weekly threshold, label, source, needs review) of the state's exempt salary for this exemption."""
        row = self.fv.row("states.exempt_salary", state)
        if row is None or exemption not in STATE_APPLIES_WORDS:
            return None
        applies = str(row.cells.get("applies_to", "")).lower()
        if applies and "only" in applies and not any(w in applies.split("only")[0]
                                                     for w in STATE_APPLIES_WORDS[exemption]):
            return None  # e.g. New York: executive and administrative only
        if applies and not any(w in applies for w in STATE_APPLIES_WORDS[exemption]):
            return None
        weekly = row.cells.get("weekly")
        if not isinstance(weekly, int | float) or isinstance(weekly, bool):
            return None
        return dec(weekly), f"{state_name(state)} salary threshold", row.source, row.needs_review

    def min_wage(self, state: str) -> tuple[Decimal, str, str]:
        federal = self.fv.number("flsa.min_wage.federal")
        row = self.fv.row("states.min_wage", state)
        rate = row.cells.get("rate") if row else None
        if row is not None and isinstance(rate, int | float) and not isinstance(rate, bool) and dec(rate) > federal:
            return dec(rate), f"{state_name(state)} minimum wage", row.source
        return federal, "federal minimum wage", self.fv.source("flsa.min_wage.federal")

    # --- per role and state -------------------------------------------------------------------------------

    def weekly_pay(self, r: FLSARole) -> Decimal:
        if r.pay_basis == "salary" and r.annual_salary is not None:
            return cents(dec(r.annual_salary) / WEEKS_PER_YEAR)
        return cents(dec(r.hourly_rate or 0) * dec(r.weekly_hours))

    def exemption_tests(self, r: FLSARole, state: str, weekly: Decimal) -> list[Test]:
        ex = r.exemption_claimed
        tests: list[Test] = []
        if ex == "none":
            return tests
        salary_src = self.fv.source("flsa.exempt.salary_level")
        basis_src = self.fv.source("flsa.exempt.salary_basis")
        if ex == "outside_sales":
            tests.append(Test(test="Salary level", status="Not applicable",
                              detail="outside sales employees have no salary requirement",
                              authority="29 CFR 541.500"))
        elif ex == "computer" and r.pay_basis == "hourly":
            floor = self.fv.number("flsa.exempt.computer_hourly")
            rate = dec(r.hourly_rate or 0)
            tests.append(Test(test="Computer employee hourly rate", status="Met" if rate >= floor else "Not met",
                              detail=f"{usd(rate)}/hour {'is at least' if rate >= floor else 'is below'} the "
                                     f"federal {usd(floor)}/hour", authority=self.fv.source(
                                         "flsa.exempt.computer_hourly")))
        else:
            if r.pay_basis != "salary":
                tests.append(Test(test="Salary basis", status="Not met",
                                  detail="paid by the hour: the exemption needs a predetermined salary paid weekly "
                                         "or less often", authority=basis_src))
            else:
                tests.append(Test(test="Salary basis", status="Review",
                                  detail="paid a salary; confirm no deductions for variations in the quantity or "
                                         "quality of work (29 CFR 541.602(b) exceptions only)",
                                  authority=basis_src))
            federal = self.federal_salary()
            annual = dec(r.annual_salary) if r.annual_salary is not None else weekly * WEEKS_PER_YEAR
            tests.append(_threshold_test("Federal salary level", weekly, annual, federal, "federal", salary_src))
            state_level = self.state_salary(state, ex)
            if state_level is not None:
                level, label, src, tentative = state_level
                tests.append(_threshold_test(label, weekly, annual, level, state_name(state), src, tentative))
            if ex == "highly_compensated":
                hce = self.fv.number("flsa.exempt.hce")
                annual = dec(r.annual_salary or 0)
                tests.append(Test(test="Highly compensated total annual compensation",
                                  status="Met" if annual >= hce else "Not met",
                                  detail=f"{usd(annual)} a year {'is at least' if annual >= hce else 'is below'} "
                                         f"{usd(hce)}", authority=self.fv.source("flsa.exempt.hce")))
        tests.append(self.duties_test(r))
        return tests

    def duties_test(self, r: FLSARole) -> Test:
        ex = r.exemption_claimed
        duties = self.fv.part("flsa.exempt.duties", DUTIES_KEY[ex])
        authority = self.fv.source("flsa.exempt.duties")
        if not r.duties:
            return Test(test="Duties test", status="Review",
                        detail=f"no duties given; the test: {duties}", authority=authority)
        pro = matched_words(r.duties, DUTIES_FOR[ex])
        con = matched_words(r.duties, DUTIES_AGAINST[ex])
        parts = [f"indicators for the exemption: {', '.join(pro) if pro else 'none'}"]
        parts.append(f"indicators against (non-exempt work): {', '.join(con) if con else 'none'}")
        return Test(test="Duties test", status="Review",
                    detail="; ".join(parts) + f". The test: {duties}", authority=authority)

    def analyse_role(self, r: FLSARole, state: str) -> RoleStateAnalysis:
        weekly = self.weekly_pay(r)
        hours = dec(r.weekly_hours)
        if r.pay_basis == "hourly" or hours == 0:
            hourly = dec(r.hourly_rate or 0)
        else:
            hourly = cents(weekly / hours)
        tests = self.exemption_tests(r, state, weekly)
        fails = any(t.status == "Not met" for t in tests)
        duties = next((t for t in tests if t.test == "Duties test"), None)
        at_risk = bool(duties and r.duties and ("indicators for the exemption: none" in duties.detail
                                                 or "indicators against (non-exempt work): none" not in duties.detail))
        non_exempt = r.exemption_claimed == "none" or fails
        reasons: list[str] = []
        risk: Priority = "Low"

        def raise_to(level: Priority, why: str) -> None:
            nonlocal risk
            reasons.append(why)
            if ("Low", "Medium", "High").index(level) > ("Low", "Medium", "High").index(risk):
                risk = level

        for t in tests:
            if t.status == "Not met":
                raise_to("High", f"{t.test} not met: {t.detail}")
        if at_risk and duties is not None:
            raise_to("Medium", "duties text suggests work outside the claimed exemption (" +
                     duties.detail.split(". The test")[0] + ")")

        floor, floor_label, floor_src = self.min_wage(state)
        mw_ok = hourly >= floor
        basis_word = "hourly rate" if r.pay_basis == "hourly" else "salary per hour worked"
        mw = Test(test="Minimum wage", status="Met" if mw_ok else "Not met",
                  detail=f"{basis_word} {usd(hourly)} {'is at least' if mw_ok else 'is below'} the "
                         f"{floor_label} of {usd(floor)}", authority=floor_src)
        if not mw_ok:
            raise_to("High", mw.detail)

        ot_hours = max(hours - OVERTIME_AFTER_HOURS, Decimal(0)) if non_exempt else Decimal(0)
        if ot_hours > 0 and r.exemption_claimed == "none":
            if self.m.overtime_policy is None:
                raise_to("High", f"{num(ot_hours)} overtime hours a week and no overtime policy stated")
            elif self.m.tracks_hours_worked is False:
                raise_to("High", f"{num(ot_hours)} overtime hours a week and hours worked are not tracked")
            else:
                reasons.append(f"{num(ot_hours)} overtime hours a week; the stated policy pays 1.5x over 40: "
                               "confirm in payroll records")
        if fails and hours > OVERTIME_AFTER_HOURS:
            reasons.append(f"{num(hours - OVERTIME_AFTER_HOURS)} overtime hours a week unpaid while treated as exempt")

        daily = self.daily_overtime(state, hours) if non_exempt else None
        if daily is not None and daily.status == "Review" and "likely" in daily.detail:
            raise_to("Medium", daily.detail)

        regular = None
        if non_exempt:
            regular = self.regular_rate(ot_hours)
            if regular is not None and regular.status == "Not met":
                raise_to("Medium", regular.detail)
        if not reasons:
            reasons.append("no gap found in the intake's figures")
        return RoleStateAnalysis(
            role=clean(r.title), state=state, headcount=r.headcount, exemption_claimed=r.exemption_claimed,
            weekly_pay=weekly, hourly_equivalent=hourly, tests=tests, exemption_fails=fails, duties_at_risk=at_risk,
            minimum_wage=mw, overtime_hours_per_week=ot_hours, daily_overtime=daily, regular_rate=regular,
            risk=risk, reasons=reasons)

    def daily_overtime(self, state: str, weekly_hours: Decimal) -> Test | None:
        row = self.fv.row("states.daily_overtime", state)
        if row is None:
            return None
        threshold = row.cells.get("daily_threshold_hours")
        per_day = weekly_hours / DAYS_ASSUMED
        if isinstance(threshold, int | float) and not isinstance(threshold, bool) and per_day > dec(threshold):
            detail = (f"{num(weekly_hours)} hours a week is {num(cents(per_day))} hours a day over five days, above "
                      f"{state_name(state)}'s {num(threshold)}-hour daily limit: daily overtime is likely owed "
                      f"({row.cells.get('rule')})")
        else:
            detail = (f"{state_name(state)} requires daily overtime ({row.cells.get('rule')}); collect daily "
                      "time records to check shifts over the limit")
        return Test(test="Daily overtime", status="Review", detail=detail, authority=row.source)

    def regular_rate(self, ot_hours: Decimal) -> Test | None:
        paid = self.m.pays_bonuses_or_commissions
        src = self.fv.source("flsa.regular_rate.included")
        if paid is None:
            return Test(test="Regular rate", status="Review",
                        detail="the intake does not say whether bonuses or commissions are paid", authority=src)
        if not paid:
            return None
        if ot_hours > 0:
            return Test(test="Regular rate", status="Not met",
                        detail="bonuses or commissions are paid and the role works overtime: nondiscretionary "
                               "bonuses and commissions must be added to the regular rate before the 1.5x premium",
                        authority=src)
        return Test(test="Regular rate", status="Review",
                    detail="bonuses or commissions are paid: include nondiscretionary ones in the regular rate in "
                           "any week with overtime", authority=src)

    # --- exposure -----------------------------------------------------------------------------------------

    def role_exposure(self, r: FLSARole, rows: list[RoleStateAnalysis]) -> None:
        hours = dec(r.weekly_hours)
        ot = hours - OVERTIME_AFTER_HOURS
        if ot <= 0:
            return
        weeks_2y = int(self.fv.number("flsa.remedies.limitations", "years")) * WEEKS_PER_YEAR
        weeks_3y = int(self.fv.number("flsa.remedies.limitations", "years_if_willful")) * WEEKS_PER_YEAR
        self.fv.fact("flsa.remedies.liquidated_damages")
        failing = [x for x in rows if x.exemption_fails]
        if r.exemption_claimed != "none" and (failing or any(x.duties_at_risk for x in rows)):
            # Label the estimate with the first state whose test fails (else the first state).
            worst = failing[0] if failing else rows[0]
            federal_fail = any(t.status == "Not met" and not _is_state_test(t) for x in rows for t in x.tests)
            duties_risk = any(x.duties_at_risk for x in rows)
            fed = federal_fail or duties_risk
            if failing:
                failed = [t.test for t in worst.tests if t.status == "Not met"]
                basis = f"exemption fails in {state_name(worst.state)}: " + "; ".join(failed)
            else:
                basis = "the duties test may fail (indicators against the exemption)"
            note = ("liquidated damages equal to the back pay (29 U.S.C. 216(b)) are included because the FLSA "
                    "exemption itself is in doubt" + (" (duties test)" if not federal_fail else "")
                    if fed else "state-law basis only: the FLSA's liquidated damages do not apply and state "
                                "penalties are not included")
            weekly = self.weekly_pay(r)
            self.fv.fact("flsa.regular_rate.fluctuating_workweek")
            self.fv.fact("flsa.regular_rate.salary_fixed_hours")
            half_rate = cents(weekly / hours)
            self.exposure.append(_line(
                r, worst.state, basis, "half-time on salary / hours worked (29 CFR 778.114)", half_rate,
                Decimal("0.5"), ot, weeks_2y, weeks_3y, fed, note + "; low estimate", "low"))
            full_rate = cents(weekly / OVERTIME_AFTER_HOURS)
            self.exposure.append(_line(
                r, worst.state, basis, "time and a half on salary / 40 (29 CFR 778.113)", full_rate,
                Decimal("1.5"), ot, weeks_2y, weeks_3y, fed, note + "; high estimate", "high"))
        elif r.exemption_claimed == "none" and (self.m.overtime_policy is None or self.m.tracks_hours_worked is False):
            rate = dec(r.hourly_rate) if r.hourly_rate is not None else cents(self.weekly_pay(r) / hours)
            self.exposure.append(_line(
                r, rows[0].state, "overtime not shown to be paid (no policy stated or hours not tracked)",
                "time and a half if overtime hours were not paid at all", rate, Decimal("1.5"), ot,
                weeks_2y, weeks_3y, True, "scenario: replace with payroll records; if straight time was paid for "
                "the hours, the premium owed is 0.5", "both"))

    # --- whole intake -------------------------------------------------------------------------------------

    def run(self) -> FLSAAnalysis:
        m = self.m
        states = list(dict.fromkeys(m.states))
        for r in m.roles:
            rows = [self.analyse_role(r, s) for s in states]
            self.rows += rows
            self.role_findings(r, rows)
            self.role_exposure(r, rows)
        self.general_checks(states)
        tables = [self.figures_table(states), self.roles_table()]
        if self.exposure:
            tables.append(self.exposure_table())
        totals = _totals(self.exposure)
        findings = self.fv.stale_findings() + self.findings
        return FLSAAnalysis(
            service=SERVICE, as_of=self.fv.as_of, tables=tables, checklist=self.checklist, findings=findings,
            facts_used=[u.id for u in self.fv.used], sources=self.fv.used, stale_facts=self.fv.stale,
            roles=self.rows, exposure=self.exposure, exposure_totals=totals)

    def role_findings(self, r: FLSARole, rows: list[RoleStateAnalysis]) -> None:
        who = f"{clean(r.title)} ({r.headcount})"
        seen: set[object] = set()
        for x in rows:
            for t in x.tests:
                if t.status != "Not met" or (t.test, t.detail) in seen:
                    continue
                seen.add((t.test, t.detail))
                gap = f"{who}: {t.detail}"
                federal = next((f for f in x.tests if f.test == "Federal salary level"), None)
                if _is_state_test(t) and federal is not None and federal.status == "Met":
                    # Say which law is breached: the sample report once called a salary above $684 "below the
                    # federal threshold".
                    gap += f"; it meets the federal level ({federal.detail.split(' is ')[1]}), so the gap is " \
                           "under state law"
                self.findings.append(finding(
                    requirement=f"{t.test} for the {EXEMPTION_LABEL[r.exemption_claimed].lower()} exemption",
                    gap=gap,
                    action="Reclassify as non-exempt and pay overtime from the next pay period, or change pay to "
                           "meet the test; compute back pay for the lookback period (see the exposure table)",
                    owner="Owner and payroll", priority="High", authority=t.authority))
            if x.minimum_wage.status == "Not met":
                self.findings.append(finding(
                    requirement="Minimum wage for every hour worked", gap=f"{who} in {state_name(x.state)}: "
                    f"{x.minimum_wage.detail}", action="Raise pay to the applicable minimum and pay the difference "
                    "for past weeks", owner="Payroll", priority="High", authority=x.minimum_wage.authority))
            if x.regular_rate is not None and x.regular_rate.status == "Not met" and "rr" not in seen:
                seen.add("rr")
                self.findings.append(finding(
                    requirement="Overtime at 1.5x the regular rate, including nondiscretionary bonuses and "
                                "commissions", gap=f"{who}: {x.regular_rate.detail}",
                    action="Recompute overtime for weeks with overtime in the bonus period (add bonus / total "
                           "hours x 0.5 x overtime hours) and pay the difference; change the payroll setup",
                    owner="Payroll", priority="Medium", authority=x.regular_rate.authority))
            if x.daily_overtime is not None and "likely" in x.daily_overtime.detail and "daily" not in seen:
                seen.add("daily")
                self.findings.append(finding(
                    requirement=f"{state_name(x.state)} daily overtime", gap=f"{who}: {x.daily_overtime.detail}",
                    action="Pull daily time records and pay overtime for hours over the daily limit",
                    owner="Payroll", priority="Medium", authority=x.daily_overtime.authority))
        if any(x.duties_at_risk for x in rows) and not any(x.exemption_fails for x in rows):
            t = next(t for t in rows[0].tests if t.test == "Duties test")
            self.findings.append(finding(
                requirement=f"Duties test of the {EXEMPTION_LABEL[r.exemption_claimed].lower()} exemption",
                gap=f"{who}: {t.detail.split('. The test')[0]}",
                action="Have counsel review the primary duty; if it is not exempt work, reclassify as non-exempt",
                owner="Owner and counsel", priority="Medium", authority=t.authority))

    def general_checks(self, states: list[str]) -> None:
        m = self.m
        records_src = self.fv.source("flsa.records.items")
        items = self.fv.value("flsa.records.items")
        kept = self.fv.value("flsa.records.retention")
        assert isinstance(kept, dict)
        if m.tracks_hours_worked is True:
            self.checklist.append(ChecklistItem(requirement="Record hours worked each workday and workweek",
                                                status="Met", note="the intake says hours worked are tracked",
                                                authority=records_src))
        else:
            status: Status = "Not met" if m.tracks_hours_worked is False else "Review"
            self.checklist.append(ChecklistItem(requirement="Record hours worked each workday and workweek",
                                                status=status, note="hours worked are not tracked"
                                                if status == "Not met" else "the intake does not say",
                                                authority=records_src))
            self.findings.append(finding(
                requirement="Payroll records for each non-exempt employee, including daily and weekly hours",
                gap="hours worked are not tracked" if status == "Not met" else "the intake does not say whether "
                "hours worked are tracked", action="Use a timekeeping system for every non-exempt employee",
                owner="Payroll", priority="High" if status == "Not met" else "Medium", authority=records_src))
        self.checklist.append(ChecklistItem(
            requirement="Keep the required payroll items", status="Review",
            note="; ".join(str(i) for i in items) if isinstance(items, list) else str(items), authority=records_src))
        self.checklist.append(ChecklistItem(
            requirement="Retention", status="Review",
            note=f"payroll records {kept['payroll_records_years']} years; time cards, wage rate tables, schedules "
                 f"and deductions {kept['time_cards_wage_tables_schedules_deductions_years']} years",
            authority=self.fv.source("flsa.records.retention")))
        policy = m.overtime_policy or ""
        suffer = self.fv.fact("flsa.hours_worked.suffer_or_permit")
        if keywords(policy, ("approv", "authoriz", "authoris", "pre-approv")):
            self.checklist.append(ChecklistItem(requirement="Pay all hours suffered or permitted", status="Review",
                                                note="overtime must be pre-approved under the policy",
                                                authority=suffer.source))
            self.findings.append(finding(
                requirement="Unapproved overtime is still hours worked and must be paid",
                gap="the overtime policy requires pre-approval; unapproved hours are at risk of going unpaid",
                action="State in the policy that all hours worked are paid, approved or not, and enforce the "
                       "approval rule by discipline, never by withholding pay", owner="HR and managers",
                priority="Medium", authority=suffer.source))
        elif not policy:
            self.checklist.append(ChecklistItem(requirement="Written overtime policy", status="Review",
                                                note="no overtime policy given in the intake",
                                                authority=self.fv.source("flsa.overtime.rule")))
        if m.pays_bonuses_or_commissions:
            share = self.fv.number("flsa.exempt.bonus_share")
            self.checklist.append(ChecklistItem(
                requirement="Bonuses toward an exempt salary", status="Review",
                note=f"nondiscretionary bonuses and commissions may satisfy up to {num(share)}% of the standard "
                     "salary level if paid at least annually", authority=self.fv.source("flsa.exempt.bonus_share")))
        for s in states:
            row = self.fv.row("states.min_wage", s)
            if row is None:
                continue
            tip = row.cells.get("tip_credit_allowed")
            cash = row.cells.get("tipped_cash_wage")
            if tip is False:
                note = f"{state_name(s)} allows no tip credit: tipped employees get the full minimum wage"
            else:
                fed_cash = self.fv.number("flsa.tips.cash_wage")
                fed_credit = self.fv.number("flsa.tips.max_credit")
                note = (f"{state_name(s)} allows a tip credit" + (f" (cash wage at least {usd(cash)})"
                                                                 if isinstance(cash, int | float) else "")
                        + f"; federal cash wage {usd(fed_cash)}, maximum credit {usd(fed_credit)}; tips must bring "
                        "pay to the full minimum, with advance notice to the employee")
                self.fv.fact("flsa.tips.tipped_employee")
            self.checklist.append(ChecklistItem(requirement=f"Tip credit ({state_name(s)}), if any role is tipped",
                                                status="Review", note=note, authority=row.source))
            if row.note and ("local" in row.note.lower() or "cit" in row.note.lower()):
                self.checklist.append(ChecklistItem(requirement=f"Local minimum wages ({state_name(s)})",
                                                    status="Review", note=row.note, authority=row.source))

    # --- tables -------------------------------------------------------------------------------------------

    def figures_table(self, states: list[str]) -> FactsTable:
        rows = [["Federal", "Minimum wage", usd(self.fv.number("flsa.min_wage.federal")) + "/hour",
                 self.fv.source("flsa.min_wage.federal")],
                ["Federal", "Exempt salary level", usd(self.federal_salary()) + "/week",
                 self.fv.source("flsa.exempt.salary_level")],
                ["Federal", "Overtime", str(self.fv.value("flsa.overtime.rule")), self.fv.source("flsa.overtime.rule")]]
        for s in states:
            floor, label, src = self.min_wage(s)
            rows.append([state_name(s), "Minimum wage applied", f"{usd(floor)}/hour ({label})", src])
            level = self.state_salary(s, "executive")
            if level is not None:
                rows.append([state_name(s), "Exempt salary level", f"{usd(level[0])}/week", level[2]])
            d = self.fv.row("states.daily_overtime", s)
            if d is not None:
                rows.append([state_name(s), "Daily overtime", str(d.cells.get("rule")), d.source])
        return FactsTable(title="Wage and hour figures applied", columns=["Jurisdiction", "Rule", "Figure", "Source"],
                          rows=rows)

    def roles_table(self) -> FactsTable:
        return FactsTable(
            title="Classification by role", columns=["Role", "State", "Employees", "Claimed", "Weekly pay",
                                                     "Finding", "Risk"],
            rows=[[x.role, state_name(x.state), str(x.headcount), EXEMPTION_LABEL[x.exemption_claimed],
                   usd(x.weekly_pay), "exemption fails" if x.exemption_fails else
                   ("non-exempt" if x.exemption_claimed == "none" else "exempt if duties confirmed"), x.risk]
                  for x in self.rows])

    def exposure_table(self) -> FactsTable:
        return FactsTable(
            title="Back-pay exposure estimate",
            columns=["Role", "Method", "Arithmetic", "2 years", "3 years (willful)"],
            rows=[[x.role, x.method, x.arithmetic, usd(x.total_2y), usd(x.total_3y)] for x in self.exposure])


def _threshold_test(name: str, weekly: Decimal, annual: Decimal, level: Decimal, whose: str, source: str,
                    tentative: bool = False) -> Test:
    ok = weekly >= level
    detail = (f"{usd(weekly)}/week ({usd(annual)}/year) is {'at or above' if ok else 'below'} the "
              f"{whose} {usd(level)}/week" + (" (figure to be confirmed for this year)" if tentative else ""))
    status: Status = "Met" if ok else "Not met"
    if ok and tentative and weekly < level * TENTATIVE_MARGIN:
        # The threshold is not confirmed for the current year (it rises yearly): a salary this close may fail it.
        status = "Review"
        detail += ", but within 5% of it"
    return Test(test=name, status=status, detail=detail, authority=source)


def _is_state_test(t: Test) -> bool:
    return t.test.endswith("salary threshold")


def _line(r: FLSARole, state: str, basis: str, method: str, rate: Decimal, premium: Decimal, ot: Decimal,
          weeks_2y: int, weeks_3y: int, liquidated: bool, note: str,
          counts_in: Literal["low", "high", "both"]) -> ExposureLine:
    weekly_amount = rate * premium * ot * r.headcount
    back_2y = cents(weekly_amount * weeks_2y)
    back_3y = cents(weekly_amount * weeks_3y)
    factor = 2 if liquidated else 1
    arithmetic = (f"{num(ot)} overtime hours x {usd(rate)} x {num(premium)} x {r.headcount} employees x "
                  f"{weeks_2y} weeks = {usd(back_2y)}" + (f" + {usd(back_2y)} liquidated damages" if liquidated
                                                          else "")
                  + f" (3 years: x {weeks_3y} weeks = {usd(back_3y)}" + (" doubled)" if liquidated else ")"))
    return ExposureLine(
        role=clean(r.title), state=state, basis=basis, method=method, employees=r.headcount, overtime_hours_per_week=ot,
        regular_rate=rate, premium=premium, weekly_amount=cents(weekly_amount), weeks_2y=weeks_2y,
        back_pay_2y=back_2y, weeks_3y=weeks_3y, back_pay_3y=back_3y, liquidated_damages=liquidated,
        total_2y=back_2y * factor, total_3y=back_3y * factor, arithmetic=arithmetic, note=note, counts_in=counts_in)


def _totals(lines: list[ExposureLine]) -> list[ExposureTotal]:
    """The low (half-time) and high (time and a half) estimates; scenario lines of hourly roles count in both."""
    out = []
    for which in ("low", "high"):
        mine = [x for x in lines if x.counts_in in (which, "both")]
        if mine:
            out.append(ExposureTotal(method=f"{which} estimate", total_2y=sum((x.total_2y for x in mine), Decimal(0)),
                                     total_3y=sum((x.total_3y for x in mine), Decimal(0))))
    return out


# --- the report -------------------------------------------------------------------------------------------------

TEST_HEADERS = ("Test", "Status", "Detail", "Authority")
TEST_WIDTHS = (1.1, 0.6, 3.0, 1.3)


def for_report(intake: FLSAAuditIntake, as_of: date, entity_state: str) -> ReportAnalysis:
    """The analysis as report parts: one per section of the audit (the LLM writes only the prose sections)."""
    fv = FactsView(SERVICE, as_of)
    a = _Analysis(intake, fv)
    result = a.run()
    states = list(dict.fromkeys(intake.states))
    names = join_words([state_name(s) for s in states])
    parts = {
        "scope": _scope_part(intake, result, names),
        "classification": _classification_part(a, result),
        "minimum_wage": _minimum_wage_part(a, result, states),
        "overtime": _overtime_part(a, intake, result, states),
        "regular_rate": _regular_rate_part(a, intake, result),
        "recordkeeping": _recordkeeping_part(a, intake, result),
        "state_law": part(*facts_table(result.tables[0], (0.9, 1.2, 2.0, 1.9))),
        "risk": _risk_part(result),
        "exposure": _exposure_part(a, result),
    }
    # The report parts read facts the core analysis did not (the daily-overtime rule, the good-faith defense):
    # the sources appendix lists every one of them.
    result = result.model_copy(update={"sources": fv.used, "facts_used": [u.id for u in fv.used],
                                       "stale_facts": fv.stale})
    parts.update(standard_parts(result))
    return ReportAnalysis(result=result, parts=parts, jurisdiction=Jurisdiction(
        laws=f"Federal law (Fair Labor Standards Act) and the wage and hour laws of {names}", counsel=names))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _conclusion(rows: list[RoleStateAnalysis]) -> str:
    x = rows[0]
    if x.exemption_claimed == "none":
        return "non-exempt: minimum wage and overtime apply"
    failing = [state_name(r.state) for r in rows if r.exemption_fails]
    if failing:
        return f"exemption fails ({join_words(failing)}): treat as non-exempt"
    if any(r.duties_at_risk for r in rows):
        return "at risk: the duties described point away from the exemption"
    if any(t.status == "Review" and t.test != "Duties test" and t.test != "Salary basis" for r in rows
           for t in r.tests):
        return "likely exempt, but the salary is close to a threshold to be confirmed"
    return "likely exempt if the primary duty is confirmed"


def _by_role(result: FLSAAnalysis) -> dict[str, list[RoleStateAnalysis]]:
    out: dict[str, list[RoleStateAnalysis]] = {}
    for x in result.roles:
        out.setdefault(x.role, []).append(x)
    return out


def _scope_part(m: FLSAAuditIntake, result: FLSAAnalysis, names: str) -> Part:
    employees = sum(r.headcount for r in m.roles)
    exempt = [clean(r.title) for r in m.roles if r.exemption_claimed != "none"]
    return part(
        para(f"This audit reviewed {_plural(len(m.roles), 'role')} covering {_plural(employees, 'employee')} "
             + ("" if employees == m.headcount else f"(the business reports {_plural(m.headcount, 'employee')} in "
                "total) ")
             + f"working in {names}, as of "
             f"{result.as_of.strftime('%B %-d, %Y')}. "
             + (f"Roles treated as exempt: {join_words(exempt)}." if exempt else
                "No role is treated as exempt from overtime.")),
        subheading("Method"),
        numbered([
            "Every role was tested in every work state: as the intake does not say how many employees of a role "
            "work in each state, each state is analysed as if the whole role worked there.",
            *(["Roles treated as exempt were tested for salary basis, the federal salary level, any higher state "
               "salary threshold and the duties of the exemption claimed; the duties are screened for indicators "
               "only, since the primary-duty test is a judgement for the reviewer and counsel."] if exempt else []),
            "Every role's pay per hour worked was compared with the higher of the federal and state minimum wage.",
            "Weekly overtime over 40 hours and each state's daily overtime rule were applied to the reported "
            "weekly hours; bonuses and commissions were checked against the regular-rate rules.",
            "Recordkeeping was compared with the federal payroll-record and retention rules.",
            "Each role received a risk rating with its reasons, and back pay was estimated, with the arithmetic "
            "shown, for every role whose overtime may be unpaid.",
        ]),
        para("Every figure applied comes from Performance West's reviewed facts, listed with its source and "
             "effective date in the appendix. The audit relies on the intake as reported; it did not examine "
             "individual payroll or time records."),
    )


def _classification_part(a: _Analysis, result: FLSAAnalysis) -> Part:
    non_exempt_authority = f"{a.fv.source('flsa.min_wage.federal')}; {a.fv.source('flsa.overtime.rule')}"
    blocks: list[PartBlock] = [para(
        "Each role was tested in each work state. \u201cMet\u201d means the intake's figures satisfy the test; "
        "\u201cNot met\u201d means they do not; \u201cReview\u201d means the test turns on facts the intake does "
        "not settle (the duties, deductions from salary, a threshold to be confirmed).")]
    for role, rows in _by_role(result).items():
        x = rows[0]
        blocks.append(subheading(f"{role} ({_plural(x.headcount, 'employee')}; exemption claimed: "
                                 f"{EXEMPTION_LABEL[x.exemption_claimed]})"))
        for r in rows:
            tests = r.tests or [Test(test="Exemption", status="Not applicable",
                                     detail="classified non-exempt: minimum wage and overtime apply",
                                     authority=non_exempt_authority)]
            blocks.append(para(f"{state_name(r.state)}:"))
            blocks.append(table(TEST_HEADERS, ([t.test, t.status, t.detail, t.authority] for t in tests),
                                TEST_WIDTHS))
        blocks.append(para(f"Conclusion for {role}: {_conclusion(rows)}."))
    return part(*blocks)


def _minimum_wage_part(a: _Analysis, result: FLSAAnalysis, states: list[str]) -> Part:
    rows = [[x.role, state_name(x.state), usd(x.hourly_equivalent), x.minimum_wage.status, x.minimum_wage.detail]
            for x in result.roles]
    fed = a.fv.fact("flsa.tips.tipped_employee")
    tips = [c for c in result.checklist if c.requirement.startswith(("Tip credit", "Local minimum"))]
    return part(
        para(f"Every hour worked must be paid at least the higher of the federal minimum wage "
             f"({usd(a.fv.number('flsa.min_wage.federal'))}/hour) and the state minimum wage. For salaried roles "
             "the weekly salary is divided by the weekly hours reported."),
        table(("Role", "State", "Pay per hour", "Status", "Detail"), rows, (1.1, 0.8, 0.8, 0.6, 2.7)),
        subheading("Tip credit and local minimum wages"),
        para(f"A tipped employee is one who {fed.value} ({fed.source}). No role in the intake is reported as "
             "tipped; the rules below apply if any employee receives tips."),
        checklist_table(tips) if tips else para("No state tip-credit figure applies to the work states."),
    )


def _overtime_part(a: _Analysis, m: FLSAAuditIntake, result: FLSAAnalysis, states: list[str]) -> Part:
    rule = a.fv.fact("flsa.overtime.rule")
    rows = []
    for role, rr in _by_role(result).items():
        x = rr[0]
        hours = next(dec(r.weekly_hours) for r in m.roles if clean(r.title) == role)
        over = max(hours - OVERTIME_AFTER_HOURS, Decimal(0))
        if x.exemption_claimed == "none":
            status = "Non-exempt"
        elif any(r.exemption_fails for r in rr):
            status = "Exemption fails"
        else:
            status = "Treated as exempt"
        owed = ("overtime premium owed" if over > 0 and status != "Treated as exempt" else
                "owed if the exemption fails" if over > 0 else "no weekly overtime")
        rows.append([role, num(hours), status, num(over), owed])
    blocks: list[PartBlock] = [
        para(f"Federal law requires pay of {rule.value} ({rule.source})."
             + (f" {rule.note[0].upper()}{rule.note[1:]}." if rule.note else "")),
        subheading("Weekly overtime"),
        table(("Role", "Weekly hours", "Status", "Hours over 40", "Result"), rows, (1.3, 0.7, 1.0, 0.7, 1.8)),
        subheading("Daily overtime"),
    ]
    no_daily = a.fv.fact("flsa.overtime.no_daily_rule")
    for s in states:
        d = a.fv.row("states.daily_overtime", s)
        if d is None:
            rule_text = str(no_daily.value)
            blocks.append(para(f"{state_name(s)}: no general daily overtime rule appears in the reviewed state "
                               "table (industry-specific daily rules are not listed there). Federally, "
                               f"{rule_text} ({no_daily.source})."))
        else:
            likely = sorted({f"{x.role}: {x.daily_overtime.detail}" for x in result.roles
                             if x.state == s and x.daily_overtime and "likely" in x.daily_overtime.detail})
            blocks.append(para(f"{state_name(s)}: {d.cells.get('rule')} ({d.source}). "
                               + ("Daily overtime is likely owed on the reported hours:" if likely else
                                  "The weekly hours reported do not show shifts over the daily limit; daily time "
                                  "records of the non-exempt roles must be checked for long shifts.")))
            if likely:
                blocks.append(bullets(likely))
    if m.overtime_policy:
        blocks += [subheading("Overtime policy"), para(f"The stated policy: \u201c{clean(m.overtime_policy)}\u201d")]
    return part(*blocks)


def _regular_rate_part(a: _Analysis, m: FLSAAuditIntake, result: FLSAAnalysis) -> Part:
    if m.pays_bonuses_or_commissions is False:
        return part(para("The intake reports no bonuses or commissions: for hourly roles the regular rate is the "
                         "hourly rate, unless other pay (shift differentials, on-call pay) is added. Confirm that "
                         "no other pay is paid in weeks with overtime."))
    included = a.fv.fact("flsa.regular_rate.included")
    blocks: list[PartBlock] = [
        para(f"The regular rate includes {included.value} ({included.source})."),
    ]
    if m.pays_bonuses_or_commissions:
        excluded = a.fv.value("flsa.regular_rate.excluded")
        alloc = a.fv.fact("flsa.regular_rate.bonus_allocation")
        blocks.append(para(f"Excluded from the regular rate ({a.fv.source('flsa.regular_rate.excluded')}):"))
        blocks.append(bullets(str(e) for e in excluded) if isinstance(excluded, list) else para(str(excluded)))
        blocks.append(para(f"Bonuses earned over several workweeks: {alloc.value} ({alloc.source})."))
    rows = [[x.role, state_name(x.state), num(x.overtime_hours_per_week), x.regular_rate.status,
             x.regular_rate.detail] for x in result.roles if x.regular_rate is not None]
    if rows:
        blocks.append(table(("Role", "State", "Overtime hours/week", "Status", "Detail"), rows,
                            (1.1, 0.8, 0.7, 0.6, 2.8)))
    return part(*blocks)


def _recordkeeping_part(a: _Analysis, m: FLSAAuditIntake, result: FLSAAnalysis) -> Part:
    suffer = a.fv.fact("flsa.hours_worked.suffer_or_permit")
    rec = [c for c in result.checklist if not c.requirement.startswith(("Tip credit", "Local minimum"))]
    tracked = {True: "The intake reports that hours worked are tracked.",
               False: "The intake reports that hours worked are not tracked.",
               None: "The intake does not say whether hours worked are tracked."}[m.tracks_hours_worked]
    return part(
        para(f"Hours worked: {suffer.value} ({suffer.source}). {tracked}"),
        para("Every non-exempt employee's payroll record must hold the payroll items listed in the table below "
             f"({a.fv.source('flsa.records.items')}), kept for the periods shown."),
        checklist_table(rec),
    )


def _risk_part(result: FLSAAnalysis) -> Part:
    rows = [[x.role, state_name(x.state), str(x.headcount), x.risk, "; ".join(x.reasons)] for x in result.roles]
    counts = {p: sum(1 for x in result.roles if x.risk == p) for p in ("High", "Medium", "Low")}
    return part(
        para("High: a test the exemption or the pay needs is not met, or overtime may be unpaid. Medium: the facts "
             "point to a likely gap that records must confirm. Low: no gap in the intake's figures. Ratings by role "
             f"and state: {counts['High']} high, {counts['Medium']} medium, {counts['Low']} low."),
        table(("Role", "State", "Employees", "Risk", "Reasons"), rows, (1.1, 0.8, 0.6, 0.6, 3.0)),
    )


def _exposure_part(a: _Analysis, result: FLSAAnalysis) -> Part:
    limits = a.fv.fact("flsa.remedies.limitations")
    liquidated = a.fv.fact("flsa.remedies.liquidated_damages")
    good_faith = a.fv.fact("flsa.remedies.good_faith_defense")
    assert isinstance(limits.value, dict)
    assumptions = [
        f"Lookback: {limits.value['years']} years, or {limits.value['years_if_willful']} years for a willful "
        f"violation ({limits.source}), at {WEEKS_PER_YEAR} weeks a year.",
        f"Liquidated damages: {liquidated.value} ({liquidated.source}); included only where the FLSA itself may "
        "be breached, not where the gap is under state law alone.",
        f"Good faith: {good_faith.value} ({good_faith.source}).",
        "Hours: the weekly hours reported in the intake, every week of the lookback, for every employee of the "
        "role; state penalties, interest and attorney's fees are not included.",
    ]
    if not result.exposure:
        return part(para("No role shows unpaid overtime on the intake's figures, so no back pay is estimated."),
                    subheading("Assumptions"), bullets(assumptions))
    lines = [[x.role, x.method, x.arithmetic, usd(x.total_2y), usd(x.total_3y)] for x in result.exposure]
    blocks: list[PartBlock] = [
        para("The estimate below is the back pay that would be owed if the overtime shown was not paid, with the "
             "arithmetic for each line. It is a range for planning, not a calculation of what is owed: payroll "
             "and time records replace the assumptions."),
        subheading("Assumptions"), bullets(assumptions),
        subheading("Arithmetic"),
        table(("Role", "Method", "Arithmetic", "2 years", "3 years (willful)"), lines, (0.9, 1.2, 2.5, 0.7, 0.7)),
        bullets(f"{x.role}, {x.method}: {x.basis}; {x.note}." for x in result.exposure),
    ]
    if result.exposure_totals:
        blocks += [subheading("Totals"), table(("Estimate", "2 years", "3 years (willful)"),
                                               ([t.method.capitalize(), usd(t.total_2y), usd(t.total_3y)]
                                                for t in result.exposure_totals), (2.0, 1.0, 1.0))]
    return part(*blocks)
