"""The demo's reviewer loop for a revised order: Request Revision with notes -> v2 in Review with a redline per
document (`<document>.changes-from-v1.pdf`, attached for the reviewer) -> Approve -> delivered.

Called from pwdev.demo.run(); it drives the stack only through ERPNext (the reviewer's Workflow actions) and
reads the results back from ERPNext and S3, as a reviewer and an operator would.
"""

from __future__ import annotations

import io
import sys
import time
from typing import Any


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _wait(erp: Any, doctype: str, name: str, status: str, version: int, timeout: float = 240.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    doc: dict[str, Any] = {}
    while time.monotonic() < deadline:
        doc = erp.get(doctype, name)
        if doc["status"] in ("Failed", "Refunded") or (doc["status"] == status
                                                          and int(doc.get("document_version") or 0) >= version):
            return doc
        time.sleep(0.2)
    return doc


def revise_and_approve(erp: Any, storage: Any, reviewer: Any, doctype: str, name: str) -> dict[str, Any]:
    """The reviewer asks for a revision of `name` (in Review at v1), reads the redline of v2, approves it.
    Returns {"redlines": {name: [file names]}, "status": final status, "version": n, "minio_path": its folder}."""
    from pypdf import PdfReader

    notes = "Remediation plan: add a timeline for reclassifying the shift leads, with the first step in 30 days."
    _say(f"== reviewer requests a revision of {doctype} {name}: {notes}")
    reviewer.update(doctype, name, {"status": "Revision", "review_notes": notes})
    doc = _wait(erp, doctype, name, "Review", 2)
    _say(f"   {name}: {doc['status']} at v{doc.get('document_version')}")
    rows = erp.list_page("File", fields=["file_name", "file_size"], limit_page_length=100,
                         filters=[["attached_to_doctype", "=", doctype], ["attached_to_name", "=", name]])
    redlines = sorted(str(r["file_name"]) for r in rows if ".changes-from-v" in str(r["file_name"]))
    for key in (o.key for o in storage.list(f"orders/{name}/v2/review/")):
        text = " ".join(" ".join((p.extract_text() or "").split())
                        for p in PdfReader(io.BytesIO(storage.get_bytes(key))).pages)
        _say(f"   redline {key.rsplit('/', 1)[1]}: {text[:240]}...")
    _say(f"== reviewer approves {name} v2 -> deliver webhook -> email")
    reviewer.update(doctype, name, {"status": "Approved"})
    done = _wait(erp, doctype, name, "Delivered", 2, timeout=120)
    _say(f"   {name}: {done['status']} (v{done.get('document_version')}, approved v{done.get('approved_version')})")
    return {"redlines": {name: redlines}, "status": str(done["status"]),
            "version": int(done.get("document_version") or 0), "minio_path": done.get("minio_path")}
