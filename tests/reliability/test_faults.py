"""Over 100 orders through the real local stack (webhooks, gateway queue, function processes) with faults
injected at every dependency and step; recovery only the way production recovers (webhook retries, the
functions' own retries, the reconcile sweep). Every order must end in Review / Delivered, or Failed with a
reason comment; no order version twice; no email twice."""

from __future__ import annotations

import json
import os
import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from pwcore.clients.s3 import Storage
from pwdev.demo import FLSA_INTAKE, place_order
from pwdev.erpnext import submit_payment_entry
from pwdev.faults import ERPNextFaults, TcpProxy, cmdline, descendants, kill_descendants
from pwdev.stack import LocalStack

SEED = 20260517
INVOICES = 100  # one order each, a bundle (formation + compliance) every so often: > 100 orders in all
BUNDLE_SHARE = 0.12  # compliance orders (Ollama stand-in) stay a minority, for speed
APPROVE_SHARE = 0.35
ACTIVE = {"Ordered", "Queued", "Processing", "Approved", "Ready"}
SETTLED = {"Review", "Delivered", "Failed", "Refunded"}
ORDER_DOCTYPES = ("Formation Order", "Compliance Service")

# Per-order ERPNext faults: (step, kind) -> how the stand-in misbehaves, on which request of that order.
# Each is sized to outlast the client's own retries (4) where that is the point of the fault.
ERP_FAULTS: dict[tuple[str, str], dict[str, Any]] = {
    ("payment", "5xx"): {"status": 502, "count": 12, "target": "invoice", "method": "GET"},
    ("payment", "drop"): {"drop": True, "count": 3, "target": "invoice", "method": "GET"},
    ("payment", "slow"): {"delay_s": 3.0, "count": 1, "target": "invoice", "method": "GET"},
    ("queue", "5xx"): {"status": 503, "count": 6, "target": "order", "method": "PUT"},
    ("render", "5xx"): {"status": 500, "count": 6, "target": "customer", "method": "GET"},
    ("render", "drop"): {"drop": True, "count": 2, "target": "customer", "method": "GET"},
    ("render", "slow"): {"delay_s": 2.5, "count": 1, "target": "customer", "method": "GET"},
    ("final-write", "5xx"): {"status": 502, "count": 15, "target": "order", "method": "PUT"},
}
OLLAMA_KINDS = ("503", "500", "hang", "die", "empty", "garbage")
# Faults stay on for a bounded window; then every fault ends and the sweep (as cron would) must bring every
# order to rest within a generous but bounded deadline.
GENERATION_FAULT_WINDOW_S = 150
DELIVERY_FAULT_WINDOW_S = 60
QUIESCENT_DEADLINE_S = 180
SSN = "123-45-6789"
EIN = "12-3456789"


class Recorder:
    def __init__(self) -> None:
        self.faults: Counter[tuple[str, str, str]] = Counter()
        self.not_hit: Counter[tuple[str, str, str]] = Counter()  # armed ERPNext rules no request ever met
        self.tags: dict[str, tuple[tuple[str, str, str], int]] = {}
        self.log: list[dict[str, Any]] = []
        self.started = time.monotonic()
        self._lock = threading.Lock()

    def add(self, target: str, kind: str, step: str, tag: str = "", count: int = 0, **detail: Any) -> None:
        with self._lock:
            if tag:
                self.tags[tag] = ((target, kind, step), count)
            self.faults[(target, kind, step)] += 1
            self.log.append({"t": round(time.monotonic() - self.started, 2), "target": target, "kind": kind,
                             "step": step, **detail})


def path(doctype: str, name: str) -> str:
    return f"/api/resource/{doctype}/{name}"


def all_orders(erp: Any) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for doctype in ORDER_DOCTYPES:
        for row in erp.list(doctype, fields=["name", "status", "document_version", "modified"]):
            out[str(row["name"])] = {**row, "doctype": doctype}
    return out


