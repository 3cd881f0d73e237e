"""What the ERPNext stand-in tests share: the Administrator's token, Frappe's message list, the wait for the
webhook queue, and a webhook receiver (a unique module name: no clash with the conftests)."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

ADMIN = {"Authorization": "token dev-key:dev-secret"}


def msgs(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [json.loads(m) for m in json.loads(body["_server_messages"])]


def wait_quiet(c: httpx.Client, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if c.get("/_standin/webhooks/pending").json()["pending"] == 0:
            return
        time.sleep(0.02)
    raise AssertionError("webhook queue did not drain")


class Receiver:
    """A webhook receiver: records raw requests, answers from a script of statuses/delays (200 when empty)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: list[tuple[int, float]] = []
        self.lock = threading.Lock()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def app(self, environ: dict[str, Any], start_response: Any) -> Any:
        req = Request(environ)
        with self.lock:
            self.requests.append(
                {
                    "t": time.monotonic(),
                    "path": req.path,
                    "method": req.method,
                    "headers": dict(req.headers),
                    "body": req.get_data(),
                }
            )
            status, delay = self.script.pop(0) if self.script else (200, 0.0)
        if delay:
            time.sleep(delay)
        return Response("ok" if status < 400 else "boom", status=status)(environ, start_response)

    def reset(self, script: list[tuple[int, float]] | None = None) -> None:
        with self.lock:
            self.requests.clear()
            self.script = list(script or [])

    @property
    def paths(self) -> list[str]:
        with self.lock:
            return [r["path"] for r in self.requests]

    @property
    def bodies(self) -> list[bytes]:
        with self.lock:
            return [r["body"] for r in self.requests]
