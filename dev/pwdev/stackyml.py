"""stack.yml as the one source of each function's deployment, read the way faas-cli reads it.

faas-cli substitutes `${VAR}` / `${VAR:-default}` (drone/envsubst) before parsing; `load()` does the same with
an empty environment by default, so what comes back is what a plain `faas-cli up` deploys. The local stack,
the test fixtures and the per-image tests take each function's environment and secret names from here and
override only the endpoints of the local stand-ins (`LOCAL_ENDPOINTS` names which ones).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
STACK_YML = ROOT / "stack.yml"
ENVSUBST = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
# The of-watchdog reads these from the environment; they are not settings of the function's code.
WATCHDOG_ENV = frozenset({"exec_timeout", "read_timeout", "write_timeout", "max_inflight", "healthcheck_interval"})
# Environment variables whose stack.yml value names a production endpoint; locally they point at a stand-in.
LOCAL_ENDPOINTS = frozenset({
    "ERPNEXT_URL", "S3_ENDPOINT", "S3_BUCKET", "S3_SECURE", "DISPATCH_GATEWAY_URL", "OLLAMA_HOST",
    "SMTP_HOST", "SMTP_PORT", "SMTP_SECURITY", "SMTP_USER", "PRESIGN_ALLOWED_ORIGINS", "BACKUP_SOURCE_URL",
    "BACKUP_SOURCE", "LISTMONK_URL", "RESTORE_CHECK_DB_HOST", "RESTORE_CHECK_DB_PORT",
})  # fmt: skip


def envsubst(text: str, env: dict[str, str] | None = None) -> str:
    """drone/envsubst's ${VAR} / ${VAR:-default}, as faas-cli applies it before parsing."""
    values = env or {}
    return ENVSUBST.sub(lambda m: values.get(m.group(1)) or (m.group(2) or ""), text)


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    lang: str
    handler: str
    environment: dict[str, str]  # everything under `environment:`, watchdog settings included
    secrets: tuple[str, ...]
    labels: dict[str, str]
    annotations: dict[str, str]
    build_args: dict[str, str]
    raw: dict[str, Any]

    @property
    def code_environment(self) -> dict[str, str]:
        """The environment the function's code sees as settings (without the watchdog's own variables)."""
        return {k: v for k, v in self.environment.items() if k not in WATCHDOG_ENV}

    @property
    def handler_dir(self) -> Path:
        return (ROOT / self.handler).resolve()


def load(path: Path = STACK_YML, env: dict[str, str] | None = None) -> dict[str, Any]:
    data = yaml.safe_load(envsubst(path.read_text(encoding="utf-8"), env))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a mapping")
    return data


def functions(path: Path = STACK_YML, env: dict[str, str] | None = None) -> dict[str, FunctionSpec]:
    out = {}
    for name, fn in load(path, env)["functions"].items():
        out[name] = FunctionSpec(
            name=name, lang=str(fn["lang"]), handler=str(fn["handler"]),
            environment={str(k): str(v) for k, v in (fn.get("environment") or {}).items()},
            secrets=tuple(str(s) for s in fn.get("secrets") or ()),
            labels={str(k): str(v) for k, v in (fn.get("labels") or {}).items()},
            annotations={str(k): str(v) for k, v in (fn.get("annotations") or {}).items()},
            build_args={str(k): str(v) for k, v in (fn.get("build_args") or {}).items()},
            raw=fn,
        )
    return out


def copy_paths(path: Path = STACK_YML) -> list[str]:
    return [str(p) for p in load(path).get("configuration", {}).get("copy", [])]


def local_environment(spec: FunctionSpec, endpoints: dict[str, str]) -> dict[str, str]:
    """stack.yml's environment for one function with only the stand-in endpoints replaced.

    `endpoints` may only name variables in LOCAL_ENDPOINTS; a local endpoint is applied only where stack.yml
    gives the function that variable, so a setting stack.yml forgets stays missing locally too.
    """
    unknown = set(endpoints) - LOCAL_ENDPOINTS
    if unknown:
        raise ValueError(f"not a stand-in endpoint: {sorted(unknown)}")
    env = dict(spec.environment)
    for key, value in endpoints.items():
        if key in env:
            env[key] = value
    return env


def write_secrets(spec: FunctionSpec, folder: Path, values: dict[str, str]) -> list[str]:
    """Write exactly the secret files stack.yml gives `spec` (values from `values`); answer the names written.
    A secret stack.yml names but `values` lacks is left out (the function then fails as it would deployed)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in spec.secrets:
        if name in values:
            (folder / name).write_text(values[name] + "\n", encoding="utf-8")  # faas-cli files often end in \n
            written.append(name)
    return written
