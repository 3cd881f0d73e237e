"""backup: encrypted ERPNext backups with retention, lifecycle rules and a restore check (pwcore.steps.backup).

POST only. The scheduled call (cron-connector, PingSource: no credentials) runs the scheduled backup: it pulls
BACKUP_SOURCE_URL (never bytes from the request), then retention; at most once per
SCHEDULED_BACKUP_MIN_INTERVAL_S; counts only in the answer. An operator (token or signed options,
pwcore.runtime.scheduled_request) may choose `mode` = backup (default; the body is the dump with the token) |
retention | verify | lifecycle, and `dry_run`. A backup failure answers 500 with the reason (BackupError).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent / "shared"))  # faas-cli copies ./shared into the build context

from pwcore.runtime import wiring
from pwcore.runtime.entrypoint import entrypoint, json_response
from pwcore.runtime.scheduled_request import already_ran, counts_only, scheduled_call
from pwcore.settings import load_settings
from pwcore.steps.backup import BackupSettings, run_mode


@entrypoint("backup")
def handle(event: Any, context: Any) -> dict[str, Any]:
    call = scheduled_call(event, "backup")
    storage = wiring.storage()
    skip = already_ran(call, storage, "backup")
    if skip is not None:
        return json_response(200, skip)
    result = run_mode(storage, load_settings(BackupSettings), call.option("mode", "backup"),
                      dry_run=call.flag("dry_run"), body=call.body)
    return json_response(200, result if call.operator else counts_only(result))
