"""Formation orders keep their latency while compliance orders wait on a slow model (issue #15 item 6).

On the local stack (stand-ins + function processes behind the local gateway, named queues as
deploy/openfaas/ deploys them), in R rounds (default 2), each:
1. alone: K/R formation orders one after the other, each from "invoice marked paid" to Review;
2. mixed: the Ollama stand-in slowed to --delay-per-token seconds per token (its /_standin/config knob), 10
   compliance orders paid (fresh intakes, so the section cache cannot answer) until both llm-queue workers are
   busy on generate-report and the rest wait on the queue; then K/R formation orders again, and a check that
   all 10 compliance orders were still waiting on the model when the last of them reached Review;
3. the model fast again: the compliance orders finish (reaching Review) before the next round.
Each measured block starts after 2 unmeasured formation orders, so both start from the same warm generate-doc.
--shared-queue is the control, the design without a function of its own: generate-report's calls go to
generate-doc's process on the default queue, so formation orders wait behind the compliance orders (use a
faster model there, e.g. --delay-per-token 0.002, or a measured order waits minutes).
Rounds interleave the two conditions, so warm-up and the drifting load of a shared machine fall on both.
The ratio mixed/alone of p50 and p99 over all rounds is the figure (target <= 1.2): compliance orders run on
generate-report through their own queue, so they never take generate-doc's workers or replicas.

    .venv/bin/python bench/mixed_load.py [--k 20] [--rounds 2] [--delay-per-token 0.2] [--shared-queue]
Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from typing import Any

import httpx

from pwdev.demo import FLSA_INTAKE, mark_paid, place_order, say, wait_status
from pwdev.gateway import DEFAULT_QUEUE, Gateway
from pwdev.stack import LocalStack

COMPLIANCE_ORDERS = 10
WAITING = ("Queued", "Processing")
LLM_QUEUE = "llm-queue"
# Unmeasured orders before each measured block: both conditions start with generate-doc's LibreOffice just used
# (before the alone block it sat idle while generate-report rendered the previous round's reports).
PRIME = 2


def percentile(values: list[float], p: float) -> float:
    """Nearest rank (no interpolation: with 20 orders, p99 is the slowest one)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def summary(latencies: list[float]) -> dict[str, float]:
    return {"p50_ms": round(percentile(latencies, 50), 1), "p99_ms": round(percentile(latencies, 99), 1)}


def formation_run(erp: Any, k: int, tag: str, timeout: float = 120.0) -> list[float]:
    """K formation orders, each paid after the previous one reached Review; ms from paid to Review."""
    latencies = []
    for i in range(k):
        order = place_order(erp, f"Mixed {tag} {i} LLC", f"{tag}{i}@example.com", compliance=False)
        doctype, name = order["orders"][0]
        t0 = time.perf_counter()
        mark_paid(erp, order["invoice"])
        doc = wait_status(erp, doctype, name, {"Review"}, timeout=timeout, poll_s=0.01)
        latencies.append((time.perf_counter() - t0) * 1000)
        if doc["status"] != "Review":
            raise RuntimeError(f"{name} is {doc['status']}")
    return latencies


def model_delay(stack: LocalStack, seconds_per_token: float) -> None:
    httpx.post(f"{stack.ollama_url}/_standin/config", json={"token_latency_s": seconds_per_token},
               timeout=5).raise_for_status()


