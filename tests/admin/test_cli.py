"""The `pw` command line: generated requirements stay in sync, render works offline, templates upload."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from pwcore.documents.pdf_check import pdf_opens, pdf_text

ROOT = Path(__file__).resolve().parents[2]


def pw(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pwcore.admin.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=180)


def test_function_requirements_are_generated_from_pyproject() -> None:
    result = pw("requirements", "--check")
    assert result.returncode == 0, result.stderr
    text = (ROOT / "functions" / "generate-doc" / "requirements.txt").read_text()
    assert "docxtpl==" in text and "minio==7.2.20" in text
    assert "docxtpl" not in (ROOT / "functions" / "presign" / "requirements.txt").read_text()


def test_render_offline(tmp_path: Path) -> None:
    manifest = json.loads((ROOT / "templates" / "manifest.json").read_text())
    data = tmp_path / "data.json"
    data.write_text(json.dumps(manifest["templates"]["invoice"]["sample"]))
    result = pw("render", str(ROOT / "templates" / "invoice.docx"), str(data), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    paths = json.loads(result.stdout.strip().splitlines()[-1])
    assert Path(paths["docx"]).stat().st_size > 0
    assert pdf_opens(Path(paths["pdf"]).read_bytes())


def test_missing_setting_is_a_clear_message(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("S3_", "ERPNEXT_"))}
    env["SECRETS_DIR"] = str(tmp_path)
    result = subprocess.run([sys.executable, "-m", "pwcore.admin.cli", "templates", "upload"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "S3_ENDPOINT" in result.stderr and "Traceback" not in result.stderr


def test_templates_upload(s3: Any, tmp_path: Path) -> None:
    result = pw("templates", "upload", env={**s3.env(), "SECRETS_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    uploaded = json.loads(result.stdout.strip().splitlines()[-1])["uploaded"]
    assert "manifest.json" in uploaded
    keys = {o.object_name for o in s3.client().list_objects(s3.bucket, prefix="templates/", recursive=True)}
    # The CRTC set: compiled clause templates the manifest names under compiled/.
    for doc_id in ("crtc-registration-letter", "bits-licence-application", "crtc-compliance-summary"):
        assert f"compiled/{doc_id}.docx" in uploaded and f"templates/compiled/{doc_id}.docx" in keys
    assert uploaded[-1] == "manifest.json"  # last: it never names a template not uploaded yet
    assert "compiled/operating-agreement.docx" in uploaded and "compiled/ein-confirmation.docx" in uploaded
    assert {"templates/invoice.docx", "templates/compiled/operating-agreement.docx",
            "templates/compiled/ss4-worksheet.docx"} <= keys


def test_preview_renders_every_document_of_a_sample_order(tmp_path: Path) -> None:
    """`pw preview` on a shipped sample: the customer's set plus the operator's SS-4 worksheet apart."""
    order = ROOT / "templates" / "samples" / "single-member-llc-tx.json"
    result = pw("preview", str(order), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    files = json.loads(result.stdout.strip().splitlines()[-1])["files"]
    names = sorted(str(Path(f).relative_to(tmp_path / "out")) for f in files)
    assert names == sorted([f"{d}.{e}" for d in ("operating-agreement", "articles-of-organization",
                                                   "organizer-statement") for e in ("docx", "pdf")]
                           + ["operator/ss4-worksheet.docx", "operator/ss4-worksheet.pdf"])
    text = pdf_text((tmp_path / "out" / "operating-agreement.pdf").read_bytes())
    assert "a Texas limited liability company" in text and "Designated Successor" in text


def test_preview_names_the_missing_field(tmp_path: Path) -> None:
    bundle = json.loads((ROOT / "templates" / "samples" / "corporation-de.json").read_text())
    bundle["order"]["management_type"] = "Member-Managed"
    bad = tmp_path / "order.json"
    bad.write_text(json.dumps(bundle))
    result = pw("preview", str(bad), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "'management_type' does not fit a Corporation" in result.stderr and "Traceback" not in result.stderr


def test_section_keys_agree_across_specs_context_and_templates() -> None:
    """The LLM section specs (what is written), the render context (what is filled) and the template manifest
    (what is printed) name the same sections: a section added in one place only would fail an order."""
    from pwcore.compliance.section_generator import section_keys
    from pwcore.documents import context as ctx

    manifest = json.loads((ROOT / "templates" / "manifest.json").read_text())
    for service, keys in ctx.SERVICE_SECTIONS.items():
        assert section_keys(service) == keys
        assert manifest["compliance"][service]["sections"] == keys


def test_requirements_check_names_a_package_the_import_closure_needs(tmp_path: Path) -> None:
    """Derived from the handler's imports: taking PyJWT out of presign's file fails, naming who imports it."""
    import shutil

    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(ROOT / "functions", tmp_path / "functions")
    presign = tmp_path / "functions" / "presign" / "requirements.txt"
    presign.write_text("".join(line for line in presign.read_text().splitlines(keepends=True)
                               if not line.startswith("PyJWT")))
    result = pw("requirements", "--check", "--root", str(tmp_path))
    assert result.returncode == 1
    assert "presign: requirements.txt lacks pyjwt, needed by jwt (imported by pwcore.steps.presign)" in result.stderr
    assert "deliver" not in result.stderr  # the others still match their derivation
