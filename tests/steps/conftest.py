"""Fixtures for the step tests that run a LocalStack of their own: each such module defines `stack`
(module scope, the functions it needs); these give it the ERPNext and S3 clients the functions use."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="module")
def erp(stack: Any) -> Any:
    from pwcore.runtime import wiring

    return wiring.erpnext()


@pytest.fixture(scope="module")
def storage(stack: Any) -> Any:
    from pwcore.runtime import wiring

    return wiring.storage()
