"""Each function's image, without Docker: the build context faas-cli lays out, and a virtualenv with exactly
what the image's pip installs.

`faas-cli build` for the python3-http templates copies the template (Dockerfile, index.py, the template's
requirements.txt: flask + waitress) to build/<fn>/, the handler folder to build/<fn>/function/, and each
`configuration.copy` path (./shared) to build/<fn>/function/shared. The Dockerfile pip-installs the template's
requirements, then only function/requirements.txt, and runs index.py as user `app` from /home/app, which
imports `function.handler`. The template files themselves are not vendored here: `layout()` writes the
function's part exactly, the template's requirements as the project pins them, and `image.json` (what the
image holds); `ImageProcess` plays index.py with the project's runner copied next to `function/`.

    python -m pwdev.images [--out build] [name ...]   # `make images`
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

import httpx

from pwdev.stackyml import ROOT, FunctionSpec, copy_paths, functions

TEMPLATE_REQUIREMENTS = ("flask==3.1.3", "waitress==3.0.2")  # the template's, pinned as pyproject's `http` extra
BUILD = ROOT / "build"
RUNNER = Path(__file__).with_name("runner.py")
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache", ".pytest_cache")
APT = {"python3-http": "the template's Alpine Python image (apk)",
       "python3-http-debian": "the template's Debian slim Python image (apt)"}


def layout(spec: FunctionSpec, out: Path = BUILD) -> Path:
    """build/<fn>/ as faas-cli lays it out (the function's part); answers the folder (the image's /home/app)."""
    root = out / spec.name
    if root.exists():
        shutil.rmtree(root)
    function = root / "function"
    shutil.copytree(spec.handler_dir, function, ignore=IGNORE)
    (function / "__init__.py").touch()  # the Dockerfile's `touch ./function/__init__.py`
    for path in copy_paths():
        source = (ROOT / path).resolve()
        shutil.copytree(source, function / source.name, ignore=IGNORE)
    (root / "requirements.txt").write_text("\n".join(TEMPLATE_REQUIREMENTS) + "\n")
    shutil.copy(RUNNER, root / "pwdev_runner.py")  # stands in for the template's index.py (not vendored)
    return root


def image_python() -> str:
    """The interpreter the per-image venvs are built from: the system's Python 3 (`/usr/bin/python3`) when it is
    this Python's minor version and can make venvs, so that an unprivileged user can run the images (a Python
    installed under /root cannot be); else this interpreter."""
    system = Path("/usr/bin/python3")
    if not system.exists() or Path(sys.executable).resolve() == system.resolve():
        return sys.executable
    probe = subprocess.run([str(system), "-c", "import ensurepip, sys, venv; print(sys.version.split()[0])"],
                           capture_output=True, text=True, check=False)
    wanted = ".".join(map(str, sys.version_info[:2]))
    if probe.returncode == 0 and probe.stdout.strip().rsplit(".", 1)[0] == wanted:
        return str(system)
    return sys.executable


IMAGE_PYTHON = image_python()


def requirements_key(requirements: str) -> str:
    text = "\n".join([IMAGE_PYTHON, sys.version.split()[0], *TEMPLATE_REQUIREMENTS, requirements])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def venv(spec: FunctionSpec, out: Path = BUILD) -> Path:
    """build/venvs/<hash of the requirements>: flask + waitress, then only the function's requirements.txt."""
    return venv_for((spec.handler_dir / "requirements.txt").read_text(), out)


