"""Cold start per function, in its own image's environment: the function's virtualenv (only flask + waitress and
`functions/<name>/requirements.txt`, pwdev.images), its build context laid out as faas-cli does (cwd = the
image's /home/app, `function/shared` on sys.path by the handler, no PYTHONPATH) and only stack.yml's environment
and secret names. Import the handler the way the runner does (pwdev.runner.load_handler) and answer a first
request, in a fresh Python process each time; median of N processes. Target <= 300 ms. A bare python3-http
"hello" function (flask + waitress only) is measured the same way in the same run, and each function is
reported as a ratio to it (whole process: the runner's flask import + handler import + first answer).

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
sys.path.insert(0, str(ROOT / "dev"))  # pwdev (runner, images, stackyml) only; pwcore comes from each layout
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
    "hello": "GET / on a bare python3-http handler (the template's own example)",
}
HELLO = 'def handle(event, context):\n    return {"statusCode": 200, "body": "Hello from OpenFaaS!"}\n'
BENCH_KNOBS = {"ERPNEXT_RETRIES": "0", "ERPNEXT_TIMEOUT_S": "2"}  # so a refused connection answers at once


def closed_port() -> int:
    """A port nothing listens on (bound then released), so connections are refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def image_env(name: str, secrets_dir: Path) -> dict[str, str]:
    """stack.yml's environment for `name`, its endpoints pointed at a closed port, its secret files written."""
    from pwdev.stackyml import LOCAL_ENDPOINTS, functions, local_environment, write_secrets

    spec = functions()[name]
    dead = closed_port()
    endpoints = {k: f"http://127.0.0.1:{dead}" for k in LOCAL_ENDPOINTS if k.endswith(("_URL", "_HOST"))}
    endpoints.update({"S3_ENDPOINT": f"127.0.0.1:{dead}", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(dead)})
    endpoints = {k: v for k, v in endpoints.items() if k in LOCAL_ENDPOINTS}
    env = {**local_environment(spec, endpoints), **BENCH_KNOBS, "SECRETS_DIR": str(secrets_dir / name)}
    write_secrets(spec, secrets_dir / name, {
        "erpnext-api-key": "k", "erpnext-api-secret": "s", "s3-access-key": "a", "s3-secret-key": "b",
        "webhook-secret": SECRET, "presign-jwt-secret": JWT_SECRET, "smtp-password": "p",
        "backup-public-keys": "", "operator-token": OPERATOR_TOKEN})
    return env


# --- the child: one cold start ---------------------------------------------------------------------


class _Event:
    def __init__(self, method: str, body: bytes = b"", headers: dict[str, str] | None = None,
                 query: dict[str, str] | None = None) -> None:
        from werkzeug.datastructures import Headers  # what the template's Event carries (flask's request)

        self.method, self.body, self.path = method, body, "/"
        self.headers = Headers(headers or {})
        self.query = query or {}


def _first_event(name: str) -> _Event:
    if name in ("on-payment", "generate-doc", "deliver"):
        payload = ({"doctype": "Sales Invoice", "name": "ACC-SINV-2026-00001", "status": "Paid"}
                   if name == "on-payment" else {"doctype": "Formation Order", "name": "FO-2026-0001"})
        from pwcore.model.signatures import SIGNATURE_HEADER, sign

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
    if name == "hello":
        return _Event("GET")
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
    from pwdev.runner import load_handler

    runner_ms = (time.perf_counter() - started) * 1000  # the runner's own imports (flask) are not the function's
    t0 = time.perf_counter()
    home = Path.cwd()  # the laid-out build context, as /home/app
    handler = load_handler(home / "function", shared=home / "function" / "shared")
    t1 = time.perf_counter()
    event = _first_event(name)
    answer = handler.handle(event, None) or {}
    t2 = time.perf_counter()
    heavy = [m for m in ("minio", "docxtpl", "docx", "pypdf", "ollama", "gnupg", "jwt", "cloudevents", "jinja2",
                         "lxml", "urllib3", "httpx", "pydantic")
             if m in sys.modules and m not in modules_before]
    print(json.dumps({"function": name, "import_ms": (t1 - t0) * 1000, "first_ms": (t2 - t1) * 1000,
                      "total_ms": (t2 - t0) * 1000, "runner_ms": runner_ms, "status": answer.get("statusCode"),
                      "loaded": heavy}))


