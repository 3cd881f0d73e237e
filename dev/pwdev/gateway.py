"""A local stand-in for the OpenFaaS gateway, queue-worker and cron-connector.

- `/function/<name>[/<rest>]`: any of GET POST PUT PATCH DELETE OPTIONS HEAD is proxied to the function's
  runner at path `/<rest>` with the query string and headers, plus X-Call-Id (a new UUID unless given),
  X-Start-Time, X-Forwarded-For, X-Forwarded-Host. `<name>.<namespace>` (what cron-connector calls) is
  accepted. Unknown or unreachable function: 503 JSON with `X-OpenFaaS-Internal: proxy`.
- `/async-function/<name>[/<rest>]`: POST only (else 405). 202, empty body, X-Call-Id; the request is queued
  and a pool of workers later POSTs it to `/function/<name><rest>?<qs>` through this gateway with the same
  headers and `User-Agent: openfaas-ce/nats-queue-worker`. Retry mode "ce" (default): one attempt, like
  the CE queue-worker. Mode "pro": retries on 429,502,500,504,408 (and on X-OpenFaaS-Internal errors and
  connection errors) with exponential back-off, honouring Retry-After. X-Callback-Url gets the result.
  The queue is bounded (CE's is in-memory too): when full the caller gets 429 JSON, so it can record the
  failure and let reconcile pick the order up. A retrying message holds its worker while it waits.
- Named queues: a function registered with the annotation `com.openfaas.queue: <queue>` has its async calls
  published to that queue instead of the default `faas-request`, and only that queue's workers (`queues=`,
  one pool per queue with its own concurrency, like one queue-worker Deployment per NATS channel) invoke them.
  A named queue nobody serves keeps its messages pending, as a NATS channel without a subscriber does.
- `GET /system/queue[?name=<queue>]` (pending/inflight/done counts, or one queue's), `GET /system/functions`,
  `GET /healthz`.
- Cron: `--cron name=expr` (5 fields, UTC, robfig/cron semantics, @hourly/@every too) and
  `--cron-every name=seconds`; each tick POSTs an empty body to `/function/<name>.<namespace>` with
  `X-Topic: cron-function` and `X-Connector: cron-connector` (async with --cron-async). Runs may overlap,
  as they do with the real connector.

    python -m pwdev.gateway --port 8080 --function on-payment=http://127.0.0.1:5001 --cron reconcile='*/5 * * * *'
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import json
import queue
import re
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from pwdev.procs import run_until_interrupted
from pwdev.runner import parse_duration

HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "trailers",
    "transfer-encoding", "upgrade", "host", "content-length",
}  # fmt: skip
# Not copied back: recomputed by this server, or already decoded by httpx.
RESPONSE_SKIP = HOP_BY_HOP | {"content-encoding", "date", "server"}
SYNC_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"}
PRO_RETRY_CODES = (429, 502, 500, 504, 408)
QUEUE_WORKER_UA = "openfaas-ce/nats-queue-worker"
CRON_UA = "Go-http-client/1.1"
DEFAULT_QUEUE = "faas-request"  # the gateway's and the default queue-worker's faas_nats_channel
QUEUE_ANNOTATION = "com.openfaas.queue"
SERVED_BY = "openfaas-ce/pwdev"


# --- cron expressions (robfig/cron v3 standard parser: 5 fields, descriptors, @every) -------------

_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_abbr) if m}
_DAYS = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
_NO_NAMES: dict[str, int] = {}
_FIELDS = ((0, 59, _NO_NAMES), (0, 23, _NO_NAMES), (1, 31, _NO_NAMES), (1, 12, _MONTHS), (0, 6, _DAYS))
_DESCRIPTORS = {
    "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}  # fmt: skip


class CronError(ValueError):
    pass


def _value(text: str, lo: int, hi: int, names: Mapping[str, int]) -> int:
    if text.lower() in names:
        return names[text.lower()]
    if not text.isdigit():
        raise CronError(f"bad value {text!r}")
    number = int(text)
    if not lo <= number <= hi:
        raise CronError(f"{number} out of range {lo}-{hi}")
    return number


def _parse_field(text: str, lo: int, hi: int, names: Mapping[str, int]) -> tuple[set[int], bool]:
    """Returns the allowed values and robfig's "star bit" (a bare `*`/`?` with step 1)."""
    values: set[int] = set()
    star = False
    for part in text.split(","):
        range_part, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise CronError(f"bad step in {part!r}")
            step = int(step_text)
        if range_part in ("*", "?"):
            start, end = lo, hi
            star = star or step == 1
        else:
            low, dash, high = range_part.partition("-")
            start = _value(low, lo, hi, names)
            end = _value(high, lo, hi, names) if dash else (hi if step_text else start)
            if start > end:
                raise CronError(f"bad range {part!r}")
        values.update(range(start, end + 1, step))
    return values, star


