"""A generated corpus of hostile requests (>= 5,000) against all seven functions, through the python3-http
formatting layer of pwdev.runner (the Flask app the template builds, in process, with each handler's body limit),
the handlers' clients talking to the stack's stand-ins.

Asserted for every request: no 5xx; every body JSON (except Flask's own answers to OPTIONS / HEAD, which never
reach a handler); no secret (webhook secret, JWT secret, ERPNext key and secret, S3 keys, SMTP password, operator
and unsubscribe tokens) and no SSN/EIN-shaped value in any answer, log line or access-log record (which holds no
token, URL or signature either). For presign answers with links: every URL under the caller's own order's current
version. And no state change from the unauthenticated part of the corpus: the S3 listing (keys + ETags) and the
ERPNext documents (name + modified) are the same before and after it (the scheduled functions' slots are taken
before the "before" snapshot, so their scheduled calls in the corpus can only be "skipped").
"""

from __future__ import annotations

import base64
import json
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import flask
import jwt
import pytest
from werkzeug.test import EnvironBuilder

from pwcore.model.layout import ACCESS_LOG_PREFIX
from pwcore.model.signatures import SIGNATURE_HEADER, sign
from pwdev.demo import mark_paid, place_order, wait_status
from pwdev.runner import create_app, load_handler
from pwdev.stack import JWT_SECRET, OPERATOR_TOKEN, ROOT, WEBHOOK_SECRET, LocalStack

from .conftest import ENV

FUNCTIONS = ("on-payment", "generate-doc", "deliver", "presign", "calendar-tick", "backup", "reconcile")
PER_FUNCTION = 1000  # 7 x 1,000 = 7,000 requests
AUD = "performancewest-portal"
SSN = re.compile(r"(?<![\w-])\d{3}-\d{2}-\d{4}(?![\w-])")
EIN = re.compile(r"(?<![\w-])\d{2}-\d{7}(?![\w-])")
CREDENTIAL = re.compile(r"X-Amz-Credential=[^%&/\"]+")
DOCTYPES = ("Formation Order", "Compliance Service", "Sales Invoice", "Sales Order", "Customer", "Contact",
            "Comment", "Communication", "Compliance Calendar", "Commission Ledger")
SCHEDULED = ("calendar-tick", "backup", "reconcile")


# --- the world ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def world(stack: LocalStack) -> dict[str, Any]:
    """One order in Review with files (presign's real answers), a second customer, the stack's secrets."""
    from pwcore.runtime import wiring

    erp = wiring.erpnext()
    order = place_order(erp, "Hostile Holdings", "owner@hostile.example", compliance=False)
    other = place_order(erp, "Bystander Bakery", "owner@bystander.example", compliance=False)
    mark_paid(erp, order["invoice"])
    doctype, name = order["orders"][0]
    doc = wait_status(erp, doctype, name, {"Review"}, timeout=180)
    assert stack.s3 is not None
    secrets = [WEBHOOK_SECRET, JWT_SECRET, OPERATOR_TOKEN, stack.pipeline_key, stack.pipeline_secret,
               stack.s3.access_key, stack.s3.secret_key, ENV["SMTP_PASSWORD"], ENV["DELIVER_UNSUBSCRIBE_TOKEN"]]
    return {"customer": order["customer"], "order": name, "version": int(doc["document_version"]),
            "other_customer": other["customer"], "other_order": other["orders"][0][1],
            "invoice": order["invoice"], "bucket": wiring.storage().bucket,
            "secrets": [s for s in secrets if s and len(s) >= 6]}


@pytest.fixture(scope="module")
def clients(stack: LocalStack, world: dict[str, Any], monkeypatch_module: pytest.MonkeyPatch
            ) -> dict[str, Any]:
    """Each function's Flask app as the template builds it, with that function's own body limit."""
    limits = {"on-payment": 262144, "generate-doc": 262144, "deliver": 262144, "presign": 16384,
              "calendar-tick": 4096, "backup": 4096, "reconcile": 4096}  # as in stack.yml
    out = {}
    for function in FUNCTIONS:
        monkeypatch_module.setenv("MAX_BODY_BYTES", str(limits[function]))
        app = create_app(load_handler(ROOT / "functions" / function))
        # One process per function in production; here seven share one, so each app keeps its own class.
        app.request_class = flask.Flask.request_class
        out[function] = app.test_client()
    return out


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


