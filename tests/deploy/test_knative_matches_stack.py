"""deploy/knative/ is checked against stack.yml, so the two deployments cannot drift: environment names and
values, secret names, the watchdog's timeouts and concurrency, scale bounds, resources.

The differences that are the platform's, and only those, are allowed:
- dispatch: Knative sends CloudEvents to the Broker (DISPATCH_MODE=cloudevents, DISPATCH_BROKER_URL) where
  OpenFaaS calls the gateway (DISPATCH_GATEWAY_URL); SECRETS_DIR is spelled out.
- Knative caps a request at 600 s (max-revision-timeout-seconds): a longer exec_timeout becomes 9m50s, the
  read/write timeouts a second above it, and the revision's timeoutSeconds covers read_timeout.
- functions no synchronous caller waits on (the cron ones, through a PingSource, and deliver, through the
  Broker) may scale to zero (min-scale 0) where OpenFaaS keeps one replica; on-payment (Frappe's 5 s webhook
  timeout), presign (the portal) and generate-doc (a warm LibreOffice) keep stack.yml's minimum.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from pwdev.runner import parse_duration
from pwdev.stackyml import FunctionSpec, functions

ROOT = Path(__file__).resolve().parents[2]
SPECS = functions()
KNATIVE_CAP_S = 600.0
CAPPED_EXEC_S = 590.0
PLATFORM_ENV = {"DISPATCH_MODE", "DISPATCH_GATEWAY_URL", "DISPATCH_BROKER_URL", "SECRETS_DIR",
                "exec_timeout", "read_timeout", "write_timeout"}


def service(name: str) -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "deploy" / "knative" / f"service-{name}.yaml").read_text())
    assert data["kind"] == "Service" and data["metadata"]["name"] == name
    return dict(data["spec"]["template"])


def container(svc: dict[str, Any]) -> dict[str, Any]:
    (only,) = svc["spec"]["containers"]
    return dict(only)


def env_of(svc: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: str(e["value"]) for e in container(svc).get("env", [])}


def seconds(value: str) -> float:
    parsed = parse_duration(value)
    assert parsed is not None, value
    return parsed


@pytest.mark.parametrize("name", list(SPECS))
def test_environment_matches(name: str) -> None:
    spec: FunctionSpec = SPECS[name]
    kn = env_of(service(name))
    assert set(kn) - PLATFORM_ENV == set(spec.environment) - PLATFORM_ENV, name
    for key in set(spec.environment) - PLATFORM_ENV:
        assert kn[key] == spec.environment[key], (name, key)
    assert kn["DISPATCH_MODE"] == "cloudevents" and kn["DISPATCH_BROKER_URL"].startswith("http://")
    assert kn["SECRETS_DIR"] == "/var/openfaas/secrets"


@pytest.mark.parametrize("name", list(SPECS))
def test_secrets_match(name: str) -> None:
    svc = service(name)
    (volume,) = [v for v in svc["spec"]["volumes"] if v["name"] == "secrets"]
    names = [s["secret"]["name"] for s in volume["projected"]["sources"]]
    assert names == list(SPECS[name].secrets), name
    mounts = {m["name"]: m for m in container(svc)["volumeMounts"]}
    assert mounts["secrets"]["mountPath"] == "/var/openfaas/secrets" and mounts["secrets"]["readOnly"] is True


@pytest.mark.parametrize("name", list(SPECS))
def test_timeouts_and_concurrency_match(name: str) -> None:
    spec, svc = SPECS[name], service(name)
    kn = env_of(svc)
    stack_exec = seconds(spec.environment["exec_timeout"])
    want_exec = stack_exec if seconds(spec.environment["read_timeout"]) <= KNATIVE_CAP_S else CAPPED_EXEC_S
    assert seconds(kn["exec_timeout"]) == want_exec, name
    for key in ("read_timeout", "write_timeout"):
        expected = seconds(spec.environment[key]) if want_exec == stack_exec else CAPPED_EXEC_S + 1
        assert seconds(kn[key]) == expected, (name, key)
    assert seconds(kn["read_timeout"]) <= svc["spec"]["timeoutSeconds"] <= KNATIVE_CAP_S, name
    assert kn["max_inflight"] == spec.environment["max_inflight"]
    assert svc["spec"]["containerConcurrency"] == int(spec.environment["max_inflight"]), name


@pytest.mark.parametrize("name", list(SPECS))
def test_scale_and_resources_match(name: str) -> None:
    spec, svc = SPECS[name], service(name)
    annotations = svc["metadata"]["annotations"]
    assert annotations["autoscaling.knative.dev/max-scale"] == spec.labels["com.openfaas.scale.max"], name
    asynchronous = spec.annotations.get("topic") == "cron-function" or name == "deliver"
    allowed_min = {spec.labels["com.openfaas.scale.min"], *(["0"] if asynchronous else [])}
    assert annotations["autoscaling.knative.dev/min-scale"] in allowed_min, name
    resources = container(svc)["resources"]
    assert resources["limits"] == spec.raw["limits"] and resources["requests"] == spec.raw["requests"], name
    assert container(svc)["securityContext"]["readOnlyRootFilesystem"] is spec.raw["readonly_root_filesystem"]
