"""Runs last in the reliability suite (file name): every log line the suite produced — the function processes'
JSON logs in the stack's log folder and the in-process handlers' logs the fuzz test kept — is scanned for the
stack's secrets, API key credentials, and SSN / EIN shapes. The fault run put such values into customer data
(a Sensitive ID per customer, "EIN 12-3456789" in entity names, an SSN in compliance intake), so a leak
would show."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from pwdev.stack import API_KEY, API_SECRET, JWT_SECRET, WEBHOOK_SECRET, LocalStack

SSN = re.compile(r"(?<![\w-])\d{3}-\d{2}-\d{4}(?![\w-])")
EIN = re.compile(r"(?<![\w-])\d{2}-\d{7}(?![\w-])")
TOKEN = re.compile(r"(?i)\btoken\s+[^\s:\"]+:[^\s\"]+")


def where(line: str) -> str:
    """The function / logger / event of a JSON log line, for the report."""
    try:
        data = json.loads(line)
    except ValueError:
        return "non-JSON line"
    if not isinstance(data, dict):
        return "non-JSON line"
    return f"function={data.get('function')} logger={data.get('logger')} event={data.get('event')}"


def test_no_secrets_or_ids_in_logs(stack: LocalStack, log_dir: Path) -> None:
    assert stack.s3 is not None
    needles = {"API_SECRET": API_SECRET, "WEBHOOK_SECRET": WEBHOOK_SECRET, "JWT_SECRET": JWT_SECRET,
               "S3 secret key": stack.s3.secret_key, "API key": API_KEY,
               "pipeline API secret": stack.pipeline_secret, "pipeline API key": stack.pipeline_key}
    files = sorted(p for p in log_dir.rglob("*.log") if p.is_file())
    assert any(p.name == "generate-doc.log" for p in files), files
    hits: list[str] = []
    lines_scanned = 0
    redacted: Counter[str] = Counter()
    for file in files:
        for number, line in enumerate(file.read_text(errors="replace").splitlines(), 1):
            lines_scanned += 1
            if "[REDACTED]" in line:
                redacted[file.name] += line.count("[REDACTED]")
            found = [label for label, value in needles.items() if value and value in line]
            found += [f"SSN-shaped {m.group()[:3]}-**-****" for m in SSN.finditer(line)]
            found += [f"EIN-shaped {m.group()[:2]}-*******" for m in EIN.finditer(line)]
            found += ["token key:secret" for _ in TOKEN.finditer(line)]
            for label in found:
                hits.append(f"{file.name}:{number}: {label} ({where(line)})")
    summary = (f"log scan: {len(files)} files, {lines_scanned} lines, {len(hits)} findings; "
               f"[REDACTED] markers per file {dict(redacted)}")
    print("\n" + summary)
    for hit in hits[:50]:
        print("  " + hit)
    assert lines_scanned > 500, "the suite produced too few log lines for the scan to mean anything"
    assert not hits, "secrets or SSN/EIN shapes in the logs:\n" + "\n".join(hits[:50])
