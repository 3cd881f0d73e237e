"""SQLite-backed document store with Frappe's save semantics (frappe/model/document.py, naming.py)."""

from __future__ import annotations

import datetime as dt
import html
import json
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from dateutil import parser as dateparser

from . import standard
from .conditions import eval_condition
from .errors import FrappeError, message, not_found, throw
from .meta import (
    DATE_TYPES,
    NO_VALUE_TYPES,
    NUMERIC_TYPES,
    STD_FIELDS,
    TABLE_TYPES,
    VARCHAR_TYPES,
    Clock,
    Meta,
    cint,
    coerce,
    db_str,
    default_value,
    flt,
    sql_type,
)
from .query import QueryBuilder, q

NO_LIST_VIEW_TYPES = NO_VALUE_TYPES | TABLE_TYPES
# Which webhook events each action runs, in order (Frappe's Document.run_method).
EVENTS = {
    "insert": ["after_insert", "on_update"],
    "insert_submit": ["after_insert", "on_update", "on_submit"],
    "save": ["on_update", "on_change"],
    "submit": ["on_update", "on_submit", "on_change"],
    "update_after_submit": ["on_update_after_submit", "on_change"],
    "cancel": ["on_cancel", "on_change"],
    "delete": ["on_trash", "on_change"],
    "db_set": ["on_change"],  # Document.db_set runs on_change (frappe.db.set_value alone runs nothing)
}
# Frappe's accepted events (on_update_after_submit is missing in v15, so such webhooks never fire).
ACCEPTED_EVENTS = {"on_update", "after_insert", "on_submit", "on_cancel", "on_trash", "on_change"}
_BOOTSTRAP = {d["name"] for d in standard.BOOTSTRAP}
PASSWORD_MASK = "*" * 10  # what Frappe returns for a set Password field, whatever its length


@dataclass
class Trigger:
    webhook: dict[str, Any]
    doc: dict[str, Any]
    user: str


@dataclass
class Txn:
    user: str
    fire: bool = True
    triggers: list[Trigger] = field(default_factory=list)
    meta_dirty: bool = False


