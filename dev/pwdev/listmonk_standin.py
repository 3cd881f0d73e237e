"""A Listmonk stand-in: the slice of Listmonk's REST API the pipeline uses, on 127.0.0.1, kept an independent
oracle (it imports nothing from pwcore), modelled on Listmonk's API docs and handlers (v4/v5; `api_version=3`
plays the older BasicAuth-only servers).

Auth (docs "APIs / Auth"): `Authorization: token api_user:token` or BasicAuth `api_user:token`. v4+ answers 403
{"message": "invalid API credentials"} for a wrong user/token and 403 "invalid session" without a header; v3 and
older (echo's BasicAuth middleware) answer 401 with `WWW-Authenticate: basic realm=Restricted`.

Endpoints (docs "API / Subscribers", "API / Lists"); every answer is {"data": ...} or {"message": ...}:
- GET    /api/subscribers  ?query=<SQL expression>&list_id=&subscription_status=&order_by=&order=&page=&per_page=
         -> {"results", "query", "total", "per_page", "page"}; per_page defaults to 20, is capped at 50 and
         `all` returns everything with per_page 0 (Listmonk's paginator). The query is a subset of Postgres
         boolean expressions over subscribers.{id,uuid,email,name,status,created_at,updated_at} and
         subscribers.attribs->>'key': = != <> < > <= >= LIKE ILIKE, NOT, AND, OR, IN (...), IS [NOT] NULL,
         parentheses; anything else is a 400 "Error preparing subscriber query: ...".
- POST   /api/subscribers  {"email","name","status","lists","attribs","preconfirm_subscriptions"}; a duplicate
         e-mail is 409 "E-mail already exists."; blocklisted subscribers' memberships are "unsubscribed".
- GET/PUT/DELETE /api/subscribers/{id}  (PUT replaces everything: lists not given are dropped)
- PUT    /api/subscribers/lists  {"ids","action": add|remove|unsubscribe,"target_list_ids","status"}
- PUT    /api/subscribers/blocklist {"ids"} and PUT /api/subscribers/{id}/blocklist
- GET/POST /api/lists, GET /api/lists/{id}
An unknown subscriber or list is a 400 "... not found" (Listmonk's core answers StatusBadRequest there).

`unsubscribe(email)` plays a customer clicking the unsubscribe link: every membership becomes "unsubscribed"
and, when `webhook_url` is set, the stand-in delivers Listmonk's outgoing webhook there (internal/webhooks
worker.go, models/webhooks.go): POST {"event": "subscriber.unsubscribed", "timestamp", "data": {"subscriber":
{...}, "list_ids": [...]}} with `X-Listmonk-Event`, and, by `webhook_auth`, `X-Listmonk-Signature: sha256=<hex
HMAC-SHA256 of "<timestamp>.<body>">` plus `X-Listmonk-Timestamp` ("hmac", secret `webhook_token`), Basic auth
("basic", password `webhook_token`) or nothing ("none"). The project points it at deliver's
/listmonk/unsubscribe route.

    python -m pwdev.listmonk_standin --port 9100 --user api --password secret
"""

from __future__ import annotations

import argparse
import base64
import binascii
import copy
import hashlib
import hmac
import json
import re
import threading
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from email.utils import parseaddr
from typing import Any, Literal

import httpx
from werkzeug.wrappers import Request, Response

from pwdev.procs import run_until_interrupted
from pwdev.serving import Serving

DEFAULT_LISTS = ("Formation follow-up", "Compliance upsell")
# Listmonk's paginator (cmd/init.go): DefaultPerPage 20, MaxPerPage 50, AllowAll.
DEFAULT_PER_PAGE, MAX_PER_PAGE = 20, 50
SUBSCRIBER_STATUSES = ("enabled", "disabled", "blocklisted")
SUBSCRIPTION_STATUSES = ("unconfirmed", "confirmed", "unsubscribed")
SORT_FIELDS = ("name", "status", "created_at", "updated_at", "id", "email")
EMAIL_EXISTS = "E-mail already exists."


