"""stack.yml fits faas-cli's schema (faas-cli's stack schema) and the project's rules for each function."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from pwdev.gateway import CronSchedule
from pwdev.runner import parse_duration

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = ["on-payment", "generate-doc", "generate-report", "deliver", "presign", "calendar-tick", "backup",
             "restore-check", "reconcile"]
RENDERERS = ("generate-doc", "generate-report", "deliver")  # LibreOffice: the Debian template
TOP_KEYS = {"version", "provider", "functions", "configuration"}
FUNCTION_KEYS = {
    "lang", "handler", "image", "fprocess", "environment", "secrets", "skip_build", "namespace", "annotations",
    "labels", "platforms", "build_secrets", "constraints", "environment_file", "limits", "requests",
    "readonly_root_filesystem", "build_options", "build_args",
}  # fmt: skip
COMMON_SECRETS = {"erpnext-api-key", "erpnext-api-secret", "s3-access-key", "s3-secret-key", "webhook-secret"}
EXTRA_SECRETS = {"presign": {"presign-jwt-secret"},
                 "deliver": {"smtp-password", "listmonk-password", "deliver-unsubscribe-token"},
                 "calendar-tick": {"smtp-password", "operator-token", "listmonk-password"},
                 "backup": {"backup-public-keys", "backup-source-api-key", "backup-source-api-secret",
                            "operator-token"},
                 "restore-check": {"restore-check-private-key", "restore-check-db-password", "operator-token"},
                 "reconcile": {"operator-token"}}
CRON = {"calendar-tick": "0 * * * *", "backup": "30 7 * * *", "restore-check": "0 5 1 * *",
        "reconcile": "*/5 * * * *"}
DNS_LABEL = re.compile(r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?")
LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
QUANTITY = re.compile(r"\d+(\.\d+)?(Mi|Gi|m)?")
ENVSUBST = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def envsubst(text: str, env: dict[str, str]) -> str:
    """drone/envsubst's ${VAR} / ${VAR:-default}, as faas-cli applies it before parsing."""
    return ENVSUBST.sub(lambda m: env.get(m.group(1)) or (m.group(2) or ""), text)


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    raw = (ROOT / "stack.yml").read_text()
    data = yaml.safe_load(envsubst(raw, {}))
    assert isinstance(data, dict)
    return data


def test_top_level(stack: dict[str, Any]) -> None:
    assert set(stack) <= TOP_KEYS
    assert stack["version"] == "1.0"
    assert stack["provider"] == {"name": "openfaas", "gateway": "http://127.0.0.1:8080"}
    assert stack["configuration"]["copy"] == ["./shared"]
    templates = {t["name"]: t["source"] for t in stack["configuration"]["templates"]}
    langs = {f["lang"] for f in stack["functions"].values()}
    assert langs <= set(templates)
    for source in templates.values():
        assert re.fullmatch(r"https://github\.com/openfaas/python-flask-template#[0-9a-f]{7,40}", source)


def test_envsubst_uses_environment() -> None:
    raw = (ROOT / "stack.yml").read_text()
    data = yaml.safe_load(envsubst(raw, {"REGISTRY": "reg.local/pw", "TAG": "1.2.3", "OPENFAAS_URL": "http://gw"}))
    assert data["functions"]["deliver"]["image"] == "reg.local/pw/deliver:1.2.3"
    assert data["provider"]["gateway"] == "http://gw"


def test_function_set_and_keys(stack: dict[str, Any]) -> None:
    functions = stack["functions"]
    assert list(functions) == FUNCTIONS
    for name, fn in functions.items():
        assert DNS_LABEL.fullmatch(name) and len(name) <= 63, name
        assert set(fn) <= FUNCTION_KEYS, (name, set(fn) - FUNCTION_KEYS)
        assert fn["handler"] == f"./functions/{name}"
        assert fn["image"] == f"ghcr.io/performancewest/{name}:latest"
        # LibreOffice: generate-doc and generate-report render, deliver converts a reviewer's edited DOCX
        assert fn["lang"] == ("python3-http-debian" if name in RENDERERS else "python3-http")
        assert fn["readonly_root_filesystem"] is True


