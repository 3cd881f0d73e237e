"""Helpers for the `pw render` command: template + JSON context -> DOCX and PDF in a folder.
No ERPNext, no S3."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pwcore.clients.libreoffice import PdfConverter, convert_cold
from pwcore.documents.render import render_docx


def render_to_folder(
    template_path: str | Path,
    data_json_path: str | Path,
    out_dir: str | Path,
    converter: PdfConverter | None = None,
) -> tuple[Path, Path]:
    """Render `template_path` with the JSON object in `data_json_path` (a full render context, e.g. a
    manifest sample) into `out_dir/<template stem>.docx` and `.pdf`. Without a converter a one-shot
    soffice does the PDF (cheaper than starting a warm server for one file)."""
    template = Path(template_path)
    context = json.loads(Path(data_json_path).read_text(encoding="utf-8"))
    if not isinstance(context, dict):
        raise ValueError("the data file must hold a JSON object")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    docx = render_docx(template.read_bytes(), context)
    pdf = converter.convert(docx) if converter is not None else convert_cold(docx)
    docx_path = out / f"{template.stem}.docx"
    pdf_path = out / f"{template.stem}.pdf"
    docx_path.write_bytes(docx)
    pdf_path.write_bytes(pdf)
    return docx_path, pdf_path


def _local_templates(templates_dir: Path) -> Callable[[str], bytes]:
    """Template bytes by id, read from a local templates/ folder through its manifest (as S3 holds them)."""
    manifest = json.loads((templates_dir / "manifest.json").read_text(encoding="utf-8"))

    def read(template_id: str) -> bytes:
        entry = manifest.get("templates", {}).get(template_id)
        if entry is None:
            raise ValueError(f"{templates_dir}/manifest.json lists no template {template_id!r}")
        return (templates_dir / str(entry["file"])).read_bytes()

    return read


def is_compliance_order(order: Mapping[str, Any]) -> bool:
    """A Compliance Service document (its doctype, or the service_type only that doctype has)."""
    return order.get("doctype") == "Compliance Service" or bool(order.get("service_type"))


def _compliance_jobs(order: dict[str, Any], customer: dict[str, Any], out_dir: Path,
                     templates_dir: Path) -> tuple[list[tuple[Path, dict[str, Any], list[str]]], dict[str, Any]]:
    """generate-doc's compliance plan: the sections written by the LLM at OLLAMA_HOST (a real Ollama or the
    stand-in; an in-memory cache only), the report context, the service's templates. Returns the render job and
    the sections' provenance (what the manifest and the review Comment would say)."""
    from pwcore.clients.ollama_api import OllamaSettings
    from pwcore.compliance.section_generator import MemoryCache, SectionGenerator
    from pwcore.compliance.section_writer import make_section_writer
    from pwcore.documents import compliance_docs
    from pwcore.settings import load_settings

    manifest = json.loads((templates_dir / "manifest.json").read_text(encoding="utf-8"))
    with SectionGenerator.from_settings(load_settings(OllamaSettings), cache=MemoryCache()) as gen:
        cplan = compliance_docs.plan(order, customer, manifest, make_section_writer(gen))
    return [(out_dir, cplan.context, cplan.template_ids)], cplan.sections


def preview_order(order_json: Path, out_dir: Path, templates_dir: Path = Path("templates"),
                  converter: PdfConverter | None = None) -> list[Path]:
    """`pw preview`: every document of an order bundle ({"order", "customer"[, "sales_order"]}) to DOCX + PDF in
    `out_dir`, through generate-doc's plan and render functions. A formation order (pwcore.documents.formation_docs):
    the operator's documents (SS-4 worksheet) go to `out_dir/operator/`. A Compliance Service: its sections are
    written by the LLM at OLLAMA_HOST as generate-doc writes them, their provenance goes to
    `out_dir/sections.json`. Returns the files written."""
    from pwcore.documents import formation_docs
    from pwcore.documents.formation_set import documents_for

    bundle = formation_docs.load_order(order_json)
    read = _local_templates(templates_dir)
    written: list[Path] = []
    jobs: list[tuple[Path, dict[str, Any], list[str]]]
    if is_compliance_order(bundle.order):
        jobs, provenance = _compliance_jobs(bundle.order, bundle.customer, out_dir, templates_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        meta = out_dir / "sections.json"
        meta.write_text(json.dumps(provenance, indent=2) + "\n", encoding="utf-8")
        written.append(meta)
    else:
        context, customer_docs = formation_docs.plan(bundle.order, bundle.customer, bundle.sales_order)
        jobs = [(out_dir, context, customer_docs)]
        operator_docs = documents_for(context, "operator")
        if operator_docs:
            password, doc = formation_docs.bundle_readers(bundle)
            op = formation_docs.operator_context(context, bundle.order, bundle.customer, password, doc)
            jobs.append((out_dir / "operator", op, operator_docs))
    own = converter is None
    conv = converter or PdfConverter()
    try:
        for folder, ctx, ids in jobs:
            folder.mkdir(parents=True, exist_ok=True)
            for doc_ in formation_docs.render_all(ctx, ids, read, conv.convert):
                for data, ext in ((doc_.docx, "docx"), (doc_.pdf, "pdf")):
                    path = folder / f"{doc_.template}.{ext}"
                    path.write_bytes(data)
                    written.append(path)
    finally:
        if own:
            conv.close()
    return written


def ss4_worksheet(erp: Any, order_name: str, out_dir: Path, templates_dir: Path = Path("templates")) -> Path:
    """`pw ss4-worksheet`: the operator's Form SS-4 worksheet of a Formation Order in ERPNext, to a local PDF
    (mode 0600). The responsible party's number is read with `frappe.client.get_password` (the operator's key
    needs read at the field's permlevel), kept in memory for this render, and written nowhere but the PDF."""
    from pwcore.documents import formation_docs

    order = erp.get("Formation Order", order_name)
    customer = erp.get("Customer", str(order["customer"]))
    sales_order = erp.get("Sales Order", str(order["sales_order"])) if order.get("sales_order") else None
    context, _ = formation_docs.plan(order, customer, sales_order)
    if not context["addons"]["ein"]:
        raise ValueError(f"{order_name} has no EIN add-on")

    def password(doctype: str, name: str, fieldname: str) -> str:
        return str(erp.call("frappe.client.get_password", doctype=doctype, name=name, fieldname=fieldname))

    op = formation_docs.operator_context(context, order, customer, password, erp.get)
    out_dir.mkdir(parents=True, exist_ok=True)
    [doc_] = formation_docs.render_all(op, ["ss4-worksheet"], _local_templates(templates_dir), convert_cold)
    path = out_dir / f"ss4-worksheet-{order_name}.pdf"
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_bytes(doc_.pdf)
    return path