# --- the corpus -------------------------------------------------------------------------------------------------

def deep(rng: random.Random) -> bytes:
    n = rng.choice([40, 100, 1000, 3000, 20000])
    kind = rng.randrange(4)
    if kind == 0:
        return b"[" * n
    if kind == 1:
        return b'{"a":' * n + b"1" + b"}" * n
    if kind == 2:
        return b"[" * n + b"]" * n
    return b'{"doctype":"Formation Order","name":' + b"[" * n + b"]" * n + b"}"


def hostile_json(rng: random.Random, world: dict[str, Any]) -> bytes:
    name = rng.choice([world["order"], world["other_order"], world["invoice"]])
    choices: list[Callable[[], bytes]] = [
        lambda: deep(rng),
        lambda: b'{"doctype":"Formation Order","name":"' + name.encode() + b'","name":"FO-1"}',
        lambda: b'{"doctype":"Formation Order","name":"' + name.encode() + b'\\n"}',
        lambda: b'{"doctype":"Sales Invoice","name":"' + name.encode() + b'","status":NaN}',
        lambda: b'{"order":Infinity}', lambda: b'{"order":-Infinity}',
        lambda: b'{"n":' + b"9" * rng.choice([100, 5000, 50000]) + b"}",
        lambda: b'{"n":1e999}', lambda: b'{"n":-1e999}',
        lambda: b'{"name":"\xff\xfe\xfd"}', lambda: b"\xc3\x28\xa0\xa1", lambda: b'{"a":"\xed\xa0\x80"}',
        lambda: b'{"name":"\\ud800"}', lambda: b'{"order":"FO-2026-0001\\u0000"}',
        lambda: b'{"order":"../../backups/x"}', lambda: b'{"order":"%2e%2e/orders"}',
        lambda: json.dumps({"order": name + "\n"}).encode(), lambda: json.dumps({"order": [name]}).encode(),
        lambda: json.dumps({"order": {"$ne": ""}}).encode(), lambda: b"null", lambda: b"[]", lambda: b'"x"',
        lambda: b"", lambda: bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300))),
        lambda: b"A" * rng.choice([1000, 5000, 20000, 300000]),
        lambda: json.dumps({"doctype": "Formation Order", "name": name, "resend": True}).encode(),
        lambda: json.dumps({"issued_at": time.time(), "dry_run": True, "mode": "lifecycle"}).encode(),
    ]
    return rng.choice(choices)()


def malformed(rng: random.Random, world: dict[str, Any]) -> bytes:
    """A body no schema accepts, whatever the function: what a valid signature may wrap in this corpus."""
    name = str(world["order"]).encode()
    return rng.choice([deep(rng), b'{"doctype":"Formation Order","name":"' + name + b'","name":"FO-1"}',
                       b'{"doctype":"Formation Order","name":"' + name + b'\n"}', b'{"name":NaN}',
                       b'{"doctype":"Formation Order","name":"\xff' + name + b'"}', b'\xff\xfe',
                       b'{"doctype":"Formation Order","name":' + b"9" * 5000 + b"}", b"[]", b"1e999"])


def structured(rng: random.Random, data: bytes, ping: bool = False) -> bytes:
    envelope: dict[str, Any] = {"specversion": rng.choice(["1.0", "1.0", "0.3", "2", ""]), "id": "x",
                                "source": "/hostile",
                                "type": "dev.knative.sources.ping" if ping else "dev.hostile"}
    if rng.random() < 0.5:
        envelope["data_base64"] = base64.b64encode(data).decode() if rng.random() < 0.8 else "%%%not-base64"
    else:
        envelope["data"] = "__DATA__"
    raw = json.dumps(envelope).encode()
    if b'"__DATA__"' in raw:
        raw = raw.replace(b'"__DATA__"', data if data else b"null")
    return raw


