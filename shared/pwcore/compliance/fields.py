"""What every compliance intake model is built from: bounded field types, the base model and the errors.

Each service's own model lives in its folder (pwcore.compliance.services.<service>); pwcore.compliance.intake
parses `Compliance Service.intake_data` with the model the registry names.

The intake is customer text that ends up inside LLM prompts, so every string and list is bounded and the
whole payload has a size cap. Unknown keys are ignored (the web form may send contact or tracking fields);
only the fields declared here ever reach a prompt, which also keeps the injection surface small.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

MAX_PROBLEMS_IN_MESSAGE = 8

US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND "
    "OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR GU VI AS MP".split()
)


def _state(value: str) -> str:
    code = value.strip().upper()
    if code not in US_STATES:
        raise ValueError("not a two-letter US state or territory code")
    return code


ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
USState = Annotated[str, StringConstraints(max_length=4), AfterValidator(_state)]
Money = Annotated[float, Field(ge=0, le=1e12)]
Count = Annotated[int, Field(ge=0, le=10**10)]
States = Annotated[list[USState], Field(max_length=56)]


class IntakeInvalid(ValueError):
    """The intake does not fit the service's model. `fields` are dotted paths; no values are included."""

    def __init__(self, problems: list[str], fields: list[str]) -> None:
        self.problems = problems
        self.fields = fields
        shown = problems[:MAX_PROBLEMS_IN_MESSAGE]
        more = len(problems) - len(shown)
        text = "intake invalid: " + "; ".join(shown) + (f"; and {more} more" if more > 0 else "")
        super().__init__(text)


class UnknownService(IntakeInvalid):
    def __init__(self, service_type: str) -> None:
        # The service type comes from a Select field, never customer free text, so naming it is safe.
        super().__init__([f"service_type: unknown service {service_type[:60]!r}"], ["service_type"])


class IntakeModel(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, frozen=True)

    notes: Text | None = None
