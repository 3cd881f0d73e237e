"""List queries: fields, filters and order_by to SQLite SQL (frappe/model/db_query.py, utils/data.py)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

from dateutil.relativedelta import relativedelta

from .errors import data_error, throw
from .meta import DATE_TYPES, NUMERIC_TYPES, Meta, cint, flt

OPERATORS = ["=", "!=", ">", "<", ">=", "<=", "like", "not like", "in", "not in", "is", "between",
             "timespan", "ancestors of", "descendants of", "not ancestors of", "not descendants of",
             "descendants of (inclusive)", "previous", "next"]
TREE_OPERATORS = {"ancestors of", "descendants of", "not ancestors of", "not descendants of",
                  "descendants of (inclusive)"}


def q(ident: str) -> str:
    return '"' + ident.replace('"', '""') + '"'


def parse_json_param(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


# ---- dates -------------------------------------------------------------------------------------------
def _week_start(d: dt.date) -> dt.date:
    # Frappe's default first day of the week is Sunday (System Settings unset).
    return d - dt.timedelta(days=(d.weekday() + 1) % 7)


def _quarter_start(d: dt.date) -> dt.date:
    return dt.date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def timespan_range(span: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """frappe.utils.get_timespan_date_range."""
    s = span.strip().lower()
    rd = relativedelta
    table: dict[str, Callable[[], tuple[dt.date, dt.date]]] = {
        "last week": lambda: (today - dt.timedelta(days=7), today),
        "last month": lambda: (today + rd(months=-1), today),
        "last quarter": lambda: (today + rd(months=-3), today),
        "last 6 months": lambda: (today + rd(months=-6), today),
        "last year": lambda: (today + rd(years=-1), today),
        "yesterday": lambda: (today - dt.timedelta(days=1),) * 2,
        "today": lambda: (today, today),
        "tomorrow": lambda: (today + dt.timedelta(days=1),) * 2,
        "this week": lambda: (_week_start(today), _week_start(today) + dt.timedelta(days=6)),
        "this month": lambda: (today.replace(day=1), today.replace(day=1) + rd(months=1, days=-1)),
        "this quarter": lambda: (_quarter_start(today), _quarter_start(today) + rd(months=3, days=-1)),
        "this year": lambda: (dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)),
        "next week": lambda: (today, today + dt.timedelta(days=7)),
        "next month": lambda: (today, today + rd(months=1)),
        "next quarter": lambda: (today, today + rd(months=3)),
        "next 6 months": lambda: (today, today + rd(months=6)),
        "next year": lambda: (today, today + rd(years=1)),
    }
    if s not in table:
        raise throw("ValidationError", f"Invalid timespan: {span}")
    return table[s]()


_PERIODS = {"1 week": "week", "1 month": "month", "3 months": "quarter", "6 months": "6 months", "1 year": "year"}


def _date_bound(value: Any, today: dt.date) -> str:
    if value in (None, ""):
        return today.isoformat()
    return str(value)


# ---- filters -----------------------------------------------------------------------------------------
class Filter:
    def __init__(self, doctype: str, field: str, op: str, value: Any) -> None:
        self.doctype, self.field, self.op, self.value = doctype, field, op, value


def normalize_filters(doctype: str, filters: Any) -> list[Filter]:
    filters = parse_json_param(filters)
    out: list[Filter] = []
    if not filters:
        return out
    if isinstance(filters, str):
        raise throw("ValidationError", f"Invalid filters: {filters}")
    if isinstance(filters, dict):
        for k, v in filters.items():
            if isinstance(v, list | tuple) and len(v) >= 1 and isinstance(v[0], str) \
                    and v[0].lower().strip() in OPERATORS:
                out.append(Filter(doctype, k, v[0], v[1] if len(v) > 1 else None))
            else:
                out.append(Filter(doctype, k, "=", v))
        return out
    for f in filters:
        if isinstance(f, dict):
            out.extend(normalize_filters(doctype, f))
            continue
        f = list(f)[:4]
        if len(f) == 4:
            out.append(Filter(f[0], f[1], f[2], f[3]))
        elif len(f) == 3:
            out.append(Filter(doctype, f[0], f[1], f[2]))
        elif len(f) == 2:
            out.append(Filter(doctype, f[0], "=", f[1]))
        else:
            raise throw("ValidationError", f"Invalid filter: {f}")
    return out


class QueryBuilder:
    def __init__(self, meta: Meta, get_meta: Callable[[str], Meta], today: dt.date) -> None:
        self.meta = meta
        self.get_meta = get_meta
        self.today = today
        # Child tables named in `fields` (`tabSales Invoice Item`.sales_order) are LEFT JOINed, one row per
        # child row, as Frappe's db_query does; filters on such a child then constrain the joined row.
        self.joins: dict[str, str] = {}

    def _child_meta(self, doctype: str, raw: str) -> Meta:
        if not any(t.get("options") == doctype for t in self.meta.table_fields()):
            raise data_error(raw)
        return self.get_meta(doctype)

    def join_sql(self, params: list[Any]) -> str:
        out = ""
        for doctype, alias in self.joins.items():
            params.append(self.meta.name)
            out += (f" LEFT JOIN {q(self.get_meta(doctype).table)} {alias} ON {alias}.parent = t.name "
                    f"AND {alias}.parenttype = ?")
        return out

    def _column(self, meta: Meta, alias: str, field: str) -> tuple[str, str]:
        if not meta.has_column(field):
            raise data_error(field)
        return f"{alias}.{q(field)}", meta.fieldtype(field)

    def condition(self, f: Filter, params: list[Any]) -> str:
        op = str(f.op or "=").strip().lower()
        if op not in OPERATORS:
            raise throw("ValidationError", "Operator must be one of " + ", ".join(OPERATORS))
        if f.doctype and f.doctype != self.meta.name:
            child = self._child_meta(f.doctype, f"`tab{f.doctype}`.`{f.field}`")
            # Frappe LEFT JOINs the child table: a parent comes back once per matching child row.
            alias = self.joins.setdefault(f.doctype, f"j{len(self.joins)}")
            return self._simple(child, alias, f.field, op, f.value, params)
        return self._simple(self.meta, "t", f.field, op, f.value, params)

    def _simple(self, meta: Meta, alias: str, field: str, op: str, value: Any, params: list[Any]) -> str:
        col, ftype = self._column(meta, alias, field)
        numeric = ftype in NUMERIC_TYPES
        fallback = "0" if numeric else "''"
        ifnull = f"ifnull({col}, {fallback})"

        def conv(v: Any) -> Any:
            if numeric:
                return cint(v) if ftype in ("Int", "Check") else flt(v)
            return "" if v is None else str(v)

        if op in TREE_OPERATORS:
            raise throw("ValidationError", f"{meta.name} is not a tree DocType")
        if op in ("timespan", "previous", "next"):
            span = str(value or "")
            if op != "timespan":
                span = ("last " if op == "previous" else "next ") + _PERIODS.get(span.strip().lower(), span)
            lo, hi = timespan_range(span, self.today)
            return self._between(col, ftype, [lo.isoformat(), hi.isoformat()], params)
        if op == "between":
            vals = parse_json_param(value)
            if isinstance(vals, str):
                vals = vals.split(",")
            vals = list(vals or [])
            if ftype in DATE_TYPES or not vals or len(vals) < 2:
                lo_v = _date_bound(vals[0] if vals else None, self.today)
                hi_v = _date_bound(vals[1] if len(vals) > 1 else None, self.today)
                return self._between(col, ftype, [lo_v, hi_v], params)
            params.extend([conv(vals[0]), conv(vals[1])])
            return f"{ifnull} BETWEEN ? AND ?"
        if op == "is":
            v = str(value or "").lower()
            if v == "set":
                return f"ifnull({col}, '') != ''"
            if v == "not set":
                return f"ifnull({col}, '') = ''"
            raise throw("ValidationError", f"Invalid value for is: {value}")
        if op in ("in", "not in"):
            vals = parse_json_param(value)
            if vals is None or vals == "":
                vals = []
            if isinstance(vals, str):
                vals = vals.split(",")
            elif not isinstance(vals, list | tuple):
                vals = [vals]
            vals = [conv(v.strip() if isinstance(v, str) else v) for v in vals]
            if not vals:
                vals = [conv("")]
            params.extend(vals)
            marks = ", ".join("?" for _ in vals)
            return f"{ifnull} {'IN' if op == 'in' else 'NOT IN'} ({marks})"
        if op in ("like", "not like"):
            params.append("" if value is None else str(value))
            return f"ifnull({col}, '') {'LIKE' if op == 'like' else 'NOT LIKE'} ?"
        params.append(conv(value))
        return f"{ifnull} {op} ?"

    def _between(self, col: str, ftype: str, vals: list[str], params: list[Any]) -> str:
        lo, hi = vals[0], vals[1]
        if ftype == "Datetime":
            if len(lo) <= 10:
                lo = lo + " 00:00:00"
            if len(hi) <= 10:
                hi = hi + " 23:59:59.999999"
        elif ftype == "Date":
            lo, hi = lo[:10], hi[:10]
        params.extend([lo, hi])
        return f"{col} BETWEEN ? AND ?"

    def where(self, filters: Any, or_filters: Any, params: list[Any], owner: str | None = None,
              restrict: dict[str, list[str]] | None = None) -> str:
        conds = [self.condition(f, params) for f in normalize_filters(self.meta.name, filters)]
        if owner is not None:  # only if_owner permission rows apply: the user's own documents
            conds.append("t.owner = ?")
            params.append(owner)
        for column, allowed in (restrict or {}).items():  # User Permissions: a Link's value must be allowed
            marks = ", ".join("?" for _ in allowed) or "NULL"
            empty = "" if column == "name" else f" OR t.{q(column)} IS NULL OR t.{q(column)} = ''"
            conds.append(f"(t.{q(column)} IN ({marks}){empty})")
            params.extend(allowed)
        ors = [self.condition(f, params) for f in normalize_filters(self.meta.name, or_filters)]
        if ors:
            conds.append("(" + " OR ".join(ors) + ")")
        return (" WHERE " + " AND ".join(conds)) if conds else ""

    def select_fields(self, fields: Any) -> tuple[list[str], list[str]]:
        """Returns (sql expressions, output keys)."""
        fields = parse_json_param(fields)
        if not fields:
            fields = ["name"]
        if isinstance(fields, str):
            fields = [x.strip() for x in fields.split(",") if x.strip()]
        exprs: list[str] = []
        keys: list[str] = []
        for raw in fields:
            f = str(raw).strip()
            alias = None
            m = re.match(r"^(.*?)\s+as\s+`?(\w+)`?$", f, re.IGNORECASE)
            if m:
                f, alias = m.group(1).strip(), m.group(2)
            if f in ("*", f"`tab{self.meta.name}`.*", f"tab{self.meta.name}.*"):
                for c in self.meta.columns():
                    exprs.append(f"t.{q(c)}")
                    keys.append(c)
                continue
            m2 = re.match(r"^count\((?:\*|`?name`?|distinct\s+`?name`?)\)$", f, re.IGNORECASE)
            if m2:
                exprs.append("count(*)")
                keys.append(alias or f)
                continue
            m4 = re.match(r"^`?(\w+)`?\.`?(\w+)`?$", f)
            tf = self.meta.get_field(m4.group(1)) if m4 else None
            if m4 and tf and tf.get("fieldtype") in ("Table", "Table MultiSelect"):
                # `table_field.column` (items.sales_order): the same join as `tabChild`.column.
                f = f"`tab{tf.get('options')}`.`{m4.group(2)}`"
            m3 = re.match(r"^`?tab([^`.]+)`?\.`?(\w+)`?$", f)
            if m3:
                if m3.group(1) != self.meta.name:
                    child = self._child_meta(m3.group(1), f)
                    if not child.has_column(m3.group(2)):
                        raise data_error(f)
                    join_alias = self.joins.setdefault(m3.group(1), f"j{len(self.joins)}")
                    exprs.append(f"{join_alias}.{q(m3.group(2))}")
                    keys.append(alias or m3.group(2))
                    continue
                f = m3.group(2)
            f = f.strip("`")
            if not re.fullmatch(r"\w+", f) or not self.meta.has_column(f):
                raise data_error(f)
            exprs.append(f"t.{q(f)}")
            keys.append(alias or f)
        return exprs, keys

    def order(self, order_by: Any) -> str:
        ob = str(order_by or "").strip()
        if not ob:
            ob = f"{self.meta.sort_field or 'modified'} {self.meta.sort_order or 'desc'}"
        parts = []
        for part in ob.split(","):
            m = re.match(r"^\s*(?:`?tab([^`.]+)`?\.)?`?(\w+)`?\s*(asc|desc)?\s*$", part, re.IGNORECASE)
            if not m:
                raise throw("ValidationError", f"Invalid order_by: {part.strip()}")
            if m.group(1) and m.group(1) != self.meta.name:
                raise data_error(part.strip())
            field = m.group(2)
            if not self.meta.has_column(field):
                raise data_error(field)
            parts.append(f"t.{q(field)} {(m.group(3) or 'asc').upper()}")
        return " ORDER BY " + ", ".join(parts)

