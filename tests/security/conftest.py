"""One local stack for the hostile-input suite: stand-ins, on-payment and generate-doc as processes (so one real
order reaches Review and has files to presign), the scheduled functions throttled as in production."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pwdev.stack import LocalStack

# Production throttling (one scheduled run per day-long slot here, so a run of the suite never crosses a slot)
# and a Listmonk unsubscribe token, so the unsubscribe route is reachable with a wrong one.
ENV = {"SCHEDULED_RECONCILE_MIN_INTERVAL_S": "86400", "SCHEDULED_CALENDAR_TICK_MIN_INTERVAL_S": "86400",
       "SCHEDULED_BACKUP_MIN_INTERVAL_S": "86400", "DELIVER_UNSUBSCRIBE_TOKEN": "pw-test-unsubscribe-token-3f1d",
       "SMTP_PASSWORD": "pw-test-smtp-password-77c2"}


@pytest.fixture(scope="package")
def log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("security-logs")


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory, log_dir: Path) -> Iterator[LocalStack]:
    workdir = tmp_path_factory.mktemp("security-stack")
    with LocalStack(workdir, functions=("on-payment", "generate-doc"), extra_env=ENV,
                    webhook_retry_sleep_scale=0.01, log_dir=log_dir) as s:
        yield s
