"""Webhook conditions: a restricted eval like frappe.safe_eval (no builtins, no dunder access)."""

from __future__ import annotations

import ast
import datetime as dt
from types import SimpleNamespace
from typing import Any

from dateutil import parser as dateparser

from .errors import throw
from .meta import cint, flt


class DocView:
    """Attribute access over a document dict, with the two Document helpers conditions use."""

    def __init__(self, doc: dict[str, Any], before: dict[str, Any] | None) -> None:
        self._doc = doc
        self._before = before

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._doc:
            v = self._doc[name]
            return [DocView(r, None) if isinstance(r, dict) else r for r in v] if isinstance(v, list) else v
        raise AttributeError(f"'{self._doc.get('doctype')}' object has no attribute '{name}'")

    def get(self, key: str, default: Any = None) -> Any:
        v = self._doc.get(key)
        return default if v is None else v

    def has_value_changed(self, fieldname: str) -> bool:
        # Frappe: a new document (no doc_before_save) counts as changed.
        if self._before is None:
            return True
        return bool(self._before.get(fieldname) != self._doc.get(fieldname))

    def is_new(self) -> bool:
        return self._before is None


def _getdate(v: Any = None) -> dt.date:
    if v is None or v == "":
        return dt.date.today()
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    return dateparser.parse(str(v)).date()


UTILS = SimpleNamespace(
    cint=cint, flt=flt, cstr=lambda v: "" if v is None else str(v), getdate=_getdate,
    today=lambda: dt.date.today().isoformat(), nowdate=lambda: dt.date.today().isoformat(),
    add_days=lambda d, n: (_getdate(d) + dt.timedelta(days=int(n))).isoformat(),
    date_diff=lambda a, b: (_getdate(a) - _getdate(b)).days,
)
_GLOBALS: dict[str, Any] = {"int": int, "float": float, "long": int, "round": round, "True": True,
                            "False": False, "None": None}


def check_safe(expr: str) -> ast.Expression:
    if "__" in expr:
        raise throw("ValidationError", "Illegal rule {0}. Use something else.".replace("{0}", expr))
    tree = ast.parse(expr.strip(), mode="eval")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            raise throw("ValidationError", f"Illegal attribute {node.attr}")
        if isinstance(node, ast.Lambda | ast.NamedExpr):
            raise throw("ValidationError", "Illegal expression")
    return tree


def eval_condition(condition: str, doc: dict[str, Any], before: dict[str, Any] | None) -> bool:
    tree = check_safe(condition)
    env = dict(_GLOBALS)
    env["doc"] = DocView(doc, before)
    env["utils"] = UTILS
    code = compile(tree, "<condition>", "eval")
    return bool(eval(code, {"__builtins__": {}}, env))
