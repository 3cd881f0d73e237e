"""Cold start per function: import the handler the way the runner does (pwdev.runner.load_handler) and answer a
first request, in a fresh Python process each time; median of N processes. Target <= 300 ms.

LibreOffice and Ollama are excluded: generate-doc's background LibreOffice warm-up thread is not started (it runs
while the function waits for its first call, off the request path), and no request reaches Ollama. The outside
systems are closed ports on 127.0.0.1, so each first request runs the real code path up to its first network call
and answers the error it would answer in production (settings, signature, clients, error mapping all loaded).

    .venv/bin/python bench/cold_start.py [--runs 5] [--functions on-payment,presign]

Prints a table, then one JSON object as the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TARGET_MS = 300.0
SECRET = "bench-webhook-secret"
JWT_SECRET = "bench-presign-jwt-secret-0123456789abcdef"
OPERATOR_TOKEN = "bench-operator-token"  # the dry runs below are manual operations
FUNCTIONS = ("on-payment", "generate-doc", "deliver", "presign", "calendar-tick", "backup", "reconcile")

# What the first request is, per function (reported with the numbers).
FIRST_REQUEST = {
    "on-payment": "POST signed Sales Invoice webhook; ERPNext refuses the connection -> 503",
    "generate-doc": "POST signed {doctype, name}; ERPNext refuses the connection (no LibreOffice, no Ollama)",
    "deliver": "POST signed {doctype, name}; ERPNext refuses the connection -> 503",
    "presign": "GET ?order= with a valid HS256 customer token and an allowed Origin; ERPNext refused -> 503",
    "calendar-tick": "POST ?dry_run=1 (cron tick); ERPNext refuses the connection -> 503",
    "backup": "POST ?mode=lifecycle&dry_run=1 (S3 lifecycle rules computed, nothing sent)",
    "reconcile": "POST ?dry_run=1 (PingSource-like tick); ERPNext refuses the connection",
}


def closed_port() -> int:
    """A port nothing listens on (bound then released), so connections are refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def child_env(secrets_dir: str) -> dict[str, str]:
    dead = closed_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ERPNEXT_", "S3_", "DISPATCH_", "WEBHOOK_"))}
    env.update({
        "SECRETS_DIR": secrets_dir,
        "ERPNEXT_URL": f"http://127.0.0.1:{dead}", "ERPNEXT_API_KEY": "k", "ERPNEXT_API_SECRET": "s",
        "ERPNEXT_RETRIES": "0", "ERPNEXT_TIMEOUT_S": "2",
        "S3_ENDPOINT": f"127.0.0.1:{dead}", "S3_ACCESS_KEY": "a", "S3_SECRET_KEY": "b",
        "WEBHOOK_SECRET": SECRET, "DISPATCH_MODE": "openfaas", "DISPATCH_GATEWAY_URL": f"http://127.0.0.1:{dead}",
        "OLLAMA_HOST": f"http://127.0.0.1:{dead}", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(dead),
        "PRESIGN_JWT_SECRET": JWT_SECRET, "PRESIGN_ALLOWED_ORIGINS": "https://performancewest.net",
        "OPERATOR_TOKEN": OPERATOR_TOKEN, "PYTHONDONTWRITEBYTECODE": "0",
    })
    return env


# --- the child: one cold start ---------------------------------------------------------------------


class _Event:
    def __init__(self, method: str, body: bytes = b"", headers: dict[str, str] | None = None,
                 query: dict[str, str] | None = None) -> None:
        import httpx

        self.method, self.body, self.path = method, body, "/"
        self.headers = httpx.Headers(headers or {})
        self.query = query or {}


