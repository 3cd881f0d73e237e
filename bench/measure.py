"""What the memory benches share: the measured step in a fresh (spawned) interpreter, so that its peak RSS is its
own, and moto's S3 server in a process of its own (its memory not counted). Standard library only: a bench may put
shared/ and dev/ on sys.path itself before it imports pwcore or pwdev."""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def peak_rss_mb(children: bool = False) -> float:
    """The peak resident set of this process (or of its finished children), in MiB."""
    return resource.getrusage(resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF).ru_maxrss / 1024


def in_child(target: Callable[..., None], *args: Any, timeout: float) -> tuple[Any, float]:
    """`target(*args, out)` in a spawned interpreter: what it put on the queue `out`, and the seconds from starting
    it to that answer."""
    ctx = mp.get_context("spawn")
    out: Any = ctx.Queue()
    started = time.perf_counter()
    proc = ctx.Process(target=target, args=(*args, out))
    proc.start()
    result = out.get(timeout=timeout)
    wall = time.perf_counter() - started
    proc.join(60)
    return result, wall


@contextmanager
def moto_server(bucket: str) -> Iterator[str]:
    """moto's S3 server (`python -m pwdev.s3`) with `bucket`, in its own process on a free port: its endpoint."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    path = [str(ROOT / "shared"), str(ROOT / "dev"), *filter(None, [os.environ.get("PYTHONPATH")])]
    moto = subprocess.Popen(
        [sys.executable, "-m", "pwdev.s3", "--port", str(port), "--bucket", bucket],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(path)},
    )
    try:
        assert moto.stdout is not None
        moto.stdout.readline()  # "pwdev.s3: S3 on ..." once it is up
        yield f"127.0.0.1:{port}"
    finally:
        moto.terminate()
        moto.wait(30)
