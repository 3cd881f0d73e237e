"""Parse a clause library (templates/clauses/<document-id>/) into a list of blocks; pure, no DOCX here.

The markup is a small strict subset described in templates/clauses/README.md. Anything outside it is
refused with `ClauseSyntaxError("<file>:<line>: <what is wrong>")`, so a wording change that would
render wrong (a split tag, a hand-written section number, an unclosed block) fails at build time, not in
a customer's document. tools/build_clause_templates.py turns the blocks into a docxtpl DOCX.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

# --- blocks -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Where:
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class TextBlock:
    """A block that is one paragraph's text, and where it starts."""

    text: str
    where: Where


@dataclass(frozen=True)
class Article(TextBlock):
    """A `# ` article heading; Word numbers it."""


@dataclass(frozen=True)
class Section:
    heading: str  # run-in heading including its final "."
    text: str
    where: Where


@dataclass(frozen=True)
class Para(TextBlock):
    style: str = "body"  # body | center | right (set by `::: center` / `::: right` blocks)


@dataclass(frozen=True)
class Item(TextBlock):
    """A lettered sub-paragraph "(a) ..."; the builder numbers it."""


@dataclass(frozen=True)
class Bullet(TextBlock):
    """A `- ` list item."""


@dataclass(frozen=True)
class Control:
    """A whole-paragraph Jinja control tag (if/elif/else/endif/for/endfor), emitted as `{%p ... %}`."""

    tag: str  # e.g. "if single_member", "endif"
    where: Where


@dataclass(frozen=True)
class Table:
    loop: str  # list variable
    headers: tuple[str, ...]
    cells: tuple[str, ...]
    total: tuple[str, ...] | None
    widths: tuple[float, ...] | None
    where: Where


@dataclass(frozen=True)
class Facts:
    rows: tuple[tuple[str, str, str | None], ...]  # label, value, optional condition
    where: Where


@dataclass(frozen=True)
class Signature:
    variable: str
    one: bool  # `::: signature one <signer>`: a single signer object, not a list of items with `.signer`
    where: Where


@dataclass(frozen=True)
class PageBreak:
    where: Where


Block = Article | Section | Para | Item | Bullet | Control | Table | Facts | Signature | PageBreak


@dataclass(frozen=True)
class ClauseFile:
    path: Path
    when: str | None
    note: str
    sources: tuple[str, ...]
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class DocumentSpec:
    id: str
    filename: str
    title: str
    header: str
    footer: str
    applies_to: tuple[str, ...]
    when: str | None
    subtitle: tuple[str, ...]
    files: tuple[ClauseFile, ...] = field(default_factory=tuple)
    folder: Path | None = None


