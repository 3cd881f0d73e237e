"""presign under load, served as in production: `python -m pwdev.runner functions/presign` (waitress, the
template's Flask, 4 handler threads) in its own process, with ERPNext and S3 stand-ins on loopback.

Phase 1 (the target): 200 concurrent keep-alive clients, open loop at --rate requests/s in total, each client
sending on its own schedule; latency is measured from the scheduled send time (no coordinated omission). Phase 2:
the same 200 clients closed-loop (send as fast as answers come) for the saturation throughput. S3 requests are
counted at the moto server during both phases: exactly one per answer, the PUT of its access-log record
(pwcore.orders.access_log); nothing else (manifest cached, URLs signed locally). The record's PUT goes to moto in
this process, which shares the 2 cores: the latency includes a Python S3 server's PUT. The load generator is a
minimal asyncio HTTP/1.1 client so that it costs less CPU than httpx (both share the machine's 2 cores with the
server). Last line: one JSON object.

    .venv/bin/python bench/presign_load.py [--rate 1000] [--seconds 8] [--clients 200]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import jwt
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

from pwcore.clients.erpnext import ERPNext
from pwcore.clients.s3 import Storage
from pwdev.erpnext import ERPNextStandin
from pwdev.procs import free_port, start_process, stop_process, wait_for_port
from pwdev.s3 import DEV_ACCESS_KEY, DEV_SECRET_KEY, S3Server

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "steps" / "delivery"))
from delivery_helpers import pdf_bytes  # noqa: E402

SECRET = "bench-presign-secret-0123456789abcdef-xyz"
AUD = "pw-portal"

_s3_requests = 0
_s3_other = 0  # S3 requests that are not an access-log PUT


class _Port:
    def __init__(self, port: int) -> None:
        self.port = port

_lock = threading.Lock()


def _count_s3() -> None:
    original = DomainDispatcherApplication.__call__

    def counting(self: Any, environ: dict[str, Any], start_response: Any) -> Any:
        global _s3_requests, _s3_other
        with _lock:
            _s3_requests += 1
            if environ.get("REQUEST_METHOD") != "PUT" or "/access-log/" not in environ.get("PATH_INFO", ""):
                _s3_other += 1
        return original(self, environ, start_response)

    DomainDispatcherApplication.__call__ = counting  # type: ignore[method-assign]


class S3Process:
    """`python -m pwdev.s3` in a child process: moto's CPU and GIL are not the load generator's."""

    def __init__(self, bucket: str, tmp: Path) -> None:
        self.bucket = bucket
        self.port = free_port()
        self.endpoint = f"127.0.0.1:{self.port}"
        self.access_key, self.secret_key = DEV_ACCESS_KEY, DEV_SECRET_KEY
        self._log = tmp / "s3.log"
        self._proc: Any = None

    def env(self) -> dict[str, str]:
        return {"S3_ENDPOINT": self.endpoint, "S3_ACCESS_KEY": self.access_key, "S3_SECRET_KEY": self.secret_key,
                "S3_BUCKET": self.bucket, "S3_REGION": "us-east-1", "S3_SECURE": "false"}

    def start(self) -> None:
        self._proc = start_process([sys.executable, "-m", "pwdev.s3", "--port", str(self.port), "--bucket",
                                    self.bucket], {}, log=self._log.open("ab"))
        wait_for_port("127.0.0.1", self.port, timeout=30, proc=self._proc)
        deadline = time.monotonic() + 30
        storage = Storage(self.endpoint, self.access_key, self.secret_key, self.bucket)
        while not storage.client.bucket_exists(self.bucket):  # the port opens before the bucket exists
            if time.monotonic() > deadline:
                raise RuntimeError("the S3 stand-in made no bucket")
            time.sleep(0.05)

    def stop(self) -> None:
        if self._proc is not None:
            stop_process(self._proc)


def setup(erp: ERPNext, storage: Storage) -> tuple[str, str]:
    customer = erp.insert("Customer", {"customer_name": "Bench Customer", "email_id": "bench@example.com"})["name"]
    order = erp.insert("Formation Order", {"customer": customer, "entity_name": "Bench LLC", "entity_type": "LLC",
                                           "state": "TX", "status": "Delivered"})["name"]
    prefix = f"orders/{order}/v1/"
    erp.update("Formation Order", order, {"document_version": 1, "minio_path": prefix})
    files = []
    for fname, data in (("articles.pdf", pdf_bytes(1)), ("operating-agreement.pdf", pdf_bytes(3)),
                        ("articles.docx", b"PK fake docx")):
        storage.put_bytes(prefix + fname, data)
        files.append({"key": prefix + fname, "filename": fname, "size": len(data),
                      "sha256": hashlib.sha256(data).hexdigest(), "content_type": "application/pdf"})
    storage.put_bytes(prefix + "manifest.json", json.dumps({"order": order, "doctype": "Formation Order", "version": 1,
                                                              "customer": customer, "files": files}).encode())
    return customer, order


async def _request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes) -> int:
    writer.write(raw)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    await reader.readexactly(length)
    return status


async def client(conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], raw: bytes, start: float, stop: float,
                 interval: float | None, offset: float, lat: list[float], errors: list[int]) -> None:
    reader, writer = conn
    loop = asyncio.get_running_loop()
    scheduled = start + offset
    try:
        while True:
            if interval is not None:
                delay = scheduled - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                t0 = scheduled
            else:
                t0 = loop.time()
            if t0 >= stop:
                return
            status = await _request(reader, writer, raw)
            lat.append(loop.time() - t0)
            if status != 200:
                errors.append(status)
            if interval is not None:
                scheduled += interval
    finally:
        writer.close()


async def phase(port: int, raw: bytes, clients: int, seconds: float, rate: float | None) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    conns = []
    for _ in range(clients):  # connect first, a few at a time: the run measures requests, not SYN backlogs
        conns.append(await asyncio.open_connection("127.0.0.1", port))
    start = loop.time() + 0.5
    stop = start + seconds
    lat: list[float] = []
    errors: list[int] = []
    interval = clients / rate if rate else None
    tasks = [client(conns[i], raw, start, stop, interval, (i / clients) * (interval or 0), lat, errors)
             for i in range(clients)]
    t0 = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=seconds + 60)
    wall = time.perf_counter() - t0 - 0.5
    lat.sort()

    def pct(p: float) -> float:
        return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 2) if lat else 0.0

    # Open loop: every request was scheduled inside the window of `seconds`, so served/window is the rate the
    # server kept up with (the wall clock also counts draining the last answers after the window closed).
    served_rps = len(lat) / seconds if rate else len(lat) / max(wall, 1e-9)
    return {"requests": len(lat), "errors": len(errors), "rps": round(served_rps, 1),
            "rps_wall_incl_drain": round(len(lat) / max(wall, 1e-9), 1),
            "p50_ms": pct(0.50), "p90_ms": pct(0.90), "p99_ms": pct(0.99), "max_ms": pct(1.0),
            "mean_ms": round(statistics.fmean(lat) * 1000, 2) if lat else 0.0}


def serve(folder: str, ready_file: str, stack: str) -> None:
    """pwdev.runner's app (the template's Flask + the watchdog layer) on waitress with connection_limit raised.

    waitress accepts at most 100 connections by default; in production the 200 client connections end at
    of-watchdog (Go), which forwards to waitress over a few upstream connections. `python -m pwdev.runner`
    has no flag for it, so the bench builds the same app itself."""
    from waitress import create_server

    from pwdev.runner import HANDLER_THREADS, build, create_app, load_handler

    if stack == "runner":  # the runner's Python watchdog layer in front: 16 front threads + 4 handler threads
        app: Any = build(Path(folder), exec_timeout=30.0)
        threads = max(16, HANDLER_THREADS)
    else:  # "template": what runs in the container behind the Go watchdog: Flask on waitress' 4 threads
        app = create_app(load_handler(Path(folder)))
        threads = HANDLER_THREADS
    server: Any = create_server(app, host="127.0.0.1", port=0, threads=threads,
                                connection_limit=1000, backlog=2048, ident="pwdev-runner")
    Path(ready_file).write_text(str(server.effective_port))
    server.run()


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--serve":
        serve(sys.argv[2], sys.argv[3], sys.argv[4])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--stack", choices=["runner", "template"], default="runner")
    parser.add_argument("--s3", choices=["process", "inprocess"], default="process",
                        help="process: the S3 stand-in in its own process (access-log PUTs counted as the objects "
                        "they create); inprocess: in this process, every S3 request counted by kind, at the cost "
                        "of sharing this process' GIL with the load generator")
    args = parser.parse_args()
    if args.s3 == "inprocess":
        _count_s3()
    with tempfile.TemporaryDirectory() as tmp:
        erp_standin = ERPNextStandin().start()
        s3 = S3Server(bucket="pw-bench") if args.s3 == "inprocess" else S3Process("pw-bench", Path(tmp))
        s3.start()
        try:
            erp = ERPNext(erp_standin.url, "dev-key", "dev-secret")
            storage = Storage(s3.endpoint, s3.access_key, s3.secret_key, s3.bucket)
            customer, order = setup(erp, storage)
            env = {**s3.env(), "ERPNEXT_URL": erp_standin.url, "ERPNEXT_API_KEY": "dev-key",
                   "ERPNEXT_API_SECRET": "dev-secret", "PRESIGN_JWT_SECRET": SECRET, "PRESIGN_AUDIENCE": AUD,
                   "PRESIGN_ORDER_CACHE_S": "60", "SECRETS_DIR": tmp, "LOG_LEVEL": "WARNING"}
            ready = Path(tmp) / "port"
            proc = start_process([sys.executable, __file__, "--serve", str(ROOT / "functions" / "presign"),
                                  str(ready), args.stack], env, log=(Path(tmp) / "presign.log").open("ab"))
            deadline = time.monotonic() + 30
            while not ready.exists():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("presign server did not start")
                time.sleep(0.05)
            time.sleep(0.05)
            fn = _Port(int(ready.read_text()))
            try:
                tok = jwt.encode({"sub": customer, "aud": AUD, "exp": int(time.time()) + 3600}, SECRET, "HS256")
                raw = (f"GET /?order={order} HTTP/1.1\r\nHost: 127.0.0.1:{fn.port}\r\n"
                       f"Authorization: Bearer {tok}\r\n\r\n").encode()
                warm = asyncio.run(phase(fn.port, raw, 8, 1.0, None))  # fills the order + manifest caches
                assert warm["errors"] == 0, warm
                before, other_before = _s3_requests, _s3_other
                records_before = sum(1 for _ in storage.list("access-log/"))
                open_loop = asyncio.run(phase(fn.port, raw, args.clients, args.seconds, args.rate))
                closed_loop = asyncio.run(phase(fn.port, raw, args.clients, min(args.seconds, 5.0), None))
                s3_during, s3_other = _s3_requests - before, _s3_other - other_before
                if args.s3 == "process":  # not counted at the server: the records written are the PUTs
                    s3_during = sum(1 for _ in storage.list("access-log/")) - records_before
            finally:
                stop_process(proc)
        finally:
            s3.stop()
            erp_standin.stop()
    result = {"bench": "presign_load", "stack": args.stack, "s3": args.s3, "clients": args.clients,
              "target_rps": args.rate,
              "rps": open_loop["rps"], "p50_ms": open_loop["p50_ms"], "p99_ms": open_loop["p99_ms"],
              "errors": open_loop["errors"], "s3_requests_during_run": s3_during,
              "s3_access_log_puts_per_answer": round(
                  (s3_during - s3_other) / max(1, open_loop["requests"] + closed_loop["requests"]), 3),
              "s3_other_requests": s3_other if args.s3 == "inprocess" else None,
              "open_loop": open_loop, "closed_loop_saturation": closed_loop,
              "meets_target": open_loop["rps"] >= 1000 * 0.98 and open_loop["p99_ms"] <= 10
              and s3_other == 0 and s3_during == open_loop["requests"] + closed_loop["requests"]
              and open_loop["errors"] == 0}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