def as_dict(doc: dict[str, Any], *, no_nulls: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in doc.items():
        if k == "doctype":
            continue
        if isinstance(v, list):
            out[k] = [as_dict(r, no_nulls=no_nulls) for r in v]
        elif v is None and no_nulls:
            continue
        else:
            out[k] = v
    out["doctype"] = doc["doctype"]
    return out


class Store:
    def __init__(self, db_path: str, clock: Clock, *,
                 on_commit: Callable[[list[Trigger]], None] | None = None) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.metas: dict[str, Meta] = {}
        self.on_commit = on_commit
        self._depth = 0
        self._txn: Txn | None = None
        self._webhooks: dict[str, list[dict[str, Any]]] | None = None
        with self.lock:
            self.conn.execute('CREATE TABLE IF NOT EXISTS "tabSeries" (name TEXT PRIMARY KEY, current INTEGER)')
            self.conn.execute('CREATE TABLE IF NOT EXISTS "__Auth" (doctype TEXT, name TEXT, fieldname TEXT, '
                              'password TEXT, PRIMARY KEY (doctype, name, fieldname))')
            for d in standard.BOOTSTRAP:
                self._register(Meta.from_record(d, []))

    # ---- transactions ---------------------------------------------------------------------------------
    @contextmanager
    def txn(self, user: str, *, fire: bool = True) -> Iterator[Txn]:
        with self.lock:
            outer = self._depth == 0
            if outer:
                self._txn = Txn(user=user, fire=fire)
                self.conn.execute("BEGIN IMMEDIATE")
            assert self._txn is not None
            t = self._txn
            self._depth += 1
            try:
                yield t
            except BaseException:
                self._depth -= 1
                if outer:
                    self.conn.execute("ROLLBACK")
                    self._txn = None
                    if t.meta_dirty:
                        self.reload_metas()
                raise
            self._depth -= 1
            if not outer:
                return
            self.conn.execute("COMMIT")
            self._txn = None
        # After commit, like frappe.db.after_commit: a rolled-back save sends nothing.
        if t.triggers and self.on_commit:
            self.on_commit(t.triggers)

    # ---- meta ---------------------------------------------------------------------------------------
    def get_meta(self, doctype: str) -> Meta:
        m = self.metas.get(doctype)
        if m is None:
            raise not_found("DocType", doctype)
        return m

    def _register(self, meta: Meta) -> None:
        cols = {r[1] for r in self.conn.execute(f"PRAGMA table_info({q(meta.table)})")}
        if not cols:
            defs = ["name TEXT PRIMARY KEY"] + [
                f"{q(c)} {sql_type(meta.fieldtype(c))}" for c in meta.columns() if c != "name"]
            self.conn.execute(f"CREATE TABLE {q(meta.table)} ({', '.join(defs)})")
            self.conn.execute(f'CREATE INDEX {q(meta.table + "_modified")} ON {q(meta.table)} (modified)')
            self.conn.execute(f'CREATE INDEX {q(meta.table + "_creation")} ON {q(meta.table)} (creation)')
            if meta.istable:
                self.conn.execute(f'CREATE INDEX {q(meta.table + "_parent")} ON {q(meta.table)} (parent)')
            cols = set(meta.columns())
        for c in meta.columns():
            if c not in cols:
                self.conn.execute(f"ALTER TABLE {q(meta.table)} ADD COLUMN {q(c)} {sql_type(meta.fieldtype(c))}")
        for f in meta.data_fields():
            # Links, Selects and unique fields are what lists filter on: index them like Frappe's search_index.
            if f.get("fieldtype") in ("Link", "Select") or f.get("unique") or f.get("search_index"):
                self.conn.execute(f"CREATE INDEX IF NOT EXISTS {q(meta.table + '_' + f['fieldname'])} "
                                  f"ON {q(meta.table)} ({q(f['fieldname'])})")
        self.metas[meta.name] = meta

    def reload_metas(self) -> None:
        with self.lock:
            self.metas = {}
            for d in standard.BOOTSTRAP:
                self._register(Meta.from_record(d, []))
            for (name,) in self.conn.execute('SELECT name FROM "tabDocType"').fetchall():
                self._rebuild_meta(name)
            self._webhooks = None

    def _rebuild_meta(self, doctype: str) -> None:
        rec = self.load("DocType", doctype)
        if rec is None:
            return
        cfs = self.raw_rows("Custom Field", "dt = ?", [doctype])
        meta = Meta.from_record(rec, cfs)
        if doctype in _BOOTSTRAP:
            return
        self._register(meta)

    # ---- reading --------------------------------------------------------------------------------------
    def _row_to_doc(self, meta: Meta, row: sqlite3.Row | tuple[Any, ...], names: list[str]) -> dict[str, Any]:
        doc: dict[str, Any] = {}
        for k, v in zip(names, row, strict=True):
            if (isinstance(v, str) and k in ("creation", "modified")) or (
                    isinstance(v, str) and meta.fieldtype(k) == "Datetime"):
                v = db_str(v)
            doc[k] = v
        return doc

    def raw_rows(self, doctype: str, where: str, params: list[Any]) -> list[dict[str, Any]]:
        meta = self.get_meta(doctype)
        cur = self.conn.execute(f"SELECT * FROM {q(meta.table)} WHERE {where}", params)
        names = [d[0] for d in cur.description]
        return [self._row_to_doc(meta, r, names) for r in cur.fetchall()]

    def load(self, doctype: str, name: str) -> dict[str, Any] | None:
        with self.lock:
            meta = self.get_meta(doctype)
            cur = self.conn.execute(f"SELECT * FROM {q(meta.table)} WHERE name = ?", [name])
            row = cur.fetchone()
            if row is None:
                return None
            names = [d[0] for d in cur.description]
            raw = self._row_to_doc(meta, row, names)
            doc = {c: raw.get(c) for c in meta.columns()}
            for tf in meta.table_fields():
                cmeta = self.metas.get(tf.get("options") or "")
                if cmeta is None:
                    doc[tf["fieldname"]] = []
                    continue
                rows = self.raw_rows(cmeta.name, "parent = ? AND parenttype = ? AND parentfield = ? "
                                     "ORDER BY idx", [name, doctype, tf["fieldname"]])
                doc[tf["fieldname"]] = [{**{c: r.get(c) for c in cmeta.columns()}, "doctype": cmeta.name}
                                        for r in rows]
            doc["doctype"] = doctype
            return doc

    def get(self, doctype: str, name: str) -> dict[str, Any]:
        doc = self.load(doctype, name)
        if doc is None:
            raise not_found(doctype, name)
        return doc

    def exists(self, doctype: str, name: str) -> bool:
        meta = self.metas.get(doctype)
        if meta is None:
            return False
        return self.conn.execute(f"SELECT 1 FROM {q(meta.table)} WHERE name = ?", [name]).fetchone() is not None

    def query(self, doctype: str, *, fields: Any = None, filters: Any = None, or_filters: Any = None,
              order_by: Any = None, start: int = 0, page_length: int = 20,
              as_dict_rows: bool = True, owner: str | None = None,
              restrict: dict[str, list[str]] | None = None) -> list[Any]:
        with self.lock:
            meta = self.get_meta(doctype)
            qb = QueryBuilder(meta, self.get_meta, self.clock.today())
            exprs, keys = qb.select_fields(fields)
            where_params: list[Any] = []
            # Filters may add child-table joins, so the WHERE is built before the JOINs (params in SQL order).
            where = qb.where(filters, or_filters, where_params, owner=owner, restrict=restrict)
            params: list[Any] = []
            joins = qb.join_sql(params)
            params += where_params
            aggregate = any(e == "count(*)" for e in exprs)
            sql = f"SELECT {', '.join(exprs)} FROM {q(meta.table)} t{joins}{where}"
            if not aggregate:
                sql += qb.order(order_by)
            if page_length:
                sql += f" LIMIT {int(page_length)} OFFSET {max(int(start), 0)}"
            elif start:
                sql += f" LIMIT -1 OFFSET {int(start)}"
            rows = self.conn.execute(sql, params).fetchall()
        dt_keys = [i for i, k in enumerate(keys) if meta.fieldtype(k) == "Datetime"]
        out: list[Any] = []
        for r in rows:
            vals = list(r)
            for i in dt_keys:
                if isinstance(vals[i], str):
                    vals[i] = db_str(vals[i])
            out.append(dict(zip(keys, vals, strict=True)) if as_dict_rows else vals)
        return out

    def count(self, doctype: str, filters: Any = None, or_filters: Any = None, owner: str | None = None,
              restrict: dict[str, list[str]] | None = None) -> int:
        with self.lock:
            meta = self.get_meta(doctype)
            qb = QueryBuilder(meta, self.get_meta, self.clock.today())
            where_params: list[Any] = []
            where = qb.where(filters, or_filters, where_params, owner=owner, restrict=restrict)
            params: list[Any] = []
            joins = qb.join_sql(params)
            return int(self.conn.execute(f"SELECT count(DISTINCT t.name) FROM {q(meta.table)} t{joins}{where}",
                                         params + where_params).fetchone()[0])

    def get_password(self, doctype: str, name: str, fieldname: str) -> str | None:
        with self.lock:
            r = self.conn.execute('SELECT password FROM "__Auth" WHERE doctype=? AND name=? AND fieldname=?',
                                  [doctype, name, fieldname]).fetchone()
        return r[0] if r else None

    # ---- building documents ---------------------------------------------------------------------------
    def _new_row(self, meta: Meta, data: dict[str, Any]) -> dict[str, Any]:
        doc: dict[str, Any] = {c: None for c in meta.columns()}
        for f in meta.data_fields():
            fn = f["fieldname"]
            doc[fn] = data[fn] if fn in data else default_value(f.get("fieldtype", "Data"), f.get("default"),
                                                                self.clock, f.get("options"))
        for tf in meta.table_fields():
            cmeta = self.get_meta(tf.get("options") or "")
            rows = data.get(tf["fieldname"]) or []
            doc[tf["fieldname"]] = [self._new_row(cmeta, r if isinstance(r, dict) else {}) for r in rows]
            for i, (r, src) in enumerate(zip(doc[tf["fieldname"]], rows, strict=True), start=1):
                r["name"] = src.get("name") if isinstance(src, dict) else None
                r["idx"] = i
        doc["doctype"] = meta.name
        return doc

    def _children(self, meta: Meta, doc: dict[str, Any]) -> Iterator[tuple[Meta, dict[str, Any], str]]:
        for tf in meta.table_fields():
            cmeta = self.get_meta(tf.get("options") or "")
            for r in doc.get(tf["fieldname"]) or []:
                yield cmeta, r, tf["fieldname"]

    # ---- naming (frappe/model/naming.py) --------------------------------------------------------------
    def _getseries(self, key: str, digits: int) -> str:
        row = self.conn.execute('SELECT current FROM "tabSeries" WHERE name = ?', [key]).fetchone()
        cur = (row[0] if row else 0) + 1
        self.conn.execute('INSERT INTO "tabSeries" (name, current) VALUES (?, ?) '
                          "ON CONFLICT(name) DO UPDATE SET current = excluded.current", [key, cur])
        return str(cur).zfill(digits)

    def _parse_series(self, series: str, doc: dict[str, Any]) -> str:
        today = self.clock.now_dt()
        name = ""
        series_set = False
        for e in series.split("."):
            if not e:
                continue
            part: Any = ""
            if e.startswith("#"):
                if not series_set:
                    part = self._getseries(name, len(e))
                    series_set = True
            elif e in ("YY", "YYYY", "MM", "DD", "WW", "timestamp"):
                part = {"YY": today.strftime("%y"), "YYYY": today.strftime("%Y"), "MM": today.strftime("%m"),
                        "DD": today.strftime("%d"), "WW": f"{today.isocalendar()[1]:02d}",
                        "timestamp": str(today)}[e]
            elif e.startswith("{") or doc.get(e):
                part = doc.get(e.strip("{}"))
            else:
                part = e
            if isinstance(part, str):
                name += part
        return name

    def _set_name(self, meta: Meta, doc: dict[str, Any], data: dict[str, Any], keep_name: bool) -> None:
        auto = meta.autoname or ""
        low = auto.lower()
        given = data.get("name") or data.get("__newname")
        if keep_name and given:
            doc["name"] = str(given)
            return
        if low == "prompt":
            if not given:
                raise throw("ValidationError", "Name not set via prompt")
            doc["name"] = str(given).strip()
        elif low.startswith("naming_series:"):
            series = doc.get("naming_series")
            if not series:
                f = meta.get_field("naming_series")
                opts = [o for o in str((f or {}).get("options") or "").split("\n") if o.strip()]
                series = opts[0] if opts else ""
            if "#" not in series:
                series = series + ".#####"
            doc["name"] = self._parse_series(series, doc)
        elif low.startswith("field:"):
            fn = auto.split(":", 1)[1].strip()
            val = str(doc.get(fn) or "").strip()
            if not val:
                raise throw("ValidationError", f"{meta.label(fn)} is required")
            doc["name"] = val
        elif low.startswith("format:"):
            fmt = auto.split(":", 1)[1]
            out = ""
            for piece in fmt.replace("}", "{").split("{"):
                if not piece:
                    continue
                if piece.startswith("#"):
                    out += self._getseries("", len(piece))  # v15: every format: shares the "" key
                elif piece in ("YY", "YYYY", "MM", "DD", "WW"):
                    out += self._parse_series(piece, doc)
                elif fmt.find("{" + piece + "}") >= 0:
                    out += str(doc.get(piece) or "")
                else:
                    out += piece
            doc["name"] = out
        elif "#" in auto:
            doc["name"] = self._parse_series(auto, doc)
        elif meta.issingle:
            doc["name"] = meta.name
        elif low == "custom_field":
            doc["name"] = f"{doc.get('dt')}-{doc.get('fieldname')}"
        elif low == "contact":
            base = " ".join(x for x in [str(doc.get("first_name") or "").strip(),
                                        str(doc.get("last_name") or "").strip()] if x) or "Contact"
            for link in doc.get("links") or []:
                base = f"{base}-{str(link.get('link_name') or '').strip()}"
                break
            name, n = base, 0
            while self.exists("Contact", name):
                n += 1
                name = f"{base}-{n}"
            doc["name"] = name
        else:
            doc["name"] = secrets.token_hex(5)

    # ---- validation -----------------------------------------------------------------------------------
    def _validate_links(self, meta: Meta, doc: dict[str, Any]) -> None:
        invalid: list[str] = []
        for m, d, _pf in [(meta, doc, ""), *self._children(meta, doc)]:
            for f in m.data_fields():
                if f.get("fieldtype") != "Link":
                    continue
                v = d.get(f["fieldname"])
                if v in (None, ""):
                    continue
                target = f.get("options") or ""
                if target and not self.exists(target, str(v)):
                    label = str(f.get("label") or f["fieldname"])
                    invalid.append(f"{label}: {v}" if m is meta else f"Row #{d.get('idx')}: {label}: {v}")
        if invalid:
            raise throw("LinkValidationError", "Could not find " + ", ".join(invalid))

    def _validate(self, meta: Meta, doc: dict[str, Any]) -> None:
        missing_msgs: list[dict[str, Any]] = []
        missing_fields: list[str] = []
        for m, d, _pf in [(meta, doc, ""), *self._children(meta, doc)]:
            for f in m.fields:
                if not f.get("reqd"):
                    continue
                v = d.get(f["fieldname"])
                ft = f.get("fieldtype")
                if ft in TABLE_TYPES:
                    if v:
                        continue
                    msg = f"Error: Data missing in table: {f.get('label')}"
                elif v not in (None, "", []) and str(v).strip():
                    continue
                elif m is meta:
                    msg = f"Error: Value missing for {meta.name}: {f.get('label')}"
                else:
                    msg = f"Error: <strong>{m.name}</strong> Row #{d.get('idx')}: Value missing for: {f.get('label')}"
                missing_msgs.append(message(msg, title=None, indicator=None, raise_exception=False))
                missing_fields.append(f["fieldname"])
        if missing_fields:
            raise FrappeError("MandatoryError", f"[{meta.name}, {doc.get('name')}]: {', '.join(missing_fields)}",
                              messages=missing_msgs)
        for m, d, _pf in [(meta, doc, ""), *self._children(meta, doc)]:
            self._validate_row(m, d, child=m is not meta, parent_meta=meta, parent_name=str(doc.get("name")))

    def _validate_row(self, m: Meta, d: dict[str, Any], *, child: bool, parent_meta: Meta,
                      parent_name: str) -> None:
        for f in m.data_fields():
            fn, ft = f["fieldname"], f.get("fieldtype", "Data")
            v = d.get(fn)
            if ft in DATE_TYPES and v not in (None, ""):
                d[fn] = self._norm_date(ft, v, str(f.get("label") or fn))
            if ft == "Select" and fn != "naming_series" and v not in (None, "") and f.get("options"):
                options = str(f["options"]).split("\n")
                if any(options):
                    v = str(v).strip()
                    d[fn] = v
                    if v not in options:
                        prefix = f"Row #{d.get('idx')}:" if child else ""
                        raise throw("ValidationError", f'{prefix} {f.get("label") or fn} cannot be "{v}". '
                                    'It should be one of "' + '", "'.join(options) + '"')
            if ft in VARCHAR_TYPES and v not in (None, "") and f.get("fieldtype") != "Password":
                limit = cint(f.get("length")) or 140
                if len(str(v)) > limit:
                    label = f.get("label") or fn
                    who = f"{m.name} {d.get('name')}" if not child else f"{m.name} Row #{d.get('idx')}"
                    raise throw("CharacterLengthExceededError",
                                f"{who}: '{label}' ({v}) will get truncated, as max characters allowed is {limit}",
                                title="Value too big")
            if ft in NUMERIC_TYPES or ft == "JSON" or v is not None:
                d[fn] = coerce(ft, d.get(fn))
            if ft in NUMERIC_TYPES and f.get("non_negative") and flt(d[fn]) < 0:
                raise throw("ValidationError", f"{f.get('label')} cannot be negative")

    def _norm_date(self, ft: str, v: Any, label: str) -> str:
        try:
            parsed = dateparser.parse(str(v))
        except (ValueError, OverflowError):
            raise throw("ValidationError", f"{v} is not a valid date string.") from None
        if ft == "Date":
            return parsed.date().isoformat()
        if ft == "Time":
            return parsed.time().isoformat()
        return parsed.strftime("%Y-%m-%d %H:%M:%S.%f")

    def _check_unique(self, meta: Meta, doc: dict[str, Any]) -> None:
        for m, d, _pf in [(meta, doc, ""), *self._children(meta, doc)]:
            for f in m.data_fields():
                v = d.get(f["fieldname"])
                if not f.get("unique") or v in (None, ""):
                    continue
                hit = self.conn.execute(f"SELECT 1 FROM {q(m.table)} WHERE {q(f['fieldname'])} = ? AND name != ? "
                                        "LIMIT 1", [v, d.get("name")]).fetchone()
                if hit:
                    raise throw("UniqueValidationError", f"{f.get('label') or f['fieldname']} must be unique")

    # ---- doctype-specific controllers -----------------------------------------------------------------
    def _controller_validate(self, txn: Txn, meta: Meta, doc: dict[str, Any], is_new: bool = False,
                             import_mode: bool = False) -> None:
        name = meta.name
        if name in ("Sales Order", "Sales Invoice"):
            total = 0.0
            for r in doc.get("items") or []:
                if not flt(r.get("amount")):
                    r["amount"] = flt(r.get("qty")) * flt(r.get("rate"))
                total += flt(r.get("amount"))
            if not flt(doc.get("total")):
                doc["total"] = total
            if not flt(doc.get("grand_total")):
                doc["grand_total"] = flt(doc.get("total"))
            if name == "Sales Invoice" and doc.get("outstanding_amount") is None:
                doc["outstanding_amount"] = flt(doc.get("grand_total"))
            if doc.get("customer") and not doc.get("customer_name"):
                doc["customer_name"] = doc["customer"]
        elif name == "Comment":
            if not doc.get("comment_email"):
                doc["comment_email"] = txn.user
            if is_new and doc.get("content"):
                # Comment.validate sanitises the HTML: a literal <, > or & is stored as an entity.
                doc["content"] = html.escape(str(doc["content"]), quote=False)
        elif name == "DocType":
            self._validate_doctype(doc, check_options=not import_mode)
        elif name == "Webhook":
            self._validate_webhook(doc)
        elif name == "Custom Field":
            meta_dt = self.metas.get(str(doc.get("dt")))
            cf_name = f"{doc.get('dt')}-{doc.get('fieldname')}"
            if meta_dt and not self.exists("Custom Field", cf_name) and meta_dt.get_field(str(doc.get("fieldname"))):
                raise throw("ValidationError",
                            f"A field with the name {doc.get('fieldname')} already exists in {doc.get('dt')}")

    def _validate_doctype(self, doc: dict[str, Any], check_options: bool = True) -> None:
        """frappe/core/doctype/doctype/doctype.py validate_fields + set_default_in_list_view."""
        fields = [f for f in doc.get("fields") or [] if f.get("fieldname")]
        for i, f in enumerate(fields, start=1):
            ft, label = f.get("fieldtype") or "Data", f.get("label") or f.get("fieldname")
            opts = str(f.get("options") or "").strip()
            if ft in ("Link", "Table", "Table MultiSelect") and check_options:
                if not opts:
                    raise throw("ValidationError", f"Options required for {ft} type field {label} in row {i}")
                if opts != doc.get("name") and not self.exists("DocType", opts):
                    raise throw("ValidationError", f"{ft}: Options must be a valid DocType for field {label} "
                                f"in row {i}")
                if ft != "Link" and opts != doc.get("name"):
                    child = self.load("DocType", opts)
                    if child is not None and not cint(child.get("istable")):
                        raise throw("ValidationError", f"Option {opts} for field {label} is not a child table")
            if ft == "Select" and f.get("default") not in (None, "") and f.get("fieldname") != "naming_series":
                if str(f["default"]) not in opts.split("\n"):
                    raise throw("ValidationError", f"Default value for {label} must be in the list of options.")
        if not any(cint(f.get("in_list_view")) for f in fields):
            count = 0
            for f in fields:
                if cint(f.get("reqd")) and not cint(f.get("hidden")) and (f.get("fieldtype") or "Data") not in \
                        NO_LIST_VIEW_TYPES:
                    f["in_list_view"] = 1
                    count += 1
                    if count == 4:
                        break

    def _validate_webhook(self, doc: dict[str, Any]) -> None:
        target = self.metas.get(str(doc.get("webhook_doctype")))
        if doc.get("webhook_docevent") in ("on_submit", "on_cancel", "on_update_after_submit") and (
                target is None or not target.is_submittable):
            raise throw("ValidationError", "DocType must be Submittable for the selected Doc Event")
        if doc.get("condition") and target is not None:
            try:
                empty = self._new_row(target, {})
                eval_condition(str(doc["condition"]), empty, None)
            except Exception as e:
                raise throw("ValidationError", f"Invalid Condition: {e}") from None
        from urllib.parse import urlparse

        if not doc.get("is_dynamic_url") and not urlparse(str(doc.get("request_url") or "")).netloc:
            raise throw("ValidationError", "Check Request URL")
        if doc.get("request_structure") == "Form URL-Encoded":
            doc["webhook_json"] = None
        elif doc.get("request_structure") == "JSON":
            from .webhooks import validate_template

            validate_template(str(doc.get("webhook_json") or ""))
            doc["webhook_data"] = []
        seen: set[str] = set()
        for r in doc.get("webhook_data") or []:
            if r.get("fieldname") in seen:
                raise throw("ValidationError", "Same Field is entered more than once")
            seen.add(str(r.get("fieldname")))
        if cint(doc.get("enable_security")) and not doc.get("webhook_secret"):
            raise throw("ValidationError", "Webhook Secret is required when security is enabled")

    def _after_write(self, txn: Txn, meta: Meta, doc: dict[str, Any], deleted: bool = False) -> None:
        if meta.name == "DocType":
            txn.meta_dirty = True
            if deleted:
                m = self.metas.pop(str(doc["name"]), None)
                if m is not None and doc["name"] not in _BOOTSTRAP:
                    self.conn.execute(f"DROP TABLE IF EXISTS {q(m.table)}")
            else:
                self._rebuild_meta(str(doc["name"]))
        elif meta.name == "Custom Field":
            txn.meta_dirty = True
            if str(doc.get("dt")) in self.metas:
                self._rebuild_meta(str(doc["dt"]))
        elif meta.name == "Webhook":
            self._webhooks = None
        elif meta.name == "System Settings":
            self.clock.set_zone(str(doc.get("time_zone") or "Asia/Kolkata"))

    def sync_time_zone(self, fallback: str) -> None:
        """The site clock follows System Settings.time_zone (Frappe's fallback when unset)."""
        row = self.load("System Settings", "System Settings") if "System Settings" in self.metas else None
        self.clock.set_zone(str((row or {}).get("time_zone") or fallback))

    def save_password(self, doctype: str, name: str, fieldname: str, value: str) -> None:
        self.conn.execute('INSERT OR REPLACE INTO "__Auth" (doctype, name, fieldname, password) '
                          "VALUES (?, ?, ?, ?)", [doctype, name, fieldname, value])

    # ---- passwords ----------------------------------------------------------------------------------
    def _save_passwords(self, meta: Meta, doc: dict[str, Any]) -> None:
        for f in meta.data_fields():
            if f.get("fieldtype") != "Password":
                continue
            v = doc.get(f["fieldname"])
            if v in (None, "") or set(str(v)) == {"*"}:
                continue
            self.conn.execute('INSERT OR REPLACE INTO "__Auth" (doctype, name, fieldname, password) '
                              "VALUES (?, ?, ?, ?)", [meta.name, doc["name"], f["fieldname"], str(v)])
            doc[f["fieldname"]] = PASSWORD_MASK

    # ---- writing ------------------------------------------------------------------------------------
    def _db_write(self, meta: Meta, doc: dict[str, Any], *, update: bool) -> None:
        cols = meta.columns()
        vals = [doc.get(c) for c in cols]
        if update:
            sets = ", ".join(f"{q(c)} = ?" for c in cols if c != "name")
            self.conn.execute(f"UPDATE {q(meta.table)} SET {sets} WHERE name = ?",
                              [doc.get(c) for c in cols if c != "name"] + [doc["name"]])
        else:
            self.conn.execute(f"INSERT INTO {q(meta.table)} ({', '.join(q(c) for c in cols)}) "
                              f"VALUES ({', '.join('?' for _ in cols)})", vals)
        for tf in meta.table_fields():
            cmeta = self.get_meta(tf.get("options") or "")
            if update:
                self.conn.execute(f"DELETE FROM {q(cmeta.table)} WHERE parent = ? AND parenttype = ? "
                                  "AND parentfield = ?", [doc["name"], meta.name, tf["fieldname"]])
            ccols = cmeta.columns()
            for i, r in enumerate(doc.get(tf["fieldname"]) or [], start=1):
                r.update({"idx": i, "parent": doc["name"], "parentfield": tf["fieldname"],
                          "parenttype": meta.name, "modified": doc["modified"],
                          "modified_by": doc["modified_by"], "docstatus": doc["docstatus"]})
                r["owner"] = r.get("owner") or doc["owner"]
                r["creation"] = r.get("creation") or doc["modified"]
                r["name"] = r.get("name") or secrets.token_hex(5)
                r["doctype"] = cmeta.name
                self.conn.execute(f"INSERT INTO {q(cmeta.table)} ({', '.join(q(c) for c in ccols)}) "
                                  f"VALUES ({', '.join('?' for _ in ccols)})", [r.get(c) for c in ccols])

    def webhooks_for(self, doctype: str) -> list[dict[str, Any]]:
        if self._webhooks is None:
            cache: dict[str, list[dict[str, Any]]] = {}
            if "Webhook" in self.metas:
                for r in self.raw_rows("Webhook", "enabled = 1", []):
                    full = self.load("Webhook", r["name"])
                    if full is None:
                        continue
                    full["webhook_secret"] = self.get_password("Webhook", r["name"], "webhook_secret")
                    cache.setdefault(str(full["webhook_doctype"]), []).append(full)
            self._webhooks = cache
        return self._webhooks.get(doctype, [])

    def _run_events(self, txn: Txn, meta: Meta, doc: dict[str, Any], before: dict[str, Any] | None,
                    action: str) -> None:
        hooks = self.webhooks_for(meta.name)
        if not hooks:
            return
        payload: dict[str, Any] | None = None
        for event in EVENTS[action]:
            for w in hooks:
                if w.get("condition"):
                    try:
                        ok = eval_condition(str(w["condition"]), doc, before)
                    except FrappeError:
                        raise
                    except Exception as e:
                        # A broken condition fails the save itself (Frappe's safe_eval raises in the request).
                        raise throw("ValidationError", f"Webhook {w['name']} condition failed: "
                                    f"{type(e).__name__}: {e}") from None
                    if not ok:
                        continue
                if event not in ACCEPTED_EVENTS or w.get("webhook_docevent") != event or not txn.fire:
                    continue
                if payload is None:
                    payload = as_dict(json.loads(json.dumps(doc, default=str)))
                txn.triggers.append(Trigger(webhook=w, doc=payload, user=txn.user))

    def insert(self, txn: Txn, doctype: str, data: dict[str, Any], *, import_mode: bool = False) -> dict[str, Any]:
        meta = self.get_meta(doctype)
        if meta.istable and not import_mode:
            raise throw("ValidationError", f"{doctype} is a child table; insert it through its parent")
        doc = self._new_row(meta, data)
        now = self.clock.now()
        doc["owner"] = (import_mode and data.get("owner")) or txn.user
        doc["modified_by"] = (import_mode and data.get("modified_by")) or txn.user
        doc["modified"] = (import_mode and data.get("modified")) or now
        doc["creation"] = (import_mode and data.get("creation")) or doc["modified"]
        doc["idx"] = 0
        doc["docstatus"] = ds = cint(data.get("docstatus") or 0)
        if ds == 2:
            raise FrappeError("DocstatusTransitionError", "Cannot change docstatus from 0 to 2")
        if ds == 1 and not meta.is_submittable:
            raise throw("ValidationError", f"Cannot submit {doctype}: not submittable")
        if meta.name == "Custom Field" and not doc.get("fieldname") and doc.get("label"):
            doc["fieldname"] = "custom_" + "".join(c if c.isalnum() else "_" for c in
                                                   str(doc["label"]).lower()).strip("_")
        self._validate_links(meta, doc)
        self._set_name(meta, doc, data, keep_name=import_mode)
        self._controller_validate(txn, meta, doc, is_new=True, import_mode=import_mode)
        self._validate(meta, doc)
        if self.exists(doctype, str(doc["name"])):
            msg = message(f"{doctype} <strong>{doc['name']}</strong> already exists", title="Duplicate Name",
                          raise_exception=False)
            raise FrappeError("DuplicateEntryError", f"('{doctype}', '{doc['name']}', IntegrityError(1062, "
                              f"\"Duplicate entry '{doc['name']}' for key 'PRIMARY'\"))", messages=[msg])
        self._check_unique(meta, doc)
        self._save_passwords(meta, doc)
        self._db_write(meta, doc, update=False)
        self._after_write(txn, meta, doc)
        self._run_events(txn, meta, doc, None, "insert_submit" if ds == 1 else "insert")
        return doc

    def update(self, txn: Txn, doctype: str, name: str, data: dict[str, Any]) -> dict[str, Any]:
        meta = self.get_meta(doctype)
        before = self.get(doctype, name)
        doc = json.loads(json.dumps(before))
        data = {k: v for k, v in data.items() if k not in ("flags", "doctype", "name")}
        for f in meta.data_fields():
            if f["fieldname"] in data:
                doc[f["fieldname"]] = data[f["fieldname"]]
        for tf in meta.table_fields():
            if tf["fieldname"] in data:
                cmeta = self.get_meta(tf.get("options") or "")
                old = {r["name"]: r for r in before.get(tf["fieldname"]) or []}
                rows = []
                for src in data[tf["fieldname"]] or []:
                    src = src if isinstance(src, dict) else {}
                    base = old.get(str(src.get("name")))
                    r = {**base, **{k: v for k, v in src.items() if cmeta.has_column(k)}} if base \
                        else self._new_row(cmeta, src)
                    if not base:
                        r["name"] = None
                    r["doctype"] = cmeta.name
                    rows.append(r)
                doc[tf["fieldname"]] = rows
        # Optimistic lock (check_if_latest): body `modified` replaces the in-memory one, compared as strings.
        original = data["modified"] if "modified" in data else before["modified"]
        original_s = "" if original is None else str(original)
        new_modified = self.clock.now()
        if before["modified"] and str(before["modified"]) != original_s:
            msg = (f"Error: Document has been modified after you have opened it ({before['modified']}, "
                   f"{new_modified}). Please refresh to get the latest document.")
            raise throw("TimestampMismatchError", msg)
        old_ds = cint(before["docstatus"])
        new_ds = cint(data.get("docstatus", old_ds))
        if old_ds == 0:
            if new_ds == 2:
                raise FrappeError("DocstatusTransitionError", "Cannot change docstatus from 0 to 2")
            action = "submit" if new_ds == 1 else "save"
            if new_ds == 1 and not meta.is_submittable:
                raise throw("ValidationError", f"Cannot submit {doctype}: not submittable")
        elif old_ds == 1:
            if new_ds == 0:
                raise FrappeError("DocstatusTransitionError", "Cannot change docstatus from 1 to 0")
            action = "cancel" if new_ds == 2 else "update_after_submit"
        else:
            raise FrappeError("ValidationError", "Cannot edit cancelled document")
        doc["docstatus"] = new_ds
        doc["modified"] = new_modified
        doc["modified_by"] = txn.user
        if action == "cancel" and meta.get_field("status") and "Cancelled" in str(
                (meta.get_field("status") or {}).get("options") or ""):
            doc["status"] = "Cancelled"
        self._validate_links(meta, doc)
        self._controller_validate(txn, meta, doc)
        self._validate(meta, doc)
        if action == "update_after_submit":
            self._check_update_after_submit(meta, before, doc)
        self._check_unique(meta, doc)
        self._save_passwords(meta, doc)
        self._db_write(meta, doc, update=True)
        self._after_write(txn, meta, doc)
        self._run_events(txn, meta, doc, before, action)
        return dict(doc)

    def set_value(self, txn: Txn, doctype: str, name: str, values: dict[str, Any], *,
                  run_on_change: bool = False) -> dict[str, Any]:
        """frappe.db.set_value (no validation, no events), or Document.db_set when run_on_change."""
        meta = self.get_meta(doctype)
        before = self.get(doctype, name)
        doc = json.loads(json.dumps(before))
        for k, v in values.items():
            if not meta.get_field(k) or k in STD_FIELDS or meta.fieldtype(k) in TABLE_TYPES:
                raise throw("ValidationError", f"Cannot set {k} of {doctype}")
            doc[k] = coerce(meta.fieldtype(k), v)
        doc["modified"] = self.clock.now()
        doc["modified_by"] = txn.user
        cols = [*values, "modified", "modified_by"]
        self.conn.execute(f"UPDATE {q(meta.table)} SET {', '.join(f'{q(c)} = ?' for c in cols)} WHERE name = ?",
                          [doc[c] for c in cols] + [name])
        if run_on_change:
            self._run_events(txn, meta, doc, None, "db_set")
        return dict(doc)

    def _check_update_after_submit(self, meta: Meta, before: dict[str, Any], doc: dict[str, Any]) -> None:
        for f in meta.data_fields():
            fn = f["fieldname"]
            if f.get("allow_on_submit") or fn in STD_FIELDS:
                continue
            a, b = before.get(fn), doc.get(fn)
            if (a in (None, "") and b in (None, "")) or a == b:
                continue
            if f.get("fieldtype") in NUMERIC_TYPES and flt(a) == flt(b):
                continue
            raise throw("UpdateAfterSubmitError", f"Not allowed to change <strong>{f.get('label') or fn}</strong> "
                        f"after submission from {a} to {b}")

    def delete(self, txn: Txn, doctype: str, name: str) -> None:
        meta = self.get_meta(doctype)
        doc = self.get(doctype, name)
        if cint(doc["docstatus"]) == 1:
            raise throw("ValidationError", f"{doctype} {name}: Submitted Record cannot be deleted. "
                        "You must Cancel it first.")
        for other in list(self.metas.values()):
            for f in other.data_fields():
                if f.get("fieldtype") != "Link" or f.get("options") != doctype:
                    continue
                if other.name in ("Webhook Request Log", "Comment", "Communication") or other.name == doctype:
                    continue
                cols = "name, parenttype, parent" if other.istable else "name"
                hit = self.conn.execute(f"SELECT {cols} FROM {q(other.table)} WHERE {q(f['fieldname'])} = ? "
                                        "LIMIT 1", [name]).fetchone()
                if hit:
                    ldt, lname = (hit[1], hit[2]) if other.istable else (other.name, hit[0])
                    raise throw("LinkExistsError", f"Cannot delete or cancel because {doctype} {name} is linked "
                                f"with {ldt} {lname}")
        self._run_events(txn, meta, doc, doc, "delete")
        self.conn.execute(f"DELETE FROM {q(meta.table)} WHERE name = ?", [name])
        for tf in meta.table_fields():
            cmeta = self.get_meta(tf.get("options") or "")
            self.conn.execute(f"DELETE FROM {q(cmeta.table)} WHERE parent = ? AND parenttype = ?", [name, doctype])
        self.conn.execute('DELETE FROM "__Auth" WHERE doctype = ? AND name = ?', [doctype, name])
        self._after_write(txn, meta, doc, deleted=True)

    # ---- helpers ------------------------------------------------------------------------------------
    def now_dt(self) -> dt.datetime:
        return self.clock.now_dt()