def token(rng: random.Random, world: dict[str, Any]) -> str:
    now = int(time.time())
    sub = rng.choice([world["customer"], world["other_customer"], "", "nobody"])
    variants: list[Callable[[], str]] = [
        lambda: jwt.encode({"sub": sub, "aud": AUD, "exp": now + 300}, JWT_SECRET, algorithm="HS256"),
        lambda: jwt.encode({"sub": sub, "aud": AUD, "exp": str(now + 300)}, JWT_SECRET, algorithm="HS256"),
        lambda: jwt.encode({"sub": sub, "aud": AUD, "exp": now - 600}, JWT_SECRET, algorithm="HS256"),
        lambda: jwt.encode({"sub": sub, "aud": AUD, "exp": now + 300, "iat": "now"}, JWT_SECRET, algorithm="HS256"),
        lambda: jwt.encode({"sub": sub, "aud": AUD, "exp": now + 300, "nbf": [1]}, JWT_SECRET, algorithm="HS256"),
        lambda: jwt.encode({"sub": sub, "aud": "other", "exp": now + 300}, JWT_SECRET, algorithm="HS256"),
        lambda: jwt.encode({"sub": sub, "aud": AUD, "exp": now + 300}, "a-wrong-secret-that-is-32-bytes-long!!",
                           algorithm="HS256"),
        lambda: jwt.encode({"sub": sub, "aud": AUD, "exp": now + 300}, None, algorithm="none"),  # type: ignore[arg-type]
        lambda: jwt.encode({"sub": sub, "aud": AUD, "exp": 1e308}, JWT_SECRET, algorithm="HS256"),
        lambda: "e30." * rng.randrange(1, 2000),
    ]
    return rng.choice(variants)()


