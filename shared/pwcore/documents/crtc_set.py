"""The CRTC document set of one CRTC Order, as generate-doc renders it.

Which documents (`crtc.documents_for`: the registration letter and the compliance summary always, the BITS
licence application only with international services), their compiled clause templates (the `crtc` section of
templates/manifest.json: template id -> file under S3 `templates/`, uploaded by `pw templates upload`) and the
render context (`crtc.document_context`, which refuses an order it cannot word correctly, naming the field).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pwcore.documents import crtc
from pwcore.documents.template_store import PREFIX
from pwcore.model.problems import OrderFailure


@dataclass(frozen=True)
class CrtcPlan:
    template_ids: list[str]
    template_keys: dict[str, str]  # template id -> S3 key
    context: dict[str, Any]


def crtc_templates(manifest: Mapping[str, Any]) -> dict[str, str]:
    """Template id -> S3 key of every CRTC document the manifest configures."""
    entries = (manifest.get("crtc") or {}).get("templates") or {}
    return {str(tid): f"{PREFIX}{entry['file']}" for tid, entry in entries.items()}


def plan(order: Mapping[str, Any], customer: Mapping[str, Any], manifest: Mapping[str, Any]) -> CrtcPlan:
    """The documents this order produces, where their templates are, and what fills them."""
    keys = crtc_templates(manifest)
    wanted = crtc.documents_for(order)
    missing = [t for t in wanted if t not in keys]
    if missing:
        raise OrderFailure(f"no template configured for CRTC document(s) {', '.join(missing)} in "
                           "templates/manifest.json (run tools/make_templates.py and `pw templates upload`)")
    context = crtc.document_context(order, customer)
    return CrtcPlan(wanted, {t: keys[t] for t in wanted}, context)
