"""TCPA Audit: consent capture, do-not-call practice and calling and texting practice."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from pwcore.compliance.fields import IntakeModel, States, Text
from pwcore.compliance.services import define
from pwcore.compliance.services.common import NOT_PROVIDED, Facts, count, join, opt, states, yes_no
from pwcore.compliance.services.report_spec import ReportSpec


class TCPAAuditIntake(IntakeModel):
    channels: Annotated[
        list[Literal["voice", "sms", "mms", "fax", "prerecorded_voice", "ringless_voicemail"]],
        Field(min_length=1, max_length=6),
    ]
    consent_capture: Literal[
        "prior_express_written", "prior_express", "web_form", "verbal", "purchased_leads", "none", "unknown"
    ]
    consent_description: Text | None = None
    dialer_type: Literal["manual", "preview", "progressive", "predictive", "autodialer", "none", "unknown"]
    monthly_volume: Annotated[int, Field(ge=0, le=10**9)]
    scrubs_national_dnc: bool | None = None
    keeps_internal_dnc: bool | None = None
    honors_opt_out_within_days: Annotated[int, Field(ge=0, le=365)] | None = None
    calling_hours_policy: Text | None = None
    uses_third_party_vendors: bool | None = None
    states: States = []


CHANNEL_LABELS: dict[str, str] = {
    "voice": "Live voice calls",
    "sms": "SMS text messages",
    "mms": "MMS multimedia messages",
    "fax": "Fax",
    "prerecorded_voice": "Prerecorded or artificial-voice calls",
    "ringless_voicemail": "Ringless voicemail",
}
CONSENT_LABELS: dict[str, str] = {
    "prior_express_written": "Prior express written consent",
    "prior_express": "Prior express consent",
    "web_form": "Web form",
    "verbal": "Verbal consent",
    "purchased_leads": "Purchased leads",
    "none": "No consent captured",
    "unknown": "Unknown",
}
DIALER_LABELS: dict[str, str] = {
    "manual": "Manual dialing",
    "preview": "Preview dialer",
    "progressive": "Progressive dialer",
    "predictive": "Predictive dialer",
    "autodialer": "Autodialer",
    "none": "No dialer",
    "unknown": "Unknown",
}


class TCPAFacts(Facts):
    channels: str
    consent_capture: str
    consent_description: str
    dialer_type: str
    monthly_volume: str
    scrubs_national_dnc: str
    keeps_internal_dnc: str
    opt_out_timing: str
    calling_hours_policy: str
    uses_third_party_vendors: str
    states_covered: str


def build_facts(m: TCPAAuditIntake) -> dict[str, Any]:
    days = m.honors_opt_out_within_days
    timing = (
        NOT_PROVIDED if days is None else "Same day" if days == 0 else f"Within {days} day{'s' if days != 1 else ''}"
    )
    return {
        "channels": join(m.channels, CHANNEL_LABELS),
        "consent_capture": CONSENT_LABELS[m.consent_capture],
        "consent_description": opt(m.consent_description),
        "dialer_type": DIALER_LABELS[m.dialer_type],
        "monthly_volume": count(m.monthly_volume),
        "scrubs_national_dnc": yes_no(m.scrubs_national_dnc),
        "keeps_internal_dnc": yes_no(m.keeps_internal_dnc),
        "opt_out_timing": timing,
        "calling_hours_policy": opt(m.calling_hours_policy),
        "uses_third_party_vendors": yes_no(m.uses_third_party_vendors),
        "states_covered": states(m.states),
    }


REPORT = ReportSpec(
    "This audit reviewed consent capture, do-not-call practices and calling and texting practices "
    "under the Telephone Consumer Protection Act (47 U.S.C. \u00a7 227), the FCC's implementing rules "
    "(47 C.F.R. \u00a7 64.1200) and the Telemarketing Sales Rule, for the channels and practices "
    "reported in the intake questionnaire and summarized at the start of this report.",
    (
        ("Channels", "{{ channels }}", None),
        ("Monthly volume (calls and messages)", "{{ monthly_volume }}", None),
        ("Consent capture", "{{ consent_capture }}", None),
        ("Consent process described", "{{ consent_description }}", None),
        ("Dialing technology", "{{ dialer_type }}", None),
        ("Scrubs National DNC Registry", "{{ scrubs_national_dnc }}", None),
        ("Keeps internal DNC list", "{{ keeps_internal_dnc }}", None),
        ("Opt-out requests honored", "{{ opt_out_timing }}", None),
        ("Calling hours policy", "{{ calling_hours_policy }}", None),
        ("Uses third-party vendors", "{{ uses_third_party_vendors }}", None),
        ("States called or texted", "{{ states_covered }}", None),
    ),
    (
        ("Executive Summary", "sections.executive_summary"),
        ("Channels and Dialing Technology Reviewed", "parts.channels"),
        ("Prior Express Written Consent", "parts.consent"),
        ("Consent Analysis", "sections.consent_analysis"),
        ("Revocation of Consent", "parts.revocation"),
        ("Calling Hours", "parts.calling_hours"),
        ("Do-Not-Call Lists and Reassigned Numbers", "parts.dnc"),
        ("Abandoned Calls, Caller ID, Recorded Messages and Vendors", "parts.dialing"),
        ("State Telemarketing Laws", "parts.states"),
        ("Exposure to Statutory Damages", "parts.exposure"),
        ("Risk Assessment", "sections.risk_assessment"),
        ("Requirements Checklist", "parts.checklist"),
        ("Findings by Priority", "parts.findings"),
        ("Remediation Plan", "sections.remediation_plan"),
    ),
)

SERVICE = define(
    __file__, intake_model=TCPAAuditIntake, facts_model=TCPAFacts, build_facts=build_facts, report=REPORT
)
