"""LLM generation scales on its own: compliance orders go to generate-report, on a queue and a Knative Trigger of
their own, with numbers that fit together (stack.yml, deploy/openfaas/llm-queue-worker.yaml, deploy/knative/).

The numbers that must agree, and why:
- the llm-queue worker serves exactly the queue generate-report is annotated with, and no other function is;
- its max_inflight <= generate-report's scale.min x max_inflight: the CE queue-worker never retries, so a 429
  from the watchdog would strand the order until the sweep;
- its ack_wait > generate-report's exec_timeout: NATS Streaming redelivers an unacked message (a second run);
- both generation functions finish (exec_timeout) inside the generation lease the sweep waits before
  re-queueing a Processing order, so a live run is never taken over;
- Knative: a Trigger per generation function, filtered on the CloudEvent type the dispatcher sends.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from pwcore.clients.dispatch import EVENT_TYPE_PREFIX
from pwcore.model.doctypes import ORDER_DOCTYPES
from pwcore.model.generation_route import GENERATE_DOC, GENERATE_REPORT, GENERATION_FUNCTIONS, generation_function
from pwcore.orders.lease import GenerationLeaseSettings
from pwdev.queueworkers import queue_workers
from pwdev.runner import parse_duration
from pwdev.stackyml import functions

ROOT = Path(__file__).resolve().parents[2]
SPECS = functions()
QUEUE = "com.openfaas.queue"


def seconds(value: str) -> float:
    parsed = parse_duration(value)
    assert parsed is not None, value
    return parsed


def test_every_order_doctype_has_a_deployed_generation_function() -> None:
    assert {generation_function(d) for d in ORDER_DOCTYPES} == set(GENERATION_FUNCTIONS)
    assert generation_function("Compliance Service") == GENERATE_REPORT
    assert generation_function("Formation Order") == GENERATE_DOC
    assert generation_function("CRTC Order") == GENERATE_DOC
    for name in GENERATION_FUNCTIONS:
        assert name in SPECS and (ROOT / "functions" / name / "handler.py").is_file(), name


def test_generate_report_has_its_own_queue_and_worker() -> None:
    report = SPECS[GENERATE_REPORT]
    queue = report.annotations[QUEUE]
    on_queue = sorted(n for n, s in SPECS.items() if s.annotations.get(QUEUE) == queue)
    assert on_queue == [GENERATE_REPORT]
    assert QUEUE not in SPECS[GENERATE_DOC].annotations  # the default queue: formation orders keep going
    worker = queue_workers()[queue]
    capacity = int(report.labels["com.openfaas.scale.min"]) * int(report.environment["max_inflight"])
    assert 1 <= worker.max_inflight <= capacity
    assert worker.ack_wait_s > seconds(report.environment["exec_timeout"])
    assert worker.env["gateway_invoke"] == "true"  # through the gateway, as the default worker does


def test_generate_report_is_sized_for_one_gpu_and_longer_than_generate_doc() -> None:
    report, doc = SPECS[GENERATE_REPORT], SPECS[GENERATE_DOC]
    assert int(report.environment["max_inflight"]) <= 2  # one GPU: a second order renders while one streams
    assert report.labels["com.openfaas.scale.max"] == "1"
    assert seconds(report.environment["exec_timeout"]) > seconds(doc.environment["exec_timeout"])
    # The same code: the same settings, secrets and system packages as generate-doc.
    assert report.code_environment == doc.code_environment
    assert report.secrets == doc.secrets and report.build_args == doc.build_args and report.lang == doc.lang
    assert ((ROOT / "functions" / GENERATE_REPORT / "requirements.txt").read_text()
            == (ROOT / "functions" / GENERATE_DOC / "requirements.txt").read_text())


def test_generations_end_inside_the_lease() -> None:
    lease = GenerationLeaseSettings.model_fields["generation_lease_s"].default
    for name in GENERATION_FUNCTIONS:
        assert seconds(SPECS[name].environment["exec_timeout"]) < lease, name


def _eventing() -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((ROOT / "deploy" / "knative" / "eventing.yaml").read_text()) if d]


def test_knative_trigger_per_generation_function() -> None:
    triggers = {d["metadata"]["name"]: d for d in _eventing() if d["kind"] == "Trigger"}
    kustomization = yaml.safe_load((ROOT / "deploy" / "knative" / "kustomization.yaml").read_text())
    for name in GENERATION_FUNCTIONS:
        spec = triggers[name]["spec"]
        assert spec["filter"]["attributes"] == {"type": f"{EVENT_TYPE_PREFIX}{name}"}
        assert spec["subscriber"]["ref"]["name"] == name
        assert f"service-{name}.yaml" in kustomization["resources"]


def test_webhooks_send_revisions_to_the_generation_function_of_their_doctype() -> None:
    import json

    hooks = json.loads((ROOT / "shared" / "pwcore" / "data" / "webhooks.json").read_text())["webhooks"]
    revisions = [h for h in hooks if "Revision" in h["condition"]]
    assert {h["webhook_doctype"] for h in revisions} == set(ORDER_DOCTYPES)
    for hook in revisions:
        assert hook["function"] == generation_function(hook["webhook_doctype"]), hook["name"]
        assert hook["async"] is True
