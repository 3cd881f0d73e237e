"""Logs: SSNs, EINs and API secrets never reach the output, wherever they are passed."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = r'''
from pwcore.logs import bind_context, get_logger, register_secret
from pwcore.clients.erpnext import ERPNext
ERPNext("http://127.0.0.1:9", "key123", "apisecret-9f8e7d6c")  # registers its secret
log = get_logger("t")
bind_context(order="FO-2026-0001", call_id="abc")
log.info("customer ssn 123-45-6789 and ein 12-3456789 seen", note="ssn 987654321", api_secret="zzz")
log.info("header was token key123:apisecret-9f8e7d6c", detail={"id_value": "123-45-6789", "ok": "fine"})
try:
    raise ValueError("bad value 123-45-6789 with apisecret-9f8e7d6c")
except ValueError:
    log.exception("failed")
'''


def test_redaction_in_real_output() -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True)
    text = out.stderr + out.stdout
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert len(lines) == 3
    for forbidden in ("123-45-6789", "12-3456789", "987654321", "apisecret-9f8e7d6c", "zzz"):
        assert forbidden not in text, forbidden
    assert lines[0]["order"] == "FO-2026-0001" and lines[0]["call_id"] == "abc"
    assert lines[1]["detail"]["ok"] == "fine"
    assert "[REDACTED]" in lines[2]["exception"]
