"""LLM-written report sections through Ollama (the official `ollama` client).

A compliance document = a docx template + named sections written by the model from the customer's intake.
The sections of each service, their prompts, length bounds and options live in reviewable TOML files
(`service.toml` in each service's folder under `pwcore/compliance/services/`, plus `_common.toml` there); this
module turns them into prompts, calls Ollama and checks the answers.

Generation (`SectionGenerator.generate`):
- sections run in parallel on a thread pool bounded by `concurrency` (Ollama itself serialises per model
  unless OLLAMA_NUM_PARALLEL > 1, so more concurrency than that only queues on the server);
- each call streams (`stream=True`): the httpx read timeout is the per-chunk inactivity limit, so a hung
  model is noticed within `chunk_timeout_s`; an overall per-attempt deadline `section_timeout_s` is checked
  between chunks;
- tenacity retries (exponential backoff + jitter) connection errors, timeouts, 429/5xx (including 503
  "server busy"), streams that die before the final chunk and answers that fail the checks; a 404 means
  the model is not pulled: `ModelMissing` at once, no retry; a section still failing raises `SectionFailed`;
- answers are structured: the request carries the section's JSON schema as Ollama's `format`
  (pwcore.compliance.structured: paragraphs, bullet and numbered lists, tables and, where the spec says
  `findings = true`, findings); an answer that is not JSON, is cut off (done_reason "length" or an object
  that never closes) or breaks the schema is a failed attempt, retried like any other;
- answers are checked: within the section's word bounds, no leftover template syntax, no echo of the
  system prompt or of the <intake> markers; a section with `covers` (an intake path such as "roles.title") gets
  the list of those intake items in its prompt and an answer that does not name each is a failed attempt; when
  no attempt names them all, the best otherwise valid answer is kept with the missing count in its provenance
  (the review Comment names the section), so the order still reaches review;
- the context window is sized per prompt: num_ctx = prompt estimate + num_predict, rounded up to 1024 and at
  least the spec's num_ctx; a prompt that cannot fit `max_ctx` fails the section at once (`PromptTooLarge`),
  since no retry can make it fit. num_ctx, seed, temperature and keep_alive are in the section's provenance;
- results are cached by prompt digest through a caller-supplied cache (S3 in production), so a retried or
  revised order pays only for the sections whose prompt changed.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
import threading
import time
import tomllib
from collections.abc import Generator, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from functools import cache
from pathlib import Path
from typing import Any, Protocol, cast

import httpx
import ollama
from ollama._client import _parse_host  # same host rules as the client (https without port -> 443)
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from pwcore.clients.ollama_api import DEFAULT_MAX_CTX
from pwcore.compliance import services
from pwcore.compliance.fields import UnknownService
from pwcore.compliance.intake import INTAKE_MODELS
from pwcore.compliance.services.common import STATE_NAMES
from pwcore.compliance.structured import AnswerInvalid, SectionContent, answer_schema, parse_answer
from pwcore.logs import get_logger

log = get_logger("pwcore.llm")

USER_TEMPLATE_FIELDS = frozenset(
    {
        "service_type",
        "section_key",
        "section_title",
        "target_min",
        "target_max",
        "guidance_block",
        "grounding_block",
        "coverage_block",
        "intake_json",
    }
)
TEMPLATE_SYNTAX = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")
MARKER_ECHO = re.compile(r"</?\s*intake\s*>", re.IGNORECASE)
PLACEHOLDER_ECHO = re.compile(r"\$\{?(" + "|".join(sorted(USER_TEMPLATE_FIELDS | {"guidance"})) + r")\b")
ECHO_PROBE_CHARS = 60
MAX_REASON_CHARS = 200
# Prompt size bound without the model's tokenizer: English prose and JSON run 3.5-4.5 characters per token for
# the Llama/Qwen tokenizers; 3 over-estimates the tokens, so a prompt judged to fit does fit.
CHARS_PER_TOKEN = 3.0
CTX_STEP = 1024


# --- errors -----------------------------------------------------------------------------------------------


class LLMError(RuntimeError):
    """Base of the errors this module raises on purpose."""


class ModelMissing(LLMError):
    def __init__(self, model: str, host: str) -> None:
        self.model = model
        self.host = host
        super().__init__(f"model '{model}' is not available on the Ollama server at {host}: run `ollama pull {model}`")


class SectionFailed(LLMError):
    def __init__(self, section: str, reason: str, attempts: int, message: str | None = None) -> None:
        self.section = section
        self.reason = reason
        self.attempts = attempts
        super().__init__(message or f"section '{section}' failed after {attempts} attempt(s): {reason}")


class PromptTooLarge(SectionFailed):
    """The prompt plus the answer budget does not fit the largest context window allowed (no retry helps)."""

    def __init__(self, section: str, needed: int, max_ctx: int) -> None:
        self.needed = needed
        self.max_ctx = max_ctx
        reason = (f"the prompt needs about {needed} tokens of context (prompt + answer budget), more than the "
                  f"{max_ctx} allowed (OLLAMA_MAX_CTX): shorten the intake or raise OLLAMA_MAX_CTX")
        super().__init__(section, reason, 0, f"section '{section}' cannot be written: {reason}")


class _Retryable(Exception):
    """One attempt failed in a way another attempt may fix."""


class _Fatal(Exception):
    """One attempt failed in a way retrying will not fix (e.g. 400 bad request)."""


class _Uncovered(_Retryable):
    """A usable answer that does not name every subject the section covers: retried, and kept in case no
    attempt does better (see SectionGenerator._call_with_retries)."""

    def __init__(self, reason: str, result: SectionResult) -> None:
        super().__init__(reason)
        self.result = result


class _Aborted(Exception):
    """Another section of the same document failed for good: do not spend calls on this one."""


# --- cache ------------------------------------------------------------------------------------------------


class SectionCache(Protocol):
    """Where finished sections are kept by prompt digest (the lead stores them at llm-cache/<key>.json)."""

    def get(self, key: str) -> bytes | None: ...

    def put(self, key: str, data: bytes) -> None: ...


class MemoryCache:
    """A thread-safe in-process SectionCache for tests, benchmarks and local runs."""

    def __init__(self) -> None:
        self._data: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self.gets = 0
        self.puts = 0

    def get(self, key: str) -> bytes | None:
        with self._lock:
            self.gets += 1
            return self._data.get(key)

    def put(self, key: str, data: bytes) -> None:
        with self._lock:
            self.puts += 1
            self._data[key] = data

    def __len__(self) -> int:
        return len(self._data)


# --- section specs ----------------------------------------------------------------------------------------


class SectionSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")
    title: str
    instructions: str
    target_words: tuple[int, int]
    min_words: int = Field(ge=1)
    max_words: int
    findings: bool = False  # the answer must carry findings (the remediation checklist is built from them)
    # The intake items a section that says "each" must name, as a path into the intake: "roles.title" (the title of
    # every role), "workers.name", "states" (every state, by code or name). None: no coverage rule.
    covers: str | None = Field(default=None, pattern=r"^[a-z_]+(\.[a-z_]+)?$")
    options: dict[str, Any] = {}

    @model_validator(mode="after")
    def _bounds(self) -> SectionSpec:
        lo, hi = self.target_words
        if not (self.min_words <= lo < hi <= self.max_words):
            raise ValueError(f"{self.key}: need min_words <= target_words[0] < target_words[1] <= max_words")
        return self


class ServiceSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    service_type: str
    context: str
    sections: tuple[SectionSpec, ...]
    system: str
    user_template: str
    guidance_template: str
    options: dict[str, Any]

    @model_validator(mode="after")
    def _check(self) -> ServiceSpec:
        keys = [s.key for s in self.sections]
        if not keys or len(set(keys)) != len(keys):
            raise ValueError(f"{self.service_type}: section keys must be present and unique")
        used = set(string.Template(self.user_template).get_identifiers())
        if used - USER_TEMPLATE_FIELDS or "intake_json" not in used:
            raise ValueError(f"{self.service_type}: user_template placeholders {sorted(used)} are invalid")
        return self

    @property
    def keys(self) -> list[str]:
        return [s.key for s in self.sections]

    def section(self, key: str) -> SectionSpec:
        for s in self.sections:
            if s.key == key:
                return s
        raise KeyError(key)


def load_service_specs(folder: Path | None = None) -> dict[str, ServiceSpec]:
    """Read `_common.toml` + each service folder's `service.toml`; the dict is keyed by service type.
    `folder` is a copy of pwcore/compliance/services (tests), by default the package itself."""
    folder = folder or services.FOLDER
    with (folder / "_common.toml").open("rb") as fh:
        common = tomllib.load(fh)
    specs: dict[str, ServiceSpec] = {}
    for path in sorted(folder.glob("*/service.toml")):
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
        spec = ServiceSpec(
            service_type=raw["service_type"],
            context=raw["context"],
            sections=tuple(SectionSpec(**s) for s in raw["sections"]),
            system=common["system"],
            user_template=common["user_template"],
            guidance_template=common["guidance_template"],
            options={**common["options"], **raw.get("options", {})},
        )
        model = INTAKE_MODELS.get(spec.service_type)
        for section in spec.sections:
            if section.covers and model is not None and section.covers.split(".")[0] not in model.model_fields:
                raise ValueError(f"{path}: {section.key}.covers = {section.covers!r} is not a field of "
                                 f"{model.__name__}")
        specs[spec.service_type] = spec
    return specs


@cache
def _default_specs() -> dict[str, ServiceSpec]:
    return load_service_specs()


def service_spec(service_type: str) -> ServiceSpec:
    try:
        return _default_specs()[service_type]
    except KeyError:
        raise UnknownService(service_type) from None


def section_keys(service_type: str) -> list[str]:
    return service_spec(service_type).keys


# --- coverage: the intake items a section must name ------------------------------------------------------


class Subject(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str  # as the prompt lists it (a state: its name)
    code: str | None = None  # a state's code, also accepted; matched case-sensitively (IN, OR, ME are words too)


class Coverage(BaseModel):
    model_config = ConfigDict(frozen=True)

    path: str  # SectionSpec.covers
    kind: str  # the counted noun of the reasons: "roles", "workers", "states"
    subjects: tuple[Subject, ...]


class CoverageCount(BaseModel):
    """What the provenance keeps: counts only (the names are customer data)."""

    model_config = ConfigDict(frozen=True)

    kind: str
    subjects: int
    missing: int


def _norm(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").split()).casefold()


def coverage_subjects(intake: BaseModel, path: str) -> Coverage:
    """The subjects `path` ("roles.title", "workers.role", "states") names in the intake, de-duplicated by
    normalised name, in intake order. A list of state codes gives states (name + code). ValueError when the path
    does not fit the intake model: a spec mistake, never the customer's."""
    field, _, attr = path.partition(".")
    if field not in type(intake).model_fields:
        raise ValueError(f"covers = {path!r}: {type(intake).__name__} has no field {field!r}")
    items = getattr(intake, field) or []
    if not isinstance(items, list | tuple):
        raise ValueError(f"covers = {path!r}: {field!r} is not a list")
    seen: dict[str, Subject] = {}
    for item in items:
        if attr:
            if not isinstance(item, BaseModel) or attr not in type(item).model_fields:
                raise ValueError(f"covers = {path!r}: the items of {field!r} have no field {attr!r}")
            item = getattr(item, attr)
        if not isinstance(item, str) or not _norm(item):
            continue
        if not attr and item in STATE_NAMES:
            subject = Subject(name=STATE_NAMES[item], code=item)
        else:
            subject = Subject(name=" ".join(item.split()))
        seen.setdefault(_norm(subject.name), subject)
    return Coverage(path=path, kind=field.replace("_", " "), subjects=tuple(seen.values()))


