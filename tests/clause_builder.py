"""The clause builder (tools/build_clause_templates.py) as the tests load it: a tool script, not a package module,
so it is imported from its file once (a unique module name: no clash with the conftests)."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from types import ModuleType

from pwcore.documents import clauses

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "templates" / "clauses"
BUILDER = ROOT / "tools" / "build_clause_templates.py"


@cache
def tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_clause_templates", BUILDER)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@cache
def compiled(doc: str) -> bytes:
    """The DOCX template the builder makes from the clause document `doc` (a folder of templates/clauses)."""
    data: bytes = tool().compile_document(clauses.load_document(LIBRARY / doc))
    return data
