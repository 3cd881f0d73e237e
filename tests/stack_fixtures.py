"""The clients a stack test module uses, for the module's own `stack` fixture (a LocalStack): import them into
the test module (`from stack_fixtures import erp, storage`). They read the stack's settings the way the functions
do (pwcore.runtime.wiring), so they must be created after the stack has started."""

from __future__ import annotations

from typing import Any

import pytest

from pwdev.stack import LocalStack


@pytest.fixture(scope="module")
def erp(stack: LocalStack) -> Any:
    from pwcore.runtime import wiring

    return wiring.erpnext()  # Administrator, as an operator (and the demo)


@pytest.fixture(scope="module")
def storage(stack: LocalStack) -> Any:
    from pwcore.runtime import wiring

    return wiring.storage()