def saturate(erp: Any, gateway: Gateway, tag: str, queue_name: str = LLM_QUEUE) -> list[tuple[str, str]]:
    """10 compliance orders paid; answers their (doctype, name) once every worker of their queue is busy."""
    compliance = []
    for i in range(COMPLIANCE_ORDERS):
        order = place_order(erp, f"Mixed Compliance {tag} {i}", f"c{tag}{i}@example.com", compliance=True)
        (fo_doctype, fo), (cs_doctype, cs) = order["orders"]
        intake = dict(FLSA_INTAKE, headcount=1000 + i + time.time_ns() % 100000)
        erp.update(cs_doctype, cs, {"intake_data": json.dumps(intake)})
        mark_paid(erp, order["invoice"])
        compliance.append(((fo_doctype, fo), (cs_doctype, cs)))
    if queue_name != DEFAULT_QUEUE:
        for (fo_doctype, fo), _ in compliance:  # a bundle's formation part goes to generate-doc: let it settle
            wait_status(erp, fo_doctype, fo, {"Review"}, timeout=120)
        gateway.wait_idle(60, queue_name=DEFAULT_QUEUE)  # ... including what generate-doc does after Review
    deadline = time.monotonic() + 60
    while gateway.queue_stats(queue_name)["inflight"] < gateway.queue_workers[queue_name]:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{queue_name} never filled: {gateway.queue_stats(queue_name)}")
        time.sleep(0.05)
    return [cs for _, cs in compliance]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--k", type=int, default=20, help="formation orders per condition (over all rounds)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--delay-per-token", type=float, default=0.2, help="the slow model, seconds per token")
    parser.add_argument("--shared-queue", action="store_true",
                        help="control: compliance orders on generate-doc's process and default queue")
    args = parser.parse_args(argv)
    queue_name = DEFAULT_QUEUE if args.shared_queue else LLM_QUEUE
    wait_s = 900.0 if args.shared_queue else 120.0
    per_round = max(1, args.k // args.rounds)
    from pwcore.runtime import wiring

    alone: list[float] = []
    mixed: list[float] = []
    rounds: list[dict[str, Any]] = []
    with LocalStack(functions=("on-payment", "generate-doc", "generate-report")) as stack:
        assert stack.gateway is not None
        gateway, erp = stack.gateway, wiring.erpnext()
        if args.shared_queue:  # no com.openfaas.queue, generate-doc's process: one function for both paths
            gateway.register("generate-report", stack.functions["generate-doc"].url)
        say("== warm-up: formation and compliance orders (first LibreOffice conversions), not measured")
        formation_run(erp, 5, "warm")
        for r in range(args.rounds):
            say(f"== round {r + 1}: alone, {per_round} formation orders")
            formation_run(erp, PRIME, f"prime-alone{r}")
            a = formation_run(erp, per_round, f"alone{r}")
            say(f"== round {r + 1}: {COMPLIANCE_ORDERS} compliance orders on a model at {args.delay_per_token}s/token")
            model_delay(stack, args.delay_per_token)
            compliance = saturate(erp, gateway, str(r), queue_name)
            queue_at_start = gateway.queue_stats(queue_name)
            finished_before = sum(1 for x in gateway.results if x.function == "generate-report")
            if not args.shared_queue:  # (in the control a primer would absorb the wait behind the queue)
                formation_run(erp, PRIME, f"prime-mixed{r}")
            m = formation_run(erp, per_round, f"mixed{r}", timeout=wait_s)
            queue_at_end = gateway.queue_stats(queue_name)
            waiting = sum(1 for doctype, name in compliance if erp.get(doctype, name)["status"] in WAITING)
            finished = sum(1 for x in gateway.results if x.function == "generate-report") - finished_before
            say(f"== round {r + 1}: the model fast again; the compliance orders finish")
            model_delay(stack, 0.0)
            reviewed = sum(1 for doctype, name in compliance
                           if wait_status(erp, doctype, name, {"Review"}, timeout=600)["status"] == "Review")
            gateway.wait_idle(60)
            alone += a
            mixed += m
            rounds.append({"alone": summary(a), "mixed": summary(m), "queue": queue_name,
                           "queue_at_start": queue_at_start, "queue_at_end": queue_at_end,
                           "compliance_waiting_at_end": waiting,
                           "generate_report_finished_during_mixed": finished,
                           "compliance_reviewed_afterwards": reviewed})

    a_all, m_all = summary(alone), summary(mixed)
    result: dict[str, Any] = {
        "k": len(alone), "rounds": args.rounds, "compliance_orders_per_round": COMPLIANCE_ORDERS,
        "delay_per_token_s": args.delay_per_token, "control_shared_queue": args.shared_queue,
        "alone": a_all, "mixed": m_all,
        "ratio_p50": round(m_all["p50_ms"] / a_all["p50_ms"], 3),
        "ratio_p99": round(m_all["p99_ms"] / a_all["p99_ms"], 3), "target_ratio": 1.2, "per_round": rounds,
    }
    result["ok"] = (result["ratio_p50"] <= 1.2 and result["ratio_p99"] <= 1.2
                    and all(x["compliance_waiting_at_end"] == COMPLIANCE_ORDERS for x in rounds))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
