"""File attachments as Frappe v15 handles them: `POST /api/method/upload_file` and `/private/files/<name>`.

- upload_file (frappe/handler.py): multipart `file` (or `file_url`), `doctype`, `docname`, `fieldname`,
  `is_private` (default 0), `folder` (default Home), `file_name`. The caller needs write permission on the
  document it attaches to. Answers the File document as `message`.
- The File: `file_name`, `file_url` (`/private/files/<name>` when private, `/files/<name>` otherwise),
  `is_private`, `attached_to_doctype`, `attached_to_name`, `attached_to_field`, `file_size`, `content_hash`
  (md5 of the content, as Frappe stores it). A name already taken on the site gets a short random suffix
  before the extension, as Frappe's get_unique_file_name does.
- A private file is served only to a logged-in user who owns the File, is Administrator, or may read the
  document it is attached to (File.has_permission); anyone else gets 403. Public files are served to anyone.
- Deleting the File document removes its content.
The content lives in memory (a stand-in's lifetime is a test run).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from .errors import FrappeError, throw
from .meta import cint

if TYPE_CHECKING:
    from .app import ERPNextStandin

MAX_FILE_SIZE = 25 * 1024 * 1024  # Frappe's default max_file_size (System Settings)


class FileStore:
    def __init__(self) -> None:
        self._content: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def put(self, url: str, data: bytes) -> None:
        with self._lock:
            self._content[url] = data

    def get(self, url: str) -> bytes | None:
        with self._lock:
            return self._content.get(url)

    def taken(self, url: str) -> bool:
        with self._lock:
            return url in self._content

    def drop(self, url: str) -> None:
        with self._lock:
            self._content.pop(url, None)


def _unique_url(files: FileStore, file_name: str, private: bool) -> tuple[str, str]:
    base = "/private/files/" if private else "/files/"
    name = file_name
    while files.taken(base + name):
        stem, dot, ext = file_name.rpartition(".")
        suffix = secrets.token_hex(3)
        name = f"{stem}{suffix}.{ext}" if dot else f"{file_name}{suffix}"
    return name, base + name


def upload_file(app: ERPNextStandin, req: Request, form: dict[str, Any], username: str) -> dict[str, Any]:
    if username == "Guest":
        raise FrappeError("PermissionError", "Not permitted")
    doctype, docname = form.get("doctype"), form.get("docname")
    private = bool(cint(form.get("is_private") or 0))
    upload = req.files.get("file")
    if upload is not None:
        data = upload.read()
        file_name = str(form.get("file_name") or upload.filename or "")
    elif form.get("file_url"):
        data = b""
        file_name = str(form.get("file_name") or str(form["file_url"]).rsplit("/", 1)[-1])
    else:
        raise throw("ValidationError", "No file attached")
    if not file_name or "/" in file_name or "\\" in file_name or file_name.startswith("."):
        raise throw("ValidationError", f"File name {file_name!r} is not allowed")
    if len(data) > MAX_FILE_SIZE:
        raise throw("MaxFileSizeReachedError", "File size exceeded the maximum allowed size of 25.0 MB")
    if doctype and docname:
        target = app.store.get(str(doctype), str(docname))
        app.perms.check(username, str(doctype), "write", target)
    if upload is not None:
        file_name, url = _unique_url(app.files, file_name, private)
    else:
        url = str(form["file_url"])
    doc = {"file_name": file_name, "file_url": url, "is_private": int(private),
           "folder": str(form.get("folder") or "Home"), "attached_to_doctype": doctype or None,
           "attached_to_name": docname or None, "attached_to_field": form.get("fieldname") or None,
           "file_size": len(data), "content_hash": hashlib.md5(data).hexdigest() if data else None}
    with app.store.txn(username) as t:
        out = app.store.insert(t, "File", doc)
    if upload is not None:
        app.files.put(url, data)
    return out


def serve(app: ERPNextStandin, req: Request, username: str) -> Response:
    url = req.path
    data = app.files.get(url)
    rows = app.store.query("File", fields=["name", "owner", "attached_to_doctype", "attached_to_name"],
                           filters={"file_url": url}, page_length=1)
    if data is None or not rows:
        return Response("Not Found", status=404)
    if url.startswith("/private/"):
        row = rows[0]
        allowed = username == "Administrator" or (username != "Guest" and row.get("owner") == username)
        if not allowed and username != "Guest" and row.get("attached_to_doctype") and row.get("attached_to_name"):
            try:
                ref = app.store.get(str(row["attached_to_doctype"]), str(row["attached_to_name"]))
                app.perms.check(username, str(row["attached_to_doctype"]), "read", ref)
                allowed = True
            except FrappeError:
                allowed = False
        if not allowed:
            return Response("Forbidden", status=403)
    name = url.rsplit("/", 1)[-1]
    return Response(data, mimetype="application/octet-stream",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})
