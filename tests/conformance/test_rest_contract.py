"""The REST contract (frappe-observed-v15): compare-and-set, lists, child filters, Selects, error bodies,
Comment escaping, role permissions, and the setup run. Runs against the stand-in or a real site (conftest)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from conformance_site import Made, Target

from pwcore.clients.erpnext import ERPNext, Forbidden, TimestampMismatch, ValidationFailed


def raw(target: Target, method: str, path: str, key: str = "", secret: str = "", **kw: Any) -> httpx.Response:
    auth = f"token {key or target.key}:{secret or target.secret}"
    return httpx.request(method, f"{target.url}{path}", headers={"Authorization": auth}, timeout=30, **kw)


def server_messages(body: dict[str, Any]) -> list[str]:
    return [str(json.loads(m).get("message", "")) for m in json.loads(body.get("_server_messages") or "[]")]


def formation_order(made: Made, target: Target, customer: str, members: list[tuple[str, str]]) -> dict[str, Any]:
    return made.insert("Formation Order", {
        "customer": customer, "entity_name": f"{target.prefix} Holdings LLC", "entity_type": "LLC", "state": "DE",
        "members": [{"member_name": n, "role": r, "ownership_pct": 100 / len(members)} for n, r in members]})


def test_a_stale_modified_is_417_timestamp_mismatch(erp: ERPNext, made: Made, target: Target) -> None:
    doc = made.insert("Customer", {"customer_name": f"{target.prefix} CAS", "customer_type": "Company"})
    first = erp.update("Customer", doc["name"], {"customer_type": "Individual"}, modified=str(doc["modified"]))
    assert first["modified"] != doc["modified"]
    with pytest.raises(TimestampMismatch) as lost:  # the loser of two writers from the same read
        erp.update("Customer", doc["name"], {"customer_type": "Company"}, modified=str(doc["modified"]))
    assert lost.value.status == 417 and lost.value.exc_type == "TimestampMismatchError"


def test_list_pages_and_filters(erp: ERPNext, made: Made, target: Target) -> None:
    names = [made.insert("Customer", {"customer_name": f"{target.prefix} L{i}", "customer_type": "Company"})["name"]
             for i in range(5)]
    like = [["customer_name", "like", f"{target.prefix} L%"]]
    pages = [erp.list_page("Customer", ["name"], like, "name asc", start, 2) for start in (0, 2, 4)]
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [r["name"] for p in pages for r in p] == sorted(names)
    assert len(list(erp.list("Customer", ["name"], like, page_length=2))) == 5
    newest_first = erp.list_page("Customer", ["name"], [["name", "in", names[:2]]])  # Frappe: modified desc
    assert [r["name"] for r in newest_first] == [names[1], names[0]]
    # Without limit_page_length Frappe answers 20 rows at most: the client always pages explicitly.
    default = raw(target, "GET", "/api/resource/Customer", params={"filters": json.dumps(like)})
    assert default.status_code == 200 and len(default.json()["data"]) == 5


def test_child_filters_repeat_the_parent_and_table_column_fields(erp: ERPNext, made: Made, target: Target,
                                                                 customer: str) -> None:
    fo = formation_order(made, target, customer, [("Ann", "Manager"), ("Bob", "Manager"), ("Cy", "Member")])
    rows = erp.list_page("Formation Order", ["name"], [["Formation Member", "role", "=", "Manager"],
                                                       ["name", "=", fo["name"]]])
    assert [r["name"] for r in rows] == [fo["name"], fo["name"]]  # one row per matching child row
    joined = erp.list_page("Formation Order", ["name", "members.member_name"], [["name", "=", fo["name"]]])
    assert sorted(r["member_name"] for r in joined) == ["Ann", "Bob", "Cy"]
    got = erp.get("Formation Order", fo["name"])
    assert [m["role"] for m in sorted(got["members"], key=lambda m: m["idx"])] == ["Manager", "Manager", "Member"]


def test_selects_default_to_their_first_option(erp: ERPNext, made: Made, target: Target, customer: str) -> None:
    fo = formation_order(made, target, customer, [("Dee", "Member")])
    # First options / defaults: management_type's first option is the blank one, so it stays unset (and a read
    # omits it); status has a default.
    assert not fo.get("management_type") and fo["status"] == "Ordered"
    assert fo["members"][0]["role"] == "Member"
    with pytest.raises(ValidationFailed) as missing:  # a leading blank option: omitted means missing
        made.insert("Compliance Service", {"customer": customer, "entity_name": f"{target.prefix} Svc"})
    assert missing.value.status == 417 and missing.value.exc_type == "MandatoryError"
    assert "Service Type" in missing.value.message


def test_error_bodies(target: Target, customer: str) -> None:
    gone = raw(target, "GET", f"/api/resource/Customer/{target.prefix} nobody")
    assert gone.status_code == 404 and gone.json()["exc_type"] == "DoesNotExistError"
    deleted = raw(target, "DELETE", f"/api/resource/Customer/{target.prefix} nobody")
    assert deleted.status_code == 404 and deleted.json().get("exc_type") == "DoesNotExistError"
    bad_link = raw(target, "POST", "/api/resource/Formation Order", json={
        "customer": f"{target.prefix} nobody", "entity_name": "x", "entity_type": "LLC", "state": "DE",
        "members": [{"member_name": "A", "ownership_pct": 100}]})
    assert bad_link.status_code == 417 and bad_link.json()["exc_type"] == "LinkValidationError"
    assert any("Could not find" in m for m in server_messages(bad_link.json()))
    bad_key = raw(target, "GET", "/api/resource/Customer", key="nobody", secret="wrong")
    assert bad_key.status_code == 401


def test_comment_content_is_html_escaped(erp: ERPNext, made: Made, target: Target, customer: str) -> None:
    text = f"{target.prefix} emailed (Message-ID <order-x-v1@performancewest.net>) & more"
    comment = made.insert("Comment", {"comment_type": "Comment", "reference_doctype": "Customer",
                                      "reference_name": customer, "content": text})
    stored = str(erp.get("Comment", comment["name"])["content"])
    assert "&lt;order-x-v1@performancewest.net&gt;" in stored and "&amp;" in stored and "<order-" not in stored
    found = erp.list_page("Comment", ["name"], [["reference_name", "=", customer],
                                                ["content", "like", "%<order-x-v1@%"]])
    assert found == []  # the raw text is not what a like filter sees


def test_role_permissions_of_the_pipeline_user(target: Target) -> None:
    if not target.pipeline_key:
        pytest.skip("PW_CONFORMANCE_PIPELINE_API_KEY not set")
    pipeline = ERPNext(target.url, target.pipeline_key, target.pipeline_secret, retries=1)
    from pwcore.admin.erpnext_setup import PIPELINE_READS

    for doctype in PIPELINE_READS:  # what the functions read, with their own key
        pipeline.list_page(doctype, ["name"], limit_page_length=1)
    with pytest.raises(Forbidden) as denied:  # Sensitive ID is not the pipeline's to read
        pipeline.list_page("Sensitive ID", ["name"], limit_page_length=1)
    refused = denied.value.refusal()
    assert (refused["exc_type"], refused["doctype"], refused["permission"]) == ("PermissionError", "Sensitive ID",
                                                                               "read")
    body = raw(target, "GET", "/api/resource/Sensitive ID", key=target.pipeline_key,
               secret=target.pipeline_secret).json()
    assert any("does not have doctype access via role permission" in m for m in server_messages(body))


def test_the_setup_run_has_converged(erp: ERPNext, target: Target) -> None:
    import os

    from pwcore.admin.erpnext_setup import Setup, time_zone_problem

    gateway = os.environ.get("PW_CONFORMANCE_GATEWAY_URL", "" if target.real else "http://gateway.invalid:8080")
    plan = Setup(erp, gateway or "http://unknown.invalid", "unused").plan_and_apply(apply=False)
    pending = [(c.kind, c.name) for c in plan.pending if gateway or c.kind != "Webhook"]
    assert pending == [], f"run `pw erpnext-setup` first: {pending}"
    assert time_zone_problem(erp, target.timezone) is None
