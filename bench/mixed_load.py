"""Formation orders keep their latency while compliance orders wait on a slow model (issue #15 item 6).

On the local stack (stand-ins + function processes behind the local gateway, named queues as
deploy/openfaas/ deploys them):
1. alone: K formation orders one after the other, each from "invoice marked paid" to Review (p50, p99);
2. mixed: the Ollama stand-in slowed to --delay-per-token seconds per token (its /_standin/config knob), 10
   compliance orders paid (fresh intakes, so the section cache cannot answer) until both llm-queue workers
   are busy on generate-report and the rest wait on the queue; then the same K formation orders again.
The ratio mixed/alone of p50 and p99 is the figure (target <= 1.2): compliance orders run on generate-report
through their own queue, so they never take generate-doc's workers or replicas. The bench also checks that the
compliance orders were still waiting on the model when the last formation order reached Review.

    .venv/bin/python bench/mixed_load.py [--k 20] [--delay-per-token 0.2]
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
from pwdev.stack import LocalStack

COMPLIANCE_ORDERS = 10
WAITING = ("Queued", "Processing")


def percentile(values: list[float], p: float) -> float:
    """Nearest rank (no interpolation: with K = 20, p99 is the slowest order)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def formation_run(erp: Any, k: int, tag: str) -> list[float]:
    """K formation orders, each paid after the previous one reached Review; ms from paid to Review."""
    latencies = []
    for i in range(k):
        order = place_order(erp, f"Mixed {tag} {i} LLC", f"{tag}{i}@example.com", compliance=False)
        t0 = time.perf_counter()
        mark_paid(erp, order["invoice"])
        doc = wait_status(erp, *order["orders"][0], {"Review"}, timeout=120, poll_s=0.01)
        latencies.append((time.perf_counter() - t0) * 1000)
        if doc["status"] != "Review":
            raise RuntimeError(f"{order['orders'][0][1]} is {doc['status']}")
    return latencies


def summary(latencies: list[float]) -> dict[str, float]:
    return {"p50_ms": round(percentile(latencies, 50), 1), "p99_ms": round(percentile(latencies, 99), 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--k", type=int, default=20, help="formation orders per phase")
    parser.add_argument("--delay-per-token", type=float, default=0.2, help="the slow model, seconds per token")
    args = parser.parse_args(argv)
    from pwcore.runtime import wiring

    with LocalStack(functions=("on-payment", "generate-doc", "generate-report")) as stack:
        assert stack.gateway is not None
        gateway, erp = stack.gateway, wiring.erpnext()
        say("== warm-up: formation orders (first LibreOffice conversions), not measured")
        formation_run(erp, 3, "warm")

        say(f"== alone: {args.k} formation orders")
        alone = formation_run(erp, args.k, "alone")

        say(f"== mixed: {COMPLIANCE_ORDERS} compliance orders on a model at {args.delay_per_token}s per token")
        httpx.post(f"{stack.ollama_url}/_standin/config", json={"token_latency_s": args.delay_per_token},
                   timeout=5).raise_for_status()
        compliance = []
        for i in range(COMPLIANCE_ORDERS):
            order = place_order(erp, f"Mixed Compliance {i}", f"c{i}@example.com", compliance=True)
            name = order["orders"][1][1]
            intake = dict(FLSA_INTAKE, headcount=1000 + i + time.time_ns() % 100000)
            erp.update("Compliance Service", name, {"intake_data": json.dumps(intake)})
            mark_paid(erp, order["invoice"])
            compliance.append(order)
        for order in compliance:  # a bundle's formation part goes to generate-doc: let those settle first
            wait_status(erp, *order["orders"][0], {"Review"}, timeout=120)
        deadline = time.monotonic() + 60
        while gateway.queue_stats("llm-queue")["inflight"] < gateway.queue_workers["llm-queue"]:
            if time.monotonic() > deadline:
                raise RuntimeError(f"llm-queue never filled: {gateway.queue_stats('llm-queue')}")
            time.sleep(0.05)
        llm_before = gateway.queue_stats("llm-queue")
        mixed = formation_run(erp, args.k, "mixed")
        llm_after = gateway.queue_stats("llm-queue")
        waiting = sum(1 for o in compliance if erp.get(*o["orders"][1])["status"] in WAITING)
        reports_done = sum(1 for r in gateway.results if r.function == "generate-report")
        httpx.post(f"{stack.ollama_url}/_standin/config", json={"token_latency_s": 0.0}, timeout=5)

    a, m = summary(alone), summary(mixed)
    result = {
        "k": args.k, "compliance_orders": COMPLIANCE_ORDERS, "delay_per_token_s": args.delay_per_token,
        "alone": a, "mixed": m,
        "ratio_p50": round(m["p50_ms"] / a["p50_ms"], 3), "ratio_p99": round(m["p99_ms"] / a["p99_ms"], 3),
        "target_ratio": 1.2,
        "llm_queue_at_start": llm_before, "llm_queue_at_end": llm_after,
        "compliance_waiting_at_end": waiting, "generate_report_calls_finished": reports_done,
    }
    result["ok"] = result["ratio_p50"] <= 1.2 and result["ratio_p99"] <= 1.2 and waiting == COMPLIANCE_ORDERS
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
