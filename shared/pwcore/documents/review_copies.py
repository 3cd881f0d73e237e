"""Review copies in ERPNext: when a version reaches Review, the reviewer opens its documents from the order.

Decision: the bytes live in ERPNext. Each file of the version is uploaded with Frappe's `upload_file` as a
private File attached to the order (`is_private=1`, `attached_to_doctype`/`attached_to_name`), so Desk lists it
under the order's attachments and Frappe serves it only to users who may read the order (Operations, Support,
the pipeline). A File pointing at a presigned S3 link would expire under a reviewer who comes back the next day,
and MinIO is not reachable from staff browsers; the versions are small (a few hundred KB), so the copy in
ERPNext costs little and S3 stays the source of truth for delivery.

- Names: `v{n}-DRAFT-{filename}` (one set per version; a retry re-uploads only what is missing).
- PDFs are stamped "DRAFT - not for delivery" (a header line and a diagonal mark on every page); the DOCX is
  attached unchanged, as the source a reviewer may edit (its name says DRAFT).
- Superseded versions are detached: the Files of older versions' review copies are deleted from the order when
  a newer version reaches Review (the versions themselves stay in S3, immutable).
- The Review Comment lists the attached files with sizes, the template each came from (key and sha256), and the
  LLM model, attempts and cache use of every section it wrote.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

from pwcore.clients.erpnext import ERPNext, ERPNextError
from pwcore.clients.s3 import Storage
from pwcore.logs import get_logger
from pwcore.model.manifest import DOCX_TYPE, PDF_TYPE

log = get_logger("pwcore.documents")

DRAFT_MARK = "DRAFT - not for delivery"
_COPY_NAME = re.compile(r"^v(\d+)-DRAFT-")


def copy_name(version: int, filename: str) -> str:
    return f"v{version}-DRAFT-{filename}"


def _one_page_pdf(width: float, height: float, content: bytes, font: str) -> bytes:
    """A minimal one-page PDF: `content` is the page's content stream and F1 a standard Type 1 font, so no
    PDF library or external resource is needed to write it (the draft overlay and the approval page)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width:.2f} {height:.2f}] "
         f"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>").encode(),
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"endstream",
        f"<< /Type /Font /Subtype /Type1 /BaseFont /{font} /Encoding /WinAnsiEncoding >>".encode(),
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def _overlay_pdf(width: float, height: float, label: str) -> bytes:
    """A one-page PDF (Helvetica-Bold, no external resources) with the draft header and a diagonal mark."""
    text = DRAFT_MARK.replace("\\", "").replace("(", "").replace(")", "")
    sub = label.replace("\\", "").replace("(", "").replace(")", "")
    diag_x, diag_y = width * 0.12, height * 0.30
    content = (
        f"q 0.75 0 0 rg BT /F1 11 Tf 36 {height - 22:.1f} Td ({text} - {sub}) Tj ET Q\n"
        f"q 0.75 0 0 rg BT /F1 9 Tf 36 14 Td ({text}) Tj ET Q\n"
        f"q 0.88 0.88 0.88 rg BT /F1 54 Tf 0.7071 0.7071 -0.7071 0.7071 {diag_x:.1f} {diag_y:.1f} Tm ({text}) Tj ET Q\n"
    ).encode("latin-1")
    return _one_page_pdf(width, height, content, "Helvetica-Bold")


