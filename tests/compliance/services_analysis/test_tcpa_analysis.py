"""TCPA analysis: consent elements against the sample's pre-checked, bundled checkbox; revocation at 10 business
days on both sides; calling hours in every time zone of every state called (Texas' Sunday window, the 8 p.m.
states, California's recorded-message window, Arizona without daylight time); DNC, abandonment, state laws and
damages at the intake's volume."""

from __future__ import annotations

import pytest

from pwcore.compliance.services.tcpa_audit import TCPAAuditIntake
from pwcore.compliance.services.tcpa_audit import analysis as tcpa

from .service_case import Service

SERVICE = Service("TCPA Audit", TCPAAuditIntake, tcpa.analyse)
SAMPLE = SERVICE.sample


def _status(a: tcpa.TCPAAnalysis, start: str) -> list[str]:
    return [i.status for i in a.checklist if i.requirement.startswith(start)]


def test_sample_consent_elements(sample: tcpa.TCPAAnalysis) -> None:
    assert sample.pewc_required
    items = [i for i in sample.checklist if i.requirement.startswith("Written consent:")]
    assert len(items) == 5 and all("64.1200(f)(9)" in i.authority for i in items)
    assert [i.status for i in items] == ["Not met", "Review", "Review", "Not met", "Not met"]
    assert "pre-checked" in items[0].note and "bundled" in items[4].note
    for i in items:
        if i.status == "Not met":
            f = next(f for f in sample.findings if f.requirement == i.requirement)
            assert f.priority == "High" and "unchecked" in f.action


def test_sample_hours_per_state_and_zone(sample: tcpa.TCPAAnalysis) -> None:
    assert sample.policy_window == tcpa.CallingWindow(start=9, end=20, zone="Mountain")
    rows = {(h.state, h.zone): h for h in sample.hours}
    assert set(rows) == {("CO", "Mountain"), ("CA", "Pacific"), ("TX", "Central"), ("TX", "Mountain")}
    assert all(h.federal == "Met" for h in sample.hours)
    assert rows[("CA", "Pacific")].local_window == "8 a.m. to 7 p.m."
    assert rows[("CA", "Pacific")].state_status == "Not applicable"  # the 9 a.m. rule is for recorded messages
    tx = rows[("TX", "Central")]
    assert tx.local_window == "10 a.m. to 9 p.m." and tx.state_status == "Not met" and "Sundays" in tx.state_rule
    assert "301.051" in tx.authority
    assert _status(sample, "State calling hours: TX") == ["Not met", "Not met"]


def test_sample_dnc_revocation_and_damages(sample: tcpa.TCPAAnalysis) -> None:
    assert _status(sample, "National Do-Not-Call") == ["Not met"]
    assert _status(sample, "Internal do-not-call") == ["Met"]
    assert _status(sample, "Honor revocation") == ["Met"]
    assert _status(sample, "Abandoned calls") == ["Review"]
    assert _status(sample, "Reassigned Numbers") == ["Review"]
    assert _status(sample, "Vendors") == ["Review"]
    damages = sample.tables[0].rows
    assert damages[0][1:3] == ["$500.00", "$9,600,000.00"] and damages[1][1:3] == ["$1,500.00", "$28,800,000.00"]
    assert sample.jurisdictions[0].startswith("United States (TCPA")
    assert [j.split(" (")[0] for j in sample.jurisdictions[1:]] == ["Colorado", "California", "Texas"]
    assert "Colorado No-Call" in sample.jurisdictions[1]


@pytest.mark.parametrize(("days", "status"), [(10, "Met"), (11, "Not met"), (None, "Review")])
def test_revocation_deadline_both_sides(days: int | None, status: str) -> None:
    a = SERVICE.run(honors_opt_out_within_days=days)
    assert _status(a, "Honor revocation") == [status]


@pytest.mark.parametrize(("text", "window"), [
    ("Texts and calls between 9 a.m. and 8 p.m. Mountain time.", (9, 20, "Mountain")),
    ("8:30am-9pm in the called party's local time", (8.5, 21, None)),
    ("noon to 8 p.m. Eastern", (12, 20, "Eastern")),
    ("9 a.m. to 5 p.m.", (9, 17, "unstated"))])
