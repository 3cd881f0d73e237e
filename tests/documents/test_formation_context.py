"""The formation context built from ERPNext-shaped documents (templates/samples/*.json): the vocabulary's
words per variant, the document set rules, and every contradiction or gap refused naming its field."""

from __future__ import annotations

import copy
import json
import stat
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from pwcore.admin.render import ss4_worksheet
from pwcore.clients.erpnext import ERPNext
from pwcore.documents import formation, formation_docs, formation_set
from pwcore.documents.pdf_check import pdf_text
from pwcore.facts.states import facts_for
from pwcore.model.problems import OrderFailure

SAMPLES = Path(__file__).resolve().parents[2] / "templates" / "samples"


def bundle(name: str) -> formation_docs.OrderBundle:
    return formation_docs.load_order(SAMPLES / f"{name}.json")


def build(name: str, **changes: Any) -> dict[str, Any]:
    b = bundle(name)
    return formation.formation_context(dict(b.order, **changes), b.customer, b.sales_order, as_of=date(2026, 11, 25))


def test_every_sample_builds_within_the_vocabulary() -> None:
    for path in sorted(SAMPLES.glob("*.json")):
        for template_id, ctx in formation_docs.contexts(formation_docs.load_order(path)).items():
            assert set(ctx) <= formation.VOCABULARY, (path.name, template_id, set(ctx) - formation.VOCABULARY)
            assert template_id in formation_set.TEMPLATES


def test_words_per_variant() -> None:
    tx = build("single-member-llc-tx")
    assert tx["entity_designation"] == "a Texas limited liability company"
    assert tx["state"]["the_state"] == "the State of Texas" and tx["state"]["formation_document"] == \
        "Certificate of Formation"
    assert tx["single_member"] and tx["member_managed"] and not tx["tax_partnership"]
    assert tx["members"][0]["signer"]["capacity"] == "Sole Member" and tx["successor"] == "Morgan Whitfield"
    assert tx["principal_office"] == "88 Live Oak Lane, Austin, Texas 78704"  # two lines joined
    assert tx["organizer_statement"] and tx["organizer"]["is_entity"]  # Performance West organizes
    co = build("multi-member-llc-co")
    entity = co["members"][1]["signer"]
    assert entity == {"name": "Summit Peak Holdings, Inc.", "is_entity": True, "by_name": "Jordan Reyes",
                      "by_title": "President", "capacity": "Member"}
    assert co["partnership_representative"]["name"] == "Avery Chen" and co["ein"] == "92-1234567"
    assert co["officers"] == [{"title": "President", "name": "Avery Chen"}] and co["managers"] == []
    ca = build("manager-managed-llc-ca")
    assert ca["manager_managed"] and [m["name"] for m in ca["managers"]] == ["Taylor Brooks"]
    assert ca["spousal_consents"][0]["signer"]["capacity"] == "Spouse of Riley Santos"
    assert ca["registered_agent"]["is_service"] and ca["addons"]["operating_agreement"]
    de = build("corporation-de")
    assert de["entity_designation"] == "a Delaware corporation" and de["par_value"] == "$0.0001"
    assert de["total_issued_shares"] == "10,000,000" and de["unissued_shares"] == "10,000,000"
    assert de["secretary"]["name"] == "Marcus Oyelaran" and de["board_size"] == "three (3)"
    assert [m["certificate_no"] for m in de["members"]] == ["CS-1", "CS-2"]
    assert de["state"]["holders"] == "stockholders" and de["members"][0]["signer"]["capacity"] == "Stockholder"
    assert de["registered_agent"]["county"] == ""  # the sample's address names no county: the blank prints
    assert "units" not in co["members"][0]  # interests are percentages; the operating agreement has no units
    np = build("nonprofit-co")
    assert np["entity_designation"] == "a Colorado nonprofit corporation" and np["members"] == []
    assert np["has_members"] is False and np["fiscal_year_end"] == "June 30"
    assert formation.designation("Ohio", "corporation") == "an Ohio corporation"


