"""CRTC carrier orders end to end on the local stack (issue 18): the identity gate (Pending waits Queued with one
Comment, re-checked by the sweep without counting toward K; Verified starts it; Failed fails it with the
reason), the CRTC document set read back from the PDFs, delivery with the CRTC follow-up wording, presign of a
CR- order, exactly-once rules for the new DocType, and the bundle (formation + CRTC) with one Bundle commission
that becomes Eligible under the refund-window rule."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import stack_fixtures
from stack_fixtures import LEASE_S, QUICK_RECOVERY, wait_for

from pwcore.documents.pdf_check import pdf_text
from pwcore.model.signatures import SIGNATURE_HEADER, sign
from pwcore.orders.identity_gate import WAITING_MARKER, Identity, decide
from pwdev.demo import mark_paid, place_crtc_order, wait_status
from pwdev.stack import JWT_SECRET, WEBHOOK_SECRET, LocalStack

# The module's clients of its own stack (pytest fixtures shared with the other stack modules).
erp = stack_fixtures.erp
storage = stack_fixtures.storage

pytestmark = pytest.mark.timeout(400)

ENV = {**QUICK_RECOVERY, "RECONCILE_DELIVERY_GRACE_S": "1", "RECONCILE_MAX_REDISPATCH": "2"}


# ---- the gate's decision (pure) ---------------------------------------------------------------------------
@pytest.mark.parametrize(("doctype", "order_type", "identity", "expected"), [
    ("CRTC Order", "crtc", "Verified", Identity.VERIFIED),
    ("CRTC Order", "crtc", "", Identity.PENDING),
    ("CRTC Order", "crtc", "Pending", Identity.PENDING),
    ("CRTC Order", "bundle", "Failed", Identity.REJECTED),
    ("CRTC Order", "", "Rejected", Identity.REJECTED),
    ("Formation Order", "bundle", "Pending", Identity.PENDING),  # a bundle's formation waits with it
    ("Formation Order", "bundle", "Verified", Identity.VERIFIED),
    ("Formation Order", "formation", "", Identity.NOT_GATED),
    ("Compliance Service", "compliance", "Failed", Identity.NOT_GATED),
])
def test_gate_decision(doctype: str, order_type: str, identity: str, expected: Identity) -> None:
    so = {"name": "SO-1", "custom_order_type": order_type, "custom_identity_status": identity}
    decision = decide(doctype, {"name": "X-1", "sales_order": "SO-1"}, so)
    assert decision.identity == expected
    assert decision.may_generate == (expected in (Identity.VERIFIED, Identity.NOT_GATED))
    if expected == Identity.REJECTED:
        assert "SO-1" in decision.detail and identity in decision.detail


def test_crtc_order_without_sales_order_waits() -> None:
    assert decide("CRTC Order", {"name": "CR-1", "sales_order": ""}, None).identity == Identity.PENDING


# ---- the stack ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    workdir: Path = tmp_path_factory.mktemp("crtc-stack")
    with LocalStack(workdir, functions=("on-payment", "generate-doc", "deliver", "reconcile", "presign"),
                    extra_env=ENV, webhook_retry_sleep_scale=0.01) as s:
        yield s




def sweep(stack: LocalStack) -> dict[str, Any]:
    code, body = stack_fixtures.sweep(stack)
    assert code == 200, body
    return body


def comments(erp: Any, doctype: str, name: str) -> list[str]:
    rows = erp.list("Comment", fields=["content"], filters=[["reference_doctype", "=", doctype],
                                                           ["reference_name", "=", name]])
    return [str(r["content"]) for r in rows]


def waiting_comments(erp: Any, doctype: str, name: str) -> list[str]:
    return [c for c in comments(erp, doctype, name) if c.startswith(WAITING_MARKER)]


def pdf_of(storage: Any, name: str, version: int, doc_id: str) -> str:
    return " ".join(pdf_text(storage.get_bytes(f"orders/{name}/v{version}/{doc_id}.pdf")).split())


def stored(storage: Any, name: str) -> list[str]:
    return sorted(o.key.split("/", 2)[2] for o in storage.list(f"orders/{name}/"))


def post_signed(stack: LocalStack, function: str, body: dict[str, Any]) -> httpx.Response:
    raw = json.dumps(body).encode()
    assert stack.gateway is not None
    return httpx.post(f"{stack.gateway.url}/function/{function}", content=raw, timeout=120,
                      headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(raw, WEBHOOK_SECRET)})


# ---- the identity gate on the stack --------------------------------------------------------------------------
def test_pending_identity_waits_then_verified_runs_to_delivery(stack: LocalStack, erp: Any, storage: Any) -> None:
    order = place_crtc_order(erp, "Aurora Voice Canada Inc.", "dana@aurora-canada.example", identity="Pending")
    mark_paid(erp, order["invoice"])
    name = order["orders"][0][1]
    assert name.startswith("CR-")
    assert wait_status(erp, "CRTC Order", name, {"Queued"})["status"] == "Queued"
    first = wait_for(lambda: waiting_comments(erp, "CRTC Order", name), what="the waiting comment")
    assert order["sales_order"] in first[0] and "Pending" in first[0]
    # More sweeps than K, past the lease: the order stays Queued, never re-dispatched, one comment only.
    time.sleep(LEASE_S + 0.5)
    for _ in range(3):
        summary = sweep(stack)
        assert summary["waiting_identity"] >= 1
        assert {"kind": "identity", "order": name, "action": "waiting", "detail": order["sales_order"]} \
            in summary["actions"]
    doc = erp.get("CRTC Order", name)
    assert doc["status"] == "Queued" and int(doc["pipeline_retries"] or 0) == 0
    assert len(waiting_comments(erp, "CRTC Order", name)) == 1
    assert stored(storage, name) == []  # nothing generated while waiting

    erp.update("Sales Order", order["sales_order"], {"custom_identity_status": "Verified"})
    sweep(stack)  # the sweep re-checks it and dispatches generate-doc
    doc = wait_status(erp, "CRTC Order", name, {"Review"}, timeout=180)
    assert doc["status"] == "Review" and doc["document_version"] == 1, doc
    assert doc["bits_licence_needed"] == 1 and doc["nine_one_one"] == 1  # computed_flags written back
    files = stored(storage, name)
    for doc_id in ("crtc-registration-letter", "bits-licence-application", "crtc-compliance-summary"):
        assert f"v1/{doc_id}.pdf" in files and f"v1/{doc_id}.docx" in files
    manifest = storage.get_json(f"orders/{name}/v1/manifest.json")
    assert manifest["doctype"] == "CRTC Order"
    assert {f["template"] for f in manifest["files"]} == {
        f"templates/compiled/{d}.docx" for d in
        ("crtc-registration-letter", "bits-licence-application", "crtc-compliance-summary")}
    letter = pdf_of(storage, name, 1, "crtc-registration-letter")
    assert "Northern Lights Telecom Inc." in letter and "Reseller of Telecommunications Services" in letter
    assert "Marc Tremblay" in letter
    bits = pdf_of(storage, name, 1, "bits-licence-application")
    assert "Dana Whitfield" in bits and "Delaware" in bits
    summary_text = pdf_of(storage, name, 1, "crtc-compliance-summary")
    assert "9-1-1" in summary_text and "CCTS" in summary_text

    erp.update("CRTC Order", name, {"status": "Approved"})  # the pw-crtc-approved webhook calls deliver
    delivered = wait_status(erp, "CRTC Order", name, {"Delivered"}, timeout=120)
    assert delivered["status"] == "Delivered", comments(erp, "CRTC Order", name)
    assert stack.smtp is not None
    mails = [m for m in stack.smtp.messages if name in str(m["Subject"])]
    assert len(mails) == 1 and "CRTC registration" in str(mails[0]["Subject"])
    # presign serves the delivered CR- order to its customer (drafts never: 409 in Review), 404 to others.
    assert stack.gateway is not None
    url = f"{stack.gateway.url}/function/presign"

    def token(sub: str) -> str:
        return jwt.encode({"sub": sub, "aud": "performancewest-portal", "exp": int(time.time()) + 300},
                          JWT_SECRET, algorithm="HS256")

    mine = httpx.get(url, params={"order": name}, headers={"Authorization": f"Bearer {token(order['customer'])}"})
    assert mine.status_code == 200, mine.text
    served = {f["filename"].split(f"-{name}", 1)[0] for f in mine.json()["files"] if f["filename"].endswith(".pdf")}
    assert {"crtc-registration-letter", "bits-licence-application", "crtc-compliance-summary"} <= served, served
    other = httpx.get(url, params={"order": name}, headers={"Authorization": f"Bearer {token('CUST-OTHER')}"})
    assert other.status_code == 404

    # exactly once: a repeated deliver call for the delivered order sends nothing more
    again = post_signed(stack, "deliver", {"doctype": "CRTC Order", "name": name})
    assert again.status_code == 200 and again.json()["status"] == "done", again.text
    assert len([m for m in stack.smtp.messages if name in str(m["Subject"])]) == 1


def test_rejected_identity_fails_the_order_with_the_reason(stack: LocalStack, erp: Any, storage: Any) -> None:
    order = place_crtc_order(erp, "Refused Carrier Ltd.", "ops@refused.example", identity="Failed")
    mark_paid(erp, order["invoice"])
    name = order["orders"][0][1]
    doc = wait_status(erp, "CRTC Order", name, {"Failed"})
    assert doc["status"] == "Failed"
    reasons = [c for c in comments(erp, "CRTC Order", name) if "order failed" in c]
    assert len(reasons) == 1 and "identity verification" in reasons[0] and order["sales_order"] in reasons[0]
    assert stored(storage, name) == []


def test_exactly_once_for_crtc_orders(stack: LocalStack, erp: Any, storage: Any) -> None:
    """A repeated payment webhook is a duplicate; repeated generate-doc calls write one version; an order
    without international services gets no BITS application."""
    order = place_crtc_order(erp, "Bayside Fibre Resale Corp.", "ops@bayside.example", identity="Verified",
                             service_international=0, service_local_voip=0)
    mark_paid(erp, order["invoice"])
    name = order["orders"][0][1]
    doc = wait_status(erp, "CRTC Order", name, {"Review"}, timeout=180)
    assert doc["status"] == "Review", comments(erp, "CRTC Order", name)
    assert doc["bits_licence_needed"] == 0 and doc["nine_one_one"] == 0
    again = post_signed(stack, "on-payment", {"doctype": "Sales Invoice", "name": order["invoice"],
                                              "status": "Paid"})
    assert again.status_code == 200 and again.json()["status"] == "duplicate", again.text
    for _ in range(2):
        r = post_signed(stack, "generate-doc", {"doctype": "CRTC Order", "name": name})
        assert r.status_code == 200 and r.json()["status"] == "done", r.text
    files = stored(storage, name)
    assert [f for f in files if f.endswith("manifest.json")] == ["v1/manifest.json"]
    assert not any("bits-licence-application" in f for f in files)
    assert {"v1/crtc-registration-letter.pdf", "v1/crtc-compliance-summary.pdf"} <= set(files)


def test_bundle_produces_both_sets_and_one_bundle_commission(stack: LocalStack, erp: Any, storage: Any) -> None:
    from pwcore.orders.commission_ledger import CommissionSettings
    from pwcore.steps.commissions import sweep_commissions

    agent = erp.insert("Sales Agent", {"agent_name": "Casey Referrer", "referral_code": "REF-CRTC1",
                                       "email": "casey@agents.example"})
    order = place_crtc_order(erp, "Maple Bundle Telecom", "owner@maplebundle.example", identity="Pending",
                             bundle=True, referral_code="REF-CRTC1")
    mark_paid(erp, order["invoice"])
    (fo_type, fo), (cr_type, cr) = order["orders"]
    assert (fo_type, cr_type) == ("Formation Order", "CRTC Order")
    for doctype, name in order["orders"]:  # both wait for the identity of the one applicant
        assert wait_status(erp, doctype, name, {"Queued"})["status"] == "Queued"
        wait_for(lambda d=doctype, n=name: waiting_comments(erp, d, n), what=f"{name} waiting comment")
    erp.update("Sales Order", order["sales_order"], {"custom_identity_status": "Verified"})
    sweep(stack)
    for doctype, name in order["orders"]:
        doc = wait_status(erp, doctype, name, {"Review"}, timeout=180)
        assert doc["status"] == "Review", comments(erp, doctype, name)
    assert "v1/operating-agreement.pdf" in stored(storage, fo)
    assert "v1/crtc-registration-letter.pdf" in stored(storage, cr)
    letter = pdf_of(storage, cr, 1, "crtc-registration-letter")
    assert "Maple Bundle Telecom LLC" in letter

    ledger = list(erp.list("Commission Ledger", fields=["name", "service_type", "commission_amount", "status"],
                           filters=[["order", "=", order["sales_order"]]]))
    assert len(ledger) == 1, ledger
    assert ledger[0]["service_type"] == "Bundle" and float(ledger[0]["commission_amount"]) == 300.0
    assert agent["name"]

    settings = CommissionSettings()
    for doctype, name in order["orders"]:
        erp.update(doctype, name, {"status": "Approved"})
        assert wait_status(erp, doctype, name, {"Delivered"}, timeout=120)["status"] == "Delivered"
    # Within the refund window: still Pending. After it (from the later delivery): Eligible, once.
    result = sweep_commissions(erp, settings, now=datetime.now() + timedelta(days=1))
    assert erp.get("Commission Ledger", ledger[0]["name"])["status"] == "Pending", result
    later = datetime.now() + timedelta(days=settings.refund_window_days + 2)
    sweep_commissions(erp, settings, now=later)
    assert erp.get("Commission Ledger", ledger[0]["name"])["status"] == "Eligible"
    assert sweep_commissions(erp, settings, now=later)["commissions_eligible"] == 0
