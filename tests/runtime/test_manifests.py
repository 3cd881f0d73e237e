"""deploy/knative/ against the Knative API facts (timeouts, scale annotations, PingSource, delivery) and stack.yml."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from pwcore.clients.dispatch import EVENT_TYPE_PREFIX

ROOT = Path(__file__).resolve().parents[2]
KNATIVE = ROOT / "deploy" / "knative"
RESERVED_PORTS = {8012, 8013, 8022, 9090, 9091, 8008}
RESERVED_ENV = {"PORT", "K_SERVICE", "K_CONFIGURATION", "K_REVISION"}
AUTOSCALING_KEYS = {"min-scale", "max-scale", "initial-scale", "target", "metric", "class", "scale-down-delay",
                    "window", "target-utilization-percentage", "target-burst-capacity", "activation-scale",
                    "minScale", "maxScale"}
KINDS = {("serving.knative.dev/v1", "Service"), ("sources.knative.dev/v1", "PingSource"),
         ("eventing.knative.dev/v1", "Broker"), ("eventing.knative.dev/v1", "Trigger")}
CRON_FUNCTIONS = {"calendar-tick", "backup", "restore-check", "reconcile"}
SECRETS_DIR = "/var/openfaas/secrets"


def documents() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted(KNATIVE.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        docs.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    return docs


def of_kind(kind: str) -> list[dict[str, Any]]:
    return [d for d in documents() if d["kind"] == kind]


def services() -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in of_kind("Service")}


def stack_functions() -> dict[str, Any]:
    functions: dict[str, Any] = yaml.safe_load((ROOT / "stack.yml").read_text())["functions"]
    return functions


def expand(value: str) -> str:
    """faas-cli's ${VAR:-default} with the variables unset."""
    return re.sub(r"\$\{[A-Za-z0-9_]+:-([^}]*)\}", r"\1", value)


def test_every_document_has_a_known_api_version_and_kind() -> None:
    docs = documents()
    assert docs
    for doc in docs:
        assert (doc["apiVersion"], doc["kind"]) in KINDS, doc["metadata"]
        assert doc["metadata"]["name"]


def test_kustomization_lists_every_manifest() -> None:
    listed = set(yaml.safe_load((KNATIVE / "kustomization.yaml").read_text())["resources"])
    assert listed == {p.name for p in KNATIVE.glob("*.yaml")} - {"kustomization.yaml"}


def test_every_stack_function_has_a_service_with_the_same_image() -> None:
    svcs = services()
    stack = stack_functions()
    assert set(svcs) == set(stack)
    for name, fn in stack.items():
        (container,) = svcs[name]["spec"]["template"]["spec"]["containers"]
        assert container["image"] == expand(fn["image"]) == f"ghcr.io/performancewest/{name}:latest"


@pytest.mark.parametrize("name", sorted(stack_functions()))
def test_service_spec_follows_the_contract(name: str) -> None:
    svc = services()[name]
    spec = svc["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    (port,) = container["ports"]
    assert port["containerPort"] == 8080 and port["containerPort"] not in RESERVED_PORTS
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert not RESERVED_ENV & set(env), "PORT and K_* are reserved by Knative"
    assert not {n for n in env if n.startswith("K_")}
    assert env["SECRETS_DIR"] == SECRETS_DIR
    assert env["DISPATCH_MODE"] == "cloudevents" and env["DISPATCH_BROKER_URL"].startswith("http://broker-ingress.")
    probe = container["readinessProbe"]["httpGet"]
    assert probe["path"] == "/_/health" and probe["port"] == 8080
    assert 1 <= spec["containerConcurrency"] <= 1000
    assert 0 < spec["timeoutSeconds"] <= 600
    # The watchdog must give up (and answer) before Knative cuts the request.
    assert _seconds(env["exec_timeout"]) < spec["timeoutSeconds"]
    assert int(env["max_inflight"]) == spec["containerConcurrency"]
    # Same settings as under OpenFaaS, apart from how dispatch reaches the next function.
    stack_env = {k: expand(str(v)) for k, v in stack_functions()[name]["environment"].items()}
    for key, value in stack_env.items():
        if key.startswith("DISPATCH_") or key in {"exec_timeout", "read_timeout", "write_timeout", "max_inflight"}:
            continue
        assert env.get(key) == value, key
    # Secrets: files in /var/openfaas/secrets, the same names as stack.yml's.
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in spec["volumes"]}
    secret_mounts = [m for m in mounts.values() if m["mountPath"] == SECRETS_DIR]
    assert len(secret_mounts) == 1 and secret_mounts[0]["readOnly"] is True
    sources = volumes[secret_mounts[0]["name"]]["projected"]["sources"]
    assert {s["secret"]["name"] for s in sources} == set(stack_functions()[name]["secrets"])
    # Read-only root: /tmp (the watchdog's lock, LibreOffice's profile, GNUPGHOME) is the only writable place.
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    tmp = [m for m in mounts.values() if m["mountPath"] == "/tmp"]
    assert len(tmp) == 1 and "emptyDir" in volumes[tmp[0]["name"]]


