"""The version manifest (`orders/{name}/v{n}/manifest.json`) as a typed model (pure).

generate-doc writes it last, with a conditional create: a version exists once its manifest does. deliver and
presign validate it with `VersionManifest.parse` before trusting any key in it: every file key must sit inside
the version's own folder, so a damaged or forged manifest can never point at templates/, backups/ or another
order.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pwcore.model.doctypes import UnsafeName
from pwcore.model.layout import check_key, version_prefix

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_TYPE = "application/pdf"


class ManifestInvalid(ValueError):
    """The manifest is not valid JSON, does not match the model, or describes another order or version."""


class ManifestFile(BaseModel):
    model_config = ConfigDict(extra="allow")

    key: str
    filename: str
    content_type: str = "application/octet-stream"
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    template: str = ""
    template_sha256: str = ""
    template_etag: str = ""

    @property
    def is_pdf(self) -> bool:
        return self.content_type == PDF_TYPE or self.key.endswith(".pdf")


class VersionManifest(BaseModel):
    model_config = ConfigDict(extra="allow")

    order: str
    doctype: str
    version: int = Field(ge=1)
    customer: str | None = None
    generator_version: str = ""
    call_id: str = ""
    created_at: str = ""
    files: list[ManifestFile] = Field(min_length=1)
    timings: dict[str, float] = Field(default_factory=dict)
    sections: dict[str, Any] = Field(default_factory=dict)
    dropped: list[str] = Field(default_factory=list, exclude=True)  # entries parse() left out

    @model_validator(mode="after")
    def _keys_inside_the_version(self) -> VersionManifest:
        prefix = version_prefix(self.order, self.version)
        for entry in self.files:
            try:
                check_key(entry.key, prefix)
            except UnsafeName as exc:
                raise ValueError(f"file {entry.filename!r}: {exc}") from None
        return self

    @property
    def prefix(self) -> str:
        return version_prefix(self.order, self.version)

    def to_json(self) -> bytes:
        return json.dumps(self.model_dump(mode="json"), indent=1, sort_keys=True).encode()

    @classmethod
    def parse(cls, raw: bytes, order: str, version: int, drop_bad_files: bool = False) -> VersionManifest:
        """The manifest of `order` version `version`; raises ManifestInvalid naming what is wrong.

        drop_bad_files (presign): a file entry that is invalid or points outside the version is left out (and
        listed in `dropped`) instead of failing the whole manifest; deliver wants all or nothing."""
        dropped: list[str] = []
        try:
            data = json.loads(raw)
            if drop_bad_files and isinstance(data, dict) and isinstance(data.get("files"), list):
                prefix = version_prefix(order, version)
                kept = []
                for entry in data["files"]:
                    try:
                        check_key(str(ManifestFile.model_validate(entry).key), prefix)
                        kept.append(entry)
                    except (ValidationError, UnsafeName, TypeError):
                        dropped.append(str(entry.get("key") if isinstance(entry, dict) else entry)[:200])
                data["files"] = kept
            manifest = cls.model_validate(data)
        except ValueError as exc:
            if not isinstance(exc, ValidationError):
                raise ManifestInvalid("manifest.json is not valid JSON") from None
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "manifest"
            raise ManifestInvalid(f"manifest.json is invalid ({where}: {err['msg']})") from None
        if manifest.order != order or manifest.version != version:
            raise ManifestInvalid("manifest.json describes another order or version")
        manifest.dropped = dropped
        return manifest
