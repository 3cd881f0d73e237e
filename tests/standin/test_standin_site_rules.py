"""The stand-in follows what a running Frappe v15 / ERPNext site does (over real sockets): Module Def links,
role permissions, Frappe's edits of DocTypes and documents, update-after-submit, the Payment Entry path,
list joins, System Settings time zone, Password fields, and webhook workers being down."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from standin_http import ADMIN, Receiver, msgs, wait_quiet

from pwdev.erpnext import ERPNextStandin

USERS = [
    {"user": "Administrator", "api_key": "dev-key", "api_secret": "dev-secret"},
    {"user": "sm@example.com", "api_key": "sm-key", "api_secret": "sm-secret", "roles": ["System Manager"]},
    {"user": "ops@example.com", "api_key": "ops-key", "api_secret": "ops-secret", "roles": ["Operations"]},
    {"user": "agent1@example.com", "api_key": "a1-key", "api_secret": "a1-secret", "roles": ["Sales Agent"]},
    {"user": "agent2@example.com", "api_key": "a2-key", "api_secret": "a2-secret", "roles": ["Sales Agent"]},
]


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"token {key}-key:{key}-secret"}


@pytest.fixture(scope="module")
def site() -> Iterator[ERPNextStandin]:
    s = ERPNextStandin(users=USERS, retry_sleep_scale=0.01,
                       fixtures={"Customer": [{"customer_name": "Acme"}]}).start()
    yield s
    s.stop()


def simple_doctype(name: str, **kw: Any) -> dict[str, Any]:
    return {"name": name, "module": "Performance West", "custom": 1, "autoname": "hash",
            "fields": [{"fieldname": "title", "fieldtype": "Data", "label": "Title", "reqd": 1}], **kw}


def invoice(c: httpx.Client, **kw: Any) -> dict[str, Any]:
    r = c.post("/api/resource/Sales Invoice", json={"customer": "Acme", "items": [
        {"item_code": "X", "qty": 1, "rate": 100}], "docstatus": 1, "status": "Unpaid", **kw})
    assert r.status_code == 200, r.text
    return r.json()["data"]


# ---- DocTypes: Module Def, options, in_list_view ------------------------------------------------------
def test_doctype_needs_an_existing_module_def(c: httpx.Client) -> None:
    r = c.post("/api/resource/DocType", json={**simple_doctype("Orphan Thing"), "module": "No Such Module"})
    assert r.status_code == 417 and r.json()["exc_type"] == "LinkValidationError"
    assert msgs(r.json())[0]["message"] == "Could not find Module: No Such Module"
    assert c.get("/api/resource/DocType/Orphan Thing").status_code == 404  # nothing was created
    assert c.post("/api/resource/Module Def", json={"module_name": "No Such Module", "app_name": "frappe",
                                                    "custom": 1}).status_code == 200
    r = c.post("/api/resource/DocType", json={**simple_doctype("Orphan Thing"), "module": "No Such Module"})
    assert r.status_code == 200, r.text


def test_link_table_and_select_options_are_validated(c: httpx.Client) -> None:
    bad_link = simple_doctype("Bad Link Thing")
    bad_link["fields"].append({"fieldname": "x", "fieldtype": "Link", "label": "X", "options": "Nope DocType"})
    r = c.post("/api/resource/DocType", json=bad_link)
    assert r.status_code == 417 and "Options must be a valid DocType for field X" in msgs(r.json())[0]["message"]
    bad_table = simple_doctype("Bad Table Thing")
    bad_table["fields"].append({"fieldname": "rows", "fieldtype": "Table", "label": "Rows", "options": "Later Child"})
    assert c.post("/api/resource/DocType", json=bad_table).status_code == 417  # child tables first
    assert c.post("/api/resource/DocType", json={**simple_doctype("Later Child"), "istable": 1}).status_code == 200
    assert c.post("/api/resource/DocType", json=bad_table).status_code == 200
    bad_select = simple_doctype("Bad Select Thing")
    bad_select["fields"].append({"fieldname": "kind", "fieldtype": "Select", "label": "Kind", "options": "A\nB",
                                 "default": "C"})
    r = c.post("/api/resource/DocType", json=bad_select)
    assert r.status_code == 417 and "must be in the list of options" in msgs(r.json())[0]["message"]


def test_frappe_sets_in_list_view_on_the_first_four_mandatory_fields(c: httpx.Client) -> None:
    fields = [{"fieldname": f"f{i}", "fieldtype": "Data", "label": f"F{i}", "reqd": int(i != 1)} for i in range(7)]
    fields.insert(0, {"fieldname": "sec", "fieldtype": "Section Break", "label": "S", "reqd": 1})
    got = c.post("/api/resource/DocType", json={**simple_doctype("List View Thing"), "fields": fields}).json()["data"]
    on = [f["fieldname"] for f in got["fields"] if f.get("in_list_view")]
    assert on == ["f0", "f2", "f3", "f4"]
    marked = [dict(f, in_list_view=int(f["fieldname"] == "f6")) for f in fields]
    got = c.post("/api/resource/DocType", json={**simple_doctype("List View Kept"), "fields": marked}).json()["data"]
    assert [f["fieldname"] for f in got["fields"] if f.get("in_list_view")] == ["f6"]  # left alone


# ---- permissions ---------------------------------------------------------------------------------------
def test_doctype_without_permissions_is_administrator_only(site: ERPNextStandin, c: httpx.Client) -> None:
    assert c.post("/api/resource/DocType", json=simple_doctype("Admin Only Thing")).status_code == 200
    doc = c.post("/api/resource/Admin Only Thing", json={"title": "t"}).json()["data"]
    with httpx.Client(base_url=site.url, headers=auth("sm"), timeout=10) as sm:
        for r in (sm.get("/api/resource/Admin Only Thing"), sm.get(f"/api/resource/Admin Only Thing/{doc['name']}"),
                  sm.post("/api/resource/Admin Only Thing", json={"title": "x"})):
            assert r.status_code == 403 and r.json()["exc_type"] == "PermissionError"
            assert msgs(r.json())[0]["message"] == ("User <strong>sm@example.com</strong> does not have doctype "
                                                    "access via role permission for document "
                                                    "<strong>Admin Only Thing</strong>")
            assert r.json()["_error_message"] == "No permission for Admin Only Thing"
        put = sm.put(f"/api/resource/Admin Only Thing/{doc['name']}", json={"title": "y"})
        assert put.status_code == 403
        assert put.json()["_error_message"] == (f"You need the 'write' permission on Admin Only Thing {doc['name']} "
                                                "to perform this action.")
        assert sm.get("/api/resource/Webhook").status_code == 200  # standard DocTypes carry System Manager rows
    assert c.get(f"/api/resource/Admin Only Thing/{doc['name']}").json()["data"]["title"] == "t"


def test_permission_rows_roles_and_a_put_without_permissions(site: ERPNextStandin, c: httpx.Client) -> None:
    row = {"role": "Night Shift", "read": 1, "write": 0, "create": 0, "delete": 0, "submit": 0, "cancel": 0,
           "amend": 0, "report": 1, "export": 0, "print": 0, "email": 0, "share": 0, "if_owner": 0, "permlevel": 0}
    r = c.post("/api/resource/DocType", json=simple_doctype("Shift Thing", permissions=[row]))
    assert r.status_code == 417 and msgs(r.json())[0]["message"] == "Could not find Row #1: Role: Night Shift"
    assert c.post("/api/resource/Role", json={"role_name": "Night Shift"}).status_code == 200
    assert c.post("/api/resource/DocType", json=simple_doctype("Shift Thing", permissions=[row])).status_code == 200
    user = c.post("/api/resource/User", json={"email": "night@example.com", "first_name": "Night",
                                              "roles": [{"role": "Night Shift"}]}).json()["data"]
    keys = c.post("/api/method/frappe.core.doctype.user.user.generate_keys", json={"user": user["name"]})
    secret = keys.json()["message"]["api_secret"]
    api_key = c.get("/api/resource/User/night@example.com").json()["data"]["api_key"]
    doc = c.post("/api/resource/Shift Thing", json={"title": "t"}).json()["data"]
    with httpx.Client(base_url=site.url, headers={"Authorization": f"token {api_key}:{secret}"}) as night:
        assert night.get("/api/method/frappe.auth.get_logged_user").json() == {"message": "night@example.com"}
        assert night.get(f"/api/resource/Shift Thing/{doc['name']}").status_code == 200
        assert night.put(f"/api/resource/Shift Thing/{doc['name']}", json={"title": "u"}).status_code == 403
        assert night.post("/api/resource/Shift Thing", json={"title": "v"}).status_code == 403
        current = c.get("/api/resource/DocType/Shift Thing").json()["data"]
        fields = current["fields"] + [{"fieldname": "note", "fieldtype": "Data", "label": "Note"}]
        assert c.put("/api/resource/DocType/Shift Thing", json={"fields": fields}).status_code == 200
        kept = c.get("/api/resource/DocType/Shift Thing").json()["data"]["permissions"]
        assert [(p["role"], p["read"], p["write"]) for p in kept] == [("Night Shift", 1, 0)]
        assert night.get(f"/api/resource/Shift Thing/{doc['name']}").status_code == 200


def test_if_owner_rows_grant_only_own_documents(site: ERPNextStandin, c: httpx.Client) -> None:
    assert c.post("/api/resource/DocType", json=simple_doctype("Owned Thing", permissions=[
        {"role": "Sales Agent", "read": 1, "report": 1, "if_owner": 1},
        {"role": "Operations", "read": 1, "write": 1, "create": 1}])).status_code == 200
    mine = site.insert_many("Owned Thing", [{"title": "mine", "owner": "agent1@example.com"}])[0]
    theirs = c.post("/api/resource/Owned Thing", json={"title": "theirs"}).json()["data"]["name"]
    with httpx.Client(base_url=site.url, headers=auth("a1")) as a1, \
            httpx.Client(base_url=site.url, headers=auth("a2")) as a2:
        assert [r["name"] for r in a1.get("/api/resource/Owned Thing").json()["data"]] == [mine]
        assert a1.get(f"/api/resource/Owned Thing/{mine}").status_code == 200
        assert a1.get(f"/api/resource/Owned Thing/{theirs}").status_code == 403
        assert a2.get("/api/resource/Owned Thing").json()["data"] == []
        assert a2.get(f"/api/resource/Owned Thing/{mine}").status_code == 403
        count = a1.get("/api/method/frappe.client.get_count", params={"doctype": "Owned Thing"})
        assert count.json() == {"message": 1}


def test_user_permissions_restrict_lists_and_gets_by_link(site: ERPNextStandin, c: httpx.Client) -> None:
    """A Sales Agent reads only the Commission Ledger rows linked to their own Sales Agent (User Permission)."""
    for agent, code in (("UP Agent One", "REF-UP1"), ("UP Agent Two", "REF-UP2")):
        assert c.post("/api/resource/Sales Agent", json={"agent_name": agent, "referral_code": code}).status_code \
            == 200
    sos = [c.post("/api/resource/Sales Order", json={"customer": "Acme", "items": [
        {"item_code": "A", "qty": 1, "rate": 1}]}).json()["data"]["name"] for _ in range(3)]
    ledgers = [c.post("/api/resource/Commission Ledger", json={
        "agent": agent, "order": so, "service_type": "Formation", "commission_amount": 50}).json()["data"]["name"]
        for agent, so in zip(("UP Agent One", "UP Agent Two", "UP Agent One"), sos, strict=True)]
    assert c.post("/api/resource/User Permission", json={
        "user": "agent1@example.com", "allow": "Sales Agent", "for_value": "UP Agent One"}).status_code == 200
    with httpx.Client(base_url=site.url, headers=auth("a1")) as a1:
        listed = a1.get("/api/resource/Commission Ledger", params={"fields": '["name", "agent"]'}).json()["data"]
        assert sorted(r["name"] for r in listed) == sorted([ledgers[0], ledgers[2]])
        assert {r["agent"] for r in listed} == {"UP Agent One"}
        assert a1.get(f"/api/resource/Commission Ledger/{ledgers[0]}").status_code == 200
        other = a1.get(f"/api/resource/Commission Ledger/{ledgers[1]}")
        assert other.status_code == 403 and other.json()["exc_type"] == "PermissionError"
        assert "linked to Sales Agent 'UP Agent Two'" in other.text
        count = a1.get("/api/method/frappe.client.get_count", params={"doctype": "Commission Ledger"})
        assert count.json() == {"message": 2}


def test_password_fields_and_get_password_by_permlevel(site: ERPNextStandin, c: httpx.Client) -> None:
    made = c.post("/api/resource/Sensitive ID", json={"customer": "Acme", "id_type": "EIN", "id_value": "12-3456789"})
    assert made.json()["data"]["id_value"] == "**********"
    name = made.json()["data"]["name"]
    assert c.get(f"/api/resource/Sensitive ID/{name}").json()["data"]["id_value"] == "**********"
    listed = c.get("/api/resource/Sensitive ID", params={"fields": '["name","id_value"]'}).json()["data"]
    assert {r["id_value"] for r in listed} == {"**********"}
    params = {"doctype": "Sensitive ID", "name": name, "fieldname": "id_value"}
    with httpx.Client(base_url=site.url, headers=auth("ops")) as ops, \
            httpx.Client(base_url=site.url, headers=auth("sm")) as sm:
        assert ops.get("/api/method/frappe.client.get_password", params=params).json() == {"message": "12-3456789"}
        assert sm.get("/api/method/frappe.client.get_password", params=params).status_code == 403
    level0_only = {"role": "Operations", "read": 1, "write": 1, "create": 1, "permlevel": 0}
    c.put("/api/resource/DocType/Sensitive ID", json={"permissions": [level0_only]})
    try:
        with httpx.Client(base_url=site.url, headers=auth("ops")) as ops:
            assert ops.get(f"/api/resource/Sensitive ID/{name}").status_code == 200
            assert ops.get("/api/method/frappe.client.get_password", params=params).status_code == 403
    finally:
        spec = json.loads((site._bootstrap.__globals__["DOCTYPES_JSON"]).read_text())
        rows = next(d for d in spec["doctypes"] if d["name"] == "Sensitive ID")["permissions"]
        c.put("/api/resource/DocType/Sensitive ID", json={"permissions": rows})


# ---- documents -----------------------------------------------------------------------------------------
def test_select_first_option_and_int_coercion(c: httpx.Client) -> None:
    cal = c.post("/api/resource/Compliance Calendar", json={"customer": "Acme", "event_type": "Annual Report",
                                                            "due_date": "2031-05-01", "anchor_day": "abc"})
    data = cal.json()["data"]
    assert data["status"] == "Upcoming"  # first option, no default
    assert "recurrence" not in data  # the list starts blank: unset
    assert data["anchor_day"] == 0  # "abc" in an Int field stores 0
    assert c.post("/api/resource/Formation Order", json={
        "customer": "Acme", "entity_name": "E", "state": "TX", "entity_type": "LLC"}).json()["data"]["status"] == \
        "Ordered"
    missing = c.post("/api/resource/Formation Order", json={"customer": "Acme", "entity_name": "E", "state": "TX"})
    assert missing.status_code == 417 and missing.json()["exc_type"] == "MandatoryError"  # blank first option
    so = c.post("/api/resource/Sales Order", json={"customer": "Acme", "items": [
        {"item_code": "A", "qty": 1, "rate": 1}]}).json()["data"]
    assert "custom_order_type" not in so


def test_comment_content_is_sanitised_communication_is_not(c: httpx.Client) -> None:
    fo = c.post("/api/resource/Formation Order", json={"customer": "Acme", "entity_name": "E", "state": "TX",
                                                       "entity_type": "LLC"}).json()["data"]
    raw = "Pipeline: emailed <msg-1@pw.example> & done"
    out = c.post("/api/method/frappe.desk.form.utils.add_comment", json={
        "reference_doctype": "Formation Order", "reference_name": fo["name"], "content": raw,
        "comment_email": "bot@example.com", "comment_by": "Pipeline"}).json()["message"]
    assert out["content"] == "Pipeline: emailed &lt;msg-1@pw.example&gt; &amp; done"

    def comments(pattern: str) -> list[Any]:
        return c.get("/api/resource/Comment", params={"filters": json.dumps(
            [["reference_name", "=", fo["name"]], ["content", "like", pattern]])}).json()["data"]

    assert comments("%<msg-1@pw.example>%") == []
    assert len(comments("%&lt;msg-1@pw.example&gt;%")) == 1
    comm = c.post("/api/resource/Communication", json={"subject": "s", "content": raw, "message_id": "<m@x>",
                                                       "reference_doctype": "Formation Order",
                                                       "reference_name": fo["name"]}).json()["data"]
    assert comm["content"] == raw and comm["message_id"] == "<m@x>"


def test_unique_and_duplicate_name_errors(c: httpx.Client) -> None:
    first = c.post("/api/resource/Sales Agent", json={"agent_name": "U1", "referral_code": "REF-UNIQ"})
    assert first.status_code == 200
    dup_field = c.post("/api/resource/Sales Agent", json={"agent_name": "U2", "referral_code": "REF-UNIQ"})
    assert dup_field.status_code == 417 and dup_field.json()["exc_type"] == "UniqueValidationError"
    assert msgs(dup_field.json())[0]["message"] == "Referral Code must be unique"
    dup_name = c.post("/api/resource/Sales Agent", json={"agent_name": "U1", "referral_code": "REF-OTHER"})
    assert dup_name.status_code == 409 and dup_name.json()["exc_type"] == "DuplicateEntryError"


def test_delete_of_a_missing_document_is_a_bare_404(c: httpx.Client) -> None:
    r = c.delete("/api/resource/Formation Order/FO-1900-0001")
    assert r.status_code == 404 and r.json() == {"exc_type": "DoesNotExistError"}


def test_child_filters_repeat_the_parent_and_table_field_syntax(c: httpx.Client) -> None:
    so = c.post("/api/resource/Sales Order", json={"customer": "Acme", "items": [
        {"item_code": "A", "qty": 1, "rate": 1}]}).json()["data"]
    inv = invoice(c, items=[{"item_code": "A", "qty": 1, "rate": 1, "sales_order": so["name"]},
                            {"item_code": "B", "qty": 1, "rate": 2, "sales_order": so["name"]}])
    rows = c.get("/api/resource/Sales Invoice", params={"filters": json.dumps(
        [["Sales Invoice Item", "sales_order", "=", so["name"]]])}).json()["data"]
    assert rows == [{"name": inv["name"]}, {"name": inv["name"]}]  # one row per matching child row
    both = c.get("/api/resource/Sales Invoice", params={
        "filters": json.dumps([["name", "=", inv["name"]]]),
        "fields": json.dumps(["name", "`tabSales Invoice Item`.item_code", "items.sales_order"])}).json()["data"]
    assert sorted((r["item_code"], r["sales_order"]) for r in both) == [("A", so["name"]), ("B", so["name"])]


# ---- submitted invoices and the Payment Entry path -----------------------------------------------------
def test_status_of_a_submitted_invoice_cannot_be_put(c: httpx.Client) -> None:
    inv = invoice(c)
    r = c.put(f"/api/resource/Sales Invoice/{inv['name']}", json={"status": "Paid"})
    assert r.status_code == 417 and r.json()["exc_type"] == "UpdateAfterSubmitError"
    assert msgs(r.json())[0]["message"] == "Not allowed to change <strong>Status</strong> after submission from " \
                                           "Unpaid to Paid"
    r = c.put(f"/api/resource/Sales Invoice/{inv['name']}", json={"outstanding_amount": 0})
    assert r.status_code == 417 and r.json()["exc_type"] == "UpdateAfterSubmitError"


def test_payment_entry_fires_on_change_once_pos_fires_on_submit(c: httpx.Client, receiver: Receiver) -> None:
    body = '{"name": {{ doc.name | tojson }}, "status": {{ doc.status | tojson }}}'
    for name, event in (("paid-change", "on_change"), ("paid-submit", "on_submit")):
        assert c.post("/api/resource/Webhook", json={
            "name": name, "webhook_doctype": "Sales Invoice", "webhook_docevent": event,
            "condition": 'doc.status == "Paid"', "request_url": f"{receiver.url}/{event}", "request_structure": "JSON",
            "webhook_json": body}).status_code == 200
    try:
        receiver.reset()
        inv = invoice(c)
        half = c.post("/_standin/payment_entry", json={"sales_invoice": inv["name"], "paid_amount": 40})
        assert half.json()["data"]["status"] == "Partly Paid" and half.json()["data"]["outstanding_amount"] == 60
        wait_quiet(c)
        assert receiver.paths == []
        paid = c.post("/_standin/payment_entry", json={"sales_invoice": inv["name"]}).json()["data"]
        assert paid["status"] == "Paid" and paid["outstanding_amount"] == 0
        wait_quiet(c)
        assert receiver.paths == ["/on_change"]
        assert receiver.bodies[0] == json.dumps({"name": inv["name"], "status": "Paid"}).encode()
        receiver.reset()
        c.post("/_standin/set_value", json={"doctype": "Sales Invoice", "name": inv["name"],
                                            "values": {"due_date": "2031-01-01"}})
        wait_quiet(c)
        assert receiver.paths == []  # frappe.db.set_value runs no events
        c.post("/_standin/db_set", json={"doctype": "Sales Invoice", "name": inv["name"],
                                         "values": {"due_date": "2031-01-02"}})
        wait_quiet(c)
        assert receiver.paths == ["/on_change"]  # any later db_set of a Paid invoice fires again
        receiver.reset()
        pos = invoice(c, status="Paid", outstanding_amount=0)
        wait_quiet(c)
        assert receiver.paths == ["/on_submit"] and json.loads(receiver.bodies[0])["name"] == pos["name"]
    finally:
        for name in ("paid-change", "paid-submit"):
            c.put(f"/api/resource/Webhook/{name}", json={"enabled": 0})


def test_webhook_workers_down_is_a_delay_not_a_loss(c: httpx.Client, receiver: Receiver) -> None:
    assert c.post("/api/resource/Webhook", json={
        "name": "down-hook", "webhook_doctype": "Customer", "webhook_docevent": "after_insert",
        "request_url": f"{receiver.url}/down", "request_structure": "JSON",
        "webhook_json": '{"name": {{ doc.name | tojson }}, "note": "caf\u00e9"}'}).status_code == 200
    try:
        receiver.reset()
        c.post("/_standin/workers/down")
        c.post("/api/resource/Customer", json={"customer_name": "Queued Co"})
        time.sleep(0.3)
        assert receiver.paths == [] and c.get("/_standin/webhooks/pending").json()["queued"] == 1
        c.post("/_standin/workers/up")
        wait_quiet(c)
        assert receiver.paths == ["/down"]
        assert receiver.bodies[0] == json.dumps({"name": "Queued Co", "note": "caf\u00e9"}).encode()
        assert b"\\u00e9" in receiver.bodies[0]  # non-ASCII escaped, ", " and ": " separators
    finally:
        c.put("/api/resource/Webhook/down-hook", json={"enabled": 0})


# ---- time zone -----------------------------------------------------------------------------------------
def test_site_time_zone_is_system_settings(site: ERPNextStandin, c: httpx.Client) -> None:
    ss = c.get("/api/resource/System Settings/System Settings")
    assert ss.json()["data"]["time_zone"] == "America/Chicago"
    with httpx.Client(base_url=site.url, headers=auth("ops")) as ops:
        assert ops.get("/api/resource/System Settings/System Settings").status_code == 403
    with httpx.Client(base_url=site.url, headers=auth("sm")) as sm:
        assert sm.get("/api/resource/System Settings/System Settings").status_code == 200
    try:
        c.put("/api/resource/System Settings/System Settings", json={"time_zone": "Asia/Tokyo"})
        made = c.post("/api/resource/Customer", json={"customer_name": "Tokyo Co"}).json()["data"]
        local = dt.datetime.now(ZoneInfo("Asia/Tokyo")).replace(tzinfo=None)
        assert abs((dt.datetime.fromisoformat(made["creation"]) - local).total_seconds()) < 60
    finally:
        c.put("/api/resource/System Settings/System Settings", json={"time_zone": "America/Chicago"})


def test_unset_time_zone_falls_back_to_asia_kolkata() -> None:
    s = ERPNextStandin(users=USERS[:1], seeded=False, time_zone=None).start()
    try:
        with httpx.Client(base_url=s.url, headers=ADMIN) as c:
            assert "time_zone" not in c.get("/api/resource/System Settings/System Settings").json()["data"]
            made = c.post("/api/resource/Customer", json={"customer_name": "Kolkata Co"}).json()["data"]
        local = dt.datetime.now(ZoneInfo("Asia/Kolkata")).replace(tzinfo=None)
        assert abs((dt.datetime.fromisoformat(made["modified"]) - local).total_seconds()) < 60
    finally:
        s.stop()