@pytest.mark.parametrize(
    ("address", "code", "inside"),
    [
        ("1601 Congress Avenue, Suite 300, Austin, Texas 78701", "TX", True),
        ("1601 Congress Avenue, Austin, TX 78701-1234", "TX", True),
        ("40 Wall Street, New York, New York 10005", "NY", True),
        ("1209 Orange Street, Wilmington, Delaware 19801", "TX", False),
        ("12 Texas Avenue, Boulder, CO 80302", "CO", True),
        ("12 Texas Avenue, Boulder, CO 80302", "TX", False),  # a street named for a state is not the state
        ("500 Capitol Mall, Sacramento, California 95814, USA", "CA", True),
        ("77 Birch Way, Golden, Colorado", "CO", True),
    ],
)
def test_a_registered_agent_address_must_name_the_state(address: str, code: str, inside: bool) -> None:
    assert formation.in_state(address, facts_for(code, "llc").context()) is inside


@pytest.mark.parametrize(
    ("sample", "address", "county"),
    [
        ("corporation-de", "1209 Orange Street, Wilmington, New Castle County, Delaware 19801", "New Castle County"),
        ("llc-filing-only-ny", "80 State Street, Albany, Albany county, New York 12207", "Albany county"),
        ("corporation-de", "1209 Orange Street, Wilmington, Delaware 19801", ""),  # never guessed from city or ZIP
        ("corporation-de", "12 County Road, Dover, Delaware 19901", ""),
    ],
)
def test_registered_office_county_only_from_the_address(sample: str, address: str, county: str) -> None:
    assert formation.county_in(address) == county
    ctx = build(sample, registered_agent_address=address)
    assert ctx["registered_agent"]["county"] == county


def test_document_sets() -> None:
    assert formation_set.documents_for(build("llc-filing-only-ny")) == ["articles-of-organization",
                                                                        "organizer-statement"]
    tx = build("single-member-llc-tx")
    assert formation_set.documents_for(tx, "operator") == ["ss4-worksheet"]
    assert "ein-confirmation" not in formation_set.documents_for(tx)
    recorded = build("single-member-llc-tx", ein="92-1112223", ein_assigned_date="2026-12-03")
    assert formation_set.documents_for(recorded)[-1] == "ein-confirmation"
    assert formation_set.documents_for(recorded, "operator") == []