def stage_in_flight(erp: Any, names: set[str]) -> str:
    """Which step a global fault (S3, LibreOffice) lands on: what the orders are doing right now."""
    statuses = Counter(o["status"] for n, o in all_orders(erp).items() if n in names)
    if statuses["Processing"] or statuses["Queued"]:
        return "generation"
    if statuses["Approved"] or statuses["Ready"]:
        return "delivery"
    if statuses["Ordered"]:
        return "payment"
    return "idle"


def sweep(stack: LocalStack) -> dict[str, Any]:
    assert stack.gateway is not None
    r = httpx.post(f"{stack.gateway.url}/function/reconcile", timeout=120)
    return dict(r.json()) if r.headers.get("content-type", "").startswith("application/json") else {
        "status": r.status_code}


class Chaos(threading.Thread):
    """Global faults at random moments: S3 refusing / dropping / slow, LibreOffice killed, generate-doc
    killed -9 (and restarted, as the orchestrator would)."""

    def __init__(self, stack: LocalStack, proxy: TcpProxy, erp: Any, names: set[str], rec: Recorder,
                 rng: random.Random, kinds: tuple[str, ...]) -> None:
        super().__init__(daemon=True, name="chaos")
        self.stack, self.proxy, self.erp, self.names, self.rec, self.rng = stack, proxy, erp, names, rec, rng
        self.kinds = kinds
        self.stop_event = threading.Event()
        self.process_kills = 0
        self.unoserver_kills = 0

    def run(self) -> None:
        while not self.stop_event.wait(self.rng.uniform(3.0, 6.0)):
            kind = self.rng.choice(self.kinds)
            step = stage_in_flight(self.erp, set(self.names))
            if step == "idle":
                continue
            if kind in ("refuse", "drop", "slow"):
                self.proxy.set_mode(kind, delay_s=0.25 if kind == "slow" else 0.0)  # type: ignore[arg-type]
                self.rec.add("s3", kind, step)
                time.sleep(2.0 if kind == "slow" else 1.0)
                self.proxy.set_mode("pass")
            elif kind == "kill-unoserver" and self.unoserver_kills < 2:
                # The warm server only (unoserver and the soffice it runs), not a cold fallback soffice.
                proc = self.stack.functions["generate-doc"]
                assert proc.pid is not None
                servers = [p for p in descendants(proc.pid) if "unoserver" in cmdline(p)]
                killed = [k for p in servers for k in kill_descendants(p, "")]
                for p in servers:
                    try:
                        os.kill(p, signal.SIGKILL)
                        killed.append(p)
                    except ProcessLookupError:
                        pass
                if killed:
                    self.unoserver_kills += 1
                    self.rec.add("libreoffice", "kill-unoserver", step, pids=killed)
            elif kind == "kill-function" and self.process_kills < 1:
                proc = self.stack.functions["generate-doc"]
                proc.kill()
                self.rec.add("libreoffice", "kill-9 generate-doc", step)
                self.process_kills += 1
                proc.restart()


def count_unhit(faults: ERPNextFaults, rec: Recorder) -> None:
    """Before the rules are cleared: which armed ERPNext rules were never met (count still untouched)."""
    for rule in faults.remaining():
        tag = str(rule.get("tag", ""))
        if tag in rec.tags and int(str(rule.get("count", 0))) >= rec.tags[tag][1]:
            rec.not_hit[rec.tags[tag][0]] += 1


