"""on-payment's answer time as ERPNext sees it: 200 signed webhooks for 200 paid invoices (each: read the
invoice, find its orders, CAS Ordered -> Queued, dispatch generate-doc to the gateway queue), then the same 200
again (duplicates), through the gateway, sequentially. Beside it, the bare ERPNext stand-in round trip (GET of
one document) of the same run, to show how many ERPNext round trips an answer costs. Target p99 <= 50 ms.
Last line: one JSON object."""

from __future__ import annotations

import json
import statistics
import sys
import time

import httpx

from pwcore.model.signatures import SIGNATURE_HEADER, sign
from pwdev.demo import place_order
from pwdev.erpnext import submit_payment_entry
from pwdev.stack import WEBHOOK_SECRET, LocalStack

N = 200


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * len(ordered)) - 1)]


def main() -> int:
    from pwcore.runtime import wiring

    # generate-doc is not started: its queued calls wait in the gateway, so generation does not share the CPU.
    with LocalStack(functions=("on-payment",), gateway_workers=1) as stack:
        erp = wiring.erpnext()
        invoices = []
        # Workers down: ERPNext's own webhooks wait in the queue; the bench posts the webhooks itself.
        httpx.post(f"{stack.erpnext.url}/_standin/workers/down", timeout=5)
        for i in range(N):
            order = place_order(erp, f"Ack Bench {i} LLC", f"a{i}@example.com", compliance=False)
            submit_payment_entry(stack.erpnext.url, order["invoice"])
            invoices.append(order["invoice"])
        assert stack.gateway is not None
        url = f"{stack.gateway.url}/function/on-payment"
        client = httpx.Client(timeout=10)
        for name in invoices[:5]:  # warm the function's connections
            body = json.dumps({"doctype": "Sales Invoice", "name": name, "status": "Paid"}).encode()
            client.post(url, content=body, headers={SIGNATURE_HEADER: sign(body, WEBHOOK_SECRET)})
        first, dup, bare = [], [], []
        statuses: dict[str, int] = {}
        for rnd, bucket in ((0, first), (1, dup)):
            for name in invoices[5:] + invoices[:5] if rnd else invoices[5:]:
                body = json.dumps({"doctype": "Sales Invoice", "name": name, "status": "Paid"}).encode()
                t0 = time.perf_counter()
                r = client.post(url, content=body, headers={SIGNATURE_HEADER: sign(body, WEBHOOK_SECRET)})
                bucket.append((time.perf_counter() - t0) * 1000)
                statuses[r.json().get("status", str(r.status_code))] = statuses.get(
                    r.json().get("status", str(r.status_code)), 0) + 1
                t0 = time.perf_counter()
                erp.get("Sales Invoice", name)
                bare.append((time.perf_counter() - t0) * 1000)
    allv = first + dup
    result = {
        "webhooks": len(allv), "answers": statuses,
        "first_delivery_ms": {"p50": round(statistics.median(first), 2), "p99": round(pct(first, 99), 2)},
        "duplicate_ms": {"p50": round(statistics.median(dup), 2), "p99": round(pct(dup, 99), 2)},
        "all_p99_ms": round(pct(allv, 99), 2), "target_p99_ms": 50,
        "erpnext_round_trip_p50_ms": round(statistics.median(bare), 2),
        "ratio_p50_to_erpnext_round_trip": round(statistics.median(allv) / statistics.median(bare), 1),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
