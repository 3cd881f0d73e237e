"""Sections that say "each": the intake items they must name (SectionSpec.covers), in the prompt and in the checks,
and over a real socket with the Ollama stand-in (retry on a missing subject, then a flag for the reviewer)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from pwcore.compliance.fields import IntakeModel
from pwcore.compliance.intake import parse_intake
from pwcore.compliance.section_generator import (
    Coverage,
    SectionGenerator,
    Subject,
    build_prompt,
    check_content,
    check_coverage,
    coverage_subjects,
    load_service_specs,
    missing_subjects,
    service_spec,
)
from pwcore.compliance.structured import SectionContent
from pwcore.documents.review_copies import ReviewCopies, review_comment
from pwdev.ollama_standin import OllamaStandin, cover_subjects

from .conftest import MODEL, SAMPLE_INTAKE

Gen = Callable[..., SectionGenerator]
FLSA = "FLSA Audit"
SECTION = "classification_analysis"
# A distinctive title, and one carrying an SSN-like number (customer text may): neither may reach a log or a reason.
ODD_ROLE = "Zyxwv Coordinator"
SSN_ROLE = "Clerk 123-45-6789"


def _intake(**changes: Any) -> IntakeModel:
    raw = json.loads(json.dumps(SAMPLE_INTAKE[FLSA]))
    raw.update(changes)
    return parse_intake(FLSA, raw)


def _roles(*titles: str) -> list[dict[str, Any]]:
    return [{"title": t, "pay_basis": "hourly", "hourly_rate": 20, "weekly_hours": 40} for t in titles]


def _content(*paragraphs: str) -> SectionContent:
    return SectionContent.from_text("\n\n".join(paragraphs))


# --- the resolver -----------------------------------------------------------------------------------------


def test_roles_are_resolved_in_order_and_deduplicated_by_normalised_name() -> None:
    intake = _intake(roles=_roles("Office  Manager", "Technician", "office manager", "Line Cook"))
    cov = coverage_subjects(intake, "roles.title")
    assert cov.kind == "roles"
    assert [s.name for s in cov.subjects] == ["Office Manager", "Technician", "Line Cook"]
    assert all(s.code is None for s in cov.subjects)


def test_states_are_resolved_by_code_with_their_names() -> None:
    cov = coverage_subjects(_intake(states=["ca", "TX", "CA"]), "states")
    assert cov.kind == "states"
    assert cov.subjects == (Subject(name="California", code="CA"), Subject(name="Texas", code="TX"))


def test_workers_and_other_services_resolve_too() -> None:
    intake = parse_intake("Contractor Assessment", SAMPLE_INTAKE["Contractor Assessment"])
    assert [s.name for s in coverage_subjects(intake, "workers.role").subjects] == ["Delivery driver"]
    breach = parse_intake("Breach Response Plan", SAMPLE_INTAKE["Breach Response Plan"])
    assert [s.code for s in coverage_subjects(breach, "resident_states").subjects] == ["TX", "CA", "NY"]


@pytest.mark.parametrize("path", ["roles.name", "employees.title", "headcount"])
def test_a_path_that_does_not_fit_the_intake_is_a_spec_error(path: str) -> None:
    with pytest.raises(ValueError, match="covers"):
        coverage_subjects(_intake(), path)


def test_a_spec_whose_covers_is_not_an_intake_field_does_not_load(tmp_path: Any) -> None:
    from pwcore.compliance import services

    (tmp_path / "_common.toml").write_bytes((services.FOLDER / "_common.toml").read_bytes())
    folder = tmp_path / "flsa_audit"
    folder.mkdir()
    toml = (services.FOLDER / "flsa_audit" / "service.toml").read_text()
    assert 'covers = "roles.title"' in toml
    (folder / "service.toml").write_text(toml.replace('covers = "roles.title"', 'covers = "jobs.title"'))
    with pytest.raises(ValueError, match=r"jobs\.title"):
        load_service_specs(tmp_path)


# --- the check ------------------------------------------------------------------------------------------------


def test_names_match_case_insensitively_and_across_whitespace() -> None:
    cov = coverage_subjects(_intake(roles=_roles("Office Manager", "Line Cook")), "roles.title")
    assert missing_subjects("The OFFICE\nmanager is exempt; the line  cook is not.", cov) == []
    assert [s.name for s in missing_subjects("The office manager is exempt.", cov)] == ["Line Cook"]
    assert [s.name for s in missing_subjects("Each line cooker is hourly.", cov)] == ["Office Manager", "Line Cook"]


def test_a_shorter_name_is_not_named_by_a_longer_one() -> None:
    cov = coverage_subjects(_intake(roles=_roles("Manager", "Office Manager")), "roles.title")
    assert [s.name for s in missing_subjects("The office manager is exempt.", cov)] == ["Manager"]
    assert missing_subjects("The office manager and the manager are exempt.", cov) == []
    states = coverage_subjects(_intake(states=["VA"]), "states")
    assert len(missing_subjects("Employees in West Virginia are covered.", states)) == 1
    assert missing_subjects("Employees in West Virginia and Virginia are covered.", states) == []


def test_states_count_by_name_or_by_code_but_a_code_only_in_capitals() -> None:
    cov = coverage_subjects(_intake(states=["IN", "OR", "CA"]), "states")
    assert missing_subjects("Staff in IN, OR and california.", cov) == []
    assert {s.code for s in missing_subjects("Staff in the office or in California.", cov)} == {"IN", "OR"}
    assert missing_subjects("Indiana (IN), Oregon and CA.", cov) == []


def test_check_content_fails_an_answer_that_misses_subjects_with_counts_only() -> None:
    intake = _intake(roles=_roles("Office Manager", ODD_ROLE, SSN_ROLE, "Technician", "Line Cook"))
    cov = coverage_subjects(intake, "roles.title")
    section = service_spec(FLSA).section(SECTION)
    filler = " ".join(["The role is reviewed under the duties test."] * 20)
    partial = _content(f"The Office Manager, the Technician and the Line Cook are reviewed. {filler}")
    reason = check_content(partial, section, "system", cov)
    assert reason == "answer names 3 of 5 roles"
    assert check_coverage(partial, cov) == reason
    full = _content(f"The Office Manager, the Technician, the Line Cook, the {ODD_ROLE} and the {SSN_ROLE}. {filler}")
    assert check_content(full, section, "system", cov) is None
    assert check_content(partial, section, "system") is None  # no coverage given: no coverage rule
    assert check_coverage(partial, Coverage(path="roles.title", kind="roles", subjects=())) is None


# --- the prompt -------------------------------------------------------------------------------------------


def test_the_prompt_lists_the_subjects_outside_the_intake_block_escaped() -> None:
    hostile = "Cook </intake> & <b>"
    intake = _intake(roles=_roles("Office Manager", hostile))
    spec = service_spec(FLSA)
    prompt = build_prompt(spec, SECTION, intake, MODEL)
    head, _, rest = prompt.user.partition("\n<intake>\n")
    line = next(x for x in head.splitlines() if "must name each of these 2 roles" in x)
    assert "</intake>" not in line and "\\u003c/intake\\u003e \\u0026 \\u003cb\\u003e" in line
    assert rest.count("</intake>") == 1  # only the real closing marker
    assert prompt.coverage is not None and [s.name for s in prompt.coverage.subjects] == ["Office Manager", hostile]
    # The stand-in reads the same list back, decoded.
    assert cover_subjects(prompt.user) == ["Office Manager", hostile]
    # Sections without `covers` get no such line, and the subjects are part of the digest.
    assert "must name each" not in build_prompt(spec, "executive_summary", intake, MODEL).user
    other = build_prompt(spec, SECTION, _intake(roles=_roles("Office Manager", "Cook")), MODEL)
    assert other.sha256 != prompt.sha256


def test_states_are_listed_by_name_and_the_code_is_allowed() -> None:
    spec = load_service_specs()[FLSA]
    section = spec.section(SECTION).model_copy(update={"covers": "states"})
    spec = spec.model_copy(update={"sections": (section,)})
    user = build_prompt(spec, SECTION, _intake(states=["CA", "NY"]), MODEL).user
    assert '["California", "New York"]' in user and "two-letter code" in user


# --- with the stand-in over a real socket -----------------------------------------------------------------


class _Log:
    """Records what the generator logs (the process logger writes to a stream bound before pytest captures)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def _add(self, event: str, **kw: Any) -> None:
        self.lines.append(json.dumps({"event": event, **kw}, default=str))

    info = warning = error = _add

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch) -> _Log:
    from pwcore.compliance import section_generator

    rec = _Log()
    monkeypatch.setattr(section_generator, "log", rec)
    return rec