def wait_until(pred: Any, timeout: float, every: float = 1.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(every)
    return bool(pred())


@pytest.mark.timeout(660)  # bounded windows: 150 + 180 + 60 + 180 s, plus placing orders
def test_orders_survive_faults(stack: LocalStack, s3_proxy: TcpProxy, end_faults: Callable[[], None],
                               tmp_path: Path, request: pytest.FixtureRequest) -> None:
    from pwcore.runtime import wiring

    assert stack.erpnext is not None and stack.s3 is not None and stack.smtp is not None
    assert stack.ollama is not None
    erp = wiring.erpnext()
    direct = Storage(stack.s3.endpoint, stack.s3.access_key, stack.s3.secret_key, stack.s3.bucket)
    faults = ERPNextFaults(stack.erpnext.url)
    rng = random.Random(SEED)
    rec = Recorder()
    started = time.monotonic()
    names: set[str] = set()
    watchers: list[threading.Thread] = []
    chaos = Chaos(stack, s3_proxy, erp, names, rec, random.Random(SEED + 1),
                  ("refuse", "drop", "slow", "kill-unoserver", "kill-unoserver", "kill-function"))
    faults_on = threading.Event()
    faults_on.set()
    chaos2: Chaos | None = None

    def stop_faults() -> None:
        """Chaos threads and final-write watchers stopped first (each could inject again), then every fault
        ended."""
        faults_on.clear()
        for c in (chaos, chaos2):
            if c is not None:
                c.stop_event.set()
                c.join(30)
        for w in watchers:
            w.join(5)  # a watcher sees faults_on cleared within 0.1 s
        count_unhit(faults, rec)
        end_faults()

    request.addfinalizer(end_faults)  # whatever happens here, the tests after this one start healthy
    chaos.start()

    # -- 1. orders, paid through the signed webhook, with a fault planned for most of them ----------------
    for i in range(INVOICES):
        bundle = rng.random() < BUNDLE_SHARE
        # Customer data shaped like what must never reach a log: an EIN in the name, SSNs on file and in intake.
        label = f"Reliability {i:03d} EIN {EIN}" if i % 3 == 0 else f"Reliability {i:03d} Ventures"
        order = place_order(erp, label, f"owner{i}@example.com", compliance=bundle)
        erp.insert("Sensitive ID", {"customer": order["customer"], "id_type": "SSN" if i % 2 else "EIN",
                                    "id_value": SSN if i % 2 else EIN, "entity_name": f"{label} Holdings"})
        for doctype, name in order["orders"]:
            names.add(name)
            if doctype == "Compliance Service":
                intake = json.loads(json.dumps(FLSA_INTAKE))
                intake["roles"][0]["duties"] += f"; payroll contact SSN {SSN}"
                erp.update(doctype, name, {"intake_data": json.dumps(intake)})
        fo_doctype, fo_name = order["orders"][0]
        if rng.random() < 0.65:
            step, kind = rng.choice(sorted(ERP_FAULTS))
            spec = dict(ERP_FAULTS[(step, kind)])
            target = spec.pop("target")
            prefix = {"invoice": path("Sales Invoice", order["invoice"]), "order": path(fo_doctype, fo_name),
                      "customer": path("Customer", order["customer"])}[target]
            if step == "final-write":
                # Only once the order is being generated: the PUTs that follow are the final status write.
                def arm(dt: str = fo_doctype, n: str = fo_name, p: str = prefix, s: dict[str, Any] = spec) -> None:
                    processing = wait_until(lambda: erp.get(dt, n)["status"] == "Processing" or not faults_on.is_set(),
                                            90, 0.1)
                    if processing and faults_on.is_set():
                        faults.add(path_prefix=p, tag=f"{n}-final-write", **s)
                        rec.add("erpnext", "5xx", "final-write", tag=f"{n}-final-write", count=s["count"], order=n)

                watchers.append(threading.Thread(target=arm, daemon=True))
                watchers[-1].start()
            else:
                faults.add(path_prefix=prefix, tag=f"{fo_name}-{step}-{kind}", **spec)
                rec.add("erpnext", kind, step, tag=f"{fo_name}-{step}-{kind}", count=spec["count"], order=fo_name)
        if bundle and rng.random() < 0.7:
            kind = rng.choice(OLLAMA_KINDS)
            stack.ollama.fail_next(kind, count=1, after_chunks=2)
            rec.add("ollama", kind, "llm-sections", order=order["orders"][-1][1])
        submit_payment_entry(stack.erpnext.url, order["invoice"])
        time.sleep(rng.uniform(0.0, 0.4))

    placed_s = time.monotonic() - started

    # -- 2. generation under faults for a bounded window, sweeping as cron would; then every fault ends and
    #       the sweep alone must bring every order to rest ---------------------------------------------------
    def settle(what: str, busy: set[str], fault_window_s: float) -> None:
        """Sweep as cron would until no order is in `busy` (for the fault window at most), then end every fault:
        the sweep alone must bring every order to rest."""
        def settled() -> bool:
            if not any(o["status"] in busy for o in all_orders(erp).values()):
                return True
            sweep(stack)
            return False

        wait_until(settled, fault_window_s, 3.0)
        stop_faults()
        assert wait_until(settled, QUIESCENT_DEADLINE_S, 2.0), (
            f"{what} not at rest {QUIESCENT_DEADLINE_S} s after the faults ended")

    settle("generation", {"Ordered", "Queued", "Processing"}, GENERATION_FAULT_WINDOW_S)
    generated_s = time.monotonic() - started

    # -- 3. approve a subset; SMTP / ERPNext / S3 faults during delivery ------------------------------------
    in_review = sorted(n for n, o in all_orders(erp).items() if o["status"] == "Review")
    approved = [n for n in in_review if rng.random() < APPROVE_SHARE]
    orders_now = all_orders(erp)
    faults_on.set()
    chaos2 = Chaos(stack, s3_proxy, erp, set(approved), rec, random.Random(SEED + 2), ("refuse", "drop", "slow"))
    chaos2.start()
    # An order whose roll is below a bound gets that SMTP fault (the first bound that fits), `times` in a row.
    refuse, fail_data = stack.smtp.refuse_next, stack.smtp.fail_next_data
    smtp_faults = ((0.12, refuse, 1, "421 on connect"), (0.20, refuse, 6, "421 on connect"),
                   (0.32, fail_data, 1, "451 on DATA"), (0.40, fail_data, 6, "451 on DATA"))
    for name in approved:
        roll = rng.random()
        for bound, inject, times, what in smtp_faults:
            if roll < bound:
                inject(times)
                rec.add("smtp", f"{what} x{times}", "email", order=name)
                break
        erp.update(orders_now[name]["doctype"], name, {"status": "Approved"})
        if 0.40 <= roll < 0.55:
            faults.add(path_prefix=path(orders_now[name]["doctype"], name), method="PUT", status=502, count=12,
                       tag=f"{name}-deliver-status")
            rec.add("erpnext", "5xx", "deliver-status", tag=f"{name}-deliver-status", count=12, order=name)
        time.sleep(rng.uniform(0.0, 0.3))

    settle("delivery", ACTIVE, DELIVERY_FAULT_WINDOW_S)
    total_s = time.monotonic() - started

    # -- 4. the verdict -----------------------------------------------------------------------------------
    final = all_orders(erp)
    ours = {n: o for n, o in final.items() if n in names}
    outcomes: Counter[str] = Counter()
    lost: list[str] = []
    failed_without_reason: list[str] = []
    reasons: Counter[str] = Counter()
    for name, o in sorted(ours.items()):
        status = o["status"]
        if status == "Failed":
            comments = [str(c["content"]) for c in erp.list(
                "Comment", fields=["content"], filters=[["reference_name", "=", name]])]
            # orders.fail() writes "Pipeline: order failed. Reason: <why>" before the status changes.
            why = [c.split("Reason:", 1)[1].strip() for c in comments if "order failed. Reason:" in c]
            if any(why):
                outcomes["Failed-with-reason"] += 1
                reasons[[w for w in why if w][-1][:70]] += 1
            else:
                outcomes["Failed-without-reason"] += 1
                failed_without_reason.append(name)
        elif status in ("Review", "Delivered"):
            outcomes[status] += 1
        else:
            outcomes[f"lost ({status})"] += 1
            lost.append(f"{name}:{status}")

    duplicate_versions: dict[str, list[str]] = {}
    manifests: Counter[str] = Counter()
    for obj in direct.list("orders/"):
        if obj.key.endswith("/manifest.json"):
            order_name, version = obj.key.split("/")[1:3]
            manifests[order_name] += 1
            if version != "v1":
                duplicate_versions.setdefault(order_name, []).append(version)

    emails: Counter[tuple[str, str]] = Counter()
    message_ids: Counter[str] = Counter()
    for msg in stack.smtp.messages:
        emails[(str(msg["X-PW-Order"]), str(msg["X-PW-Version"]))] += 1
        message_ids[str(msg["Message-ID"])] += 1
    duplicate_emails = {k: v for k, v in emails.items() if v > 1}
    duplicate_ids = {k: v for k, v in message_ids.items() if v > 1}
    delivered_without_email = [n for n, o in ours.items() if o["status"] == "Delivered"
                               and not any(k[0] == n for k in emails)]
    review_without_manifest = [n for n, o in ours.items() if o["status"] in ("Review", "Delivered")
                               and not manifests[n]]
    # An approved order must end Delivered or Failed (with its reason, checked above), never back in Review.
    approved_unfinished = [f"{n}:{ours[n]['status']}" for n in approved if ours[n]["status"] not in
                           ("Delivered", "Failed")]
    unapproved_mailed = sorted({k[0] for k in emails} - set(approved))

    lines = [f"reliability fault run: {len(ours)} orders ({INVOICES} invoices, seed {SEED}); placed in "
             f"{placed_s:.0f}s, generation settled at {generated_s:.0f}s, all settled at {total_s:.0f}s", "",
             f"{'dependency':<12} {'fault':<22} {'step':<16} {'injected':>8} {'never met':>9}"]
    for (target, kind, step), n in sorted(rec.faults.items()):
        # ERPNext rules are per order and path, so the stand-in tells which were never met by a request;
        # the other faults act on whatever request comes next ("-").
        unhit = str(rec.not_hit[(target, kind, step)]) if target == "erpnext" else "-"
        lines.append(f"{target:<12} {kind:<22} {step:<16} {n:>8} {unhit:>9}")
    lines.append(f"{'':<12} {'total':<22} {'':<16} {sum(rec.faults.values()):>8} "
                 f"{sum(rec.not_hit.values()):>9}")
    lines += ["", f"{'outcome':<28} {'orders':>6}"]
    for key in ("Review", "Delivered", "Failed-with-reason", "Failed-without-reason"):
        lines.append(f"{key:<28} {outcomes[key]:>6}")
    lines.append(f"{'lost':<28} {len(lost):>6}")
    lines += ["", f"approved {len(approved)}, emails {len(stack.smtp.messages)}, duplicate versions "
              f"{len(duplicate_versions)}, duplicate emails {len(duplicate_emails)}, duplicate Message-IDs "
              f"{len(duplicate_ids)}", "", "Failed reasons:"]
    lines += [f"  {n:>3} x {r}" for r, n in reasons.most_common()]
    table = "\n".join(lines)
    print("\n" + table)
    (tmp_path / "fault-table.txt").write_text(table + "\n")
    (tmp_path / "fault-log.json").write_text(json.dumps(rec.log, indent=1))

    assert len(ours) > 100
    assert sum(rec.faults.values()) >= 50, rec.faults
    assert not lost, f"orders lost (not settled): {lost}"
    assert not failed_without_reason, f"Failed without a reason comment: {failed_without_reason}"
    assert not duplicate_versions, f"versions beyond v1 without a Revision: {duplicate_versions}"
    assert not duplicate_emails, f"more than one email per order version: {duplicate_emails}"
    assert not duplicate_ids, f"Message-ID reused: {duplicate_ids}"
    assert not delivered_without_email, f"Delivered but no email arrived: {delivered_without_email}"
    assert not review_without_manifest, f"Review/Delivered without a manifest: {review_without_manifest}"
    assert not approved_unfinished, f"approved orders neither Delivered nor Failed: {approved_unfinished}"
    assert not unapproved_mailed, f"email for orders nobody approved: {unapproved_mailed}"
    assert sum(rec.faults.values()) - sum(rec.not_hit.values()) >= 50, "too few faults met a request"
    assert outcomes["Review"] + outcomes["Delivered"] > len(ours) // 2  # faults must not fail everything
