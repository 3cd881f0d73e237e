"""The ERPNext record of a sent email is written once: the recording claim (delivery/recorded.json) is a
pwcore.clients.claims lease. A run that dies holding it blocks others for DELIVER_RECORD_LEASE_S; after that
exactly one of the runs that find the stale claim takes it over and records."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from delivery_helpers import deliverer
from races import race

from pwcore.clients.erpnext import ERPNext
from pwcore.clients.s3 import Storage
from pwcore.clients.smtp import SMTPSettings
from pwcore.model.layout import recorded_marker_key
from pwcore.steps.delivery import SimulatedCrash
from pwdev.smtp_sink import SMTPSink

Order = dict[str, Any]


def records(erp: ERPNext, order: Order) -> int:
    comms = erp.list_page("Communication", fields=["name"], filters={"reference_name": order["name"]})
    return len(comms)


def test_a_live_claim_blocks_and_a_stale_one_is_taken_over_once(
        erp: ERPNext, storage: Storage, smtp: SMTPSink, smtp_settings: SMTPSettings,
        make_order: Callable[..., Order]) -> None:
    order = make_order()
    with pytest.raises(SimulatedCrash):
        deliverer(erp, storage, smtp_settings, record_lease_s=600, crash_at="record_claimed").run(
            order["doctype"], order["name"], "first")
    assert len(smtp.wait_for(1)) == 1
    assert storage.get_bytes_if_exists(recorded_marker_key(order["name"], 1)) is not None
    assert records(erp, order) == 0

    busy = deliverer(erp, storage, smtp_settings, record_lease_s=600).run(order["doctype"], order["name"], "live")
    assert busy.status == "busy", busy
    assert records(erp, order) == 0

    # The dead run's claim ages past the lease (backdated, as if it died an hour ago). The racers keep the
    # normal lease, so the claim one of them takes over is live for the rest: a lease of 0 would make every
    # new holder stale at once and let a second racer take over from a holder still recording.
    key = recorded_marker_key(order["name"], 1)
    dead = json.loads(storage.get_bytes_if_exists(key) or b"{}")
    dead["at"] = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    storage.put_bytes(key, json.dumps(dead).encode(), "application/json")

    results = race(6, lambda i: str(deliverer(erp, storage, smtp_settings, record_lease_s=600).run(
        order["doctype"], order["name"], f"r{i}").status), timeout=60)
    assert records(erp, order) == 1
    assert "delivered" in results, results
    assert len(smtp.messages) == 1  # the recording claim never sends: the sent marker already says "sent"
    assert str(erp.get(order["doctype"], order["name"])["status"]) == "Delivered"