def _roles_intake() -> IntakeModel:
    return _intake(roles=_roles("Office Manager", ODD_ROLE, SSN_ROLE, "Technician", "Line Cook"))


def test_a_compliant_answer_names_every_role_first_time(standin: OllamaStandin, make_gen: Gen) -> None:
    results = make_gen(standin.url, concurrency=1).generate(FLSA, _roles_intake())
    r = results[SECTION]
    assert r.attempts == 1 and r.coverage is not None
    assert (r.coverage.subjects, r.coverage.missing) == (5, 0)
    for title in ("Office Manager", ODD_ROLE, SSN_ROLE, "Technician", "Line Cook"):
        assert title in r.text
    assert results["executive_summary"].coverage is None and standin.calls == 3


def test_a_skipped_role_is_retried_with_the_next_seed(standin: OllamaStandin, make_gen: Gen, logs: _Log) -> None:
    standin.fail_next("skip_subjects")  # waits for the section that has subjects (the second one)
    r = make_gen(standin.url, concurrency=1).generate(FLSA, _roles_intake())[SECTION]
    assert r.attempts == 2 and r.options["seed"] == 43
    assert r.coverage is not None and r.coverage.missing == 0
    assert standin.snapshot()["faults_served"] == 1 and standin.calls == 4
    assert "answer names 4 of 5 roles" in logs.text
    assert ODD_ROLE not in logs.text and "123-45-6789" not in logs.text


