"""presign served like production (pwdev.runner): JWT, ownership, hostile inputs, CORS, independent SigV4 check,
and no S3 request per call."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import botocore.auth
import httpx
import jwt
import pytest
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

from pwcore.clients.erpnext import ERPNext
from pwcore.clients.s3 import Storage
from pwcore.runtime import wiring
from pwcore.steps.presign import Presigner, PresignSettings
from pwdev.erpnext import ERPNextStandin
from pwdev.procs import FunctionProcess
from pwdev.runner import load_handler
from pwdev.s3 import S3Server

ROOT = Path(__file__).resolve().parents[3]
JWT_SECRET = "presign-jwt-secret-for-tests-0123456789abcdef"
AUD = "pw-portal-test"
SITE = "https://performancewest.net"
Order = dict[str, Any]


@pytest.fixture(scope="module")
def s3_count() -> Iterator[dict[str, Any]]:
    """Counts every request moto's server (in this process) answers."""
    counter: dict[str, Any] = {"n": 0, "seen": []}
    lock = threading.Lock()
    original = DomainDispatcherApplication.__call__

    def counting(self: Any, environ: dict[str, Any], start_response: Any) -> Any:
        with lock:
            counter["n"] += 1
            counter["seen"].append((environ.get("REQUEST_METHOD"), environ.get("PATH_INFO", "")))
        return original(self, environ, start_response)

    DomainDispatcherApplication.__call__ = counting  # type: ignore[method-assign]
    yield counter
    DomainDispatcherApplication.__call__ = original  # type: ignore[method-assign]


