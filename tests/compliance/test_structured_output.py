"""Structured LLM output over real sockets: the schema goes out as Ollama's `format`, the answer is validated,
bad answers (not JSON, truncated, off-schema, too slow) are retried a bounded number of times, then the section
fails with a clear reason; the cache holds the structured JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pwcore.compliance.intake import parse_intake
from pwcore.compliance.section_generator import MemoryCache, SectionFailed, SectionGenerator
from pwcore.compliance.structured import AnswerInvalid, SectionContent, answer_schema, parse_answer
from pwdev.ollama_standin import OllamaStandin, SchemaFiller, structured_answer

from .conftest import SAMPLE_INTAKE

Gen = Callable[..., SectionGenerator]
FLSA = "FLSA Audit"
ONE = {"executive_summary"}  # only: one section per generate() call keeps the fault queue simple


def _flsa_one(gen: SectionGenerator) -> Any:
    return gen.generate(FLSA, parse_intake(FLSA, SAMPLE_INTAKE[FLSA]), only=ONE)["executive_summary"]


def test_the_schema_is_sent_and_the_answer_conforms(standin: OllamaStandin, make_gen: Gen) -> None:
    gen = make_gen(standin.url, concurrency=1)
    results = gen.generate(FLSA, parse_intake(FLSA, SAMPLE_INTAKE[FLSA]))
    for key, r in results.items():
        spec = gen.spec(FLSA).section(key)
        assert spec.min_words <= r.content.word_count() <= spec.max_words
        assert bool(r.content.findings) == spec.findings
    plan = results["remediation_plan"].content
    assert plan.findings and all(f.priority in ("High", "Medium", "Low") for f in plan.findings)
    # The stand-in answers `format` with JSON built from the schema; a plain request gets prose.
    body = {"model": "qwen2.5:7b", "stream": False, "format": answer_schema(True),
            "messages": [{"role": "user", "content": "between 100 and 200 words"}]}
    answer = httpx.post(f"{standin.url}/api/chat", json=body).json()["message"]["content"]
    assert parse_answer(answer, with_findings=True).findings
    plain = httpx.post(f"{standin.url}/api/chat", json={**body, "format": None}).json()["message"]["content"]
    with pytest.raises(AnswerInvalid, match="not valid JSON"):
        parse_answer(plain, with_findings=False)


@pytest.mark.parametrize("fault,reason", [("invalid_json", "not valid JSON"), ("truncated", "truncated JSON"),
                                          ("garbage", "template syntax"), ("empty", "empty answer")])
def test_a_bad_answer_is_retried_then_used(fault: str, reason: str, standin: OllamaStandin, make_gen: Gen) -> None:
    standin.fail_next(fault)
    r = _flsa_one(make_gen(standin.url, concurrency=1))
    assert r.attempts == 2 and r.content.blocks
    assert r.options["seed"] == 43  # the retry drew a new sample
    # What the first attempt saw, and why it was refused:
    standin.fail_next(fault)
    body = {"model": "qwen2.5:7b", "stream": True, "format": answer_schema(False),
            "messages": [{"role": "user", "content": "between 100 and 200 words"}]}
    with httpx.stream("POST", f"{standin.url}/api/chat", json=body) as resp:
        lines = [json.loads(line) for line in resp.iter_lines() if line]
    assert lines[-1]["done"] is True and lines[-1]["done_reason"] == "stop"
    text = "".join(line["message"]["content"] for line in lines)
    problem = ""
    try:
        content = parse_answer(text, with_findings=False)
        problem = "template syntax" if "{{" in content.plain_text() else ""
    except AnswerInvalid as exc:
        problem = str(exc)
    assert reason in problem


@pytest.mark.parametrize("fault,reason", [("invalid_json", "not valid JSON"), ("truncated", "truncated JSON")])
def test_bad_answers_every_time_fail_the_section_clearly(fault: str, reason: str, standin: OllamaStandin,
                                                         make_gen: Gen) -> None:
    standin.fail_next(fault, count=10)
    with pytest.raises(SectionFailed) as err:
        _flsa_one(make_gen(standin.url, concurrency=1, retries=2))
    assert err.value.attempts == 3 and reason in err.value.reason
    assert "Office Manager" not in str(err.value)  # never the intake's text
    assert standin.calls == 3  # bounded: retries + 1 calls


def test_a_slow_stream_hits_the_deadline_and_the_retry_finishes(standin: OllamaStandin, make_gen: Gen) -> None:
    standin.fail_next("slow", delay_s=0.05)  # ~300 tokens * 50 ms = 15 s, past the 1 s deadline
    r = _flsa_one(make_gen(standin.url, concurrency=1, section_timeout_s=1.0, chunk_timeout_s=1.0))
    assert r.attempts == 2


def test_slow_fault_and_latency_knobs_over_http(standin: OllamaStandin) -> None:
    bad = httpx.post(f"{standin.url}/_standin/faults", json={"kind": "slow", "delay_s": 600})
    assert bad.status_code == 400
    ok = httpx.post(f"{standin.url}/_standin/faults", json={"kind": "slow", "delay_s": 0.01, "count": 1})
    assert ok.status_code == 200
    assert httpx.post(f"{standin.url}/_standin/config", json={"token_latency_s": 0.0}).status_code == 200
    assert standin.snapshot()["faults_served"] == 0


def test_cache_stores_the_structured_json(standin: OllamaStandin, make_gen: Gen) -> None:
    cache = MemoryCache()
    gen = make_gen(standin.url, cache=cache, concurrency=1)
    first = gen.generate(FLSA, parse_intake(FLSA, SAMPLE_INTAKE[FLSA]))
    raw = json.loads(cache.get(first["remediation_plan"].prompt_sha256) or b"{}")
    stored = SectionContent.model_validate(raw["content"])
    assert stored == first["remediation_plan"].content and stored.findings
    again = gen.generate(FLSA, parse_intake(FLSA, SAMPLE_INTAKE[FLSA]))
    assert all(r.source == "cache" for r in again.values()) and standin.calls == 3


def test_schema_filler_follows_the_schema_it_is_given() -> None:
    schema = {"$defs": {"Kind": {"enum": ["a", "b"], "type": "string"}},
              "type": "object", "required": ["kind", "tags", "n", "flag", "fixed"],
              "properties": {"kind": {"$ref": "#/$defs/Kind"}, "fixed": {"const": "x"},
                             "tags": {"type": "array", "minItems": 2, "maxItems": 3,
                                      "items": {"type": "string", "maxLength": 20}},
                             "n": {"type": "integer", "minimum": 5}, "flag": {"type": "boolean"},
                             "optional": {"type": "string"}}}
    value = SchemaFiller(schema, "ab" * 32, 50).value(schema)
    assert value["kind"] in ("a", "b") and value["fixed"] == "x" and value["n"] == 5
    assert 2 <= len(value["tags"]) <= 3 and all(len(t) <= 20 for t in value["tags"])
    assert isinstance(value["flag"], bool) and "optional" not in value
    # The section schemas, for many seeds, always parse (with the table rule applied).
    for i in range(40):
        text = structured_answer(answer_schema(i % 2 == 0), f"{i:064x}", (150, 300))
        assert parse_answer(text, with_findings=i % 2 == 0).word_count() >= 100
