"""Render-check a compiled clause template: docxtpl render (sandboxed, autoescaped, StrictUndefined, via
pwcore.documents.render), then `soffice --headless --convert-to pdf`, then `pdftotext`.

For tests and reviewers: the text a customer would read, and its page count, for one sample context.
A cold soffice with a private profile folder is used (no warm server) so the check needs nothing running;
conversions are serialized because one profile folder cannot be shared by two soffice processes.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pwcore.documents.render import render_docx

_LOCK = threading.Lock()
_PROFILE: Path | None = None


@dataclass(frozen=True)
class Rendered:
    docx: bytes
    pdf: bytes
    text: str  # pdftotext output, pages separated by form feeds
    pages: int

    @property
    def flat(self) -> str:
        """Text with all whitespace (line ends, justification gaps, page breaks) collapsed to one space."""
        return " ".join(self.text.split())


def _profile() -> Path:
    global _PROFILE
    if _PROFILE is None:
        _PROFILE = Path(tempfile.mkdtemp(prefix="pw-clause-soffice-"))
    return _PROFILE


def docx_to_pdf(docx: bytes, timeout_s: float = 120) -> bytes:
    with _LOCK, tempfile.TemporaryDirectory(prefix="pw-clause-") as tmp:
        src = Path(tmp) / "document.docx"
        src.write_bytes(docx)
        cmd = [
            shutil.which("soffice") or "soffice",
            f"-env:UserInstallation={_profile().as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            tmp,
            str(src),
        ]
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout_s, check=False)
        out = Path(tmp) / "document.pdf"
        if proc.returncode != 0 or not out.exists():
            raise RuntimeError(f"soffice failed ({proc.returncode}): {proc.stderr.decode(errors='replace')[:300]}")
        return out.read_bytes()


def pdf_to_text(pdf: bytes) -> str:
    proc = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return proc.stdout.decode("utf-8", errors="replace")


def render_check(template: bytes, context: Mapping[str, Any]) -> Rendered:
    docx = render_docx(template, context)
    pdf = docx_to_pdf(docx)
    text = pdf_to_text(pdf)
    pages = text.count("\f") if text.endswith("\f") else text.count("\f") + 1
    return Rendered(docx, pdf, text, pages)