@pytest.fixture(scope="module")
def presign_fn(erp_standin: ERPNextStandin, s3: S3Server, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[FunctionProcess]:
    env = {**s3.env(), "ERPNEXT_URL": erp_standin.url, "ERPNEXT_API_KEY": "dev-key",
           "ERPNEXT_API_SECRET": "dev-secret", "PRESIGN_JWT_SECRET": JWT_SECRET, "PRESIGN_AUDIENCE": AUD,
           "PRESIGN_TTL_S": "7200", "PRESIGN_ALLOWED_ORIGINS": f"{SITE},https://www.performancewest.net",
           "SECRETS_DIR": str(tmp_path_factory.mktemp("secrets"))}
    fn = FunctionProcess("presign", ROOT / "functions" / "presign", env,
                         log_path=tmp_path_factory.mktemp("logs") / "presign.log").start()
    yield fn
    fn.stop()


def token(sub: str, *, aud: str = AUD, exp_in: int = 300, secret: str = JWT_SECRET, alg: str = "HS256",
          **extra: Any) -> str:
    claims = {"sub": sub, "aud": aud, "exp": int(time.time()) + exp_in, **extra}
    return jwt.encode(claims, secret, algorithm=alg)


def get(fn: FunctionProcess, order: str, tok: str | None, origin: str | None = None) -> httpx.Response:
    headers = {}
    if tok is not None:
        headers["Authorization"] = f"Bearer {tok}"
    if origin:
        headers["Origin"] = origin
    return httpx.get(f"{fn.url}/", params={"order": order}, headers=headers, timeout=10)


def sigv4_check(url: str, access_key: str, secret_key: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Recompute the query signature with botocore's own SigV4 signer for the URL's timestamp and compare."""
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    amz_date = dt.datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *a, **k: amz_date)
    unsigned = {k: v for k, v in query.items() if not k.startswith("X-Amz-")}
    request = AWSRequest(method="GET", url=urlunsplit((parts.scheme, parts.netloc, parts.path,
                                                        urlencode(unsigned), "")))
    region = query["X-Amz-Credential"].split("/")[2]
    signer = botocore.auth.S3SigV4QueryAuth(Credentials(access_key, secret_key), "s3", region,
                                            expires=int(query["X-Amz-Expires"]))
    signer.add_auth(request)
    expected = parse_qs(urlsplit(request.url).query)["X-Amz-Signature"][0]
    assert expected == query["X-Amz-Signature"], "signature does not verify"
    return query


def test_links_download_the_right_bytes_and_verify(presign_fn: FunctionProcess, make_order: Callable[..., Order],
                                                   s3: S3Server, monkeypatch: pytest.MonkeyPatch) -> None:
    order = make_order(status="Approved")
    answer = get(presign_fn, order["name"], token(order["customer"]), SITE)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert answer.headers["Access-Control-Allow-Origin"] == SITE and "Origin" in answer.headers["Vary"]
    assert body["version"] == 1 and body["ttl_s"] == 3600  # 7200 asked, capped
    expires_at = dt.datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert abs((expires_at - dt.datetime.now(dt.UTC)).total_seconds() - 3600) < 30
    by_name = {f["filename"]: f for f in body["files"]}
    assert len(by_name) == 3
    for fname, data, _ctype in order["files"]:
        entry = by_name[f"{fname.rsplit('.', 1)[0]}-{order['name']}.{fname.rsplit('.', 1)[1]}"]
        download = httpx.get(entry["url"], timeout=10)
        assert download.status_code == 200 and download.content == data
        assert hashlib.sha256(download.content).hexdigest() == entry["sha256"]
        query = sigv4_check(entry["url"], s3.access_key, s3.secret_key, monkeypatch)
        assert int(query["X-Amz-Expires"]) <= 3600
        assert query["response-content-disposition"] == f'attachment; filename="{entry["filename"]}"'
        assert urlsplit(entry["url"]).path == f"/{s3.bucket}/{order['prefix']}{fname}"
    # A tampered URL no longer verifies.
    tampered = body["files"][0]["url"].replace("orders%2F", "orders%2F").replace("/v1/", "/v2/")
    with pytest.raises(AssertionError, match="signature"):
        sigv4_check(tampered, s3.access_key, s3.secret_key, monkeypatch)


def test_post_body_and_no_s3_request_per_call(presign_fn: FunctionProcess, make_order: Callable[..., Order],
                                              s3_count: dict[str, Any], s3: S3Server) -> None:
    order = make_order(status="Delivered")
    tok = token(order["customer"])
    first = httpx.post(presign_fn.url, json={"order": order["name"]}, headers={"Authorization": f"Bearer {tok}"},
                       timeout=10)
    assert first.status_code == 200 and len(first.json()["files"]) == 3
    before = s3_count["n"]
    for _ in range(25):
        assert get(presign_fn, order["name"], tok).status_code == 200
    # The manifest is cached and URLs are signed locally: the one S3 request per answer is its access-log record.
    seen = s3_count["seen"][before:]
    assert len(seen) == 25 and all(m == "PUT" and p.startswith(f"/{s3.bucket}/access-log/") for m, p in seen), seen


def test_no_network_to_s3_after_warm_up(erp: ERPNext, storage: Storage, make_order: Callable[..., Order]) -> None:
    order = make_order(status="Approved")
    presigner = Presigner(erp, storage, PresignSettings(jwt_secret=JWT_SECRET, audience=AUD))
    assert len(presigner.links(order["customer"], order["name"])["files"]) == 3
    # Point the client at a closed port: signing still works, so no request goes out.
    presigner.storage = Storage("127.0.0.1:1", "minioadmin", "minioadmin", storage.bucket, retries=1)
    again = presigner.links(order["customer"], order["name"])
    assert again["files"][0]["url"].startswith("http://127.0.0.1:1/")


@pytest.mark.parametrize("bad", ["../backups/db.gpg", "FO-2026-0001/../../templates", "%2e%2e%2fbackups",
                                 "FO-2026-0001%2e", "FO-2026-0001\x00", "/etc/passwd", "templates/articles.docx",
                                 "backups/2026-01-01.tar.gpg", "C:\\orders", "orders/FO-2026-0001/v1/x.pdf"])
def test_hostile_order_names_are_refused(presign_fn: FunctionProcess, make_order: Callable[..., Order],
                                         bad: str) -> None:
    order = make_order(status="Review")
    answer = get(presign_fn, bad, token(order["customer"]))
    assert answer.status_code == 400 and "url" not in answer.text


def test_other_customers_and_unready_orders(presign_fn: FunctionProcess, make_order: Callable[..., Order],
                                            storage: Storage) -> None:
    mine = make_order(status="Review")
    theirs = make_order(status="Delivered")
    tok = token(mine["customer"])
    assert get(presign_fn, theirs["name"], tok).status_code == 404
    assert get(presign_fn, "FO-2026-9999", tok).status_code == 404
    early = make_order(status="Processing", customer=mine["customer"])
    assert get(presign_fn, early["name"], tok).status_code == 409
    refunded = make_order(status="Refunded", customer=mine["customer"])
    assert get(presign_fn, refunded["name"], tok).status_code == 409
    # A manifest entry pointing outside the order's folder is never signed.
    sneaky = make_order(status="Ready", customer=mine["customer"])
    import json
    manifest = dict(sneaky["manifest"])
    manifest["files"] = [*manifest["files"], {"key": "templates/articles.docx", "filename": "t.docx", "size": 1,
                                              "sha256": "", "content_type": "x"},
                         {"key": f"orders/{theirs['name']}/v1/articles.pdf", "filename": "x.pdf", "size": 1,
                          "sha256": "", "content_type": "x"},
                         {"key": f"{sneaky['prefix']}../../../backups/x", "filename": "b", "size": 1,
                          "sha256": "", "content_type": "x"}]
    storage.put_bytes(sneaky["prefix"] + "manifest.json", json.dumps(manifest).encode(), "application/json")
    body = get(presign_fn, sneaky["name"], tok).json()
    assert len(body["files"]) == 3
    assert all(f"/{sneaky['prefix']}" in f["url"] for f in body["files"])


def test_jwt_cases(presign_fn: FunctionProcess, make_order: Callable[..., Order]) -> None:
    order = make_order(status="Delivered")
    cust = order["customer"]
    name = order["name"]
    assert get(presign_fn, name, token(cust)).status_code == 200
    cases = {
        "missing": None,
        "expired": token(cust, exp_in=-60),  # past the 30 s leeway
        "exp_as_string": jwt.encode({"sub": cust, "aud": AUD, "exp": str(int(time.time()) + 300)}, JWT_SECRET,
                                    algorithm="HS256"),
        "iat_as_string": token(cust, iat=str(int(time.time()))),
        "nbf_far_future": token(cust, nbf=int(time.time()) + 600),
        "wrong_aud": token(cust, aud="someone-else"),
        "wrong_signature": token(cust, secret="another-secret-that-is-long-enough-0123456789"),
        "alg_none": jwt.encode({"sub": cust, "aud": AUD, "exp": int(time.time()) + 300}, None, algorithm="none"),
        "hs512": token(cust, alg="HS512"),
        "no_exp": jwt.encode({"sub": cust, "aud": AUD}, JWT_SECRET, algorithm="HS256"),
        "no_sub": jwt.encode({"aud": AUD, "exp": int(time.time()) + 300}, JWT_SECRET, algorithm="HS256"),
        "garbage": "not.a.jwt",
    }
    # Clock skew within PRESIGN_LEEWAY_S (default 30 s): a token issued a second "in the future" is fine.
    assert get(presign_fn, name, token(cust, iat=int(time.time()) + 5)).status_code == 200
    assert get(presign_fn, name, token(cust, exp_in=-5)).status_code == 200
    for case, tok in cases.items():
        answer = get(presign_fn, name, tok)
        assert answer.status_code == 401, case
        assert answer.headers["Content-Type"].startswith("application/json") and "error" in answer.json()
        assert "Bearer" in answer.headers.get("WWW-Authenticate", "")
    basic = httpx.get(presign_fn.url, params={"order": name}, headers={"Authorization": "Basic dXNlcjpwYXNz"},
                      timeout=10)
    assert basic.status_code == 401


def test_cors(presign_fn: FunctionProcess, make_order: Callable[..., Order], monkeypatch: pytest.MonkeyPatch,
              tmp_path: Path) -> None:
    order = make_order(status="Approved")
    tok = token(order["customer"])
    evil = get(presign_fn, order["name"], tok, "https://evil.example")
    assert evil.status_code == 403 and "Access-Control-Allow-Origin" not in evil.headers
    server_side = get(presign_fn, order["name"], tok)
    assert server_side.status_code == 200 and "Access-Control-Allow-Origin" not in server_side.headers
    www = get(presign_fn, order["name"], tok, "https://www.performancewest.net")
    assert www.headers["Access-Control-Allow-Origin"] == "https://www.performancewest.net"
    # RFC 6454 normalisation only (case of scheme and host, default port); the allowed value is echoed.
    upper = get(presign_fn, order["name"], token(order["customer"]), "HTTPS://WWW.PerformanceWest.NET:443")
    assert upper.headers["Access-Control-Allow-Origin"] == "https://www.performancewest.net"
    for hostile in ("https://www.performancewest.net/", "https://www.performancewest.net//", "null",
                    "https://www.performancewest.net.evil.example", "https://www.performancewest.net:8443",
                    "https://user@www.performancewest.net"):
        refused = get(presign_fn, order["name"], token(order["customer"]), hostile)
        assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused.headers, hostile
    # Preflight: the template's Flask answers OPTIONS without calling the handler, as our runner
    # does; the handler's own OPTIONS answer is checked by calling it directly, as a pass-through runtime would.
    flask_answer = httpx.options(presign_fn.url, headers={"Origin": SITE, "Access-Control-Request-Method": "GET"})
    assert flask_answer.status_code == 200 and "Access-Control-Allow-Origin" not in flask_answer.headers
    monkeypatch.setenv("PRESIGN_JWT_SECRET", JWT_SECRET)
    monkeypatch.setenv("PRESIGN_ALLOWED_ORIGINS", SITE)
    monkeypatch.setenv("SECRETS_DIR", str(tmp_path))
    handler = load_handler(ROOT / "functions" / "presign")
    wiring.reset()

    class Event:
        def __init__(self, origin: str) -> None:
            self.method, self.path, self.body, self.query = "OPTIONS", "/", b"", {}
            self.headers = {"Origin": origin, "Access-Control-Request-Method": "GET"}

    ok = handler.handle(Event(SITE), None)
    assert ok["statusCode"] == 204
    assert ok["headers"]["Access-Control-Allow-Origin"] == SITE
    assert "Authorization" in ok["headers"]["Access-Control-Allow-Headers"]
    assert handler.handle(Event("https://evil.example"), None)["statusCode"] == 403
    wiring.reset()
