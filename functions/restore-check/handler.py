"""restore-check: the monthly restore of the newest backup into a scratch MariaDB (pwcore.steps.restore_check).

POST only. Its own deployment: it holds the backups' private key (restore-check-private-key) and the scratch
server's password (restore-check-db-password); the backup function never gets either. The scheduled call
(cron-connector, PingSource: no credentials) runs the check at most once per
SCHEDULED_RESTORE_CHECK_MIN_INTERVAL_S and answers counts only; an operator (token or signed options,
pwcore.runtime.scheduled_request) may run it any time and gets the full report. The result is recorded in
ERPNext as a Backup Check either way. A failed check answers 500 with the reasons (an operator must look).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent / "shared"))  # faas-cli copies ./shared into the build context

from pwcore.clients.mariadb import MariaDBSettings
from pwcore.runtime import wiring
from pwcore.runtime.entrypoint import entrypoint, json_response
from pwcore.runtime.scheduled_request import already_ran, counts_only, scheduled_call
from pwcore.settings import load_settings
from pwcore.steps.restore_check import RestoreCheckSettings, run_restore_check


@entrypoint("restore-check")
def handle(event: Any, context: Any) -> dict[str, Any]:
    call = scheduled_call(event, "restore-check")
    storage = wiring.storage()
    skip = already_ran(call, storage, "restore-check")
    if skip is not None:
        return json_response(200, skip)
    report = run_restore_check(storage, load_settings(RestoreCheckSettings), load_settings(MariaDBSettings),
                               wiring.erpnext())
    status = 200 if report["status"] == "passed" else 500
    return json_response(status, report if call.operator else counts_only(report))