@dataclass(frozen=True)
class CronSchedule:
    expr: str
    minutes: frozenset[int] = frozenset()
    hours: frozenset[int] = frozenset()
    doms: frozenset[int] = frozenset()
    months: frozenset[int] = frozenset()
    dows: frozenset[int] = frozenset()
    dom_star: bool = False
    dow_star: bool = False
    every: float | None = None  # seconds, for "@every <duration>"

    @classmethod
    def parse(cls, expr: str) -> CronSchedule:
        text = expr.strip()
        if text.startswith("@every "):
            seconds = parse_duration(text[len("@every ") :])
            if not seconds or seconds <= 0:
                raise CronError(f"bad @every in {expr!r}")
            return cls(expr=expr, every=seconds)
        text = _DESCRIPTORS.get(text, text)
        if text.startswith("@"):
            raise CronError(f"unknown descriptor {expr!r}")
        parts = text.split()
        if len(parts) != 5:
            raise CronError(f"expected 5 fields (no seconds), got {len(parts)}: {expr!r}")
        parsed = [_parse_field(p, lo, hi, names) for p, (lo, hi, names) in zip(parts, _FIELDS, strict=True)]
        return cls(
            expr=expr,
            minutes=frozenset(parsed[0][0]),
            hours=frozenset(parsed[1][0]),
            doms=frozenset(parsed[2][0]),
            months=frozenset(parsed[3][0]),
            dows=frozenset(parsed[4][0]),
            dom_star=parsed[2][1],
            dow_star=parsed[4][1],
        )

    def _day_matches(self, when: dt.datetime) -> bool:
        dom = when.day in self.doms
        dow = (when.isoweekday() % 7) in self.dows
        if self.dom_star or self.dow_star:
            return dom and dow
        return dom or dow  # both restricted: either may match (robfig, like Vixie cron)

    def matches(self, when: dt.datetime) -> bool:
        return (
            when.minute in self.minutes
            and when.hour in self.hours
            and when.month in self.months
            and self._day_matches(when)
        )

    def next_after(self, when: dt.datetime) -> dt.datetime:
        """The first matching minute strictly after `when` (naive = UTC)."""
        if self.every is not None:
            return when + dt.timedelta(seconds=self.every)
        t = when.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        limit = t + dt.timedelta(days=5 * 366)
        while t < limit:
            if t.month not in self.months:
                t = (t.replace(day=1, hour=0, minute=0) + dt.timedelta(days=32)).replace(day=1)
            elif not self._day_matches(t):
                t = t.replace(hour=0, minute=0) + dt.timedelta(days=1)
            elif t.hour not in self.hours:
                t = t.replace(minute=0) + dt.timedelta(hours=1)
            elif t.minute not in self.minutes:
                t += dt.timedelta(minutes=1)
            else:
                return t
        raise CronError(f"{self.expr!r} never fires")


# --- the gateway ------------------------------------------------------------------------------------


