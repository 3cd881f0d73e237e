"""Redlines for the reviewer: version n > 1 of an order compared with version n-1, document by document.

generate-doc calls `produce` once the version's manifest exists (before the Review status write, like the review
copies): for each DOCX of version n whose document (the template's slug, the key's base name) is also in version
n-1, the comparison (pwcore.documents.redline) is converted to PDF and stored at
`orders/{name}/v{n}/review/{document}.changes-from-v{n-1}.pdf` (pwcore.model.layout.redline_key). Redlines are
not in manifest.json, so they are never delivered or presigned. A retry reuses a stored PDF (the comparison is
recomputed: it is cheap and pure; the conversion is not). `attach` uploads them to the order as private Files
named `v{n}-DRAFT-{document file}.changes-from-v{n-1}.pdf`: the review copies' prefix, so the same rule detaches
them when a newer version reaches Review. A redline that cannot be made never holds the version back: the
Review Comment names it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pwcore.clients.erpnext import ERPNext
from pwcore.clients.s3 import Storage
from pwcore.documents.redline import compare
from pwcore.documents.review_copies import copy_name
from pwcore.logs import get_logger
from pwcore.model.layout import manifest_key, redline_key
from pwcore.model.manifest import DOCX_TYPE, PDF_TYPE, VersionManifest

log = get_logger("pwcore.documents")


@dataclass
class Redline:
    document: str  # the template slug (the key's base name)
    filename: str  # the DOCX file name of version n, e.g. articles-FO-2026-00001.docx
    key: str
    against: int
    changed: bool
    inserted_words: int
    deleted_words: int

    @property
    def file_name(self) -> str:
        """The name of the redline as the reviewer sees it on the order."""
        return copy_name(self.against + 1, f"{self.filename.rsplit('.', 1)[0]}.changes-from-v{self.against}.pdf")


@dataclass
class Redlines:
    made: list[Redline] = field(default_factory=list)
    attached: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _docx_files(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out = {}
    for entry in manifest.get("files") or []:
        key = str(entry.get("key") or "")
        if entry.get("content_type") == DOCX_TYPE or key.endswith(".docx"):
            out[key.rsplit("/", 1)[-1].rsplit(".", 1)[0]] = entry
    return out


def produce(storage: Storage, convert: Callable[[bytes], bytes], manifest: dict[str, Any]) -> Redlines:
    """The redlines of version n against n-1 (none for version 1). Never raises for one document's trouble."""
    result = Redlines()
    name, version = str(manifest["order"]), int(manifest["version"])
    if version < 2:
        return result
    try:
        # Parsed with the schema deliver and presign use: its keys must sit inside v{n-1}'s own folder.
        previous = VersionManifest.parse(storage.get_bytes(manifest_key(name, version - 1)), name,
                                         version - 1).model_dump(mode="json")
    except Exception as exc:
        log.warning("redline.previous_manifest_unreadable", order=name, version=version, error=type(exc).__name__)
        result.errors.append(f"v{version - 1}/manifest.json could not be read ({type(exc).__name__})")
        return result
    before = _docx_files(previous)
    date = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for document, entry in _docx_files(manifest).items():
        old = before.get(document)
        if old is None:
            continue  # a document new in this version: the reviewer reads it whole
        key = redline_key(name, version, document, version - 1)
        try:
            comparison = compare(storage.get_bytes(str(old["key"])), storage.get_bytes(str(entry["key"])),
                                 title=f"{entry['filename']}, order {name}", old_label=f"v{version - 1}",
                                 new_label=f"v{version}", date=date)
            if not storage.exists(key):
                storage.put_bytes(key, convert(comparison.docx), PDF_TYPE)
        except Exception as exc:  # the reviewer still has the full review copies
            log.warning("redline.failed", order=name, version=version, document=document, error=type(exc).__name__)
            result.errors.append(f"{document}: {type(exc).__name__}")
            continue
        result.made.append(Redline(document, str(entry["filename"]), key, version - 1, comparison.changed,
                                   comparison.inserted_words, comparison.deleted_words))
    return result


def attach(erp: ERPNext, storage: Storage, doctype: str, name: str, redlines: Redlines,
           present: set[str] | None = None) -> Redlines:
    """Upload each redline as a private File on the order (once: names already attached are skipped)."""
    if present is None:
        try:
            rows = erp.list_page("File", fields=["file_name"], limit_page_length=500, filters=[
                ["attached_to_doctype", "=", doctype], ["attached_to_name", "=", name]])
            present = {str(r.get("file_name")) for r in rows}
        except Exception as exc:
            redlines.errors.append(f"listing the order's files failed ({type(exc).__name__})")
            return redlines
    for red in redlines.made:
        if red.file_name in present:
            redlines.attached.append({"file_name": red.file_name})
            continue
        try:
            out = erp.upload_file(doctype, name, red.file_name, storage.get_bytes(red.key), PDF_TYPE,
                                  is_private=True)
            redlines.attached.append(out)
        except Exception as exc:
            log.warning("redline.upload_failed", order=name, file=red.file_name, error=type(exc).__name__)
            redlines.errors.append(f"{red.file_name}: {type(exc).__name__}")
    return redlines


def comment_lines(redlines: Redlines) -> list[str]:
    """The Review Comment's part about the redlines (empty for a first version)."""
    if not redlines.made and not redlines.errors:
        return []
    lines = ["", "Changes from the previous version (read these first):"]
    for red in redlines.made:
        what = (f"{red.inserted_words} word(s) inserted, {red.deleted_words} deleted" if red.changed
                else "no changes")
        lines.append(f"- {red.file_name}: {what}")
    if redlines.errors:
        lines.append("Could not make the redline of: " + "; ".join(redlines.errors))
    return lines
