"""The documents of a compliance order: its templates, the LLM-written sections and the render context.

One function for generate-doc (pwcore.steps.generation) and `pw preview` (pwcore.admin.render), so a preview shows
what an order would get: the same section writer (pwcore.compliance.section_writer), the same context
(`compliance_context`) and the templates the manifest lists for the service (the report, then the documents built
from the same context, e.g. the remediation checklist).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pwcore.documents.context import compliance_context
from pwcore.documents.template_store import templates_for

# Compliance Service document -> (section content by key, provenance by key); see section_writer.SectionWriter.
WriteSections = Callable[[dict[str, Any]], tuple[dict[str, dict[str, Any]], dict[str, Any]]]


@dataclass(frozen=True)
class CompliancePlan:
    template_ids: list[str]
    context: dict[str, Any]
    sections: dict[str, Any]  # provenance by section key: the manifest's "sections", the review Comment's source
    llm_ms: float


def plan(doc: dict[str, Any], customer: Mapping[str, Any], manifest_tpl: dict[str, Any],
         write_sections: WriteSections) -> CompliancePlan:
    """Write the order's sections and build the context of every template of its service."""
    template_ids = templates_for(manifest_tpl, str(doc.get("service_type")))
    t0 = time.perf_counter()
    texts, meta = write_sections(doc)
    llm_ms = (time.perf_counter() - t0) * 1000
    return CompliancePlan(template_ids, compliance_context(doc, customer, texts), meta, llm_ms)
