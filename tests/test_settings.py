"""Settings: a missing required setting names itself; secret files win over env vars."""

from __future__ import annotations

from pathlib import Path

import pytest

from pwcore.clients.erpnext import ERPNextSettings
from pwcore.clients.s3 import S3Settings
from pwcore.model.signatures import WebhookSettings
from pwcore.settings import ConfigError, load_settings


def test_missing_secret_names_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SECRETS_DIR", str(tmp_path))
    monkeypatch.setenv("ERPNEXT_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("ERPNEXT_API_KEY", "k")
    monkeypatch.delenv("ERPNEXT_API_SECRET", raising=False)
    with pytest.raises(ConfigError) as err:
        load_settings(ERPNextSettings)
    assert "ERPNEXT_API_SECRET" in str(err.value)
    assert "erpnext-api-secret" in str(err.value)
    assert "ERPNEXT_URL" not in str(err.value)


def test_secret_file_beats_env_and_is_stripped(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "webhook-secret").write_text("from-file\n")
    monkeypatch.setenv("SECRETS_DIR", str(tmp_path))
    monkeypatch.setenv("WEBHOOK_SECRET", "stale-env-value")
    assert load_settings(WebhookSettings).secret.get_secret_value() == "from-file"


def test_env_used_without_file_and_errors_hide_values(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SECRETS_DIR", str(tmp_path))
    monkeypatch.setenv("WEBHOOK_SECRET", "env-value")
    assert load_settings(WebhookSettings).secret.get_secret_value() == "env-value"
    monkeypatch.setenv("WEBHOOK_MAX_BODY_BYTES", "lots")
    with pytest.raises(ConfigError) as err:
        load_settings(WebhookSettings)
    assert "WEBHOOK_MAX_BODY_BYTES" in str(err.value)
    assert "env-value" not in str(err.value)


def test_underscore_file_name_works(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "s3_secret_key").write_text("abc123")
    monkeypatch.setenv("SECRETS_DIR", str(tmp_path))
    monkeypatch.setenv("S3_ENDPOINT", "127.0.0.1:9")
    monkeypatch.setenv("S3_ACCESS_KEY", "ak")
    assert load_settings(S3Settings).secret_key.get_secret_value() == "abc123"
