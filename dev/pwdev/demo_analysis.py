"""The demo's compliance-analysis part: the deterministic FLSA, contractor and handbook analyses of the sample
intakes (pwcore.compliance.analysis), narrated on stderr, with the figures the summary reports."""

from __future__ import annotations

import sys
from datetime import date
from typing import Any

from pwcore.compliance.intake import parse_intake
from pwcore.compliance.services.contractor_assessment import ContractorAssessmentIntake
from pwcore.compliance.services.contractor_assessment import analysis as contractor
from pwcore.compliance.services.flsa_audit import FLSAAuditIntake
from pwcore.compliance.services.flsa_audit import analysis as flsa
from pwcore.compliance.services.handbook_review import HandbookReviewIntake
from pwcore.compliance.services.handbook_review import analysis as handbook
from pwdev.samples import INTAKE


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run_analyses(as_of: date | None = None) -> dict[str, Any]:
    """Analyse the three sample intakes; the return value is the demo summary's "analysis" entry."""
    day = as_of or date.today()
    m_flsa = parse_intake("FLSA Audit", INTAKE["FLSA Audit"])
    m_con = parse_intake("Contractor Assessment", INTAKE["Contractor Assessment"])
    m_hb = parse_intake("Handbook Review", INTAKE["Handbook Review"])
    assert isinstance(m_flsa, FLSAAuditIntake)
    assert isinstance(m_con, ContractorAssessmentIntake)
    assert isinstance(m_hb, HandbookReviewIntake)
    a_flsa = flsa.analyse(m_flsa, day)
    a_con = contractor.analyse(m_con, day)
    a_hb = handbook.analyse(m_hb, day)
    _say(f"== compliance analysis of the sample intakes (facts as of {day.isoformat()})")
    for r in a_flsa.roles:
        _say(f"   FLSA {r.role} ({r.state}): risk {r.risk}; {r.reasons[0]}")
    for t in a_flsa.exposure_totals:
        _say(f"   FLSA back pay, {t.method}: 2 years ${t.total_2y:,.2f}, 3 years ${t.total_3y:,.2f}")
    for w in a_con.workers:
        _say(f"   Contractor {w.role} x{w.count}: {w.conclusion} ({w.state_result})")
    _say(f"   Contractor exposure ${a_con.exposure_total_per_year:,.2f} a year; VCSP payment ${a_con.vcsp_total:,.2f}")
    for f in a_hb.findings_by_priority()[:3]:
        _say(f"   Handbook [{f.priority}] {f.requirement}: {f.gap}")
    stale = sorted(set(a_flsa.stale_facts + a_con.stale_facts + a_hb.stale_facts))
    if stale:
        _say(f"   facts past their review date (flagged in the reports): {', '.join(stale)}")
    return {
        "flsa_roles": len(a_flsa.roles),
        "flsa_high_risk": sorted({r.role for r in a_flsa.roles if r.risk == "High"}),
        "flsa_back_pay_2y": {t.method: str(t.total_2y) for t in a_flsa.exposure_totals},
        "contractor_likely_employees": sum(w.count for w in a_con.workers if w.conclusion == "Likely employee"),
        "contractor_vcsp": str(a_con.vcsp_total),
        "handbook_gaps_high": [f.requirement for f in a_hb.findings if f.priority == "High"],
        "stale_facts": stale,
    }
