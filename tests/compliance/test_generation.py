"""SectionGenerator against the Ollama stand-in over real sockets: faults, retries, cache, parallelism."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import ollama
import pytest

from pwcore.compliance.fields import IntakeModel
from pwcore.compliance.intake import parse_intake
from pwcore.compliance.section_generator import (
    MemoryCache,
    ModelMissing,
    SectionFailed,
    SectionGenerator,
    SectionResult,
    describe_backend,
    ollama_version,
    section_keys,
)
from pwcore.compliance.structured import SectionContent
from pwdev.ollama_standin import BUSY, OllamaStandin

from .conftest import MODEL, SAMPLE_INTAKE, closed_port_url

Gen = Callable[..., SectionGenerator]
FLSA = "FLSA Audit"


def flsa() -> IntakeModel:
    return parse_intake(FLSA, SAMPLE_INTAKE[FLSA])


@pytest.mark.parametrize("service", sorted(SAMPLE_INTAKE))
def test_every_service_generates_with_provenance(service: str, standin: OllamaStandin, make_gen: Gen) -> None:
    gen = make_gen(standin.url, concurrency=4)
    results = gen.generate(service, parse_intake(service, SAMPLE_INTAKE[service]))
    assert list(results) == section_keys(service)
    tags = httpx.get(f"{standin.url}/api/tags").json()["models"]
    for key, r in results.items():
        assert r.key == key and r.text and "{{" not in r.text
        assert r.model == MODEL and r.model_digest == tags[0]["digest"]
        assert len(r.prompt_sha256) == 64 and r.attempts == 1 and not r.cached
        assert r.options["seed"] == 42 and r.options["temperature"] == 0.2 and r.options["num_ctx"] == 8192
        # The answer is JSON: its tokens are the words plus the structure around them.
        assert r.prompt_tokens and r.completion_tokens and r.completion_tokens > r.content.word_count()
        assert r.content.blocks and (bool(r.content.findings) == gen.spec(service).section(key).findings)
        assert r.duration_ms >= 0 and r.done_reason == "stop"
        assert "content" not in r.provenance() and r.provenance()["format"] == "json-schema"
    assert standin.calls == len(results)


def test_ollama_down_is_retried_then_section_failed(make_gen: Gen) -> None:
    gen = make_gen(closed_port_url(), retries=2, concurrency=1)
    with pytest.raises(SectionFailed) as err:
        gen.generate(FLSA, flsa())
    assert err.value.attempts == 3
    assert err.value.section == "executive_summary"
    assert "unreachable" in err.value.reason
    assert "Office Manager" not in str(err.value)


def test_hung_model_is_detected_by_the_chunk_timeout_and_retried(standin: OllamaStandin, make_gen: Gen) -> None:
    standin.fail_next("hang", after_chunks=0)  # nothing at all, not even headers
    standin.fail_next("hang", after_chunks=4)  # stalls mid-answer
    gen = make_gen(standin.url, concurrency=1, chunk_timeout_s=0.3)
    started = time.monotonic()
    results = gen.generate(FLSA, flsa())
    assert results["executive_summary"].attempts == 3
    assert 0.6 <= time.monotonic() - started < 5


def test_slow_model_past_the_section_timeout_fails(standin: OllamaStandin, make_gen: Gen) -> None:
    standin.token_latency_s = 0.01  # ~200 tokens -> ~2 s, past the 0.3 s budget
    gen = make_gen(standin.url, concurrency=1, section_timeout_s=0.3, chunk_timeout_s=0.3, retries=1)
    started = time.monotonic()
    with pytest.raises(SectionFailed) as err:
        gen.generate(FLSA, flsa())
    assert "within 0.3s" in err.value.reason and err.value.attempts == 2
    assert time.monotonic() - started < 3


def test_503_server_busy_is_retried(standin: OllamaStandin, make_gen: Gen) -> None:
    standin.fail_next("503", count=2)
    gen = make_gen(standin.url, concurrency=1)
    results = gen.generate(FLSA, flsa())
    assert results["executive_summary"].attempts == 3
    assert standin.calls == 3 + 2


def test_full_queue_answers_503_and_the_generator_backs_off(make_gen: Gen) -> None:
    with OllamaStandin(num_parallel=1, max_queue=0, request_latency_s=0.05).start() as sb:
        r = httpx.post(f"{sb.url}/api/chat", json={"model": MODEL, "messages": []}, timeout=5)
        assert r.status_code == 200
        gen = make_gen(sb.url, concurrency=3, retries=8)
        results = gen.generate(FLSA, flsa())
        stats = sb.snapshot()
        assert stats["rejected_busy"] >= 1 and stats["max_running"][MODEL] == 1
        assert sum(r.attempts for r in results.values()) == 3 + stats["rejected_busy"]


def test_500_and_midstream_error_are_retried(standin: OllamaStandin, make_gen: Gen) -> None:
    standin.fail_next("500")
    standin.fail_next("error_midstream", after_chunks=3)
    gen = make_gen(standin.url, concurrency=1)
    assert gen.generate(FLSA, flsa())["executive_summary"].attempts == 3


def test_dying_mid_stream_is_retried(standin: OllamaStandin, make_gen: Gen) -> None:
    standin.fail_next("die", after_chunks=5)
    gen = make_gen(standin.url, concurrency=1)
    results = gen.generate(FLSA, flsa())
    assert results["executive_summary"].attempts == 2
    assert results["executive_summary"].options["seed"] == 43  # a retry draws with a new seed


def test_garbage_is_retried_and_never_returned(standin: OllamaStandin, make_gen: Gen) -> None:
    standin.fail_next("garbage")
    gen = make_gen(standin.url, concurrency=1)
    r = gen.generate(FLSA, flsa())["executive_summary"]
    assert r.attempts == 2 and "{{" not in r.text and "{%" not in r.text


def test_empty_answers_retried_then_failed(standin: OllamaStandin, make_gen: Gen) -> None:
    standin.fail_next("empty", count=10)
    gen = make_gen(standin.url, concurrency=1, retries=2)
    with pytest.raises(SectionFailed) as err:
        gen.generate(FLSA, flsa())
    assert err.value.section == "executive_summary" and err.value.attempts == 3
    assert err.value.reason == "empty answer"
    assert str(err.value) == "section 'executive_summary' failed after 3 attempt(s): empty answer"
    assert standin.calls == 3  # the other sections were not started


def test_model_missing_is_reported_for_the_operator(standin: OllamaStandin, make_gen: Gen) -> None:
    gen = make_gen(standin.url, model="llama9:70b")
    with pytest.raises(ModelMissing) as err:
        gen.generate(FLSA, flsa())
    assert str(err.value) == (
        f"model 'llama9:70b' is not available on the Ollama server at {standin.url}: run `ollama pull llama9:70b`"
    )
    assert standin.calls == 0
    # A 404 from /api/chat itself (model removed after /api/tags) is not retried either.
    standin.fail_next("404")
    gen2 = make_gen(standin.url, concurrency=1)
    with pytest.raises(ModelMissing):
        gen2.generate(FLSA, flsa())
    assert standin.calls == 1
    body = httpx.post(f"{standin.url}/api/chat", json={"model": "nope:1b", "messages": []}).json()
    assert body == {"error": "model 'nope:1b' not found"}


def test_cache_hit_makes_no_call(standin: OllamaStandin, make_gen: Gen, cache: MemoryCache) -> None:
    first = make_gen(standin.url, cache=cache).generate(FLSA, flsa())
    assert standin.calls == 3 and len(cache) == 3
    again = make_gen(standin.url, cache=cache).generate(FLSA, flsa())
    assert standin.calls == 3
    for key, r in again.items():
        assert r.cached and r.source == "cache" and r.text == first[key].text
        assert r.prompt_sha256 == first[key].prompt_sha256 and r.attempts == 1


def test_revision_regenerates_only_what_changed(standin: OllamaStandin, make_gen: Gen, cache: MemoryCache) -> None:
    gen = make_gen(standin.url, cache=cache)
    v1 = gen.generate(FLSA, flsa())
    assert standin.calls == 3
    # Reviewer notes on one section change only that prompt: one call, two cache hits.
    v2 = gen.generate(FLSA, flsa(), guidance={"remediation_plan": "Add a 30/60/90-day timeline."})
    assert standin.calls == 4
    assert [k for k, r in v2.items() if not r.cached] == ["remediation_plan"]
    assert v2["remediation_plan"].prompt_sha256 != v1["remediation_plan"].prompt_sha256
    # only + previous: untouched sections come from the previous version, the named one gets a new seed.
    v3 = gen.generate(FLSA, flsa(), only={"classification_analysis"}, previous=v1, seed_offset=2)
    assert standin.calls == 5
    assert v3["executive_summary"].source == "previous" and v3["executive_summary"].text == v1["executive_summary"].text
    assert v3["classification_analysis"].options["seed"] == 44
    assert v3["classification_analysis"].text != v1["classification_analysis"].text
    # A retry of that same revision is free.
    gen.generate(FLSA, flsa(), only={"classification_analysis"}, previous=v1, seed_offset=2)
    assert standin.calls == 5
    with pytest.raises(ValueError):
        gen.generate(FLSA, flsa(), only={"no_such_section"})


def test_cache_outage_costs_a_call_not_the_order(standin: OllamaStandin, make_gen: Gen) -> None:
    class Broken:
        def get(self, key: str) -> bytes | None:
            raise OSError("s3 down")

        def put(self, key: str, data: bytes) -> None:
            raise OSError("s3 down")

    results = make_gen(standin.url, cache=Broken()).generate(FLSA, flsa())
    assert len(results) == 3 and standin.calls == 3


def test_corrupt_cache_entry_is_regenerated(standin: OllamaStandin, make_gen: Gen, cache: MemoryCache) -> None:
    gen = make_gen(standin.url, cache=cache)
    first = gen.generate(FLSA, flsa())
    cache.put(first["executive_summary"].prompt_sha256, b"{not json")
    leftover = SectionContent.from_text("{{ leftover }} " * 100)
    bad = first["remediation_plan"].model_copy(update={"content": leftover})
    cache.put(bad.prompt_sha256, bad.model_dump_json().encode())
    again = gen.generate(FLSA, flsa())
    assert standin.calls == 5
    assert not again["executive_summary"].cached and not again["remediation_plan"].cached
    assert again["classification_analysis"].cached


def _timed(gen: SectionGenerator) -> tuple[float, dict[str, SectionResult]]:
    started = time.monotonic()
    results = gen.generate(FLSA, flsa())
    return time.monotonic() - started, results


def test_sections_run_in_parallel_up_to_the_concurrency(make_gen: Gen) -> None:
    with OllamaStandin(num_parallel=3, token_latency_s=0.001).start() as sb:  # ~0.2-0.4 s per section
        wall, results = _timed(make_gen(sb.url, concurrency=3))
        slowest = max(r.duration_ms for r in results.values()) / 1000
        assert wall / slowest < 1.5
        assert sb.snapshot()["max_running"][MODEL] == 3
        seq_wall, seq = _timed(make_gen(sb.url, concurrency=1, model=MODEL))
        assert seq_wall > 0.8 * sum(r.duration_ms for r in seq.values()) / 1000
        assert seq_wall > 2 * wall
    with OllamaStandin(num_parallel=4, request_latency_s=0.1).start() as sb:
        make_gen(sb.url, concurrency=2).generate("CCPA Audit", parse_intake("CCPA Audit", SAMPLE_INTAKE["CCPA Audit"]))
        assert sb.snapshot()["max_running"][MODEL] == 2


def test_standin_serialises_per_model_like_ollama(make_gen: Gen) -> None:
    with OllamaStandin(num_parallel=1, request_latency_s=0.1).start() as sb:
        wall, _ = _timed(make_gen(sb.url, concurrency=3))
        assert sb.snapshot()["max_running"][MODEL] == 1
        assert wall >= 0.3


def test_standin_speaks_the_ollama_api(standin: OllamaStandin) -> None:
    client = ollama.Client(host=standin.url, timeout=5)
    chat = client.chat(model=MODEL, messages=[{"role": "user", "content": "Write between 20 and 30 words."}])
    assert chat.done and chat.done_reason == "stop" and 20 <= len((chat.message.content or "").split()) <= 30
    assert chat.total_duration and chat.eval_count and chat.prompt_eval_count and chat.eval_duration
    again = client.chat(model=MODEL, messages=[{"role": "user", "content": "Write between 20 and 30 words."}])
    assert again.message.content == chat.message.content  # deterministic
    gen = client.generate(model=MODEL, prompt="hello", options={"num_predict": 5})
    assert gen.done_reason == "length" and gen.eval_count == 5
    chunks = list(client.generate(model=MODEL, prompt="hello", stream=True))
    assert chunks[-1].done and not any(c.done for c in chunks[:-1])
    assert [m.model for m in client.ps().models] == [MODEL]
    assert client.list().models[0].model == MODEL
    standin.fail_next("503")
    r = httpx.post(f"{standin.url}/api/generate", json={"model": MODEL, "prompt": "x"})
    assert r.status_code == 503 and r.json() == {"error": BUSY}
    stats = httpx.get(f"{standin.url}/_standin/stats").json()
    assert stats["calls"] == 5 and stats["faults_served"] == 1


def test_backend_is_described(standin: OllamaStandin) -> None:
    assert "standin" in ollama_version(standin.url)
    assert describe_backend(standin.url).startswith("Ollama STAND-IN")
    assert describe_backend(closed_port_url()).startswith("no Ollama reachable at http://127.0.0.1:")
    with pytest.raises(httpx.HTTPError):
        ollama_version(closed_port_url(), timeout_s=1)
