"""The compliance services, one folder each: adding a service means adding one folder here.

A service folder `pwcore/compliance/services/<slug>/` holds
- `__init__.py`: the intake model (what `Compliance Service.intake_data` may hold), the display labels of
  its enumerations, the facts builder (intake -> the formatted facts and tables its report prints, a
  `Facts` model naming them), the report template spec (pwcore.compliance.services.report_spec, built into
  a DOCX by tools/make_templates.py) and `SERVICE = define(__file__, ...)`;
- `service.toml`: the service type (ERPNext's Select value), the report title, the template id, the order
  in lists, and the LLM section specs (prompt context and one `[[sections]]` per section, read by
  pwcore.compliance.section_generator together with `_common.toml` in this folder);
- `analysis.py`: the deterministic analysis (pwcore.compliance.analysis holds what analyses share, all of it
  re-exported by its `kit`): `analyse(intake, as_of)` and, for the report, `for_report(intake, as_of,
  entity_state) -> ReportAnalysis` (the result, its report parts and the law applied; without it the report
  gets the standard parts and the entity's state);
- `sample.json`: a realistic sample intake and sample section output (the template manifest's sample
  context, the template lint, the demos and the tests).
The reviewed figures a report may state live with the other reviewed facts in `pwcore/data/facts/<slug>.toml`
(loaded by pwcore.facts.compliance, one layer down, which also holds the per-state tables services share).

`all_services()` finds the folders; `service(service_type)` gives one; both import the folders lazily.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from pwcore.compliance.analysis.common import state_name
from pwcore.compliance.analysis.parts import Jurisdiction, ReportAnalysis, standard_parts
from pwcore.compliance.fields import IntakeModel, UnknownService
from pwcore.compliance.services.common import Facts
from pwcore.compliance.services.report_spec import ReportSpec
from pwcore.facts import compliance as compliance_facts

FOLDER = Path(__file__).resolve().parent
COMMON_SPEC = FOLDER / "_common.toml"


@dataclass(frozen=True)
class ServiceDef:
    service_type: str  # "FLSA Audit": the Select value on Compliance Service
    slug: str  # "flsa_audit": the folder, the facts file and the section spec's name
    title: str  # the report title
    template_id: str  # the DOCX template (templates/<id>.docx)
    order: int
    section_keys: tuple[str, ...]
    intake_model: type[IntakeModel]
    facts_model: type[Facts]
    build_facts: Callable[[Any], dict[str, Any]]
    # None: the template has a layout of its own (the privacy policy, made by tools/make_templates.py).
    report: ReportSpec | None
    folder: Path
    print_findings: bool = True  # False: the document never prints findings (only the checklist lists them)

    @property
    def spec_file(self) -> Path:
        return self.folder / "service.toml"

    def facts(self, intake: IntakeModel) -> dict[str, Any]:
        """The display facts of a validated intake, checked against the service's Facts model."""
        if not isinstance(intake, self.intake_model):
            raise TypeError(f"{self.service_type} needs a {self.intake_model.__name__}, got {type(intake).__name__}")
        return self.facts_model.model_validate(self.build_facts(intake)).model_dump()

    def analysis(self, intake: IntakeModel, as_of: date, entity_state: str) -> ReportAnalysis:
        """The service's deterministic analysis of `intake` for its report (see the module doc)."""
        if not isinstance(intake, self.intake_model):
            raise TypeError(f"{self.service_type} needs a {self.intake_model.__name__}, got {type(intake).__name__}")
        module = importlib.import_module(f"{__name__}.{self.slug}.analysis")
        for_report = getattr(module, "for_report", None)
        if for_report is not None:
            made: ReportAnalysis = for_report(intake, as_of, entity_state)
            return made
        result = module.analyse(intake, as_of)
        name = state_name(entity_state)
        return ReportAnalysis(result=result, parts=standard_parts(result),
                              jurisdiction=Jurisdiction(laws=f"Federal law and {name}", counsel=name))

    def grounding(self, intake: IntakeModel, as_of: date, entity_state: str) -> str:
        """The prompt block of facts and established findings for this intake (its states only)."""
        states = [str(s) for s in getattr(intake, "states", None) or []] + [entity_state]
        facts = compliance_facts.load(self.slug).for_states([s for s in states if s])
        return self.analysis(intake, as_of, entity_state).grounding(facts.prompt_block())

    def sample(self) -> dict[str, Any]:
        """{"intake": {...}, "sections": {...}} from sample.json."""
        data: dict[str, Any] = json.loads((self.folder / "sample.json").read_text(encoding="utf-8"))
        return data


def define(
    init_file: str,
    *,
    intake_model: type[IntakeModel],
    facts_model: type[Facts],
    build_facts: Callable[[Any], dict[str, Any]],
    report: ReportSpec | None,
) -> ServiceDef:
    """A service from its folder's service.toml plus its Python parts (call as define(__file__, ...))."""
    folder = Path(init_file).resolve().parent
    with (folder / "service.toml").open("rb") as fh:
        raw = tomllib.load(fh)
    return ServiceDef(
        service_type=raw["service_type"],
        slug=folder.name,
        title=raw["title"],
        template_id=raw["template"],
        order=int(raw["order"]),
        section_keys=tuple(s["key"] for s in raw["sections"]),
        intake_model=intake_model,
        facts_model=facts_model,
        build_facts=build_facts,
        report=report,
        folder=folder,
        print_findings=bool(raw.get("print_findings", True)),
    )


@cache
def _registry() -> dict[str, ServiceDef]:
    found: list[ServiceDef] = []
    for info in pkgutil.iter_modules([str(FOLDER)]):
        if not info.ispkg:
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        svc = getattr(module, "SERVICE", None)
        if not isinstance(svc, ServiceDef):
            raise RuntimeError(f"{module.__name__} defines no SERVICE = define(__file__, ...)")
        found.append(svc)
    found.sort(key=lambda s: (s.order, s.service_type))
    types = [s.service_type for s in found]
    if len(set(types)) != len(types) or len({s.template_id for s in found}) != len(found):
        raise RuntimeError(f"two compliance services share a service type or template: {types}")
    return {s.service_type: s for s in found}


def all_services() -> tuple[ServiceDef, ...]:
    """Every service, in their `order`."""
    return tuple(_registry().values())


def service_types() -> tuple[str, ...]:
    return tuple(_registry())


def service(service_type: str) -> ServiceDef:
    try:
        return _registry()[service_type]
    except KeyError:
        raise UnknownService(service_type) from None


def by_template(template_id: str) -> ServiceDef | None:
    return next((s for s in all_services() if s.template_id == template_id), None)
