"""The LLM path end to end: a compliance order written with the Ollama stand-in, provenance for the reviewer,
a revision that regenerates only the section the reviewer named, and the failures an operator must understand."""

from __future__ import annotations

import json
import threading
from datetime import date
from typing import Any

from pdf_tables import squash, table_rows

from pwcore.clients.libreoffice import get_converter
from pwcore.compliance import services
from pwcore.compliance.section_generator import SectionGenerator
from pwcore.compliance.section_writer import S3SectionCache, make_section_writer
from pwcore.documents import context as ctx
from pwcore.documents.pdf_check import pdf_text
from pwcore.documents.template_store import TemplateStore
from pwcore.model.layout import llm_cache_key
from pwcore.model.status import Status
from pwcore.steps.generation import Generator
from pwdev.demo import FLSA_INTAKE, mark_paid, place_order, wait_status
from pwdev.stack import LocalStack


def llm_calls(stack: LocalStack) -> int:
    return int(stack.ollama.snapshot()["by_path"].get("/api/chat", 0))


def comments(erp: Any, name: str) -> list[str]:
    return [c["content"] for c in erp.list("Comment", fields=["content"], filters=[["reference_name", "=", name]])]


def compliance_order(erp: Any, hint: str) -> tuple[dict[str, Any], str]:
    order = place_order(erp, hint, "c@example.com", compliance=True)
    return order, order["orders"][1][1]


def test_compliance_order_review_then_revision_of_one_section(stack: LocalStack, erp: Any, storage: Any) -> None:
    order, name = compliance_order(erp, "LLM Path Retail")
    before = llm_calls(stack)
    mark_paid(erp, order["invoice"])
    doc = wait_status(erp, "Compliance Service", name, {"Review"}, timeout=180)
    assert doc["status"] == "Review", comments(erp, name)
    first_calls = llm_calls(stack) - before
    assert first_calls == 3  # executive_summary, classification_analysis, remediation_plan
    manifest = storage.get_json(f"orders/{name}/v1/manifest.json")
    sections = manifest["sections"]
    assert set(sections) == {"executive_summary", "classification_analysis", "remediation_plan"}
    for meta in sections.values():
        assert meta["model"] == "qwen2.5:7b" and len(meta["prompt_sha256"]) == 64
        assert meta["attempts"] >= 1 and meta["completion_tokens"] and meta["duration_ms"] >= 0
        assert meta["options"]["temperature"] <= 0.3 and "seed" in meta["options"]
    assert any("needs human review" in c and "remediation_plan" in c for c in comments(erp, name)), comments(erp, name)
    # The review copies were attached by the pipeline user, private, stamped, one per generated file.
    attached = erp.list_page("File", fields=["file_name", "file_url", "is_private", "owner"],
                             filters=[["attached_to_name", "=", name]])
    assert sorted(f["file_name"] for f in attached) == sorted(f"v1-DRAFT-{f['filename']}" for f in manifest["files"])
    assert all(f["is_private"] == 1 and f["owner"] != "Administrator" for f in attached)
    [review_pdf] = [f for f in attached if f["file_name"].endswith(".pdf") and "flsa-audit-report" in f["file_name"]]
    assert "DRAFT - not for delivery" in pdf_text(erp.file_content(review_pdf["file_url"]))
    v1_pdf = storage.get_bytes(f"orders/{name}/v1/flsa-audit-report.pdf")
    assert "Store Manager" in pdf_text(v1_pdf)
    # The remediation checklist next to the report: one row per finding the rule-based analysis established (by
    # priority), then one per finding of the structured remediation plan (as the S3 section cache holds it) that
    # names another requirement.
    assert f"orders/{name}/v1/remediation-checklist.pdf" in [f["key"] for f in manifest["files"]]
    plan = json.loads(storage.get_bytes(llm_cache_key(sections["remediation_plan"]["prompt_sha256"])))
    svc = services.service(str(doc["service_type"]))
    intake = svc.intake_model.model_validate_json(str(doc["intake_data"]))
    established = [f.model_dump() for f in
                   svc.analysis(intake, date.today(), str(doc["state"])).result.findings_by_priority()]
    known = {ctx._requirement_key(f["requirement"]) for f in established}
    findings = established + [f for f in plan["content"]["findings"]
                              if ctx._requirement_key(f["requirement"]) not in known]
    rows = table_rows(storage.get_bytes(f"orders/{name}/v1/remediation-checklist.pdf"))
    expected = [[str(n), f["priority"], f"{f['requirement']} [{f['authority']}]", f["gap"], f["action"], f["owner"],
                 f["due"]] for n, f in enumerate(findings, 1)]
    assert findings and len(rows) == len(expected)
    for got, want in zip(rows, expected, strict=True):
        # Narrow cells break long words mid-word, so cells compare without their whitespace.
        assert [squash(g) for g in got] == [squash(w) for w in want], list(zip(got, want, strict=True))

    # The reviewer asks for a change in one section: a new version, one LLM call, v1 untouched.
    erp.update("Compliance Service", name, {"status": "Revision",
                                            "review_notes": "Remediation plan: add a timeline for reclassifying "
                                                            "the shift leads."})
    doc = wait_status(erp, "Compliance Service", name, {"Review"}, timeout=180)
    assert doc["status"] == "Review" and doc["document_version"] == 2 and doc["minio_path"] == f"orders/{name}/v2/"
    assert llm_calls(stack) - before == first_calls + 1
    v2 = storage.get_json(f"orders/{name}/v2/manifest.json")["sections"]
    names = [f["file_name"] for f in erp.list_page("File", fields=["file_name"],
                                                   filters=[["attached_to_name", "=", name]])]
    assert names and all(n.startswith("v2-DRAFT-") for n in names)  # v1's copies detached
    # The reviewer reads what changed: the redline of the report against v1, attached and listed.
    redline = f"v2-DRAFT-flsa-audit-report-{name}.changes-from-v1.pdf"
    assert redline in names
    changes = pdf_text(storage.get_bytes(f"orders/{name}/v2/review/flsa-audit-report.changes-from-v1.pdf"))
    assert "Changes from v1 to v2" in changes and "No changes" not in changes
    assert any(redline in c and "word(s) inserted" in c for c in comments(erp, name))
    assert v2["remediation_plan"]["prompt_sha256"] != sections["remediation_plan"]["prompt_sha256"]
    assert v2["executive_summary"]["prompt_sha256"] == sections["executive_summary"]["prompt_sha256"]
    assert v2["executive_summary"]["cached"] is True
    assert storage.get_bytes(f"orders/{name}/v1/flsa-audit-report.pdf") == v1_pdf


