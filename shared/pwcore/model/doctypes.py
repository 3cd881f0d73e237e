"""The order DocTypes, their names and their versions (pure).

An order is a Formation Order (FO-YYYY-NNNN), a Compliance Service (CS-YYYY-NNNN) or a CRTC Order
(CR-YYYY-NNNN, a Canadian carrier registration). This module is the one place that lists them: on-payment, the
reconcile sweep, the commission sweep, presign and the request models all take the order DocTypes from here.
An order's `document_version` is the last version that reached Review (0 before the first); the version a
generation writes is the next one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

FORMATION_ORDER = "Formation Order"
COMPLIANCE_SERVICE = "Compliance Service"
CRTC_ORDER = "CRTC Order"
ORDER_DOCTYPES = (FORMATION_ORDER, COMPLIANCE_SERVICE, CRTC_ORDER)
OrderDoctype = Literal["Formation Order", "Compliance Service", "CRTC Order"]
NAMING_PREFIXES = {"FO-": FORMATION_ORDER, "CS-": COMPLIANCE_SERVICE, "CR-": CRTC_ORDER}

# A Frappe document name as the webhooks and our dispatches carry it (pydantic applies it as a full match).
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 ._/-]{0,139}$"
# Names from our naming series look like FO-2026-0001 / CS-2026-0042 / CR-2026-0007; nothing else is an order.
ORDER_NAME = re.compile(r"(FO|CS|CR)-[A-Za-z0-9]{1,16}(-[A-Za-z0-9]{1,16}){0,3}")


# The real choices of the order Selects (doctypes.json holds the same options after a leading blank; a test
# keeps them equal). Frappe gives an omitted Select its first option, so the pipeline checks the value itself.
ENTITY_TYPES = ("LLC", "Corporation", "Nonprofit")
SERVICE_TYPES = ("FLSA Audit", "CCPA Audit", "TCPA Audit", "Contractor Assessment", "Handbook Review",
                 "Breach Response Plan", "Privacy Policy")
ORDER_CHOICES = {FORMATION_ORDER: ("entity_type", ENTITY_TYPES), COMPLIANCE_SERVICE: ("service_type", SERVICE_TYPES)}


def choice_problem(doctype: str, doc: Mapping[str, Any]) -> str | None:
    """Why the order's type field is not a real choice (blank or unknown), or None when it is one."""
    if doctype not in ORDER_CHOICES:
        return None
    fieldname, choices = ORDER_CHOICES[doctype]
    value = str(doc.get(fieldname) or "").strip()
    if value in choices:
        return None
    shown = "blank" if not value else f"{value[:60]!r}, not a choice"
    return f"{fieldname} is {shown} (one of {', '.join(choices)}): set it on the order, then retry (Failed -> Queued)"


class UnsafeName(ValueError):
    """An order name or object key that could leave the order's folder."""


def doctype_for(name: str) -> str:
    """Order doctype from its naming series (FO-... / CS-... / CR-...)."""
    for prefix, doctype in NAMING_PREFIXES.items():
        if name.startswith(prefix):
            return doctype
    raise ValueError(f"not an order name: {name!r}")


def current_version(doc: Mapping[str, Any]) -> int:
    """The version the order's documents are at (the last one that reached Review; 0 = none yet)."""
    return int(doc.get("document_version") or 0)


def next_version(doc: Mapping[str, Any]) -> int:
    """The version a generation of this order writes (every retry of it writes the same one)."""
    return current_version(doc) + 1


def hostile_reason(value: str) -> str | None:
    """What makes `value` unsafe as a name or key (path tricks, encodings), or None."""
    if "\x00" in value:
        return "NUL byte"
    if ".." in value:
        return "'..'"
    if "%" in value:
        return "percent-encoding (e.g. %2e)"
    if value.startswith("/") or value.startswith("\\") or re.match(r"[A-Za-z]:", value):
        return "absolute path"
    if "\\" in value:
        return "backslash"
    if any(ch in value for ch in "\r\n\t"):
        return "control characters"
    return None


def check_order_name(name: str) -> str:
    problem = hostile_reason(name)
    if problem:
        raise UnsafeName(f"order name contains {problem}")
    if not ORDER_NAME.fullmatch(name):
        raise UnsafeName("not an order name (expected FO-, CS- or CR-YYYY-NNNN)")
    return name
