"""Frappe / ERPNext REST client (v1 API) over httpx.

Frappe v1 facts this follows: token auth; `{"data": ...}` and
`{"message": ...}` envelopes; list pages default to 20 rows, so we always paginate with explicit
limit_start / limit_page_length; errors carry `exc_type` and `_server_messages`; a stale `modified` in a PUT
fails with TimestampMismatchError (HTTP 417, not 409), which is our compare-and-set. Retries (tenacity) only
on what a retry can fix: connection errors, timeouts, 429 and 5xx. Never on 4xx: they are our bug or a
business answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict
from tenacity import (
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from pwcore.clients.tls import context_for
from pwcore.logs import get_logger, register_secret
from pwcore.settings import Settings


class ERPNextSettings(Settings):
    model_config = SettingsConfigDict(env_prefix="ERPNEXT_")
    url: str
    api_key: SecretStr
    api_secret: SecretStr
    timeout_s: float = 10.0
    retries: int = 4
    timezone: str = "America/Chicago"


Filters = Mapping[str, Any] | list[list[Any]] | list[tuple[Any, ...]]

log = get_logger("pwcore.erpnext")


class ERPNextError(Exception):
    """An error answer from Frappe. `message` is Frappe's user-facing text, never our credentials."""

    def __init__(self, status: int, exc_type: str = "", message: str = "") -> None:
        self.status = status
        self.exc_type = exc_type
        self.message = message
        super().__init__(f"ERPNext {status} {exc_type}: {message}".strip())

    @property
    def transient(self) -> bool:
        """Unreachable (status 0), rate limited or a server error: a later retry can succeed."""
        return self.status == 0 or self.status == 429 or self.status >= 500

    def refusal(self) -> dict[str, Any]:
        """What ERPNext refused, for an operator: exc_type, and for a PermissionError the DocType and the
        permission missing, as far as Frappe's messages name them (observed v15 wording)."""
        out: dict[str, Any] = {"erpnext_status": self.status, "exc_type": self.exc_type or None}
        text = self.message
        need = re.search(r"You need the '(\w+)' permission on (?:<strong>)?([A-Z][\w ]*?)(?:</strong>)? \S+ to", text)
        role = re.search(r"does not have doctype access via role permission for document (?:<strong>)?"
                         r"([^<]+?)(?:</strong>|$|;)", text)
        plain = re.search(r"No permission for (?:<strong>)?([^<;]+?)(?:</strong>|$|;)", text)
        if need:
            out["permission"], out["doctype"] = need.group(1), need.group(2).strip()
        elif role:
            out["doctype"] = role.group(1).strip()
        elif plain:
            out["doctype"] = plain.group(1).strip()
        if self.status == 403 and "doctype" in out:
            out.setdefault("permission", "read")
        out["detail"] = re.sub(r"</?strong>", "", text)[:300]
        return out


class AuthError(ERPNextError):
    pass


class Forbidden(ERPNextError):
    pass


class NotFound(ERPNextError):
    pass


class ValidationFailed(ERPNextError):
    pass


class TimestampMismatch(ValidationFailed):
    """Someone else wrote the document since we read it (the CAS lost)."""


class DuplicateEntry(ERPNextError):
    pass


class RateLimited(ERPNextError):
    pass


class ServerError(ERPNextError):
    pass


class Unreachable(ERPNextError):
    """Connection refused/reset or timed out, after retries."""


def _server_messages(body: Mapping[str, Any]) -> str:
    texts = _messages(body)
    # Frappe's _error_message names the permission missing ("You need the 'write' permission on ..."): kept
    # beside the server messages, which only name the DocType.
    extra = str(body.get("_error_message") or "")
    if extra and texts and extra not in texts:
        texts.append(extra)
    return "; ".join(t for t in texts if t)


