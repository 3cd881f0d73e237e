"""Real-model robustness (#15 item 7): num_ctx sized to the prompt, a prompt that cannot fit fails the section
before any call with a clear reason, and num_ctx, keep_alive, seed and temperature are in the provenance."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pwcore.clients.ollama_api import DEFAULT_MAX_CTX, OllamaSettings
from pwcore.compliance.intake import parse_intake
from pwcore.compliance.section_generator import PromptTooLarge, SectionGenerator
from pwdev.ollama_standin import OllamaStandin

from .conftest import SAMPLE_INTAKE

Gen = Callable[..., SectionGenerator]
FLSA = "FLSA Audit"


def _big_flsa(roles: int) -> dict[str, Any]:
    role = {"title": "Technician", "pay_basis": "hourly", "hourly_rate": 24.5, "weekly_hours": 44,
            "duties": "Installs, repairs and services equipment at customer sites; " * 30}
    return {**SAMPLE_INTAKE[FLSA], "roles": [dict(role, title=f"Technician {i}") for i in range(roles)],
            "notes": "Context from the owner. " * 80}


def test_a_small_prompt_keeps_the_specs_window_and_provenance_says_so(standin: OllamaStandin,
                                                                      make_gen: Gen) -> None:
    gen = make_gen(standin.url, keep_alive="30m", concurrency=1)
    results = gen.generate(FLSA, parse_intake(FLSA, SAMPLE_INTAKE[FLSA]), only={"executive_summary"})
    meta = results["executive_summary"].provenance()
    assert meta["options"]["num_ctx"] == 8192 and meta["options"]["seed"] == 42
    assert meta["options"]["temperature"] == 0.2 and meta["keep_alive"] == "30m"


def test_a_large_prompt_gets_a_larger_window(standin: OllamaStandin, make_gen: Gen) -> None:
    gen = make_gen(standin.url, concurrency=1)
    intake = parse_intake(FLSA, _big_flsa(12))
    prompt = gen.prompts(FLSA, intake)["executive_summary"]
    section = gen.spec(FLSA).section("executive_summary")
    sized = gen.context_size(section, prompt)
    assert sized > 8192 and sized % 1024 == 0
    # The window holds the prompt (at a generous 3 characters a token) plus the answer budget.
    assert sized >= (len(prompt.system) + len(prompt.user)) / 3 + prompt.options["num_predict"]
    r = gen.generate(FLSA, intake, only={"executive_summary"})["executive_summary"]
    assert r.options["num_ctx"] == sized and r.prompt_sha256 != prompt.sha256  # the digest covers num_ctx


def test_a_prompt_that_cannot_fit_fails_before_any_call(standin: OllamaStandin, make_gen: Gen) -> None:
    gen = make_gen(standin.url, max_ctx=8192, concurrency=1)
    with pytest.raises(PromptTooLarge) as err:
        gen.generate(FLSA, parse_intake(FLSA, _big_flsa(12)))
    assert "OLLAMA_MAX_CTX" in str(err.value) and "8192" in str(err.value)
    assert "Technician" not in str(err.value)  # never the intake's text
    assert standin.calls == 0


def test_settings_carry_keep_alive_and_the_window_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_KEEP_ALIVE", "1h")
    monkeypatch.setenv("OLLAMA_MAX_CTX", "24576")
    settings = OllamaSettings()
    gen = SectionGenerator.from_settings(settings)
    try:
        assert (gen.keep_alive, gen.max_ctx) == ("1h", 24576)
    finally:
        gen.close()
    monkeypatch.delenv("OLLAMA_MAX_CTX")
    assert OllamaSettings().max_ctx == DEFAULT_MAX_CTX
