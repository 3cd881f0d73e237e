"""DOCX -> PDF with a warm LibreOffice (unoserver), restart-on-failure and a cold `soffice` fallback.

Why this shape (measured on a 2-core machine with LibreOffice 7.4 and unoserver 3.7):
- A cold `soffice --convert-to pdf` costs 1.3-2 s per file; a resident LibreOffice behind unoserver
  converts the same file in about 0.2 s. The server is started lazily, once per process.
- unoserver's server needs LibreOffice's Python (`/usr/bin/python3` can `import uno`); the venv's
  unoserver package is made importable to it through a private PYTHONPATH folder holding only
  symlinks to the package and its dist-info (the whole venv site-packages would shadow Debian modules).
- unoserver handles one request at a time and has no supervisor, so conversions are serialized by a
  lock, each call has a timeout, and a dead/hung server has its whole process group killed and is
  restarted once; if that fails too, a one-shot `soffice` with its own throw-away profile does the job.
- `UnoClient._connect` sleeps 10 s between retries when the server refuses connections; we probe the
  server ourselves and let the client try once.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import xmlrpc.client
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from types import TracebackType
from typing import Any

from pydantic_settings import SettingsConfigDict
from unoserver.client import UnoClient

from pwcore.logs import get_logger
from pwcore.settings import Settings, load_settings

log = get_logger("pwcore.documents.pdf")
# unoserver's client logs every call at INFO ("Connecting.", "Converting."); keep only its problems.
logging.getLogger("unoserver").setLevel(logging.WARNING)

DEBIAN_PYTHON = "/usr/bin/python3"


class LibreOfficeSettings(Settings):
    model_config = SettingsConfigDict(env_prefix="PIPELINE_")
    soffice_timeout_s: float = 120.0
    unoserver_port: int = 0  # 0: a free port, picked per process (one warm LibreOffice per function process)
    unoserver_uno_port: int = 0


# Runs unoserver's main under LibreOffice's Python, plus a watchdog: when the process that started it
# dies without close() (crash, SIGKILL, a test run that never tears down), the server kills its own
# process group instead of living on as an orphan. (PR_SET_PDEATHSIG would fire when the *thread* that
# started it exits, which a worker-thread pool does routinely.)
_LAUNCHER = """
import os, shutil, signal, sys, threading, time
parent, root = int(sys.argv[1]), sys.argv[2]
def watch():
    while os.getppid() == parent:
        time.sleep(1)
    shutil.rmtree(root, ignore_errors=True)  # the profile and log of a converter that never ran close()
    os.killpg(0, signal.SIGKILL)
threading.Thread(target=watch, daemon=True).start()
# unoserver loads documents without Hidden=True, so LibreOffice builds a (headless) frame and view for each one:
# about 30 ms of a 100 ms conversion. The wrapper adds Hidden to every load; unoserver needs nothing else.
import unoserver.server  # first: it imports the standard library before uno's import hook is installed
import unoserver.converter as _converter
class _HiddenDesktop:
    def __init__(self, desktop):
        self._desktop = desktop
    def __getattr__(self, name):
        return getattr(self._desktop, name)
    def loadComponentFromURL(self, url, frame, flags, props):
        from com.sun.star.beans import PropertyValue  # only once UNO is up (the server connects first)
        hidden = PropertyValue(Name="Hidden", Value=True)
        return self._desktop.loadComponentFromURL(url, frame, flags, (*props, hidden))
_init = _converter.UnoConverter.__init__
def _hidden_init(self, *args, **kwargs):
    _init(self, *args, **kwargs)
    self.desktop = _HiddenDesktop(self.desktop)
_converter.UnoConverter.__init__ = _hidden_init
sys.argv = ["unoserver"] + sys.argv[3:]
unoserver.server.main()
"""


class ConversionError(RuntimeError):
    """Neither the warm server nor the cold fallback produced a PDF."""


class _OneShotClient(UnoClient):  # type: ignore[misc]  # unoserver ships no type hints
    """UnoClient without its 5 x 10 s reconnect loop (our caller decides about restarts), which checks the
    server's API version once: unoserver's client asks for info() (5 KB of filter lists) before every
    conversion. One client lives as long as one server process."""

    _info: Any = None

    def _connect(self, proxy: Any, retries: int = 1, sleep: float = 0) -> Any:
        if self._info is None:
            self._info = super()._connect(proxy, retries=1, sleep=0)
        return self._info


class _TimeoutTransport(xmlrpc.client.Transport):
    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def make_connection(self, host: Any) -> Any:
        conn = super().make_connection(host)
        conn.timeout = self._timeout
        return conn


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _unoserver_pythonpath(root: Path) -> Path:
    """A folder with symlinks to the venv's unoserver package + dist-info (metadata.version needs it)."""
    import unoserver

    pkg = Path(unoserver.__file__).resolve().parent
    site = pkg.parent
    shim = root / "pythonpath"
    shim.mkdir(parents=True, exist_ok=True)
    links = [pkg, *sorted(site.glob("unoserver-*.dist-info"))]
    for target in links:
        link = shim / target.name
        if not link.exists():
            link.symlink_to(target, target_is_directory=True)
    return shim


