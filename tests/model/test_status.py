"""The order state machine: every allowed transition works, every other is refused, races have one winner."""

from __future__ import annotations

from typing import Any

import pytest
from races import race

from pwcore.clients.erpnext import ERPNext
from pwcore.model.status import TRANSITIONS, InvalidTransition, Status
from pwcore.orders.transitions import fail, transition

ALL = list(Status)
PAIRS = [(a, b) for a in ALL for b in ALL if a != b]


def _order(erp: ERPNext, customer: str, status: Status) -> dict[str, Any]:
    return erp.insert("Formation Order", {"customer": customer, "entity_name": "SM LLC", "entity_type": "LLC",
                                          "state": "TX", "status": status.value})


@pytest.mark.parametrize(("current", "target"), PAIRS, ids=[f"{a.value}->{b.value}" for a, b in PAIRS])
def test_table_is_enforced(erp: ERPNext, customer: str, current: Status, target: Status) -> None:
    doc = _order(erp, customer, current)
    if target in TRANSITIONS[current]:
        result = transition(erp, "Formation Order", doc["name"], target)
        assert result.won and erp.get("Formation Order", doc["name"])["status"] == target.value
    else:
        with pytest.raises(InvalidTransition):
            transition(erp, "Formation Order", doc["name"], target)
        assert erp.get("Formation Order", doc["name"])["status"] == current.value


def test_racing_transitions_one_winner(erp: ERPNext, customer: str) -> None:
    doc = _order(erp, customer, Status.QUEUED)
    won = race(6, lambda _: transition(erp, "Formation Order", doc["name"], Status.PROCESSING, doc=dict(doc)).won)
    assert sorted(won) == [False] * 5 + [True]


def test_fail_writes_reason_comment(erp: ERPNext, customer: str) -> None:
    doc = _order(erp, customer, Status.PROCESSING)
    assert fail(erp, "Formation Order", doc["name"], "template field missing: members (ssn 123-45-6789)")
    assert erp.get("Formation Order", doc["name"])["status"] == "Failed"
    comments = list(erp.list("Comment", fields=["content"], filters=[["reference_name", "=", doc["name"]]]))
    assert any("template field missing: members" in c["content"] for c in comments)
    assert not any("123-45-6789" in c["content"] for c in comments)
