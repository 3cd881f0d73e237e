"""The service registry: one folder per compliance service, and everything else reads from it."""

from __future__ import annotations

import json
from pathlib import Path

from pwcore.compliance import services
from pwcore.compliance.intake import INTAKE_MODELS, parse_intake
from pwcore.compliance.section_generator import load_service_specs
from pwcore.documents import context as ctx
from pwdev import samples

ROOT = Path(__file__).resolve().parents[2]


def test_every_folder_is_a_service_and_the_registry_feeds_the_rest() -> None:
    folders = sorted(p.parent.name for p in services.FOLDER.glob("*/service.toml"))
    found = services.all_services()
    assert sorted(s.slug for s in found) == folders and len(found) == 7
    assert [s.order for s in found] == sorted(s.order for s in found)
    specs = load_service_specs()
    manifest = json.loads((ROOT / "templates" / "manifest.json").read_text())
    for svc in found:
        assert INTAKE_MODELS[svc.service_type] is svc.intake_model
        assert specs[svc.service_type].keys == list(svc.section_keys)
        assert ctx.SERVICE_SECTIONS[svc.service_type] == list(svc.section_keys)
        assert ctx.REPORT_TITLES[svc.service_type] == svc.title
        assert manifest["compliance"][svc.service_type] == {
            "template": svc.template_id, "sections": list(svc.section_keys),
            "documents": [svc.template_id, "remediation-checklist"]}
        assert samples.SLUGS[svc.service_type] == svc.template_id
        assert (svc.folder / f"../../../data/facts/{svc.slug}.toml").resolve().is_file()


def test_samples_fit_their_models_and_facts_builders() -> None:
    for svc in services.all_services():
        sample = svc.sample()
        assert set(sample["sections"]) == set(svc.section_keys), svc.slug
        intake = parse_intake(svc.service_type, sample["intake"])
        facts = svc.facts(intake)
        assert set(facts) == set(svc.facts_model.model_fields), svc.slug
        assert all(v not in ("", None) for v in facts.values()), svc.slug
        assert samples.INTAKE[svc.service_type] == sample["intake"]


def test_a_facts_builder_refuses_another_services_intake() -> None:
    flsa, ccpa = services.service("FLSA Audit"), services.service("CCPA Audit")
    intake = parse_intake("CCPA Audit", ccpa.sample()["intake"])
    try:
        flsa.facts(intake)
    except TypeError as exc:
        assert "FLSAAuditIntake" in str(exc)
    else:
        raise AssertionError("the FLSA facts builder accepted a CCPA intake")
