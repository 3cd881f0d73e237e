"""The sample analysis of the service a test module names in its SERVICE (service_case.Service)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="module")
def sample(request: pytest.FixtureRequest) -> Any:
    """The module's SERVICE sample intake, analysed on AS_OF (once per module)."""
    return request.module.SERVICE.run()
