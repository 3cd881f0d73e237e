"""Helpers for the `pw render` command: template + JSON context -> DOCX and PDF in a folder.
No ERPNext, no S3."""

from __future__ import annotations

import json
from pathlib import Path

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
