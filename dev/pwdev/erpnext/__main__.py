"""`python -m pwdev.erpnext --port 8000 --db erpnext.sqlite --fixtures fixtures.json`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .app import ERPNextStandin


def main() -> None:
    p = argparse.ArgumentParser(description="ERPNext (Frappe v15 REST + webhooks) stand-in")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--db", default=":memory:", help="SQLite file (or :memory:)")
    p.add_argument("--fixtures", help="JSON file {doctype: [docs]} loaded at start")
    p.add_argument("--users", help='JSON file [{"user", "api_key", "api_secret", "roles"?}]')
    p.add_argument("--empty-site", action="store_true", help="only standard DocTypes (no doctypes.json)")
    p.add_argument("--retry-sleep-scale", type=float, default=1.0)
    p.add_argument("--no-dev-controls", action="store_true")
    p.add_argument("--time-zone", default="America/Chicago",
                   help="System Settings time zone of a new site; \"\" leaves it unset (Frappe: Asia/Kolkata)")
    a = p.parse_args()
    users = json.loads(Path(a.users).read_text()) if a.users else None
    s = ERPNextStandin(db_path=a.db, users=users, seeded=not a.empty_site, fixtures=a.fixtures,
                       retry_sleep_scale=a.retry_sleep_scale, dev_controls=not a.no_dev_controls,
                       time_zone=a.time_zone or None)
    print(f"ERPNext stand-in on http://{a.host}:{a.port}", flush=True)
    s.serve_forever(a.host, a.port)


if __name__ == "__main__":
    main()