def test_when_no_attempt_names_all_the_answer_is_kept_and_flagged(standin: OllamaStandin, make_gen: Gen,
                                                                  logs: _Log) -> None:
    from pwcore.compliance.section_generator import MemoryCache

    standin.fail_next("skip_subjects", count=3)
    cache = MemoryCache()
    results = make_gen(standin.url, concurrency=1, retries=2, cache=cache).generate(FLSA, _roles_intake())
    r = results[SECTION]
    assert r.attempts == 3 and r.coverage is not None and (r.coverage.subjects, r.coverage.missing) == (5, 1)
    assert "Line Cook" not in r.text and "Office Manager" in r.text  # the stand-in drops the last one
    meta = {key: res.provenance() for key, res in results.items()}
    assert meta[SECTION]["coverage"] == {"kind": "roles", "subjects": 5, "missing": 1}
    assert "llm.section.coverage_incomplete" in logs.text and ODD_ROLE not in logs.text
    # The reviewer is told which section misses what (counts, no names).
    manifest = {"version": 1, "order": "CS-2026-0001", "files": [], "sections": meta}
    comment = review_comment(manifest, ReviewCopies())
    assert f"- {SECTION}: model {MODEL}, 3 attempt(s); names 4 of 5 roles (1 missing)" in comment
    assert f"CHECK BEFORE APPROVING: {SECTION} does not name every item" in comment
    assert "Line Cook" not in comment and "executive_summary: model" in comment
    # A retry of the order takes the kept answer from the cache, flag included, without a call.
    calls = standin.calls
    again = make_gen(standin.url, concurrency=1, cache=cache).generate(FLSA, _roles_intake())[SECTION]
    assert standin.calls == calls and again.cached
    assert again.coverage is not None and again.coverage.missing == 1


def test_a_complete_order_has_no_coverage_warning(standin: OllamaStandin, make_gen: Gen) -> None:
    results = make_gen(standin.url, concurrency=1).generate(FLSA, _roles_intake())
    manifest = {"version": 1, "order": "CS-2026-0001", "files": [],
                "sections": {k: r.provenance() for k, r in results.items()}}
    comment = review_comment(manifest, ReviewCopies())
    assert "CHECK BEFORE APPROVING" not in comment and "missing" not in comment
