"""The demo's access-log part: what `pw access-log --order NAME` shows for the demo's delivered formation order."""

from __future__ import annotations

import datetime as dt
from typing import Any


def show_access_log(storage: Any, order: str, say: Any) -> list[dict[str, Any]]:
    """Print the order's access-log records (presign answers, the delivery) and return them in short form."""
    from pwcore.orders.access_log import read

    today = dt.datetime.now(dt.UTC).date()
    records = list(read(storage, order, today - dt.timedelta(days=1), today))
    say(f"== access log of {order} (pw access-log --order {order}): {len(records)} records")
    short = []
    for r in records:
        who = r.get("customer") if r["event"] == "presign" else r.get("recipient")
        outcome = r.get("outcome", "sent")
        say(f"   {r['at']} {r['event']} {outcome} {who}: {', '.join(r.get('files') or []) or '-'}")
        short.append({"at": r["at"], "event": r["event"], "outcome": outcome, "who": who,
                      "files": len(r.get("files") or [])})
    return short
