"""backup: encrypted ERPNext backups with retention, lifecycle rules and a restore check (pwcore.steps.backup).

POST only (cron-connector, PingSource, or a bench hook). Query `mode` = backup (default) | retention | verify |
lifecycle, and `dry_run=1`. A backup failure answers 500 with the reason (BackupError).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent / "shared"))  # faas-cli copies ./shared into the build context

from pwcore.model.problems import MethodNotAllowed
from pwcore.runtime import wiring
from pwcore.runtime.entrypoint import entrypoint, json_response
from pwcore.runtime.scheduled_request import flag
from pwcore.settings import load_settings
from pwcore.steps.backup import BackupSettings, run_mode


@entrypoint("backup")
def handle(event: Any, context: Any) -> dict[str, Any]:
    if event.method != "POST":
        raise MethodNotAllowed("POST")
    mode = str(event.query.get("mode", "backup"))
    result = run_mode(wiring.storage(), load_settings(BackupSettings), mode, dry_run=flag(event, "dry_run"),
                      body=event.body or b"")
    return json_response(200, result)
