"""One local stack (stand-ins + functions as processes behind the gateway) for the integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pwdev.stack import LocalStack


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    workdir: Path = tmp_path_factory.mktemp("stack")
    with LocalStack(workdir, functions=("on-payment", "generate-doc", "generate-report", "reconcile"),
                    extra_env={"RECONCILE_PAYMENT_GRACE_S": "0"}, webhook_retry_sleep_scale=0.01) as s:
        yield s


@pytest.fixture(scope="package")
def erp(stack: LocalStack) -> Any:
    from pwcore.runtime import wiring

    return wiring.erpnext()


@pytest.fixture(scope="package")
def storage(stack: LocalStack) -> Any:
    from pwcore.runtime import wiring

    return wiring.storage()