def stamp_draft(pdf: bytes, label: str) -> bytes:
    """`pdf` with "DRAFT - not for delivery" (and `label`, e.g. "FO-2026-0001 v2") on every page."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    overlays: dict[tuple[float, float], Any] = {}
    for page in writer.pages:
        size = (float(page.mediabox.width), float(page.mediabox.height))
        if size not in overlays:
            overlays[size] = PdfReader(io.BytesIO(_overlay_pdf(*size, label))).pages[0]
        page.merge_page(overlays[size])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@dataclass
class ReviewCopies:
    attached: list[dict[str, Any]] = field(default_factory=list)  # {file_name, file_url, file_size}
    detached: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def attach_review_copies(erp: ERPNext, storage: Storage, doctype: str, name: str,
                         manifest: dict[str, Any]) -> ReviewCopies:
    """Upload the version's review copies to the order and detach older versions' copies. Never raises for
    ERPNext or S3 trouble: the order is in Review already, so what failed is returned (and logged)."""
    version = int(manifest["version"])
    result = ReviewCopies()
    try:
        existing = erp.list_page("File", fields=["name", "file_name", "file_url", "file_size"],
                                 limit_page_length=500, filters=[["attached_to_doctype", "=", doctype],
                                                                 ["attached_to_name", "=", name]])
    except ERPNextError as exc:
        log.warning("review_copies.list_failed", order=name, status=exc.status)
        result.errors.append(f"listing the order's files failed ({exc.status})")
        return result
    present = {str(f.get("file_name")): f for f in existing}
    for entry in manifest.get("files") or []:
        filename = str(entry["filename"])
        target = copy_name(version, filename)
        if target in present:
            result.attached.append(present[target])
            continue
        try:
            data = storage.get_bytes(str(entry["key"]))
            ctype = str(entry.get("content_type") or "")
            if ctype == PDF_TYPE or filename.endswith(".pdf"):
                data = stamp_draft(data, f"{name} v{version}")
                ctype = PDF_TYPE
            elif not ctype:
                ctype = DOCX_TYPE if filename.endswith(".docx") else "application/octet-stream"
            out = erp.upload_file(doctype, name, target, data, ctype, is_private=True)
            result.attached.append(out)
        except Exception as exc:  # one file's trouble must not keep the reviewer from the others
            log.warning("review_copies.upload_failed", order=name, file=filename, error=type(exc).__name__)
            result.errors.append(f"{filename}: {type(exc).__name__}")
    for f in existing:
        match = _COPY_NAME.match(str(f.get("file_name") or ""))
        if match and int(match.group(1)) < version:
            try:
                erp.delete("File", str(f["name"]))
                result.detached.append(str(f["file_name"]))
            except ERPNextError as exc:
                log.warning("review_copies.detach_failed", order=name, file=f.get("file_name"), status=exc.status)
    return result


def _size(n: int) -> str:
    return f"{n / 1024:.1f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.2f} MB"


def _coverage_note(meta: dict[str, Any]) -> str:
    """A section that names fewer intake items (roles, workers, states) than it must: counts only."""
    cov = meta.get("coverage")
    if not isinstance(cov, dict) or not int(cov.get("missing") or 0):
        return ""
    total, missing = int(cov.get("subjects") or 0), int(cov["missing"])
    return f"; names {total - missing} of {total} {cov.get('kind') or 'items'} ({missing} missing)"


def review_comment(manifest: dict[str, Any], copies: ReviewCopies) -> str:
    """What the reviewer reads on the order when a version reaches Review."""
    version = manifest["version"]
    lines = [f"Pipeline: version v{version} is ready for review (review copies attached, marked "
             f"\"{DRAFT_MARK}\"). Approve it, or set Revision with notes in Review Notes. To deliver your own "
             f"edit of a document, attach it as v{version}-EDITED-<document>.docx (the DOCX copy's name with "
             "EDITED for DRAFT) before approving.", "", "Generated files:"]
    for entry in manifest.get("files") or []:
        template = str(entry.get("template") or "")
        tsha = str(entry.get("template_sha256") or "")[:12]
        lines.append(f"- {entry['filename']} ({_size(int(entry.get('size') or 0))}), template {template or '?'}"
                     f"{' sha256 ' + tsha if tsha else ''}")
    if copies.attached:
        lines += ["", "Attached for review:"]
        lines += [f"- {f.get('file_name')} ({_size(int(f.get('file_size') or 0))})" for f in copies.attached]
    if copies.detached:
        lines += ["", "Superseded review copies detached: " + ", ".join(copies.detached)]
    sections = manifest.get("sections") or {}
    if sections:
        lines += ["", "AI-written sections; each needs human review:"]
        lines += [f"- {key}: model {meta.get('model', '?')}, {meta.get('attempts', 1)} attempt(s)"
                  f"{' (cached)' if meta.get('cached') else ''}{_coverage_note(meta)}"
                  for key, meta in sections.items()]
        gaps = [key for key, meta in sections.items() if _coverage_note(meta)]
        if gaps:
            lines += ["", "CHECK BEFORE APPROVING: " + ", ".join(gaps) + " does not name every item of the intake "
                      "it must cover (counts above); add the missing ones or set Revision."]
    if copies.errors:
        lines += ["", "Could not attach: " + "; ".join(copies.errors) + " (the version itself is complete in "
                  f"S3 at orders/{manifest.get('order')}/v{version}/)"]
    return "\n".join(lines)


# --- the approval, on the delivered documents ---------------------------------------------------------------

def _text_page(lines: list[str], width: float = 612, height: float = 792) -> bytes:
    """A one-page PDF of plain lines (Helvetica), the same dependency-free writer as the draft overlay."""
    def esc(text: str) -> str:
        return text.encode("latin-1", "replace").decode("latin-1").replace("\\", "\\\\").replace(
            "(", "\\(").replace(")", "\\)")

    body = [f"BT /F1 16 Tf 72 {height - 96:.1f} Td ({esc(lines[0])}) Tj ET"]
    y = height - 132
    for line in lines[1:]:
        body.append(f"BT /F1 10 Tf 72 {y:.1f} Td ({esc(line)}) Tj ET")
        y -= 16
    content = ("\n".join(body) + "\n").encode("latin-1")
    return _one_page_pdf(width, height, content, "Helvetica")


def approval_lines(order: str, version: int, filename: str, reviewed_sha256: str, approver: str,
                   approved_on: str) -> list[str]:
    return [
        "Review and approval",
        f"Order {order}, document version v{version}: {filename}",
        f"Reviewed and approved by {approver} on {approved_on}.",
        "Performance West staff reviewed this document (including any AI-assisted text) before delivery.",
        f"Reviewed file SHA-256: {reviewed_sha256}",
    ]


def with_approval_page(pdf: bytes, lines: list[str]) -> bytes:
    """`pdf` with an approval page appended (the delivered form of a reviewed document)."""
    from pypdf import PdfReader, PdfWriter

    first = PdfReader(io.BytesIO(pdf)).pages[0]
    page = PdfReader(io.BytesIO(_text_page(lines, float(first.mediabox.width), float(first.mediabox.height))))
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.add_page(page.pages[0])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
