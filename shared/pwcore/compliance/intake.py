"""Intake models for the seven compliance services (`Compliance Service.intake_data`).

The intake is customer text that ends up inside LLM prompts, so every string and list is bounded and the
whole payload has a size cap. Unknown keys are ignored (the web form may send contact or tracking fields);
only the fields declared here ever reach a prompt, which also keeps the injection surface small.

`parse_intake(service_type, intake_data)` returns the model or raises `IntakeInvalid`, whose message
names the fields and the rule broken but never echoes the customer's values (they can be sensitive).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

MAX_INTAKE_BYTES = 64 * 1024  # a real intake is a few KiB; more is a mistake or an attack
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


# --- FLSA Audit -------------------------------------------------------------------------------------------

Exemption = Literal[
    "none",
    "executive",
    "administrative",
    "professional",
    "computer",
    "outside_sales",
    "highly_compensated",
]


class FLSARole(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, frozen=True)

    title: ShortText
    headcount: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    pay_basis: Literal["salary", "hourly"]
    annual_salary: Annotated[float, Field(ge=0, le=100_000_000)] | None = None
    hourly_rate: Annotated[float, Field(gt=0, le=100_000)] | None = None
    weekly_hours: Annotated[float, Field(ge=0, le=168)]
    exemption_claimed: Exemption = "none"
    duties: Text = ""

    @model_validator(mode="after")
    def _pay_matches_basis(self) -> FLSARole:
        # Messages name the field and rule only: salary figures are personal data.
        if self.pay_basis == "salary" and self.annual_salary is None:
            raise ValueError("annual_salary is required when pay_basis is salary")
        if self.pay_basis == "hourly" and self.hourly_rate is None:
            raise ValueError("hourly_rate is required when pay_basis is hourly")
        return self


class FLSAAuditIntake(IntakeModel):
    headcount: Annotated[int, Field(ge=1, le=1_000_000)]
    states: Annotated[list[USState], Field(min_length=1, max_length=56)]
    roles: Annotated[list[FLSARole], Field(min_length=1, max_length=100)]
    industry: ShortText | None = None
    tracks_hours_worked: bool | None = None
    overtime_policy: Text | None = None
    pays_bonuses_or_commissions: bool | None = None


# --- CCPA Audit -------------------------------------------------------------------------------------------

DataCategory = Literal[
    "identifiers",
    "customer_records",
    "protected_classifications",
    "commercial_information",
    "biometric",
    "internet_activity",
    "geolocation",
    "sensory",
    "professional",
    "education",
    "inferences",
    "sensitive_personal_information",
]


class CCPAAuditIntake(IntakeModel):
    annual_revenue: Money
    consumer_records: Count = Field(description="California consumers/households whose data is handled yearly")
    revenue_share_from_selling_pct: Annotated[float, Field(ge=0, le=100)] | None = None
    data_categories: Annotated[list[DataCategory], Field(min_length=1, max_length=12)]
    sells_or_shares: bool
    uses_sensitive_pi: bool | None = None
    has_privacy_policy: bool | None = None
    honors_opt_out_signals: bool | None = None
    service_providers: Annotated[list[ShortText], Field(max_length=50)] = []
    states: States = []
    industry: ShortText | None = None


# --- TCPA Audit -------------------------------------------------------------------------------------------


class TCPAAuditIntake(IntakeModel):
    channels: Annotated[
        list[Literal["voice", "sms", "mms", "fax", "prerecorded_voice", "ringless_voicemail"]],
        Field(min_length=1, max_length=6),
    ]
    consent_capture: Literal[
        "prior_express_written", "prior_express", "web_form", "verbal", "purchased_leads", "none", "unknown"
    ]
    consent_description: Text | None = None
    dialer_type: Literal["manual", "preview", "progressive", "predictive", "autodialer", "none", "unknown"]
    monthly_volume: Annotated[int, Field(ge=0, le=10**9)]
    scrubs_national_dnc: bool | None = None
    keeps_internal_dnc: bool | None = None
    honors_opt_out_within_days: Annotated[int, Field(ge=0, le=365)] | None = None
    calling_hours_policy: Text | None = None
    uses_third_party_vendors: bool | None = None
    states: States = []


# --- Contractor Assessment --------------------------------------------------------------------------------


class ContractorWorker(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, frozen=True)

    role: ShortText
    count: Annotated[int, Field(ge=1, le=100_000)] = 1
    state: USState | None = None
    engagement_months: Annotated[int, Field(ge=0, le=600)] | None = None
    hours_per_week: Annotated[float, Field(ge=0, le=168)] | None = None
    paid_by: Literal["project", "hourly", "daily", "retainer", "commission", "salary"] | None = None
    company_controls_schedule: bool | None = None
    company_provides_tools: bool | None = None
    exclusive_to_company: bool | None = None
    work_is_core_business: bool | None = None
    has_own_business: bool | None = None
    description: Text = ""


class ContractorAssessmentIntake(IntakeModel):
    workers: Annotated[list[ContractorWorker], Field(min_length=1, max_length=100)]
    employee_headcount: Annotated[int, Field(ge=0, le=1_000_000)] | None = None
    states: States = []
    industry: ShortText | None = None
    written_agreements: bool | None = None


# --- Handbook Review --------------------------------------------------------------------------------------

HandbookPolicy = Literal[
    "at_will",
    "equal_employment",
    "anti_harassment",
    "complaint_procedure",
    "leave",
    "paid_time_off",
    "sick_leave",
    "overtime",
    "meal_rest_breaks",
    "timekeeping",
    "remote_work",
    "social_media",
    "drug_alcohol",
    "discipline",
    "confidentiality",
    "workplace_safety",
    "accommodation",
    "expense_reimbursement",
]


class HandbookReviewIntake(IntakeModel):
    headcount: Annotated[int, Field(ge=1, le=1_000_000)]
    states: Annotated[list[USState], Field(min_length=1, max_length=56)]
    policies_present: Annotated[list[HandbookPolicy], Field(max_length=30)] = []
    handbook_last_updated: date | None = None
    has_union_employees: bool | None = None
    industry: ShortText | None = None
    concerns: Text | None = None


# --- Breach Response Plan ---------------------------------------------------------------------------------

BreachDataType = Literal[
    "ssn",
    "drivers_license",
    "financial_account",
    "payment_card",
    "health",
    "biometric",
    "login_credentials",
    "contact_information",
    "dates_of_birth",
    "employee_records",
]


class BreachResponsePlanIntake(IntakeModel):
    data_types: Annotated[list[BreachDataType], Field(min_length=1, max_length=10)]
    record_count: Count
    resident_states: Annotated[list[USState], Field(min_length=1, max_length=56)]
    systems: Annotated[list[ShortText], Field(max_length=50)] = []
    has_incident_response_team: bool | None = None
    has_cyber_insurance: bool | None = None
    it_provider: ShortText | None = None
    encrypts_data_at_rest: bool | None = None
    past_incidents: Text | None = None


# --- Privacy Policy ---------------------------------------------------------------------------------------


class PrivacyPolicyIntake(IntakeModel):
    business_name: ShortText
    website: ShortText
    contact_email: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    ]
    data_categories: Annotated[list[DataCategory], Field(min_length=1, max_length=12)]
    collection_methods: Annotated[list[ShortText], Field(max_length=20)] = []
    purposes: Annotated[list[ShortText], Field(max_length=20)] = []
    uses_cookies: bool | None = None
    uses_analytics_or_ads: bool | None = None
    sells_or_shares: bool
    children_under_13: bool = False
    states: States = []


INTAKE_MODELS: dict[str, type[IntakeModel]] = {
    "FLSA Audit": FLSAAuditIntake,
    "CCPA Audit": CCPAAuditIntake,
    "TCPA Audit": TCPAAuditIntake,
    "Contractor Assessment": ContractorAssessmentIntake,
    "Handbook Review": HandbookReviewIntake,
    "Breach Response Plan": BreachResponsePlanIntake,
    "Privacy Policy": PrivacyPolicyIntake,
}
SERVICE_TYPES: tuple[str, ...] = tuple(INTAKE_MODELS)


def service_slug(service_type: str) -> str:
    """'FLSA Audit' -> 'flsa_audit' (file names of the section specs)."""
    return service_type.strip().lower().replace(" ", "_")


def intake_model_for(service_type: str) -> type[IntakeModel]:
    try:
        return INTAKE_MODELS[service_type]
    except KeyError:
        raise UnknownService(service_type) from None


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "intake_data"


def parse_intake(service_type: str, intake_data: str | bytes | dict[str, Any] | None) -> IntakeModel:
    """Validate `intake_data` (the JSON text or the dict ERPNext returns) for `service_type`."""
    model = intake_model_for(service_type)
    if intake_data is None or intake_data in ("", b""):
        raise IntakeInvalid(["intake_data: missing"], ["intake_data"])
    raw: str | bytes
    if isinstance(intake_data, dict):
        raw = json.dumps(intake_data, ensure_ascii=False, default=str)
    elif isinstance(intake_data, str | bytes):
        raw = intake_data
    else:
        raise IntakeInvalid(["intake_data: must be a JSON object"], ["intake_data"])
    size = len(raw.encode("utf-8")) if isinstance(raw, str) else len(raw)
    if size > MAX_INTAKE_BYTES:
        raise IntakeInvalid([f"intake_data: too large ({size} bytes, limit {MAX_INTAKE_BYTES})"], ["intake_data"])
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        problems: list[str] = []
        fields: list[str] = []
        for err in exc.errors(include_input=False, include_url=False):
            path = _path(tuple(err["loc"]))
            if path not in fields:
                fields.append(path)
            # err["msg"] states the rule ("at most 2000 characters", "Input should be 'salary' or
            # 'hourly'") without the submitted value; strip pydantic's "Value error, " prefix.
            msg = str(err["msg"]).removeprefix("Value error, ")
            problems.append(f"{path}: {msg[:160]}")
        raise IntakeInvalid(problems, fields) from None