@dataclass
class AsyncRequest:
    call_id: str
    function: str
    path: str
    query_string: str
    headers: list[tuple[str, str]]
    body: bytes
    callback_url: str | None
    queued_at: float = field(default_factory=time.time)


@dataclass
class AsyncResult:
    call_id: str
    function: str
    status: int | None  # None: never got an HTTP answer
    attempts: int
    duration_s: float


@dataclass
class CronJob:
    function: str
    schedule: CronSchedule
    next_at: float = 0.0


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def wire_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    """Header values as the Go gateway forwards them: the raw bytes (WSGI hands them over as latin-1 decoded
    strings, so latin-1 gives the bytes back; non-ASCII UTF-8 passes through unchanged), with the surrounding
    spaces and tabs that net/http's parser trims removed (h11 refuses such values outright)."""
    return [(k.encode("latin-1"), v.strip(" \t").encode("latin-1")) for k, v in headers]


def _json(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Response:
    return Response(json.dumps(payload) + "\n", status=status, mimetype="application/json", headers=headers)


class Gateway:
    """OpenFaaS-gateway-like router; see the module docstring. `start(port=0)` then `.url`."""

    def __init__(
        self,
        functions: Mapping[str, str] | None = None,
        *,
        workers: int = 2,
        retry_mode: str = "ce",
        queue_size: int = 100,
        max_async_body: int = 1024 * 1024,
        max_attempts: int = 10,
        initial_retry_wait: float = 10.0,
        max_retry_wait: float = 120.0,
        retry_codes: Iterable[int] = PRO_RETRY_CODES,
        upstream_timeout: float = 60.0,
        cron: Mapping[str, str] | None = None,
        cron_every: Mapping[str, float] | None = None,
        cron_async: bool = False,
        namespace: str = "openfaas-fn",
        host: str = "127.0.0.1",
        queues: Mapping[str, int] | None = None,
    ) -> None:
        if retry_mode not in ("ce", "pro"):
            raise ValueError("retry_mode must be 'ce' or 'pro'")
        self.functions: dict[str, str] = {k: v.rstrip("/") for k, v in (functions or {}).items()}
        self.workers = workers
        self.retry_mode = retry_mode
        self.max_async_body = max_async_body
        self.max_attempts = max_attempts
        self.initial_retry_wait = initial_retry_wait
        self.max_retry_wait = max_retry_wait
        self.retry_codes = set(retry_codes)
        self.upstream_timeout = upstream_timeout
        self.cron_async = cron_async
        self.namespace = namespace
        self.host = host
        self.queue_size = queue_size
        self.queue: queue.Queue[AsyncRequest] = queue.Queue(maxsize=queue_size)  # the default queue
        self.queues: dict[str, queue.Queue[AsyncRequest]] = {DEFAULT_QUEUE: self.queue}
        self.queue_workers: dict[str, int] = {DEFAULT_QUEUE: workers, **dict(queues or {})}
        for name in self.queue_workers:
            self.queues.setdefault(name, queue.Queue(maxsize=queue_size))
        self.annotations: dict[str, dict[str, str]] = {}
        self._inflight_by_queue: dict[str, int] = dict.fromkeys(self.queues, 0)
        self.results: list[AsyncResult] = []
        self.cron_log: list[tuple[str, float, int | None]] = []  # (function, time, status)
        self.invocations: dict[str, int] = {}
        self._inflight = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._server: BaseWSGIServer | None = None
        self._client = httpx.Client(timeout=upstream_timeout, follow_redirects=False)
        self.cron_jobs: list[CronJob] = [CronJob(n, CronSchedule.parse(e)) for n, e in (cron or {}).items()]
        self.cron_jobs += [
            CronJob(n, CronSchedule(expr=f"@every {s}s", every=float(s))) for n, s in (cron_every or {}).items()
        ]

    # lifecycle

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("gateway not started")
        return int(self._server.server_port)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, port: int = 0) -> Gateway:
        self._server = make_server(self.host, port, self.wsgi_app, threaded=True, request_handler=_QuietHandler)
        self._spawn(self._server.serve_forever, "gateway-http")
        for queue_name, count in self.queue_workers.items():
            for i in range(count):
                prefix = "queue-worker" if queue_name == DEFAULT_QUEUE else f"{queue_name}-worker"
                self._spawn(lambda q=queue_name: self._worker(q), f"{prefix}-{i}")
        if self.cron_jobs:
            self._spawn(self._cron_loop, "cron-connector")
        return self

    def _spawn(self, target: Any, name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._client.close()

    def __enter__(self) -> Gateway:
        return self.start() if self._server is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def register(self, name: str, url: str, annotations: Mapping[str, str] | None = None) -> None:
        """Deploy `name` at `url`; `annotations` as stack.yml gives them (`com.openfaas.queue` picks its queue)."""
        self.functions[name] = url.rstrip("/")
        self.annotations[name] = dict(annotations or {})

    def unregister(self, name: str) -> None:
        self.functions.pop(name, None)
        self.annotations.pop(name, None)

    def queue_of(self, function: str) -> str:
        """The queue an async call to `function` is published to."""
        return self.annotations.get(function.partition(".")[0], {}).get(QUEUE_ANNOTATION) or DEFAULT_QUEUE

    def _queue(self, name: str) -> queue.Queue[AsyncRequest]:
        with self._lock:
            if name not in self.queues:  # published to, but no worker serves it: the messages wait
                self.queues[name] = queue.Queue(maxsize=self.queue_size)
                self._inflight_by_queue[name] = 0
            return self.queues[name]

    def queue_stats(self, name: str | None = None) -> dict[str, int]:
        """Counts over every queue, or for the queue `name` (pending, inflight, workers)."""
        with self._lock:
            if name is not None:
                q = self.queues.get(name)
                return {"pending": q.qsize() if q else 0, "inflight": self._inflight_by_queue.get(name, 0),
                        "workers": self.queue_workers.get(name, 0)}
            return {
                "pending": sum(q.qsize() for q in self.queues.values()),
                "inflight": self._inflight,
                "done": len(self.results),
                "failed": sum(1 for r in self.results if r.status is None or r.status >= 400),
            }

    def wait_idle(self, timeout: float = 30.0, queue_name: str | None = None) -> bool:
        """True once nothing is queued or being invoked (async work and its callbacks done), on every queue
        a worker serves, or on `queue_name` only."""
        deadline = time.monotonic() + timeout
        names = [queue_name] if queue_name else [n for n in self.queues if self.queue_workers.get(n)]
        for name in names:
            if not self._drained(self.queues[name], max(0.0, deadline - time.monotonic())):
                return False
        return True

    @staticmethod
    def _drained(q: queue.Queue[AsyncRequest], timeout: float) -> bool:
        with q.all_tasks_done:
            return q.all_tasks_done.wait_for(lambda: q.unfinished_tasks == 0, timeout)

    # HTTP

    def wsgi_app(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        response = self._dispatch(request)
        return response(environ, start_response)

    def _split(self, path: str, prefix: str) -> tuple[str, str]:
        rest = path[len(prefix) :]
        name, slash, tail = rest.partition("/")
        return name, ("/" + tail) if slash else "/"

    def _resolve(self, name: str) -> str | None:
        if name in self.functions:
            return self.functions[name]
        base, dot, _namespace = name.partition(".")
        return self.functions.get(base) if dot else None

    def _dispatch(self, request: Request) -> Response:
        path = request.path
        if path.startswith("/function/"):
            return self._proxy(request, *self._split(path, "/function/"))
        if path.startswith("/async-function/"):
            return self._enqueue(request, *self._split(path, "/async-function/"))
        if path == "/system/queue" and request.method == "GET":
            return _json(200, self.queue_stats(request.args.get("name")))
        if path == "/system/functions" and request.method == "GET":
            return _json(200, self._function_list())  # a JSON list, like the real /system/functions
        if path == "/healthz":
            return Response("OK", mimetype="text/plain")
        return _json(404, {"error": f"no route for {path}"})

    def _function_list(self) -> list[dict[str, Any]]:
        schedules = {job.function: job.schedule.expr for job in self.cron_jobs}
        out = []
        for name, url in sorted(self.functions.items()):
            annotations = dict(self.annotations.get(name, {}))
            if name in schedules:
                annotations.update({"topic": "cron-function", "schedule": schedules[name]})
            out.append(
                {
                    "name": name,
                    "url": url,
                    "namespace": self.namespace,
                    "replicas": 1,
                    "availableReplicas": 1,
                    "invocationCount": self.invocations.get(name, 0),
                    "annotations": annotations,
                }
            )
        return out

    def _proxy(self, request: Request, name: str, rest: str) -> Response:
        if request.method not in SYNC_METHODS:
            return _json(405, {"error": f"method {request.method} not allowed"})
        base = self._resolve(name)
        short = name.partition(".")[0]
        unavailable = {"X-OpenFaaS-Internal": "proxy"}
        if base is None:
            return _json(503, {"error": f"No endpoints available for: {short}."}, unavailable)
        given = request.headers.get("X-Call-Id")
        call_id = given or str(uuid.uuid4())
        start = str(time.time_ns())
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP]
        headers = [(k, v) for k, v in headers if k.lower() not in ("x-call-id", "x-start-time")]
        forwarded_for = request.headers.get("X-Forwarded-For")
        remote = request.remote_addr or ""
        headers = [(k, v) for k, v in headers if k.lower() not in ("x-forwarded-for", "x-forwarded-host")]
        headers += [
            ("X-Call-Id", call_id),
            ("X-Start-Time", start),
            ("X-Forwarded-For", f"{forwarded_for}, {remote}" if forwarded_for else remote),
            ("X-Forwarded-Host", request.host),
        ]
        url = base + quote(rest, safe="/:@!$&'()*+,;=-._~%")
        query = request.environ.get("QUERY_STRING", "")
        if query:
            url += "?" + query
        with self._lock:
            self.invocations[short] = self.invocations.get(short, 0) + 1
        try:
            upstream = self._client.request(request.method, url, headers=wire_headers(headers),
                                            content=request.get_data())
        except httpx.HTTPError as exc:
            return _json(503, {"error": f"Can't reach service for: {short} ({type(exc).__name__})"}, unavailable)
        response = Response(upstream.content, status=upstream.status_code)
        response.headers.clear()
        for key, value in upstream.headers.multi_items():
            if key.lower() not in RESPONSE_SKIP:
                response.headers.add(key, value)
        if "content-type" not in upstream.headers and request.headers.get("Content-Type"):
            response.headers["Content-Type"] = request.headers["Content-Type"]
        if not given:
            response.headers["X-Call-Id"] = call_id
        response.headers["X-Start-Time"] = start
        response.headers["X-Served-By"] = SERVED_BY
        if request.method == "HEAD" and "content-length" in upstream.headers:
            response.headers["Content-Length"] = upstream.headers["content-length"]  # the GET's, as proxied
        return response

    def _enqueue(self, request: Request, name: str, rest: str) -> Response:
        if request.method != "POST":
            return _json(405, {"error": "async invocation accepts POST only"})
        callback = request.headers.get("X-Callback-Url")
        if callback:
            parts = urlsplit(callback)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                return _json(400, {"error": "X-Callback-Url is not a valid URL"})
        body = request.get_data()
        if len(body) > self.max_async_body:
            return _json(413, {"error": f"async body larger than {self.max_async_body} bytes"})
        call_id = request.headers.get("X-Call-Id") or str(uuid.uuid4())
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP]
        headers = [(k, v) for k, v in headers if k.lower() not in ("x-call-id", "user-agent", "x-callback-url")]
        headers.append(("X-Call-Id", call_id))
        item = AsyncRequest(
            call_id=call_id,
            function=name,
            path=rest,
            query_string=request.environ.get("QUERY_STRING", ""),
            headers=headers,
            body=body,
            callback_url=callback,
        )
        try:
            self._queue(self.queue_of(name)).put_nowait(item)
        except queue.Full:
            return _json(429, {"error": "async queue is full"}, {"Retry-After": "1"})
        return Response(b"", status=202, headers={"X-Call-Id": call_id, "X-Start-Time": str(time.time_ns())})

    # queue-worker

    def _worker(self, queue_name: str = DEFAULT_QUEUE) -> None:
        source = self.queues[queue_name]
        while not self._stop.is_set():
            try:
                item = source.get(timeout=0.2)
            except queue.Empty:
                continue
            with self._lock:
                self._inflight += 1
                self._inflight_by_queue[queue_name] += 1
            try:
                self._invoke(item)
            except Exception as exc:  # a worker must survive anything
                print(f"pwdev.gateway: async {item.call_id} failed: {exc!r}", flush=True)
            finally:
                with self._lock:
                    self._inflight -= 1
                    self._inflight_by_queue[queue_name] -= 1
                source.task_done()

    def _backoff(self, attempt: int, response: httpx.Response | None) -> float:
        wait = min(self.max_retry_wait, self.initial_retry_wait * (2 ** (attempt - 1)))
        if response is not None and response.status_code in (429, 503):
            retry_after = response.headers.get("Retry-After", "")
            if retry_after.isdigit():
                wait = min(self.max_retry_wait, float(retry_after))
        return float(wait)

    def _invoke(self, item: AsyncRequest) -> None:
        url = f"{self.url}/function/{item.function}{item.path if item.path != '/' else ''}"
        if item.query_string:
            url += "?" + item.query_string
        headers = [*item.headers, ("User-Agent", QUEUE_WORKER_UA)]
        attempts = 1 if self.retry_mode == "ce" else max(1, self.max_attempts)
        started = time.monotonic()
        response: httpx.Response | None = None
        attempt = 0
        for attempt in range(1, attempts + 1):
            try:
                response = self._client.post(url, headers=wire_headers(headers), content=item.body)
            except httpx.HTTPError:
                response = None
            if attempt == attempts:
                break
            retryable = (
                response is None
                or response.status_code in self.retry_codes
                or (response.status_code >= 400 and "X-OpenFaaS-Internal" in response.headers)
            )
            if not retryable or self._stop.wait(self._backoff(attempt, response)):
                break
        duration = time.monotonic() - started
        status = response.status_code if response is not None else None
        with self._lock:
            self.results.append(AsyncResult(item.call_id, item.function, status, attempt, duration))
        if item.callback_url:
            self._callback(item, response, attempt, attempts, duration)

    def _callback(
        self, item: AsyncRequest, response: httpx.Response | None, attempt: int, attempts: int, duration: float
    ) -> None:
        assert item.callback_url is not None
        headers: list[tuple[str, str]] = []
        if response is not None:
            headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in RESPONSE_SKIP]
        headers = [(k, v) for k, v in headers if k.lower() != "x-call-id"]
        headers += [
            ("X-Duration-Seconds", f"{duration:.6f}"),
            ("X-Function-Status", str(response.status_code if response is not None else 503)),
            ("X-Function-Name", item.function),
            ("X-Call-Id", item.call_id),
        ]
        if self.retry_mode == "pro":
            headers += [("X-Retry", str(attempt - 1)), ("X-Retry-Max", str(attempts))]
        try:
            self._client.post(item.callback_url, headers=headers, content=response.content if response else b"")
        except httpx.HTTPError as exc:
            print(f"pwdev.gateway: callback for {item.call_id} failed: {exc!r}", flush=True)

    # cron-connector

    def trigger_cron(self, function: str) -> int | None:
        """One cron-connector tick for `function`, now. Returns the HTTP status (None: no answer)."""
        kind = "async-function" if self.cron_async else "function"
        url = f"{self.url}/{kind}/{function}.{self.namespace}"
        headers = {"X-Topic": "cron-function", "X-Connector": "cron-connector", "User-Agent": CRON_UA}
        status: int | None
        try:
            status = self._client.post(url, headers=headers, content=b"").status_code
        except httpx.HTTPError:
            status = None  # the connector only logs
        with self._lock:
            self.cron_log.append((function, time.time(), status))
        return status

    def _cron_loop(self) -> None:
        now = time.time()
        for job in self.cron_jobs:
            job.next_at = self._next(job, now)
        while not self._stop.is_set():
            due = min(job.next_at for job in self.cron_jobs)
            if self._stop.wait(max(0.0, due - time.time())):
                return
            now = time.time()
            for job in self.cron_jobs:
                if job.next_at <= now:
                    job.next_at = self._next(job, job.next_at)
                    # A thread per tick: a long run overlaps the next, as with the real connector.
                    threading.Thread(target=self.trigger_cron, args=(job.function,), daemon=True).start()

    @staticmethod
    def _next(job: CronJob, after: float) -> float:
        if job.schedule.every is not None:
            return after + job.schedule.every
        naive_utc = dt.datetime.fromtimestamp(after, dt.UTC).replace(tzinfo=None)
        return job.schedule.next_after(naive_utc).replace(tzinfo=dt.UTC).timestamp()


