"""An order whose entity type or service type is not a real choice is refused, never guessed (issue 19,
defect 5): Frappe gives an omitted Select its first option, and a value written without validation (a data
import, `frappe.db.set_value`) can be blank. generate-doc fails the order with the reason as a Comment."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from pwcore.clients.erpnext import ERPNext
from pwcore.clients.s3 import Storage
from pwcore.documents.template_store import TemplateStore
from pwcore.model.doctypes import ENTITY_TYPES, ORDER_CHOICES, SERVICE_TYPES, choice_problem
from pwcore.model.status import Status
from pwcore.steps.generation import Generator
from pwdev.demo import place_order

DOCTYPES = json.loads((__import__("pathlib").Path(__file__).parents[2] / "shared" / "pwcore" / "data" /
                       "doctypes.json").read_text())


def select_options(doctype: str, fieldname: str) -> list[str]:
    dt = next(d for d in DOCTYPES["doctypes"] if d["name"] == doctype)
    return str(next(f for f in dt["fields"] if f["fieldname"] == fieldname)["options"]).split("\n")


def test_choices_match_the_doctype_options_after_a_leading_blank() -> None:
    assert select_options("Formation Order", "entity_type") == ["", *ENTITY_TYPES]
    assert select_options("Compliance Service", "service_type") == ["", *SERVICE_TYPES]
    assert set(ORDER_CHOICES) == {"Formation Order", "Compliance Service"}


def test_choice_problem_names_the_field() -> None:
    assert choice_problem("Formation Order", {"entity_type": "LLC"}) is None
    assert "entity_type is blank" in str(choice_problem("Formation Order", {"entity_type": ""}))
    assert "not a choice" in str(choice_problem("Compliance Service", {"service_type": "Partnership"}))


@pytest.fixture()
def storage(s3: Any) -> Storage:
    st = Storage(s3.endpoint, s3.access_key, s3.secret_key, s3.bucket)
    st.ensure_bucket()
    return st


def never_convert(docx: bytes) -> bytes:
    raise AssertionError("nothing may be rendered for an order without a real type")


@pytest.mark.parametrize("kind,fieldname", [("Formation Order", "entity_type"),
                                            ("Compliance Service", "service_type")])
def test_generation_fails_an_order_whose_type_is_blank(standin: Any, erp: ERPNext, storage: Storage, kind: str,
                                                       fieldname: str) -> None:
    order = place_order(erp, f"Blank {fieldname} LLC", "b@example.com", compliance=True)
    name = next(n for dt, n in order["orders"] if dt == kind)
    # What a data import or frappe.db.set_value leaves: the field blank, no validation run.
    r = httpx.post(f"{standin.url}/_standin/set_value", timeout=5,
                   json={"doctype": kind, "name": name, "values": {fieldname: "", "status": "Queued"}})
    assert r.status_code == 200, r.text
    outcome = Generator(erp, storage, TemplateStore(storage), never_convert, lease_s=900,
                        timezone="America/Chicago").run(kind, name)
    # Failed with its reason; the stand-in, like Frappe, validates the whole document on the status write,
    # so the blank mandatory field makes it refuse even Failed: the answer is then a 422 and the Comment stays.
    assert outcome.status == "refused", outcome
    assert outcome.status.http_status == 422 and f"{fieldname} is blank" in outcome.detail
    assert "MandatoryError" in outcome.detail
    assert erp.get(kind, name)["status"] == Status.QUEUED  # never Processing, nothing rendered
    texts = [c["content"] for c in erp.list("Comment", fields=["content"],
                                            filters=[["reference_name", "=", name]])]
    assert any(f"{fieldname} is blank" in t for t in texts), texts
    assert not list(storage.list(f"orders/{name}/"))
