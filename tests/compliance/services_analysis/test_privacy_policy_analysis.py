"""Privacy policy analysis: the disclosure set from the sample intake (every category, source and purpose), the
"we do not sell or share" contradiction next to analytics, the Colorado section with its appeal, numbered sections
and cross-references that resolve, and the check of drafted policy text (a reference to a Section 5 that does not
have the opt-out)."""

from __future__ import annotations

from pwcore.compliance.services.ccpa_audit.analysis import CATEGORY_LABELS
from pwcore.compliance.services.privacy_policy import PrivacyPolicyIntake
from pwcore.compliance.services.privacy_policy import analysis as pp
from pwcore.compliance.structured import SectionContent
from pwdev.samples import SECTIONS

from .service_case import Service

SERVICE = Service("Privacy Policy", PrivacyPolicyIntake, pp.analyse)
SAMPLE = SERVICE.sample


def _content(a: pp.PrivacyPolicyAnalysis) -> str:
    return "\n".join(d.content for d in a.disclosures)


def test_sample_jurisdictions_include_the_home_state(sample: pp.PrivacyPolicyAnalysis) -> None:
    assert sample.jurisdictions == ["California (CCPA/CPRA)", "California (CalOPPA)", "Colorado (CPA)"]
    assert sample.home_state == "CO"
    co = sample.section("state_co")
    assert co.heading == "Colorado Residents (our home state)"
    appeal = next(d for d in sample.disclosures if d.section == co.number and "appeal" in d.item)
    assert "45 days" in appeal.content and "Attorney General" in appeal.content
    assert any(d.section == co.number and "universal opt-out" in d.item for d in sample.disclosures)
    rights = next(d for d in sample.disclosures if d.section == co.number and "rights" in d.item)
    assert "targeted advertising" in rights.content


def test_sample_contradiction_is_detected(sample: pp.PrivacyPolicyAnalysis) -> None:
    assert sample.must_disclose_sharing
    [c] = sample.contradictions
    assert "does not sell or share" in c.claim and "Site analytics" in c.practice and "Sephora" in c.authority
    item = next(i for i in sample.checklist if i.requirement.startswith("Consistent disclosures"))
    assert item.status == "Not met"
    f = next(f for f in sample.findings if f.requirement == item.requirement)
    assert f.priority == "High"


def test_every_category_source_and_purpose_is_disclosed(sample: pp.PrivacyPolicyAnalysis) -> None:
    text = _content(sample)
    for c in SAMPLE["data_categories"]:
        assert CATEGORY_LABELS[c] in text
    for s in SAMPLE["collection_methods"] + SAMPLE["purposes"]:
        assert s in text
    assert SAMPLE["contact_email"] in text and SAMPLE["website"] in text
    items = " ".join(d.item for d in sample.disclosures)
    for required in ("categories of sources", "retention period", "opt-out preference signal",
                     "authorized agent", "date the privacy policy was last updated", "do not track"):
        assert required in items.lower(), required
    # Retention periods and a second request method are for the business to supply: flagged, not invented.
    missing = {d.item for d in sample.disclosures if not d.supplied}
    assert any("retention" in i for i in missing) and any("submit each kind of request" in i for i in missing)


def test_sections_and_cross_references_resolve(sample: pp.PrivacyPolicyAnalysis) -> None:
    numbers = [s.number for s in sample.sections]
    assert numbers == list(range(1, len(numbers) + 1))
    by_number = {s.number: s for s in sample.sections}
    assert all(d.section in by_number for d in sample.disclosures)
    choices = sample.section("choices")
    opt = [r for r in sample.cross_references if r.topic == "opt-out"]
    assert opt and all(r.to_section == choices.number for r in opt)
    assert sample.section("disclose").number in {r.from_section for r in opt}
    for r in sample.cross_references:
        assert r.text == f"see Section {r.to_section} ({by_number[r.to_section].heading})"