def request_for(function: str, rng: random.Random, world: dict[str, Any]) -> dict[str, Any]:
    """One hostile request; `authenticated` when it carries a valid credential (state may then change)."""
    method = rng.choice(["POST"] * 6 + ["GET", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"])
    body = hostile_json(rng, world)
    headers: dict[str, str] = {}
    query: dict[str, str] = {}
    path = "/"
    authenticated = False
    roll = rng.random()
    if roll < 0.2:  # structured CloudEvent envelopes around hostile data
        body = structured(rng, body, ping=function in SCHEDULED and rng.random() < 0.5)
        headers["Content-Type"] = rng.choice(["application/cloudevents+json", "application/cloudevents-batch+json",
                                              "Application/CloudEvents+JSON; charset=utf-8"])
    elif roll < 0.3:  # binary CloudEvents
        headers.update({"ce-specversion": rng.choice(["1.0", "0.3", "x", ""]), "ce-id": "h",
                        "ce-source": "/hostile", "ce-type": rng.choice(["dev.knative.sources.ping", "x"])})
    else:
        headers["Content-Type"] = rng.choice(["application/json", "text/plain", "text/html",
                                              "application/x-www-form-urlencoded", "multipart/form-data; boundary=b",
                                              "application/json; charset=latin-1", "application/octet-stream"])
    if rng.random() < 0.3:
        query = rng.choice([{"dry_run": "1"}, {"mode": "retention"}, {"mode": "lifecycle"}, {"mode": "verify"},
                            {"today": "2099-01-01"}, {"today": "2099-01-01", "dry_run": "1"},
                            {"order": world["order"]}, {"order": world["order"] + "\n"},
                            {"order": world["other_order"]}, {"order": "../" * 50}, {"mode": "x" * 5000}])
    if rng.random() < 0.25:
        headers["X-Topic"] = "cron-function"
    cred = rng.random()
    if function in ("on-payment", "generate-doc", "deliver") and cred < 0.25:
        # A valid signature over a hostile body: authenticated, so the parse must still be a 4xx.
        body = malformed(rng, world)
        if headers.get("Content-Type", "").lower().startswith("application/cloudevents"):
            headers["Content-Type"] = "application/json"
        headers[SIGNATURE_HEADER] = sign(body, WEBHOOK_SECRET)
        authenticated = True
    elif cred < 0.45:
        headers[SIGNATURE_HEADER] = rng.choice(["", "x", "A" * 44, sign(body + b" ", WEBHOOK_SECRET),
                                                sign(body, "not-the-secret")])
    elif cred < 0.6:
        headers["Authorization"] = rng.choice([f"Bearer {token(rng, world)}", "Bearer ", "Basic Zm9vOmJhcg==",
                                               f"Bearer {OPERATOR_TOKEN}x", "Bearer " + "A" * 9000,
                                               f"bearer {OPERATOR_TOKEN[:-1]}", "token a:b"])
        if function == "presign":
            authenticated = True  # read-only anyway; checked for its links
            if rng.random() < 0.3:  # a fully valid request now and then: its links are checked
                good = jwt.encode({"sub": world["customer"], "aud": AUD, "exp": int(time.time()) + 600},
                                  JWT_SECRET, algorithm="HS256")
                headers = {"Authorization": f"Bearer {good}"}
                method, query, body = "GET", {"order": world["order"]}, b""
    if function == "presign" and rng.random() < 0.5:
        headers["Origin"] = rng.choice(["http://127.0.0.1:4321", "http://127.0.0.1:4321/", "http://127.0.0.1:4321//",
                                        "HTTP://127.0.0.1:4321", "null", "http://127.0.0.1:4321.evil.example",
                                        "http://127.0.0.1:80", "https://evil.example", "http://localhost:4321"])
    if function == "deliver" and rng.random() < 0.3:
        path = "/listmonk/unsubscribe"
        headers["X-Webhook-Token"] = rng.choice(["", "wrong", "pw-test-unsubscribe-token-3f1"])
        headers.pop("Authorization", None)
    if rng.random() < 0.05:
        path = rng.choice(["//", "/%2e%2e/", "/\x00", "/" + "a" * 3000, "/_/health"])
    return {"method": method, "path": path, "headers": headers, "query": query, "body": body,
            "authenticated": authenticated}


def corpus(world: dict[str, Any], *, authenticated: bool) -> list[tuple[str, dict[str, Any]]]:
    rng = random.Random(20)
    out = []
    for function in FUNCTIONS:
        for _ in range(PER_FUNCTION):
            req = request_for(function, rng, world)
            if req["authenticated"] == authenticated:
                out.append((function, req))
    return out


# --- the checks -----------------------------------------------------------------------------------------------

def snapshot(stack: LocalStack) -> dict[str, Any]:
    from pwcore.runtime import wiring

    storage = wiring.storage()
    erp = wiring.erpnext()
    objects = sorted((o.key, o.etag) for o in storage.list(""))
    docs = {dt: sorted((str(r["name"]), str(r.get("modified"))) for r in
                       erp.list(dt, fields=["name", "modified"], page_length=100_000)) for dt in DOCTYPES}
    return {"objects": objects, "documents": docs}


def send(client: Any, req: dict[str, Any]) -> Any:
    environ = EnvironBuilder(path="/", method=req["method"], headers=req["headers"], query_string=req["query"],
                             data=req["body"]).get_environ()
    environ["PATH_INFO"] = req["path"]
    environ["REQUEST_URI"] = environ["RAW_URI"] = req["path"]
    return client.open(environ)


def check_answer(function: str, req: dict[str, Any], response: Any, world: dict[str, Any]) -> str:
    """The answer's text, after the per-answer assertions."""
    text: str = response.get_data().decode("utf-8", "replace")
    what = f"{function} {req['method']} {req['path'][:40]!r} headers={list(req['headers'])} body={req['body'][:80]!r}"
    assert response.status_code < 500, f"{what}: {response.status_code} {text[:300]}"
    flask_own = req["method"] in ("OPTIONS", "HEAD") or (response.status_code == 405 and req["method"] not in
                                                         ("GET", "PUT", "POST", "PATCH", "DELETE"))
    if not flask_own:
        assert response.is_json, f"{what}: not JSON ({response.status_code}): {text[:200]}"
        try:
            json.loads(text)
        except ValueError:
            raise AssertionError(f"{what}: a JSON Content-Type but no JSON ({response.status_code}): {text[:200]!r}"
                                 ) from None
    if function == "presign" and response.status_code == 200 and not flask_own:
        body = json.loads(text)
        assert body["order"] == world["order"] and body["version"] == world["version"], body
        prefix = f"/{world['bucket']}/orders/{world['order']}/v{world['version']}/"
        for f in body["files"]:
            assert urlsplit(f["url"]).path.startswith(prefix), f["url"]
        allowed = response.headers.get("Access-Control-Allow-Origin")
        assert allowed in (None, "http://127.0.0.1:4321", "http://localhost:4321"), allowed
    return text


def leaks(text: str, secrets: list[str]) -> list[str]:
    found = [f"secret {s[:4]}..." for s in secrets if s in text]
    found += [f"SSN-shaped {m}" for m in SSN.findall(text)] + [f"EIN-shaped {m}" for m in EIN.findall(text)]
    return found


def access_log_problems(world: dict[str, Any]) -> list[str]:
    """Every access-log object (key and content): no secret, SSN/EIN, token, URL or signature."""
    from pwcore.runtime import wiring

    storage = wiring.storage()
    keys = [o.key for o in storage.list(ACCESS_LOG_PREFIX)]
    assert keys, "the authenticated presign requests wrote no access-log record"
    found = []
    for key in keys:
        text = key + storage.get_bytes(key).decode("utf-8", "replace")
        found += [f"access log {key}: {leak}" for leak in leaks(text, world["secrets"])]
        found += [f"access log {key}: {mark!r}" for mark in ("X-Amz-", "Bearer", "eyJ", "://") if mark in text]
    return found


def run(clients: dict[str, Any], requests: list[tuple[str, dict[str, Any]]], world: dict[str, Any]
        ) -> tuple[Counter[tuple[str, int]], list[str]]:
    statuses: Counter[tuple[str, int]] = Counter()
    problems: list[str] = []
    for function, req in requests:
        response = send(clients[function], req)
        statuses[(function, response.status_code)] += 1
        text = check_answer(function, req, response, world)
        # A SigV4 presigned URL names the access key id in X-Amz-Credential by design (the id is not a secret;
        # the secret key never appears); everything else must not.
        text = CREDENTIAL.sub("X-Amz-Credential=", text)
        for leak in leaks(text + json.dumps(dict(response.headers)), world["secrets"]):
            problems.append(f"{function}: {leak} in the answer")
    return statuses, problems


@pytest.mark.timeout(300)
def test_hostile_corpus(stack: LocalStack, world: dict[str, Any], clients: dict[str, Any], log_dir: Path,
                        capfd: pytest.CaptureFixture[str]) -> None:
    unauthenticated = corpus(world, authenticated=False)
    authenticated = corpus(world, authenticated=True)
    assert len(unauthenticated) + len(authenticated) >= 5000
    assert {f for f, _ in unauthenticated} == set(FUNCTIONS)
    # The schedule's slots are taken first: every scheduled call of the corpus is then "skipped".
    for function in SCHEDULED:
        first = clients[function].post("/", headers={"X-Topic": "cron-function"})
        assert first.status_code < 500 or function == "backup", first.get_data()
    time.sleep(0.5)
    before = snapshot(stack)
    started = time.monotonic()
    statuses, problems = run(clients, unauthenticated, world)
    assert snapshot(stack) == before, "an unauthenticated request changed S3 or ERPNext"
    more, more_problems = run(clients, authenticated, world)
    statuses.update(more)
    problems += more_problems
    seconds = time.monotonic() - started
    out, err = capfd.readouterr()
    (log_dir / "hostile-corpus.log").write_text(out + err)
    for line in (out + err).splitlines():
        problems += [f"log: {leak}: {line[:160]}" for leak in leaks(line, world["secrets"])]
    problems += access_log_problems(world)
    assert not problems, problems[:20]
    by_function = {f: {str(code): n for (g, code), n in sorted(statuses.items()) if g == f} for f in FUNCTIONS}
    presign_ok = statuses[("presign", 200)]
    with capfd.disabled():
        print(f"\nhostile corpus: {sum(statuses.values())} requests in {seconds:.1f}s "
              f"({len(unauthenticated)} unauthenticated), presign links answered {presign_ok}: {by_function}")
    assert sum(statuses.values()) >= 5000
    # The scheduled functions, unauthenticated, never ran a job in the corpus: only refusals or "skipped".
    for function in SCHEDULED:
        assert all(code in (200, 400, 401, 405, 413) for (g, code) in statuses if g == function)