def venv_for(requirements: str, out: Path = BUILD) -> Path:
    """The template's flask + waitress, then `requirements` (a requirements.txt text; "" for a bare function).
    Built once per lock (a file lock makes parallel test workers wait for one build)."""
    target = out / "venvs" / requirements_key(requirements)
    stamp = target / ".complete"
    if stamp.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f"{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists():
            return target
        if target.exists():
            shutil.rmtree(target)
        subprocess.run([IMAGE_PYTHON, "-m", "venv", str(target)], check=True)
        pip = [str(target / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        subprocess.run([*pip, *TEMPLATE_REQUIREMENTS], check=True)
        if requirements.strip():
            (target / "requirements.txt").write_text(requirements)
            subprocess.run([*pip, "-r", str(target / "requirements.txt")], check=True)
        stamp.write_text(json.dumps(installed(target)))
    return target


def installed(env: Path) -> dict[str, str]:
    python = env / "bin" / "python"
    code = "import importlib.metadata as m, json; print(json.dumps({d.name: d.version for d in m.distributions()}))"
    out = subprocess.run([str(python), "-c", code], check=True, capture_output=True, text=True).stdout
    return dict(sorted(json.loads(out).items()))


def site_packages_bytes(env: Path) -> int:
    return sum(p.stat().st_size for p in (env / "lib").rglob("*") if p.is_file())


def describe(spec: FunctionSpec, env: Path | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "function": spec.name, "template": spec.lang, "base": APT[spec.lang],
        "apt_packages": spec.build_args.get("ADDITIONAL_PACKAGE", "").split(),
        "requirements": [line for line in (spec.handler_dir / "requirements.txt").read_text().splitlines()
                         if line and not line.startswith("#")],
    }
    if env is not None:
        out["installed"] = installed(env)
        out["site_packages_mb"] = round(site_packages_bytes(env) / 1e6, 1)
    return out


def _world_readable(path: Path) -> bool:
    """Every folder on the way is world-searchable and the file world-readable (what `nobody` needs)."""
    path = path.resolve()
    for parent in path.parents:
        if not parent.stat().st_mode & 0o001:
            return False
    return bool(path.stat().st_mode & 0o004)


def unprivileged_user() -> tuple[pwd.struct_passwd | None, str]:
    """(`nobody`, "") when we are root and nobody can run this interpreter (the image runs as `app`, not
    root); otherwise (None, the reason the functions run as the current user)."""
    if os.geteuid() != 0:
        return None, "not root: the functions run as the current user (no switch of user possible)"
    try:
        user = pwd.getpwnam("nobody")
    except KeyError:
        return None, "root, but this machine has no user `nobody` to run the functions as"
    if not _world_readable(Path(IMAGE_PYTHON)):
        return None, (f"root, but the image Python ({IMAGE_PYTHON}) is not readable by other users, so the "
                      "functions run as root (the read-only tree is then not enforced by permissions)")
    return user, ""


class ImageProcess:
    """One function run as its image runs it: the image's virtualenv, cwd = the laid-out /home/app, only the
    given environment (no PYTHONPATH: `function/shared` is what the handler puts on sys.path), as `nobody`
    when started by root (the tree is then read-only to it; HOME and the ready file live under /tmp)."""

    def __init__(self, spec: FunctionSpec, home: Path, env_dir: Path, env: dict[str, str],
                 log: IO[Any] | None = None) -> None:
        self.spec, self.home, self.env_dir, self.log = spec, home, env_dir, log
        self.env = {"PATH": f"{env_dir / 'bin'}:/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", **env}
        self.user, self.why_not_unprivileged = unprivileged_user()
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> ImageProcess:
        ready_dir = Path(tempfile.mkdtemp(prefix="pw-image-ready-"))
        ready_dir.chmod(0o777)
        ready = ready_dir / "port"
        cmd = [str(self.env_dir / "bin" / "python"), "pwdev_runner.py", "function", "--shared", "function/shared",
               "--port", "0", "--template", self.spec.lang, "--ready-file", str(ready),
               "--exec-timeout", self.spec.environment.get("exec_timeout", "30s"),
               "--max-inflight", self.spec.environment.get("max_inflight", "0")]
        kwargs: dict[str, Any] = {}
        if self.user is not None:
            kwargs.update(user=self.user.pw_uid, group=self.user.pw_gid, extra_groups=[])
        self.proc = subprocess.Popen(cmd, cwd=self.home, env=self.env, stdout=self.log or subprocess.DEVNULL,
                                     stderr=subprocess.STDOUT, start_new_session=True, **kwargs)
        deadline = time.monotonic() + timeout
        try:
            while not ready.exists():
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.spec.name} exited with {self.proc.returncode} during start-up")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{self.spec.name} did not start within {timeout}s")
                time.sleep(0.02)
            self.port = int(ready.read_text())
        except BaseException:
            self.stop()
            raise
        finally:
            shutil.rmtree(ready_dir, ignore_errors=True)
        while httpx.get(f"{self.url}/_/health", timeout=2).status_code != 200:
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pwdev.images", description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*")
    parser.add_argument("--out", type=Path, default=BUILD)
    parser.add_argument("--venvs", action="store_true", help="also build the per-image virtualenvs (pip)")
    args = parser.parse_args(argv)
    specs = functions()
    summary = []
    for name in args.names or list(specs):
        spec = specs[name]
        root = layout(spec, args.out)
        info = describe(spec, venv(spec, args.out) if args.venvs else None)
        (root / "image.json").write_text(json.dumps(info, indent=1) + "\n")
        summary.append({"function": name, "context": str(root), "site_packages_mb": info.get("site_packages_mb")})
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
