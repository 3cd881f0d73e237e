"""DOCX rendering with docxtpl: sandboxed, autoescaped, strict.

- A fresh `SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)` per render: docxtpl mutates
  the environment it is given, and the sandbox keeps templates away from Python internals.
- A fresh `DocxTemplate` per render: it holds mutable state and is not thread-safe.
- Values are data: Jinja renders the template source once; a value containing `{{ }}` is printed, never
  parsed. Autoescape turns `& < > " '` into entities so the WordprocessingML stays well-formed.
- XML-illegal control characters are stripped from every string value (docxtpl 0.20.2 does not); \\a,
  docxtpl's paragraph break, is kept so multi-paragraph plain text keeps its paragraphs.
- Structured LLM sections (`sections.<key>` holding content dicts) are rendered to WordprocessingML by
  pwcore.documents.section_blocks and placed with `{{p sections.<key> }}`; the analysis parts likewise with
  `{{p parts.<key> }}`.
- Style definitions the rendered document does not use are dropped (pwcore.documents.docx_styles): they
  only slow LibreOffice's load.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import Any

import jinja2
from docxtpl import DocxTemplate
from jinja2.sandbox import SandboxedEnvironment

from pwcore.documents.docx_styles import prune_styles
from pwcore.documents.section_blocks import Numbering, prepare_sections

_ILLEGAL_EXCEPT_BEL = re.compile("[\x00-\x06\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_UNDEFINED_PATTERNS = (
    re.compile(r"has no attribute '([^']+)'"),
    re.compile(r"'([^']+)' is undefined"),
    re.compile(r"no element '?([^']+?)'?$"),
)


class TemplateError(Exception):
    """The template itself is broken (syntax error, bad tag). `context` is the nearby template text."""

    def __init__(self, message: str, context: str = "", lineno: int | None = None) -> None:
        super().__init__(f"{message}" + (f" near: {context!r}" if context else ""))
        self.message = message
        self.context = context
        self.lineno = lineno


class TemplateFieldMissing(TemplateError):
    """A value the template needs is not in the context. `field` names it (e.g. "registered_agent")."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"template field missing: {field} ({message})")
        self.field = field


def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(autoescape=True, undefined=jinja2.StrictUndefined)


def sanitize(value: Any) -> Any:
    """Strip XML-illegal characters from every string inside dicts/lists/tuples (copies, never mutates)."""
    if isinstance(value, str):
        return _ILLEGAL_EXCEPT_BEL.sub("", value)
    if isinstance(value, Mapping):
        return {k: sanitize(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [sanitize(v) for v in value]
    return value


def _missing_field(exc: jinja2.UndefinedError) -> str:
    text = str(exc.message or exc)
    for pattern in _UNDEFINED_PATTERNS:
        m = pattern.search(text)
        if m:
            return m.group(1)
    return text


def render_docx(template_bytes: bytes, context: Mapping[str, Any]) -> bytes:
    """Render a docxtpl template with `context`; returns the DOCX bytes.

    Raises TemplateFieldMissing (a needed value is absent) or TemplateError (the template is broken).
    """
    tpl = DocxTemplate(io.BytesIO(template_bytes))
    values = sanitize(dict(context))
    numbering = Numbering(tpl.get_docx())
    for name in ("sections", "parts"):
        if isinstance(values.get(name), dict):
            # Structured LLM sections and the analysis parts become Word paragraphs, lists and tables.
            values[name] = prepare_sections(tpl.get_docx(), values[name], numbering=numbering)
    try:
        tpl.render(values, jinja_env=_environment(), autoescape=True)
    except jinja2.UndefinedError as exc:
        raise TemplateFieldMissing(_missing_field(exc), str(exc.message)) from exc
    except jinja2.TemplateSyntaxError as exc:
        near = " | ".join(s.strip() for s in getattr(exc, "docx_context", []) if s.strip())
        raise TemplateError(f"template syntax error: {exc.message}", near[:300], exc.lineno) from exc
    except jinja2.TemplateError as exc:
        raise TemplateError(f"template error: {exc.message}") from exc
    prune_styles(tpl.docx)  # (get_docx() would reload the template once rendered)
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()


def declared_fields(template_bytes: bytes) -> set[str]:
    """Top-level names the template reads (body, headers, footers), for the lint."""
    tpl = DocxTemplate(io.BytesIO(template_bytes))
    return set(tpl.get_undeclared_template_variables(jinja_env=_environment()))
