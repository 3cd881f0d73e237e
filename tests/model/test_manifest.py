"""The version manifest as a typed model: written by generation, validated by delivery and presign."""

from __future__ import annotations

import hashlib
import json

import pytest

from pwcore.model.manifest import ManifestInvalid, VersionManifest

SHA = hashlib.sha256(b"x").hexdigest()


def manifest(**over: object) -> VersionManifest:
    base: dict[str, object] = {
        "order": "FO-2026-0001", "doctype": "Formation Order", "version": 2,
        "files": [{"key": "orders/FO-2026-0001/v2/operating-agreement.pdf", "filename": "oa.pdf",
                   "content_type": "application/pdf", "size": 1, "sha256": SHA}],
    }
    base.update(over)
    return VersionManifest.model_validate(base)


def test_round_trip() -> None:
    m = manifest()
    again = VersionManifest.parse(m.to_json(), "FO-2026-0001", 2)
    assert again.files[0].is_pdf and again.prefix == "orders/FO-2026-0001/v2/"


def test_another_order_or_version_is_refused() -> None:
    raw = manifest().to_json()
    with pytest.raises(ManifestInvalid):
        VersionManifest.parse(raw, "FO-2026-0002", 2)
    with pytest.raises(ManifestInvalid):
        VersionManifest.parse(raw, "FO-2026-0001", 1)


@pytest.mark.parametrize("raw", [b"not json", b"{}", b'{"order": "FO-1", "doctype": "x", "version": 1, "files": []}'])
def test_invalid_manifests(raw: bytes) -> None:
    with pytest.raises(ManifestInvalid):
        VersionManifest.parse(raw, "FO-1", 1)


def test_a_key_outside_the_version_is_refused() -> None:
    bad = manifest().model_dump()
    bad["files"][0]["key"] = "templates/operating-agreement.docx"
    with pytest.raises(ManifestInvalid, match="outside"):
        VersionManifest.parse(json.dumps(bad).encode(), "FO-2026-0001", 2)