def test_counts_and_not_met_findings(sample: pp.PrivacyPolicyAnalysis) -> None:
    for status in ("Met", "Not met", "Review"):
        assert sample.counts[status] == sum(1 for i in sample.checklist if i.status == status)
    assert sample.counts["findings"] == len(sample.findings)
    for i in sample.checklist:
        if i.status == "Not met":
            assert any(f.requirement == i.requirement for f in sample.findings)


def test_no_contradiction_without_tracking() -> None:
    a = SERVICE.run(uses_analytics_or_ads=False, uses_cookies=False, purposes=["Fulfilling orders"],
             collection_methods=["Online checkout"], states=["CA"])
    assert a.contradictions == [] and not a.must_disclose_sharing
    assert "choices" not in {s.key for s in a.sections} and "cookies" not in {s.key for s in a.sections}
    assert not any(r.topic == "opt-out" for r in a.cross_references)
    disclose = next(d for d in a.disclosures if d.section == a.section("disclose").number)
    assert "no personal information was sold or shared" in disclose.content


def test_selling_business_has_no_contradiction_but_an_opt_out_section() -> None:
    a = SERVICE.run(sells_or_shares=True)
    assert a.contradictions == [] and a.must_disclose_sharing and a.section("choices")


def test_cookie_contradiction_and_children() -> None:
    a = SERVICE.run(uses_cookies=False, children_under_13=True)
    claims = [c.claim for c in a.contradictions]
    assert "the site does not use cookies" in claims
    assert "United States (COPPA)" in a.jurisdictions
    kids = next(d for d in a.disclosures if d.section == a.section("children").number)
    assert "verifiable parental consent" in kids.content and "2026-04-22" in kids.content


BROKEN = """1. Introduction
This Privacy Policy explains how we collect, use and share personal information.
We do not sell or share your personal information. You can opt out of targeted advertising as described in Section 5.

2. Your Rights
You may submit a request to know or delete as described in Section 4.

5. Contact Us
Email privacy@juniperridge.example.
"""


def test_drafted_text_with_false_claim_and_broken_references(sample: pp.PrivacyPolicyAnalysis) -> None:
    found = pp.check_policy_text(BROKEN, sample)
    gaps = [f.gap for f in found]
    assert any("We do not sell or share" in g for g in gaps)
    assert any("refers to Section 5 for opt-out" in g and "Contact Us" in g for g in gaps)
    assert any("refers to Section 4, which the policy does not have" in g for g in gaps)
    assert all(f.priority in ("High", "Medium") for f in found) and len(found) == 3


def test_drafted_text_built_from_the_plan_passes(sample: pp.PrivacyPolicyAnalysis) -> None:
    lines: list[str] = []
    for s in sample.sections:
        lines.append(f"{s.number}. {s.heading}")
        for d in sample.disclosures:
            if d.section == s.number:
                lines.append(f"{d.content}.")
        for r in sample.cross_references:
            if r.from_section == s.number:
                word = {"opt-out": "To opt out", "requests": "To submit a request", "contact": "To contact us",
                        "retention": "For retention periods"}[r.topic]
                lines.append(f"{word}, {r.text}.")
        if s.key == "choices":
            lines.append("You may opt out of the sale or sharing of your personal information.")
        if s.key == "requests":
            lines.append("Each request is verified.")
        if s.key == "retention":
            lines.append("We retain each category for the period stated here.")
    text = "\n".join(lines)
    assert len(pp.split_sections(text)) == len(sample.sections)
    assert pp.check_policy_text(text, sample) == []


def test_sample_section_text_claims_nothing_false(sample: pp.PrivacyPolicyAnalysis) -> None:
    # The stored sample sections make no no-sale claim and no section references.
    text = "\n".join(v if isinstance(v, str) else SectionContent.model_validate(v).plain_text()
                     for v in SECTIONS["Privacy Policy"].values())
    assert pp.check_policy_text(text, sample) == []
