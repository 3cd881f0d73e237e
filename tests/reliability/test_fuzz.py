"""Every HTTP entry point fuzzed with hypothesis: 10,000 generated requests in all, sent through the
python3-http formatting layer (pwdev.runner's Flask app, in process) to the real handlers, whose clients
talk to the reliability stack's stand-ins. No answer may be a 5xx (ERPNext is up, so a 503 is a bug too),
and no request may crash a handler (an uncaught exception is an HTML 500 in the runner).

Kept sane on purpose: backup bodies are at most 4 KiB (each real one is encrypted with gpg and uploaded),
and backup gets fewer examples; cron functions run their real sweeps (the stack is small and settled).
Valid signatures and JWTs are rare under fuzzing, so part of the bodies / tokens are validly signed with the
stack's secrets around random or real order names, which sends those requests all the way to ERPNext/S3.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import EnvironBuilder

from pwcore.model.signatures import SIGNATURE_HEADER, sign
from pwdev.faults import ERPNextFaults
from pwdev.runner import create_app, load_handler
from pwdev.stack import JWT_SECRET, ROOT, WEBHOOK_SECRET, LocalStack, operator_headers

# 10,000 in all; backup does real gpg + S3 work per request, so it gets fewer.
EXAMPLES = {"on-payment": 1700, "generate-doc": 1700, "deliver": 1700, "presign": 1700, "calendar-tick": 1100,
            "backup": 600, "reconcile": 1500}
assert sum(EXAMPLES.values()) == 10_000
SIGNED = {"on-payment", "generate-doc", "deliver"}
ORIGINS = ["http://127.0.0.1:4321", "http://localhost:4321"]
RESULTS: dict[str, dict[str, Any]] = {}
WRONG_JWT_SECRET = "not-the-presign-secret-but-as-long-as-one"  # >= 32 bytes: no PyJWT key-length warning

printable = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60)
latin = st.text(st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"), max_size=40)
json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=40))
json_any = st.recursive(json_leaf, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                          st.dictionaries(st.text(max_size=12), inner, max_size=4)),
                        max_leaves=12)


@pytest.fixture(scope="module", autouse=True)
def healthy(stack: LocalStack, end_faults: Callable[[], None]) -> None:
    """Fuzzing starts from healthy dependencies: a fault left over from the fault run would turn into a
    legitimate 503 "retry later" here, and under fuzzing every 5xx must count as a failure."""
    assert stack.erpnext is not None
    end_faults()
    assert ERPNextFaults(stack.erpnext.url).remaining() == []


@pytest.fixture(scope="module")
def world(stack: LocalStack) -> dict[str, Any]:
    """Names that exist in the stack (so signed requests reach real documents) and the customers' ids."""
    from pwcore.runtime import wiring

    erp = wiring.erpnext()
    orders = [str(r["name"]) for dt in ("Formation Order", "Compliance Service")
              for r in erp.list(dt, fields=["name"], page_length=50)][:40]
    invoices = [str(r["name"]) for r in erp.list("Sales Invoice", fields=["name"], page_length=20)]
    customers = [str(r["name"]) for r in erp.list("Customer", fields=["name"], page_length=20)]
    return {"orders": orders or ["FO-2026-00001"], "invoices": invoices or ["ACC-SINV-2026-00001"],
            "customers": customers or ["nobody"]}