def _pairs(values: list[str], flag: str) -> dict[str, str]:
    out = {}
    for value in values:
        name, eq, rhs = value.partition("=")
        if not eq or not re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name):
            raise SystemExit(f"{flag} expects name=value, got {value!r}")
        out[name] = rhs
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pwdev.gateway", description="local OpenFaaS gateway")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--function", action="append", default=[], metavar="NAME=URL")
    parser.add_argument("--workers", type=int, default=2, help="workers of the default queue")
    parser.add_argument("--queue", action="append", default=[], metavar="QUEUE=WORKERS",
                        help="a named queue and its worker count")
    parser.add_argument("--queue-of", action="append", default=[], metavar="FUNCTION=QUEUE",
                        help="the function's com.openfaas.queue annotation")
    parser.add_argument("--retry-mode", choices=("ce", "pro"), default="ce")
    parser.add_argument("--max-attempts", type=int, default=10)
    parser.add_argument("--initial-retry-wait", type=float, default=10.0)
    parser.add_argument("--max-retry-wait", type=float, default=120.0)
    parser.add_argument("--queue-size", type=int, default=100)
    parser.add_argument("--upstream-timeout", type=float, default=60.0)
    parser.add_argument("--cron", action="append", default=[], metavar="NAME=EXPR", help="5-field, UTC")
    parser.add_argument("--cron-every", action="append", default=[], metavar="NAME=SECONDS")
    parser.add_argument("--cron-async", action="store_true", help="asynchronous_invocation=true")
    args = parser.parse_args(argv)
    functions = _pairs(args.function, "--function")
    queue_of = _pairs(args.queue_of, "--queue-of")
    gateway = Gateway(
        {},
        workers=args.workers,
        retry_mode=args.retry_mode,
        queue_size=args.queue_size,
        max_attempts=args.max_attempts,
        initial_retry_wait=args.initial_retry_wait,
        max_retry_wait=args.max_retry_wait,
        upstream_timeout=args.upstream_timeout,
        cron=_pairs(args.cron, "--cron"),
        cron_every={k: float(v) for k, v in _pairs(args.cron_every, "--cron-every").items()},
        cron_async=args.cron_async,
        host=args.host,
        queues={k: int(v) for k, v in _pairs(args.queue, "--queue").items()},
    )
    for name, url in functions.items():
        gateway.register(name, url, {QUEUE_ANNOTATION: queue_of[name]} if name in queue_of else None)
    gateway.start(args.port)
    print(f"pwdev.gateway listening on {gateway.url}", flush=True)
    run_until_interrupted(gateway.stop)


if __name__ == "__main__":
    main()
