"""LLM sections as structured data: what the model must answer, validated before anything is rendered.

The model answers with one JSON object (Ollama's `format` parameter carries the JSON schema of the models
below, so the server constrains decoding to it). The answer is parsed and validated here; an answer that is
not JSON, is cut off or breaks the schema is a failed attempt (retried a bounded number of times by
pwcore.compliance.section_generator, then the order fails with the reason). The validated content is what the
S3 section cache stores and what pwcore.documents.section_blocks renders as real Word paragraphs, list
numbering and tables.

A section is a list of blocks (paragraph, bullet list, numbered list, table). Sections whose spec says
`findings = true` also carry findings (requirement, gap, action, owner, due, priority, authority): the report
prints them as a table and the remediation checklist of the order lists them, one row each. Every string and
list is bounded, so a runaway answer cannot grow a document (or memory) without limit.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=3000)]
Item = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=800)]
CELL_MAX = 400
Cell = Annotated[str, StringConstraints(strip_whitespace=True, max_length=CELL_MAX)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=400)]
Tiny = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]

MAX_BLOCKS = 40
MAX_FINDINGS = 25
MAX_REASON_CHARS = 200
Priority = Literal["High", "Medium", "Low"]
PRIORITIES: tuple[str, ...] = ("High", "Medium", "Low")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Paragraph(_Strict):
    type: Literal["paragraph"]
    text: Text


class BulletList(_Strict):
    type: Literal["bullets"]
    items: Annotated[list[Item], Field(min_length=1, max_length=20)]


class NumberedList(_Strict):
    type: Literal["numbered"]
    items: Annotated[list[Item], Field(min_length=1, max_length=20)]


class Table(_Strict):
    type: Literal["table"]
    headers: Annotated[list[Tiny], Field(min_length=2, max_length=6)]
    rows: Annotated[list[Annotated[list[Cell], Field(min_length=2, max_length=6)]], Field(min_length=1, max_length=30)]

    @model_validator(mode="before")
    @classmethod
    def _rectangular(cls, data: Any) -> Any:
        # A schema cannot say "one cell per header", so models get it wrong: short rows are padded, surplus
        # cells are joined into the last one (cut at the cell limit, marked with an ellipsis).
        if not isinstance(data, dict) or not isinstance(data.get("headers"), list):
            return data
        width = len(data["headers"])
        rows = data.get("rows")
        if not isinstance(rows, list) or width < 1:
            return data
        fixed = []
        for row in rows:
            if not isinstance(row, list) or not all(isinstance(c, str) for c in row):
                fixed.append(row)
                continue
            if len(row) < width:
                row = row + [""] * (width - len(row))
            elif len(row) > width:
                merged = "; ".join(c for c in row[width - 1:] if c)
                row = [*row[: width - 1], merged if len(merged) <= CELL_MAX else merged[: CELL_MAX - 1] + "\u2026"]
            fixed.append(row)
        return {**data, "rows": fixed}


Block = Annotated[Paragraph | BulletList | NumberedList | Table, Field(discriminator="type")]


class Finding(_Strict):
    """One gap and what to do about it (the fields the remediation checklist prints, in its column order)."""

    requirement: Short
    gap: Short
    action: Short
    owner: Tiny
    due: Tiny  # "within 30 days", "before the next payroll run" or a date
    priority: Priority
    authority: Short  # the rule cited, e.g. "29 C.F.R. 541.600"


class SectionBody(_Strict):
    """The answer of a section without findings."""

    blocks: Annotated[list[Block], Field(min_length=1, max_length=MAX_BLOCKS)]


class SectionWithFindings(SectionBody):
    """The answer of a section whose spec asks for findings: at least one."""

    findings: Annotated[list[Finding], Field(min_length=1, max_length=MAX_FINDINGS)]


class SectionContent(_Strict):
    """What is stored (cache, manifest samples) and rendered: blocks plus findings (empty when not asked for)."""

    blocks: Annotated[list[Block], Field(min_length=1, max_length=MAX_BLOCKS)]
    findings: Annotated[list[Finding], Field(max_length=MAX_FINDINGS)] = []

    @classmethod
    def from_text(cls, text: str) -> SectionContent:
        """Plain text (blank-line separated paragraphs) as content: the samples' and older callers' shape."""
        norm = text.replace("\r\n", "\n").replace("\r", "\n")
        paras = [" ".join(p.split()) for p in re.split(r"\n\s*\n", norm) if p.strip()]
        return cls(blocks=[Paragraph(type="paragraph", text=p[:3000]) for p in paras] or
                   [Paragraph(type="paragraph", text="(empty)")])

    def strings(self) -> list[str]:
        """Every text the model wrote, in order (for the answer checks and word counts)."""
        out: list[str] = []
        for block in self.blocks:
            if isinstance(block, Paragraph):
                out.append(block.text)
            elif isinstance(block, BulletList | NumberedList):
                out.extend(block.items)
            else:
                out.extend(block.headers)
                out.extend(cell for row in block.rows for cell in row)
        for f in self.findings:
            out.extend([f.requirement, f.gap, f.action, f.owner, f.due, f.authority])
        return out

    def plain_text(self) -> str:
        """The content as plain text, blocks separated by blank lines (logs, tests, the demo)."""
        parts: list[str] = []
        for block in self.blocks:
            if isinstance(block, Paragraph):
                parts.append(block.text)
            elif isinstance(block, BulletList):
                parts.append("\n".join(f"- {i}" for i in block.items))
            elif isinstance(block, NumberedList):
                parts.append("\n".join(f"{n}. {i}" for n, i in enumerate(block.items, 1)))
            else:
                parts.append("\n".join(" | ".join(r) for r in [block.headers, *block.rows]))
        for f in self.findings:
            parts.append(f"[{f.priority}] {f.requirement}: {f.gap} -> {f.action} ({f.owner}, {f.due}; {f.authority})")
        return "\n\n".join(parts)

    def word_count(self) -> int:
        return sum(len(s.split()) for s in self.strings())


class AnswerInvalid(ValueError):
    """The model's answer is not usable content; the message names the problem, never the answer's text."""


def _strip_titles(node: Any) -> Any:
    # Titles are noise in the prompt-side schema (and in the grammar Ollama builds from it).
    if isinstance(node, dict):
        return {k: _strip_titles(v) for k, v in node.items() if k != "title"}
    if isinstance(node, list):
        return [_strip_titles(v) for v in node]
    return node


@cache
def _schema(with_findings: bool) -> str:
    model = SectionWithFindings if with_findings else SectionBody
    return json.dumps(_strip_titles(model.model_json_schema()), sort_keys=True)


def answer_schema(with_findings: bool) -> dict[str, Any]:
    """The JSON schema sent as Ollama's `format` (a fresh copy: callers may not mutate the cached one)."""
    schema: dict[str, Any] = json.loads(_schema(with_findings))
    return schema


def parse_answer(text: str, with_findings: bool) -> SectionContent:
    """The model's JSON text -> content, or AnswerInvalid saying why (truncated, not JSON, off-schema)."""
    body = text.strip()
    if not body:
        raise AnswerInvalid("empty answer")
    try:
        raw = json.loads(body)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(body) - 1 or body.count("{") > body.count("}"):
            raise AnswerInvalid("answer is truncated JSON (the object never closes)") from None
        raise AnswerInvalid(f"answer is not valid JSON ({exc.msg} at character {exc.pos})") from None
    model = SectionWithFindings if with_findings else SectionBody
    try:
        parsed = model.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_input=False, include_url=False)[:4]:
            where = ".".join(str(p) for p in err["loc"]) or "answer"
            problems.append(f"{where}: {err['msg']}")
        raise AnswerInvalid(("answer does not match the section schema: " + "; ".join(problems))[:MAX_REASON_CHARS]
                            ) from None
    findings = list(parsed.findings) if isinstance(parsed, SectionWithFindings) else []
    return SectionContent(blocks=list(parsed.blocks), findings=findings)