def _json(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(obj), status=status, mimetype="application/json", headers=headers)


def _err(message: str, status: int, headers: dict[str, str] | None = None) -> Response:
    return _json({"message": message}, status, headers)


def _now() -> str:
    # Listmonk's timestamp form: 2019-01-01T09:00:00.000000+05:30
    return datetime.now(UTC).isoformat(timespec="microseconds")


class BadRequest(Exception):
    """An answer of 400 with Listmonk's message."""


# --- the SQL-expression subset ----------------------------------------------------------------------------

_TOKEN = re.compile(r"""\s*(?:
    (?P<str>'(?:[^']|'')*')
  | (?P<num>-?\d+(?:\.\d+)?)
  | (?P<op>->>|<>|!=|<=|>=|=|<|>|\(|\)|,)
  | (?P<word>[A-Za-z_][A-Za-z_0-9]*(?:\.[A-Za-z_][A-Za-z_0-9]*)?)
)""", re.VERBOSE)
_COLUMNS = ("id", "uuid", "email", "name", "status", "created_at", "updated_at", "attribs")
_KEYWORDS = {"and", "or", "not", "like", "ilike", "in", "is", "null", "true", "false"}

Row = dict[str, Any]
Value = Callable[[Row], Any]


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.strip().rstrip(";")  # Listmonk's sanitizeSQLExp drops a trailing semicolon
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            if text[pos:].strip() == "":
                break
            raise BadRequest(f"syntax error at or near \"{text[pos:pos + 10]}\"")
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "word" and value.lower() in _KEYWORDS:
            kind, value = "kw", value.lower()
        tokens.append((kind, value))
        pos = match.end()
    return tokens


def _like(pattern: str, insensitive: bool) -> re.Pattern[str]:
    body = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.compile(f"^{body}$", re.DOTALL | (re.IGNORECASE if insensitive else 0))


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


