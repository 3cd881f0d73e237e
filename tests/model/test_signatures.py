"""Frappe webhook signatures: only the exact body signed with the right secret passes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from pwcore.model.signatures import sign, verify_signature
from pwcore.runtime.signed_request import BadPayload, InvoiceEvent, OrderEvent, parse_event

SECRET = "s3cret-webhook-key"
# Frappe signs json.dumps(data) with default separators: reproduce that independently.
BODY = json.dumps({"doctype": "Sales Invoice", "name": "ACC-SINV-2026-00001", "status": "Paid"}).encode()
FRAPPE_SIGNATURE = base64.b64encode(hmac.new(SECRET.encode(), BODY, hashlib.sha256).digest()).decode()


def test_signature_matches_frappe_algorithm() -> None:
    assert sign(BODY, SECRET) == FRAPPE_SIGNATURE


def test_valid_signature_passes() -> None:
    assert verify_signature(BODY, FRAPPE_SIGNATURE, SECRET)


@pytest.mark.parametrize(
    ("body", "signature", "secret"),
    [
        (BODY, None, SECRET),  # missing header
        (BODY, "", SECRET),
        (BODY, FRAPPE_SIGNATURE, "another-secret"),  # wrong secret
        (BODY[:-2] + b"x}", FRAPPE_SIGNATURE, SECRET),  # body changed by one byte
        (b"", sign(b"", SECRET), SECRET),  # empty body never passes
        (BODY, FRAPPE_SIGNATURE[:-4] + "AAA=", SECRET),
        (BODY, "not base64 at all", SECRET),
    ],
)
def test_everything_else_fails(body: bytes, signature: str | None, secret: str) -> None:
    assert not verify_signature(body, signature, secret)


def test_parse_names_the_bad_field() -> None:
    with pytest.raises(BadPayload) as err:
        parse_event(b'{"doctype": "Sales Invoice", "name": "../../etc"}', InvoiceEvent)
    assert err.value.field == "name"
    with pytest.raises(BadPayload) as err2:
        parse_event(b'{"doctype": "Customer", "name": "X"}', OrderEvent)
    assert err2.value.field == "doctype"
    with pytest.raises(BadPayload):
        parse_event(b"\xff\xfe not json", InvoiceEvent)
    with pytest.raises(BadPayload):
        parse_event(b"[1, 2]", InvoiceEvent)
    assert parse_event(BODY, InvoiceEvent).name == "ACC-SINV-2026-00001"
