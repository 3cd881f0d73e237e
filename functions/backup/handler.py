"""backup: encrypted ERPNext backups with retention, lifecycle rules and a restore check.

POST only (cron-connector, PingSource, or a bench hook). Query `mode`:
- `backup` (default): the request body is the dump (the python3-http template has already read it into
  memory, so large dumps should use the pull mode); an empty body (cron) pulls BACKUP_SOURCE_URL. Then
  retention runs. `dry_run=1`: encrypt and hash but write nothing, retention only planned.
- `retention`: promote / prune only (`dry_run=1` shows the plan).
- `verify`: restore the newest backup into a scratch folder and check its digests (needs the private key
  secret, deployed only on the verify function). 500 with the report when the check fails.
- `lifecycle`: apply the equivalent S3 lifecycle rules (`dry_run=1` shows them).
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent / "shared"))  # faas-cli copies ./shared into the build context

from pwcore import config, services
from pwcore.backup import (
    BackupError,
    BackupSettings,
    BackupVerifySettings,
    apply_lifecycle,
    apply_retention,
    describe_lifecycle,
    encrypt_and_upload,
    lifecycle_config,
    open_source_url,
    site_today,
    verify_newest,
)
from pwcore.http import entrypoint, error, json_response, method_not_allowed
from pwcore.logging import get_logger

log = get_logger("backup")

_TRUE = {"1", "true", "yes", "on"}
MODES = ("backup", "retention", "verify", "lifecycle")


@entrypoint("backup")
def handle(event: Any, context: Any) -> dict[str, Any]:
    if event.method != "POST":
        return method_not_allowed("POST")
    mode = str(event.query.get("mode", "backup"))
    if mode not in MODES:
        return error(400, f"mode must be one of {', '.join(MODES)}")
    dry_run = str(event.query.get("dry_run", "")).lower() in _TRUE
    settings = config.load(BackupSettings)
    try:
        if mode == "lifecycle":
            rules = lifecycle_config(settings.prefix) if dry_run else apply_lifecycle(services.storage(),
                                                                                     settings.prefix)
            return json_response(200, {"mode": mode, "dry_run": dry_run, "rules": describe_lifecycle(rules)})
        storage = services.storage()
        if mode == "verify":
            try:
                verify_settings = config.load(BackupVerifySettings)
            except config.ConfigError:
                # Only the monthly verify deployment holds a private key; the daily one refuses the mode.
                return error(403, "verify mode is not enabled on this deployment (no BACKUP_VERIFY_PRIVATE_KEY)",
                             mode=mode)
            report = verify_newest(storage, settings, verify_settings)
            return json_response(200 if report["ok"] else 500, {"mode": mode, **report})
        result: dict[str, Any] = {"mode": mode, "dry_run": dry_run}
        if mode == "backup":
            day = site_today(settings)
            body: bytes = event.body or b""
            if body:
                result["backup"] = encrypt_and_upload(storage, settings, io.BytesIO(body), day, dry_run=dry_run)
            elif not settings.source_url:  # the caller sent nothing to back up: its request, not our fault
                return error(400, "nothing to back up: POST the dump as the body or set BACKUP_SOURCE_URL",
                             mode=mode)
            else:
                with open_source_url(settings) as source:
                    result["backup"] = encrypt_and_upload(storage, settings, source, day, dry_run=dry_run)
        result["retention"] = apply_retention(storage, settings, dry_run=dry_run)
        return json_response(200, result)
    except BackupError as exc:
        log.error("backup.failed", mode=mode, error=str(exc))
        return error(500, str(exc), mode=mode)