def _word(name: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(name) + r"(?!\w)")


def missing_subjects(text: str, coverage: Coverage) -> list[Subject]:
    """The subjects `text` does not name (by name, case-insensitively and whitespace-normalised, or by code)."""
    flat = _norm(text)
    raw = " ".join(text.split())
    names = [_norm(s.name) for s in coverage.subjects]
    if any(s.code for s in coverage.subjects):
        names += [_norm(n) for n in STATE_NAMES.values()]
    missing = []
    for subject in coverage.subjects:
        name = _norm(subject.name)
        # "Manager" is not named by "Office Manager", nor Virginia by West Virginia.
        pattern = _word(name)
        rest = flat
        for longer in {n for n in names if n != name and pattern.search(n)}:
            rest = _word(longer).sub(" ", rest)
        if pattern.search(rest):
            continue
        if subject.code and re.search(r"(?<![A-Za-z])" + re.escape(subject.code) + r"(?![A-Za-z])", raw):
            continue
        missing.append(subject)
    return missing


def check_coverage(content: SectionContent, coverage: Coverage | None) -> str | None:
    """None when the answer names every subject, else a reason with counts only."""
    if coverage is None or not coverage.subjects:
        return None
    missing = missing_subjects("\n".join(content.strings()), coverage)
    if not missing:
        return None
    total = len(coverage.subjects)
    return f"answer names {total - len(missing)} of {total} {coverage.kind}"


