"""Templates read from S3 `templates/` (uploaded by `pw templates upload`), cached in memory by ETag."""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from typing import Any

from pwcore.storage import Storage

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
