"""DocType metadata: fields, column types, value coercion (frappe/model/meta.py, base_document.py)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

NO_VALUE_TYPES = {"Section Break", "Column Break", "Tab Break", "HTML", "Button", "Heading", "Fold", "Image"}
TABLE_TYPES = {"Table", "Table MultiSelect"}
INT_TYPES = {"Int", "Check"}
FLOAT_TYPES = {"Float", "Currency", "Percent"}
NUMERIC_TYPES = INT_TYPES | FLOAT_TYPES
DATE_TYPES = {"Date", "Datetime", "Time"}
# varchar(140) columns in MariaDB; Text-like types are unlimited.
VARCHAR_TYPES = {"Data", "Link", "Dynamic Link", "Password", "Select", "Phone", "Attach", "Attach Image",
                 "Autocomplete", "Color", "Read Only", "Barcode", "Duration", "Icon"}
STD_FIELDS = ["name", "owner", "creation", "modified", "modified_by", "docstatus", "idx"]
CHILD_FIELDS = ["parent", "parentfield", "parenttype"]
STD_LABELS = {"name": "ID", "owner": "Created By", "creation": "Created On", "modified": "Last Updated On",
              "modified_by": "Last Updated By", "docstatus": "Document Status", "idx": "Index",
              "parent": "Parent", "parentfield": "Parent Field", "parenttype": "Parent Type"}


class Clock:
    """Naive wall-clock in the site's time zone, like frappe.utils.now()."""

    def __init__(self, time_zone: str) -> None:
        self.tz = ZoneInfo(time_zone)

    def set_zone(self, time_zone: str) -> None:
        self.tz = ZoneInfo(time_zone)

    @property
    def zone(self) -> str:
        return str(self.tz.key)

    def now_dt(self) -> dt.datetime:
        return dt.datetime.now(self.tz).replace(tzinfo=None)

    def now(self) -> str:
        return self.now_dt().strftime("%Y-%m-%d %H:%M:%S.%f")

    def today(self) -> dt.date:
        return self.now_dt().date()


def db_str(value: str) -> str:
    """A datetime read back from MariaDB is `str(datetime)`: '.000000' microseconds are dropped."""
    return value[:-7] if len(value) == 26 and value.endswith(".000000") else value


@dataclass
class Meta:
    name: str
    istable: bool = False
    is_submittable: bool = False
    autoname: str = ""
    sort_field: str = "modified"
    sort_order: str = "DESC"
    fields: list[dict[str, Any]] = field(default_factory=list)
    permissions: list[dict[str, Any]] = field(default_factory=list)
    issingle: bool = False

    @classmethod
    def from_record(cls, rec: dict[str, Any], custom_fields: list[dict[str, Any]]) -> Meta:
        fields = [dict(f) for f in rec.get("fields") or [] if f.get("fieldname")]
        for cf in custom_fields:
            if any(f["fieldname"] == cf["fieldname"] for f in fields):
                continue
            pos = next((i + 1 for i, f in enumerate(fields) if f["fieldname"] == cf.get("insert_after")),
                       len(fields))
            fields.insert(pos, dict(cf))
        return cls(name=rec["name"], istable=bool(rec.get("istable")),
                   is_submittable=bool(rec.get("is_submittable")), autoname=rec.get("autoname") or "",
                   sort_field=rec.get("sort_field") or "modified", sort_order=rec.get("sort_order") or "DESC",
                   fields=fields, permissions=[dict(p) for p in rec.get("permissions") or []],
                   issingle=bool(rec.get("issingle")))

    @property
    def table(self) -> str:
        return f"tab{self.name}"

    def std_fields(self) -> list[str]:
        return STD_FIELDS + (CHILD_FIELDS if self.istable else [])

    def data_fields(self) -> list[dict[str, Any]]:
        return [f for f in self.fields if f.get("fieldtype", "Data") not in NO_VALUE_TYPES | TABLE_TYPES]

    def table_fields(self) -> list[dict[str, Any]]:
        return [f for f in self.fields if f.get("fieldtype") in TABLE_TYPES]

    def columns(self) -> list[str]:
        return self.std_fields() + [f["fieldname"] for f in self.data_fields()]

    def get_field(self, fieldname: str) -> dict[str, Any] | None:
        for f in self.fields:
            if f["fieldname"] == fieldname:
                return f
        return None

    def fieldtype(self, fieldname: str) -> str:
        if fieldname in ("docstatus", "idx"):
            return "Int"
        if fieldname in ("creation", "modified"):
            return "Datetime"
        f = self.get_field(fieldname)
        return (f.get("fieldtype") or "Data") if f else "Data"

    def label(self, fieldname: str) -> str:
        f = self.get_field(fieldname)
        if f:
            return str(f.get("label") or fieldname)
        return STD_LABELS.get(fieldname, fieldname)

    def has_column(self, fieldname: str) -> bool:
        return fieldname in self.columns()


def sql_type(fieldtype: str) -> str:
    if fieldtype in INT_TYPES:
        return "INTEGER"
    if fieldtype in FLOAT_TYPES:
        return "REAL"
    return "TEXT"


def cint(v: Any) -> int:
    try:
        return int(float(v))
    except (TypeError, ValueError):
        return 0


def flt(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return 0.0


def coerce(fieldtype: str, value: Any) -> Any:
    """What Frappe's get_valid_dict does before writing a value to the DB."""
    if fieldtype == "Check":
        return 1 if cint(value) else 0
    if fieldtype == "Int":
        return value if isinstance(value, int) and not isinstance(value, bool) else cint(value)
    if fieldtype in FLOAT_TYPES:
        return value if isinstance(value, float) else flt(value)
    if fieldtype == "JSON" and isinstance(value, dict | list):
        # Frappe stores JSON fields as text and reads them back as that text.
        return json.dumps(value, sort_keys=True, indent=4, separators=(",", ": "))
    if value is None:
        return None
    if fieldtype in DATE_TYPES and value == "":
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dict | list):
        return json.dumps(value)
    if not isinstance(value, str) and fieldtype not in NUMERIC_TYPES:
        return str(value)
    return value


def default_value(fieldtype: str, default: Any, clock: Clock, options: str | None = None) -> Any:
    if default is None or default == "":
        if fieldtype == "Select" and options:
            # Frappe sets an omitted Select without default to its first option (blank if the list starts so).
            return str(options).split("\n")[0] or None
        return None
    if fieldtype == "Date" and str(default).lower() == "today":
        return clock.today().isoformat()
    if fieldtype == "Datetime" and str(default).lower() in ("now", "today"):
        return clock.now()
    return coerce(fieldtype, default)
