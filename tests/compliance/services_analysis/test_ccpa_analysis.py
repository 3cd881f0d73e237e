"""CCPA analysis: the three thresholds on both sides, the home state's privacy act (Colorado) and its thresholds,
the sample's vendors, categories and counts, trackers as sharing, and every "Not met" with its finding."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from pwcore.compliance.analysis.common import StaleFact
from pwcore.compliance.analysis.privacy import home_state, meets
from pwcore.compliance.services.ccpa_audit import CCPAAuditIntake
from pwcore.compliance.services.ccpa_audit import analysis as ccpa

from .service_case import AS_OF, Service

SERVICE = Service("CCPA Audit", CCPAAuditIntake, ccpa.analyse)
SAMPLE = SERVICE.sample


def _item(a: ccpa.CCPAAnalysis, start: str) -> Any:
    return next(i for i in a.checklist if i.requirement.startswith(start))


def test_sample_jurisdictions_are_the_laws_applied(sample: ccpa.CCPAAnalysis) -> None:
    # Not "Colorado" alone (the entity's state): the CCPA audit applies California law, and Colorado's own act.
    assert sample.jurisdictions == ["California (CCPA/CPRA)", "Colorado (CPA)"]
    assert sample.home_state == "CO" and sample.ccpa_applies
    co = next(law for law in sample.state_laws if law.state == "CO")
    assert co.act == "Colorado Privacy Act" and "6-1-1301" in co.authority
    assert co.status == "Review"  # the intake counts California consumers only
    assert "100,000 or more consumers" in co.reason and "25,000 or more" in co.reason
    rights = _item(sample, "Colorado (CPA): consumer rights")
    assert "targeted advertising" in rights.note and "portability" in rights.note
    appeal = _item(sample, "Colorado (CPA): appeal process")
    assert "45 days" in appeal.note and appeal.status == "Review"


def test_sample_thresholds(sample: ccpa.CCPAAnalysis) -> None:
    rev, cons, pct = sample.thresholds
    assert (rev.met, rev.threshold, rev.intake) == (True, "more than $26,625,000.00", "$31,500,000.00")
    assert cons.met is True and cons.threshold == "100,000 or more" and "120,000" in cons.intake
    assert pct.met is None and pct.intake == "not given"
    assert "1798.140(d)(1)(A)" in rev.authority


def test_sample_gpc_and_opt_out(sample: ccpa.CCPAAnalysis) -> None:
    gpc = _item(sample, "Opt-out preference signals")
    assert gpc.status == "Not met" and "7025" in gpc.authority
    f = next(f for f in sample.findings if f.requirement == gpc.requirement)
    assert f.priority == "High" and "Global Privacy Control" in f.action
    link = _item(sample, "\"Do Not Sell or Share")
    assert link.status == "Review" and "7013" in link.authority
    # The Colorado act requires universal opt-out too; with its applicability open, it is to be confirmed.
    assert _item(sample, "Colorado (CPA): universal opt-out").status == "Review"


def test_every_sample_vendor_and_category_is_covered(sample: ccpa.CCPAAnalysis) -> None:
    assert [v.vendor for v in sample.vendors] == SAMPLE["service_providers"]
    assert sample.adtech_vendors == ["Google Analytics"]
    ga = next(v for v in sample.vendors if v.vendor == "Google Analytics")
    assert ga.role.startswith("Third party")
    for v in SAMPLE["service_providers"]:
        item = _item(sample, f"Contract with {v}")
        assert "7051" in item.authority
        assert any(f.requirement == item.requirement for f in sample.findings)
    nac = _item(sample, "Notice at collection")
    for c in SAMPLE["data_categories"]:
        assert ccpa.CATEGORY_LABELS[c] in nac.note


def test_sample_counts_are_consistent(sample: ccpa.CCPAAnalysis) -> None:
    c = sample.counts
    for status in ("Met", "Not met", "Review", "Not applicable"):
        assert c[status] == sum(1 for i in sample.checklist if i.status == status)
    assert c["findings"] == len(sample.findings)
    assert c["findings_high"] + c["findings_medium"] + c["findings_low"] == len(sample.findings)
    assert c["Not met"] >= 1 and c["findings"] >= c["Not met"]


@pytest.mark.parametrize("changes", [{}, {"honors_opt_out_signals": True}, {"has_privacy_policy": False},
                                     {"sells_or_shares": False}, {"uses_sensitive_pi": True}])
def test_not_met_always_has_a_finding(changes: dict[str, Any]) -> None:
    a = SERVICE.run(**changes)
    for i in a.checklist:
        if i.status == "Not met":
            assert any(f.requirement == i.requirement and f.authority == i.authority for f in a.findings), i


@pytest.mark.parametrize(("revenue", "met"), [(26_625_000, False), (26_625_001, True)])
def test_revenue_threshold_both_sides(revenue: int, met: bool) -> None:
    a = SERVICE.run(annual_revenue=revenue, consumer_records=1000, sells_or_shares=False, service_providers=[])
    assert a.thresholds[0].met is met and a.ccpa_applies is met
    assert ("California (CCPA/CPRA)" in a.jurisdictions) is met


@pytest.mark.parametrize(("records", "sells", "met"), [(99_999, True, False), (100_000, True, True),
                                                       (100_000, False, False)])
def test_consumer_threshold_both_sides(records: int, sells: bool, met: bool) -> None:
    a = SERVICE.run(annual_revenue=1_000_000, consumer_records=records, sells_or_shares=sells)
    assert a.thresholds[1].met is met


@pytest.mark.parametrize(("pct", "met"), [(49.9, False), (50, True)])
def test_sale_revenue_threshold_both_sides(pct: float, met: bool) -> None:
    a = SERVICE.run(annual_revenue=1_000_000, consumer_records=10, revenue_share_from_selling_pct=pct)
    assert a.thresholds[2].met is met and a.ccpa_applies is met


def test_not_covered_business_gets_no_ccpa_checklist() -> None:
    a = SERVICE.run(annual_revenue=1_000_000, consumer_records=10, sells_or_shares=False, service_providers=[],
             revenue_share_from_selling_pct=0)
    assert not a.ccpa_applies
    assert [i.status for i in a.checklist if i.requirement == "CCPA applicability"] == ["Not applicable"]
    assert not any(i.requirement.startswith("Opt-out preference") for i in a.checklist)


@pytest.mark.parametrize(("consumers", "sells", "status"), [
    (99_999, False, "Does not apply"), (100_000, False, "Applies"),
    (25_000, True, "Applies"), (24_999, True, "Does not apply")])
def test_colorado_thresholds_both_sides(consumers: int, sells: bool, status: str) -> None:
    providers = SAMPLE["service_providers"] if sells else ["Shopify"]
    a = ccpa.analyse(SERVICE.parse({**SAMPLE, "sells_or_shares": sells, "service_providers": providers}), AS_OF,
                     home="Colorado", state_consumers={"CO": consumers})
    co = next(law for law in a.state_laws if law.state == "CO")
    assert co.status == status
    assert ("Colorado (CPA)" in a.jurisdictions) is (status == "Applies")
    if status == "Applies":
        # Applies and signals not honored: a gap, not a question.
        assert _item(a, "Colorado (CPA): universal opt-out").status == "Not met"


def test_texas_small_business_test_is_a_review() -> None:
    a = SERVICE.run(states=["CO", "CA", "TX"])
    tx = next(law for law in a.state_laws if law.state == "TX")
    assert tx.status == "Review" and "SBA" in tx.reason and "Texas (TDPSA)" in a.jurisdictions


def test_trackers_contradict_a_no_sale_answer() -> None:
    a = SERVICE.run(sells_or_shares=False)
    item = _item(a, "Disclosures match practice")
    assert item.status == "Not met" and "Google Analytics" in item.note and "Sephora" in item.authority
    # Sharing through the tracker still calls for the opt-out link and signals.
    assert _item(a, "Opt-out preference signals").status == "Not met"
    clean = SERVICE.run(sells_or_shares=False, service_providers=["Shopify", "Klaviyo"])
    assert not any(i.requirement.startswith("Disclosures match") for i in clean.checklist)
    assert _item(clean, "Opt-out preference signals").status == "Not applicable"


def test_sensitive_category_overrides_a_no_answer() -> None:
    a = SERVICE.run(data_categories=["identifiers", "biometric"], uses_sensitive_pi=False)
    item = _item(a, "\"Limit the Use")
    assert item.status == "Review" and "sensitive category" in item.note


def test_rules_and_home_state() -> None:
    assert meets(">=100000", 100000) and not meets(">=100000", 99999)
    assert meets(">50", 50.1) and not meets(">50", 50)
    assert meets("any", 1) and not meets("any", 0)
    with pytest.raises(ValueError):
        meets("about 5", 1)
    assert home_state("Colorado", ["CA"]) == "CO" and home_state(None, ["CA", "CO"]) == "CA"
    assert home_state("tx", []) == "TX" and home_state(None, []) is None
    with pytest.raises(ValueError):
        home_state("Atlantis", [])


def test_sources_and_stale_facts(sample: ccpa.CCPAAnalysis) -> None:
    ids = set(sample.facts_used)
    assert {"ccpa.applies.revenue", "ccpa.req.opt_out_signal", "ccpa.sale.adtech_trackers",
            "states.privacy_laws:CO"} <= ids
    assert sample.stale_facts == []
    late = ccpa.analyse(SERVICE.parse(SAMPLE), date(2099, 1, 1))
    assert "ccpa.applies.revenue" in late.stale_facts
    assert late.findings[0].due == "Before delivery" and late.findings[0].priority == "High"
    with pytest.raises(StaleFact):
        ccpa.analyse(SERVICE.parse(SAMPLE), date(2099, 1, 1), strict=True)
