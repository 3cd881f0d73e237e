"""A TCP proxy on 127.0.0.1 that can be told to misbehave: the fault injector between a function and one of
its dependencies (S3, ERPNext, Ollama, SMTP). Modes: pass, refuse (close new connections at once), drop
(accept, read, then close without answering), slow (delay every chunk). Connections in flight are cut when
the mode leaves `pass`."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from typing import Literal

import httpx

Mode = Literal["pass", "refuse", "drop", "slow"]


class TcpProxy:
    def __init__(self, target_host: str, target_port: int, host: str = "127.0.0.1", port: int = 0) -> None:
        self.target = (target_host, target_port)
        self.mode: Mode = "pass"
        self.delay_s = 0.0
        self.connections = 0
        self._sock = socket.create_server((host, port))
        self.host, self.port = self._sock.getsockname()[:2]
        self._stop = threading.Event()
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> TcpProxy:
        threading.Thread(target=self._accept, daemon=True, name="tcp-proxy").start()
        return self

    def set_mode(self, mode: Mode, delay_s: float = 0.0) -> None:
        self.mode = mode
        self.delay_s = delay_s
        if mode != "pass":
            with self._lock:
                for s in list(self._open):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

    def stop(self) -> None:
        self._stop.set()
        self._sock.close()
        self.set_mode("refuse")

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            self.connections += 1
            if self.mode == "refuse":
                client.close()
                continue
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        if self.mode == "drop":
            try:
                client.recv(65536)
            finally:
                client.close()
            return
        try:
            upstream = socket.create_connection(self.target, timeout=10)
        except OSError:
            client.close()
            return
        with self._lock:
            self._open.update({client, upstream})
        threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()
        self._pipe(client, upstream)

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data or self.mode in ("refuse", "drop"):
                    break
                if self.mode == "slow" and self.delay_s:
                    time.sleep(self.delay_s)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with self._lock:
                    self._open.discard(s)
                try:
                    s.close()
                except OSError:
                    pass


# --- small helpers the reliability suite uses to misbehave on purpose ---------------------------------------


def descendants(pid: int) -> list[int]:
    """Every live descendant of `pid`, by walking /proc (children before grandchildren)."""
    by_parent: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read().decode(errors="replace")
        except OSError:
            continue  # the process ended while we looked
        # Field 4 is the parent; the name (field 2) may contain spaces, so split after its closing paren.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        by_parent.setdefault(ppid, []).append(int(entry))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in by_parent.get(todo.pop(0), []):
            found.append(child)
            todo.append(child)
    return found


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def kill_descendants(pid: int, contains: str, sig: int = signal.SIGKILL) -> list[int]:
    """Signal the descendants of `pid` whose command line contains `contains` (e.g. "unoserver", "soffice").
    Returns the pids signalled; an empty list when none was running."""
    killed = []
    for child in descendants(pid):
        if contains in cmdline(child):
            try:
                os.kill(child, sig)
                killed.append(child)
            except ProcessLookupError:
                pass
    return killed


class ERPNextFaults:
    """The ERPNext stand-in's /_standin/faults knobs: `rule(status=502, count=3, path_prefix=..., method=...)`,
    `{drop: true}` for a cut connection, `{delay_s: n}` for a slow answer. Paths are matched quoted or not."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def add(self, *, count: int = 1, path_prefix: str = "", method: str = "", status: int = 0,
            drop: bool = False, delay_s: float = 0.0, tag: str = "") -> None:
        rule: dict[str, object] = {"count": count}
        if tag:  # the stand-in keeps unknown keys, so `remaining()` tells which rule was (not) hit
            rule["tag"] = tag
        if path_prefix:
            rule["path_prefix"] = path_prefix
        if method:
            rule["method"] = method
        if status:
            rule["status"] = status
        if drop:
            rule["drop"] = True
        if delay_s:
            rule["delay_s"] = delay_s
        httpx.post(f"{self.base_url}/_standin/faults", json=rule, timeout=5).raise_for_status()

    def remaining(self) -> list[dict[str, object]]:
        """The rules not used up yet, each with its count left (a rule leaves the list at count 0)."""
        r = httpx.get(f"{self.base_url}/_standin/faults", timeout=5)
        r.raise_for_status()
        return list(r.json()["faults"])

    def clear(self) -> None:
        httpx.delete(f"{self.base_url}/_standin/faults", timeout=5).raise_for_status()
