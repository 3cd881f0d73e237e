"""The reconcile sweep against the whole local stack (issue 9): every way an order can be stranded, recovered by
POST {gateway}/function/reconcile, with functions as real processes that are SIGKILLed mid-step.

One stack for the module. Leases and graces are shortened by env (generation lease 2 s, delivery grace 1 s,
payment grace 0, K = 3). Every test leaves its orders settled (Review / Delivered / Failed), so a sweep run by
a later test finds nothing of an earlier one; assertions look at the test's own order anyway.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import stack_fixtures
from stack_fixtures import LEASE_S, QUICK_RECOVERY, sweep, wait_for

from pwcore.model.status import Status
from pwcore.settings import load_settings
from pwdev.demo import mark_paid, place_order
from pwdev.faults import TcpProxy, cmdline, descendants
from pwdev.stack import LocalStack

# The module's clients of its own stack (pytest fixtures shared with the other stack modules).
erp = stack_fixtures.erp
storage = stack_fixtures.storage

pytestmark = pytest.mark.timeout(300)

ENV = {
    **QUICK_RECOVERY,
    "RECONCILE_DELIVERY_GRACE_S": "1",
    "RECONCILE_MAX_REDISPATCH": "3",
    "DELIVER_RECORD_LEASE_S": "1",  # deliver's claim on recording the email, held by the run we kill
    "ERPNEXT_RETRIES": "2",  # a 502 answer becomes an error summary quickly
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    workdir: Path = tmp_path_factory.mktemp("reconcile-stack")
    # stack.yml's max_inflight 1 would have reconcile's watchdog answer 429 to the second of two sweeps at once;
    # two replicas (or a cron tick beside an operator's call) do run two, so the sweep's own lock is tested here.
    with LocalStack(workdir, functions=("on-payment", "generate-doc", "deliver", "reconcile"), extra_env=ENV,
                    webhook_retry_sleep_scale=0.01, function_overrides={"reconcile": {"max_inflight": "2"}}) as s:
        yield s




# ---- helpers -----------------------------------------------------------------------------------------------
def status_of(erp: Any, doctype: str, name: str) -> str:
    return str(erp.get(doctype, name)["status"])


def wait_status(erp: Any, doctype: str, name: str, wanted: str, timeout: float = 90.0) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        doc: dict[str, Any] = erp.get(doctype, name)
        if doc["status"] == wanted:
            return doc
        assert doc["status"] not in ("Failed", "Refunded") or wanted in ("Failed", "Refunded"), doc["status"]
        return None

    return dict(wait_for(check, timeout, 0.1, f"{name} -> {wanted}"))


def webhooks_idle(stack: LocalStack) -> bool:
    state = httpx.get(f"{stack.erpnext.url}/_standin/webhooks/pending", timeout=5).json()
    return int(state["pending"]) == 0


def lose_payment_webhook(stack: LocalStack, erp: Any, customer: str) -> tuple[dict[str, Any], str, str]:
    """A paid invoice whose webhook failed all 3 attempts: its order stays Ordered."""
    order = place_order(erp, customer, "owner@example.com", compliance=False)
    doctype, name = order["orders"][0]
    wait_for(lambda: webhooks_idle(stack), what="webhooks of the inserts")
    httpx.post(f"{stack.erpnext.url}/_standin/webhooks/drop_next", params={"count": 1}, timeout=5)
    mark_paid(erp, order["invoice"])
    wait_for(lambda: webhooks_idle(stack), what="the dropped webhook's retries")
    logs = list(erp.list("Webhook Request Log", fields=["webhook", "error"],
                    filters=[["reference_document", "=", order["invoice"]]]))
    assert len(logs) == 3 and all(log["error"] for log in logs)  # Frappe's 3 attempts, all failed
    assert status_of(erp, doctype, name) == Status.ORDERED
    return order, doctype, name


def strand_queued(stack: LocalStack, erp: Any, customer: str) -> tuple[dict[str, Any], str, str]:
    """Paid, Queued, but the async generate-doc call went nowhere (CE queue-worker: no retry)."""
    assert stack.gateway is not None
    stack.gateway.unregister("generate-doc")
    try:
        order = place_order(erp, customer, "owner@example.com", compliance=False)
        doctype, name = order["orders"][0]
        mark_paid(erp, order["invoice"])
        wait_status(erp, doctype, name, Status.QUEUED, timeout=30)
        assert stack.gateway.wait_idle(30)
    finally:
        stack.gateway.register("generate-doc", stack.functions["generate-doc"].url)
    return order, doctype, name


def gen_results(stack: LocalStack, name: str) -> list[Any]:
    assert stack.gateway is not None
    return [r for r in list(stack.gateway.results) if r.function == "generate-doc" and f"-{name}-" in r.call_id]


def versions(storage: Any, name: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for obj in storage.list(f"orders/{name}/"):
        version = obj.key.split("/")[2]
        out.setdefault(version, []).append(obj.key.rsplit("/", 1)[1])
    return out


def assert_one_version(storage: Any, erp: Any, doctype: str, name: str) -> None:
    doc = erp.get(doctype, name)
    assert doc["status"] == Status.REVIEW
    assert int(doc["document_version"]) == 1 and doc["minio_path"] == f"orders/{name}/v1/"
    found = versions(storage, name)
    assert list(found) == ["v1"], found  # no v2, and nothing else
    manifest = storage.get_json(f"orders/{name}/v1/manifest.json")
    assert sorted(f["key"].rsplit("/", 1)[1] for f in manifest["files"]) == sorted(
        f for f in found["v1"] if f != "manifest.json")
    for f in manifest["files"]:
        assert storage.stat(f["key"]).size == f["size"] > 0


def actions_for(summary: dict[str, Any], key: str) -> list[dict[str, str]]:
    return [a for a in summary["actions"] if a["order"] == key]


# ---- lost webhook --------------------------------------------------------------------------------------------
def test_lost_payment_webhook_is_recovered_by_one_sweep(stack: LocalStack, erp: Any, storage: Any) -> None:
    order, doctype, name = lose_payment_webhook(stack, erp, "Lost Webhook LLC")
    code, summary = sweep(stack)
    assert code == 200 and summary["status"] == "ok", summary
    assert actions_for(summary, order["invoice"]) == [
        {"kind": "payment", "order": order["invoice"], "action": "processed", "detail": name}]
    assert summary["redispatched"]["payment"] >= 1
    # After that one sweep nothing is stranded: the order moved on and reaches Review by itself.
    assert status_of(erp, doctype, name) != Status.ORDERED
    wait_status(erp, doctype, name, Status.REVIEW)
    code, after = sweep(stack, dry_run=True)
    assert code == 200 and after["found"] == {"payment": 0, "generation": 0, "delivery": 0}, after
    assert_one_version(storage, erp, doctype, name)


def test_setup_made_the_webhooks_that_drive_the_stack(stack: LocalStack, erp: Any) -> None:
    """The stand-in started as an empty site: every Webhook record is erpnext-setup's, and a paid invoice
    reaches Review through them (not through fixtures)."""
    from pwcore.admin.erpnext_setup import desired_webhooks

    assert stack.gateway is not None
    hooks = list(erp.list("Webhook", fields=["name", "request_url", "enable_security"]))
    wanted = {h["name"]: h["request_url"] for h in desired_webhooks(stack.gateway.url)}
    assert {h["name"]: h["request_url"] for h in hooks} == wanted
    assert all(h["enable_security"] == 1 for h in hooks)
    order = place_order(erp, "Wired By Setup LLC", "owner@example.com", compliance=False)
    mark_paid(erp, order["invoice"])
    doctype, name = order["orders"][0]
    wait_status(erp, doctype, name, Status.REVIEW)
    logs = list(erp.list("Webhook Request Log", fields=["webhook", "error", "url"],
                    filters=[["reference_document", "=", order["invoice"]]]))
    assert [(log["webhook"], log["error"] or "") for log in logs] == [("pw-invoice-paid", "")]
    assert logs[0]["url"] == f"{stack.gateway.url}/function/on-payment"


# ---- generate-doc killed --------------------------------------------------------------------------------------
def test_generate_doc_killed_mid_conversion(stack: LocalStack, erp: Any, storage: Any) -> None:
    gen = stack.functions["generate-doc"]
    gen.restart()
    assert gen.pid is not None
    # Freeze every LibreOffice the function starts (SIGSTOP), warm server and cold fallback alike, until the
    # kill: the conversion cannot finish, so the kill lands inside convert() whatever the machine's speed.
    frozen: set[int] = set()
    stop_freezing = threading.Event()

    def freeze() -> None:
        while not stop_freezing.is_set():
            for pid in descendants(gen.pid or 0):
                if pid not in frozen and any(n in cmdline(pid) for n in ("soffice", "oosplash")):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGSTOP)
                        frozen.add(pid)
            time.sleep(0.01)

    freezer = threading.Thread(target=freeze, daemon=True)
    freezer.start()
    try:
        order = place_order(erp, "Killed In Conversion LLC", "owner@example.com", compliance=False)
        doctype, name = order["orders"][0]
        mark_paid(erp, order["invoice"])
        wait_status(erp, doctype, name, Status.PROCESSING, timeout=30)
        time.sleep(0.5)  # past the claim, the reads and the rendering: now waiting on LibreOffice
        assert frozen, "generate-doc started no LibreOffice"
        assert versions(storage, name) == {}  # nothing uploaded yet: the run is in the conversion
        gen.kill()
    finally:
        stop_freezing.set()
        freezer.join()
        for pid in frozen:  # the orphans: let them see their parent is gone, or end them
            for sig in (signal.SIGCONT, signal.SIGKILL):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
    assert status_of(erp, doctype, name) == Status.PROCESSING
    code, early = sweep(stack)  # inside the lease: a live run must not be disturbed
    assert code == 200 and not actions_for(early, name), early
    gen.restart()  # after the early sweep: a slow restart (a loaded machine) must not eat the 2 s lease
    time.sleep(LEASE_S + 0.2)
    code, summary = sweep(stack)
    assert code == 200 and summary["status"] == "ok", summary
    assert actions_for(summary, name) == [
        {"kind": "generation", "order": name, "action": "redispatched", "detail": "Processing"}]
    wait_status(erp, doctype, name, Status.REVIEW)
    assert_one_version(storage, erp, doctype, name)


def test_generate_doc_killed_mid_upload(stack: LocalStack, erp: Any, storage: Any) -> None:
    """S3 behind a slow proxy for generate-doc: once the .docx is stored, the .pdf is on the wire; kill."""
    assert stack.s3 is not None
    gen = stack.functions["generate-doc"]
    original_env = dict(gen.env)
    proxy = TcpProxy("127.0.0.1", stack.s3.port).start()
    try:
        proxy.set_mode("slow", delay_s=0.3)
        gen.env = {**original_env, "S3_ENDPOINT": proxy.endpoint}
        gen.restart()
        order = place_order(erp, "Killed In Upload LLC", "owner@example.com", compliance=False)
        doctype, name = order["orders"][0]
        mark_paid(erp, order["invoice"])
        wait_for(lambda: versions(storage, name).get("v1"), timeout=90, every=0.02, what="the first upload")
        gen.kill()
        partial = versions(storage, name)
        assert "manifest.json" not in partial["v1"] and len(partial["v1"]) == 1, partial  # mid-upload
        assert status_of(erp, doctype, name) == Status.PROCESSING
    finally:
        gen.env = original_env
        proxy.stop()
    gen.restart()
    time.sleep(LEASE_S + 0.2)
    code, summary = sweep(stack)
    assert code == 200 and summary["status"] == "ok", summary
    assert actions_for(summary, name)[0]["action"] == "redispatched"
    wait_status(erp, doctype, name, Status.REVIEW)
    assert_one_version(storage, erp, doctype, name)
    assert erp.get(doctype, name)["pipeline_retries"] == 0  # progress resets the count


# ---- deliver killed after the email -------------------------------------------------------------------------
def test_deliver_killed_after_email_before_status_write(stack: LocalStack, erp: Any, storage: Any) -> None:
    assert stack.smtp is not None and stack.gateway is not None
    deliver = stack.functions["deliver"]
    email = "killed-after-send@example.com"
    order = place_order(erp, "Killed After Send LLC", email, compliance=False)
    doctype, name = order["orders"][0]
    mark_paid(erp, order["invoice"])
    wait_status(erp, doctype, name, Status.REVIEW)
    # Hold deliver in its bookkeeping after SMTP: the lookup of an existing Communication answers slowly.
    httpx.post(f"{stack.erpnext.url}/_standin/faults", timeout=5, json={
        "path_prefix": "/api/resource/Communication", "method": "GET", "delay_s": 4, "count": 1})

    def mails() -> list[Any]:
        return [m for m in stack.smtp.messages if email in str(m["To"])]  # type: ignore[union-attr]

    erp.update(doctype, name, {"status": "Approved"})  # the Approved webhook invokes deliver
    wait_for(mails, timeout=60, every=0.02, what="the email")
    marker = f"orders/{name}/v1/delivery/sent.json"
    wait_for(lambda: storage.stat(marker) and storage.get_json(marker).get("state") == "sent", timeout=3,
             every=0.02, what="the sent marker")
    deliver.kill()
    wait_for(lambda: webhooks_idle(stack), what="the webhook's retries against a dead deliver")
    assert status_of(erp, doctype, name) == Status.READY  # sent, but Delivered never written
    deliver.restart()
    time.sleep(2.2)  # the delivery grace and deliver's recording lease (timestamps in whole seconds)
    code, summary = sweep(stack)
    assert code == 200 and summary["status"] == "ok", summary
    assert actions_for(summary, name) == [
        {"kind": "delivery", "order": name, "action": "redispatched", "detail": "Ready"}]
    wait_status(erp, doctype, name, Status.DELIVERED, timeout=60)
    assert stack.gateway.wait_idle(30)
    assert len(mails()) == 1
    comms = list(erp.list("Communication", fields=["message_id"], filters=[["reference_name", "=", name]]))
    assert len(comms) == 1 and comms[0]["message_id"] == storage.get_json(marker)["message_id"]


# ---- concurrency and ERPNext errors -------------------------------------------------------------------------
def test_two_sweeps_at_once_dispatch_once(stack: LocalStack, erp: Any, storage: Any) -> None:
    _order, doctype, name = strand_queued(stack, erp, "Two Sweeps LLC")
    time.sleep(LEASE_S + 0.2)
    barrier = threading.Barrier(2)
    out: list[tuple[int, dict[str, Any]]] = []

    def run() -> None:
        barrier.wait()
        out.append(sweep(stack))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(code for code, _ in out) == [200, 200]
    assert sum(len(actions_for(s, name)) for _, s in out) == 1, out
    wait_status(erp, doctype, name, Status.REVIEW)
    assert stack.gateway is not None and stack.gateway.wait_idle(30)
    redispatches = [r for r in gen_results(stack, name) if re.search(r"-r\d+$", r.call_id)]
    assert len(redispatches) == 1, gen_results(stack, name)
    assert_one_version(storage, erp, doctype, name)


def test_two_sweeps_without_the_lock_still_dispatch_once(stack: LocalStack, erp: Any, storage: Any) -> None:
    """Even if the S3 lease failed (two buckets = two locks), the CAS on pipeline_retries lets one sweep win."""
    from pwcore.clients.s3 import Storage
    from pwcore.orders.commission_ledger import CommissionSettings
    from pwcore.runtime import wiring
    from pwcore.steps.reconcile import Reconciler, ReconcileSettings

    assert stack.s3 is not None
    _order, doctype, name = strand_queued(stack, erp, "No Lock LLC")
    time.sleep(LEASE_S + 0.2)
    settings = ReconcileSettings(payment_grace_s=0)
    reconcilers = []
    for bucket in ("pw-lock-a", "pw-lock-b"):
        own = Storage(stack.s3.endpoint, stack.s3.access_key, stack.s3.secret_key, bucket)
        own.ensure_bucket()
        reconcilers.append(Reconciler(wiring.erpnext(), own, wiring.dispatcher(), settings,
                                      load_settings(CommissionSettings), generation_lease_s=int(LEASE_S)))
    barrier = threading.Barrier(2)
    out: list[dict[str, Any]] = []

    def run(r: Reconciler) -> None:
        barrier.wait()
        out.append(r.run())

    threads = [threading.Thread(target=run, args=(r,)) for r in reconcilers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert [s["status"] for s in out] == ["ok", "ok"], out
    assert sum(1 for s in out for a in actions_for(s, name) if a["action"] == "redispatched") == 1, out
    wait_status(erp, doctype, name, Status.REVIEW)
    assert stack.gateway is not None and stack.gateway.wait_idle(30)
    assert len([r for r in gen_results(stack, name) if re.search(r"-r\d+$", r.call_id)]) == 1


def test_sweep_while_erpnext_answers_502_changes_nothing(stack: LocalStack, erp: Any) -> None:
    assert stack.gateway is not None
    order, doctype, name = lose_payment_webhook(stack, erp, "Bad Gateway LLC")
    before = erp.get(doctype, name)
    results_before = len(stack.gateway.results)
    httpx.post(f"{stack.erpnext.url}/_standin/faults", timeout=5,
               json={"path_prefix": "/api/", "status": 502, "count": 100000})
    try:
        code, summary = sweep(stack)
    finally:
        httpx.delete(f"{stack.erpnext.url}/_standin/faults", timeout=5)
    assert code == 503 and summary["status"] == "error", summary
    assert summary["errors"] and all("502" in e for e in summary["errors"]), summary["errors"]
    assert summary["redispatched"] == {"payment": 0, "generation": 0, "delivery": 0}
    assert summary["actions"] == []
    after = erp.get(doctype, name)
    assert (after["status"], after["modified"]) == (before["status"], before["modified"]) == (
        Status.ORDERED, before["modified"])
    assert stack.gateway.wait_idle(10) and len(stack.gateway.results) == results_before  # nothing dispatched
    code, summary = sweep(stack)  # ERPNext back: the next run finishes the job
    assert code == 200 and actions_for(summary, order["invoice"])
    wait_status(erp, doctype, name, Status.REVIEW)


# ---- giving up -------------------------------------------------------------------------------------------------
def test_redispatched_k_times_without_progress_fails_with_a_comment(stack: LocalStack, erp: Any) -> None:
    assert stack.gateway is not None
    _order, doctype, name = strand_queued(stack, erp, "Never Generated LLC")
    stack.gateway.unregister("generate-doc")  # every re-dispatch goes nowhere
    try:
        kinds = []
        for _ in range(4):
            time.sleep(LEASE_S + 0.2)
            code, summary = sweep(stack)
            assert code == 200, summary
            kinds += [a["action"] for a in actions_for(summary, name)]
        assert kinds == ["redispatched"] * 3 + ["failed"]
        assert stack.gateway.wait_idle(30)
    finally:
        stack.gateway.register("generate-doc", stack.functions["generate-doc"].url)
    doc = erp.get(doctype, name)
    assert doc["status"] == Status.FAILED
    comments = [c["content"] for c in erp.list("Comment", fields=["content"],
                                               filters=[["reference_name", "=", name]])]
    assert any("generate-doc" in c and "3 times" in c and "Queued" in c for c in comments), comments
    tried = sorted(r.call_id for r in gen_results(stack, name))
    assert tried == [f"gen-{name}-v1", f"gen-{name}-v1-r1", f"gen-{name}-v1-r2", f"gen-{name}-v1-r3"]
    assert all(r.status == 503 for r in gen_results(stack, name))  # nobody ever ran it
    code, summary = sweep(stack)
    assert not actions_for(summary, name)  # Failed is left to a person


# ---- dry run ---------------------------------------------------------------------------------------------------
def test_dry_run_reports_and_changes_nothing(stack: LocalStack, erp: Any, storage: Any) -> None:
    assert stack.gateway is not None
    order, doctype, name = lose_payment_webhook(stack, erp, "Dry Run Payment LLC")
    _, q_doctype, q_name = strand_queued(stack, erp, "Dry Run Queued LLC")
    time.sleep(LEASE_S + 0.2)
    before = {n: erp.get(dt, n) for dt, n in ((doctype, name), (q_doctype, q_name))}
    results_before = len(stack.gateway.results)
    stats_before = httpx.get(f"{stack.erpnext.url}/_standin/stats", timeout=5).json()["by_method"]
    code, summary = sweep(stack, dry_run=True)
    assert code == 200 and summary["status"] == "ok" and summary["dry_run"] is True, summary
    assert actions_for(summary, order["invoice"]) == [
        {"kind": "payment", "order": order["invoice"], "action": "would_process", "detail": ""}]
    assert [a["action"] for a in actions_for(summary, q_name)] == ["would_redispatch"]
    assert summary["redispatched"] == {"payment": 0, "generation": 0, "delivery": 0}
    stats_after = httpx.get(f"{stack.erpnext.url}/_standin/stats", timeout=5).json()["by_method"]
    for method in ("POST", "PUT", "DELETE"):  # not one write reached ERPNext
        assert stats_after.get(method, 0) == stats_before.get(method, 0), (stats_before, stats_after)
    for n, doc in before.items():
        now = erp.get(doc["doctype"], n)
        assert (now["status"], now["modified"], now.get("pipeline_retries")) == (
            doc["status"], doc["modified"], doc.get("pipeline_retries"))
    time.sleep(0.3)
    assert len(stack.gateway.results) == results_before
    assert storage.stat("locks/reconcile.json") is None
    code, summary = sweep(stack)  # the real run then recovers both
    assert code == 200 and summary["status"] == "ok"
    wait_status(erp, doctype, name, Status.REVIEW)
    wait_status(erp, q_doctype, q_name, Status.REVIEW)


def test_lost_revision_webhook_is_recovered_with_one_new_version(stack: LocalStack, erp: Any,
                                                                 storage: Any) -> None:
    order = place_order(erp, "Lost Revision LLC", "owner@example.com", compliance=False)
    doctype, name = order["orders"][0]
    mark_paid(erp, order["invoice"])
    wait_status(erp, doctype, name, Status.REVIEW)
    wait_for(lambda: webhooks_idle(stack), what="webhooks so far")
    httpx.post(f"{stack.erpnext.url}/_standin/webhooks/drop_next", params={"count": 1}, timeout=5)
    erp.update(doctype, name, {"status": "Revision", "review_notes": "Use the full legal name"})
    wait_for(lambda: webhooks_idle(stack), what="the dropped Revision webhook")
    time.sleep(LEASE_S + 0.2)
    assert status_of(erp, doctype, name) == Status.REVISION
    code, summary = sweep(stack)
    assert code == 200 and actions_for(summary, name) == [
        {"kind": "generation", "order": name, "action": "redispatched", "detail": "Revision"}], summary
    doc = wait_status(erp, doctype, name, Status.REVIEW)
    assert int(doc["document_version"]) == 2 and doc["minio_path"] == f"orders/{name}/v2/"
    found = versions(storage, name)
    assert sorted(found) == ["v1", "v2"] and all("manifest.json" in files for files in found.values())
