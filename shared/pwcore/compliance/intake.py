"""Parsing `Compliance Service.intake_data` with the intake model of the order's service.

Each service's model lives in its folder (pwcore.compliance.services.<service>); the field types and the base
model are pwcore.compliance.fields.

`parse_intake(service_type, intake_data)` returns the model or raises `IntakeInvalid`, whose message
names the fields and the rule broken but never echoes the customer's values (they can be sensitive).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from pwcore.compliance import services
from pwcore.compliance.fields import IntakeInvalid, IntakeModel

MAX_INTAKE_BYTES = 64 * 1024  # a real intake is a few KiB; more is a mistake or an attack

INTAKE_MODELS: dict[str, type[IntakeModel]] = {s.service_type: s.intake_model for s in services.all_services()}
SERVICE_TYPES: tuple[str, ...] = tuple(INTAKE_MODELS)


def service_slug(service_type: str) -> str:
    """'FLSA Audit' -> 'flsa_audit' (the service's folder, facts file and section spec)."""
    return service_type.strip().lower().replace(" ", "_")


def intake_model_for(service_type: str) -> type[IntakeModel]:
    return services.service(service_type).intake_model


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
