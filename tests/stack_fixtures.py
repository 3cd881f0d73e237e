"""What the stack test modules share. The clients a module uses, for its own `stack` fixture (a LocalStack):
import them into the test module (`from stack_fixtures import erp, storage`); they read the stack's settings the
way the functions do (pwcore.runtime.wiring), so they must be created after the stack has started. And the
shortened recovery settings, the operator's sweep and a polling wait."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pwdev.stack import LocalStack, operator_headers

LEASE_S = 2  # the generation lease of QUICK_RECOVERY
# Recovery knobs production sets to minutes, shortened so a sweep can act within the test.
QUICK_RECOVERY = {"RECONCILE_PAYMENT_GRACE_S": "0", "PIPELINE_GENERATION_LEASE_S": str(LEASE_S)}


@pytest.fixture(scope="module")
def erp(stack: LocalStack) -> Any:
    from pwcore.runtime import wiring

    return wiring.erpnext()  # Administrator, as an operator (and the demo)


@pytest.fixture(scope="module")
def storage(stack: LocalStack) -> Any:
    from pwcore.runtime import wiring

    return wiring.storage()


def sweep(stack: LocalStack, dry_run: bool = False) -> tuple[int, dict[str, Any]]:
    """An operator's reconcile run (the scheduled, unauthenticated one answers counts only, never order names)."""
    assert stack.gateway is not None
    params = {"dry_run": "1"} if dry_run else None
    r = httpx.post(f"{stack.gateway.url}/function/reconcile", params=params, headers=operator_headers(), timeout=120)
    return r.status_code, r.json()


def wait_for(predicate: Callable[[], Any], timeout: float = 60.0, every: float = 0.05, what: str = "") -> Any:
    """The first true value of `predicate`, polled every `every` seconds for up to `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        time.sleep(every)