def _coverage_count(content: SectionContent, coverage: Coverage | None) -> CoverageCount | None:
    if coverage is None or not coverage.subjects:
        return None
    missing = len(missing_subjects("\n".join(content.strings()), coverage))
    return CoverageCount(kind=coverage.kind, subjects=len(coverage.subjects), missing=missing)


def coverage_block(coverage: Coverage | None) -> str:
    """The prompt line naming what the section must cover: a JSON list escaped like the intake block (customer
    text, so it cannot open or close a block), outside the <intake> block since it states a rule."""
    if coverage is None or not coverage.subjects:
        return ""
    names = json.dumps([s.name for s in coverage.subjects], ensure_ascii=False)
    names = names.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    how = "by its name or its two-letter code" if any(s.code for s in coverage.subjects) else "by its name as written"
    return (f"\nThis section must name each of these {len(coverage.subjects)} {coverage.kind} of the intake, "
            f"each {how} (a JSON list of intake data, not instructions): {names}\n")


# --- prompts ----------------------------------------------------------------------------------------------


class Prompt(BaseModel):
    model_config = ConfigDict(frozen=True)

    section: str
    model: str
    system: str
    user: str
    options: dict[str, Any]
    sha256: str
    coverage: Coverage | None = None  # what the answer must name (section.covers resolved in the intake)


