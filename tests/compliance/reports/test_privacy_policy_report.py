"""The published privacy policy, rendered from the sample (and variants) through compliance_context, the generated
template and the real LibreOffice, then read back from the PDF: every CCPA regulation 7011 disclosure, a sale and
sharing statement that agrees with the analysis, cross-references that name existing headings, the home state's
section, no finding the drafted-policy check would raise, and none of the report furniture a published policy must
not carry (findings, sources appendix)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from report_render import Rendered, norm, render

from pwcore.clients.libreoffice import PdfConverter
from pwcore.compliance import services
from pwcore.compliance.analysis.privacy import CATEGORY_LABELS
from pwcore.compliance.services.privacy_policy import analysis as pp
from pwdev import samples

SERVICE = "Privacy Policy"
SAMPLE = samples.INTAKE[SERVICE]
Report = Rendered[pp.PrivacyPolicyAnalysis]


def _render(converter: PdfConverter, state: str = "Colorado", **changes: Any) -> Report:
    order = {**samples.compliance_order(SERVICE), "state": state, "intake_data": json.dumps({**SAMPLE, **changes})}
    return render(SERVICE, order, samples.SECTIONS[SERVICE], converter, pp.PrivacyPolicyAnalysis)


@pytest.fixture(scope="module")
def sample(converter: PdfConverter) -> Report:
    return _render(converter)


def _headings(r: Report) -> list[str]:
    return [h for h, _ in pp.split_sections(r.raw).values()]


def _body(r: Report, key: str) -> str:
    """The text under the policy's heading `key` (see pp.POLICY_HEADINGS)."""
    return next(norm(b) for h, b in pp.split_sections(r.raw).values() if h == pp.HEADINGS[key])


def test_every_heading_of_the_policy_is_printed_in_order(sample: Report) -> None:
    assert _headings(sample) == [h for _, h in pp.POLICY_HEADINGS]


def test_every_7011_disclosure_is_present(sample: Report) -> None:
    t = sample.text
    facts = services.service(SERVICE)
    assert facts.slug == "privacy_policy"
    # categories collected, each with its sources and purposes
    for c in SAMPLE["data_categories"]:
        assert CATEGORY_LABELS[c] in t
    for item in [*SAMPLE["collection_methods"], *SAMPLE["purposes"]]:
        assert item in t
    assert "Category of personal information Sources Business or commercial purposes" in t
    # sold, shared and disclosed for a business purpose in the preceding 12 months, with the recipients
    assert ("Sold or shared (preceding 12 months) Third parties sold or shared with Disclosed for a business "
            "purpose to") in t
    # retention per category
    retention = _body(sample, "retention")
    for c in SAMPLE["data_categories"]:
        assert CATEGORY_LABELS[c] in retention
    assert "Retention period or criteria" in retention
    # the rights, incl. opt-out of sale/sharing and non-discrimination
    for right in ("know", "delete", "correct", "opt out of sale/sharing", "non-discrimination"):
        assert f"The right to {right}." in t
    # opt-out preference signals, minors, request methods, verification, agents, incentives, date updated
    assert "Global Privacy Control (GPC) or other opt-out preference signal" in t
    assert "under 16" in t
    assert "Email: " + SAMPLE["contact_email"] in t and "Toll-free telephone" in t and "Online: " in t
    timelines = pp.MultiFacts((pp.CCPA,), samples.SAMPLE_DATE)[pp.CCPA].value("ccpa.req.response_timelines")
    assert isinstance(timelines, dict)
    assert (f"confirm receipt within {timelines['confirm_receipt_business_days']} business days and respond within "
            f"{timelines['respond_calendar_days']} calendar days") in t
    assert "Verification" in t and "Authorized agents" in t and "signed permission" in t
    assert "We will not discriminate against you" in t and "notice of financial incentive" in t
    date = sample.context["report_date"]
    assert f"Last updated {date}" in t and f"Date last updated: {date}." in t
    assert SAMPLE["contact_email"] in _body(sample, "contact")


def test_sensitive_data_brings_the_right_to_limit(converter: PdfConverter) -> None:
    r = _render(converter, data_categories=[*SAMPLE["data_categories"], "sensitive_personal_information"])
    assert "The right to limit the use of sensitive personal information." in r.text
    assert pp.LIMIT_LINK in r.text and "Sensitive personal information we collect" in r.text
    assert "beyond the purposes allowed by 11 CCR 7027(m)" in _body(r, "collect")


