"""reconcile: the sweep (every 5 minutes by cron) that finishes orders stranded by lost events
(pwcore.steps.reconcile). The scheduled call (no credentials) runs the sweep as scheduled, at most once per
SCHEDULED_RECONCILE_MIN_INTERVAL_S, and answers counts only. An operator (pwcore.runtime.scheduled_request)
may ask `?dry_run=1` (or GET) to see what it would do, with the order names."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent / "shared"))  # faas-cli copies ./shared into the build context

from pwcore.model.outcomes import SweepStatus
from pwcore.orders.commission_ledger import CommissionSettings
from pwcore.runtime import wiring
from pwcore.runtime.entrypoint import call_id_of, entrypoint, json_response
from pwcore.runtime.scheduled_request import already_ran, counts_only, scheduled_call
from pwcore.settings import load_settings
from pwcore.steps.reconcile import Reconciler, ReconcileSettings


@entrypoint("reconcile")
def handle(event: Any, context: Any) -> dict[str, Any]:
    call = scheduled_call(event, "reconcile", methods=("POST", "GET"))
    dry_run = call.operator and (call.flag("dry_run") or event.method == "GET")
    storage = wiring.storage()
    skip = already_ran(call, storage, "reconcile")
    if skip is not None:
        return json_response(200, skip)
    reconciler = Reconciler(wiring.erpnext(), storage, wiring.dispatcher(), load_settings(ReconcileSettings),
                            load_settings(CommissionSettings), timezone=wiring.site_timezone())
    summary = reconciler.run(dry_run=dry_run, owner=call_id_of(event))
    answer = summary if call.operator else counts_only(summary)
    return json_response(SweepStatus.of(summary["status"]).http_status, answer)
