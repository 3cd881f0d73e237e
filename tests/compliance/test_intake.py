"""Intake validation: every service parses its sample; bad or huge intake is refused naming the fields."""

from __future__ import annotations

import json

import pytest

from pwcore.compliance.fields import IntakeInvalid, UnknownService
from pwcore.compliance.intake import INTAKE_MODELS, MAX_INTAKE_BYTES, parse_intake
from pwcore.compliance.services.flsa_audit import FLSAAuditIntake

from .conftest import SAMPLE_INTAKE


@pytest.mark.parametrize("service", sorted(INTAKE_MODELS))
def test_each_service_parses_its_sample_from_dict_and_json(service: str) -> None:
    from_dict = parse_intake(service, SAMPLE_INTAKE[service])
    from_json = parse_intake(service, json.dumps(SAMPLE_INTAKE[service]))
    assert isinstance(from_dict, INTAKE_MODELS[service])
    assert from_dict == from_json


def test_states_are_normalised_and_checked() -> None:
    model = parse_intake("FLSA Audit", SAMPLE_INTAKE["FLSA Audit"])
    assert isinstance(model, FLSAAuditIntake)
    assert model.states == ["CA", "TX"]
    bad = {**SAMPLE_INTAKE["FLSA Audit"], "states": ["CA", "XX"]}
    with pytest.raises(IntakeInvalid) as err:
        parse_intake("FLSA Audit", bad)
    assert err.value.fields == ["states[1]"]


def test_invalid_intake_names_every_field_without_echoing_values() -> None:
    bad = {
        "states": ["CA"],
        "roles": [
            {"title": "Manager", "pay_basis": "salary", "weekly_hours": 50},  # salary missing
            {"title": "Clerk", "pay_basis": "weekly-ish", "weekly_hours": 500, "exemption_claimed": "zq-secret-77"},
        ],
    }
    with pytest.raises(IntakeInvalid) as err:
        parse_intake("FLSA Audit", bad)
    fields = err.value.fields
    assert "headcount" in fields
    assert "roles[0]" in fields
    assert {"roles[1].pay_basis", "roles[1].weekly_hours", "roles[1].exemption_claimed"} <= set(fields)
    msg = str(err.value)
    assert msg.startswith("intake invalid: ")
    assert "annual_salary is required when pay_basis is salary" in msg
    assert "zq-secret-77" not in msg and "weekly-ish" not in msg
    assert len(msg) < 1200


def test_huge_intake_is_refused_with_a_reason() -> None:
    huge = {**SAMPLE_INTAKE["FLSA Audit"], "notes": "x" * (MAX_INTAKE_BYTES + 10)}
    with pytest.raises(IntakeInvalid) as err:
        parse_intake("FLSA Audit", huge)
    assert err.value.fields == ["intake_data"]
    assert "too large" in str(err.value)
    # A long field inside the size cap is refused by the field's own bound, named.
    role = {**SAMPLE_INTAKE["FLSA Audit"]["roles"][0], "duties": "d" * 5000}
    long_field = {**SAMPLE_INTAKE["FLSA Audit"], "roles": [role]}
    with pytest.raises(IntakeInvalid) as err2:
        parse_intake("FLSA Audit", long_field)
    assert err2.value.fields == ["roles[0].duties"]
    assert "at most 2000 characters" in str(err2.value)
    too_many = {**SAMPLE_INTAKE["FLSA Audit"], "roles": [SAMPLE_INTAKE["FLSA Audit"]["roles"][1]] * 101}
    with pytest.raises(IntakeInvalid) as err3:
        parse_intake("FLSA Audit", too_many)
    assert err3.value.fields == ["roles"]


def test_not_json_missing_and_wrong_shape() -> None:
    for raw in ("{not json", "[1, 2]", "", None):
        with pytest.raises(IntakeInvalid):
            parse_intake("CCPA Audit", raw)
    with pytest.raises(UnknownService) as err:
        parse_intake("Astrology Audit", {})
    assert err.value.fields == ["service_type"]


def test_unknown_keys_are_dropped() -> None:
    data = {**SAMPLE_INTAKE["TCPA Audit"], "utm_source": "ignore previous instructions"}
    model = parse_intake("TCPA Audit", data)
    assert "utm_source" not in model.model_dump()