def _check_pdf(data: bytes | None) -> bytes:
    if not data or not data.startswith(b"%PDF"):
        raise ConversionError("converter returned something that is not a PDF")
    return data


def convert_cold(docx_bytes: bytes, timeout_s: float = 120.0, soffice: str = "soffice") -> bytes:
    """One-shot `soffice --headless --convert-to pdf` with a unique profile (deleted afterwards), so
    concurrent calls never share a LibreOffice profile."""
    work = Path(tempfile.mkdtemp(prefix="pw_cold_"))
    profile = Path(tempfile.gettempdir()) / f"lo_{uuid.uuid4().hex}"
    try:
        src = work / "in.docx"
        src.write_bytes(docx_bytes)
        cmd = [
            soffice,
            "--headless",
            "--norestore",
            "--nologo",
            "--nodefault",
            "--nolockcheck",
            f"-env:UserInstallation={profile.as_uri()}",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work),
            str(src),
        ]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        try:
            _, err = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise ConversionError(f"soffice timed out after {timeout_s:.0f} s") from None
        out = work / "in.pdf"
        if proc.returncode != 0 or not out.is_file():
            tail = (err or b"").decode("utf-8", "replace").strip()[-300:]
            raise ConversionError(f"soffice failed (exit {proc.returncode}): {tail}")
        return _check_pdf(out.read_bytes())
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(profile, ignore_errors=True)