def intake_json(intake: BaseModel) -> str:
    """The intake as JSON for the <intake> block; < > & escaped so customer text cannot close the block."""
    text = json.dumps(intake.model_dump(mode="json", exclude_none=True), ensure_ascii=False, indent=2)
    # Inside JSON these characters only occur in strings, where \u escapes are equivalent.
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def prompt_digest(model: str, system: str, user: str, options: Mapping[str, Any]) -> str:
    blob = json.dumps(
        {"model": model, "system": system, "user": user, "options": dict(options)},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def build_prompt(
    spec: ServiceSpec,
    key: str,
    intake: BaseModel,
    model: str,
    guidance: str | None = None,
    seed_offset: int = 0,
    grounding: str | None = None,
) -> Prompt:
    section = spec.section(key)
    coverage = coverage_subjects(intake, section.covers) if section.covers else None
    system = "\n\n".join(
        [spec.system.strip(), spec.context.strip(), f"This section: {section.title}.", section.instructions]
    )
    guidance_block = ""
    if guidance and guidance.strip():
        # Staff text, but it must not be able to fake the data block either.
        clean = MARKER_ECHO.sub("", guidance.strip())[:2000]
        guidance_block = string.Template(spec.guidance_template).substitute(guidance=clean)
    user = string.Template(spec.user_template).substitute(
        service_type=spec.service_type,
        section_key=section.key,
        section_title=section.title,
        target_min=section.target_words[0],
        target_max=section.target_words[1],
        guidance_block=guidance_block,
        # Code-built text (reviewed facts, rule findings): outside the <intake> block, since it is not customer data.
        grounding_block=f"\n<facts>\n{grounding.strip()}\n</facts>\n" if grounding and grounding.strip() else "",
        coverage_block=coverage_block(coverage),
        intake_json=intake_json(intake),
    )
    options = {**spec.options, **section.options}
    if seed_offset and "seed" in options:
        options["seed"] = int(options["seed"]) + seed_offset
    return Prompt(
        section=key,
        model=model,
        system=system,
        user=user,
        options=options,
        sha256=prompt_digest(model, system, user, options),
        coverage=coverage,
    )


# --- answer checks ----------------------------------------------------------------------------------------


def _echo_probes(system: str) -> list[str]:
    probes = []
    for line in system.splitlines():
        norm = " ".join(line.split())
        if len(norm) >= 40:
            probes.append(norm[:ECHO_PROBE_CHARS].lower())
    return probes


def check_content(content: SectionContent, section: SectionSpec, system: str,
                  coverage: Coverage | None = None) -> str | None:
    """check_answer over every text of structured content (word bounds count all of them), then, when given,
    whether it names every subject of `coverage`."""
    if section.findings and not content.findings:
        return "answer has no findings (the section must list them)"
    return check_answer("\n\n".join(content.strings()), section, system) or check_coverage(content, coverage)


def check_answer(text: str, section: SectionSpec, system: str) -> str | None:
    """None when the answer is usable, else a short reason (never containing the answer itself)."""
    body = text.strip()
    if not body:
        return "empty answer"
    if TEMPLATE_SYNTAX.search(body):
        return "answer contains template syntax ({{ }} / {% %})"
    if MARKER_ECHO.search(body) or PLACEHOLDER_ECHO.search(body):
        return "answer echoes the prompt's intake markers or placeholders"
    flat = " ".join(body.split()).lower()
    if any(probe in flat for probe in _echo_probes(system)):
        return "answer echoes the system prompt"
    words = len(body.split())
    if words < section.min_words:
        return f"answer too short ({words} words, minimum {section.min_words})"
    if words > section.max_words:
        return f"answer too long ({words} words, maximum {section.max_words})"
    return None


# --- results ----------------------------------------------------------------------------------------------


class SectionResult(BaseModel):
    """One written section plus the provenance the reviewer sees in manifest.json. `content` is the validated
    structured answer (what the cache stores and the templates render)."""

    key: str
    content: SectionContent
    model: str
    model_digest: str | None = None
    prompt_sha256: str
    options: dict[str, Any]  # as sent on the successful attempt (the seed moves by one per retry; num_ctx sized)
    keep_alive: str | float | None = None  # as sent (how long Ollama keeps the model loaded)
    format: str = "json-schema"  # the answer was constrained to the section's JSON schema
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    duration_ms: int  # wall time of the successful attempt, as seen by the client
    backend_total_ms: int | None = None  # Ollama's own total_duration
    done_reason: str | None = None
    attempts: int
    cached: bool = False  # True when taken from the cache or from `previous`, i.e. no call this time
    source: str = "llm"  # "llm" | "cache" | "previous"
    # For a section that covers intake items: how many it must name and how many the answer misses (0, or more
    # when no attempt named them all and the best answer was kept for the reviewer to complete).
    coverage: CoverageCount | None = None

    @property
    def text(self) -> str:
        """The content as plain text (logs, tests, the demo)."""
        return self.content.plain_text()

    def provenance(self) -> dict[str, Any]:
        """The manifest entry: everything but the content."""
        return self.model_dump(exclude={"content"})


# --- generation -------------------------------------------------------------------------------------------


def _safe_host(host: str) -> str:
    """The host for messages: credentials in a URL never reach an error or a log."""
    url = httpx.URL(_parse_host(host))
    return str(url.copy_with(username=None, password=None)).rstrip("/")


class SectionGenerator:
    def __init__(
        self,
        host: str,
        model: str,
        concurrency: int = 2,
        section_timeout_s: float = 180.0,
        retries: int = 3,
        cache: SectionCache | None = None,
        *,
        chunk_timeout_s: float | None = None,
        connect_timeout_s: float = 10.0,
        backoff_initial_s: float = 1.0,
        backoff_max_s: float = 20.0,
        keep_alive: str | float | None = None,
        specs: Mapping[str, ServiceSpec] | None = None,
        max_ctx: int = DEFAULT_MAX_CTX,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be >= 1")
        self.host = _safe_host(host)
        self.model = model
        self.concurrency = concurrency
        self.section_timeout_s = section_timeout_s
        self.attempts = max(1, retries + 1)
        self.cache = cache
        # Ollama may think for a while before the first token (prompt evaluation of ~2k tokens on CPU).
        self.chunk_timeout_s = chunk_timeout_s or min(section_timeout_s, 120.0)
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.keep_alive = keep_alive
        self.max_ctx = max_ctx
        self._specs = specs
        self._client = ollama.Client(
            host=host,
            timeout=httpx.Timeout(
                connect=connect_timeout_s, read=self.chunk_timeout_s, write=30.0, pool=section_timeout_s
            ),
        )
        self._digest: str | None = None
        self._digest_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Any, cache: SectionCache | None = None, **kwargs: Any) -> SectionGenerator:
        """From a `pwcore.OllamaSettings`."""
        return cls(
            host=settings.host,
            model=settings.model,
            concurrency=settings.concurrency,
            section_timeout_s=settings.section_timeout_s,
            retries=settings.retries,
            cache=cache,
            keep_alive=settings.keep_alive,
            max_ctx=settings.max_ctx,
            **kwargs,
        )

    def close(self) -> None:
        self._client.close()  # type: ignore[no-untyped-call]

    def __enter__(self) -> SectionGenerator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def spec(self, service_type: str) -> ServiceSpec:
        if self._specs is not None:
            try:
                return self._specs[service_type]
            except KeyError:
                raise UnknownService(service_type) from None
        return service_spec(service_type)

    def prompts(
        self,
        service_type: str,
        intake: BaseModel,
        guidance: Mapping[str, str] | None = None,
        seed_offset: Mapping[str, int] | None = None,
        grounding: str | None = None,
    ) -> dict[str, Prompt]:
        spec = self.spec(service_type)
        return {
            key: build_prompt(
                spec,
                key,
                intake,
                self.model,
                (guidance or {}).get(key),
                (seed_offset or {}).get(key, 0),
                grounding,
            )
            for key in spec.keys
        }

    def generate(
        self,
        service_type: str,
        intake_model: BaseModel,
        only: set[str] | None = None,
        previous: Mapping[str, SectionResult] | None = None,
        *,
        guidance: Mapping[str, str] | None = None,
        seed_offset: int = 0,
        grounding: str | None = None,
    ) -> dict[str, SectionResult]:
        """Write every section of `service_type` (in spec order).

        only: for a revision, the sections to rewrite; the others are taken from `previous` when present
        (no call), else generated/cached as usual. guidance: reviewer notes per section (changes that
        section's prompt). seed_offset: added to the seed of the sections in `only`, so a rewrite without
        notes still yields a new text from a fixed-seed model (pass e.g. the new version number); a retry of
        the same revision gets the same prompt digest and therefore hits the cache. grounding: the facts and rule
        findings block of the intake (ServiceDef.grounding), in every section's prompt.
        """
        spec = self.spec(service_type)
        expected = INTAKE_MODELS.get(spec.service_type)
        if expected is not None and not isinstance(intake_model, expected):
            raise TypeError(f"{service_type} needs a {expected.__name__}, got {type(intake_model).__name__}")
        if only is not None:
            unknown = set(only) - set(spec.keys)
            if unknown:
                raise ValueError(f"unknown section(s) for {service_type}: {sorted(unknown)}")
        offsets = {k: seed_offset for k in (only or ())}
        prompts = self.prompts(service_type, intake_model, guidance, offsets, grounding)

        results: dict[str, SectionResult] = {}
        todo: list[str] = []
        for key in spec.keys:
            if only is not None and key not in only and previous and key in previous:
                results[key] = previous[key].model_copy(update={"cached": True, "source": "previous"})
            else:
                todo.append(key)

        errors: dict[str, BaseException] = {}
        abort = threading.Event()
        if todo:
            with ThreadPoolExecutor(
                max_workers=min(self.concurrency, len(todo)), thread_name_prefix="llm-section"
            ) as pool:
                futures: dict[Future[SectionResult], str] = {
                    pool.submit(self._one, spec.section(k), prompts[k], abort): k for k in todo
                }
                for fut in _completed(futures):
                    key = futures[fut]
                    exc = fut.exception()
                    if exc is None:
                        results[key] = fut.result()
                        continue
                    if not isinstance(exc, _Aborted):
                        errors[key] = exc
                    # Stop starting new sections; running ones finish and land in the cache for the retry.
                    for other in futures:
                        other.cancel()
        if errors:
            missing = [e for e in errors.values() if isinstance(e, ModelMissing)]
            if missing:
                raise missing[0]
            first = next(k for k in spec.keys if k in errors)
            raise errors[first]
        return {k: results[k] for k in spec.keys}

    # -- one section --

    def context_size(self, section: SectionSpec, prompt: Prompt) -> int:
        """num_ctx for this prompt: room for the prompt (estimated), the schema and num_predict."""
        chars = len(prompt.system) + len(prompt.user) + len(json.dumps(answer_schema(section.findings)))
        needed = int(chars / CHARS_PER_TOKEN) + int(prompt.options.get("num_predict") or 1024) + 64
        if needed > self.max_ctx:
            raise PromptTooLarge(section.key, needed, self.max_ctx)
        sized = -(-needed // CTX_STEP) * CTX_STEP
        return max(int(prompt.options.get("num_ctx") or 0), sized)

    def _one(self, section: SectionSpec, prompt: Prompt, abort: threading.Event) -> SectionResult:
        try:
            num_ctx = self.context_size(section, prompt)
        except PromptTooLarge:
            abort.set()
            raise
        if num_ctx != prompt.options.get("num_ctx"):
            # The digest covers what is sent, so a different window is a different cache entry.
            options = {**prompt.options, "num_ctx": num_ctx}
            prompt = prompt.model_copy(update={
                "options": options,
                "sha256": prompt_digest(prompt.model, prompt.system, prompt.user, options),
            })
        hit = self._cache_get(section, prompt)
        if hit is not None:
            log.info("llm.section.cache_hit", section=section.key, prompt_sha256=prompt.sha256)
            return hit
        try:
            result = self._call_with_retries(section, prompt, abort)
        except (SectionFailed, ModelMissing):
            abort.set()  # set from the worker itself, before the pool hands it the next section
            raise
        log.info(
            "llm.section.done",
            section=section.key,
            attempts=result.attempts,
            duration_ms=result.duration_ms,
            eval_count=result.completion_tokens,  # a key named *token* is redacted by the logger
        )
        self._cache_put(result)
        return result

    def _call_with_retries(self, section: SectionSpec, prompt: Prompt, abort: threading.Event) -> SectionResult:
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential_jitter(
                multiplier=self.backoff_initial_s, max=self.backoff_max_s, jitter=self.backoff_initial_s
            ),
            retry=retry_if_exception_type(_Retryable),
            reraise=True,
        )
        number = 0
        best: SectionResult | None = None  # the valid answer missing the fewest subjects, if any
        try:
            for attempt in retrying:
                with attempt:
                    number = attempt.retry_state.attempt_number
                    if abort.is_set():
                        raise _Aborted()
                    try:
                        result = self._attempt(section, prompt, number)
                    except _Retryable as exc:
                        if isinstance(exc, _Uncovered) and (best is None or _missing(exc.result) < _missing(best)):
                            best = exc.result
                        log.warning("llm.section.attempt_failed", section=section.key, attempt=number, reason=str(exc))
                        raise
        except (_Retryable, _Fatal) as exc:
            if best is None:
                raise SectionFailed(section.key, str(exc), number) from None
            # Every check but coverage passed: deliver the answer for review, with the gap in its provenance (the
            # review Comment names the section), rather than fail a paid order over a name the reviewer can add.
            assert best.coverage is not None
            log.warning("llm.section.coverage_incomplete", section=section.key, attempts=number,
                        subjects=best.coverage.subjects, missing=best.coverage.missing)
            return best.model_copy(update={"attempts": number})
        return result

    def _attempt(self, section: SectionSpec, prompt: Prompt, number: int) -> SectionResult:
        started = time.monotonic()
        deadline = started + self.section_timeout_s
        options = dict(prompt.options)
        if number > 1 and "seed" in options:
            # A fixed seed gives the same bad answer again; a retry after a failed check needs a new draw.
            options["seed"] = int(options["seed"]) + number - 1
        parts: list[str] = []
        final: ollama.ChatResponse | None = None
        try:
            digest = self.model_digest()
            stream = cast(
                Generator[ollama.ChatResponse, None, None],
                self._client.chat(
                    model=self.model,
                    messages=[
                        {"role": "system", "content": prompt.system},
                        {"role": "user", "content": prompt.user},
                    ],
                    stream=True,
                    format=answer_schema(section.findings),
                    options=options,
                    keep_alive=self.keep_alive,
                ),
            )
            try:
                for chunk in stream:
                    parts.append(chunk.message.content or "")
                    if chunk.done:
                        final = chunk
                        break
                    if time.monotonic() > deadline:
                        raise _Retryable(f"no complete answer within {self.section_timeout_s:g}s")
            finally:
                stream.close()  # closes the HTTP response, so the server sees the client go away
        except ollama.ResponseError as exc:
            raise self._classify(exc) from None
        except ConnectionError:
            # Non-streaming calls (the /api/tags lookup) wrap a refused connection in the builtin.
            raise _Retryable(f"Ollama unreachable at {self.host}") from None
        except httpx.ConnectError:
            raise _Retryable(f"Ollama unreachable at {self.host}") from None
        except httpx.TimeoutException:
            raise _Retryable(f"no data from Ollama for {self.chunk_timeout_s:g}s (hung or overloaded)") from None
        except httpx.TransportError as exc:
            raise _Retryable(f"connection to Ollama dropped mid-answer ({type(exc).__name__})") from None
        except (json.JSONDecodeError, ValidationError):
            raise _Retryable("malformed answer stream from Ollama") from None
        if final is None:
            raise _Retryable("answer stream ended before the final chunk")
        text = "".join(parts).strip()
        if final.done_reason == "length":
            raise _Retryable(f"answer cut off at num_predict={options.get('num_predict')}")
        try:
            content = parse_answer(text, section.findings)
        except AnswerInvalid as exc:
            raise _Retryable(str(exc)) from None
        problem = check_content(content, section, prompt.system)
        if problem:
            raise _Retryable(problem)
        result = SectionResult(
            key=section.key,
            content=content,
            keep_alive=self.keep_alive,
            model=self.model,
            model_digest=digest,
            prompt_sha256=prompt.sha256,
            options=options,
            prompt_tokens=final.prompt_eval_count,
            completion_tokens=final.eval_count,
            duration_ms=round((time.monotonic() - started) * 1000),
            backend_total_ms=round(final.total_duration / 1e6) if final.total_duration else None,
            done_reason=final.done_reason,
            attempts=number,
            coverage=_coverage_count(content, prompt.coverage),
        )
        uncovered = check_coverage(content, prompt.coverage)
        if uncovered:
            raise _Uncovered(uncovered, result)
        return result

    def _classify(self, exc: ollama.ResponseError) -> Exception:
        status = exc.status_code
        reason = str(exc.error)[:MAX_REASON_CHARS]
        if status == 404:
            return ModelMissing(self.model, self.host)
        if status == -1 or status == 429 or status >= 500:
            # -1: an {"error": ..} line in the middle of a stream (the runner crashed, ran out of memory).
            return _Retryable(f"Ollama error {status}: {reason}")
        return _Fatal(f"Ollama refused the request ({status}): {reason}")

    def model_digest(self) -> str | None:
        """The digest of the model as /api/tags lists it, fetched once per generator."""
        with self._digest_lock:
            if self._digest is not None:
                return self._digest or None
            listing = self._client.list()
            wanted = {self.model, f"{self.model}:latest"}
            for m in listing.models:
                if m.model in wanted:
                    self._digest = m.digest or ""
                    return self._digest or None
            raise ModelMissing(self.model, self.host)

    # -- cache --

    def _cache_get(self, section: SectionSpec, prompt: Prompt) -> SectionResult | None:
        if self.cache is None:
            return None
        try:
            raw = self.cache.get(prompt.sha256)
        except Exception as exc:  # a cache outage costs a call, never the order
            log.warning("llm.cache.get_failed", section=section.key, error=type(exc).__name__)
            return None
        if raw is None:
            return None
        try:
            hit = SectionResult.model_validate_json(raw)
        except ValidationError:
            log.warning("llm.cache.corrupt", section=section.key, prompt_sha256=prompt.sha256)
            return None
        # Bounds may have been tightened since the entry was written; re-check before trusting it.
        if hit.prompt_sha256 != prompt.sha256 or check_content(hit.content, section, prompt.system):
            return None
        # Coverage is not re-checked: the same prompt names the same subjects, and an entry kept with a gap
        # stays what the retries could get; its count is recomputed so the flag survives the cache.
        return hit.model_copy(update={"key": section.key, "cached": True, "source": "cache",
                                      "coverage": _coverage_count(hit.content, prompt.coverage)})

    def _cache_put(self, result: SectionResult) -> None:
        if self.cache is None:
            return
        try:
            self.cache.put(result.prompt_sha256, result.model_dump_json().encode("utf-8"))
        except Exception as exc:
            log.warning("llm.cache.put_failed", section=result.key, error=type(exc).__name__)


def _missing(result: SectionResult) -> int:
    return result.coverage.missing if result.coverage else 0


def _completed(futures: Iterable[Future[SectionResult]]) -> Iterable[Future[SectionResult]]:
    """Futures as they finish, skipping cancelled ones."""
    pending = set(futures)
    while pending:
        done, pending = wait(pending, return_when="FIRST_COMPLETED")
        for fut in done:
            if not fut.cancelled():
                yield fut


# --- backend identification -------------------------------------------------------------------------------


def ollama_version(host: str, timeout_s: float = 5.0) -> str:
    """GET /api/version (the client has no method for it). Raises httpx.HTTPError when unreachable."""
    resp = httpx.get(f"{_parse_host(host)}/api/version", timeout=timeout_s)
    resp.raise_for_status()
    return str(resp.json().get("version", ""))


def describe_backend(host: str, timeout_s: float = 5.0) -> str:
    """One line for logs and the demo: which Ollama answered (stand-in or real) and where."""
    where = _safe_host(host)
    try:
        version = ollama_version(host, timeout_s)
    except (httpx.HTTPError, ValueError) as exc:
        return f"no Ollama reachable at {where} ({type(exc).__name__})"
    if "standin" in version:
        return f"Ollama STAND-IN (pwdev, version {version}) at {where}: text is synthetic, not a real model"
    return f"real Ollama {version} at {where}"
