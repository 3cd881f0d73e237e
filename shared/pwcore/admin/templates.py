"""`pw templates upload`: the local templates/ folder to S3 `templates/`, the way generate-doc reads it."""

from __future__ import annotations

import json
from pathlib import Path

from pwcore.clients.s3 import Storage

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class TemplatesIncomplete(ValueError):
    """The manifest names a template file the folder does not hold."""


def upload_templates(storage: Storage, folder: Path) -> list[str]:
    """Every top-level template, the files the manifest names in sub-folders (the formation documents compiled
    from the clause library live in compiled/), then the JSON files with manifest.json last, so generate-doc
    never reads a manifest naming a template that is not uploaded yet. Returns the relative paths uploaded."""
    paths = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix == ".docx")
    manifest_path = folder / "manifest.json"
    if manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        # The formation and compliance templates (`templates`) and the CRTC set (`crtc.templates`).
        listed = [*manifest.get("templates", {}).values(), *(manifest.get("crtc") or {}).get("templates", {}).values()]
        for entry in listed:
            named = Path(str(entry.get("file", "")))
            path = folder / named
            if ".." in named.parts or named.is_absolute() or not path.is_file():
                raise TemplatesIncomplete(f"{manifest_path} names {entry.get('file')!r}, which is not in {folder}")
            if path not in paths:
                paths.append(path)
    paths += sorted((p for p in folder.iterdir() if p.is_file() and p.suffix == ".json"),
                    key=lambda p: p.name == "manifest.json")
    uploaded = []
    for path in paths:
        rel = path.relative_to(folder).as_posix()
        storage.put_bytes(f"templates/{rel}", path.read_bytes(), "application/json" if path.suffix == ".json" else DOCX)
        uploaded.append(rel)
    return uploaded
