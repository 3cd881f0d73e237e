"""The request body limit, enforced by the template's own Flask before the body is buffered.

The python3-http template's index.py builds `Event` with `request.get_data()`, so the whole body is in memory
before any handler code runs. At import of the handler module (`entrypoint`), `install` sets the request class
that every Flask app of the process uses (`Flask.request_class`, looked up per request, so it holds for the app
index.py creates whether before or after the import) to one with `max_content_length` = MAX_BODY_BYTES:
- a Content-Length over the limit is refused before one byte is read;
- a body without Content-Length (chunked) is read through Werkzeug's LimitedStream, which stops at the limit
  (waitress itself first spools a chunked body beyond 512 KiB to a temporary file, not to memory, and then
  passes its length);
and the refusal is a JSON 413 (`{"error": "body larger than N bytes"}`), not Werkzeug's HTML page.
The same way, the URL map class turns off Werkzeug's merge_slashes and strict_slashes, whose HTML 308 redirects
would otherwise answer a path like `//` before the handler (with them off, every path reaches the handler,
which answers JSON).
"""

from __future__ import annotations

import json
import os
from typing import Any

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
ENV = "MAX_BODY_BYTES"
_installed: dict[str, int] = {}


def limit() -> int:
    """MAX_BODY_BYTES from the function's environment (stack.yml), default 1 MiB."""
    raw = os.environ.get(ENV, "").strip()
    try:
        value = int(raw) if raw else DEFAULT_MAX_BODY_BYTES
    except ValueError:
        value = DEFAULT_MAX_BODY_BYTES
    return value if value > 0 else DEFAULT_MAX_BODY_BYTES


def too_large_body(max_bytes: int) -> dict[str, Any]:
    return {"error": f"body larger than {max_bytes} bytes", "max_body_bytes": max_bytes}


def install(max_bytes: int | None = None) -> int | None:
    """Make every Flask request of this process refuse bodies over `max_bytes` with a JSON 413.

    Returns the limit, or None where Flask is not installed (a runtime without the template)."""
    limit_bytes: int = limit() if max_bytes is None else max_bytes
    try:
        import flask
        from werkzeug.datastructures import ImmutableDict
        from werkzeug.exceptions import RequestEntityTooLarge
    except ImportError:  # pragma: no cover - every image of ours has the template's Flask
        return None

    class JSONTooLarge(RequestEntityTooLarge):
        def get_body(self, environ: Any = None, scope: Any = None) -> str:
            return json.dumps(too_large_body(limit_bytes))

        def get_headers(self, environ: Any = None, scope: Any = None) -> list[tuple[str, str]]:
            return [("Content-Type", "application/json")]

    class LimitedRequest(flask.Request):
        _max_content_length = limit_bytes  # what Flask >= 3.1's max_content_length reads first

        def get_data(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().get_data(*args, **kwargs)
            except RequestEntityTooLarge:
                raise JSONTooLarge() from None

    from werkzeug.routing import Map

    class HandlerMap(Map):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("merge_slashes", False)
            kwargs.setdefault("strict_slashes", False)
            super().__init__(*args, **kwargs)

    flask.Flask.request_class = LimitedRequest
    flask.Flask.url_map_class = HandlerMap
    # Older Flask reads the app's config only; apps created from now on start with the limit there too.
    flask.Flask.default_config = ImmutableDict({**flask.Flask.default_config, "MAX_CONTENT_LENGTH": limit_bytes})
    _installed["max_bytes"] = limit_bytes
    return limit_bytes


def installed_limit() -> int | None:
    return _installed.get("max_bytes")
