"""The local stack: every outside system as a faithful stand-in on 127.0.0.1, and every function served the
way OpenFaaS serves it (python3-http runner processes behind a gateway-like router).

Started in this order: S3 (moto, bucket + templates), SMTP sink (aiosmtpd), Ollama stand-in (unless
OLLAMA_HOST points at a real Ollama), Listmonk stand-in (the four lists of ListmonkSettings; its unsubscribe
webhook goes to deliver through the gateway), ERPNext stand-in (an empty site), the gateway; meanwhile, when
backup or restore-check runs, a throw-away GPG key pair (public half: backup's backup-public-keys, private half:
restore-check's restore-check-private-key) and, for restore-check when MariaDB is installed, a private mariadbd
on a loopback port (pwdev.mariadb_server; without it restore-check keeps stack.yml's host and `mariadb_skipped`
says why); then `pw erpnext-setup`'s
code creates the Module Def, roles, DocTypes (with their permissions), custom fields and webhooks through the
REST API as Administrator, and a pipeline user (not Administrator: the Pipeline role plus the standard roles in
roles.json) gets API keys; the function processes start last and talk to ERPNext with that user's key, so a
permission the functions lack fails here as it would in production. The in-process clients (setup, demo,
tests) act as Administrator, the business side. `stop()` ends everything (also on Ctrl-C).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from pwdev.gateway import Gateway
from pwdev.listmonk_standin import ListmonkStandin
from pwdev.procs import FunctionProcess
from pwdev.queueworkers import worker_counts
from pwdev.s3 import S3Server
from pwdev.smtp_sink import SMTPSink
from pwdev.stackyml import FunctionSpec, local_environment, write_secrets
from pwdev.stackyml import functions as stack_functions

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ("on-payment", "generate-doc", "generate-report", "deliver", "presign", "calendar-tick", "backup",
             "reconcile", "restore-check")
API_KEY = "pw-dev-key"  # Administrator on the stand-in: setup, demo and tests
API_SECRET = "pw-dev-secret-0f3c9a"  # dev stand-in only; production reads secret files
ROLES_JSON = ROOT / "shared" / "pwcore" / "data" / "roles.json"
WEBHOOK_SECRET = "pw-dev-webhook-secret-7b21"
JWT_SECRET = "pw-dev-presign-jwt-secret-51e0-2b7d9c"  # >= 32 chars, as presign requires
OPERATOR_TOKEN = "pw-dev-operator-token-0c4e-9a17"
# The dedicated backup user (System Manager: the only role Frappe serves backups to); secrets backup-source-api-*.
BACKUP_KEY, BACKUP_SECRET = "pw-dev-backup-key", "pw-dev-backup-secret-4d2a"
BACKUP_USER: dict[str, Any] = {"user": "backups@pw.local", "api_key": BACKUP_KEY, "api_secret": BACKUP_SECRET,
                               "roles": ["System Manager"]}  # manual runs of the scheduled functions (Bearer)
# The local stack lets scheduled calls run back to back (tests sweep many times a minute); production keeps the
# defaults of pwcore.runtime.scheduled_request (one run per slot).
UNTHROTTLED = {"SCHEDULED_RECONCILE_MIN_INTERVAL_S": "0", "SCHEDULED_CALENDAR_TICK_MIN_INTERVAL_S": "0",
               "SCHEDULED_BACKUP_MIN_INTERVAL_S": "0", "SCHEDULED_RESTORE_CHECK_MIN_INTERVAL_S": "0"}


def operator_headers() -> dict[str, str]:
    """What an operator sends for a manual run (dry run, mode, listing) of a scheduled function."""
    return {"Authorization": f"Bearer {OPERATOR_TOKEN}"}


SMTP_USER = "documents@performancewest.net"  # stack.yml's SMTP_USER; the sink checks this login
SMTP_PASSWORD = "pw-dev-smtp-password-3e9d"  # the sink's password (secret file smtp-password)
LISTMONK_PASSWORD = "pw-dev-listmonk-token-8d31"  # the API user's token (secret file listmonk-password)
UNSUBSCRIBE_TOKEN = "pw-dev-unsubscribe-token-2f6a"  # Listmonk's webhook HMAC secret (deliver-unsubscribe-token)
# The lists an operator creates in Listmonk: ListmonkSettings' fields (LISTMONK_<FIELD> in stack.yml renames one).
LISTMONK_LIST_FIELDS = ("welcome_list", "formation_list", "crtc_list", "compliance_list")


_STANDIN_OLLAMA_URLS: set[str] = set()  # the Ollama stand-ins LocalStacks of this process started


class LocalStack:
    def __init__(
        self,
        workdir: str | Path | None = None,
        *,
        functions: tuple[str, ...] = FUNCTIONS,
        gateway_workers: int = 2,
        retry_mode: str = "ce",
        extra_env: dict[str, str] | None = None,
        token_latency_s: float = 0.0,
        webhook_retry_sleep_scale: float = 1.0,
        ports: dict[str, int] | None = None,
        log_dir: str | Path | None = None,
        bucket: str | None = None,
        extra_secrets: dict[str, str] | None = None,
        function_overrides: dict[str, dict[str, str]] | None = None,
        queue_workers: dict[str, int] | None = None,
        mariadb: bool | None = None,
    ) -> None:
        self._tmp = None if workdir else tempfile.TemporaryDirectory(prefix="pw-stack-")
        self.workdir = Path(workdir or self._tmp.name)  # type: ignore[union-attr]
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.function_names = functions
        self.gateway_workers = gateway_workers
        # Named queues (com.openfaas.queue) and their workers, as deploy/openfaas/ deploys them unless given.
        self.queue_workers = worker_counts() if queue_workers is None else dict(queue_workers)
        self.retry_mode = retry_mode
        self.extra_env = dict(extra_env or {})  # test knobs, applied on top of stack.yml's environment
        self.extra_secrets = dict(extra_secrets or {})  # values of secrets stack.yml names (backup-public-keys)
        self.function_overrides = dict(function_overrides or {})  # per function, on top of extra_env
        # A private MariaDB for restore-check: None = when restore-check runs here and MariaDB is installed.
        self.want_mariadb = ("restore-check" in functions) if mariadb is None else mariadb
        self.specs: dict[str, FunctionSpec] = stack_functions()
        self.token_latency_s = token_latency_s
        self.webhook_retry_sleep_scale = webhook_retry_sleep_scale
        self.ports = dict(ports or {})
        self.log_dir = Path(log_dir) if log_dir else self.workdir / "logs"
        # moto keeps one store per process: stacks in one test session would share a bucket, and a fresh ERPNext
        # site reuses order names (FO-2026-0001...), so each stack gets its own bucket unless one is named.
        self.bucket = bucket or f"pw-stack-{uuid.uuid4().hex[:12]}"
        self.s3: S3Server | None = None
        self.smtp: SMTPSink | None = None
        self.ollama: Any = None
        # A real Ollama named by the caller; not the stand-in of another stack alive in this process (whose env()
        # is in os.environ while it runs: test sessions overlap module- and package-scoped stacks).
        host = os.environ.get("OLLAMA_HOST", "")
        self.ollama_url = "" if host in _STANDIN_OLLAMA_URLS else host
        self.erpnext: Any = None
        self.gateway: Gateway | None = None
        self.listmonk: ListmonkStandin | None = None
        self.mariadb: Any = None  # pwdev.mariadb_server.MariaDBServer when started
        self.mariadb_skipped = ""  # why restore-check has no local MariaDB ('' when it has one or needs none)
        self.backup_keys: Any = None  # pwdev.gpg_keys.KeyPair when backup / restore-check run here
        self.functions: dict[str, FunctionProcess] = {}
        self._saved_env: dict[str, str | None] | None = None
        self._side: list[Future[None]] = []
        self.pipeline_user = ""  # the functions' ERPNext user, its roles and keys (set by start())
        self.pipeline_roles: list[str] = []
        self.pipeline_key = ""
        self.pipeline_secret = ""

    # -- settings of the in-process clients (setup, demo, tests); functions get function_env() -----------
    def env(self) -> dict[str, str]:
        assert self.s3 and self.smtp and self.erpnext and self.gateway
        secrets = self.workdir / "secrets"
        return {
            **self.s3.env(), **self.smtp.env(),
            "ERPNEXT_URL": self.erpnext.url, "ERPNEXT_TIMEZONE": "America/Chicago",
            "DISPATCH_MODE": "openfaas", "DISPATCH_GATEWAY_URL": self.gateway.url,
            "OLLAMA_HOST": self.ollama_url,
            "SECRETS_DIR": str(secrets),
            "PRESIGN_AUDIENCE": "performancewest-portal",
            "PRESIGN_ALLOWED_ORIGINS": "http://127.0.0.1:4321,http://localhost:4321",
            "PYTHONUNBUFFERED": "1",
            **UNTHROTTLED,
            **self.extra_env,
        }

    def endpoints(self) -> dict[str, str]:
        """The only values of stack.yml's environments the local stack replaces: where the stand-ins listen."""
        assert self.s3 and self.smtp and self.erpnext and self.gateway
        return {
            "ERPNEXT_URL": self.erpnext.url, "S3_ENDPOINT": self.s3.endpoint, "S3_BUCKET": self.s3.bucket,
            "S3_SECURE": "false", "DISPATCH_GATEWAY_URL": self.gateway.url, "OLLAMA_HOST": self.ollama_url,
            "SMTP_HOST": self.smtp.host, "SMTP_PORT": str(self.smtp.port), "SMTP_SECURITY": "none",
            "SMTP_USER": SMTP_USER, "PRESIGN_ALLOWED_ORIGINS": "http://127.0.0.1:4321,http://localhost:4321",
            "BACKUP_SOURCE_URL": self.erpnext.url,
            **({"LISTMONK_URL": self.listmonk.url} if self.listmonk else {}),
            **({"RESTORE_CHECK_DB_HOST": self.mariadb.host, "RESTORE_CHECK_DB_PORT": str(self.mariadb.port)}
               if self.mariadb else {}),
        }

    def function_env(self, name: str) -> dict[str, str]:
        """What a function process gets: stack.yml's environment for it, the stand-in endpoints in place of the
        production ones, its own secrets folder holding exactly the secrets stack.yml names, then `extra_env`.
        Nothing is inherited from this process's environment but PATH and HOME."""
        env = local_environment(self.specs[name], self.endpoints())
        env.update(UNTHROTTLED)  # a local override (production keeps one run per slot): tests sweep back to back
        env["SECRETS_DIR"] = str(self.workdir / "secrets" / name)
        if os.environ.get("HOME"):
            env.setdefault("HOME", os.environ["HOME"])
        return {**env, **self.extra_env, **self.function_overrides.get(name, {})}

    def secret_values(self) -> dict[str, str]:
        assert self.s3
        return {"erpnext-api-key": self.pipeline_key, "erpnext-api-secret": self.pipeline_secret,
                "s3-access-key": self.s3.access_key, "s3-secret-key": self.s3.secret_key,
                "webhook-secret": WEBHOOK_SECRET, "presign-jwt-secret": JWT_SECRET, "smtp-password": SMTP_PASSWORD,
                "operator-token": OPERATOR_TOKEN, "backup-source-api-key": BACKUP_KEY,
                "backup-source-api-secret": BACKUP_SECRET, "listmonk-password": LISTMONK_PASSWORD,
                "deliver-unsubscribe-token": UNSUBSCRIBE_TOKEN, **self._made_secrets(), **self.extra_secrets}

    def _made_secrets(self) -> dict[str, str]:
        out = {}
        if self.backup_keys is not None:
            out["backup-public-keys"] = self.backup_keys.public
            out["restore-check-private-key"] = self.backup_keys.private
        if self.mariadb is not None:
            out["restore-check-db-password"] = self.mariadb.password
        return out

    def listmonk_lists(self) -> list[str]:
        """The list names the functions use: stack.yml's LISTMONK_*_LIST where it gives one, else the default."""
        from pwcore.clients.listmonk import ListmonkSettings

        env = {k: v for n in ("deliver", "calendar-tick") if n in self.specs for k, v in
               self.specs[n].environment.items()}
        return [env.get(f"LISTMONK_{f.upper()}", str(ListmonkSettings.model_fields[f].default))
                for f in LISTMONK_LIST_FIELDS]

    def listmonk_user(self) -> str:
        return self.specs["deliver"].environment.get("LISTMONK_USER", "pipeline") if "deliver" in self.specs \
            else "pipeline"

    def _write_secrets(self, folder: str, api_key: str, api_secret: str) -> None:
        secrets = self.workdir / folder
        secrets.mkdir(exist_ok=True)
        for name, value in {"erpnext-api-key": api_key, "erpnext-api-secret": api_secret,
                            "webhook-secret": WEBHOOK_SECRET, "presign-jwt-secret": JWT_SECRET,
                            "operator-token": OPERATOR_TOKEN}.items():
            (secrets / name).write_text(value + "\n")  # faas-cli secret files often end with a newline

    # -- lifecycle --------------------------------------------------------------------------------------
    def start(self) -> LocalStack:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        from pwdev.erpnext import ERPNextStandin

        self.log_dir.mkdir(parents=True, exist_ok=True)
        # Seconds of work (a key pair, mariadbd's first start) done while the stand-ins start and ERPNext is set up.
        side = ThreadPoolExecutor(max_workers=2, thread_name_prefix="stack-side")
        self._side = [side.submit(self._make_backup_keys), side.submit(self._start_mariadb)]
        side.shutdown(wait=False)
        self.s3 = S3Server(bucket=self.bucket, port=self.ports.get("s3", 0)).start()
        self.smtp = SMTPSink(port=self.ports.get("smtp", 0), folder=self.workdir / "mail",
                             credentials=(SMTP_USER, SMTP_PASSWORD)).start()
        if not self.ollama_url:
            from pwdev.ollama_standin import OllamaStandin

            self.ollama = OllamaStandin(token_latency_s=self.token_latency_s).start(port=self.ports.get("ollama", 0))
            self.ollama_url = self.ollama.url
            _STANDIN_OLLAMA_URLS.add(self.ollama_url)
        self.listmonk = ListmonkStandin(user=self.listmonk_user(), password=LISTMONK_PASSWORD,
                                        lists=self.listmonk_lists(), webhook_token=UNSUBSCRIBE_TOKEN,
                                        webhook_auth="hmac").start(port=self.ports.get("listmonk", 0))
        self.erpnext = ERPNextStandin(
            db_path=str(self.workdir / "erpnext.sqlite"), seeded=False,
            users=[{"user": "Administrator", "api_key": API_KEY, "api_secret": API_SECRET}, BACKUP_USER],
            retry_sleep_scale=self.webhook_retry_sleep_scale,
        )
        self.erpnext.start(host="127.0.0.1", port=self.ports.get("erpnext", 0))
        self.gateway = Gateway(workers=self.gateway_workers, retry_mode=self.retry_mode,
                               queues=self.queue_workers).start(port=self.ports.get("gateway", 0))
        # Listmonk's outgoing webhook (Settings -> Webhooks) points at deliver's unsubscribe route.
        self.listmonk.webhook_url = f"{self.gateway.url}/function/deliver/listmonk/unsubscribe"
        self._write_secrets("admin-secrets", API_KEY, API_SECRET)
        self._setup_erpnext()
        self._create_pipeline_user()
        self._write_secrets("secrets", self.pipeline_key, self.pipeline_secret)
        for future in self._side:
            future.result()  # raises what failed there (stop() then ends what did start)
        for name in self.function_names:
            write_secrets(self.specs[name], self.workdir / "secrets" / name, self.secret_values())
        with ThreadPoolExecutor(max_workers=max(1, len(self.function_names))) as pool:
            procs = list(pool.map(lambda n: self._start_function(n, self.function_env(n)), self.function_names))
        for proc in procs:
            self.functions[proc.name] = proc
            self.gateway.register(proc.name, proc.url, self.specs[proc.name].annotations)
        self._upload_templates()

    def _make_backup_keys(self) -> None:
        """The backups' key pair, unless the caller brings backup's public keys (then restore-check has none)."""
        if "backup-public-keys" in self.extra_secrets or not {"backup", "restore-check"} & set(self.function_names):
            return
        from pwdev import gpg_keys

        if not gpg_keys.missing():
            self.backup_keys = gpg_keys.generate()

    def _start_mariadb(self) -> None:
        if not self.want_mariadb:
            return
        from pwdev.mariadb_server import MariaDBServer, missing

        self.mariadb_skipped = missing()
        if not self.mariadb_skipped:
            server = MariaDBServer(buffer_pool="32M")
            self.mariadb = server  # set before start: stop() removes its folder whatever happens
            server.start()

    def _start_function(self, name: str, env: dict[str, str]) -> FunctionProcess:
        proc = FunctionProcess(name, ROOT / "functions" / name, env=env, port=self.ports.get(name, 0),
                               log_path=self.log_dir / f"{name}.log", startup_timeout=60.0, inherit_env=False)
        return proc.start()

    def _client_env(self) -> None:
        """Point this process's own pwcore clients (setup, demo) at the stack; stop() puts the environment back,
        so a later stack in the same process (a test session) does not inherit this one's addresses."""
        env = {**self.env(), "SECRETS_DIR": str(self.workdir / "admin-secrets")}
        if self._saved_env is None:
            self._saved_env = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        from pwcore.runtime import wiring

        wiring.reset()

    def _setup_erpnext(self) -> None:
        from pwcore.admin.erpnext_setup import Setup
        from pwcore.runtime import wiring

        self._client_env()
        assert self.gateway is not None
        Setup(wiring.erpnext(), self.gateway.url, WEBHOOK_SECRET).plan_and_apply(apply=True)

    def _create_pipeline_user(self) -> None:
        """The functions' user: roles from roles.json, keys from Frappe's generate_keys (as an admin would)."""
        from pwcore.runtime import wiring

        spec = json.loads(ROLES_JSON.read_text())["pipeline_user"]
        erp = wiring.erpnext()
        self.pipeline_user, self.pipeline_roles = str(spec["email"]), list(spec["roles"])
        erp.insert("User", {"email": self.pipeline_user, "first_name": spec["first_name"],
                            "roles": [{"role": r} for r in self.pipeline_roles]})
        keys = erp.call("frappe.core.doctype.user.user.generate_keys", http="POST", user=self.pipeline_user)
        self.pipeline_secret = str(keys["api_secret"])
        self.pipeline_key = str(erp.get("User", self.pipeline_user)["api_key"])

    def _upload_templates(self) -> None:
        from pwcore.admin.templates import upload_templates
        from pwcore.runtime import wiring

        upload_templates(wiring.storage(), ROOT / "templates")  # what `pw templates upload` does

    def stop(self) -> None:
        wait(self._side)  # a failed start: let mariadbd come up before it is stopped, never leave it running
        for proc in self.functions.values():
            try:
                proc.stop()
            except Exception:  # keep stopping the rest
                pass
        for part in (self.gateway, self.erpnext, self.listmonk, self.ollama, self.smtp, self.s3, self.mariadb):
            if part is not None:
                try:
                    part.stop()
                except Exception:
                    pass
        if self._saved_env is not None:
            for key, value in self._saved_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            self._saved_env = None
            from pwcore.runtime import wiring

            wiring.reset()
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def describe(self) -> dict[str, Any]:
        assert self.gateway and self.erpnext and self.s3 and self.smtp
        return {"gateway": self.gateway.url, "erpnext": self.erpnext.url, "s3": self.s3.url,
                "erpnext_functions_user": {"user": self.pipeline_user, "roles": self.pipeline_roles},
                "smtp": f"127.0.0.1:{self.smtp.port}", "ollama": self.ollama_url,
                "listmonk": self.listmonk.url if self.listmonk else "",
                "mariadb": f"127.0.0.1:{self.mariadb.port}" if self.mariadb else self.mariadb_skipped,
                "functions": {n: p.url for n, p in self.functions.items()}, "logs": str(self.log_dir)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pw-stack", description="run the local stack until Ctrl-C")
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--gateway-port", type=int, default=8080)
    parser.add_argument("--erpnext-port", type=int, default=8000)
    parser.add_argument("--s3-port", type=int, default=9000)
    parser.add_argument("--smtp-port", type=int, default=2525)
    parser.add_argument("--ollama-port", type=int, default=11434)
    parser.add_argument("--listmonk-port", type=int, default=9100)
    args = parser.parse_args(argv)
    ports = {"gateway": args.gateway_port, "erpnext": args.erpnext_port, "s3": args.s3_port,
             "smtp": args.smtp_port, "ollama": args.ollama_port, "listmonk": args.listmonk_port}
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with LocalStack(args.workdir, ports=ports, bucket="performancewest") as stack:
        print(json.dumps(stack.describe()), flush=True)
        try:
            while not stop.is_set():
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
