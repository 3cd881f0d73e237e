"""pwdev.procs.FunctionProcess: a runner child that can be killed mid-step and restarted on its port."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from pwdev.gateway import Gateway
from pwdev.procs import FunctionProcess


def test_kill_9_mid_step_then_restart_on_same_port(fn_dir: Path, tmp_path: Path) -> None:
    marks = tmp_path / "marks.txt"
    proc = FunctionProcess("fn-kill", fn_dir, env={"RECORD_FILE": str(marks)}).start()
    try:
        port, pid = proc.port, proc.pid
        with Gateway({"fn-kill": proc.url}) as gw:
            errors: list[object] = []

            def call() -> None:
                try:
                    errors.append(httpx.get(f"{gw.url}/function/fn-kill/step?s=5", timeout=10).status_code)
                except httpx.HTTPError as exc:
                    errors.append(exc)

            caller = threading.Thread(target=call)
            caller.start()
            deadline = time.monotonic() + 5
            while not (marks.exists() and "started" in marks.read_text()) and time.monotonic() < deadline:
                time.sleep(0.02)
            proc.kill()
            caller.join(10)
            assert not proc.alive
            assert proc.proc is not None and proc.proc.returncode == -9
            assert marks.read_text() == "started\n"  # died at that line: "finished" never written
            assert errors == [503]  # the gateway could not get an answer from the dead function

            proc.restart()
            assert proc.port == port and proc.pid != pid and proc.alive
            assert httpx.get(f"{gw.url}/function/fn-kill/helper").text == "from a sibling"
    finally:
        proc.stop()
    assert not proc.alive


def test_stop_is_graceful_and_start_fails_loudly(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "handler.py").write_text("raise ImportError('nope')\n")
    with pytest.raises(RuntimeError, match="exited"):
        FunctionProcess("broken", broken, startup_timeout=10).start()
