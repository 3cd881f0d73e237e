"""reconcile: the sweep (every 5 minutes by cron) that finishes orders stranded by lost events
(pwcore.steps.reconcile). `?dry_run=1` (or a GET) reports what it would do without changing anything."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent / "shared"))  # faas-cli copies ./shared into the build context

from pwcore.model.outcomes import SweepStatus
from pwcore.model.problems import MethodNotAllowed
from pwcore.orders.commission_ledger import CommissionSettings
from pwcore.runtime import wiring
from pwcore.runtime.entrypoint import call_id_of, entrypoint, json_response
from pwcore.runtime.scheduled_request import flag
from pwcore.settings import load_settings
from pwcore.steps.reconcile import Reconciler, ReconcileSettings


@entrypoint("reconcile")
def handle(event: Any, context: Any) -> dict[str, Any]:
    if event.method not in ("POST", "GET"):
        raise MethodNotAllowed("POST, GET")
    dry_run = flag(event, "dry_run") or event.method == "GET"
    reconciler = Reconciler(wiring.erpnext(), wiring.storage(), wiring.dispatcher(), load_settings(ReconcileSettings),
                            load_settings(CommissionSettings), timezone=wiring.site_timezone())
    summary = reconciler.run(dry_run=dry_run, owner=call_id_of(event))
    return json_response(SweepStatus.of(summary["status"]).http_status, summary)