def _messages(body: Mapping[str, Any]) -> list[str]:
    raw = body.get("_server_messages")
    texts: list[str] = []
    if isinstance(raw, str):
        try:
            for item in json.loads(raw):
                try:
                    texts.append(str(json.loads(item).get("message", "")))
                except (ValueError, AttributeError):
                    texts.append(str(item))
        except ValueError:
            texts.append(raw)
    if not texts and body.get("_error_message"):
        texts.append(str(body["_error_message"]))
    if not texts and body.get("exception"):
        texts.append(str(body["exception"]))
    return [t for t in texts if t]


def error_from_response(response: httpx.Response) -> ERPNextError:
    status = response.status_code
    try:
        body = response.json()
        if not isinstance(body, dict):
            body = {}
    except ValueError:
        body = {}
    exc_type = str(body.get("exc_type", ""))
    message = _server_messages(body) or (response.text[:200] if not body else "")
    if exc_type == "TimestampMismatchError":
        return TimestampMismatch(status, exc_type, message)
    cls: type[ERPNextError]
    if status == 401:
        cls = AuthError
    elif status == 403:
        cls = Forbidden
    elif status == 404:
        cls = NotFound
    elif status == 409:
        cls = DuplicateEntry
    elif status == 429:
        cls = RateLimited
    elif status >= 500:
        cls = ServerError
    elif status in (400, 417) or 400 <= status < 500:
        cls = ValidationFailed
    else:
        cls = ERPNextError
    return cls(status, exc_type, message)


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, httpx.TransportError) or (isinstance(exc, ERPNextError) and exc.transient)


