"""reconcile: cron sweep (every 5 minutes) that finishes orders stranded by lost events. `?dry_run=1` reports
what it would do without changing anything. The logic lives in pwcore.reconcile."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent / "shared"))  # faas-cli copies ./shared into the build context

from pwcore import config, services
from pwcore.commissions import CommissionSettings
from pwcore.http import call_id_of, entrypoint, json_response, method_not_allowed
from pwcore.reconcile import Reconciler, ReconcileSettings

TRUE = {"1", "true", "yes"}


@entrypoint("reconcile")
def handle(event: Any, context: Any) -> dict[str, Any]:
    if event.method not in ("POST", "GET"):
        return method_not_allowed("POST, GET")
    dry_run = str(event.query.get("dry_run", "")).lower() in TRUE or event.method == "GET"
    reconciler = Reconciler(services.erpnext(), services.storage(), services.dispatcher(),
                            config.load(ReconcileSettings), config.load(CommissionSettings),
                            timezone=config.load(config.ERPNextSettings).timezone)
    summary = reconciler.run(dry_run=dry_run, owner=call_id_of(event))
    return json_response(200 if summary["status"] != "error" else 503, summary)
