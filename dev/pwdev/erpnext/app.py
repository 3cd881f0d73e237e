"""The HTTP side: Frappe v1 routes, auth, error bodies, dev controls, fault knobs."""

from __future__ import annotations

import base64
import binascii
import collections
import json
import secrets
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from pwdev.serving import Serving

from . import files as file_api
from . import standard
from . import workflow as workflows
from .backups import Backups
from .errors import FrappeError, not_found, permission, throw
from .meta import STD_FIELDS, Clock, cint, flt
from .perms import Permissions
from .query import parse_json_param
from .store import Store, as_dict
from .webhooks import WebhookSender

DOCTYPES_JSON = Path(__file__).resolve().parents[3] / "shared" / "pwcore" / "data" / "doctypes.json"
DEFAULT_USERS = [{"user": "Administrator", "api_key": "dev-key", "api_secret": "dev-secret"}]
_WRITE_METHODS = {"frappe.client.insert", "frappe.client.insert_many", "frappe.client.set_value",
                  "frappe.desk.form.utils.add_comment", "frappe.client.delete", "frappe.client.cancel",
                  "frappe.core.doctype.user.user.generate_keys"}
FETCH_LATEST_BACKUPS = "frappe.desk.page.backups.backups.fetch_latest_backups"
# Frappe's fallback when System Settings has no time zone (frappe.utils.get_system_timezone).
FALLBACK_TIME_ZONE = "Asia/Kolkata"


def _json(obj: Any, status: int = 200) -> Response:
    return Response(json.dumps(obj, separators=(",", ":"), default=str), status=status,
                    mimetype="application/json")


def _sbool(v: Any) -> bool:
    if isinstance(v, str):
        return v.strip().lower() not in ("", "0", "false", "no", "off", "none", "null")
    return bool(v)


class _Drop(ConnectionResetError):
    pass