@pytest.mark.parametrize(
    ("sample", "changes", "reason"),
    [
        ("corporation-de", {"management_type": "Member-Managed"}, "'management_type' does not fit a Corporation"),
        ("single-member-llc-tx", {"management_type": "Board-Managed"}, "'management_type' does not fit an LLC"),
        ("single-member-llc-tx", {"management_type": ""}, "'management_type' does not fit"),
        ("nonprofit-co", {"management_type": "Manager-Managed"}, "'management_type' does not fit a Nonprofit"),
        ("single-member-llc-tx", {"registered_agent_address": ""}, "'registered_agent_address' is empty"),
        ("multi-member-llc-co", {"registered_agent": "", "registered_agent_address": ""},
         "'registered_agent' is empty"),
        ("llc-filing-only-ny", {"registered_agent_address": ""}, "'registered_agent_address' is empty"),
        ("corporation-de", {"registered_agent": "", "registered_agent_address": ""}, "'registered_agent' is empty"),
        ("single-member-llc-tx", {"registered_agent_address": "1209 Orange Street, Wilmington, Delaware 19801"},
         "'registered_agent_address' is not in the State of Texas"),
        ("corporation-de", {"registered_agent_address": "40 Wall Street, New York, NY 10005"},
         "'registered_agent_address' is not in the State of Delaware"),
        ("single-member-llc-tx", {"principal_office": " "}, "'principal_office' is empty"),
        ("single-member-llc-tx", {"state": "ZZ"}, "'state' is not a US state"),
        ("single-member-llc-tx", {"entity_name": "Juniper Ridge"}, "'entity_name' lacks the designator"),
        ("single-member-llc-tx", {"purpose": ""}, "'purpose' is empty"),
        ("single-member-llc-tx", {"ein": "123456789"}, "'ein' is not shaped"),
        ("single-member-llc-tx", {"ein": "92-1112223"}, "'ein_assigned_date' is empty"),
        ("corporation-de", {"authorized_shares": 5}, "'authorized_shares' is fewer than the shares issued"),
        ("nonprofit-co", {"exempt_purpose": ""}, "'exempt_purpose' is empty"),
        ("multi-member-llc-co", {"successor": "Someone"}, "'successor' is only for a single-member LLC"),
        ("multi-member-llc-co", {"management_type": "Manager-Managed"}, "no row with role Manager"),
    ],
)
def test_refused_naming_the_field(sample: str, changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(OrderFailure, match=reason.replace("(", r"\(")):
        build(sample, **changes)


def test_new_york_llc_may_name_no_registered_agent() -> None:
    """N.Y. LLC Law § 203(e)(5): the Secretary of State is a New York LLC's agent for service; a registered agent
    is optional, so an order without one builds a context without one (the clauses then print none)."""
    ctx = build("llc-filing-only-ny", registered_agent="", registered_agent_address=" ")
    assert "registered_agent" not in ctx and ctx["state"]["secretary_is_agent"]
    assert build("llc-filing-only-ny")["registered_agent"]["name"] == "Priya Raman"
    # the agent add-on bought without an agent is a gap, not a choice
    b = bundle("llc-filing-only-ny")
    order = dict(b.order, registered_agent="", registered_agent_address="",
                 add_ons=[{"doctype": "Formation Add-On", "add_on": "Registered Agent"}])
    with pytest.raises(OrderFailure, match="'registered_agent' is empty"):
        formation.formation_context(order, b.customer, b.sales_order, as_of=date(2026, 11, 25))



def test_new_york_corporation_may_name_no_registered_agent() -> None:
    """BCL § 402(a)(8): a New York corporation's registered agent is optional too; a Delaware one's is not."""
    b = bundle("corporation-de")
    order = dict(b.order, state="NY", registered_agent="", registered_agent_address="",
                 add_ons=[a for a in b.order.get("add_ons", []) if a.get("add_on") != "Registered Agent"])
    ctx = formation.formation_context(order, b.customer, b.sales_order, as_of=date(2026, 11, 25))
    assert "registered_agent" not in ctx and ctx["state"]["secretary_is_agent"]
    with pytest.raises(OrderFailure, match="'registered_agent' is empty"):
        formation.formation_context(dict(order, state="DE"), b.customer, b.sales_order, as_of=date(2026, 11, 25))

def test_member_rows_are_checked() -> None:
    b = bundle("multi-member-llc-co")
    order = copy.deepcopy(b.order)
    order["members"][1]["signatory_name"] = ""
    with pytest.raises(OrderFailure, match=r"'members\[2\].signatory_name' is empty"):
        formation.formation_context(order, b.customer, b.sales_order)
    order = copy.deepcopy(b.order)
    order["members"][0]["ownership_pct"] = 50
    with pytest.raises(OrderFailure, match="add up to 90%"):
        formation.formation_context(order, b.customer, b.sales_order)
    order = copy.deepcopy(b.order)
    order["members"][1]["ein"] = "12-3456789"  # unknown keys never reach a context
    assert "12-3456789" not in json.dumps(formation.formation_context(order, b.customer, b.sales_order))


def test_ss4_worksheet_reads_the_number_only_for_its_render(erp: ERPNext, customer: str, tmp_path: Path) -> None:
    """`pw ss4-worksheet` against ERPNext: get_password reads the Sensitive ID; the full number is printed once
    (line 7b), masked elsewhere, and the file is the operator's alone (0600). No ERPNext field holds it."""
    ssn = "987-65-4329"
    sid = erp.insert("Sensitive ID", {"customer": customer, "id_type": "SSN", "id_value": ssn})
    b = bundle("single-member-llc-tx")
    order = {k: v for k, v in b.order.items() if k not in ("doctype", "name", "status", "sales_order")}
    order.update(customer=customer, responsible_party_id=sid["name"],
                 members=[{k: v for k, v in r.items() if k != "doctype"} for r in order["members"]],
                 add_ons=[{k: v for k, v in a.items() if k != "doctype"} for a in order["add_ons"]])
    fo = erp.insert("Formation Order", order)
    assert ssn not in json.dumps(erp.get("Formation Order", fo["name"]))
    path = ss4_worksheet(erp, fo["name"], tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.parent == tmp_path
    text = pdf_text(path.read_bytes())
    assert text.count(ssn) == 1 and "***-**-4329" in text and "Dana Whitfield" in text
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no DOCX, nothing else written