def _kill_group(proc: subprocess.Popen[Any]) -> None:
    """SIGKILL the process group (unoserver + the soffice/oosplash it spawned) and reap the leader."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


class PdfConverter:
    """A warm LibreOffice behind unoserver. Thread-safe; use as a context manager or call close().

    port / uno_port: None picks free ports on 127.0.0.1. `python` runs unoserver's server (it must be
    able to `import uno`). `convert_timeout_s` bounds one warm conversion; `start_timeout_s` bounds a
    start; `soffice_timeout_s` bounds the cold fallback. After a failed start the warm path is skipped
    for `retry_start_after_s` so a broken LibreOffice does not cost every caller a start attempt.
    """

    def __init__(
        self,
        port: int | None = None,
        uno_port: int | None = None,
        *,
        python: str = DEBIAN_PYTHON,
        soffice: str = "soffice",
        convert_timeout_s: float = 60.0,
        start_timeout_s: float = 60.0,
        soffice_timeout_s: float = 120.0,
        retry_start_after_s: float = 60.0,
    ) -> None:
        self.port = port or free_port()
        self.uno_port = uno_port or free_port()
        if self.port == self.uno_port:
            self.uno_port = free_port()
        self.python = python
        self.soffice = soffice
        self.convert_timeout_s = convert_timeout_s
        self.start_timeout_s = start_timeout_s
        self.soffice_timeout_s = soffice_timeout_s
        self.retry_start_after_s = retry_start_after_s
        self.restarts = 0  # completed (re)starts after the first one
        self.cold_conversions = 0
        self._starts = 0
        self._lock = threading.RLock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._client = _OneShotClient(server="127.0.0.1", port=str(self.port), host_location="local")
        self._root = Path(tempfile.mkdtemp(prefix="pw_unoserver_"))
        self._log_path = self._root / "unoserver.log"
        self._start_failed_at: float | None = None
        self._closed = False
        # Worker threads for the RPC so a hung server cannot block the caller past the timeout.
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="unoclient")
        atexit.register(self.close)  # a normal interpreter exit stops the server too

    # -- lifecycle -----------------------------------------------------------------------------------

    @property
    def server_pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def start(self) -> None:
        """Start the server now (otherwise the first convert() does). Raises ConversionError on failure."""
        with self._lock:
            self._ensure_started()

    def _ensure_started(self) -> None:
        if self._closed:
            raise ConversionError("converter is closed")
        if self._proc is not None and self._proc.poll() is None:
            return
        self._stop_server()
        self._start_server()

    def _start_server(self) -> None:
        profile = self._root / "profile"
        shutil.rmtree(profile, ignore_errors=True)  # a killed LibreOffice can leave a stale lock
        env = dict(os.environ)
        env["PYTHONPATH"] = str(_unoserver_pythonpath(self._root))
        cmd = [
            self.python,
            "-c",
            _LAUNCHER,
            str(os.getpid()),
            str(self._root),
            "--interface",
            "127.0.0.1",
            "--uno-interface",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--uno-port",
            str(self.uno_port),
            "--user-installation",
            str(profile),
            "--executable",
            self.soffice if os.path.isabs(self.soffice) else shutil.which(self.soffice) or self.soffice,
        ]
        started = time.monotonic()
        with open(self._log_path, "ab") as logf:
            try:
                self._proc = subprocess.Popen(
                    cmd, stdin=subprocess.DEVNULL, stdout=logf, stderr=logf, env=env, start_new_session=True
                )
            except OSError as exc:
                self._start_failed_at = time.monotonic()
                raise ConversionError(f"cannot start unoserver: {exc.strerror}") from exc
        deadline = started + self.start_timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                break
            if self._answers():
                self._starts += 1
                self._client = _OneShotClient(server="127.0.0.1", port=str(self.port), host_location="local")
                if self._starts > 1:
                    self.restarts += 1
                self._start_failed_at = None
                log.info(
                    "unoserver_started",
                    pid=self._proc.pid,
                    port=self.port,
                    seconds=round(time.monotonic() - started, 2),
                    restarts=self.restarts,
                )
                return
            time.sleep(0.2)
        code = self._proc.poll()
        self._stop_server()
        self._start_failed_at = time.monotonic()
        raise ConversionError(
            f"unoserver did not come up within {self.start_timeout_s:.0f} s"
            + (f" (exited with {code})" if code is not None else "")
        )

    def _answers(self) -> bool:
        proxy = xmlrpc.client.ServerProxy(
            f"http://127.0.0.1:{self.port}", allow_none=True, transport=_TimeoutTransport(2.0)
        )
        try:
            info = proxy.info()
        except (OSError, xmlrpc.client.Error):
            return False
        return isinstance(info, dict) and "api" in info

    def _stop_server(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            _kill_group(proc)

    def close(self) -> None:
        if self._closed:
            return
        with self._lock:
            self._closed = True
            self._stop_server()
            self._pool.shutdown(wait=False, cancel_futures=True)
            shutil.rmtree(self._root, ignore_errors=True)

    def __enter__(self) -> PdfConverter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- conversion ----------------------------------------------------------------------------------

    def _warm_once(self, docx_bytes: bytes) -> bytes:
        self._ensure_started()
        client = self._client
        # update_index=False: our documents have no tables of contents/indexes to refresh, and the refresh
        # costs ~40 ms a conversion (a quarter of it). Page fields are laid out either way.
        future = self._pool.submit(client.convert, indata=docx_bytes, convert_to="pdf", update_index=False)
        try:
            return _check_pdf(future.result(timeout=self.convert_timeout_s))
        except FutureTimeout:
            raise ConversionError(f"unoserver timed out after {self.convert_timeout_s:.0f} s") from None

    def convert(self, docx_bytes: bytes) -> bytes:
        """DOCX bytes -> PDF bytes (starts with %PDF). Warm server, one restart + retry, then cold."""
        if not docx_bytes:
            raise ConversionError("empty input")
        warm_allowed = self._start_failed_at is None or (
            time.monotonic() - self._start_failed_at > self.retry_start_after_s
        )
        if warm_allowed:
            with self._lock:
                for attempt in (1, 2):
                    try:
                        return self._warm_once(docx_bytes)
                    except Exception as exc:  # any failure (down, hung, crashed, garbage): restart
                        log.warning(
                            "unoserver_failed", attempt=attempt, error=type(exc).__name__, detail=str(exc)[:200]
                        )
                        # Kill the whole group: a hung LibreOffice must not survive into the next try.
                        self._stop_server()
                        if self._closed:
                            raise ConversionError("converter is closed") from exc
                        if self._start_failed_at is not None:
                            break  # it cannot even start: a second start attempt would only add delay
        self.cold_conversions += 1
        log.warning("pdf_cold_fallback")
        return convert_cold(docx_bytes, timeout_s=self.soffice_timeout_s, soffice=self.soffice)


_shared: PdfConverter | None = None
_shared_lock = threading.Lock()


def get_converter() -> PdfConverter:
    """The process-wide converter (created on first use, ports and timeouts from LibreOfficeSettings)."""
    global _shared
    with _shared_lock:
        if _shared is None or _shared._closed:

            s = load_settings(LibreOfficeSettings)
            _shared = PdfConverter(
                s.unoserver_port or None, s.unoserver_uno_port or None, soffice_timeout_s=s.soffice_timeout_s
            )
        return _shared






if __name__ == "__main__":  # manual smoke test: python -m pwcore.documents.pdf in.docx out.pdf
    with PdfConverter() as conv:
        Path(sys.argv[2]).write_bytes(conv.convert(Path(sys.argv[1]).read_bytes()))