# --- the parent ----------------------------------------------------------------------------------


def prepare(name: str, work: Path) -> tuple[Path, Path, dict[str, str]]:
    """(python of the image's venv, laid-out home, environment) for one function, or the bare hello function."""
    from pwdev.images import layout, venv, venv_for
    from pwdev.stackyml import functions

    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/tmp", "PYTHONDONTWRITEBYTECODE": "1"}
    if name == "hello":
        home = work / "hello"
        (home / "function").mkdir(parents=True)
        (home / "function" / "__init__.py").touch()
        (home / "function" / "handler.py").write_text(HELLO)
        return venv_for("") / "bin" / "python", home, base
    spec = functions()[name]
    home = layout(spec, work / "build")
    return venv(spec) / "bin" / "python", home, {**base, **image_env(name, work / "secrets")}


def measure(name: str, runs: int, work: Path, compiled: bool = False) -> dict[str, Any]:
    """compiled=False: the image as the template builds it (no .pyc for function/, and a read-only root lets
    none be written: PYTHONDONTWRITEBYTECODE, so every cold start compiles pwcore); True: function/ byte-compiled
    beforehand, as an image with a `compileall` step would be."""
    python, home, env = prepare(name, work / ("compiled" if compiled else "as-built"))
    if compiled:
        subprocess.run([str(python), "-m", "compileall", "-q", str(home)], check=True, env=env)
    samples: list[dict[str, Any]] = []
    for _ in range(runs):
        proc = subprocess.run([str(python), str(Path(__file__).resolve()), "--child", name], env=env,
                              capture_output=True, text=True, timeout=120, cwd=home)
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
        if proc.returncode != 0 or not lines:
            raise RuntimeError(f"{name}: child failed\n{proc.stderr[-2000:]}")
        samples.append(json.loads(lines[-1]))
    keys = ("runner_ms", "import_ms", "first_ms", "total_ms")
    med = {k: round(statistics.median(s[k] for s in samples), 1) for k in keys}
    # With the runner's own imports (flask, werkzeug): what a process pays before its first answer.
    med["process_ms"] = round(statistics.median(s["runner_ms"] + s["total_ms"] for s in samples), 1)
    return {"function": name, "compiled": compiled, **med, "status": samples[-1]["status"],
            "ok": med["total_ms"] <= TARGET_MS,
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
    with tempfile.TemporaryDirectory(prefix="pw-cold-") as tmp:
        hello = measure("hello", args.runs, Path(tmp))
        names = args.functions.split(",")
        as_built = {n: measure(n, args.runs, Path(tmp)) for n in names}
        results = [measure(name, args.runs, Path(tmp), compiled=True) for name in names]
    for r in results:
        r["ratio_to_hello"] = round(r["process_ms"] / max(hello["process_ms"], 0.1), 1)
        r["as_built_total_ms"] = as_built[r["function"]]["total_ms"]
    print(f"{'function':<14} {'import ms':>10} {'first ms':>9} {'total ms':>9} {'process':>8} {'x hello':>8} "
          f"{'no .pyc':>8} {'status':>6}  first request")
    for r in [hello, *results]:
        flag = "" if r["ok"] else "  OVER TARGET"
        print(f"{r['function']:<14} {r['import_ms']:>10.1f} {r['first_ms']:>9.1f} {r['total_ms']:>9.1f} "
              f"{r['process_ms']:>8.1f} {r.get('ratio_to_hello', 1.0):>8} {r.get('as_built_total_ms', ''):>8} "
              f"{r['status']!s:>6}  {r['first_request']}{flag}")
    print(json.dumps({"benchmark": "cold_start", "environment": "per-image virtualenvs (pwdev.images)",
                      "runs": args.runs, "target_ms": TARGET_MS, "hello": hello,
                      "all_ok": all(r["ok"] for r in results), "functions": results}))


if __name__ == "__main__":
    main()
