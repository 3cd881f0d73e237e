"""The named queue-workers of deploy/openfaas/ (one Deployment per NATS channel), read for the local stack.

Each `*-queue-worker.yaml` there is a CE queue-worker Deployment: `faas_nats_channel` is the queue it serves,
`max_inflight` how many calls it invokes at once, `ack_wait` how long NATS Streaming waits for the ack before
redelivering. The local gateway gets one pool of `max_inflight` workers per channel, so the local stack queues
and serves named queues with the numbers production deploys.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from pwdev.runner import parse_duration
from pwdev.stackyml import ROOT

OPENFAAS_DEPLOY = ROOT / "deploy" / "openfaas"


@dataclass(frozen=True)
class QueueWorker:
    name: str  # the Deployment
    channel: str  # faas_nats_channel: the queue (= a function's com.openfaas.queue annotation)
    max_inflight: int
    ack_wait_s: float
    env: dict[str, str]


def queue_workers(folder: Path = OPENFAAS_DEPLOY) -> dict[str, QueueWorker]:
    """channel -> its queue-worker, from every `*-queue-worker.yaml` under `folder`."""
    out: dict[str, QueueWorker] = {}
    for path in sorted(folder.glob("*-queue-worker.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        (container,) = doc["spec"]["template"]["spec"]["containers"]
        env = {str(e["name"]): str(e["value"]) for e in container.get("env", [])}
        channel = env.get("faas_nats_channel", "faas-request")
        # The CE worker's defaults (nats-queue-worker readconfig.go): max_inflight 1, ack_wait 30s.
        out[channel] = QueueWorker(name=str(doc["metadata"]["name"]), channel=channel,
                                   max_inflight=int(env.get("max_inflight", "1")),
                                   ack_wait_s=parse_duration(env.get("ack_wait", "30s")) or 30.0, env=env)
    return out


def worker_counts(folder: Path = OPENFAAS_DEPLOY) -> dict[str, int]:
    """What the local gateway's `queues=` takes: channel -> concurrent workers."""
    return {channel: worker.max_inflight for channel, worker in queue_workers(folder).items()}
