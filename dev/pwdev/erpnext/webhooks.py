"""Webhook sender with Frappe v15 semantics (Frappe's webhook.py enqueue_webhook, log_request)."""

from __future__ import annotations

import base64
import collections
import hashlib
import hmac
import json
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from jinja2 import DebugUndefined
from jinja2.sandbox import SandboxedEnvironment

from .conditions import UTILS
from .errors import throw
from .store import Trigger

SIGNATURE_HEADER = "X-Frappe-Webhook-Signature"
_jenv = SandboxedEnvironment(undefined=DebugUndefined)


def validate_template(template: str) -> None:
    if ".__" in template:
        raise throw("ValidationError", "Illegal template")
    try:
        _jenv.from_string(template)
    except Exception as e:
        raise throw("ValidationError", f"Invalid Jinja template: {e}") from None


def render(template: str, context: dict[str, Any]) -> str:
    if ".__" in template:
        raise ValueError("Illegal template")
    return _jenv.from_string(template).render(**context)


def get_webhook_data(doc: dict[str, Any], webhook: dict[str, Any]) -> Any:
    rows = webhook.get("webhook_data") or []
    if rows:
        return {r["key"]: doc.get(r["fieldname"]) for r in rows}
    if webhook.get("webhook_json"):
        return json.loads(render(str(webhook["webhook_json"]), {"doc": doc, "utils": UTILS}))
    return {}


def sign(secret: str, data: Any) -> str:
    # Frappe signs json.dumps(data) (no default=str); equal to the sent body for JSON-native payloads.
    digest = hmac.new(secret.encode("utf8"), json.dumps(data).encode("utf8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def as_json(obj: Any) -> str:
    """frappe.as_json: indent 1, sorted keys."""
    return json.dumps(obj, indent=1, sort_keys=True, default=str, separators=(",", ": "))


@dataclass
class Job:
    webhook: dict[str, Any]
    doc: dict[str, Any]
    user: str


LogFn = Callable[[dict[str, Any]], None]


class WebhookSender:
    def __init__(self, log: LogFn, *, workers: int = 4, retry_sleep_scale: float = 1.0) -> None:
        self._log = log
        self.retry_sleep_scale = retry_sleep_scale
        self._queue: collections.deque[Job] = collections.deque()
        self._cv = threading.Condition()
        self._paused = False
        self._drop_next = 0
        self._in_flight = 0
        self._stopping = False
        self.sent = 0
        self._threads = [threading.Thread(target=self._worker, name=f"erpnext-webhook-{i}", daemon=True)
                         for i in range(workers)]
        for t in self._threads:
            t.start()

    # ---- control ------------------------------------------------------------------------------------
    def enqueue(self, triggers: list[Trigger]) -> None:
        # Flush dedup: one job per (webhook, doc name), the last state, in first-queued order.
        uniq: dict[tuple[str, str], Trigger] = {}
        for t in triggers:
            uniq[(str(t.webhook["name"]), str(t.doc.get("name")))] = t
        with self._cv:
            for t in uniq.values():
                self._queue.append(Job(webhook=t.webhook, doc=t.doc, user=t.user))
            self._cv.notify_all()

    def pause(self) -> None:
        """Workers down: jobs stay queued (a delay, never a loss); loss is only 3 failed attempts."""
        with self._cv:
            self._paused = True

    def resume(self) -> None:
        with self._cv:
            self._paused = False
            self._cv.notify_all()

    def drop_next(self, count: int) -> None:
        with self._cv:
            self._drop_next = max(0, count)

    def state(self) -> dict[str, Any]:
        with self._cv:
            return {"queued": len(self._queue), "in_flight": self._in_flight,
                    "pending": len(self._queue) + self._in_flight, "paused": self._paused,
                    "drop_next": self._drop_next, "sent": self.sent}

    def stop(self) -> None:
        with self._cv:
            self._stopping = True
            self._cv.notify_all()
        for t in self._threads:
            t.join(timeout=2)

    # ---- worker ------------------------------------------------------------------------------------
    def _worker(self) -> None:
        client = httpx.Client(headers={"User-Agent": "python-requests/2.32.3", "Accept": "*/*"},
                              follow_redirects=True)
        try:
            while True:
                with self._cv:
                    while not self._stopping and (self._paused or not self._queue):
                        self._cv.wait()
                    if self._stopping:
                        return
                    job = self._queue.popleft()
                    drop = self._drop_next > 0
                    if drop:
                        self._drop_next -= 1
                    self._in_flight += 1
                try:
                    self._deliver(client, job, drop)
                except Exception:
                    traceback.print_exc()
                finally:
                    with self._cv:
                        self._in_flight -= 1
                        self._cv.notify_all()
        finally:
            client.close()

    def _write_log(self, job: Job, url: str, headers: dict[str, Any] | None, data: Any,
                   response: str | None, error: str) -> None:
        log_headers: dict[str, Any] | None = None
        if headers:
            # Frappe's header value is bytes; frappe.as_json logs it as a list of ints.
            log_headers = {k: (list(v.encode()) if k == SIGNATURE_HEADER else v) for k, v in headers.items()}
        self._log({"webhook": job.webhook["name"], "reference_document": job.doc.get("name"), "user": job.user,
                   "url": url, "headers": as_json(log_headers) if log_headers else None,
                   "data": as_json(data) if data else None, "response": response, "error": error})

    def _deliver(self, client: httpx.Client, job: Job, drop: bool) -> None:
        w, doc = job.webhook, job.doc
        url = str(w.get("request_url") or "")
        headers: dict[str, str] = {}
        data: Any = None
        try:
            if w.get("is_dynamic_url"):
                url = render(url, {"doc": doc})
            data = get_webhook_data(doc, w)
            if w.get("enable_security"):
                headers[SIGNATURE_HEADER] = sign(str(w.get("webhook_secret") or ""), data)
            for h in w.get("webhook_headers") or []:
                if h.get("key") and h.get("value"):
                    headers[str(h["key"])] = str(h["value"])
            body = json.dumps(data, default=str)
        except Exception:
            # Frappe logs once and sends nothing (no retry) when the body/headers cannot be built.
            self._write_log(job, url, headers, data, None, traceback.format_exc())
            return
        timeout = float(w.get("timeout") or 5)
        method = str(w.get("request_method") or "POST")
        for i in range(3):
            resp: httpx.Response | None = None
            try:
                if drop:
                    raise httpx.ConnectError(f"simulated drop (drop_next): {url} unreachable")
                resp = client.request(method, url, content=body.encode(), headers=headers,
                                      timeout=httpx.Timeout(timeout))
                resp.raise_for_status()
                self._write_log(job, url, headers, data, resp.text, "")
                with self._cv:
                    self.sent += 1
                return
            except httpx.ReadTimeout:
                self._write_log(job, url, headers, data, None, traceback.format_exc())
            except Exception:
                self._write_log(job, url, headers, data, resp.text if resp is not None else None,
                                traceback.format_exc())
                time.sleep((3 * i + 1) * self.retry_sleep_scale)