def test_build_args_are_a_map_of_strings(stack: dict[str, Any]) -> None:
    for fn in stack["functions"].values():
        args = fn.get("build_args", {})
        assert isinstance(args, dict)
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in args.items())
    for name in RENDERERS:
        packages = stack["functions"][name]["build_args"]["ADDITIONAL_PACKAGE"].split()
        assert {"libreoffice-writer-nogui", "python3-uno"} <= set(packages), name


def test_environment_is_strings_without_secrets_and_timeouts_are_consistent(stack: dict[str, Any]) -> None:
    for name, fn in stack["functions"].items():
        env = fn["environment"]
        assert all(isinstance(v, str) for v in env.values()), name
        for key in ("ERPNEXT_URL", "S3_ENDPOINT", "S3_BUCKET", "PYTHONUNBUFFERED"):
            assert env[key], (name, key)
        assert env["DISPATCH_MODE"] == "openfaas"
        assert env["DISPATCH_GATEWAY_URL"] == "http://gateway.openfaas:8080"
        secret_like = [k for k in env if re.search(r"SECRET|PASSWORD|API_KEY|ACCESS_KEY|TOKEN", k)]
        assert not secret_like, (name, secret_like)
        exec_s = parse_duration(env["exec_timeout"])
        read_s, write_s = parse_duration(env["read_timeout"]), parse_duration(env["write_timeout"])
        assert exec_s and read_s and write_s
        assert exec_s < read_s and exec_s < write_s, name
        assert int(env["max_inflight"]) >= 1
    envs = {n: f["environment"] for n, f in stack["functions"].items()}
    assert parse_duration(envs["generate-doc"]["exec_timeout"]) >= 600  # type: ignore[operator]
    assert parse_duration(envs["on-payment"]["exec_timeout"]) <= 30  # type: ignore[operator]


def test_secrets(stack: dict[str, Any]) -> None:
    for name, fn in stack["functions"].items():
        assert set(fn["secrets"]) == COMMON_SECRETS | EXTRA_SECRETS.get(name, set()), name
        assert all(DNS_LABEL.fullmatch(s) for s in fn["secrets"])


def test_labels_scaling_and_resources(stack: dict[str, Any]) -> None:
    for name, fn in stack["functions"].items():
        labels = fn["labels"]
        for key, value in labels.items():
            assert isinstance(value, str) and len(value) <= 63 and LABEL_VALUE.fullmatch(value), (name, key)
        low, high = int(labels["com.openfaas.scale.min"]), int(labels["com.openfaas.scale.max"])
        assert 1 <= low <= high <= 5, name  # CE caps replicas at 5
        for section in ("limits", "requests"):
            for key, value in fn[section].items():
                assert key in ("memory", "cpu") and QUANTITY.fullmatch(str(value)), (name, section, key)
    scale = stack["functions"]["generate-doc"]["labels"]
    assert (scale["com.openfaas.scale.min"], scale["com.openfaas.scale.max"]) == ("1", "5")


def test_cron_annotations(stack: dict[str, Any]) -> None:
    for name, fn in stack["functions"].items():
        annotations = fn.get("annotations", {})
        if name not in CRON:
            assert "schedule" not in annotations, name
            continue
        assert annotations["topic"] == "cron-function"
        assert annotations["schedule"] == CRON[name]
        assert len(annotations["schedule"].split()) == 5  # robfig v3 standard parser: no seconds field
        CronSchedule.parse(annotations["schedule"])


def test_each_function_has_a_folder_with_handler_and_requirements(stack: dict[str, Any]) -> None:
    for name, fn in stack["functions"].items():
        folder = ROOT / fn["handler"]
        assert folder.is_dir(), f"{folder} missing"
        assert (folder / "handler.py").is_file(), f"{folder}/handler.py missing"
        assert (folder / "requirements.txt").is_file(), f"{folder}/requirements.txt missing"
