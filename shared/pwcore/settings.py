"""Settings from environment variables and OpenFaaS secret files (pydantic-settings).

Each outside system has its own settings class, so a function only requires what it uses. Secret files
(`/var/openfaas/secrets/<name>`, overridable with SECRETS_DIR) win over environment variables naming the
same setting: a stale env var left in a deployment must not override a rotated secret. A file may be named
after the field (`erpnext_api_secret`) or in the OpenFaaS dash style (`erpnext-api-secret`); its trailing
newline is stripped. A missing required setting raises `ConfigError` naming the variable and the file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from pydantic import Field, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

DEFAULT_SECRETS_DIR = "/var/openfaas/secrets"


class ConfigError(RuntimeError):
    """A required setting is missing or invalid. The message names it; it never holds a value."""


class _SecretFilesSource(PydanticBaseSettingsSource):
    """Reads one file per setting from the secrets folder, trying `name` and `name-with-dashes`."""

    def __init__(self, settings_cls: type[BaseSettings], secrets_dir: Path) -> None:
        super().__init__(settings_cls)
        self.secrets_dir = secrets_dir

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        prefix = str(self.settings_cls.model_config.get("env_prefix", "")).lower()
        full = f"{prefix}{field_name}"
        for candidate in (full, full.replace("_", "-"), full.upper()):
            path = self.secrets_dir / candidate
            if path.is_file():
                return path.read_text(encoding="utf-8").strip(), field_name, False
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if not self.secrets_dir.is_dir():
            return values
        for name, field in self.settings_cls.model_fields.items():
            value, key, _ = self.get_field_value(field, name)
            if value is not None:
                values[key] = value
        return values


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)
    # True for settings a function may run without (its code catches ConfigError and answers a clear refusal).
    optional_in_deployment: ClassVar[bool] = False

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        secrets_dir = Path(os.environ.get("SECRETS_DIR", DEFAULT_SECRETS_DIR))
        # Order = priority: explicit init args, then secret files, then the environment.
        return (init_settings, _SecretFilesSource(settings_cls, secrets_dir), env_settings)


S = TypeVar("S", bound=BaseSettings)

DEPLOYED = "deployed"  # json_schema_extra key: the deployment must give this setting though code has a default


def deployed(default: Any) -> Any:
    """A field with a default for tests and tools, which a deployed function cannot work without (the
    per-function settings test then requires stack.yml to give it, like a field without a default)."""
    return Field(default, json_schema_extra={DEPLOYED: True})


def required_in_deployment(cls: type[BaseSettings]) -> dict[str, tuple[str, str]]:
    """field -> (environment variable, secret file) for the fields a deployment must give `cls`."""
    if getattr(cls, "optional_in_deployment", False):
        return {}
    prefix = str(cls.model_config.get("env_prefix", ""))
    out = {}
    for name, info in cls.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if info.is_required() or extra.get(DEPLOYED):
            out[name] = (f"{prefix}{name}".upper(), f"{prefix}{name}".lower().replace("_", "-"))
    return out


def load_settings(cls: type[S], **overrides: Any) -> S:
    """Build a settings object, turning pydantic's error into one that names the variable and file."""
    try:
        return cls(**overrides)
    except ValidationError as exc:
        prefix = str(cls.model_config.get("env_prefix", ""))
        problems = []
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else "?"
            env = f"{prefix}{field}".upper()
            secret_file = f"{prefix}{field}".lower().replace("_", "-")
            what = "missing" if err["type"] == "missing" else f"invalid ({err['msg']})"
            problems.append(f"{env} {what}: set the environment variable or the secret file {secret_file}")
        raise ConfigError("; ".join(problems)) from None