class ClauseSyntaxError(ValueError):
    """Bad markup; the message starts with `file:line:`."""

    def __init__(self, where: Where | str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


# --- inline checks ------------------------------------------------------------------------------------

ENTITY_KINDS = frozenset({"llc", "corporation", "nonprofit", "crtc"})
_DOC_KEYS = {"id", "filename", "title", "header", "footer", "applies_to", "when", "parts", "subtitle"}
_FRONT_KEYS = {"when", "note", "sources"}
_CONTROL_LINE = re.compile(r"^\{%-?\s*(if|elif|else|endif|for|endfor)\b([^%{}]*?)-?%\}$")
_INLINE_TAG = re.compile(r"\{%-?\s*(\w+)(.*?)-?%\}")
_VAR_TAG = re.compile(r"\{\{(.*?)\}\}")
_ALLOWED_FILTERS = {"upper"}
# "Section 3.2" / "Article IV" / "section 4" of this document are refused; citations of other law are not:
# "Code Section 704(b)", "Treasury Regulations Section 1.704-1", "Section 501(c)(3)", "Section 4958 of the
# Internal Revenue Code", "Article 9 of the Uniform Commercial Code".
_NUMBERED_REF = re.compile(
    r"(?<!Regulations )(?<!Code )(?<!Regulation )(?<!Code Sections )(?<!§ )"
    r"\b(Section|Sections|Article|Articles|Paragraph|Schedule)\s+"
    r"(\d+(\.\d+)?(?![\d(-]|\.\d)|[IVXL]+\b)"
    r"(?!\s+of\s+the\s+[A-Z])",
    re.IGNORECASE,
)
_ITEM = re.compile(r"^\(([a-z]{1,2}|[ivx]+)\)\s+(.*)$")
_HEADING_NUMBER = re.compile(r"^((Article|Section)\s+)?(\d+(\.\d+)*|[IVXL]+)[.:)\s]")
# Only parses (syntax checks); rendering uses pwcore.documents.render's sandboxed, autoescaped environment.
_ENV = jinja2.Environment(autoescape=True)


def _check_inline(text: str, where: Where) -> None:
    """One paragraph's text: tags closed, only allowed inline tags/filters, balanced if/endif and emphasis."""
    if "{%p" in text or "{%tr" in text or "{%r " in text or "{%c" in text:
        raise ClauseSyntaxError(where, "write plain Jinja; the builder emits docxtpl {%p %}/{%tr %} tags itself")
    stripped = _VAR_TAG.sub("", text)
    stripped = _INLINE_TAG.sub("", stripped)
    for bad in ("{{", "}}", "{%", "%}", "{#", "#}"):
        if bad in stripped:
            raise ClauseSyntaxError(where, f"unclosed or stray {bad!r} (a tag must open and close on one line)")
    for m in _VAR_TAG.finditer(text):
        expr = m.group(1)
        if "*" in expr:
            raise ClauseSyntaxError(where, f"emphasis marker inside a tag: {m.group(0)!r}")
        for filt in re.findall(r"\|\s*(\w+)", expr):
            if filt not in _ALLOWED_FILTERS:
                raise ClauseSyntaxError(where, f"filter {filt!r} not allowed (values come pre-formatted; only upper)")
    stack: list[str] = []
    for m in _INLINE_TAG.finditer(text):
        kind = m.group(1)
        if "*" in m.group(0):
            raise ClauseSyntaxError(where, f"emphasis marker inside a tag: {m.group(0)!r}")
        if kind in ("if", "for"):
            stack.append(kind)
        elif kind in ("endif", "endfor"):
            if not stack or stack[-1] != kind[3:]:
                raise ClauseSyntaxError(where, f"inline {{% {kind} %}} without {{% {kind[3:]} %}}")
            stack.pop()
        elif kind in ("else", "elif"):
            if not stack or (kind == "elif" and stack[-1] != "if"):
                raise ClauseSyntaxError(where, f"inline {{% {kind} %}} outside an {{% if %}}")
        else:
            raise ClauseSyntaxError(where, f"inline {{% {kind} %}} not allowed (only if/elif/else/endif, for/endfor)")
    if stack:
        raise ClauseSyntaxError(where, f"inline {{% {stack[-1]} %}} not closed in the same paragraph")
    plain = _INLINE_TAG.sub("", _VAR_TAG.sub("", text))
    if plain.count("**") % 2:
        raise ClauseSyntaxError(where, "unbalanced ** (bold)")
    if plain.replace("**", "").count("*") % 2:
        raise ClauseSyntaxError(where, "unbalanced * (italic)")
    ref = _NUMBERED_REF.search(plain)
    if ref:
        raise ClauseSyntaxError(
            where, f"numbered cross-reference {ref.group(0)!r}: refer by heading, numbers depend on the variant"
        )
    try:
        _ENV.parse(text)
    except jinja2.TemplateSyntaxError as exc:
        raise ClauseSyntaxError(where, f"Jinja syntax: {exc.message}") from exc


def split_emphasis(text: str) -> Iterator[tuple[str, bool, bool]]:
    """Yield (text, bold, italic) runs; tags are never split because emphasis markers inside tags are refused."""
    bold = italic = False
    buf: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("{{", i) or text.startswith("{%", i):
            end = text.find("}}" if text[i + 1] == "{" else "%}", i) + 2
            buf.append(text[i:end])
            i = end
            continue
        if text[i] == "*":
            if buf:
                yield "".join(buf), bold, italic
                buf = []
            if text.startswith("**", i):
                bold = not bold
                i += 2
            else:
                italic = not italic
                i += 1
            continue
        buf.append(text[i])
        i += 1
    if buf:
        yield "".join(buf), bold, italic


def _typographic(text: str) -> str:
    """Straight quotes and apostrophes outside tags become typographic; tags are left alone."""
    out: list[str] = []
    pos = 0
    for m in re.finditer(r"\{\{.*?\}\}|\{%.*?%\}", text):
        out.append(_quotes(text[pos : m.start()], out))
        out.append(m.group(0))
        pos = m.end()
    out.append(_quotes(text[pos:], out))
    return "".join(out)


def _quotes(seg: str, before: list[str]) -> str:
    prev = "".join(before)[-1:] or " "
    res: list[str] = []
    for ch in seg:
        opening = prev in " (\u2014[\t\n"
        if ch == '"':
            res.append("\u201c" if opening else "\u201d")
        elif ch == "'":
            res.append("\u2018" if opening else "\u2019")
        else:
            res.append(ch)
        prev = ch
    # " -- " is an em dash, "--" between numbers an en dash
    return "".join(res).replace(" -- ", " \u2014 ").replace("--", "\u2013")


# --- file parsing -------------------------------------------------------------------------------------


def _front_matter(lines: list[str], name: str) -> tuple[dict[str, Any], int]:
    if not lines or lines[0].strip() != "+++":
        return {}, 0
    for end in range(1, len(lines)):
        if lines[end].strip() == "+++":
            try:
                data = tomllib.loads("\n".join(lines[1:end]))
            except tomllib.TOMLDecodeError as exc:
                raise ClauseSyntaxError(Where(name, 1), f"front matter: {exc}") from exc
            unknown = set(data) - _FRONT_KEYS
            if unknown:
                raise ClauseSyntaxError(Where(name, 1), f"front matter keys not allowed: {sorted(unknown)}")
            return data, end + 1
    raise ClauseSyntaxError(Where(name, 1), "front matter opened with +++ but never closed")


def _check_expr(expr: str, where: Where) -> None:
    try:
        _ENV.compile_expression(expr)
    except jinja2.TemplateSyntaxError as exc:
        raise ClauseSyntaxError(where, f"bad expression {expr!r}: {exc.message}") from exc


def parse_text(text: str, name: str) -> ClauseFile:
    """Parse one clause file's text; `name` is used in error messages."""
    lines = text.splitlines()
    front, start = _front_matter(lines, name)
    when = front.get("when")
    if when is not None:
        if not isinstance(when, str) or not when.strip():
            raise ClauseSyntaxError(Where(name, 1), "front matter `when` must be a Jinja expression string")
        _check_expr(when, Where(name, 1))
    sources = front.get("sources", [])
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        raise ClauseSyntaxError(Where(name, 1), "front matter `sources` must be a list of strings")
    blocks: list[Block] = []
    stack: list[tuple[str, Where]] = []  # open control tags
    para: list[str] = []
    para_start: Where | None = None
    para_kind: str = "para"
    align = "body"

    def flush() -> None:
        nonlocal para, para_start
        if not para:
            return
        assert para_start is not None
        joined = _typographic(" ".join(s.strip() for s in para))
        _check_inline(joined, para_start)
        if para_kind == "section":
            heading, sep, rest = joined.partition(". ")
            if not sep or not heading.strip():
                raise ClauseSyntaxError(para_start, "a `## ` section needs a run-in heading ending in '. '")
            if _HEADING_NUMBER.match(heading):
                raise ClauseSyntaxError(para_start, "do not number sections yourself; Word numbers them")
            blocks.append(Section(heading.strip() + ".", rest.strip(), para_start))
        elif para_kind == "item":
            blocks.append(Item(joined, para_start))
        elif para_kind == "bullet":
            blocks.append(Bullet(joined, para_start))
        else:
            blocks.append(Para(joined, para_start, align))
        para = []
        para_start = None

    i = start
    while i < len(lines):
        raw = lines[i]
        line = raw.rstrip()
        where = Where(name, i + 1)
        s = line.strip()
        if "\t" in raw:
            raise ClauseSyntaxError(where, "tab character; use spaces")
        if not s:
            flush()
            i += 1
            continue
        m = _CONTROL_LINE.match(s)
        if m:
            flush()
            kind, rest = m.group(1), m.group(2).strip()
            if kind in ("if", "elif"):
                if not rest:
                    raise ClauseSyntaxError(where, f"{{% {kind} %}} needs a condition")
                _check_expr(rest, where)
            if kind == "for" and not re.match(r"^\w+(\s*,\s*\w+)*\s+in\s+\S", rest):
                raise ClauseSyntaxError(where, "{% for %} must read `for x in list`")
            if kind in ("if", "for"):
                stack.append((kind, where))
            elif kind in ("elif", "else"):
                if not stack or stack[-1][0] != "if":
                    raise ClauseSyntaxError(where, f"{{% {kind} %}} without an open {{% if %}}")
            elif kind in ("endif", "endfor"):
                want = kind[3:]
                if not stack or stack[-1][0] != want:
                    raise ClauseSyntaxError(where, f"{{% {kind} %}} without an open {{% {want} %}}")
                stack.pop()
            blocks.append(Control(f"{kind} {rest}".strip(), where))
            i += 1
            continue
        if re.fullmatch(r"\{%[^%]*%\}", s):
            if s.startswith(("{%p", "{%tr", "{%r ", "{%c")):
                raise ClauseSyntaxError(
                    where, "write plain Jinja; the builder emits docxtpl {%p %}/{%tr %} tags itself"
                )
            raise ClauseSyntaxError(where, f"control tag not allowed on its own line: {s!r}")
        if s.startswith(":::"):
            flush()
            i = _block(lines, i, name, blocks)
            continue
        if s.startswith("#"):
            flush()
            if s.startswith("## "):
                para, para_start, para_kind = [s[3:]], where, "section"
                i += 1
                continue
            if s.startswith("# "):
                heading = _typographic(s[2:].strip())
                if _HEADING_NUMBER.match(heading):
                    raise ClauseSyntaxError(where, "do not number articles yourself; Word numbers them")
                _check_inline(heading, where)
                blocks.append(Article(heading, where))
                i += 1
                continue
            raise ClauseSyntaxError(where, f"heading level not allowed: {s.split()[0]!r} (use # or ##)")
        if re.match(r"^\d+[.)]\s", s) or s.startswith(("* ", "+ ", "> ", "|", "```", "<")):
            raise ClauseSyntaxError(where, f"markup not in the clause format: {s[:20]!r}")
        mi = _ITEM.match(s)
        if mi:
            flush()
            para, para_start, para_kind = [mi.group(2)], where, "item"
            i += 1
            continue
        if s.startswith("- "):
            flush()
            para, para_start, para_kind = [s[2:]], where, "bullet"
            i += 1
            continue
        if not para:
            para_start, para_kind = where, "para"
        para.append(s)
        i += 1
    flush()
    if stack:
        kind, where = stack[-1]
        raise ClauseSyntaxError(where, f"{{% {kind} %}} never closed in this file")
    return ClauseFile(Path(name), when, str(front.get("note", "")), tuple(sources), tuple(blocks))


def _block(lines: list[str], i: int, name: str, blocks: list[Block]) -> int:
    """Parse a `::: kind args` block starting at line i; return the index after it."""
    where = Where(name, i + 1)
    head = lines[i].strip()
    if head == ":::":
        raise ClauseSyntaxError(where, "closing ::: without an open block")
    parts = head[3:].split()
    if not parts:
        raise ClauseSyntaxError(where, "block without a kind")
    kind, args = parts[0], parts[1:]
    body: list[tuple[int, str]] = []
    bodiless = kind in ("pagebreak", "signature")
    j = i + 1
    if bodiless:
        # the closing ::: is optional for blocks without a body
        k = j
        while k < len(lines) and not lines[k].strip():
            k += 1
        if k < len(lines) and lines[k].strip() == ":::":
            j = k + 1
    else:
        while j < len(lines) and lines[j].strip() != ":::":
            if lines[j].strip().startswith("::: "):
                raise ClauseSyntaxError(Where(name, j + 1), f"block opened at line {i + 1} is not closed")
            if lines[j].strip():
                body.append((j + 1, lines[j].strip()))
            j += 1
        if j >= len(lines):
            raise ClauseSyntaxError(where, f"::: {kind} block never closed")
        j += 1
    ident = re.compile(r"^[A-Za-z_]\w*(\.\w+)*$")
    if kind == "pagebreak":
        if args:
            raise ClauseSyntaxError(where, "::: pagebreak takes no arguments")
        blocks.append(PageBreak(where))
    elif kind == "signature":
        one = bool(args) and args[0] == "one"
        rest = args[1:] if one else args
        if len(rest) != 1 or not ident.match(rest[0]):
            raise ClauseSyntaxError(where, "use `::: signature <list>` or `::: signature one <signer>`")
        blocks.append(Signature(rest[0], one, where))
    elif kind == "table":
        if len(args) != 1 or not ident.match(args[0]):
            raise ClauseSyntaxError(where, "use `::: table <list-variable>`")
        widths: tuple[float, ...] | None = None
        total: tuple[str, ...] | None = None
        rows: list[tuple[int, list[str]]] = []
        for ln, text in body:
            w = Where(name, ln)
            if text.startswith("widths:"):
                try:
                    widths = tuple(float(x) for x in text[7:].split("|"))
                except ValueError as exc:
                    raise ClauseSyntaxError(w, "widths: numbers in inches separated by |") from exc
                continue
            cells = [_typographic(c.strip()) for c in text.removeprefix("total:").split("|")]
            for c in cells:
                _check_inline(c, w)
            if text.startswith("total:"):
                total = tuple(cells)
            else:
                rows.append((ln, cells))
        if len(rows) != 2:
            raise ClauseSyntaxError(where, "a table needs exactly a header line and a row template line")
        headers, cells = rows[0][1], rows[1][1]
        n = len(headers)
        checks = ((rows[1][0], cells), (where.line, list(total or headers)), (where.line, list(widths or headers)))
        for ln, got in checks:
            if len(got) != n:
                raise ClauseSyntaxError(Where(name, ln), f"expected {n} columns, got {len(got)}")
        if not any("{{" in c for c in cells):
            raise ClauseSyntaxError(Where(name, rows[1][0]), "the row template line has no {{ row.field }}")
        blocks.append(Table(args[0], tuple(headers), tuple(cells), total, widths, where))
    elif kind == "facts":
        if args:
            raise ClauseSyntaxError(where, "::: facts takes no arguments")
        facts: list[tuple[str, str, str | None]] = []
        for ln, text in body:
            w = Where(name, ln)
            cells = [c.strip() for c in text.split("|")]
            if len(cells) not in (2, 3):
                raise ClauseSyntaxError(w, "a facts line is `Label | value` or `Label | value | condition`")
            label, value = _typographic(cells[0]), _typographic(cells[1])
            _check_inline(label, w)
            _check_inline(value, w)
            cond = cells[2] if len(cells) == 3 else None
            if cond:
                _check_expr(cond, w)
            facts.append((label, value, cond))
        if not facts:
            raise ClauseSyntaxError(where, "empty ::: facts block")
        blocks.append(Facts(tuple(facts), where))
    elif kind in ("center", "right"):
        if args:
            raise ClauseSyntaxError(where, f"::: {kind} takes no arguments")
        for ln, text in body:
            t = _typographic(text)
            _check_inline(t, Where(name, ln))
            blocks.append(Para(t, Where(name, ln), kind))
    else:
        raise ClauseSyntaxError(where, f"unknown block kind {kind!r}")
    return j


def parse_file(path: Path, display: str | None = None) -> ClauseFile:
    cf = parse_text(path.read_text(encoding="utf-8"), display or path.name)
    return ClauseFile(path, cf.when, cf.note, cf.sources, cf.blocks)


def load_document(folder: Path) -> DocumentSpec:
    """Read document.toml and every clause file of one document folder; errors name file:line."""
    toml_path = folder / "document.toml"
    label = f"{folder.name}/document.toml"
    try:
        meta = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ClauseSyntaxError(Where(label, 1), "missing document.toml") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ClauseSyntaxError(Where(label, 1), str(exc)) from exc
    unknown = set(meta) - _DOC_KEYS
    if unknown:
        raise ClauseSyntaxError(Where(label, 1), f"keys not allowed: {sorted(unknown)}")
    for key in ("id", "filename", "title", "applies_to"):
        if key not in meta:
            raise ClauseSyntaxError(Where(label, 1), f"missing key {key!r}")
    if meta["id"] != folder.name:
        raise ClauseSyntaxError(Where(label, 1), f"id {meta['id']!r} differs from the folder name")
    kinds = meta["applies_to"]
    if not isinstance(kinds, list) or not kinds or set(kinds) - ENTITY_KINDS:
        raise ClauseSyntaxError(Where(label, 1), f"applies_to must list entity kinds from {sorted(ENTITY_KINDS)}")
    for key in ("title", "header", "footer"):
        if key in meta:
            _check_inline(str(meta[key]), Where(label, 1))
    subtitle = meta.get("subtitle", [])
    if isinstance(subtitle, str):
        subtitle = [subtitle]
    for s in subtitle:
        _check_inline(s, Where(label, 1))
    if meta.get("when"):
        _check_expr(meta["when"], Where(label, 1))
    parts = meta.get("parts")
    if parts is None:
        names = sorted(p.name for p in folder.glob("*.md") if re.match(r"^\d\d-", p.name))
    else:
        names = list(parts)
        on_disk = {p.name for p in folder.glob("*.md")}
        for n in names:
            if n not in on_disk:
                raise ClauseSyntaxError(Where(label, 1), f"part {n!r} listed in parts but not found")
        stray = {n for n in on_disk if re.match(r"^\d\d-", n)} - set(names)
        if stray:
            raise ClauseSyntaxError(Where(label, 1), f"clause files not listed in parts: {sorted(stray)}")
    files = tuple(parse_file(folder / n, f"{folder.name}/{n}") for n in names)
    if not files:
        raise ClauseSyntaxError(Where(label, 1), "no clause files")
    return DocumentSpec(
        id=meta["id"],
        filename=meta["filename"],
        title=meta["title"],
        header=meta.get("header", ""),
        footer=meta.get("footer", ""),
        applies_to=tuple(kinds),
        when=meta.get("when"),
        subtitle=tuple(subtitle),
        files=files,
        folder=folder,
    )


def library_documents(root: Path) -> list[DocumentSpec]:
    """Every document folder under templates/clauses/ (folders holding a document.toml)."""
    return [load_document(p.parent) for p in sorted(root.glob("*/document.toml"))]