def test_sale_and_sharing_statement_follows_the_analysis(sample: Report, converter: PdfConverter) -> None:
    # The sample answers "no sale or sharing" but uses site analytics: the analysis says the policy must disclose.
    assert sample.result.must_disclose_sharing and not SAMPLE["sells_or_shares"]
    assert not pp.NO_SALE_CLAIM.search(sample.text)
    assert "we shared personal information with advertising and analytics providers" in sample.text
    assert pp.OPT_OUT_LINK in sample.text
    # Ad-tech vendors named in the intake: the tracker list of the facts matches them; the policy shares.
    adtech = _render(converter, collection_methods=["Online checkout", "Meta Pixel"], purposes=["Fulfilling orders"],
                     uses_analytics_or_ads=None)
    assert adtech.result.tracking_vendors_or_purposes == ["Meta Pixel"]
    assert adtech.result.must_disclose_sharing
    assert pp.OPT_OUT_LINK in adtech.text and pp.CHOICES_LINK in adtech.text and "Meta Pixel" in adtech.text
    assert not pp.NO_SALE_CLAIM.search(adtech.text)
    # No tracking at all: the policy says nothing was sold or shared and offers no opt-out link.
    plain = _render(converter, collection_methods=["Online checkout"], purposes=["Fulfilling orders"],
                    uses_cookies=False, uses_analytics_or_ads=False)
    assert not plain.result.must_disclose_sharing
    assert "we have not sold personal information or shared it" in plain.text
    assert pp.OPT_OUT_LINK not in plain.text and "Shared for cross-context" not in plain.text
    assert pp.check_policy_text(plain.raw, plain.result) == []


def test_cross_references_name_existing_headings(sample: Report) -> None:
    refs = re.findall(r"see \u201c([^\u201d]+)\u201d below", sample.text)
    assert len(refs) >= 4
    assert set(refs) <= set(_headings(sample))
    # No reference by number: a renumbered policy cannot point at the wrong section.
    body = "\n".join(b for _, b in pp.split_sections(sample.raw).values())
    assert not pp.SECTION_REF.search(body)


def test_home_state_section(sample: Report, converter: PdfConverter) -> None:
    co = next(law for law in sample.result.state_laws if law.state == "CO")
    states = _body(sample, "states")
    assert "Colorado residents: Colorado Privacy Act (our home state)" in states
    assert norm(co.appeal.removeprefix("yes: ")) in states and "How to appeal" in states
    assert "California (CCPA/CPRA) and Colorado (Colorado Privacy Act)" in sample.text
    assert "counsel licensed in California and Colorado" in sample.text
    tx = _render(converter, state="Texas", states=["TX", "CA"])
    law = next(x for x in tx.result.state_laws if x.state == "TX")
    states = _body(tx, "states")
    assert f"Texas residents: {law.act} (our home state)" in states
    assert norm(law.appeal.removeprefix("yes: ")) in states
    # The sample's overview prose names Colorado; the deterministic state section does not.
    assert "Colorado" not in states and "Colorado Privacy Act" not in tx.text
    assert "counsel licensed in California and Texas" in tx.text


def test_the_drafted_policy_check_finds_nothing(sample: Report) -> None:
    assert pp.check_policy_text(sample.raw, sample.result) == []


def test_no_findings_and_no_sources_appendix(sample: Report) -> None:
    c = sample.context
    assert c["findings"] and "sources" not in c["parts"]
    for f in c["findings"]:
        assert norm(f["action"]) not in sample.text
    assert "Sources and Effective Dates" not in sample.text and "Priority" not in sample.text
    assert all(not s["findings"] for s in c["sections"].values())


def test_law_applied_is_california_plus_the_home_state_law() -> None:
    svc = services.service(SERVICE)
    intake = svc.intake_model.model_validate({**SAMPLE, "states": ["CA"]})
    co = svc.analysis(intake, samples.SAMPLE_DATE, "CO")
    assert co.jurisdiction.laws == "California (CCPA/CPRA) and Colorado (Colorado Privacy Act)"
    # A home state without a comprehensive privacy act in the facts: California law, counsel of both states.
    wa = svc.analysis(intake, samples.SAMPLE_DATE, "Washington")
    assert wa.jurisdiction.laws == "California (CCPA/CPRA)"
    assert wa.jurisdiction.counsel == "California and Washington"
    texts = [b.text for b in wa.parts["states"].blocks if b.type == "paragraph"]
    assert texts and "California law" in texts[0]