@pytest.fixture(scope="module")
def gpg_keys() -> Iterator[tuple[str, str]]:
    """(public, secret) armored: backup encrypts to the public key; the verify mode needs the secret one."""
    home = tempfile.mkdtemp(prefix="pw-fuzz-gpg-")
    base = ["gpg", "--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase", ""]
    uid = "fuzz-backup@example.com"
    subprocess.run([*base, "--quick-gen-key", uid, "ed25519", "cert", "never"], check=True, capture_output=True)
    fpr = subprocess.run(["gpg", "--homedir", home, "--batch", "--with-colons", "--list-keys", uid], check=True,
                         capture_output=True, text=True).stdout.split("fpr:::::::::")[1].split(":")[0]
    subprocess.run([*base, "--quick-add-key", fpr, "cv25519", "encr", "never"], check=True, capture_output=True)
    public = subprocess.run(["gpg", "--homedir", home, "--batch", "--armor", "--export", fpr], check=True,
                            capture_output=True, text=True).stdout
    secret = subprocess.run([*base, "--armor", "--export-secret-keys", fpr], check=True, capture_output=True,
                            text=True).stdout
    yield public, secret
    subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], capture_output=True, check=False)


def request_strategy(function: str, world: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    names = st.one_of(st.sampled_from(world["orders"] + world["invoices"]), printable, latin)
    doctype = st.one_of(st.sampled_from(["Sales Invoice", "Formation Order", "Compliance Service"]), printable)
    shaped = st.fixed_dictionaries({"doctype": doctype, "name": names},
                                   optional={"status": st.one_of(printable, json_any),
                                             "invoice": st.one_of(names, json_any),
                                             "resend": st.one_of(st.booleans(), json_any),
                                             "order": names, "review_notes": st.text(max_size=200)})
    max_body = 4096 if function == "backup" else 100_000
    body = st.one_of(
        st.binary(max_size=min(max_body, 2048)),
        json_any.map(lambda v: json.dumps(v).encode()),
        shaped.map(lambda v: json.dumps(v).encode()),
        st.integers(1, max_body).map(lambda n: b"A" * n),  # huge strings, up to the function's limits
        st.just(b""),
    )
    queries = st.dictionaries(
        st.one_of(st.sampled_from(["dry_run", "mode", "today", "order", "resend"]), printable),
        st.one_of(st.sampled_from(["1", "true", "0", "backup", "retention", "verify", "lifecycle", "2026-02-30",
                                   "2026-01-15", ""]), names, latin), max_size=4)
    if function in ("calendar-tick", "backup", "reconcile"):
        # Cron functions: mostly dry runs, so fuzzing does not turn into thousands of real sweeps.
        queries = queries.map(lambda q: q if len(q) % 3 == 0 else {**q, "dry_run": "1"})
    now = int(time.time())
    token = st.builds(
        lambda sub, aud, exp, good: jwt.encode({"sub": sub, "aud": aud, "exp": now + exp},
                                               JWT_SECRET if good else WRONG_JWT_SECRET, algorithm="HS256"),
        st.one_of(st.sampled_from(world["customers"]), printable),
        st.sampled_from(["performancewest-portal", "other"]), st.integers(-100, 3600), st.booleans())
    auth = st.one_of(printable, latin, token.map(lambda t: f"Bearer {t}"), printable.map(lambda t: f"token {t}"),
                     st.just("Bearer "), printable.map(lambda t: f"Basic {t}"))
    headers = st.fixed_dictionaries({}, optional={
        SIGNATURE_HEADER: st.one_of(printable, latin), "Authorization": auth,
        "Content-Type": st.one_of(st.sampled_from(["application/json", "text/plain", "application/octet-stream",
                                                   "multipart/form-data; boundary=x"]), printable),
        "Origin": st.one_of(st.sampled_from(ORIGINS), printable), "X-Call-Id": printable,
        "X-Topic": st.sampled_from(["cron-function", "x"]), "X-Webhook-Token": printable,
        "ce-id": printable, "ce-type": printable, "ce-source": printable, "ce-specversion": st.sampled_from(
            ["1.0", "0.3", "x"]), "X-Timeout": printable, "Content-Encoding": st.sampled_from(["gzip", "br"])})
    # Mostly the real route and method, so most requests reach the handler's own checks and beyond.
    path = st.one_of(st.just("/"), st.just("/"), st.just("/"),
                     st.sampled_from(["/listmonk/unsubscribe", "/_/health", "/function/x", "//"]),
                     printable.map(lambda p: "/" + p.replace("?", "").replace("#", "")))
    method = st.one_of(st.just("POST"), st.just("POST"), st.just("POST"),
                       st.sampled_from(["GET", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "TRACE", "PROPFIND",
                                        "FOO"]))
    sign_it = st.booleans() if function in SIGNED else st.just(False)
    return st.fixed_dictionaries({"method": method, "path": path, "headers": headers, "query": queries,
                                  "body": body, "sign": sign_it})


@pytest.mark.timeout(280)
@pytest.mark.parametrize("function", list(EXAMPLES))
def test_fuzz_entry_point(function: str, world: dict[str, Any], gpg_keys: tuple[str, str], log_dir: Path,
                          monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    # backup is configured as its verify deployment too (`mode=verify` needs the private key), and one good
    # backup is made first: verify answering 500 for a missing / unreadable backup is its alarm, not a crash.
    monkeypatch.setenv("BACKUP_PUBLIC_KEYS", gpg_keys[0])
    monkeypatch.setenv("BACKUP_VERIFY_PRIVATE_KEY", gpg_keys[1])
    client = create_app(load_handler(ROOT / "functions" / function)).test_client()
    if function == "backup":
        seeded = client.post("/", data=gzip.compress(b"-- a small dump\n" * 100), headers=operator_headers())
        assert seeded.status_code == 200, seeded.get_data()
        assert client.post("/", query_string={"mode": "verify"}, headers=operator_headers()).status_code == 200
    statuses: Counter[int] = Counter()
    not_json: Counter[int] = Counter()
    started = time.monotonic()

    @settings(max_examples=EXAMPLES[function], deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), print_blob=True)
    @given(request_strategy(function, world))
    def one(req: dict[str, Any]) -> None:
        headers = dict(req["headers"])
        if req["sign"]:
            headers[SIGNATURE_HEADER] = sign(req["body"], WEBHOOK_SECRET)
        if req["method"] == "POST" and function in SIGNED and req["sign"]:
            path = "/"  # valid signed webhooks arrive on the root path
        else:
            path = req["path"]
        # The raw path goes into PATH_INFO as a server would put it there ("//[" included); the test client
        # would read a leading "//" as a host name instead.
        environ = EnvironBuilder(path="/", method=req["method"], headers=headers, query_string=req["query"],
                                 data=req["body"]).get_environ()
        environ["PATH_INFO"] = path
        environ["REQUEST_URI"] = environ["RAW_URI"] = path
        response = client.open(environ)
        statuses[response.status_code] += 1
        if response.status_code >= 400 and not response.is_json:
            not_json[response.status_code] += 1
        assert response.status_code < 500, (
            f"{function} answered {response.status_code} to {req['method']} {path} "
            f"query={req['query']} headers={headers} body={req['body'][:300]!r}: {response.get_data()[:500]!r}")

    try:
        one()
    finally:
        seconds = time.monotonic() - started
        RESULTS[function] = {"requests": sum(statuses.values()), "seconds": round(seconds, 1),
                             "statuses": dict(sorted(statuses.items())), "non_json_errors": dict(not_json)}
        line = (f"fuzz {function:<14} {sum(statuses.values()):>5} requests in {seconds:5.1f}s  "
                f"5xx={sum(v for k, v in statuses.items() if k >= 500)}  statuses={dict(sorted(statuses.items()))}"
                f"  non-JSON 4xx (Flask's own 405/OPTIONS) {dict(not_json)}")
        out, err = capfd.readouterr()
        # The in-process handlers' JSON logs: kept for the log scan.
        (log_dir / f"fuzz-{function}.log").write_text(out + err)
        with capfd.disabled():
            print(line)
        with (log_dir.parent / "fuzz-summary.txt").open("a") as fh:
            fh.write(line + "\n")
