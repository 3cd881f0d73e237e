"""`pw preview` of a compliance order: every document of the service (report, remediation checklist) rendered
from a Compliance Service + Customer bundle through generate-doc's plan, its sections written over a real socket
by the Ollama stand-in on 127.0.0.1; the PDF text is read back."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pwcore.admin.render import preview_order
from pwcore.clients.libreoffice import PdfConverter
from pwcore.compliance import services
from pwcore.compliance.section_generator import section_keys
from pwcore.documents.pdf_check import pdf_text
from pwdev import samples
from pwdev.ollama_standin import OllamaStandin

ROOT = Path(__file__).resolve().parents[2]
SERVICES = [s.service_type for s in services.all_services()]
MODEL = "qwen2.5:7b"


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module")
def ollama() -> Iterator[OllamaStandin]:
    with OllamaStandin(models=[MODEL], num_parallel=2).start() as sb:
        yield sb


def _bundle(service: str, folder: Path) -> Path:
    """The ERPNext shape generate-doc reads: the Compliance Service document (intake from the service's
    sample.json) and its Customer."""
    path = folder / "compliance-service.json"
    path.write_text(json.dumps({"order": samples.compliance_order(service), "customer": samples.CUSTOMER}))
    return path


@pytest.mark.parametrize("service", SERVICES)
def test_preview_renders_every_document_of_the_service(service: str, tmp_path: Path, ollama: OllamaStandin,
                                                       converter: PdfConverter,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", ollama.url)
    monkeypatch.setenv("OLLAMA_MODEL", MODEL)
    calls = ollama.calls
    out = tmp_path / "out"
    written = preview_order(_bundle(service, tmp_path), out, ROOT / "templates", converter=converter)
    manifest = json.loads((ROOT / "templates" / "manifest.json").read_text())
    documents = manifest["compliance"][service]["documents"]
    assert "remediation-checklist" in documents and len(documents) >= 2
    assert sorted(p.name for p in written) == sorted(
        [f"{d}.{e}" for d in documents for e in ("docx", "pdf")] + ["sections.json"])
    svc = services.service(service)
    for doc in documents:
        text = _norm(pdf_text((out / f"{doc}.pdf").read_bytes()))
        assert svc.title in text, doc
        assert samples.CUSTOMER["customer_name"] in text, doc
    # The sections were written by the LLM for this order (one call each), as the provenance says.
    provenance: dict[str, Any] = json.loads((out / "sections.json").read_text())
    keys = section_keys(service)
    assert list(provenance) == keys and ollama.calls - calls == len(keys)
    assert all(meta["model"] == MODEL and meta["source"] == "llm" for meta in provenance.values())


def test_pw_preview_command_on_a_compliance_order(tmp_path: Path, ollama: OllamaStandin) -> None:
    """The command itself: says which backend wrote the sections, lists the files it wrote."""
    env = {**os.environ, "OLLAMA_HOST": ollama.url, "OLLAMA_MODEL": MODEL}
    result = subprocess.run([sys.executable, "-m", "pwcore.admin.cli", "preview", str(_bundle("FLSA Audit", tmp_path)),
                             "--out", str(tmp_path / "out")], cwd=ROOT, capture_output=True, text=True, env=env,
                            timeout=240)
    assert result.returncode == 0, result.stderr
    assert "sections by Ollama STAND-IN" in result.stderr
    files = json.loads(result.stdout.strip().splitlines()[-1])["files"]
    assert {Path(f).name for f in files} >= {"flsa-audit-report.pdf", "remediation-checklist.pdf"}
    text = _norm(pdf_text((tmp_path / "out" / "flsa-audit-report.pdf").read_bytes()))
    assert "FLSA Wage and Hour Compliance Audit" in text and "Juniper Ridge Coffee Roasters LLC" in text


def test_pw_preview_names_an_unreachable_llm(tmp_path: Path) -> None:
    env = {**os.environ, "OLLAMA_HOST": "http://127.0.0.1:9", "OLLAMA_RETRIES": "0"}
    result = subprocess.run([sys.executable, "-m", "pwcore.admin.cli", "preview", str(_bundle("FLSA Audit", tmp_path)),
                             "--out", str(tmp_path / "out")], cwd=ROOT, capture_output=True, text=True, env=env,
                            timeout=120)
    assert result.returncode == 2
    assert "no Ollama reachable" in result.stderr and "Traceback" not in result.stderr
    assert "unreachable" in result.stderr.splitlines()[-1]
    assert "pw: " in result.stderr and not (tmp_path / "out" / "flsa-audit-report.pdf").exists()
