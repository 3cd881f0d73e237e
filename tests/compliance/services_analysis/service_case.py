"""What the service-analysis tests share: the date they analyse on, and one service's intake parsed into its
model and analysed (the sample, or the sample with some answers changed)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from pwcore.compliance.fields import IntakeModel
from pwcore.compliance.intake import parse_intake
from pwdev.samples import INTAKE

AS_OF = date(2026, 12, 2)

M = TypeVar("M", bound=IntakeModel)
A = TypeVar("A")


@dataclass(frozen=True)
class Service(Generic[M, A]):
    name: str
    model: type[M]
    analyse: Callable[[M, date], A]

    @property
    def sample(self) -> dict[str, Any]:
        return INTAKE[self.name]

    def parse(self, data: dict[str, Any]) -> M:
        """The intake as the pipeline parses it, which must give this service's model."""
        m = parse_intake(self.name, data)
        assert isinstance(m, self.model)
        return m

    def run(self, **changes: Any) -> A:
        """The sample intake with `changes`, analysed on AS_OF."""
        return self.analyse(self.parse({**self.sample, **changes}), AS_OF)
