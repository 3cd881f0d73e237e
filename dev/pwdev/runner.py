"""Serve ONE function folder exactly the way the OpenFaaS python3-http template's index.py does.

Contract part A: one Flask view on `/` and `/<path:path>` for GET, PUT, POST, PATCH, DELETE; Event (raw bytes
body, headers, method, query, path) and Context (hostname); the folder is imported as the package `function`;
the return value is formatted by format_response / format_body / format_headers (copied in behaviour from
the template, including the python3-http-debian `Content-type: application/octet-stream` branch). As in
index.py, the handler is imported before the Flask app is created and `Event` reads `request.get_data()`, so a
body limit the handler module installs on Flask's request class (pwcore.runtime.body_limit) applies here exactly
as in the image: a JSON 413 before the body is buffered, chunked bodies cut at the limit.

In front of the Flask app sits a thin WSGI layer that plays of-watchdog: `/_/health`,
`/_/ready`, `max_inflight` -> 429, `exec_timeout` -> 504 (the handler keeps running in the background, as it
does behind the real watchdog), `X-Duration-Seconds`. The handler itself runs on a pool of 4 threads, which
is what waitress' default `threads=4` gives the template; the front server has more threads so the
watchdog layer can count and refuse requests the way the real one (a Go server) does.

    python -m pwdev.runner functions/<name> --port N [--template python3-http-debian]
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import re
import signal
import sys
import threading
import time
import types
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, request

TEMPLATES = ("python3-http", "python3-http-debian")
HANDLER_THREADS = 4  # waitress' default, which the template's serve(app, ...) uses
PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SHARED = PROJECT_ROOT / "shared"

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(value: str | float | int | None) -> float | None:
    """of-watchdog's rule: an integer means seconds, anything else is a Go duration ("10m", "1m30s")."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    text = value.strip()
    if not text:
        return None
    if re.fullmatch(r"\d+", text):
        return float(text)
    pos, total = 0, 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(text) or pos == 0:
        raise ValueError(f"not a duration: {value!r}")
    return total


# --- the template's index.py, in behaviour --------------------------------------------------------


class Event:
    def __init__(self) -> None:
        self.body = request.get_data()
        self.headers = request.headers
        self.method = request.method
        self.query = request.args
        self.path = request.path


class Context:
    def __init__(self) -> None:
        self.hostname = os.getenv("HOSTNAME", "localhost")


def format_status_code(resp: dict[str, Any]) -> Any:
    if "statusCode" in resp:
        return resp["statusCode"]
    return 200


def format_body(resp: dict[str, Any]) -> Any:
    if "body" not in resp:
        return ""
    elif type(resp["body"]) == dict:  # noqa: E721 - the template compares exact types
        return jsonify(resp["body"])
    else:
        return str(resp["body"])


def format_body_debian(resp: dict[str, Any], content_type: str) -> Any:
    if content_type == "application/octet-stream":
        return resp["body"]
    return format_body(resp)


def format_headers(resp: dict[str, Any]) -> Any:
    if "headers" not in resp:
        return []
    elif type(resp["headers"]) == dict:  # noqa: E721
        return list(resp["headers"].items())
    return resp["headers"]


def get_content_type_debian(resp: dict[str, Any]) -> str:
    content_type = ""
    if "headers" in resp:
        # A list of pairs has no .get(): an AttributeError, i.e. a 500, exactly like the debian template.
        content_type = resp["headers"].get("Content-type", "")
    return content_type


def format_response(resp: Any, template: str = "python3-http") -> Any:
    if resp == None:  # noqa: E711 - the template uses ==, which a custom __eq__ could influence
        return ("", 200)
    if type(resp) is dict:
        status = format_status_code(resp)
        if template == "python3-http-debian":
            body = format_body_debian(resp, get_content_type_debian(resp))
        else:
            body = format_body(resp)
        return (body, status, format_headers(resp))
    return resp


def load_handler(folder: Path, shared: Path | None = DEFAULT_SHARED) -> types.ModuleType:
    """Import `<folder>/handler.py` as `function.handler`, the folder being the package `function`."""
    folder = folder.resolve()
    if not (folder / "handler.py").is_file():
        raise FileNotFoundError(f"{folder}/handler.py not found")
    # In the image ./shared is copied to function/shared and the handler puts it on sys.path; locally the
    # project's shared/ plays that part.
    if shared is not None and shared.is_dir() and str(shared) not in sys.path:
        sys.path.insert(0, str(shared))
    for name in [m for m in sys.modules if m == "function" or m.startswith("function.")]:
        del sys.modules[name]
    init = folder / "__init__.py"
    if init.is_file():
        spec = importlib.util.spec_from_file_location("function", init, submodule_search_locations=[str(folder)])
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {init}")
        package = importlib.util.module_from_spec(spec)
        sys.modules["function"] = package
        spec.loader.exec_module(package)
    else:
        # The Dockerfile does `touch function/__init__.py`: an empty package.
        package = types.ModuleType("function")
        package.__path__ = [str(folder)]
        package.__file__ = str(init)
        sys.modules["function"] = package
    return importlib.import_module("function.handler")