class ERPNextStandin:
    """A Frappe/ERPNext v15 REST + webhook stand-in backed by SQLite."""

    def __init__(self, db_path: str = ":memory:", users: list[dict[str, Any]] | None = None, *,
                 seeded: bool = True, fixtures: str | Path | dict[str, list[dict[str, Any]]] | None = None,
                 retry_sleep_scale: float = 1.0, dev_controls: bool = True,
                 time_zone: str | None = "America/Chicago", webhook_workers: int = 4,
                 doctypes_path: str | Path | None = None, sites_dir: str | Path | None = None,
                 site_name: str = "site1.local") -> None:
        # time_zone: what System Settings holds on a new site (None: unset, Frappe then uses Asia/Kolkata).
        self.clock = Clock(time_zone or FALLBACK_TIME_ZONE)
        self.dev_controls = dev_controls
        self.users = list(users if users is not None else DEFAULT_USERS)
        self.store = Store(db_path, self.clock)
        self.perms = Permissions(self.store)
        self.files = file_api.FileStore()
        self.sender = WebhookSender(self._insert_log, workers=webhook_workers, retry_sleep_scale=retry_sleep_scale)
        self.store.on_commit = self.sender.enqueue
        self._stats: collections.Counter[str] = collections.Counter()
        self._stats_lock = threading.Lock()
        self._faults: list[dict[str, Any]] = []
        self._faults_lock = threading.Lock()
        self._http = Serving(self.wsgi, "erpnext-standin", daemon_threads=True)
        self.url = ""
        # bench backup's folder (sites/<site>/private/backups); a temporary sites folder unless given.
        self._own_sites = None if sites_dir else tempfile.mkdtemp(prefix="pwsites-")
        self.backups = Backups(Path(sites_dir or str(self._own_sites)), site_name)
        self._bootstrap(seeded, Path(doctypes_path) if doctypes_path else DOCTYPES_JSON, time_zone)
        if fixtures is not None:
            self.load_fixtures(fixtures)

    # ---- setup --------------------------------------------------------------------------------------
    def _bootstrap(self, seeded: bool, doctypes_path: Path, time_zone: str | None) -> None:
        s = self.store
        s.reload_metas()
        spec = json.loads(doctypes_path.read_text()) if seeded else {}

        def ensure(t: Any, doctype: str, name: str, doc: dict[str, Any]) -> None:
            if not s.exists(doctype, name):
                s.insert(t, doctype, doc, import_mode=True)

        with s.txn("Administrator", fire=False) as t:
            roles = list(standard.STANDARD_ROLES) + [r for u in self.users for r in u.get("roles") or []]
            # A seeded site already has the roles its DocPerms name (pw erpnext-setup creates them on a real one).
            roles += [p["role"] for d in spec.get("doctypes", []) for p in d.get("permissions") or []]
            for role in dict.fromkeys(roles):
                ensure(t, "Role", role, {"role_name": role})
            modules = list(standard.STANDARD_MODULES) + [(d["module"], "frappe") for d in spec.get("doctypes", [])
                                                         if d.get("module")]
            for module, app in dict.fromkeys(modules):
                ensure(t, "Module Def", module, {"module_name": module, "app_name": app,
                                                 "custom": int(app == "frappe" and module not in ("Core",))})
            for d in standard.BOOTSTRAP + standard.STANDARD:
                ensure(t, "DocType", d["name"], {"custom": 0, **d})
            ensure(t, "System Settings", "System Settings", {"time_zone": time_zone})
            for email in ["Administrator", "Guest"]:
                ensure(t, "User", email, {"email": email, "first_name": email})
            for u in self.users:
                if u["user"] in ("Administrator", "Guest"):
                    s.set_value(t, "User", u["user"], {"api_key": u["api_key"]})
                    s.save_password("User", u["user"], "api_secret", u["api_secret"])
                    continue
                ensure(t, "User", u["user"], {"email": u["user"], "first_name": u["user"], "api_key": u["api_key"],
                                              "api_secret": u["api_secret"],
                                              "roles": [{"role": r} for r in u.get("roles") or []]})
            if seeded:
                for d in spec.get("doctypes", []):
                    if not s.exists("DocType", d["name"]):
                        s.insert(t, "DocType", d, import_mode=True)
                for cf in spec.get("custom_fields", []):
                    if not s.exists("Custom Field", f"{cf['dt']}-{cf['fieldname']}"):
                        s.insert(t, "Custom Field", cf)
        s.sync_time_zone(FALLBACK_TIME_ZONE)

    def load_fixtures(self, fixtures: str | Path | dict[str, list[dict[str, Any]]]) -> None:
        data = fixtures if isinstance(fixtures, dict) else json.loads(Path(fixtures).read_text())
        with self.store.txn("Administrator", fire=False) as t:
            for doctype, docs in data.items():
                for d in docs:
                    if d.get("name") and self.store.exists(doctype, str(d["name"])):
                        continue
                    self.store.insert(t, doctype, {k: v for k, v in d.items() if k != "doctype"},
                                      import_mode=True)

    def insert_many(self, doctype: str, docs: Iterable[dict[str, Any]], *, fire_webhooks: bool = False,
                    user: str = "Administrator") -> list[str]:
        """Bulk load for benchmarks (one transaction); names/creation/modified in the docs are kept."""
        with self.store.txn(user, fire=fire_webhooks) as t:
            return [str(self.store.insert(t, doctype, d, import_mode=True)["name"]) for d in docs]

    def pay_invoice(self, invoice: str, paid_amount: Any = None, user: str = "Administrator") -> dict[str, Any]:
        """What submitting a Payment Entry against a submitted Sales Invoice does in ERPNext: the outstanding
        amount is lowered with frappe.db.set_value (no events), then the status is set with doc.db_set, which
        runs on_change (so an on_change webhook sees status Paid once)."""
        with self.store.txn(user) as t:
            inv = self.store.get("Sales Invoice", invoice)
            if cint(inv["docstatus"]) != 1:
                raise throw("ValidationError", f"Sales Invoice {invoice} must be submitted to receive a payment")
            outstanding = flt(inv.get("outstanding_amount"))
            amount = outstanding if paid_amount in (None, "") else flt(paid_amount)
            if amount <= 0 or amount > outstanding + 1e-9:
                raise throw("ValidationError", f"Paid amount {amount} is not within the outstanding {outstanding}")
            left = round(outstanding - amount, 2)
            self.store.set_value(t, "Sales Invoice", invoice, {"outstanding_amount": left})
            return self.store.set_value(t, "Sales Invoice", invoice,
                                        {"status": "Paid" if left <= 0 else "Partly Paid"}, run_on_change=True)

    def _insert_log(self, log: dict[str, Any]) -> None:
        try:
            with self.store.txn(log.get("user") or "Administrator", fire=False) as t:
                if not self.store.exists("User", str(log.get("user"))):
                    log["user"] = None
                if not self.store.exists("Webhook", str(log.get("webhook"))):
                    log["webhook"] = None
                self.store.insert(t, "Webhook Request Log", log)
        except FrappeError:  # a log that cannot be written must not stop delivery
            pass

    # ---- server -------------------------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0) -> ERPNextStandin:
        self.url = self._http.start(host, port)
        return self

    def stop(self) -> None:
        self._http.stop()
        self.sender.stop()
        if self._own_sites:
            shutil.rmtree(self._own_sites, ignore_errors=True)

    def serve_forever(self, host: str, port: int) -> None:
        self.start(host, port)
        assert self._http.thread is not None
        self._http.thread.join()

    def __enter__(self) -> ERPNextStandin:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- WSGI ---------------------------------------------------------------------------------------
    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        req = Request(environ)
        path = req.path
        try:
            if path.startswith("/_standin/"):
                resp = self._control(req) if self.dev_controls else _json({"exc_type": "DoesNotExistError"}, 404)
            else:
                self._count(req)
                fault = self._take_fault(req)
                if fault is not None:
                    if fault.get("drop"):
                        sock = environ.get("werkzeug.socket")
                        if sock is not None:
                            sock.shutdown(socket.SHUT_RDWR)
                        raise _Drop("fault: connection dropped")
                    if fault.get("delay_s"):
                        time.sleep(float(fault["delay_s"]))
                    if fault.get("status"):
                        st = int(fault["status"])
                        body = fault.get("body") or f"<html><head><title>{st}</title></head><body><center><h1>" \
                            f"{st}</h1></center><hr><center>nginx</center></body></html>"
                        return Response(body, status=st, mimetype=fault.get("content_type") or "text/html")(
                            environ, start_response)
                if path.startswith("/backups/") and req.method == "GET":
                    resp = self.backups.serve(self, req, self._auth(req) or "Guest")
                elif path.startswith(("/private/files/", "/files/")):
                    resp = file_api.serve(self, req, self._auth(req) or "Guest")
                else:
                    resp = self._api(req)
        except FrappeError as e:
            resp = _json(e.body(), e.status)
        return resp(environ, start_response)

    def _route_key(self, req: Request) -> str:
        p = req.path
        for pre in ("/api/v1/", "/api/"):
            if p.startswith(pre):
                rest = p[len(pre):].rstrip("/")
                parts = rest.split("/", 2)
                if parts[0] == "resource" and len(parts) == 3:
                    return f"{req.method} /api/resource/{parts[1]}/<name>"
                return f"{req.method} /api/{rest}"
        return f"{req.method} {p}"

    def _count(self, req: Request) -> None:
        with self._stats_lock:
            self._stats[self._route_key(req)] += 1

    def _take_fault(self, req: Request) -> dict[str, Any] | None:
        with self._faults_lock:
            for f in self._faults:
                prefix = f.get("path_prefix") or ""
                if prefix and not (req.path.startswith(prefix) or req.path.startswith(unquote(prefix))):
                    continue
                if f.get("method") and str(f["method"]).upper() != req.method:
                    continue
                f["count"] = int(f.get("count", 1)) - 1
                if f["count"] <= 0:
                    self._faults.remove(f)
                return dict(f)
        return None

    # ---- dev controls -------------------------------------------------------------------------------
    def _control(self, req: Request) -> Response:
        p = req.path.rstrip("/")
        m = req.method
        args = req.args
        body = req.get_json(silent=True) or {}
        if p == "/_standin/health":
            return _json({"ok": True})
        if p in ("/_standin/webhooks/pause", "/_standin/workers/down") and m == "POST":
            # RQ workers down: jobs wait in the queue (Redis keeps them) and are sent when workers are back.
            self.sender.pause()
            return _json(self.sender.state())
        if p == "/_standin/payment_entry" and m == "POST":
            return _json({"data": as_dict(self.pay_invoice(str(body.get("sales_invoice") or args.get("sales_invoice")),
                                                           body.get("paid_amount")), no_nulls=True)})
        if p in ("/_standin/db_set", "/_standin/set_value") and m == "POST":
            with self.store.txn(str(body.get("user") or "Administrator")) as t:
                doc = self.store.set_value(t, str(body["doctype"]), str(body["name"]), dict(body["values"]),
                                           run_on_change=p.endswith("db_set"))
            return _json({"data": as_dict(doc, no_nulls=True)})
        if p == "/_standin/bench_backup" and m == "POST":
            return _json({"file": self.backups.bench_backup(self).name})
        if p in ("/_standin/webhooks/resume", "/_standin/workers/up") and m == "POST":
            self.sender.resume()
            return _json(self.sender.state())
        if p == "/_standin/webhooks/drop_next" and m == "POST":
            self.sender.drop_next(cint(args.get("count") or body.get("count") or 1))
            return _json(self.sender.state())
        if p == "/_standin/webhooks/pending":
            return _json(self.sender.state())
        if p == "/_standin/stats" and m == "GET":
            with self._stats_lock:
                by_route = dict(self._stats)
            by_method: collections.Counter[str] = collections.Counter()
            for k, v in by_route.items():
                by_method[k.split(" ", 1)[0]] += v
            return _json({"total": sum(by_route.values()), "by_method": dict(by_method), "by_route": by_route})
        if p == "/_standin/stats/reset" and m == "POST":
            with self._stats_lock:
                self._stats.clear()
            return _json({"ok": True})
        if p == "/_standin/faults":
            with self._faults_lock:
                if m == "POST":
                    rules = body if isinstance(body, list) else [body]
                    for r in rules:
                        r.setdefault("count", 1)
                        self._faults.append(dict(r))
                elif m == "DELETE":
                    self._faults.clear()
                return _json({"faults": list(self._faults)})
        return _json({"exc_type": "DoesNotExistError"}, 404)

    # ---- API ----------------------------------------------------------------------------------------
    def _auth(self, req: Request) -> str | None:
        """The user of the request (None: Guest). Keys live on the User (api_key, api_secret Password)."""
        header = req.headers.get("Authorization")
        if not header:
            return None
        parts = header.split(" ")
        if len(parts) != 2:
            return None  # Frappe ignores it: the request runs as Guest
        scheme, token = parts[0].lower(), parts[1]
        if scheme == "basic":
            try:
                token = base64.b64decode(token, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                raise throw("InvalidAuthorizationToken",
                            "Failed to decode token, please provide a valid base64-encoded token.") from None
        if scheme in ("token", "basic") and ":" in token:
            key, secret = token.split(":", 1)
            with self.store.lock:
                row = self.store.conn.execute('SELECT name, enabled FROM "tabUser" WHERE api_key = ?',
                                              [key]).fetchone()
            if row is not None and cint(row[1]) and \
                    self.store.get_password("User", str(row[0]), "api_secret") == secret:
                return str(row[0])
        raise FrappeError("AuthenticationError", "")

    def _form_dict(self, req: Request) -> dict[str, Any]:
        raw = req.get_data(as_text=True)
        if raw and req.is_json:
            try:
                parsed = json.loads(raw)
            except ValueError:
                raise throw("ValidationError", "Invalid JSON body") from None
            return parsed if isinstance(parsed, dict) else {"data": parsed}
        out: dict[str, Any] = dict(req.args.items())
        out.update(req.form.items())
        return out

    def _doc_data(self, req: Request, form: dict[str, Any]) -> dict[str, Any]:
        data: Any = form.get("data")
        if data is None:
            data = req.get_data(as_text=True)
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                data = form
        if not isinstance(data, dict):
            raise throw("ValidationError", "Request body must be a JSON object")
        return data

    def _api(self, req: Request) -> Response:
        path = req.path
        if path.startswith("/api/v1/"):
            rest = path[len("/api/v1/"):]
        elif path.startswith("/api/") and not path.startswith("/api/v2/"):
            rest = path[len("/api/"):]
        else:
            raise not_found("Page", path)
        rest = rest.rstrip("/")
        user = self._auth(req)
        username = user or "Guest"
        form = self._form_dict(req)
        kind, _, tail = rest.partition("/")
        if kind == "method" and tail:
            return self._method(req, tail, form, user, username)
        if kind == "resource" and tail:
            doctype, _, name = tail.partition("/")
            doctype = unquote(doctype)
            if user is None:
                raise permission(username, doctype)
            self.store.get_meta(doctype)
            m = req.method
            if not name:
                if m == "GET":
                    return _json({"data": self._list(username, doctype, form)})
                if m == "POST":
                    data = self._doc_data(req, form)
                    data.pop("doctype", None)
                    return _json({"data": as_dict(self._insert(username, doctype, data), no_nulls=True)})
            else:
                name = unquote(name)
                if m == "GET":
                    doc = self.store.get(doctype, name)
                    self.perms.check(username, doctype, "read", doc)
                    return _json({"data": as_dict(doc, no_nulls=True)})
                if m == "PUT":
                    data = self._doc_data(req, form)
                    return _json({"data": as_dict(self._update(username, doctype, name, data), no_nulls=True)})
                if m == "DELETE":
                    if not self.store.exists(doctype, name):
                        raise FrappeError("DoesNotExistError", bare=True)
                    self._delete(username, doctype, name)
                    return _json({"data": "ok"}, 202)
                if m == "POST":
                    raise throw("ValidationError", "run_method is not supported by the stand-in")
        raise throw("DoesNotExistError", "Not Found")

    # ---- permission-checked document operations ----------------------------------------------------
    def _insert(self, user: str, doctype: str, data: dict[str, Any]) -> dict[str, Any]:
        self.perms.check(user, doctype, "create")
        if cint(data.get("docstatus")) == 1:
            self.perms.check(user, doctype, "submit")
        workflows.check(self.store, self.perms.roles(user), user, doctype, None, data)
        with self.store.txn(user) as t:
            return self.store.insert(t, doctype, data)

    def _update(self, user: str, doctype: str, name: str, data: dict[str, Any]) -> dict[str, Any]:
        current = self.store.get(doctype, name)
        self.perms.check(user, doctype, "write", current)
        new_ds, old_ds = cint(data.get("docstatus", current["docstatus"])), cint(current["docstatus"])
        if new_ds != old_ds:
            self.perms.check(user, doctype, "submit" if new_ds == 1 else "cancel", current)
        roles = self.perms.roles(user)
        with self.store.txn(user) as t:
            # Like Frappe's save: check_if_latest (row lock, stale `modified` refused) before validate_workflow,
            # so the workflow sees the state it replaces.
            latest = self.store.get(doctype, name)
            if "modified" not in data or str(data["modified"]) == str(latest.get("modified")):
                workflows.check(self.store, roles, user, doctype, latest, data)
            return self.store.update(t, doctype, name, data)

    def _delete(self, user: str, doctype: str, name: str) -> None:
        doc = self.store.get(doctype, name)
        self.perms.check(user, doctype, "delete", doc)
        with self.store.txn(user) as t:
            self.store.delete(t, doctype, name)
        if doctype == "File" and doc.get("file_url"):
            self.files.drop(str(doc["file_url"]))

    def _list(self, user: str, doctype: str, form: dict[str, Any]) -> list[Any]:
        if "limit_page_length" in form:
            page = form["limit_page_length"]
        else:
            page = form.get("limit") or 20
        owner = user if self.perms.owner_only(user, doctype) else None
        return self.store.query(doctype, fields=form.get("fields"), filters=form.get("filters"),
                                or_filters=form.get("or_filters"), order_by=form.get("order_by"),
                                start=cint(form.get("limit_start") or 0), page_length=cint(page),
                                as_dict_rows=_sbool(form.get("as_dict", True)), owner=owner,
                                restrict=self.perms.restrictions(user, doctype))

    def _method(self, req: Request, method: str, form: dict[str, Any], user: str | None,
                username: str) -> Response:
        if method == "frappe.auth.get_logged_user" and user is not None:
            return _json({"message": username})
        if method == "upload_file" and req.method == "POST":
            return _json({"message": as_dict(file_api.upload_file(self, req, form, username))})
        if method == FETCH_LATEST_BACKUPS:
            return _json({"message": self.backups.fetch_latest(self, username)})
        known = {"frappe.auth.get_logged_user", "frappe.client.get_list", "frappe.client.get_count",
                 "frappe.client.get_value", "frappe.client.get", "frappe.client.get_password", *_WRITE_METHODS}
        if method not in known:
            module = method.rsplit(".", 1)[0]
            raise throw("ValidationError", f"Failed to get method for command {method} with "
                        f"No module named '{module}'")
        if user is None:
            raise FrappeError("PermissionError", "Not permitted", messages=[
                throw("PermissionError", "Not permitted").messages[0]])
        if method in _WRITE_METHODS and req.method not in ("POST", "PUT", "DELETE"):
            raise FrappeError("PermissionError", "Not permitted", messages=[
                throw("PermissionError", "Not permitted").messages[0]])
        s = self.store

        def arg(name: str) -> Any:
            if name not in form:
                fn = method.rsplit(".", 1)[1]
                raise FrappeError("TypeError", f"{fn}() missing 1 required positional argument: '{name}'",
                                  module="")
            return form[name]

        if method == "frappe.client.get_list":
            doctype = arg("doctype")
            page = form.get("limit_page_length", form.get("limit", 20))
            owner = username if self.perms.owner_only(username, doctype) else None
            return _json({"message": s.query(doctype, fields=form.get("fields"), filters=form.get("filters"),
                                             or_filters=form.get("or_filters"), order_by=form.get("order_by"),
                                             start=cint(form.get("limit_start") or 0), page_length=cint(page),
                                             as_dict_rows=_sbool(form.get("as_dict", True)), owner=owner,
                                             restrict=self.perms.restrictions(username, doctype))})
        if method == "frappe.client.get_count":
            doctype = arg("doctype")
            owner = username if self.perms.owner_only(username, doctype) else None
            return _json({"message": s.count(doctype, form.get("filters"), owner=owner,
                                             restrict=self.perms.restrictions(username, doctype))})
        if method == "frappe.client.get_value":
            doctype = arg("doctype")
            fieldname = parse_json_param(arg("fieldname"))
            fields = fieldname if isinstance(fieldname, list) else [fieldname]
            filters = parse_json_param(form.get("filters"))
            if isinstance(filters, str):
                filters = {"name": filters}
            as_d = _sbool(form.get("as_dict", True))
            owner = username if self.perms.owner_only(username, doctype) else None
            rows = s.query(doctype, fields=fields, filters=filters, order_by=None, page_length=1,
                           as_dict_rows=as_d, owner=owner, restrict=self.perms.restrictions(username, doctype))
            if as_d:
                return _json({"message": rows[0] if rows else {}})
            if not rows:
                return _json({})
            return _json({"message": rows[0] if len(fields) > 1 else rows[0][0]})
        if method == "frappe.client.get":
            doctype = arg("doctype")
            name = form.get("name")
            if not name and form.get("filters"):
                rows = s.query(doctype, filters=parse_json_param(form["filters"]), page_length=1)
                if not rows:
                    raise not_found(doctype, str(form["filters"]))
                name = rows[0]["name"]
            doc = s.get(doctype, str(name))
            self.perms.check(username, doctype, "read", doc)
            return _json({"message": as_dict(doc)})
        if method == "frappe.client.get_password":
            doctype, name, fieldname = arg("doctype"), arg("name"), arg("fieldname")
            doc = s.get(doctype, name)
            field = s.get_meta(doctype).get_field(fieldname) or {}
            self.perms.check(username, doctype, "read", doc, permlevel=cint(field.get("permlevel")))
            return _json({"message": s.get_password(doctype, name, fieldname)})
        if method == "frappe.core.doctype.user.user.generate_keys":
            target = s.get("User", arg("user"))
            if username != "Administrator" and "System Manager" not in self.perms.roles(username):
                raise permission(username, "User")
            secret = secrets.token_hex(8)[:15]
            with s.txn(username) as t:
                s.update(t, "User", target["name"], {"api_key": target.get("api_key") or secrets.token_hex(8)[:15],
                                                      "api_secret": secret})
            return _json({"message": {"api_secret": secret}})
        if method == "frappe.client.insert":
            doc = parse_json_param(arg("doc"))
            if not isinstance(doc, dict) or not doc.get("doctype"):
                raise throw("ValidationError", "doc must be a JSON object with a doctype")
            out = self._insert(username, str(doc["doctype"]), {k: v for k, v in doc.items() if k != "doctype"})
            return _json({"message": as_dict(out)})
        if method == "frappe.client.insert_many":
            docs = parse_json_param(arg("docs"))
            if len(docs) > 200:
                raise throw("ValidationError", "Only 200 inserts allowed in one request")
            for d in docs:
                self.perms.check(username, str(d["doctype"]), "create")
            with s.txn(username) as t:
                names = [s.insert(t, str(d["doctype"]), {k: v for k, v in d.items() if k != "doctype"})["name"]
                         for d in docs]
            return _json({"message": names})
        if method == "frappe.client.set_value":
            doctype, name, fieldname = arg("doctype"), arg("name"), parse_json_param(arg("fieldname"))
            values = fieldname if isinstance(fieldname, dict) else {fieldname: form.get("value")}
            if any(k in STD_FIELDS for k in values):
                raise throw("ValidationError", "Cannot edit standard fields")
            return _json({"message": as_dict(self._update(username, doctype, name, values))})
        if method == "frappe.client.delete":
            self._delete(username, arg("doctype"), arg("name"))
            return _json({})
        if method == "frappe.client.cancel":
            self._update(username, arg("doctype"), arg("name"), {"docstatus": 2})
            return _json({})
        # frappe.desk.form.utils.add_comment: every argument is required; needs read on the document only.
        ref_dt, ref_name = arg("reference_doctype"), arg("reference_name")
        content, email, by = arg("content"), arg("comment_email"), arg("comment_by")
        self.perms.check(username, ref_dt, "read", s.get(ref_dt, ref_name))
        with s.txn(username) as t:
            out = s.insert(t, "Comment", {"comment_type": "Comment", "reference_doctype": ref_dt,
                                          "reference_name": ref_name, "content": content, "comment_email": email,
                                          "comment_by": by})
        return _json({"message": as_dict(out)})
