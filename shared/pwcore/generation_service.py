"""The process-wide Generator of generate-doc, wired from settings (kept apart so tests build their own)."""

from __future__ import annotations

from functools import cache

from pwcore import config, services
from pwcore.generation import Generator
from pwcore.template_store import TemplateStore


@cache
def generator() -> Generator:
    from pwcore.documents.pdf import get_converter

    pipeline = services.pipeline()
    erp_settings = config.load(config.ERPNextSettings)
    from pwcore.llm import SectionGenerator
    from pwcore.sections import S3SectionCache, make_section_writer

    converter = get_converter()
    llm = SectionGenerator.from_settings(config.load(config.OllamaSettings), cache=S3SectionCache(services.storage()))
    return Generator(services.erpnext(), services.storage(), TemplateStore(services.storage()), converter.convert,
                     lease_s=pipeline.generation_lease_s, timezone=erp_settings.timezone,
                     sections=make_section_writer(llm))
