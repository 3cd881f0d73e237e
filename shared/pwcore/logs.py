"""Structured JSON logs (structlog) on stderr, with a redaction step that runs on every event.

Bind `order=` and `call_id=` with `bind_context(...)` so every line of a step carries them. Redaction drops
values of keys that name secrets and masks SSN/EIN-shaped numbers and long token-like strings wherever they
appear, including inside exception text.
"""

from __future__ import annotations

import logging as std_logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

SECRET_KEY_PATTERN = re.compile(
    r"(secret|password|passwd|token|api_key|apikey|authorization|signature|id_value|ssn|ein|itin|private)",
    re.IGNORECASE,
)
SSN_PATTERN = re.compile(r"(?<!\d)\d{3}-?\d{2}-?\d{4}(?!\d)")
EIN_PATTERN = re.compile(r"(?<!\d)\d{2}-\d{7}(?!\d)")
# "token key:secret" / "Bearer xyz" credentials inside free text.
AUTH_PATTERN = re.compile(r"(?i)\b(token|bearer|basic)\s+[A-Za-z0-9._~+/=:-]{8,}")
REDACTED = "[REDACTED]"

_secret_values: set[str] = set()


def register_secret(value: str) -> None:
    """Known secret values (API secrets, webhook keys) are masked wherever they show up in a log line."""
    if value and len(value) >= 6:
        _secret_values.add(value)


def redact_text(text: str) -> str:
    for secret in _secret_values:
        if secret in text:
            text = text.replace(secret, REDACTED)
    text = AUTH_PATTERN.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = EIN_PATTERN.sub(REDACTED, text)
    return SSN_PATTERN.sub(REDACTED, text)


def _redact_value(key: str, value: Any) -> Any:
    if SECRET_KEY_PATTERN.search(key) and key not in {"event"}:
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {str(k): _redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_redact_value(key, v) for v in value]
    if isinstance(value, int | float | bool) or value is None:
        return value
    return redact_text(str(value))


def redact_processor(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> dict[str, Any]:
    return {key: (redact_text(v) if key == "event" and isinstance(v, str) else _redact_value(key, v))
            for key, v in event_dict.items()}


_configured = False


def configure(level: str = "INFO") -> None:
    """Idempotent: every function calls it at import."""
    global _configured
    if _configured:
        return
    std_logging.basicConfig(stream=sys.stderr, level=level, format="%(message)s")
    # Libraries log every request at INFO (with URLs that may carry names); our own events say what matters.
    for noisy in ("httpx", "httpcore", "urllib3", "werkzeug", "mail.log", "waitress"):
        std_logging.getLogger(noisy).setLevel(std_logging.WARNING)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redact_processor,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(std_logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    _configured = True


def get_logger(name: str = "pw") -> Any:
    configure()
    return structlog.get_logger(name)


def bind_context(**values: Any) -> None:
    structlog.contextvars.bind_contextvars(**values)


def clear_context() -> None:
    structlog.contextvars.clear_contextvars()
