"""The template registry: templates/manifest.json (which service uses which template, section keys,
sample contexts) and the template files next to it."""

from __future__ import annotations

import hashlib
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel


class TemplateSpec(BaseModel):
    name: str
    file: str
    context: str  # "formation" | "compliance" | "invoice" (key of context.MODELS)
    service_type: str | None = None
    sections: list[str] = []
    sha256: str
    sample: dict[str, Any]


def templates_dir() -> Path:
    """$PW_TEMPLATES_DIR, else the repository's templates/ folder."""
    env = os.environ.get("PW_TEMPLATES_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "templates"


@cache
def _load(path: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return data


def manifest(directory: Path | None = None) -> dict[str, Any]:
    return _load(str((directory or templates_dir()) / "manifest.json"))


def template(name: str, directory: Path | None = None) -> TemplateSpec:
    entry = manifest(directory)["templates"][name]
    return TemplateSpec(name=name, **entry)


def template_names(directory: Path | None = None) -> list[str]:
    return sorted(manifest(directory)["templates"])


def templates_for(doctype: str, kind: str | None = None, directory: Path | None = None) -> list[str]:
    """Template names for an order: ("Formation Order", entity_type), ("Compliance Service", service_type)
    or ("Sales Invoice", None)."""
    m = manifest(directory)
    if doctype == "Formation Order":
        if kind is not None and kind not in m["formation"]["entity_types"]:
            raise KeyError(f"no formation template for entity type {kind!r}")
        return list(m["formation"]["templates"])
    if doctype == "Compliance Service":
        if kind not in m["compliance"]:
            raise KeyError(f"no compliance template for service type {kind!r}")
        entry = m["compliance"][kind]
        return list(entry.get("documents") or [entry["template"]])
    if doctype == "Sales Invoice":
        return [m["invoice"]["template"]]
    raise KeyError(f"no templates for doctype {doctype!r}")


def section_keys(service_type: str, directory: Path | None = None) -> list[str]:
    keys: list[str] = manifest(directory)["compliance"][service_type]["sections"]
    return list(keys)


def template_bytes(name: str, directory: Path | None = None) -> bytes:
    spec = template(name, directory)
    return ((directory or templates_dir()) / spec.file).read_bytes()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()

