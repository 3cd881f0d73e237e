"""A Listmonk stand-in (the slice of its REST API the pipeline uses), on 127.0.0.1, with HTTP basic auth.

- GET  /api/lists?query=<name part>&per_page=all           -> {"data": {"results": [{"id","name",...}], "total"}}
- GET  /api/subscribers?query=subscribers.email = 'x'&per_page=N -> {"data": {"results": [subscriber], ...}}
  (only the `subscribers.email = '...'` / `subscribers.email='...'` form of Listmonk's SQL expression)
- GET  /api/subscribers/<id>
- POST /api/subscribers {"email","name","status","lists":[ids],"preconfirm_subscriptions"} -> 200 / 409
  "E-mail already exists." (Listmonk's answer for a duplicate address)
- PUT  /api/subscribers/lists {"ids","action": add|remove|unsubscribe,"target_list_ids","status"} -> {"data": true}
A subscriber looks like Listmonk's: id, uuid, email, name, status, lists [{id, name, subscription_status}].
`unsubscribe(email)` plays a customer clicking the unsubscribe link: every membership becomes
"unsubscribed" and, when `webhook_url` is set, the stand-in POSTs {"event": "subscriber.unsubscribed",
"subscriber": {"email", ...}} there with `Authorization: Bearer <webhook_token>` (how the project wires
Listmonk's unsubscribe notification to deliver's /listmonk/unsubscribe route).

    python -m pwdev.listmonk_standin --port 9100 --user api --password secret
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hmac
import json
import re
import threading
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import httpx
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

DEFAULT_LISTS = ("Formation follow-up", "Compliance upsell", "CRTC follow-up")
_EMAIL_QUERY = re.compile(r"^\s*subscribers\.email\s*=\s*'((?:[^']|'')*)'\s*$", re.IGNORECASE)


def _json(obj: Any, status: int = 200) -> Response:
    return Response(json.dumps(obj), status=status, mimetype="application/json")


def _err(message: str, status: int) -> Response:
    return _json({"message": message}, status)


class _Quiet(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return


class ListmonkStandin:
    def __init__(self, user: str = "api", password: str = "listmonk-dev", lists: Iterable[str] = DEFAULT_LISTS,
                 webhook_url: str = "", webhook_token: str = "") -> None:
        self.user = user
        self.password = password
        self.webhook_url = webhook_url
        self.webhook_token = webhook_token
        self.lock = threading.Lock()
        self.lists: dict[int, dict[str, Any]] = {}
        self.subscribers: dict[int, dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []
        for name in lists:
            self.add_list(name)
        self._server: BaseWSGIServer | None = None
        self.url = ""

    # -- state ------------------------------------------------------------------------------------------
    def add_list(self, name: str, optin: str = "double") -> int:
        with self.lock:
            list_id = len(self.lists) + 1
            self.lists[list_id] = {"id": list_id, "uuid": str(uuid.uuid4()), "name": name, "type": "private",
                                   "optin": optin, "tags": [], "subscriber_count": 0}
            return list_id

    def by_email(self, email: str) -> dict[str, Any] | None:
        with self.lock:
            for sub in self.subscribers.values():
                if sub["email"] == email.lower():
                    copied: dict[str, Any] = json.loads(json.dumps(sub))  # a copy
                    return copied
        return None

    def unsubscribe(self, email: str) -> None:
        with self.lock:
            sub = next((s for s in self.subscribers.values() if s["email"] == email.lower()), None)
            if sub is None:
                raise KeyError(email)
            for membership in sub["lists"]:
                membership["subscription_status"] = "unsubscribed"
            payload = {"event": "subscriber.unsubscribed", "subscriber": {"email": sub["email"], "id": sub["id"],
                                                                          "uuid": sub["uuid"]}}
        if self.webhook_url:
            httpx.post(self.webhook_url, json=payload, timeout=10,
                       headers={"Authorization": f"Bearer {self.webhook_token}"}).raise_for_status()

    # -- server -----------------------------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0) -> ListmonkStandin:
        self._server = make_server(host, port, self.wsgi, threaded=True, request_handler=_Quiet)
        self.url = f"http://{host}:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, name="listmonk-standin", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> ListmonkStandin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _authorized(self, req: Request) -> bool:
        header = req.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(value).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return False
        elif scheme.lower() == "token":  # Listmonk >= 4 also takes "token user:key"
            user, _, password = value.partition(":")
        else:
            return False
        return hmac.compare_digest(user, self.user) and hmac.compare_digest(password, self.password)

    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        req = Request(environ)
        with self.lock:
            self.requests.append((req.method, req.path))
        if not self._authorized(req):
            resp = _err("invalid session", 403) if req.headers.get("Authorization") else Response(
                "Unauthorized", 401, {"WWW-Authenticate": 'Basic realm="listmonk"'})
        else:
            try:
                resp = self._route(req)
            except (ValueError, KeyError, TypeError) as exc:
                resp = _err(f"invalid request: {exc}", 400)
        return resp(environ, start_response)

    def _route(self, req: Request) -> Response:
        path, method = req.path.rstrip("/"), req.method
        if path == "/api/lists" and method == "GET":
            return self._lists(req)
        if path == "/api/subscribers" and method == "GET":
            return self._query(req)
        if path == "/api/subscribers" and method == "POST":
            return self._create(req.get_json(force=True))
        if path == "/api/subscribers/lists" and method == "PUT":
            return self._membership(req.get_json(force=True))
        match = re.fullmatch(r"/api/subscribers/(\d+)", path)
        if match and method == "GET":
            with self.lock:
                sub = self.subscribers.get(int(match.group(1)))
            return _json({"data": sub}) if sub else _err("Subscriber not found.", 404)
        return _err("not found", 404)

    def _lists(self, req: Request) -> Response:
        query = (req.args.get("query") or "").lower()
        with self.lock:
            rows = [dict(lst) for lst in self.lists.values() if query in lst["name"].lower()]
        return _json({"data": {"results": rows, "total": len(rows), "per_page": len(rows), "page": 1}})

    def _query(self, req: Request) -> Response:
        query = req.args.get("query") or ""
        per_page = req.args.get("per_page", "20")
        limit = 10**9 if per_page == "all" else int(per_page)
        with self.lock:
            rows = list(self.subscribers.values())
        if query:
            match = _EMAIL_QUERY.match(query)
            if not match:
                return _err("the stand-in only understands subscribers.email = '...'", 400)
            wanted = match.group(1).replace("''", "'").lower()
            rows = [r for r in rows if r["email"] == wanted]
        return _json({"data": {"results": rows[:limit], "total": len(rows), "per_page": limit, "page": 1}})

    def _create(self, body: dict[str, Any]) -> Response:
        email = str(body["email"]).strip().lower()
        if "@" not in email:
            return _err("Invalid email.", 400)
        with self.lock:
            if any(s["email"] == email for s in self.subscribers.values()):
                return _err("E-mail already exists.", 409)
            list_ids = [int(i) for i in body.get("lists") or []]
            if any(i not in self.lists for i in list_ids):
                return _err("Invalid list ID.", 400)
            sub_status = "confirmed" if body.get("preconfirm_subscriptions") else "unconfirmed"
            now = datetime.now(UTC).isoformat()
            sub_id = len(self.subscribers) + 1
            sub = {"id": sub_id, "uuid": str(uuid.uuid4()), "email": email, "name": body.get("name") or email,
                   "status": body.get("status") or "enabled", "attribs": body.get("attribs") or {},
                   "created_at": now, "updated_at": now,
                   "lists": [{"id": i, "name": self.lists[i]["name"], "subscription_status": sub_status}
                             for i in list_ids]}
            self.subscribers[sub_id] = sub
            return _json({"data": json.loads(json.dumps(sub))})

    def _membership(self, body: dict[str, Any]) -> Response:
        action = body["action"]
        if action not in ("add", "remove", "unsubscribe"):
            return _err("Invalid action.", 400)
        with self.lock:
            for sub_id in body["ids"]:
                sub = self.subscribers.get(int(sub_id))
                if sub is None:
                    return _err("Subscriber not found.", 404)
                for list_id in body["target_list_ids"]:
                    list_id = int(list_id)
                    if list_id not in self.lists:
                        return _err("Invalid list ID.", 400)
                    current = next((m for m in sub["lists"] if m["id"] == list_id), None)
                    if action == "add":
                        status = body.get("status") or "unconfirmed"
                        if current is None:
                            sub["lists"].append({"id": list_id, "name": self.lists[list_id]["name"],
                                                 "subscription_status": status})
                        elif current["subscription_status"] != "unsubscribed":
                            current["subscription_status"] = status
                    elif action == "remove":
                        sub["lists"] = [m for m in sub["lists"] if m["id"] != list_id]
                    elif current is not None:
                        current["subscription_status"] = "unsubscribed"
        return _json({"data": True})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pwdev.listmonk_standin", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--user", default="api")
    parser.add_argument("--password", default="listmonk-dev")
    args = parser.parse_args(argv)
    standin = ListmonkStandin(args.user, args.password).start(args.host, args.port)
    print(f"pwdev.listmonk_standin: {standin.url}", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