@pytest.mark.parametrize("name", sorted(stack_functions()))
def test_autoscaling_annotations_are_valid(name: str) -> None:
    annotations = services()[name]["spec"]["template"]["metadata"]["annotations"]
    for key in annotations:
        if key.startswith("autoscaling.knative.dev/"):
            assert key.split("/", 1)[1] in AUTOSCALING_KEYS, key
    cls = annotations.get("autoscaling.knative.dev/class", "kpa.autoscaling.knative.dev")
    assert cls in {"kpa.autoscaling.knative.dev", "hpa.autoscaling.knative.dev"}
    if cls == "kpa.autoscaling.knative.dev":
        assert annotations.get("autoscaling.knative.dev/metric", "concurrency") in {"concurrency", "rps"}
    low = int(annotations["autoscaling.knative.dev/min-scale"])
    high = int(annotations["autoscaling.knative.dev/max-scale"])
    assert 0 <= low <= high
    target = float(annotations["autoscaling.knative.dev/target"])
    assert 0 < target <= services()[name]["spec"]["template"]["spec"]["containerConcurrency"]


@pytest.mark.parametrize("name", ["generate-doc", "generate-report"])
def test_generation_is_scaled_on_its_own_with_low_concurrency(name: str) -> None:
    svc = services()[name]
    spec = svc["spec"]["template"]["spec"]
    assert spec["containerConcurrency"] <= 2 and spec["timeoutSeconds"] == 600
    annotations = svc["spec"]["template"]["metadata"]["annotations"]
    assert annotations["autoscaling.knative.dev/metric"] == "concurrency"
    others = [services()[n]["spec"]["template"]["spec"]["containerConcurrency"] for n in services()
              if n not in CRON_FUNCTIONS | {"generate-doc", "generate-report"}]
    assert all(spec["containerConcurrency"] < c for c in others)


_FIELD = re.compile(r"^(\*|\?|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/[0-9]+)?$")
_RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]
_DESCRIPTORS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}


def cron_ok(schedule: str) -> bool:
    """robfig/cron with the optional seconds field (PingSource): 5 or 6 fields, or a descriptor."""
    if schedule in _DESCRIPTORS or schedule.startswith("@every "):
        return True
    fields = schedule.split()
    if len(fields) == 6:
        ranges = [(0, 59), *_RANGES]
    elif len(fields) == 5:
        ranges = _RANGES
    else:
        return False
    for field, (lo, hi) in zip(fields, ranges, strict=True):
        for part in field.split(","):
            if not _FIELD.match(part):
                return False
            for number in re.findall(r"\d+", part.split("/")[0]):
                if not lo <= int(number) <= hi:
                    return False
    return True


def test_cron_checker_itself() -> None:
    assert cron_ok("*/5 * * * *") and cron_ok("0 30 3 * * *") and cron_ok("@hourly")
    assert not cron_ok("61 * * * *") and not cron_ok("* * *") and not cron_ok("0 25 * * *")


def test_pingsources_cover_the_cron_functions() -> None:
    pings = of_kind("PingSource")
    svcs = services()
    targets = {}
    for ping in pings:
        spec = ping["spec"]
        assert cron_ok(spec["schedule"]), spec["schedule"]
        assert spec.get("timezone") in {"UTC", "America/Chicago"}
        ref = spec["sink"]["ref"]
        assert (ref["apiVersion"], ref["kind"]) == ("serving.knative.dev/v1", "Service") and ref["name"] in svcs
        # No data: the body stays empty like a cron-connector tick (backup would take a body as the dump).
        assert "data" not in spec and "dataBase64" not in spec
        targets[ref["name"]] = spec["schedule"]
    assert set(targets) == CRON_FUNCTIONS
    assert targets["reconcile"] == "*/5 * * * *" and targets["calendar-tick"] == "0 * * * *"


def test_triggers_filter_on_the_types_dispatch_emits() -> None:
    brokers = {b["metadata"]["name"] for b in of_kind("Broker")}
    triggers = {t["spec"]["subscriber"]["ref"]["name"]: t for t in of_kind("Trigger")}
    assert set(triggers) == {"generate-doc", "generate-report", "deliver"}
    broker_url = services()["on-payment"]["spec"]["template"]["spec"]["containers"][0]["env"]
    url = {e["name"]: e["value"] for e in broker_url}["DISPATCH_BROKER_URL"]
    for name, trigger in triggers.items():
        spec = trigger["spec"]
        assert spec["broker"] in brokers and url.endswith(f"/{trigger['metadata']['namespace']}/{spec['broker']}")
        assert spec["filter"]["attributes"] == {"type": f"{EVENT_TYPE_PREFIX}{name}"}
        delivery = spec["delivery"]
        assert int(delivery["retry"]) >= 1, "Knative retries only when retry is set"
        assert delivery["backoffPolicy"] in {"linear", "exponential"}
        assert re.fullmatch(r"PT\d+(\.\d+)?[SM]", delivery["backoffDelay"])
        assert delivery["deadLetterSink"]["ref"]["name"] in services()
    for generation in ("generate-doc", "generate-report"):
        assert triggers[generation]["spec"]["delivery"]["timeout"] == "PT10M", generation


def _seconds(duration: str) -> float:
    from pwdev.runner import parse_duration

    value = parse_duration(duration)
    assert value is not None
    return value