def create_app(handler: types.ModuleType, template: str = "python3-http") -> Flask:
    if template not in TEMPLATES:
        raise ValueError(f"unknown template {template!r}; expected one of {TEMPLATES}")
    app = Flask("index")
    methods = ["GET", "PUT", "POST", "PATCH", "DELETE"]

    def call_handler(path: str) -> Any:
        event = Event()
        context = Context()
        response_data = handler.handle(event, context)
        return format_response(response_data, template)

    app.add_url_rule("/", "call_handler", call_handler, defaults={"path": ""}, methods=methods)
    app.add_url_rule("/<path:path>", "call_handler", call_handler, methods=methods)
    return app


# --- the watchdog-like layer ----------------------------------------------------------------------


def _plain(start_response: StartResponse, status: str, text: str, extra: list[tuple[str, str]]) -> list[bytes]:
    body = text.encode()
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))), *extra]
    start_response(status, headers)
    return [body]


class Watchdog:
    """WSGI middleware with of-watchdog's own answers: health, 429 over max_inflight, 504 on exec_timeout."""

    def __init__(
        self,
        app: WSGIApp,
        *,
        exec_timeout: float | None = 30.0,
        max_inflight: int = 0,
        handler_threads: int = HANDLER_THREADS,
    ) -> None:
        self.app = app
        self.exec_timeout = exec_timeout if exec_timeout and exec_timeout > 0 else None
        self.max_inflight = max_inflight
        self._pool = ThreadPoolExecutor(max_workers=handler_threads, thread_name_prefix="handler")
        self._lock = threading.Lock()
        self.inflight = 0

    def _run(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
        captured: dict[str, Any] = {}
        chunks: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"], captured["headers"] = status, headers
            return chunks.append

        result = self.app(environ, start_response)
        try:
            for chunk in result:
                chunks.append(chunk)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return captured["status"], list(captured["headers"]), b"".join(chunks)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/_/health":
            return _plain(start_response, "200 OK", "OK", [])
        if path == "/_/ready":
            if self.max_inflight and self.inflight >= self.max_inflight:
                return _plain(start_response, "429 Too Many Requests", "Concurrent request limit exceeded.", [])
            return _plain(start_response, "200 OK", "OK", [])
        with self._lock:
            if self.max_inflight and self.inflight >= self.max_inflight:
                return _plain(
                    start_response,
                    "429 Too Many Requests",
                    f"Concurrent request limit exceeded. Max concurrent requests: {self.max_inflight}",
                    [("X-OpenFaaS-Internal", "faas-middleware")],
                )
            self.inflight += 1
        started = time.monotonic()
        try:
            timeout = self.exec_timeout
            shorter = environ.get("HTTP_X_TIMEOUT")
            if shorter:
                try:
                    asked = parse_duration(shorter)
                except ValueError:
                    asked = None
                if asked and (timeout is None or asked < timeout):
                    timeout = asked  # X-Timeout may only shorten exec_timeout
            future = self._pool.submit(self._run, environ)
            try:
                status, headers, body = future.result(timeout=timeout)
            except FutureTimeout:
                return _plain(
                    start_response,
                    "504 Gateway Timeout",
                    f"Function exceeded exec_timeout of {timeout}s",
                    [("X-OpenFaaS-Internal", "of-watchdog")],
                )
        finally:
            with self._lock:
                self.inflight -= 1
        given_length = [v for k, v in headers if k.lower() == "content-length"]
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        if environ.get("REQUEST_METHOD") == "HEAD" and given_length:
            # Werkzeug answers HEAD through the handler and keeps the GET's Content-Length with no body, as
            # the template's waitress sends it.
            headers.append(("Content-Length", given_length[0]))
        else:
            headers.append(("Content-Length", str(len(body))))
        headers.append(("X-Duration-Seconds", f"{time.monotonic() - started:.6f}"))
        start_response(status, headers)
        return [body]


def build(
    folder: Path,
    *,
    template: str = "python3-http",
    exec_timeout: float | None = 30.0,
    max_inflight: int = 0,
    shared: Path | None = DEFAULT_SHARED,
) -> Watchdog:
    handler = load_handler(folder, shared)
    return Watchdog(create_app(handler, template), exec_timeout=exec_timeout, max_inflight=max_inflight)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pwdev.runner", description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="functions/<name>")
    parser.add_argument("--port", type=int, default=int(os.environ.get("port", "8080")))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--template", choices=TEMPLATES, default="python3-http")
    parser.add_argument(
        "--exec-timeout", default=os.environ.get("exec_timeout", "30s"), help="0 disables (watchdog default 30s)"
    )
    parser.add_argument("--max-inflight", type=int, default=int(os.environ.get("max_inflight", "0") or 0))
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--ready-file", type=Path, help="write the bound port here once listening")
    args = parser.parse_args(argv)

    from waitress import create_server

    app = build(
        args.folder,
        template=args.template,
        exec_timeout=parse_duration(args.exec_timeout),
        max_inflight=args.max_inflight,
        shared=args.shared,
    )
    # Front threads only wait on the handler pool; enough of them that max_inflight can be reached.
    front_threads = max(16, args.max_inflight + HANDLER_THREADS)
    server: Any = create_server(app, host=args.host, port=args.port, threads=front_threads, ident="pwdev-runner")
    port = int(server.effective_port)
    if args.ready_file:
        tmp = args.ready_file.with_suffix(".tmp")
        tmp.write_text(str(port))
        tmp.replace(args.ready_file)
    print(f"pwdev.runner: {args.folder} listening on http://{args.host}:{port}", file=sys.stderr, flush=True)

    def _terminate(signum: int, frame: Any) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _terminate)
    try:
        server.run()
    finally:
        server.close()


if __name__ == "__main__":
    main()
