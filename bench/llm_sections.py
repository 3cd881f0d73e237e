"""Benchmark: parallel LLM sections and cached revisions, against the Ollama stand-in on 127.0.0.1.

1. A document with N sections (N = 3, 6), each taking a fixed latency on the stand-in (num_parallel >= N):
   wall time / slowest section with concurrency = N (target <= 1.2) and with concurrency = 1 (sequential).
2. A revised FLSA Audit where one of three sections changed: LLM calls made (target 1), via the cache.

    .venv/bin/python bench/llm_sections.py [--latency 0.5]

The last line of output is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from pwcore.compliance.intake import parse_intake
from pwcore.compliance.section_generator import MemoryCache, SectionGenerator, SectionSpec, ServiceSpec, service_spec
from pwdev.ollama_standin import OllamaStandin
from pwdev.samples import INTAKE

MODEL = "qwen2.5:7b"
FLSA_INTAKE = INTAKE["FLSA Audit"]  # the service's sample intake


def synthetic_spec(n: int) -> ServiceSpec:
    """An FLSA-like service with n sections (the real services have 3 or 4)."""
    base = service_spec("FLSA Audit")
    template = base.sections[1]
    sections = tuple(
        SectionSpec(**{**template.model_dump(), "key": f"section_{i}", "title": f"Section {i}"})
        for i in range(1, n + 1)
    )
    return base.model_copy(update={"service_type": f"Bench {n}", "sections": sections})


def parallel_run(url: str, n: int, concurrency: int) -> dict[str, Any]:
    spec = synthetic_spec(n)
    intake = parse_intake("FLSA Audit", FLSA_INTAKE)
    with SectionGenerator(url, MODEL, concurrency=concurrency, specs={spec.service_type: spec}) as gen:
        gen.model_digest()  # the once-per-generator /api/tags lookup is not part of a section
        started = time.perf_counter()
        results = gen.generate(spec.service_type, intake)
        wall = time.perf_counter() - started
    slowest = max(r.duration_ms for r in results.values()) / 1000
    backend = max(r.backend_total_ms or 0 for r in results.values()) / 1000
    return {
        "wall_s": round(wall, 3),
        "slowest_section_s": round(slowest, 3),
        "ratio": round(wall / slowest, 3),
        "backend_slowest_s": round(backend, 3),
    }


def revision_run(url: str, standin: OllamaStandin) -> dict[str, int]:
    intake = parse_intake("FLSA Audit", FLSA_INTAKE)
    cache = MemoryCache()
    calls: dict[str, int] = {}
    with SectionGenerator(url, MODEL, concurrency=3, cache=cache) as gen:
        before = standin.calls
        v1 = gen.generate("FLSA Audit", intake)
        calls["first_version"] = standin.calls - before

        before = standin.calls
        gen.generate("FLSA Audit", intake)
        calls["retry_same_order"] = standin.calls - before

        before = standin.calls
        gen.generate("FLSA Audit", intake, guidance={"remediation_plan": "Add a 30/60/90-day timeline."})
        calls["revision_one_section_with_notes"] = standin.calls - before

        before = standin.calls
        gen.generate("FLSA Audit", intake, only={"classification_analysis"}, previous=v1, seed_offset=2)
        calls["revision_only_one_section"] = standin.calls - before
    return calls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.5, help="fixed seconds per section on the stand-in")
    args = parser.parse_args()

    figures: dict[str, Any] = {"per_section_latency_s": args.latency}
    with OllamaStandin(models=[MODEL], num_parallel=6, request_latency_s=args.latency).start() as standin:
        for n in (3, 6):
            par = parallel_run(standin.url, n, concurrency=n)
            seq = parallel_run(standin.url, n, concurrency=1)
            figures[f"n{n}"] = {"parallel": par, "sequential": seq}
            print(
                f"N={n}: concurrency {n}: wall {par['wall_s']}s / slowest {par['slowest_section_s']}s "
                f"= {par['ratio']} (target <= 1.2); sequential: wall {seq['wall_s']}s = {seq['ratio']} x slowest"
            )
        figures["n3_ratio"] = figures["n3"]["parallel"]["ratio"]
        figures["n6_ratio"] = figures["n6"]["parallel"]["ratio"]
        figures["n3_sequential_ratio"] = figures["n3"]["sequential"]["ratio"]
        figures["n6_sequential_ratio"] = figures["n6"]["sequential"]["ratio"]
        # The client side's share: wall time beyond the stand-in's own slowest section time.
        p6 = figures["n6"]["parallel"]
        figures["llm_layer_overhead_pct_n6"] = round(
            100 * (p6["wall_s"] - p6["backend_slowest_s"]) / p6["backend_slowest_s"], 1
        )
        figures["revision_calls"] = revision_run(standin.url, standin)
        print(f"revision LLM calls: {figures['revision_calls']}")
    figures["targets_met"] = (
        figures["n3_ratio"] <= 1.2
        and figures["n6_ratio"] <= 1.2
        and figures["revision_calls"]["revision_one_section_with_notes"] == 1
        and figures["revision_calls"]["revision_only_one_section"] == 1
    )
    print(json.dumps(figures, sort_keys=True))


if __name__ == "__main__":
    main()
