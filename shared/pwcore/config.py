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
from typing import Any, Literal, TypeVar

from pydantic import Field, SecretStr, ValidationError
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


class _Base(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

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


class ERPNextSettings(_Base):
    model_config = SettingsConfigDict(env_prefix="ERPNEXT_")
    url: str
    api_key: SecretStr
    api_secret: SecretStr
    timeout_s: float = 10.0
    retries: int = 4
    timezone: str = "America/Chicago"


class S3Settings(_Base):
    model_config = SettingsConfigDict(env_prefix="S3_")
    endpoint: str = Field(description="host:port of MinIO / S3")
    access_key: SecretStr
    secret_key: SecretStr
    bucket: str = "performancewest"
    region: str = "us-east-1"
    secure: bool = False


class WebhookSettings(_Base):
    model_config = SettingsConfigDict(env_prefix="WEBHOOK_")
    secret: SecretStr
    max_body_bytes: int = 64 * 1024


class DispatchSettings(_Base):
    model_config = SettingsConfigDict(env_prefix="DISPATCH_")
    mode: Literal["openfaas", "cloudevents", "local"] = "openfaas"
    gateway_url: str = "http://gateway.openfaas:8080"
    broker_url: str = ""
    timeout_s: float = 5.0


class PipelineSettings(_Base):
    """Behaviour knobs shared by several functions."""

    model_config = SettingsConfigDict(env_prefix="PIPELINE_")
    on_payment_budget_s: float = 2.0  # well inside Frappe's 5 s webhook timeout
    generation_lease_s: int = 900  # longer than the slowest generation
    soffice_timeout_s: float = 120.0
    unoserver_port: int = 0  # 0: a free port, picked per process (one warm LibreOffice per function process)
    unoserver_uno_port: int = 0


class OllamaSettings(_Base):
    model_config = SettingsConfigDict(env_prefix="OLLAMA_")
    host: str = "http://127.0.0.1:11434"
    model: str = "qwen2.5:7b"
    concurrency: int = 2
    section_timeout_s: float = 180.0
    retries: int = 3


class SMTPSettings(_Base):
    model_config = SettingsConfigDict(env_prefix="SMTP_")
    host: str
    port: int = 587
    security: Literal["starttls", "tls", "none"] = "starttls"
    user: str = ""
    password: SecretStr = SecretStr("")
    sender: str = "Performance West <documents@performancewest.net>"
    reply_to: str = "support@performancewest.net"
    timeout_s: float = 20.0
    max_attachments_bytes: int = 10 * 1024 * 1024
    portal_url: str = "https://performancewest.net/account/orders"


S = TypeVar("S", bound=BaseSettings)


def load(cls: type[S], **overrides: Any) -> S:
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
