"""The pw-customer-created body: a Customer's name is its customer_name, so punctuation real companies use must
pass (the Welcome subscription depends on it) while control characters and over-long names are a clear 400."""

from __future__ import annotations

import json

import pytest

from pwcore.runtime.signed_request import BadPayload, CustomerEvent, parse_event


def body(name: str) -> bytes:
    return json.dumps({"doctype": "Customer", "name": name}).encode()


@pytest.mark.parametrize("name", ["Rivera & Sons <Retail>", "O'Brien (Texas), Inc.", "Café Zürich #2",
                                  "A", "x" * 140])
def test_real_customer_names_are_accepted(name: str) -> None:
    assert parse_event(body(name), CustomerEvent).name == name


@pytest.mark.parametrize("name", ["", "   ", "line\nbreak", "tab\there", "nul\x00", "x" * 141])
def test_empty_control_or_long_names_are_refused(name: str) -> None:
    with pytest.raises(BadPayload) as err:
        parse_event(body(name), CustomerEvent)
    assert err.value.field == "name"


def test_only_customers() -> None:
    with pytest.raises(BadPayload):
        parse_event(json.dumps({"doctype": "Sales Order", "name": "SO-1"}).encode(), CustomerEvent)