class _Parser:
    """Recursive descent over the tokens; builds a predicate on a subscriber row (SQL's NULL -> not matched)."""

    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.pos = 0

    def parse(self) -> Callable[[Row], bool]:
        if not self.tokens:
            return lambda row: True
        pred = self._or()
        if self.pos != len(self.tokens):
            raise BadRequest(f"syntax error at or near \"{self.tokens[self.pos][1]}\"")
        return lambda row: pred(row) is True

    def _peek(self, kind: str, value: str | None = None) -> bool:
        if self.pos >= len(self.tokens):
            return False
        k, v = self.tokens[self.pos]
        return k == kind and (value is None or v == value)

    def _take(self, kind: str, value: str | None = None) -> str:
        if not self._peek(kind, value):
            got = self.tokens[self.pos][1] if self.pos < len(self.tokens) else "end of input"
            raise BadRequest(f"syntax error at or near \"{got}\"")
        self.pos += 1
        return self.tokens[self.pos - 1][1]

    def _or(self) -> Callable[[Row], bool | None]:
        return self._joined("or", self._and, decides=True)

    def _and(self) -> Callable[[Row], bool | None]:
        return self._joined("and", self._not, decides=False)

    def _joined(self, keyword: str, operand: Callable[[], Callable[[Row], bool | None]],
                decides: bool) -> Callable[[Row], bool | None]:
        """operand (keyword operand)*, in SQL's three-valued logic: one operand equal to `decides` (true for OR,
        false for AND) decides; otherwise NULL if any operand is NULL."""
        parts = [operand()]
        while self._peek("kw", keyword):
            self.pos += 1
            parts.append(operand())
        if len(parts) == 1:
            return parts[0]

        def joined(row: Row) -> bool | None:
            results = [p(row) for p in parts]
            return decides if decides in results else (None if None in results else not decides)
        return joined

    def _not(self) -> Callable[[Row], bool | None]:
        if self._peek("kw", "not"):
            self.pos += 1
            inner = self._not()
            return lambda row: None if (r := inner(row)) is None else not r
        return self._comparison()

    def _operand(self) -> Value:
        if self._peek("op", "("):
            raise BadRequest("syntax error at or near \"(\"")
        if self._peek("str"):
            literal = self._take("str")[1:-1].replace("''", "'")
            return lambda row: literal
        if self._peek("num"):
            number = float(self._take("num"))
            return lambda row: number
        if self._peek("kw", "true") or self._peek("kw", "false"):
            flag = self._take("kw") == "true"
            return lambda row: flag
        if self._peek("kw", "null"):
            self.pos += 1
            return lambda row: None
        name = self._take("word").lower()
        table, _, column = name.rpartition(".")
        if table not in ("", "subscribers") or column not in _COLUMNS:
            raise BadRequest(f"column \"{name}\" does not exist")
        if column == "attribs":
            self._take("op", "->>")  # only the text accessor: attribs->>'key'
            key = self._take("str")[1:-1].replace("''", "'")
            return lambda row: _as_text((row.get("attribs") or {}).get(key))
        return lambda row: row.get(column)

    def _comparison(self) -> Callable[[Row], bool | None]:
        if self._peek("op", "("):
            self.pos += 1
            inner = self._or()
            self._take("op", ")")
            return inner
        left = self._operand()
        negate = False
        if self._peek("kw", "is"):
            self.pos += 1
            negate = self._peek("kw", "not")
            if negate:
                self.pos += 1
            self._take("kw", "null")
            return lambda row: (left(row) is None) != negate
        if self._peek("kw", "not"):
            self.pos += 1
            negate = True
        if self._peek("kw", "in"):
            self.pos += 1
            self._take("op", "(")
            options = [self._operand()]
            while self._peek("op", ","):
                self.pos += 1
                options.append(self._operand())
            self._take("op", ")")

            def member(row: Row) -> bool | None:
                value = left(row)
                if value is None:
                    return None
                found = any(_equal(value, o(row)) for o in options)
                return found != negate
            return member
        if self._peek("kw", "like") or self._peek("kw", "ilike"):
            insensitive = self._take("kw") == "ilike"
            right = self._operand()

            def like(row: Row) -> bool | None:
                value, pattern = _as_text(left(row)), _as_text(right(row))
                if value is None or pattern is None:
                    return None
                return bool(_like(pattern, insensitive).match(value)) != negate
            return like
        if negate:
            raise BadRequest("syntax error at or near \"not\"")
        op = self._take("op")
        if op not in ("=", "!=", "<>", "<", ">", "<=", ">="):
            raise BadRequest(f"syntax error at or near \"{op}\"")
        right = self._operand()

        def compare(row: Row) -> bool | None:
            a, b = left(row), right(row)
            if a is None or b is None:
                return None
            if op == "=":
                return _equal(a, b)
            if op in ("!=", "<>"):
                return not _equal(a, b)
            a, b = _comparable(a, b)
            result: bool = {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
            return result
        return compare


def _comparable(a: Any, b: Any) -> tuple[Any, Any]:
    if isinstance(a, (int, float)) and not isinstance(a, bool) and isinstance(b, str):
        return float(a), float(b)
    if isinstance(b, (int, float)) and not isinstance(b, bool) and isinstance(a, str):
        try:
            return float(a), float(b)
        except ValueError:
            raise BadRequest(f"invalid input syntax for type numeric: \"{a}\"") from None
    return a, b


def _equal(a: Any, b: Any) -> bool:
    a, b = _comparable(a, b)
    return bool(a == b)


def compile_query(text: str) -> Callable[[Row], bool]:
    """The predicate for a Listmonk `query` SQL expression (the subset in the module docstring)."""
    return _Parser(text).parse()


def _pagination(args: Any) -> tuple[int, int]:
    """(page, per_page) as Listmonk's paginator computes them; per_page 0 means all."""
    raw = args.get("per_page", "")
    if raw == "all":
        per_page = 0
    else:
        try:
            per_page = int(raw)
        except ValueError:
            per_page = 0
        per_page = DEFAULT_PER_PAGE if per_page < 1 else min(per_page, MAX_PER_PAGE)
    try:
        page = max(int(args.get("page", "1")), 1)
    except ValueError:
        page = 1
    return page, per_page


def _page(rows: list[Any], page: int, per_page: int) -> list[Any]:
    return rows if per_page == 0 else rows[(page - 1) * per_page: page * per_page]


class ListmonkStandin:
    def __init__(self, user: str = "api", password: str = "listmonk-dev", lists: Iterable[str] = DEFAULT_LISTS,
                 webhook_url: str = "", webhook_token: str = "", api_version: int = 4,
                 webhook_auth: Literal["hmac", "basic", "none"] = "hmac") -> None:
        self.user = user
        self.password = password
        self.api_version = api_version
        self.webhook_url = webhook_url
        self.webhook_token = webhook_token
        self.webhook_auth = webhook_auth
        self.lock = threading.Lock()
        self.lists: dict[int, dict[str, Any]] = {}
        # Stored rows: memberships are {"id": list_id, "subscription_status", "created_at", "updated_at"}.
        self._subs: dict[int, dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []
        self._next_sub = 1
        for name in lists:
            self.add_list(name)
        self._http = Serving(self.wsgi, "listmonk-standin")
        self.url = ""

    # -- state ------------------------------------------------------------------------------------------
    def add_list(self, name: str, optin: str = "double", list_type: str = "private",
                 tags: Iterable[str] = ()) -> int:
        with self.lock:
            list_id = max(self.lists, default=0) + 1
            now = _now()
            self.lists[list_id] = {"id": list_id, "uuid": str(uuid.uuid4()), "name": name, "type": list_type,
                                   "optin": optin, "tags": list(tags), "created_at": now, "updated_at": now}
            return list_id

    def _list_view(self, list_id: int) -> dict[str, Any]:
        row = dict(self.lists[list_id])
        statuses: dict[str, int] = {}
        for sub in self._subs.values():
            for m in sub["lists"]:
                if m["id"] == list_id:
                    statuses[m["subscription_status"]] = statuses.get(m["subscription_status"], 0) + 1
        row["subscriber_count"] = sum(statuses.values())
        row["subscriber_statuses"] = statuses
        return row

    def _sub_view(self, sub: dict[str, Any]) -> dict[str, Any]:
        """A subscriber as the API shows it: lists carry the list's fields plus subscription_status."""
        out = copy.deepcopy({k: v for k, v in sub.items() if k != "lists"})
        out["lists"] = [{**{k: v for k, v in self.lists[m["id"]].items()},
                         "subscription_status": m["subscription_status"],
                         "subscription_created_at": m["created_at"], "subscription_updated_at": m["updated_at"]}
                        for m in sorted(sub["lists"], key=lambda m: m["id"]) if m["id"] in self.lists]
        return out

    @property
    def subscribers(self) -> dict[int, dict[str, Any]]:
        """A snapshot of every subscriber as the API would show it, by ID."""
        with self.lock:
            return {sub_id: self._sub_view(sub) for sub_id, sub in self._subs.items()}

    def by_email(self, email: str) -> dict[str, Any] | None:
        with self.lock:
            for sub in self._subs.values():
                if sub["email"] == email.strip().lower():
                    return self._sub_view(sub)
        return None

    def unsubscribe(self, email: str) -> None:
        with self.lock:
            sub = next((s for s in self._subs.values() if s["email"] == email.strip().lower()), None)
            if sub is None:
                raise KeyError(email)
            list_ids = [m["id"] for m in sub["lists"]]
            for membership in sub["lists"]:
                membership["subscription_status"] = "unsubscribed"
                membership["updated_at"] = _now()
            profile = {k: copy.deepcopy(v) for k, v in sub.items() if k != "lists"}
        if self.webhook_url:
            self.send_webhook("subscriber.unsubscribed", {"subscriber": profile, "list_ids": list_ids})

    def send_webhook(self, event: str, data: dict[str, Any]) -> httpx.Response:
        """Deliver one event to `webhook_url` the way Listmonk's webhook worker does; raises on a non-2xx answer."""
        body = json.dumps({"event": event, "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                           "data": data}).encode()
        headers = {"Content-Type": "application/json", "User-Agent": "listmonk/pwdev-standin",
                   "X-Listmonk-Event": event}
        auth: tuple[str, str] | None = None
        if self.webhook_auth == "hmac":
            stamp = str(int(datetime.now(UTC).timestamp()))
            digest = hmac.new(self.webhook_token.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
            headers.update({"X-Listmonk-Signature": f"sha256={digest}", "X-Listmonk-Timestamp": stamp})
        elif self.webhook_auth == "basic":
            auth = ("listmonk", self.webhook_token)
        response = httpx.post(self.webhook_url, content=body, headers=headers, auth=auth, timeout=10)
        response.raise_for_status()
        return response

    # -- server -----------------------------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0) -> ListmonkStandin:
        self.url = self._http.start(host, port)
        return self

    def stop(self) -> None:
        self._http.stop()

    def __enter__(self) -> ListmonkStandin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _credentials_ok(self, user: str, password: str) -> bool:
        return hmac.compare_digest(user.encode(), self.user.encode()) and \
            hmac.compare_digest(password.encode(), self.password.encode())

    def _auth_error(self, req: Request) -> Response | None:
        """None when the request may go on; otherwise the answer of the Listmonk version played."""
        header = req.headers.get("Authorization", "").strip()
        if self.api_version < 4:
            # echo's BasicAuth middleware: 401 with a challenge for a missing, malformed or wrong header.
            challenge = {"WWW-Authenticate": "basic realm=Restricted"}
            scheme, _, value = header.partition(" ")
            if scheme.lower() == "basic":
                try:
                    user, _, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
                except (binascii.Error, UnicodeDecodeError):
                    return _err("Unauthorized", 401, challenge)
                if self._credentials_ok(user, password):
                    return None
            return _err("Unauthorized", 401, challenge)
        if not header:
            return _err("invalid session", 403)  # no header and no session cookie
        # internal/auth parseAuthHeader: "token key:secret" or "Basic base64(key:secret)", case-sensitive.
        if header.startswith("token"):
            pair = header[len("token"):].strip(" ")
        elif header.startswith("Basic"):
            try:
                pair = base64.b64decode(header[len("Basic"):].strip(" "), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return _err("code=400, message=invalid Base64 value in Basic Authorization header", 403)
        else:
            return _err("code=400, message=unknown Authorization scheme", 403)
        user, sep, password = pair.partition(":")
        if not sep:
            return _err("code=400, message=api_key:token missing", 403)
        if not user or not password:
            return _err("code=400, message=empty `api_key` or `token`", 403)
        if not self._credentials_ok(user, password):
            return _err("invalid API credentials", 403)
        return None

    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        req = Request(environ)
        with self.lock:
            self.requests.append((req.method, req.path))
        handler = self._handler(req)
        if isinstance(handler, Response):  # 404 / 405 come from the router, before the auth middleware
            return handler(environ, start_response)
        resp = self._auth_error(req)
        if resp is None:
            try:
                resp = handler()
            except BadRequest as exc:
                resp = _err(str(exc), 400)
            except (ValueError, KeyError, TypeError) as exc:
                resp = _err(f"invalid request: {exc}", 400)
        return resp(environ, start_response)

    def _handler(self, req: Request) -> Callable[[], Response] | Response:
        path, method = req.path.rstrip("/"), req.method
        routes: dict[str, Callable[[], Response]] = {}
        if path == "/api/lists":
            routes = {"GET": lambda: self._query_lists(req), "POST": lambda: self._create_list(self._body(req))}
        elif path == "/api/subscribers":
            routes = {"GET": lambda: self._query(req), "POST": lambda: self._create(self._body(req))}
        elif path == "/api/subscribers/lists":
            routes = {"PUT": lambda: self._membership(self._body(req))}
        elif path == "/api/subscribers/blocklist":
            routes = {"PUT": lambda: self._blocklist(self._ids(self._body(req).get("ids")))}
        elif list_match := re.fullmatch(r"/api/lists/([^/]+)", path):
            list_ref = list_match.group(1)
            routes = {"GET": lambda: self._get_list(list_ref)}
        elif block_match := re.fullmatch(r"/api/subscribers/([^/]+)/blocklist", path):
            block_ref = block_match.group(1)
            routes = {"PUT": lambda: self._blocklist([self._id(block_ref)])}
        elif match := re.fullmatch(r"/api/subscribers/([^/]+)", path):
            routes = {"GET": lambda: self._get(match.group(1)),
                      "PUT": lambda: self._update(match.group(1), self._body(req)),
                      "DELETE": lambda: self._delete(match.group(1))}
        else:
            return _err("Not Found", 404)
        if method not in routes:
            return _err("Method Not Allowed", 405, {"Allow": ", ".join(routes)})
        return routes[method]

    # -- helpers ----------------------------------------------------------------------------------------
    @staticmethod
    def _body(req: Request) -> dict[str, Any]:
        try:
            body = json.loads(req.get_data(as_text=True) or "{}")
        except ValueError:
            raise BadRequest("Invalid JSON body") from None
        if not isinstance(body, dict):
            raise BadRequest("Invalid JSON body")
        return body

    @staticmethod
    def _id(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if value < 1:
            raise BadRequest("Invalid ID")
        return value

    @staticmethod
    def _ids(raw: Any) -> list[int]:
        if not isinstance(raw, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in raw):
            raise BadRequest("One or more invalid IDs given")
        return list(raw)

    @staticmethod
    def _email(raw: Any) -> str:
        # Listmonk lowercases and trims, then insists the whole string is one bare address.
        email = str(raw or "").strip().lower()
        name, addr = parseaddr(email)
        if not email or name or addr != email or "@" not in email or email.startswith("@") or email.endswith("@") \
                or " " in email or len(email) > 1000:
            raise BadRequest("Invalid email.")
        return email

    def _list_ids(self, raw: Any) -> list[int]:
        ids = self._ids(raw if raw is not None else [])
        return [i for i in dict.fromkeys(ids) if i in self.lists]  # unknown IDs are skipped, like the SQL

    # -- lists ------------------------------------------------------------------------------------------
    def _query_lists(self, req: Request) -> Response:
        query = (req.args.get("query") or "").strip()
        page, per_page = _pagination(req.args)
        pattern = _like(f"%{query}%", insensitive=True) if query else None  # name ILIKE %query%
        with self.lock:
            rows = [self._list_view(i) for i in sorted(self.lists)
                    if pattern is None or pattern.match(self.lists[i]["name"])]
        return _json({"data": {"results": _page(rows, page, per_page), "query": query, "total": len(rows),
                               "per_page": per_page, "page": page}})

    def _get_list(self, raw_id: str) -> Response:
        list_id = self._id(raw_id)
        with self.lock:
            if list_id not in self.lists:
                return _err("List not found", 400)
            return _json({"data": self._list_view(list_id)})

    def _create_list(self, body: dict[str, Any]) -> Response:
        name = str(body.get("name") or "").strip()
        if not 1 <= len(name) <= 200:
            return _err("Invalid name", 400)
        list_type, optin = body.get("type") or "private", body.get("optin") or "single"
        if list_type not in ("private", "public") or optin not in ("single", "double"):
            return _err("Invalid list type or opt-in", 400)
        list_id = self.add_list(name, optin=optin, list_type=list_type, tags=body.get("tags") or [])
        with self.lock:
            return _json({"data": self._list_view(list_id)})

    # -- subscribers ------------------------------------------------------------------------------------
    def _query(self, req: Request) -> Response:
        query = (req.args.get("query") or "").strip()
        predicate = compile_query(query)
        list_filter = [self._id(v) for v in req.args.getlist("list_id")]
        sub_status = req.args.get("subscription_status") or ""
        order_by = (req.args.get("order_by") or "").removeprefix("subscribers.")
        descending = (req.args.get("order") or "desc").lower() != "asc"  # Listmonk's default: id DESC
        page, per_page = _pagination(req.args)
        with self.lock:
            rows = [s for s in self._subs.values() if predicate(s)]
            if list_filter:
                rows = [s for s in rows if any(m["id"] in list_filter and (
                    not sub_status or m["subscription_status"] == sub_status) for m in s["lists"])]
            key = order_by if order_by in SORT_FIELDS else "id"
            rows.sort(key=lambda s: (s[key], s["id"]), reverse=descending)
            results = [self._sub_view(s) for s in _page(rows, page, per_page)]
        return _json({"data": {"results": results, "query": query, "total": len(rows), "per_page": per_page,
                               "page": page}})

    def _get(self, raw_id: str) -> Response:
        sub_id = self._id(raw_id)
        with self.lock:
            sub = self._subs.get(sub_id)
            if sub is None:
                return _err(f"Subscriber ({sub_id}: ) not found", 400)
            return _json({"data": self._sub_view(sub)})

    def _validated(self, body: dict[str, Any]) -> tuple[str, str, str, dict[str, Any]]:
        email = self._email(body.get("email"))
        name = str(body.get("name") or "").strip()
        if not name:
            # ValidateFields: no name -> the e-mail's local part, dots as spaces, title-cased.
            name = " ".join(p.title() for p in email.split("@")[0].replace(".", " ").split())
        if len(name) > 200:
            raise BadRequest("Invalid name")
        status = body.get("status") or "enabled"
        if status not in SUBSCRIBER_STATUSES:
            raise BadRequest("Invalid status")
        attribs = body.get("attribs")
        if attribs is None:
            attribs = {}
        if not isinstance(attribs, dict):
            raise BadRequest("Invalid JSON in attributes")
        return email, name, status, attribs

    def _create(self, body: dict[str, Any]) -> Response:
        email, name, status, attribs = self._validated(body)
        with self.lock:
            if any(s["email"] == email for s in self._subs.values()):
                return _err(EMAIL_EXISTS, 409)
            list_ids = self._list_ids(body.get("lists"))
            # insert-subscriber: confirmed when preconfirmed, unsubscribed when the subscriber is blocklisted.
            sub_status = "confirmed" if body.get("preconfirm_subscriptions") else "unconfirmed"
            if status == "blocklisted":
                sub_status = "unsubscribed"
            now = _now()
            sub_id = self._next_sub
            self._next_sub += 1
            self._subs[sub_id] = {
                "id": sub_id, "uuid": str(uuid.uuid4()), "email": email, "name": name, "status": status,
                "attribs": copy.deepcopy(attribs), "created_at": now, "updated_at": now,
                "lists": [{"id": i, "subscription_status": sub_status, "created_at": now, "updated_at": now}
                          for i in list_ids]}
            return _json({"data": self._sub_view(self._subs[sub_id])})

    def _update(self, raw_id: str, body: dict[str, Any]) -> Response:
        sub_id = self._id(raw_id)
        email, name, status, attribs = self._validated(body)
        with self.lock:
            sub = self._subs.get(sub_id)
            if sub is None:
                return _err(f"Subscriber ({sub_id}: ) not found", 400)
            if any(s["email"] == email and s["id"] != sub_id for s in self._subs.values()):
                return _err(EMAIL_EXISTS, 409)
            list_ids = self._list_ids(body.get("lists"))
            new_status = "confirmed" if body.get("preconfirm_subscriptions") else "unconfirmed"
            now = _now()
            # update-subscriber: memberships not given are deleted, existing ones keep their status (unless
            # the subscriber is now blocklisted), new ones get confirmed/unconfirmed.
            kept = {m["id"]: m for m in sub["lists"] if m["id"] in list_ids}
            memberships = []
            for list_id in list_ids:
                m = kept.get(list_id) or {"id": list_id, "subscription_status": new_status, "created_at": now,
                                          "updated_at": now}
                if status == "blocklisted":
                    m["subscription_status"] = "unsubscribed"
                memberships.append(m)
            sub.update({"email": email, "name": name, "status": status, "attribs": copy.deepcopy(attribs),
                        "updated_at": now, "lists": memberships})
            return _json({"data": self._sub_view(sub)})

    def _delete(self, raw_id: str) -> Response:
        sub_id = self._id(raw_id)
        with self.lock:
            self._subs.pop(sub_id, None)  # DELETE ... WHERE id = ANY(...): no error for a missing one
        return _json({"data": True})

    def _blocklist(self, ids: list[int]) -> Response:
        if not ids:
            return _err("No IDs given.", 400)
        now = _now()
        with self.lock:
            for sub_id in ids:
                sub = self._subs.get(sub_id)
                if sub is None:
                    continue
                sub["status"], sub["updated_at"] = "blocklisted", now
                for m in sub["lists"]:
                    m["subscription_status"], m["updated_at"] = "unsubscribed", now
        return _json({"data": True})

    def _membership(self, body: dict[str, Any]) -> Response:
        ids = self._ids(body.get("ids") or [])
        if not ids:
            return _err("No IDs given.", 400)
        targets = self._ids(body.get("target_list_ids") or [])
        if not targets:
            return _err("No lists given.", 400)
        action = body.get("action")
        if action not in ("add", "remove", "unsubscribe"):
            return _err("Invalid action.", 400)
        status = body.get("status") or ""
        now = _now()
        with self.lock:
            if action == "add":
                # add-subscribers-to-lists inserts (subscriber_id, list_id) pairs: an unknown ID breaks a foreign
                # key and a bad status the enum cast, both a 500 from Listmonk's core.
                missing = [i for i in ids if i not in self._subs] + [t for t in targets if t not in self.lists]
                if missing or (status and status not in SUBSCRIPTION_STATUSES):
                    return _err("Error updating Subscribers: invalid subscriber, list or status", 500)
            for sub_id in ids:
                sub = self._subs.get(sub_id)
                if sub is None:
                    continue  # remove / unsubscribe are UPDATE/DELETE ... WHERE: unknown IDs change nothing
                for list_id in targets:
                    current = next((m for m in sub["lists"] if m["id"] == list_id), None)
                    if action == "add":
                        # ON CONFLICT ... SET status = $3 (when given): Listmonk overwrites an "unsubscribed"
                        # membership too, so not re-subscribing someone is the caller's job.
                        if current is None:
                            sub["lists"].append({"id": list_id, "subscription_status": status or "unconfirmed",
                                                 "created_at": now, "updated_at": now})
                        elif status:
                            current["subscription_status"], current["updated_at"] = status, now
                    elif action == "remove":
                        sub["lists"] = [m for m in sub["lists"] if m["id"] != list_id]
                    elif current is not None:
                        current["subscription_status"], current["updated_at"] = "unsubscribed", now
        return _json({"data": True})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pwdev.listmonk_standin", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--user", default="api")
    parser.add_argument("--password", default="listmonk-dev")
    parser.add_argument("--api-version", type=int, default=4, help="3 = BasicAuth only, 401 on failure")
    args = parser.parse_args(argv)
    standin = ListmonkStandin(args.user, args.password, api_version=args.api_version).start(args.host, args.port)
    print(f"pwdev.listmonk_standin: {standin.url}", flush=True)
    run_until_interrupted(standin.stop)


if __name__ == "__main__":
    main()
