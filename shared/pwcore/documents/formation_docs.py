"""A Formation Order's documents rendered: the one code path of generate-doc, `pw preview` and the template lint.

`plan(...)` builds the context and picks the documents (pwcore.documents.formation_set); `render_all(...)`
renders each template and converts it to PDF. generate-doc calls both with the S3 template store and the warm
LibreOffice and stores the results; `pw preview` calls them with the local templates/ folder and writes a
folder. Only storage differs.

An "order bundle" is what the ERPNext REST API returns for an order: the Formation Order with its child tables,
plus the Customer and the Sales Order it links. `pw preview` reads it from one JSON file
(templates/samples/*.json): {"order": {...}, "customer": {...}, "sales_order": {...}} and, for a sample only,
"sensitive_ids": {"<Sensitive ID name>": {"id_type": "SSN", "id_value": "..."}} standing in for
`frappe.client.get_password` when the operator's SS-4 worksheet is previewed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pwcore.documents.formation import FormationInvalid, formation_context, ss4_context
from pwcore.documents.formation_set import Audience, documents_for
from pwcore.documents.render import render_docx

# (doctype, name, fieldname) -> the Password value; the caller's ERPNext key must be allowed to read it.
PasswordReader = Callable[[str, str, str], str]


@dataclass
class OrderBundle:
    order: dict[str, Any]
    customer: dict[str, Any]
    sales_order: dict[str, Any] | None = None
    sensitive_ids: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Rendered:
    template: str
    docx: bytes
    pdf: bytes
    render_ms: float
    convert_ms: float


def load_order(path: Path) -> OrderBundle:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("order"), dict) \
            or not isinstance(data.get("customer"), dict):
        raise ValueError(f"{path}: expected a JSON object with 'order' and 'customer' objects")
    return OrderBundle(order=data["order"], customer=data["customer"], sales_order=data.get("sales_order"),
                       sensitive_ids=dict(data.get("sensitive_ids") or {}))


def plan(order: Mapping[str, Any], customer: Mapping[str, Any], sales_order: Mapping[str, Any] | None,
         as_of: date | None = None, audience: Audience = "customer") -> tuple[dict[str, Any], list[str]]:
    """The order's context and the template ids of its documents for `audience`."""
    context = formation_context(order, customer, sales_order, as_of=as_of)
    return context, documents_for(context, audience)


def operator_context(context: Mapping[str, Any], order: Mapping[str, Any], customer: Mapping[str, Any],
                     read_password: PasswordReader,
                     read_doc: Callable[[str, str], Mapping[str, Any]]) -> dict[str, Any]:
    """The SS-4 worksheet's context: the responsible party's number is read here, for this render only."""
    sid = str(order.get("responsible_party_id") or "").strip()
    if not sid:
        raise FormationInvalid("Formation Order field 'responsible_party_id' is empty (the EIN add-on needs the "
                               "responsible party's Sensitive ID)")
    id_type = str(read_doc("Sensitive ID", sid).get("id_type") or "")
    value = read_password("Sensitive ID", sid, "id_value")
    return ss4_context(context, order, customer, id_type, value)


def render_all(context: Mapping[str, Any], template_ids: list[str], template_bytes: Callable[[str], bytes],
               convert: Callable[[bytes], bytes]) -> list[Rendered]:
    out = []
    for template_id in template_ids:
        t0 = time.perf_counter()
        docx = render_docx(template_bytes(template_id), context)
        t1 = time.perf_counter()
        pdf = convert(docx)
        t2 = time.perf_counter()
        out.append(Rendered(template_id, docx, pdf, (t1 - t0) * 1000, (t2 - t1) * 1000))
    return out


def bundle_readers(bundle: OrderBundle) -> tuple[PasswordReader, Callable[[str, str], Mapping[str, Any]]]:
    """Stand-ins for get_password / get on Sensitive ID, answered from a sample bundle (preview only)."""
    def doc(doctype: str, name: str) -> Mapping[str, Any]:
        if doctype != "Sensitive ID" or name not in bundle.sensitive_ids:
            raise FormationInvalid(f"the order file has no Sensitive ID {name!r} for the SS-4 worksheet")
        return bundle.sensitive_ids[name]

    def password(doctype: str, name: str, fieldname: str) -> str:
        return str(doc(doctype, name)[fieldname])

    return password, doc


def contexts(bundle: OrderBundle, as_of: date | None = None) -> dict[str, dict[str, Any]]:
    """template id -> context for every document of a bundle, the operator's included (lint, samples)."""
    context, customer_docs = plan(bundle.order, bundle.customer, bundle.sales_order, as_of)
    out = {t: context for t in customer_docs}
    operator_docs = documents_for(context, "operator")
    if operator_docs:
        password, doc = bundle_readers(bundle)
        op = operator_context(context, bundle.order, bundle.customer, password, doc)
        out |= {t: op for t in operator_docs}
    return out
