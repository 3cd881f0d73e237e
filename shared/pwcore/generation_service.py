"""The process-wide Generator of generate-doc, wired from settings (kept apart so tests build their own)."""

from __future__ import annotations

from functools import cache
from typing import Any

from pwcore import config, services
from pwcore.generation import Generator
from pwcore.template_store import TemplateStore


@cache
def _section_writer() -> Any:
    """The LLM side (ollama client, intake models, section specs) loads on the first compliance order only."""
    from pwcore.llm import SectionGenerator
    from pwcore.sections import S3SectionCache, make_section_writer

    llm = SectionGenerator.from_settings(config.load(config.OllamaSettings), cache=S3SectionCache(services.storage()))
    return make_section_writer(llm)


def _write_sections(doc: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
    result: tuple[dict[str, str], dict[str, Any]] = _section_writer()(doc)
    return result


@cache
def generator() -> Generator:
    from pwcore.documents.pdf import get_converter

    return Generator(services.erpnext(), services.storage(), TemplateStore(services.storage()),
                     get_converter().convert, lease_s=services.pipeline().generation_lease_s,
                     timezone=config.load(config.ERPNextSettings).timezone, sections=_write_sections)
