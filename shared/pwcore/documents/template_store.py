"""Templates read from S3 `templates/` (uploaded by `pw templates upload`), cached in memory by ETag."""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from typing import Any

from pwcore.clients.s3 import Storage
from pwcore.model.problems import OrderFailure

PREFIX = "templates/"
MANIFEST_KEY = f"{PREFIX}manifest.json"


class TemplateMissing(Exception):
    pass


@dataclass(frozen=True)
class Template:
    key: str
    etag: str
    sha256: str
    data: bytes


class TemplateStore:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._cache: dict[str, Template] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Template:
        """One HEAD per call to notice a re-upload; the body is fetched only when the ETag changed."""
        info = self.storage.stat(key)
        if info is None:
            raise TemplateMissing(f"template object {key} is missing in S3; run `pw templates upload`")
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and cached.etag == info.etag:
            return cached
        data = self.storage.get_bytes(key)
        template = Template(key, info.etag, hashlib.sha256(data).hexdigest(), data)
        with self._lock:
            self._cache[key] = template
        return template

    def manifest(self) -> dict[str, Any]:
        return dict(json.loads(self.get(MANIFEST_KEY).data))


def templates_for(manifest: dict[str, Any], service_key: str) -> list[str]:
    """Template ids of a service, from templates/manifest.json (tools/make_templates.py writes it)."""
    if service_key == "Formation Order":
        return [str(t) for t in manifest.get("formation", {}).get("templates", [])]
    if service_key == "invoice":
        return [str(manifest.get("invoice", {}).get("template", "invoice"))]
    entry = manifest.get("compliance", {}).get(service_key)
    if not entry:
        raise OrderFailure(f"no templates configured for service {service_key!r}")
    # The report first, then the documents built from the same context (the remediation checklist).
    return [str(t) for t in entry.get("documents") or [entry["template"]]]


def template_key(manifest: dict[str, Any], template_id: str) -> str:
    entry = manifest.get("templates", {}).get(template_id) or {}
    return f"templates/{entry.get('file', f'{template_id}.docx')}"


