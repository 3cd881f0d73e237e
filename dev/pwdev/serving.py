"""A stand-in's WSGI app served over HTTP: a threaded werkzeug server on a daemon thread, with keep-alive (HTTP/1.1,
as from the reverse proxy in front of the real service) and without a line per request."""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class _Quiet(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return


class Serving:
    """`app` on host:port (port 0: a free one) from start() to stop(). `daemon_threads`: stop() does not wait for
    the requests still being answered."""

    def __init__(self, app: Any, name: str, *, daemon_threads: bool = False) -> None:
        self.app = app
        self.name = name
        self.daemon_threads = daemon_threads
        self.thread: threading.Thread | None = None
        self._server: BaseWSGIServer | None = None

    def start(self, host: str, port: int) -> str:
        """Starts serving; the base URL."""
        self._server = make_server(host, port, self.app, threaded=True, request_handler=_Quiet)
        self._server.daemon_threads = self.daemon_threads  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self._server.serve_forever, name=self.name, daemon=True)
        self.thread.start()
        return f"http://{host}:{self._server.server_port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