def test_parse_window(text: str, window: tuple[float, float, str | None]) -> None:
    w = tcpa.parse_window(text)
    assert w is not None and (w.start, w.end, w.zone) == window


def test_parse_window_without_two_times() -> None:
    assert tcpa.parse_window("business hours") is None and tcpa.parse_window(None) is None
    a = SERVICE.run(calling_hours_policy="business hours")
    assert _status(a, "Calling hours in the called party's local time") == ["Review"] and a.hours == []


@pytest.mark.parametrize(("policy", "state", "federal", "state_status"), [
    ("8 a.m. to 9 p.m. Eastern", "CA", "Not met", "Not applicable"),  # 5 a.m. in California
    ("8 a.m. to 9 p.m. local time", "FL", "Met", "Not met"),  # Florida stops at 8 p.m.
    ("8 a.m. to 8 p.m. local time", "FL", "Met", "Met"),
    ("9 a.m. to 9 p.m. local time", "TX", "Met", "Not met"),  # Sundays before noon
    ("9 a.m. to 9 p.m. local time, noon to 9 p.m. on Sundays", "TX", "Met", "Met"),
    ("9 a.m. to 8 p.m. Mountain", "AZ", "Met", "Not applicable"),  # 8 a.m. in Arizona in summer
    ("8 a.m. to 8 p.m. Mountain", "AZ", "Not met", "Not applicable")])  # 7 a.m. in Arizona in summer
def test_hours_both_sides(policy: str, state: str, federal: str, state_status: str) -> None:
    a = SERVICE.run(calling_hours_policy=policy, states=[state])
    checks = [h for h in a.hours if h.state == state]
    assert checks
    # The worst zone decides: Arizona's Navajo Nation keeps daylight time, the rest of the state does not.
    assert ("Not met" if any(h.federal == "Not met" for h in checks) else "Met") == federal
    if state == "AZ" and federal == "Not met":
        assert {(h.zone, h.federal) for h in checks} == {("Mountain (no DST)", "Not met"), ("Mountain", "Met")}
    assert {h.state_status for h in checks} == {state_status}
    if federal == "Not met":
        assert any(f.requirement.startswith(f"Federal calling hours: {state}") for f in a.findings)


def test_recorded_messages_to_california_use_the_9_am_window() -> None:
    a = SERVICE.run(channels=["prerecorded_voice"], calling_hours_policy="8 a.m. to 8 p.m. local time", states=["CA"])
    [h] = a.hours
    assert h.state_status == "Not met" and h.state_rule == "9 a.m. to 9 p.m."
    assert _status(a, "Identification and opt-out in prerecorded") == ["Review"]


def test_manual_calls_need_no_written_consent_or_abandonment_check() -> None:
    a = SERVICE.run(channels=["voice"], dialer_type="manual")
    assert not a.pewc_required
    assert _status(a, "Prior express written consent") == ["Not applicable"]
    assert _status(a, "Abandoned calls") == ["Not applicable"]


@pytest.mark.parametrize(("capture", "expected"), [
    ("none", ["Not met"] * 5), ("verbal", ["Not met", "Review", "Review", "Review", "Review"]),
    ("prior_express_written", ["Review"] * 5)])
def test_consent_capture(capture: str, expected: list[str]) -> None:
    a = SERVICE.run(consent_capture=capture, consent_description=None)
    assert _status(a, "Written consent:") == expected


def test_state_mini_tcpa_rows_for_states_called() -> None:
    a = SERVICE.run(states=["FL", "OK", "NV"])
    names = [i.requirement for i in a.checklist if "Telephone Solicitation Act" in i.requirement]
    assert names == ["Florida Telephone Solicitation Act", "Oklahoma Telephone Solicitation Act"]
    assert all(f.priority == "High" for f in a.findings if f.requirement in names)
    assert not any(j.startswith("Nevada") for j in a.jurisdictions)


def test_not_met_always_has_a_finding_and_counts(sample: tcpa.TCPAAnalysis) -> None:
    for a in (sample, SERVICE.run(consent_capture="none", keeps_internal_dnc=False, honors_opt_out_within_days=30)):
        for i in a.checklist:
            if i.status == "Not met":
                assert any(f.requirement == i.requirement for f in a.findings), i
        assert a.counts["Not met"] == sum(1 for i in a.checklist if i.status == "Not met")
        assert a.counts["findings"] == len(a.findings)