class ERPNext:
    """One client per process; httpx.Client is thread-safe and keeps connections alive."""

    def __init__(
        self,
        url: str,
        api_key: str,
        api_secret: str,
        timeout_s: float = 10.0,
        retries: int = 4,
        max_wait_s: float = 2.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        register_secret(api_secret)
        self.base_url = url.rstrip("/")
        self.retries = max(1, retries)
        self.max_wait_s = max_wait_s
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0)),
            headers={"Authorization": f"token {api_key}:{api_secret}", "Accept": "application/json"},
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
            verify=context_for(self.base_url),
            transport=transport,  # a unit test passes httpx.MockTransport: no socket
        )

    @classmethod
    def from_settings(cls, s: ERPNextSettings) -> ERPNext:
        return cls(s.url, s.api_key.get_secret_value(), s.api_secret.get_secret_value(), s.timeout_s, s.retries)

    def close(self) -> None:
        self._http.close()

    # -- transport -------------------------------------------------------------------------------------
    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        def once() -> Any:
            response = self._http.request(method, path, **kwargs)
            if response.status_code >= 400:
                raise error_from_response(response)
            return response.json() if response.content else {}

        retrying = Retrying(
            stop=stop_after_attempt(self.retries),
            wait=wait_exponential_jitter(multiplier=0.1, max=self.max_wait_s),
            retry=retry_if_exception(_retryable),
            reraise=True,
        )
        try:
            return retrying(once)
        except httpx.TransportError as exc:
            raise Unreachable(0, type(exc).__name__, f"{method} {self.base_url}: {type(exc).__name__}") from None

    @staticmethod
    def _doc_path(doctype: str, name: str | None = None) -> str:
        path = f"/api/resource/{quote(doctype, safe='')}"
        return f"{path}/{quote(name, safe='')}" if name is not None else path

    # -- documents -------------------------------------------------------------------------------------
    def get(self, doctype: str, name: str) -> dict[str, Any]:
        return dict(self._request("GET", self._doc_path(doctype, name))["data"])

    def list_page(
        self,
        doctype: str,
        fields: list[str] | None = None,
        filters: Filters | None = None,
        order_by: str | None = None,
        limit_start: int = 0,
        limit_page_length: int = 500,
        or_filters: Filters | None = None,
    ) -> list[dict[str, Any]]:
        params: dict[str, Any] = {
            "fields": json.dumps(fields or ["name"]),
            "limit_start": limit_start,
            "limit_page_length": limit_page_length,
        }
        if filters:
            params["filters"] = json.dumps(filters)
        if or_filters:
            params["or_filters"] = json.dumps(or_filters)
        if order_by:
            params["order_by"] = order_by
        return list(self._request("GET", self._doc_path(doctype), params=params)["data"])

    def list(
        self,
        doctype: str,
        fields: list[str] | None = None,
        filters: Filters | None = None,
        order_by: str = "name asc",
        page_length: int = 500,
        or_filters: Filters | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every matching row, one page at a time (memory stays flat).

        Pages by offset, so order by a stable key (default `name asc`); rows that move in or out of the
        filter while we page may be seen twice or missed, which every caller tolerates because it re-checks
        the row before writing and the next sweep catches what was missed.
        """
        start = 0
        while True:
            page = self.list_page(doctype, fields, filters, order_by, start, page_length, or_filters)
            yield from page
            if len(page) < page_length:
                return
            start += page_length

    def count(self, doctype: str, filters: Filters | None = None) -> int:
        params: dict[str, Any] = {"doctype": doctype}
        if filters:
            params["filters"] = json.dumps(filters)
        return int(self.call("frappe.client.get_count", **params))

    def insert(self, doctype: str, doc: Mapping[str, Any]) -> dict[str, Any]:
        return dict(self._request("POST", self._doc_path(doctype), json=dict(doc))["data"])

    def update(
        self, doctype: str, name: str, values: Mapping[str, Any], modified: str | None = None
    ) -> dict[str, Any]:
        """PUT; with `modified` it is a compare-and-set that raises TimestampMismatch when stale."""
        body = dict(values)
        if modified is not None:
            body["modified"] = modified
        return dict(self._request("PUT", self._doc_path(doctype, name), json=body)["data"])

    def delete(self, doctype: str, name: str) -> None:
        self._request("DELETE", self._doc_path(doctype, name))

    def add_comment(self, doctype: str, name: str, content: str) -> dict[str, Any]:
        body = {"comment_type": "Comment", "reference_doctype": doctype, "reference_name": name,
                "content": content}
        return dict(self._request("POST", self._doc_path("Comment"), json=body)["data"])

    def upload_file(self, doctype: str, name: str, file_name: str, data: bytes, content_type: str, *,
                    is_private: bool = True, folder: str = "Home/Attachments") -> dict[str, Any]:
        """Attach `data` to the document as a File (Frappe's upload_file; needs write on the document).
        Returns the File (file_url under /private/files/ when private: served only to users who may read it)."""
        form = {"doctype": doctype, "docname": name, "is_private": str(int(is_private)), "folder": folder,
                "file_name": file_name}
        body = self._request("POST", "/api/method/upload_file", data=form,
                             files={"file": (file_name, data, content_type)})
        return dict(body.get("message") or {})

    def file_content(self, file_url: str) -> bytes:
        """The content of a File by its file_url (/private/files/... needs read on the attached document)."""
        if not file_url.startswith(("/private/files/", "/files/")) or ".." in file_url:
            raise ValueError("not a Frappe file URL")

        def once() -> bytes:
            response = self._http.get(file_url)
            if response.status_code >= 400:
                raise error_from_response(response)
            return response.content

        try:
            return Retrying(stop=stop_after_attempt(self.retries),
                            wait=wait_exponential_jitter(multiplier=0.1, max=self.max_wait_s),
                            retry=retry_if_exception(_retryable), reraise=True)(once)
        except httpx.TransportError as exc:
            raise Unreachable(0, type(exc).__name__, f"GET {self.base_url}: {type(exc).__name__}") from None

    def call(self, method: str, http: str = "GET", **params: Any) -> Any:
        path = f"/api/method/{method}"
        if http == "GET":
            body = self._request("GET", path, params=params)
        else:
            body = self._request(http, path, json=params)
        return body.get("message")

    def logged_user(self) -> str:
        return str(self.call("frappe.auth.get_logged_user"))