def _first_event(name: str) -> _Event:
    from pwcore.model.signatures import SIGNATURE_HEADER, sign

    if name in ("on-payment", "generate-doc", "deliver"):
        payload = ({"doctype": "Sales Invoice", "name": "ACC-SINV-2026-00001", "status": "Paid"}
                   if name == "on-payment" else {"doctype": "Formation Order", "name": "FO-2026-0001"})
        body = json.dumps(payload).encode()
        return _Event("POST", body, {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, SECRET),
                                     "X-Call-Id": "bench"})
    if name == "presign":
        import jwt

        token = jwt.encode({"sub": "Bench Customer", "aud": "performancewest-portal", "exp": int(time.time()) + 600},
                           JWT_SECRET, algorithm="HS256")
        return _Event("GET", headers={"Authorization": f"Bearer {token}", "Origin": "https://performancewest.net"},
                      query={"order": "FO-2026-0001"})
    if name == "backup":
        return _Event("POST", query={"mode": "lifecycle", "dry_run": "1"}, headers=OPERATOR)
    return _Event("POST", query={"dry_run": "1"}, headers=OPERATOR)


OPERATOR = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}


def child(name: str) -> None:
    import threading

    started = time.perf_counter()
    modules_before = set(sys.modules)
    original_start = threading.Thread.start

    def start(thread: threading.Thread) -> None:
        if thread.name == "warm-libreoffice":  # LibreOffice is excluded from the measure
            return
        original_start(thread)

    threading.Thread.start = start  # type: ignore[method-assign,assignment]
    sys.path.insert(0, str(ROOT / "dev"))
    from pwdev.runner import load_handler

    runner_ms = (time.perf_counter() - started) * 1000  # the runner's own imports (flask) are not the function's
    t0 = time.perf_counter()
    handler = load_handler(ROOT / "functions" / name)
    t1 = time.perf_counter()
    event = _first_event(name)
    answer = handler.handle(event, None)
    t2 = time.perf_counter()
    heavy = [m for m in ("minio", "docxtpl", "docx", "pypdf", "ollama", "gnupg", "jwt", "cloudevents", "jinja2",
                         "lxml", "urllib3", "httpx", "pydantic")
             if m in sys.modules and m not in modules_before]
    print(json.dumps({"function": name, "import_ms": (t1 - t0) * 1000, "first_ms": (t2 - t1) * 1000,
                      "total_ms": (t2 - t0) * 1000, "runner_ms": runner_ms, "status": answer.get("statusCode"),
                      "loaded": heavy}))


# --- the parent ----------------------------------------------------------------------------------


def measure(name: str, runs: int, env: dict[str, str]) -> dict[str, Any]:
    samples: list[dict[str, Any]] = []
    for _ in range(runs):
        proc = subprocess.run([sys.executable, __file__, "--child", name], env=env, capture_output=True, text=True,
                              timeout=120, cwd=ROOT)
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
        if proc.returncode != 0 or not lines:
            raise RuntimeError(f"{name}: child failed\n{proc.stderr[-2000:]}")
        samples.append(json.loads(lines[-1]))
    med = {k: round(statistics.median(s[k] for s in samples), 1) for k in ("import_ms", "first_ms", "total_ms")}
    return {"function": name, **med, "status": samples[-1]["status"], "ok": med["total_ms"] <= TARGET_MS,
            "first_request": FIRST_REQUEST[name], "modules_loaded": samples[-1]["loaded"]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--functions", default=",".join(FUNCTIONS))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child)
        return
    with tempfile.TemporaryDirectory(prefix="pw-cold-") as secrets_dir:
        env = child_env(secrets_dir)
        results = [measure(name, args.runs, env) for name in args.functions.split(",")]
    print(f"{'function':<14} {'import ms':>10} {'first ms':>9} {'total ms':>9} {'status':>6}  first request")
    for r in results:
        flag = "" if r["ok"] else "  OVER TARGET"
        print(f"{r['function']:<14} {r['import_ms']:>10.1f} {r['first_ms']:>9.1f} {r['total_ms']:>9.1f} "
              f"{r['status']!s:>6}  {r['first_request']}{flag}")
    print(json.dumps({"benchmark": "cold_start", "runs": args.runs, "target_ms": TARGET_MS,
                      "all_ok": all(r["ok"] for r in results), "functions": results}))


if __name__ == "__main__":
    main()
