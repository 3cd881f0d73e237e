"""Reviewer edits: a reviewer's own DOCX of a document becomes the delivered version.

The convention. In Review, the order carries the review copies `v{n}-DRAFT-{file}` (pwcore.documents.review_copies).
A reviewer who wants to change a document downloads `v{n}-DRAFT-{document}.docx`, edits it in Word or LibreOffice,
attaches it to the order (Desk's Attach, private) as `v{n}-EDITED-{document}.docx` (the same name with EDITED for
DRAFT), and approves. A name Frappe made unique (six hex digits before `.docx`) still counts.

What deliver does on an Approved order (before its pre-flight), through `ReviewerEdits.apply`:
- it lists the order's Files named `v{m}-EDITED-*.docx`. Those for the current version n are the edits; the
  newest one per document wins. An edit of an older version m < n attached before version n was generated is
  history (its version was superseded by a revision) and is ignored, as are the uploads a version made from
  edits names as its sources;
- each edit is downloaded through the REST API as the pipeline user (private files are served to users who may
  read the order) and must be a real DOCX (a zip with word/document.xml, at most MAX_UPLOAD_BYTES, unpacked at
  most MAX_UNPACKED_BYTES) for a document of version n of this order;
- any bad upload (not a DOCX, too large, an unknown document or another order's, a version that does not exist,
  an older version's name attached while version n was in review) or a conversion that fails: a Comment naming
  the file and the reason, and the order goes back from Approved to Review (the reviewer fixes or removes the
  file and approves again; the approval webhook then calls deliver again). Nothing is delivered and nothing is
  deleted: the upload stays on the order, the versions stay in S3;
- otherwise version n+1 is written: each edited document's DOCX is the upload byte for byte and its PDF the warm
  LibreOffice's conversion of it, with `edited_by` (the File's owner), `edited_at` (its creation, ERPNext time),
  `upload_sha256` and `upload_file` in its manifest entry; the other documents are copied from version n. The
  manifest (written last, put-if-absent, as generate-doc does) names its source in `edited`. Then one
  compare-and-set on the order moves `document_version`/`minio_path` to n+1 and records the approval of n+1
  (the reviewer who approved n, at that time), and deliver delivers n+1.
Races and crashes: building n+1 is claimed (`orders/{name}/v{n+1}/edited/claim.json`, pwcore.clients.claims), so
of racing deliver calls one builds and the others answer busy (or, once the claim says "done", deliver n+1).
A holder that died is taken over after EDIT_LEASE_S; a manifest already written is reused, so a retry completes.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

from pwcore.clients.claims import Claim, Claims, Held
from pwcore.clients.erpnext import ERPNext, ERPNextError, TimestampMismatch
from pwcore.clients.s3 import Storage
from pwcore.logs import get_logger
from pwcore.model.clock import parse_modified
from pwcore.model.doctypes import current_version
from pwcore.model.layout import edit_claim_key, manifest_key, version_prefix
from pwcore.model.manifest import DOCX_TYPE, PDF_TYPE, ManifestFile, ManifestInvalid, VersionManifest
from pwcore.model.status import InvalidTransition, Status
from pwcore.orders.transitions import transition

log = get_logger("pwcore.documents")

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
EDITED = re.compile(r"^v(\d{1,4})-EDITED-(.+)\.docx$", re.IGNORECASE)
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # a zip bomb is refused before LibreOffice unpacks it
EDIT_LEASE_S = 600  # longer than converting a few documents, cold LibreOffice included


def edited_name(version: int, docx_filename: str) -> str:
    """The File name a reviewer gives an edited document (`v2-EDITED-articles-FO-2026-00001.docx`)."""
    return f"v{version}-EDITED-{docx_filename}"


@dataclass(frozen=True)
class Upload:
    file: str  # the File document's name
    file_name: str
    file_url: str
    owner: str
    creation: str
    file_size: int
    version: int
    rest: str  # the file name after `v{m}-EDITED-`, without `.docx`


@dataclass
class EditResult:
    state: str  # "none" (no edits: deliver as generated), "applied", "returned" (back to Review), "busy"
    doc: dict[str, Any]
    detail: str = ""
    files: list[str] = field(default_factory=list)


class EditRefused(Exception):
    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{f}: {r}" for f, r in problems))
        self.problems = problems


def docx_problem(data: bytes) -> str:
    """Why `data` is not a DOCX this pipeline converts ("" when it is one)."""
    if len(data) > MAX_UPLOAD_BYTES:
        return f"it is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            if sum(i.file_size for i in z.infolist()) > MAX_UNPACKED_BYTES:
                return f"it unpacks to more than {MAX_UNPACKED_BYTES // (1024 * 1024)} MB"
            try:
                xml = z.read("word/document.xml")
            except KeyError:
                return "it is not a Word document (the zip has no word/document.xml)"
    except (zipfile.BadZipFile, OSError, EOFError):
        return "it is not a DOCX (not a zip file; a .doc, PDF or renamed file cannot be used)"
    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:  # Word never writes a DTD: no entity tricks reach the parser
        return "it is not a Word document (word/document.xml declares a DTD)"
    try:
        root = ElementTree.fromstring(xml)  # noqa: S314 (no DTD, so no entity expansion; size bounded above)
    except ElementTree.ParseError:
        return "it is not a Word document (word/document.xml is not well-formed XML)"
    if root.find(f"{{{W}}}body") is None:
        return "it is not a Word document (word/document.xml has no body)"
    return ""


def _ts(value: str, tz: str) -> datetime | None:
    """An ERPNext timestamp (naive, the site's zone) or an ISO time with an offset, as an aware UTC time."""
    if not value:
        return None
    try:
        parsed = parse_modified(value)
    except ValueError:
        return None
    return (parsed.replace(tzinfo=ZoneInfo(tz)) if parsed.tzinfo is None else parsed).astimezone(UTC)


class ReviewerEdits:
    def __init__(self, erp: ERPNext, storage: Storage, convert: Callable[[bytes], bytes], *,
                 timezone: str = "America/Chicago", lease_s: float = EDIT_LEASE_S,
                 checkpoint: Callable[[str], None] | None = None) -> None:
        self.erp = erp
        self.storage = storage
        self.convert = convert
        self.timezone = timezone
        self.lease_s = lease_s
        self.claims = Claims(storage)
        self._checkpoint = checkpoint  # tests only

    def checkpoint(self, point: str) -> None:
        if self._checkpoint is not None:
            self._checkpoint(point)

    # -- finding the edits -------------------------------------------------------------------------------
    def uploads(self, doctype: str, name: str) -> list[Upload]:
        rows = self.erp.list_page("File", fields=["name", "file_name", "file_url", "owner", "creation", "file_size"],
                                  limit_page_length=500, filters=[["attached_to_doctype", "=", doctype],
                                                                  ["attached_to_name", "=", name]])
        out = []
        for row in rows:
            match = EDITED.match(str(row.get("file_name") or ""))
            if match:
                out.append(Upload(str(row["name"]), str(row["file_name"]), str(row.get("file_url") or ""),
                                  str(row.get("owner") or ""), str(row.get("creation") or ""),
                                  int(row.get("file_size") or 0), int(match.group(1)), match.group(2)))
        return out

    @staticmethod
    def _target(upload: Upload, documents: dict[str, ManifestFile]) -> ManifestFile | None:
        """The DOCX of the version the upload replaces (a name Frappe made unique still matches)."""
        for rest in (upload.rest, upload.rest[:-6] if re.search(r"[0-9a-f]{6}$", upload.rest) else ""):
            entry = documents.get(f"{rest}.docx".lower()) if rest else None
            if entry is not None:
                return entry
        return None

    def _select(self, doc: dict[str, Any], manifest: VersionManifest,
                uploads: list[Upload]) -> tuple[dict[str, tuple[ManifestFile, Upload]], list[tuple[str, str]]]:
        n = manifest.version
        documents = {f.filename.lower(): f for f in manifest.files
                     if f.content_type == DOCX_TYPE or f.key.endswith(".docx")}
        consumed = set((manifest.model_extra or {}).get("edited", {}).get("files") or [])
        made = _ts(manifest.created_at, self.timezone)
        chosen: dict[str, tuple[ManifestFile, Upload]] = {}
        problems: list[tuple[str, str]] = []
        expected = ", ".join(edited_name(n, f.filename) for f in documents.values()) or "(none)"
        for up in sorted(uploads, key=lambda u: u.creation):
            if up.file in consumed:
                continue
            if up.version < n:
                created = _ts(up.creation, self.timezone)
                if made is not None and created is not None and created > made:
                    problems.append((up.file_name, f"it is named for v{up.version}, but the order's current version"
                                                   f" is v{n}; name it {expected}"))
                continue  # an edit of a version a revision superseded
            if up.version > n:
                problems.append((up.file_name, f"the order has no version v{up.version} (the current version is "
                                               f"v{n})"))
                continue
            target = self._target(up, documents)
            if target is None:
                problems.append((up.file_name, f"it names no document of v{n} of {doc['name']}; the documents "
                                               f"are {expected}"))
                continue
            chosen[target.filename] = (target, up)  # sorted by creation: the newest upload wins
        return chosen, problems

    # -- the job -------------------------------------------------------------------------------------------
    def apply(self, doctype: str, doc: dict[str, Any], approval: dict[str, Any], call_id: str = "") -> EditResult:
        """Use the reviewer's edits of an Approved order's current version, if there are any (see the module)."""
        name = str(doc["name"])
        uploads = self.uploads(doctype, name)
        if not uploads:
            return EditResult("none", doc)
        n = current_version(doc)
        raw = self.storage.get_bytes_if_exists(manifest_key(name, n))
        if raw is None:
            return EditResult("none", doc)  # deliver's pre-flight names the missing manifest
        try:
            manifest = VersionManifest.parse(raw, name, n)
        except ManifestInvalid:
            return EditResult("none", doc)  # deliver's pre-flight fails the order with the reason
        chosen, problems = self._select(doc, manifest, uploads)
        contents: dict[str, bytes] = {}
        for filename, (_, up) in chosen.items():
            if up.file_size > MAX_UPLOAD_BYTES:
                problems.append((up.file_name, f"it is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB"))
                continue
            data = self.erp.file_content(up.file_url)
            reason = docx_problem(data)
            if reason:
                problems.append((up.file_name, reason))
            else:
                contents[filename] = data
        if problems:
            return self._return_to_review(doctype, doc, problems)
        if not chosen:
            return EditResult("none", doc)
        return self._build_and_switch(doctype, doc, manifest, chosen, contents, approval, call_id)

    def _build_and_switch(self, doctype: str, doc: dict[str, Any], manifest: VersionManifest,
                          chosen: dict[str, tuple[ManifestFile, Upload]], contents: dict[str, bytes],
                          approval: dict[str, Any], call_id: str) -> EditResult:
        name, n = str(doc["name"]), manifest.version
        sources = sorted(up.file for _, up in chosen.values())
        got = self.claims.acquire(edit_claim_key(name, n + 1), self.lease_s, data={"from_version": n,
                                                                                  "files": sources})
        if isinstance(got, Held):
            if got.claim is not None and got.claim.state == "done":
                now = self.erp.get(doctype, name)
                if current_version(now) == n + 1:
                    return EditResult("applied", now, f"v{n + 1} was made from the reviewer's edits")
            if got.claim is None or not got.stale:
                return EditResult("busy", doc, "another run is making the version from the reviewer's edits")
            taken = self.claims.take_over(got.claim, data={"from_version": n, "files": sources})
            if taken is None:
                return EditResult("busy", doc, "another run is making the version from the reviewer's edits")
            claim: Claim = taken
        else:
            claim = got
        try:
            if not self.storage.exists(manifest_key(name, n + 1)):
                self._build(manifest, chosen, contents, call_id)
        except EditRefused as refused:
            self._delete_partial(name, n + 1)
            self.claims.release(claim)
            return self._return_to_review(doctype, doc, refused.problems)
        except BaseException:
            self._delete_partial(name, n + 1)  # a retry builds again (after the lease)
            raise
        self.checkpoint("edited_manifest")
        fresh = self._switch(doctype, doc, n + 1, approval)
        if fresh is None:
            self.claims.release(claim)
            return EditResult("busy", doc, "the order changed while its edited version was made")
        self.claims.advance(claim, "done")
        files = [up.file_name for _, up in chosen.values()]
        lines = [f"Pipeline: v{n + 1} was made from the reviewer's edits of v{n} and is the version delivered:"]
        lines += [f"- {up.file_name} (sha256 {hashlib.sha256(contents[fn]).hexdigest()[:16]}, attached by "
                  f"{up.owner} at {up.creation[:19]}) replaces {fn}" for fn, (_, up) in chosen.items()
                  if fn in contents]
        try:
            self.erp.add_comment(doctype, name, "\n".join(lines))
        except ERPNextError as exc:  # the manifest holds the same facts
            log.warning("edits.comment_failed", order=name, status=exc.status)
        log.info("edits.applied", order=name, version=n + 1, files=len(files))
        return EditResult("applied", fresh, f"v{n + 1} made from {len(files)} edited document(s)", files)

    def _build(self, manifest: VersionManifest, chosen: dict[str, tuple[ManifestFile, Upload]],
               contents: dict[str, bytes], call_id: str) -> None:
        name, n = manifest.order, manifest.version
        prefix = version_prefix(name, n + 1)
        by_stem = {target.key.rsplit("/", 1)[-1].rsplit(".", 1)[0]: (fn, up) for fn, (target, up) in chosen.items()}
        pdfs: dict[str, bytes] = {}
        files: list[dict[str, Any]] = []
        for entry in manifest.files:
            base = entry.key.rsplit("/", 1)[-1]
            stem = base.rsplit(".", 1)[0]
            key = prefix + base
            edit = by_stem.get(stem)
            out = entry.model_dump(mode="json")
            if edit is None:
                data = self.storage.get_bytes(entry.key)  # unchanged: the same bytes in the new version
                if hashlib.sha256(data).hexdigest() != entry.sha256:
                    raise EditRefused([(entry.filename, f"v{n}'s stored file differs from its manifest")])
            else:
                filename, up = edit
                upload = contents[filename]
                if entry.is_pdf:
                    if stem not in pdfs:
                        try:
                            pdfs[stem] = self.convert(upload)
                        except Exception as exc:
                            raise EditRefused([(up.file_name, f"it could not be converted to PDF ("
                                                              f"{type(exc).__name__}: {str(exc)[:200]})")]) from None
                    data = pdfs[stem]
                else:
                    data = upload
                out.update({"edited_by": up.owner, "edited_at": up.creation, "upload_file": up.file_name,
                            "upload_sha256": hashlib.sha256(upload).hexdigest(), "edited_from_version": n})
            ctype = PDF_TYPE if entry.is_pdf else entry.content_type
            self.storage.put_bytes(key, data, ctype)
            out.update({"key": key, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
            files.append(out)
        body = manifest.model_dump(mode="json")
        body.update({"version": n + 1, "files": files, "call_id": call_id,
                     "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                     "edited": {"from_version": n, "files": sorted(up.file for _, up in chosen.values()),
                                "by": sorted({up.owner for _, up in chosen.values()})}})
        data = VersionManifest.model_validate(body).to_json()
        if not self.storage.put_if_absent(manifest_key(name, n + 1), data, "application/json"):
            log.warning("edits.manifest_exists", order=name, version=n + 1)

    def _switch(self, doctype: str, doc: dict[str, Any], version: int,
                approval: dict[str, Any]) -> dict[str, Any] | None:
        """The order moved to `version`, approved as the reviewer approved the version it was edited from; None
        when the order left Approved meanwhile. A compare-and-set: the status stays Approved."""
        name = str(doc["name"])
        values = {"document_version": version, "minio_path": version_prefix(name, version),
                  "approved_version": version, "approved_by": str(approval.get("approved_by") or ""),
                  "approved_on": str(approval.get("approved_on") or "") or None}
        current = doc
        for _ in range(5):
            if current_version(current) == version:
                return current
            if str(current.get("status")) != Status.APPROVED:
                return None
            try:
                return self.erp.update(doctype, name, values, modified=str(current["modified"]))
            except TimestampMismatch:
                current = self.erp.get(doctype, name)
        return None

    def _delete_partial(self, name: str, version: int) -> None:
        prefix = version_prefix(name, version)
        try:
            if self.storage.exists(manifest_key(name, version)):
                return
            for obj in list(self.storage.list(prefix)):
                if obj.key != edit_claim_key(name, version):
                    self.storage.delete(obj.key)
        except Exception as exc:
            log.warning("edits.cleanup_failed", order=name, error=type(exc).__name__)

    def _return_to_review(self, doctype: str, doc: dict[str, Any], problems: list[tuple[str, str]]) -> EditResult:
        """The reason on the order first (a Comment per file), then Approved -> Review: nothing is delivered."""
        name = str(doc["name"])
        for file_name, reason in problems:
            self.erp.add_comment(doctype, name, f"Pipeline: the reviewer's edit {file_name} was not used: {reason}. "
                                 "Nothing was delivered; the order is back in Review: fix or remove the file, "
                                 "then approve again.")
        try:
            result = transition(self.erp, doctype, name, Status.REVIEW, allowed_from={Status.APPROVED})
        except InvalidTransition as exc:
            return EditResult("busy", doc, f"order became {exc.current} meanwhile")
        log.warning("edits.returned", order=name, files=len(problems))
        return EditResult("returned", result.doc, "; ".join(f"{f}: {r}" for f, r in problems),
                          [f for f, _ in problems])