def _generator(erp: Any, storage: Any, stack: LocalStack, model: str = "qwen2.5:7b") -> Generator:
    llm = SectionGenerator(stack.ollama_url, model, concurrency=3, section_timeout_s=30, retries=1,
                           cache=S3SectionCache(storage), backoff_initial_s=0.05, backoff_max_s=0.1)
    return Generator(erp, storage, TemplateStore(storage), get_converter().convert,
                     sections=make_section_writer(llm))


def test_invalid_intake_fails_before_any_llm_call(stack: LocalStack, erp: Any, storage: Any) -> None:
    _order, name = compliance_order(erp, "Bad Intake Co")
    bad = dict(FLSA_INTAKE, headcount=-3)
    bad["roles"] = [dict(FLSA_INTAKE["roles"][0], pay_basis="barter")]
    erp.update("Compliance Service", name, {"intake_data": json.dumps(bad), "status": "Queued"})
    before = llm_calls(stack)
    outcome = _generator(erp, storage, stack).run("Compliance Service", name)
    assert outcome.status == "failed" and llm_calls(stack) == before
    reason = " ".join(comments(erp, name))
    assert "headcount" in reason and "roles[0].pay_basis" in reason


def test_missing_model_fails_with_operator_message(stack: LocalStack, erp: Any, storage: Any) -> None:
    _order, name = compliance_order(erp, "No Model Co")
    erp.update("Compliance Service", name, {"status": "Queued"})
    outcome = _generator(erp, storage, stack, model="qwen9:404b").run("Compliance Service", name)
    assert outcome.status == "failed"
    assert erp.get("Compliance Service", name)["status"] == Status.FAILED
    assert any("ollama pull qwen9:404b" in c for c in comments(erp, name))


def test_two_generations_at_once_make_one_version(stack: LocalStack, erp: Any, storage: Any) -> None:
    _order, name = compliance_order(erp, "Twin Runs Co")
    erp.update("Compliance Service", name, {"status": "Queued"})
    generator = _generator(erp, storage, stack)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run() -> None:
        barrier.wait()
        outcomes.append(generator.run("Compliance Service", name).status)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["busy", "review"]
    assert [o.key for o in storage.list(f"orders/{name}/") if o.key.endswith("manifest.json")] == [
        f"orders/{name}/v1/manifest.json"]
