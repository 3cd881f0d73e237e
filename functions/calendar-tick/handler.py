"""calendar-tick: the daily cron sweep of the Compliance Calendar (pwcore.steps.calendar_tick) and of the
Commission Ledger (pwcore.steps.commissions).

Invoked by the cron-connector (an empty POST with `X-Topic: cron-function`) or a Knative PingSource: no
credentials, so no options, at most once per SCHEDULED_CALENDAR_TICK_MIN_INTERVAL_S, counts only in the answer.
By an operator (token or signed options, pwcore.runtime.scheduled_request): `dry_run`, `today=`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent / "shared"))  # faas-cli copies ./shared into the build context

from pwcore.logs import get_logger
from pwcore.orders.commission_ledger import CommissionSettings
from pwcore.runtime import wiring
from pwcore.runtime.entrypoint import entrypoint, json_response
from pwcore.runtime.scheduled_request import already_ran, counts_only, scheduled_call, tick_request
from pwcore.settings import load_settings
from pwcore.steps.calendar_tick import CalendarSettings, run_daily
from pwcore.steps.commissions import sweep_commissions

log = get_logger("calendar-tick")


@entrypoint("calendar-tick")
def handle(event: Any, context: Any) -> dict[str, Any]:
    call = scheduled_call(event, "calendar-tick")
    settings = load_settings(CalendarSettings)
    request = tick_request(call, settings.allow_today_override)
    skip = already_ran(call, wiring.storage(), "calendar-tick")
    if skip is not None:
        return json_response(200, skip)
    log.info("calendar.tick_start", dry_run=request.dry_run, trigger=request.trigger)
    erp = wiring.erpnext()
    calendar, site_now = run_daily(erp, None if request.dry_run else wiring.storage(), settings,
                                   wiring.site_timezone(), today=request.today, dry_run=request.dry_run)
    commissions = sweep_commissions(erp, load_settings(CommissionSettings), now=site_now, dry_run=request.dry_run,
                                    page_length=settings.page_length)
    answer = {"trigger": request.trigger, "calendar": calendar, "commissions": commissions}
    return json_response(200, answer if call.operator else counts_only(answer))
