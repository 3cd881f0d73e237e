"""Peak RSS growth of each function for hostile 1, 10 and 200 MiB bodies (Content-Length and chunked).

Each function runs in its own `python -m pwdev.runner` process (the template's Flask + waitress, the handler
imported first, so the body limit of pwcore.runtime.body_limit is in force) with its MAX_BODY_BYTES from
stack.yml and unreachable dependencies (the body is refused before any of them would be used). Before each
request the process's peak RSS is reset (`/proc/PID/clear_refs` 5); after it, growth = VmHWM - VmRSS before.
Every answer must be a JSON 413. Target: growth < 10 MB for every case.

    .venv/bin/python bench/hostile_memory.py [--functions presign,backup] [--sizes 1,10,200]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = ("on-payment", "generate-doc", "deliver", "presign", "calendar-tick", "backup", "reconcile")
TARGET_MB = 10.0
MIB = 1024 * 1024
CHUNK = 64 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def limits() -> dict[str, str]:
    stack = yaml.safe_load((ROOT / "stack.yml").read_text())
    return {name: str(fn["environment"]["MAX_BODY_BYTES"]) for name, fn in stack["functions"].items()}


def env_for(function: str, limit: str, secrets_dir: str) -> dict[str, str]:
    dead = free_port()  # nothing listens there: no dependency is reachable
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ERPNEXT_", "S3_", "DISPATCH_", "WEBHOOK_"))}
    env.update({
        "PYTHONPATH": f"{ROOT / 'shared'}:{ROOT / 'dev'}", "SECRETS_DIR": secrets_dir, "MAX_BODY_BYTES": limit,
        "ERPNEXT_URL": f"http://127.0.0.1:{dead}", "ERPNEXT_API_KEY": "k", "ERPNEXT_API_SECRET": "s",
        "S3_ENDPOINT": f"127.0.0.1:{dead}", "S3_ACCESS_KEY": "a", "S3_SECRET_KEY": "b",
        "WEBHOOK_SECRET": "bench-webhook-secret", "PRESIGN_JWT_SECRET": "bench-presign-jwt-secret-0123456789abcdef",
    })
    return env


def rss_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


def body_chunks(size: int) -> Iterator[bytes]:
    block = b"[" * CHUNK  # deep-JSON-looking filler
    sent = 0
    while sent < size:
        n = min(CHUNK, size - sent)
        yield block[:n]
        sent += n


def start(function: str, limit: str, secrets_dir: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "pwdev.runner", str(ROOT / "functions" / function),
                             "--port", str(port), "--exec-timeout", "0"], env=env_for(function, limit, secrets_dir),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/_/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError(f"{function} did not start")
        time.sleep(0.1)


def one(proc: subprocess.Popen[bytes], url: str, size: int, chunked: bool) -> dict[str, Any]:
    # Warm the request path once (imports on first use), then measure from a reset high-water mark.
    httpx.post(url, content=b"{}", timeout=30)
    time.sleep(0.05)
    Path(f"/proc/{proc.pid}/clear_refs").write_text("5")
    before = rss_kb(proc.pid, "VmRSS")
    headers = {"Content-Type": "application/json"}
    if not chunked:
        headers["Content-Length"] = str(size)
    started = time.monotonic()
    try:
        answer = httpx.post(url, content=body_chunks(size), headers=headers, timeout=120)
        status, is_json = answer.status_code, answer.headers.get("content-type", "").startswith("application/json")
    except httpx.HTTPError as exc:  # a server that stops reading mid-body is also a refusal; note it
        status, is_json = -1, False
        print(f"  transport: {type(exc).__name__}", file=sys.stderr)
    seconds = time.monotonic() - started
    peak = rss_kb(proc.pid, "VmHWM")
    return {"status": status, "json": is_json, "growth_mb": round((peak - before) / 1024, 2),
            "seconds": round(seconds, 2)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--functions", default=",".join(FUNCTIONS))
    parser.add_argument("--sizes", default="1,10,200", help="MiB")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    per_function = limits()
    results: dict[str, dict[str, Any]] = {}
    worst = 0.0
    all_413 = True
    with tempfile.TemporaryDirectory(prefix="pw-hostile-") as secrets_dir:
        for function in args.functions.split(","):
            proc, url = start(function, per_function[function], secrets_dir)
            try:
                rows: dict[str, Any] = {"max_body_bytes": int(per_function[function])}
                for size in sizes:
                    for chunked in (False, True):
                        row = one(proc, url, size * MIB, chunked)
                        rows[f"{size}MiB_{'chunked' if chunked else 'length'}"] = row
                        worst = max(worst, row["growth_mb"])
                        all_413 = all_413 and row["status"] == 413 and row["json"]
                        print(f"{function:<14} {size:>4} MiB {'chunked' if chunked else 'length ':<8} "
                              f"-> {row['status']} json={row['json']} growth {row['growth_mb']:6.2f} MB "
                              f"({row['seconds']} s)", file=sys.stderr)
                results[function] = rows
            finally:
                proc.terminate()
                proc.wait(10)
    print(json.dumps({"bench": "hostile_memory", "worst_growth_mb": worst, "target_mb": TARGET_MB,
                      "ok": worst < TARGET_MB and all_413, "all_json_413": all_413, "functions": results}))


if __name__ == "__main__":
    main()
