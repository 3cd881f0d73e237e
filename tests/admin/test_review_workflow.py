"""The review Workflow: `pw erpnext-setup` installs it on an empty stand-in site, the stand-in enforces it the way
Frappe's validate_workflow does (only Operations approves or asks for a revision; the pipeline keeps its own
transitions), a second setup run changes nothing, and two reviewers racing on one order: exactly one wins."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from pwcore.admin.erpnext_setup import Setup
from pwcore.clients.erpnext import ERPNext, ERPNextError, TimestampMismatch
from pwcore.model.status import Status
from pwcore.orders import workflow as review_workflow
from pwcore.orders.transitions import transition

KEY, SECRET = "wf-admin-key", "wf-admin-secret-1234"


@pytest.fixture(scope="module")
def site() -> Iterator[Any]:
    from pwdev.erpnext import ERPNextStandin

    s = ERPNextStandin(seeded=False, users=[{"user": "Administrator", "api_key": KEY, "api_secret": SECRET}])
    s.start(host="127.0.0.1", port=0)
    admin = ERPNext(s.url, KEY, SECRET, retries=1)
    plan = Setup(admin, "http://gateway.test:8080", "wf-webhook-secret-0123").plan_and_apply(apply=True)
    assert {c.kind for c in plan.pending} >= {"Workflow", "Workflow State", "Workflow Action Master"}
    yield s
    s.stop()


@pytest.fixture(scope="module")
def admin(site: Any) -> ERPNext:
    return ERPNext(site.url, KEY, SECRET, retries=1)


def user(admin: ERPNext, site: Any, *roles: str) -> ERPNext:
    key, secret = secrets.token_hex(6), secrets.token_hex(10)
    admin.insert("User", {"email": f"{key}@example.com", "first_name": key, "api_key": key, "api_secret": secret,
                          "roles": [{"role": r} for r in roles]})
    return ERPNext(site.url, key, secret, retries=1)


def order_in(admin: ERPNext, status: str) -> str:
    """An order walked to `status` along the pipeline's own transitions (as Administrator)."""
    customer = admin.insert("Customer", {"customer_name": f"WF {secrets.token_hex(4)}"})["name"]
    name = str(admin.insert("Formation Order", {"customer": customer, "entity_name": "Acme LLC",
                                                "entity_type": "LLC", "state": "TX"})["name"])
    path = {"Queued": ["Queued"], "Processing": ["Queued", "Processing"],
            "Review": ["Queued", "Processing", "Review"]}[status]
    for step in path:
        admin.update("Formation Order", name, {"status": step})
    return name


def test_installed_once_and_idempotent(admin: ERPNext) -> None:
    wf = admin.get("Workflow", review_workflow.workflow_name("Formation Order"))
    assert wf["is_active"] == 1 and wf["workflow_state_field"] == "status" and wf["document_type"] == "Formation Order"
    approve = [t for t in wf["transitions"] if t["action"] == "Approve"]
    assert [(t["state"], t["next_state"], t["allowed"]) for t in approve] == [("Review", "Approved", "Operations")]
    assert admin.get("Workflow", review_workflow.workflow_name("Compliance Service"))["is_active"] == 1
    again = Setup(admin, "http://gateway.test:8080", "wf-webhook-secret-0123").plan_and_apply(apply=True)
    assert [c for c in again.pending if c.kind.startswith("Workflow")] == []


def test_only_operations_approves_and_the_pipeline_keeps_its_moves(admin: ERPNext, site: Any) -> None:
    ops = user(admin, site, "Operations")
    pipeline = user(admin, site, "Pipeline", "Sales User", "Website Manager")
    support = user(admin, site, "Support")
    name = order_in(admin, "Processing")
    # The pipeline's own transition, through the same CAS code the steps use.
    transition(pipeline, "Formation Order", name, Status.REVIEW, values={"document_version": 1})
    for who in (pipeline,):
        with pytest.raises(ERPNextError) as refused:
            who.update("Formation Order", name, {"status": "Approved"})
        assert refused.value.status == 417 and "not allowed from" in str(refused.value)
    with pytest.raises(ERPNextError) as no_write:
        support.update("Formation Order", name, {"status": "Approved"})
    assert no_write.value.status == 403
    # Skipping ahead is refused even for Operations; Request Revision and Approve are theirs.
    with pytest.raises(ERPNextError):
        ops.update("Formation Order", name, {"status": "Delivered"})
    ops.update("Formation Order", name, {"status": "Revision", "review_notes": "fix the purpose clause"})
    transition(pipeline, "Formation Order", name, Status.PROCESSING)
    transition(pipeline, "Formation Order", name, Status.REVIEW, values={"document_version": 2})
    done = ops.update("Formation Order", name, {"status": "Approved"})
    assert done["status"] == "Approved" and done["modified_by"] != "Administrator"
    transition(pipeline, "Formation Order", name, Status.READY)  # deliver's move
    # A new order cannot be created in a later state (Frappe refuses a first save outside the first state).
    with pytest.raises(ERPNextError) as new_late:
        admin.insert("Formation Order", {"customer": done["customer"], "status": "Approved"})
    assert new_late.value.status == 417


def test_racing_approve_and_revision_one_wins(admin: ERPNext, site: Any) -> None:
    reviewers = [user(admin, site, "Operations") for _ in range(6)]
    for _round in range(3):
        name = order_in(admin, "Review")
        modified = str(admin.get("Formation Order", name)["modified"])
        barrier = threading.Barrier(len(reviewers))
        results: list[str] = []

        def act(i: int, client: ERPNext) -> None:
            target = "Approved" if i % 2 == 0 else "Revision"
            barrier.wait()
            try:
                client.update("Formation Order", name, {"status": target}, modified=modified)
                results.append(target)
            except TimestampMismatch:
                results.append("stale")

        threads = [threading.Thread(target=act, args=(i, c)) for i, c in enumerate(reviewers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winners = [r for r in results if r != "stale"]
        assert len(winners) == 1, results
        assert admin.get("Formation Order", name)["status"] == winners[0]
