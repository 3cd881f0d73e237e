"""Child processes for the local stack: start a function runner with its env, wait until it answers, stop it
cleanly (its own process group: SIGTERM, then SIGKILL) or `kill -9` it mid-step (tests of crash recovery)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import httpx

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def run_until_interrupted(stop: Callable[[], None]) -> None:
    """Keep a `python -m pwdev.<stand-in>` process serving until Ctrl-C, then stop it cleanly."""
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        stop()


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago (prefer letting the child bind port 0 when it can report it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_for_port(host: str, port: int, timeout: float = 10.0, proc: subprocess.Popen[Any] | None = None) -> None:
    """Block until a TCP connect succeeds; raise early if `proc` died."""
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process {proc.pid} exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listening on {host}:{port} after {timeout}s") from None
            time.sleep(0.05)


def child_env(env: Mapping[str, str] | None = None, inherit: bool = True) -> dict[str, str]:
    """The environment for a child: ours (optional) + the given values, unbuffered, with dev/ and shared/
    importable even without the editable install."""
    out = dict(os.environ) if inherit else {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    out.update(env or {})
    out.setdefault("PYTHONUNBUFFERED", "1")
    paths = [str(PROJECT_ROOT / "dev"), str(PROJECT_ROOT / "shared")]
    if out.get("PYTHONPATH"):
        paths.append(out["PYTHONPATH"])
    out["PYTHONPATH"] = os.pathsep.join(paths)
    return out


def start_process(
    cmd: Sequence[str],
    env: Mapping[str, str] | None = None,
    *,
    cwd: Path | None = None,
    log: IO[Any] | None = None,
    inherit_env: bool = True,
) -> subprocess.Popen[bytes]:
    """Start `cmd` in its own session, so stop/kill reach everything it forks (e.g. soffice)."""
    return subprocess.Popen(
        list(cmd),
        env=child_env(env, inherit_env),
        cwd=str(cwd) if cwd else None,
        stdout=log,
        stderr=subprocess.STDOUT if log is not None else None,
        start_new_session=True,
    )


def _signal_group(proc: subprocess.Popen[Any], sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)  # start_new_session: pgid == pid
    except ProcessLookupError:
        pass


def stop_process(proc: subprocess.Popen[Any], timeout: float = 5.0) -> int | None:
    """SIGTERM to the group, wait, then SIGKILL. Returns the exit code."""
    if proc.poll() is None:
        _signal_group(proc, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait(timeout)
    _signal_group(proc, signal.SIGKILL)  # stray grandchildren of the group
    return proc.returncode


def kill_process(proc: subprocess.Popen[Any]) -> int | None:
    """`kill -9` the whole group, no grace (a crash mid-step)."""
    _signal_group(proc, signal.SIGKILL)
    proc.wait(10)
    return proc.returncode


class FunctionProcess:
    """One function folder served by `python -m pwdev.runner` in a child process.

    The env carries the function's settings (ERPNEXT_URL, S3_*, SECRETS_DIR, ...) and, like of-watchdog,
    lower-case `exec_timeout` / `max_inflight`. port=0 lets the child bind a free port and report it; a
    restart reuses the port, so a gateway registration stays valid.
    """

    def __init__(
        self,
        name: str,
        folder: str | Path,
        env: Mapping[str, str] | None = None,
        port: int = 0,
        *,
        template: str = "python3-http",
        host: str = "127.0.0.1",
        log_path: str | Path | None = None,
        inherit_env: bool = True,
        startup_timeout: float = 20.0,
    ) -> None:
        self.name = name
        self.folder = Path(folder).resolve()
        self.env = dict(env or {})
        self.port = port
        self.template = template
        self.host = host
        self.log_path = Path(log_path) if log_path else None
        self.inherit_env = inherit_env
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[Any] | None = None

    @property
    def url(self) -> str:
        if not self.port:
            raise RuntimeError(f"{self.name} is not started")
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> FunctionProcess:
        if self.alive:
            return self
        with tempfile.TemporaryDirectory(prefix="pwdev-ready-") as tmp:
            ready = Path(tmp) / "port"
            cmd = [
                sys.executable, "-m", "pwdev.runner", str(self.folder),
                "--host", self.host, "--port", str(self.port),
                "--template", self.template, "--ready-file", str(ready),
            ]  # fmt: skip
            if self.log_path and self._log is None:
                self._log = self.log_path.open("ab")
            self.proc = start_process(cmd, self.env, log=self._log, inherit_env=self.inherit_env)
            deadline = time.monotonic() + self.startup_timeout
            while not ready.exists():
                if self.proc.poll() is not None:
                    raise RuntimeError(f"function {self.name} exited with {self.proc.returncode} during start-up")
                if time.monotonic() > deadline:
                    self.stop()
                    raise TimeoutError(f"function {self.name} did not start within {self.startup_timeout}s")
                time.sleep(0.02)
            self.port = int(ready.read_text())
        self._wait_healthy(deadline)
        return self

    def _wait_healthy(self, deadline: float) -> None:
        while True:
            try:
                if httpx.get(f"{self.url}/_/health", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or not self.alive:
                raise RuntimeError(f"function {self.name} is not healthy on {self.url}")
            time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL, no grace: the function dies at whatever line it is on."""
        if self.proc is not None:
            kill_process(self.proc)

    def stop(self, timeout: float = 5.0) -> None:
        if self.proc is not None:
            stop_process(self.proc, timeout)
        if self._log is not None:
            self._log.close()
            self._log = None

    def restart(self) -> FunctionProcess:
        """Stop (if still running) and start again on the same port."""
        if self.alive:
            self.stop()
        return self.start()

    def __enter__(self) -> FunctionProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
