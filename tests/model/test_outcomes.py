"""Outcome statuses carry their HTTP status; an unknown status cannot be mapped."""

from __future__ import annotations

import pytest

from pwcore.model.outcomes import DeliveryStatus, GenerationStatus, SweepStatus
from pwcore.model.problems import MethodNotAllowed, NotFound, Problem


def test_every_member_has_an_http_status() -> None:
    for enum in (GenerationStatus, DeliveryStatus, SweepStatus):
        for member in enum:
            assert 200 <= member.http_status < 600
            assert member == member.value  # compares as its string, as the JSON answers show it
    assert GenerationStatus.RETRY_LATER.http_status == 503
    assert DeliveryStatus.SKIPPED.http_status == 409
    assert SweepStatus.of("error").http_status == 503


def test_unknown_status_is_an_error() -> None:
    with pytest.raises(ValueError):
        SweepStatus.of("weird")


def test_problems_carry_status_reason_and_headers() -> None:
    problem: Problem = MethodNotAllowed("POST")
    assert problem.status == 405 and problem.headers == {"Allow": "POST"}
    assert NotFound("order not found", field="order").body() == {"error": "order not found", "field": "order"}
