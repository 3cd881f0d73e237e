"""Ollama's HTTP API through the ollama client: one generation call with streaming, timeouts, errors mapped."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from pwcore.settings import Settings


class OllamaSettings(Settings):
    model_config = SettingsConfigDict(env_prefix="OLLAMA_")
    host: str = "http://127.0.0.1:11434"
    model: str = "qwen2.5:7b"
    concurrency: int = 2
    section_timeout_s: float = 180.0
    retries: int = 3


