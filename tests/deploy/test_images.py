"""Every function runs in its own image's environment with exactly what stack.yml gives it.

Per function: a virtualenv with only the template's flask + waitress and `functions/<name>/requirements.txt`
(pwdev.images, cached under build/venvs/<hash of the requirements>), the build context laid out as faas-cli
does (`function/` package, `function/shared`), cwd = that folder (the image's /home/app), no PYTHONPATH,
stack.yml's environment with only the stand-in endpoints replaced, and only the secret files stack.yml names.
Started as `nobody` when the suite runs as root, so the tree is read-only to the function and only /tmp is
writable, as with readonly_root_filesystem. The smoke requests are the real jobs: a paid invoice's signed
webhook (on-payment) -> generation with LibreOffice (generate-doc; the compliance part with its LLM sections in
generate-report) -> approval -> the email (deliver) -> a
presigned link (presign); a calendar tick that sends a reminder; a nightly backup pulled, encrypted with the
key in the secret stack.yml names and decrypted again; a reconcile sweep.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from pwdev.demo import mark_paid, place_order, wait_status
from pwdev.images import ImageProcess, layout, unprivileged_user, venv
from pwdev.stack import JWT_SECRET, LocalStack
from pwdev.stackyml import functions, local_environment, write_secrets

SPECS = functions()
pytestmark = pytest.mark.timeout(900)
DUMP = b"-- MariaDB dump of the site\n" + bytes(range(256)) * 4096  # ~1 MiB, binary-safe


def missing_tools() -> str:
    for tool in ("soffice", "gpg"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (make system-deps)"
    return ""


def public_tree(prefix: str) -> Path:
    """A folder an unprivileged user can read but not write (pytest's tmp folders are 0700 to root)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


def gen_key(home: Path) -> tuple[str, str]:
    base = ["gpg", "--homedir", str(home), "--batch", "--pinentry-mode", "loopback", "--passphrase", ""]
    subprocess.run([*base, "--quick-gen-key", "Backup ops <ops@example.com>", "ed25519", "cert", "never"],
                   check=True, capture_output=True)
    listing = subprocess.run([*base, "--with-colons", "--list-keys"], check=True, capture_output=True,
                             text=True).stdout
    fpr = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
    subprocess.run([*base, "--quick-add-key", fpr, "cv25519", "encr", "never"], check=True, capture_output=True)
    public = subprocess.run([*base, "--armor", "--export", fpr], check=True, capture_output=True, text=True).stdout
    return fpr, public


class DumpServer(ThreadingHTTPServer):
    """Where the nightly dump is served (stack.yml's BACKUP_SOURCE_URL points at the real one)."""


class _DumpHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(DUMP)))
        self.end_headers()
        self.wfile.write(DUMP)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def images() -> Iterator[dict[str, Any]]:
    if reason := missing_tools():
        pytest.skip(reason)
    envs = {name: venv(spec) for name, spec in SPECS.items()}  # built once per lock, then cached
    root = public_tree("pw-images-")
    gpg_home = Path(tempfile.mkdtemp(prefix="pw-images-gpg-"))
    fpr, public = gen_key(gpg_home)
    dumps = DumpServer(("127.0.0.1", 0), _DumpHandler)
    threading.Thread(target=dumps.serve_forever, daemon=True).start()
    procs: dict[str, ImageProcess] = {}
    logs: dict[str, Path] = {}
    try:
        with LocalStack(root / "stack", functions=(), extra_secrets={"backup-public-keys": public}) as stack:
            endpoints = {**stack.endpoints(), "BACKUP_SOURCE": "url",  # a plain file server, not the stand-in
                         "BACKUP_SOURCE_URL": f"http://127.0.0.1:{dumps.server_port}/x.sql.gz"}
            secrets_root = public_tree("pw-images-secrets-")
            for name, spec in SPECS.items():
                home = layout(spec, root / "build")
                env = {**local_environment(spec, endpoints), "SECRETS_DIR": str(secrets_root / name)}
                write_secrets(spec, secrets_root / name, stack.secret_values())
                (secrets_root / name).chmod(0o755)
                logs[name] = root / f"{name}.log"
                proc = ImageProcess(spec, home, envs[name], env, log=logs[name].open("ab"))
                procs[name] = proc.start()
                stack.gateway.register(name, proc.url, spec.annotations)  # type: ignore[union-attr]
            yield {"stack": stack, "procs": procs, "logs": logs, "gpg_home": gpg_home, "fpr": fpr}
    finally:
        for proc in procs.values():
            proc.stop()
        dumps.shutdown()
        subprocess.run(["gpgconf", "--homedir", str(gpg_home), "--kill", "all"], capture_output=True, check=False)
        shutil.rmtree(gpg_home, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)


def test_images_run_unprivileged_or_say_why() -> None:
    """No fixture here (xdist would start a second set of images): the main test checks the uid."""
    user, why_not = unprivileged_user()
    if user is None:
        pytest.skip(why_not)
    assert user.pw_uid != 0


