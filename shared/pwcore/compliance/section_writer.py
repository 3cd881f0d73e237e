"""The LLM-written sections of a compliance order, as generate-doc needs them.

Intake is validated first (an invalid intake fails the order before any LLM call). Sections (structured content,
pwcore.compliance.structured) are cached in
S3 by prompt digest (`llm-cache/<sha256>.json`), so a retried generation pays nothing again and a revision pays
only for the sections the reviewer named: those get the reviewer's note in their prompt (a new digest), the
others keep their prompt and come from the cache.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from minio.error import S3Error

from pwcore.clients.s3 import Storage
from pwcore.compliance import services
from pwcore.compliance.intake import parse_intake
from pwcore.compliance.section_generator import SectionGenerator, section_keys
from pwcore.model.doctypes import next_version
from pwcore.model.layout import llm_cache_key

# (content by section key, as pwcore.compliance.structured.SectionContent dicts; provenance by section key)
SectionWriter = Callable[[dict[str, Any]], tuple[dict[str, dict[str, Any]], dict[str, Any]]]


class S3SectionCache:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def get(self, key: str) -> bytes | None:
        try:
            return self.storage.get_bytes(llm_cache_key(key))
        except S3Error as exc:
            if exc.code in {"NoSuchKey", "NoSuchObject"}:
                return None
            raise

    def put(self, key: str, data: bytes) -> None:
        self.storage.put_bytes(llm_cache_key(key), data, "application/json")


def named_sections(notes: str, keys: list[str]) -> set[str]:
    """Sections a reviewer's note names, by key (`remediation_plan`) or by words (`remediation plan`)."""
    text = notes.lower()
    found = set()
    for key in keys:
        words = key.replace("_", " ")
        if key in text or re.search(rf"\b{re.escape(words)}\b", text):
            found.add(key)
    return found


def revision_plan(doc: dict[str, Any], keys: list[str]) -> tuple[set[str] | None, dict[str, str], int]:
    """(only, guidance, seed_offset) for this generation. A first version writes everything plainly."""
    version = next_version(doc)
    notes = str(doc.get("review_notes") or "").strip()
    if version == 1 or not notes:
        return None, {}, 0
    only = named_sections(notes, keys) or set(keys)
    return only, {key: notes for key in only}, version


def make_section_writer(generator: SectionGenerator) -> SectionWriter:
    def write(doc: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
        service_type = str(doc.get("service_type"))
        intake = parse_intake(service_type, doc.get("intake_data"))
        only, guidance, seed_offset = revision_plan(doc, section_keys(service_type))
        grounding = services.service(service_type).grounding(intake, date.today(), str(doc.get("state") or ""))
        results = generator.generate(service_type, intake, only=only, guidance=guidance or None,
                                     seed_offset=seed_offset, grounding=grounding)
        contents = {key: r.content.model_dump(mode="json") for key, r in results.items()}
        return contents, {key: r.provenance() for key, r in results.items()}

    return write
