"""Ollama's HTTP API through the ollama client: one generation call with streaming, timeouts, errors mapped."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from pwcore.settings import Settings

DEFAULT_MAX_CTX = 16384


class OllamaSettings(Settings):
    model_config = SettingsConfigDict(env_prefix="OLLAMA_")
    host: str = "http://127.0.0.1:11434"
    model: str = "qwen2.5:7b"
    concurrency: int = 2
    section_timeout_s: float = 180.0
    retries: int = 3
    # How long the server keeps the model loaded after a call: a compliance order makes several calls in a
    # row, and reloading a 7B model costs seconds each time (Ollama's own default is 5m).
    keep_alive: str = "30m"
    # The largest context window a section may ask for. num_ctx is sized per prompt up to this; the server's
    # memory grows with it (times OLLAMA_NUM_PARALLEL on the server), so it is a deployment choice.
    max_ctx: int = Field(default=DEFAULT_MAX_CTX, ge=2048, le=131072)