def test_every_function_in_its_image(images: dict[str, Any]) -> None:
    from pwcore.runtime import wiring

    stack: LocalStack = images["stack"]
    gw = stack.gateway.url  # type: ignore[union-attr]
    erp, storage = wiring.erpnext(), wiring.storage()
    problems: dict[str, str] = {}
    user, _ = unprivileged_user()
    for fn, proc in images["procs"].items():
        assert proc.proc is not None
        status = Path(f"/proc/{proc.proc.pid}/status").read_text()
        uid = int(next(line.split()[1] for line in status.splitlines() if line.startswith("Uid:")))
        assert uid == (user.pw_uid if user else os.geteuid()), fn

    def log_tail(name: str) -> str:
        return images["logs"][name].read_text(errors="replace")[-1500:]

    # on-payment -> generate-doc (the formation part) and generate-report (the compliance part, LLM sections from
    # the Ollama stand-in): the stand-in sends the signed webhook for the paid invoice.
    order = place_order(erp, "Image Test LLC", "owner@image-test.example", compliance=True)
    mark_paid(erp, order["invoice"])
    for (part_doctype, part), function in zip(order["orders"], ("generate-doc", "generate-report"), strict=True):
        doc = wait_status(erp, part_doctype, part, {"Review"}, timeout=240)
        if doc["status"] != "Review":
            problems[f"on-payment/{function}"] = f"{part} is {doc['status']}: {log_tail('on-payment')}" \
                                                 f"{log_tail(function)}"
            continue
        pdfs = [o.key for o in storage.list(doc.get("minio_path") or f"orders/{part}/") if o.key.endswith(".pdf")]
        if not pdfs:
            problems[function] = "no PDF rendered"
    doctype, name = order["orders"][0]

    # deliver: approval fires ERPNext's webhook at the gateway.
    if not problems:
        erp.update(doctype, name, {"status": "Approved"})
        doc = wait_status(erp, doctype, name, {"Delivered"}, timeout=120)
        assert stack.smtp is not None
        if doc["status"] != "Delivered" or not stack.smtp.messages:
            problems["deliver"] = f"{name} is {doc['status']}: {log_tail('deliver')}"

    # presign: the portal asks for a link with the customer's token.
    token = jwt.encode({"sub": order["customer"], "aud": "performancewest-portal", "exp": int(time.time()) + 300},
                       JWT_SECRET, algorithm="HS256")
    r = httpx.get(f"{gw}/function/presign", params={"order": name},
                  headers={"Authorization": f"Bearer {token}"}, timeout=30)
    if "deliver" not in problems and r.status_code != 200:
        problems["presign"] = f"{r.status_code} {r.text[:300]} {log_tail('presign')}"

    # calendar-tick: a real tick, reminders on, through stack.yml's SMTP settings and smtp-password.
    sent_before = len(stack.smtp.messages) if stack.smtp else 0
    due = (dt.date.today() + dt.timedelta(days=5)).isoformat()
    erp.insert("Compliance Calendar", {"customer": order["customer"], "entity_name": "Image Test LLC", "state": "TX",
                                       "event_type": "Franchise Tax", "title": "Annual Franchise Tax Report",
                                       "due_date": due})
    r = httpx.post(f"{gw}/function/calendar-tick", headers={"X-Topic": "cron-function"}, timeout=120)
    reminders = [m for m in (stack.smtp.messages if stack.smtp else [])[sent_before:]
                 if str(m["Subject"]).startswith("Due soon")]
    if r.status_code != 200 or not reminders:
        problems["calendar-tick"] = f"{r.status_code} {r.text[:300]} reminders={len(reminders)}"

    # backup: the cron's empty POST pulls the dump, encrypts it to the key in backup-public-keys.
    r = httpx.post(f"{gw}/function/backup", headers={"X-Topic": "cron-function"}, timeout=300)
    if r.status_code != 200:
        problems["backup"] = f"{r.status_code} {r.text[:300]} {log_tail('backup')}"
    else:
        # A scheduled (unauthenticated) answer holds counts only, never object names: find the daily backup.
        daily = sorted(o.key for o in storage.list("backups/daily/") if o.key.endswith(".gpg"))
        key = daily[-1] if daily else "backups/daily/(none)"
        plain = subprocess.run(["gpg", "--homedir", str(images["gpg_home"]), "--batch", "--decrypt"],
                               input=storage.get_bytes(key), capture_output=True, check=False).stdout
        if plain != DUMP:
            problems["backup"] = f"{key} does not decrypt to the dump"

    # reconcile: the sweep over a healthy site.
    r = httpx.post(f"{gw}/function/reconcile", headers={"X-Topic": "cron-function"}, timeout=120)
    if r.status_code != 200 or r.json().get("status") != "ok":
        problems["reconcile"] = f"{r.status_code} {r.text[:300]}"

    assert problems == {}
