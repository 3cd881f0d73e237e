"""Tests of the ERPNext stand-in over real sockets (Frappe v15 semantics)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from standin_http import ADMIN, Receiver, msgs, wait_quiet

from pwdev.erpnext import ERPNextStandin

USERS = [{"user": "Administrator", "api_key": "dev-key", "api_secret": "dev-secret"},
         {"user": "viewer@example.com", "api_key": "ro-key", "api_secret": "ro-secret", "roles": ["Accounts User"]}]
YEAR = dt.datetime.now().year


@pytest.fixture(scope="module")
def site() -> Iterator[ERPNextStandin]:
    s = ERPNextStandin(db_path=":memory:", users=USERS, seeded=True, retry_sleep_scale=0.01,
                       fixtures={"Customer": [{"customer_name": "Acme"}, {"customer_name": "Globex"}]}).start()
    yield s
    s.stop()


def new_order(c: httpx.Client, **kw: Any) -> dict[str, Any]:
    body = {"customer": "Acme", "entity_name": "Alpha LLC", "entity_type": "LLC", "state": "TX", **kw}
    r = c.post("/api/resource/Formation%20Order", json=body)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def add_webhook(c: httpx.Client, name: str, url: str, **kw: Any) -> None:
    body = {"name": name, "webhook_doctype": "Formation Order", "webhook_docevent": "on_update",
            "request_url": url, **kw}
    r = c.post("/api/resource/Webhook", json=body)
    assert r.status_code == 200, r.text


def disable_webhook(c: httpx.Client, name: str) -> None:
    assert c.put(f"/api/resource/Webhook/{name}", json={"enabled": 0}).status_code == 200


# ---- auth and envelopes ----------------------------------------------------------------------------
def test_auth_variants(site: ERPNextStandin) -> None:
    with httpx.Client(base_url=site.url) as c:
        ok = c.get("/api/method/frappe.auth.get_logged_user", headers=ADMIN)
        assert ok.status_code == 200 and ok.json() == {"message": "Administrator"}
        basic = base64.b64encode(b"dev-key:dev-secret").decode()
        assert c.get("/api/resource/Customer", headers={"Authorization": f"Basic {basic}"}).status_code == 200
        bad = c.get("/api/resource/Customer", headers={"Authorization": "token dev-key:wrong"})
        assert bad.status_code == 401 and bad.json()["exc_type"] == "AuthenticationError"
        assert "_server_messages" not in bad.json()
        assert c.get("/api/resource/Customer", headers={"Authorization": "token nobody:x"}).status_code == 401
        undecodable = c.get("/api/resource/Customer", headers={"Authorization": "Basic %%%not-base64"})
        assert undecodable.status_code == 400
        assert "Failed to decode token" in msgs(undecodable.json())[0]["message"]
        three = c.get("/api/resource/Customer", headers={"Authorization": "token a b"})
        assert three.status_code == 403 and three.json()["exc_type"] == "PermissionError"
        assert c.get("/api/resource/Customer").status_code == 403
        ro = {"Authorization": "token ro-key:ro-secret"}
        assert c.get("/api/resource/Customer", headers=ro).status_code == 200
        denied = c.post("/api/resource/Customer", headers=ro, json={"customer_name": "RO"})
        assert denied.status_code == 403 and denied.json()["exc_type"] == "PermissionError"


def test_not_found_and_routes(c: httpx.Client) -> None:
    r = c.get("/api/resource/Formation%20Order/FO-1999-0001")
    assert r.status_code == 404
    body = r.json()
    assert body["exc_type"] == "DoesNotExistError" and "exc" not in body
    assert msgs(body)[0]["message"] == "Formation Order FO-1999-0001 not found"
    assert c.get("/api/nothing/here").status_code == 404
    assert c.get("/api/v1/resource/Customer/").status_code == 200
    assert c.get("/api/resource/Customer/Acme/").json()["data"]["name"] == "Acme"
    assert b'":' in c.get("/api/resource/Customer/Acme").content  # compact JSON
    assert b'": ' not in c.get("/api/resource/Customer/Acme").content


def test_insert_read_shapes_and_naming(c: httpx.Client) -> None:
    d = new_order(c, members=[{"member_name": "Ann", "ownership_pct": "60"},
                              {"member_name": "Bob", "ownership_pct": 40}])
    assert d["name"].startswith(f"FO-{YEAR}-") and len(d["name"]) == len(f"FO-{YEAR}-0001")
    assert d["doctype"] == "Formation Order" and d["docstatus"] == 0 and d["idx"] == 0
    assert d["owner"] == d["modified_by"] == "Administrator" and d["creation"] == d["modified"]
    dt.datetime.strptime(d["modified"], "%Y-%m-%d %H:%M:%S.%f")
    assert "filing_number" not in d  # nulls omitted
    rows = d["members"]
    assert [r["idx"] for r in rows] == [1, 2] and rows[0]["ownership_pct"] == 60.0
    assert rows[0]["parent"] == d["name"] and rows[0]["parentfield"] == "members"
    assert rows[0]["parenttype"] == "Formation Order" and rows[0]["doctype"] == "Formation Member"
    n1 = int(d["name"].rsplit("-", 1)[1])
    assert new_order(c)["name"] == f"FO-{YEAR}-{n1 + 1:04d}"
    got = c.get(f"/api/resource/Formation Order/{d['name']}").json()["data"]
    assert got["members"][1]["member_name"] == "Bob"
    full = c.get("/api/method/frappe.client.get", params={"doctype": "Formation Order", "name": d["name"]})
    assert full.json()["message"]["filing_number"] is None  # frappe.client.get keeps nulls
    so = c.post("/api/resource/Sales Order", json={"customer": "Acme", "items": [
        {"item_code": "LLC", "qty": 1, "rate": 99}]}).json()["data"]
    assert so["name"] == f"SAL-ORD-{YEAR}-00001" and so["grand_total"] == 99.0
    assert c.post("/api/resource/Sensitive ID", json={"customer": "Acme", "id_type": "SSN",
                                                      "id_value": "123-45-6789"}).json()["data"]["id_value"] == "*" * 10


def test_validation_errors(c: httpx.Client) -> None:
    r = c.post("/api/resource/Formation Order", json={"customer": "Acme", "entity_name": "X", "entity_type": "GmbH",
                                                      "state": "TX"})
    assert r.status_code == 417 and r.json()["exc_type"] == "ValidationError"
    assert msgs(r.json())[0]["message"] == \
        ' Entity Type cannot be "GmbH". It should be one of "", "LLC", "Corporation", "Nonprofit"'
    m = msgs(r.json())[0]
    assert list(m) == ["message", "title", "indicator", "raise_exception", "__frappe_exc_id"]
    r = c.post("/api/resource/Formation Order", json={"customer": "Acme"})
    assert r.status_code == 417 and r.json()["exc_type"] == "MandatoryError"
    assert "Error: Value missing for Formation Order: Entity Name" in [x["message"] for x in msgs(r.json())]
    assert r.json()["exception"].endswith("entity_name, entity_type, state")
    r = c.post("/api/resource/Formation Order", json={"customer": "Nobody", "entity_name": "X",
                                                      "entity_type": "LLC", "state": "TX"})
    assert r.status_code == 417 and r.json()["exc_type"] == "LinkValidationError"
    assert msgs(r.json())[0]["message"] == "Could not find Customer: Nobody"
    r = c.post("/api/resource/Formation Order", json={"customer": "Acme", "entity_name": "X",
                                                      "entity_type": "LLC", "state": "TEX"})
    assert r.status_code == 417 and r.json()["exc_type"] == "CharacterLengthExceededError"
    r = c.post("/api/resource/Customer", json={"customer_name": "Acme"})
    assert r.status_code == 409 and r.json()["exc_type"] == "DuplicateEntryError"
    assert msgs(r.json())[0]["title"] == "Duplicate Name"
    ok = c.post("/api/resource/Sales Agent", json={"agent_name": "Al", "referral_code": "REF-AAAAA"})
    assert ok.status_code == 200
    r = c.post("/api/resource/Sales Agent", json={"agent_name": "Bo", "referral_code": "REF-AAAAA"})
    assert r.status_code == 417 and r.json()["exc_type"] == "UniqueValidationError"
    assert msgs(r.json())[0]["message"] == "Referral Code must be unique"


def test_json_field_and_coercion(c: httpx.Client) -> None:
    r = c.post("/api/resource/Compliance Service", json={"customer": "Acme", "service_type": "FLSA Audit",
                                                         "entity_name": "E", "intake_data": {"b": 1, "a": [2]},
                                                         "order_total": "150", "document_version": "3"})
    d = r.json()["data"]
    assert isinstance(d["intake_data"], str) and json.loads(d["intake_data"]) == {"a": [2], "b": 1}
    assert d["order_total"] == 150.0 and d["document_version"] == 3


# ---- list ------------------------------------------------------------------------------------------
def test_list_defaults_paging_and_shapes(site: ERPNextStandin, c: httpx.Client) -> None:
    site.insert_many("Compliance Calendar", [
        {"customer": "Acme", "event_type": "Other", "title": f"E{i}", "due_date": f"2030-01-{i % 28 + 1:02d}",
         "status": "Upcoming" if i % 2 else "Overdue", "modified": f"2030-01-01 00:00:{i:02d}.000001"}
        for i in range(45)])
    page = c.get("/api/resource/Compliance Calendar").json()["data"]
    assert len(page) == 20 and set(page[0]) == {"name"}
    allrows = c.get("/api/resource/Compliance Calendar", params={"limit_page_length": 0}).json()["data"]
    assert len(allrows) == 45
    assert len(c.get("/api/resource/Compliance Calendar", params={"limit": 0}).json()["data"]) == 45
    assert len(c.get("/api/resource/Compliance Calendar", params={"limit": 7}).json()["data"]) == 7
    p2 = c.get("/api/resource/Compliance Calendar", params={"limit_start": 40, "limit_page_length": 20,
                                                            "fields": '["name","modified"]'}).json()["data"]
    assert len(p2) == 5
    mods = [r["modified"] for r in c.get("/api/resource/Compliance Calendar", params={
        "fields": '["modified"]', "limit_page_length": 0}).json()["data"]]
    assert mods == sorted(mods, reverse=True)  # default order: modified desc
    lol = c.get("/api/resource/Compliance Calendar", params={"fields": '["name","status"]', "as_dict": "0",
                                                             "limit_page_length": 1}).json()["data"]
    assert isinstance(lol[0], list) and len(lol[0]) == 2
    star = c.get("/api/resource/Compliance Calendar", params={"fields": '["*"]', "limit_page_length": 1})
    assert "event_type" in star.json()["data"][0]
    bad = c.get("/api/resource/Compliance Calendar", params={"fields": '["nope"]'})
    assert bad.status_code == 417 and bad.json()["exc_type"] == "DataError"
    assert msgs(bad.json())[0]["message"] == "Field not permitted in query: nope"
    cnt = c.get("/api/method/frappe.client.get_count", params={"doctype": "Compliance Calendar",
                                                               "filters": '{"status": "Overdue"}'})
    assert cnt.json() == {"message": 23}
    gl = c.post("/api/method/frappe.client.get_list", json={"doctype": "Compliance Calendar",
                                                            "fields": ["title"], "order_by": "title asc",
                                                            "limit_page_length": 2})
    assert [r["title"] for r in gl.json()["message"]] == ["E0", "E1"]
    gv = c.get("/api/method/frappe.client.get_value", params={"doctype": "Customer", "fieldname": "customer_type",
                                                              "filters": "Acme"})
    assert gv.json() == {"message": {"customer_type": "Company"}}


def q(c: httpx.Client, filters: Any, doctype: str = "Compliance Calendar", **kw: Any) -> list[dict[str, Any]]:
    r = c.get(f"/api/resource/{doctype}", params={"filters": json.dumps(filters), "limit_page_length": 0,
                                                  "fields": '["name","title","due_date","status","modified"]',
                                                  **kw})
    assert r.status_code == 200, r.text
    return r.json()["data"]


def test_filter_operators(site: ERPNextStandin, c: httpx.Client) -> None:
    today = site.clock.today()
    site.insert_many("Compliance Calendar", [
        {"customer": "Globex", "event_type": "Other",
         "title": "OPS-a", "due_date": (today - dt.timedelta(days=3)).isoformat(),
         "recurrence": "Annual"},
        {"customer": "Globex", "event_type": "Other",
         "title": "OPS-b", "due_date": today.isoformat()},
        {"customer": "Globex", "event_type": "Other",
         "title": "OPS-c", "due_date": (today - dt.timedelta(days=1)).isoformat(),
         "status": "Completed"},
        {"customer": "Globex", "event_type": "Other",
         "title": "OPS-d", "due_date": (today + dt.timedelta(days=40)).isoformat()},
    ])
    base: list[Any] = [["customer", "=", "Globex"]]

    def names(extra: list[Any], **kw: Any) -> list[str]:
        return sorted(r["title"] for r in q(c, base + extra, **kw))

    assert names([["title", "=", "OPS-a"]]) == ["OPS-a"]
    assert names([["title", "!=", "OPS-a"]]) == ["OPS-b", "OPS-c", "OPS-d"]
    assert names([["due_date", ">", today.isoformat()]]) == ["OPS-d"]
    assert names([["due_date", ">=", today.isoformat()]]) == ["OPS-b", "OPS-d"]
    assert names([["due_date", "<", today.isoformat()]]) == ["OPS-a", "OPS-c"]
    assert names([["due_date", "<=", today.isoformat()]]) == ["OPS-a", "OPS-b", "OPS-c"]
    assert names([["title", "like", "%-c"]]) == ["OPS-c"]
    assert names([["title", "not like", "OPS-%"]]) == []
    assert names([["title", "in", ["OPS-a", "OPS-d"]]]) == ["OPS-a", "OPS-d"]
    assert names([["title", "in", "OPS-a,OPS-b"]]) == ["OPS-a", "OPS-b"]
    assert names([["title", "not in", ["OPS-a", "OPS-d"]]]) == ["OPS-b", "OPS-c"]
    assert names([["recurrence", "is", "set"]]) == ["OPS-a"]
    assert names([["recurrence", "is", "not set"]]) == ["OPS-b", "OPS-c", "OPS-d"]
    assert names([["recurrence", "!=", "Annual"]]) == ["OPS-b", "OPS-c", "OPS-d"]  # ifnull semantics
    assert names([["due_date", "between", [(today - dt.timedelta(days=3)).isoformat(), today.isoformat()]]]) == \
        ["OPS-a", "OPS-b", "OPS-c"]
    assert names([["due_date", "timespan", "today"]]) == ["OPS-b"]
    assert names([["due_date", "timespan", "yesterday"]]) == ["OPS-c"]
    assert names([["due_date", "timespan", "last week"]]) == ["OPS-a", "OPS-b", "OPS-c"]
    assert names([["due_date", "previous", "1 week"]]) == ["OPS-a", "OPS-b", "OPS-c"]
    assert names([["due_date", "next", "6 months"]]) == ["OPS-b", "OPS-d"]
    assert names([["Compliance Calendar", "status", "=", "Completed"]]) == ["OPS-c"]
    assert sorted(r["title"] for r in q(c, {"customer": "Globex", "status": ["!=", "Upcoming"]})) == ["OPS-c"]
    assert names([], or_filters=json.dumps([["title", "=", "OPS-a"], ["title", "=", "OPS-d"]])) == \
        ["OPS-a", "OPS-d"]
    # creation is a Datetime: a date range is widened to the whole days
    assert len(q(c, [*base, ["creation", "between", [today.isoformat(), today.isoformat()]]])) == 4
    assert len(q(c, [*base, ["creation", "timespan", "this month"]])) == 4
    bad = c.get("/api/resource/Compliance Calendar", params={"filters": '[["status", "starts with", "U"]]'})
    assert bad.status_code == 417 and "Operator must be one of" in msgs(bad.json())[0]["message"]
    # child-table filter ([doctype, field, op, value])
    o = new_order(c, members=[{"member_name": "Zed Childfilter", "ownership_pct": 100}])
    hit = c.get("/api/resource/Formation Order", params={
        "filters": json.dumps([["Formation Member", "member_name", "=", "Zed Childfilter"]])}).json()["data"]
    assert hit == [{"name": o["name"]}]


def test_large_tables_are_indexed_not_scanned(site: ERPNextStandin, c: httpx.Client) -> None:
    """A page deep into 100,000 rows, and a get by name there, cost about what they cost in a 10-row table (the
    stand-in keeps rows sorted and indexed by name). Compared in the same run, interleaved, so a busy machine slows
    both sides alike (about 1.5x here); sorting or scanning 100,000 rows per call would make it several times slower."""
    site.insert_many("Referral Partner", [{"partner_name": f"P{i:06d}",
                                           "modified": f"2031-01-01 00:00:00.{i:06d}"} for i in range(100_000)])
    site.insert_many("Sales Agent", [{"agent_name": f"A{i}", "referral_code": f"RC{i}",
                                      "modified": f"2031-01-01 00:00:00.{i:06d}"}
                                     for i in range(10)])
    fields = {"fields": '["name","modified"]', "limit_page_length": 5}
    large = {"get": "/api/resource/Referral Partner/P012345",  # named by partner_name
             "page": ("/api/resource/Referral Partner", {**fields, "limit_start": 50_000})}
    small = {"get": "/api/resource/Sales Agent/A3",  # named by agent_name
             "page": ("/api/resource/Sales Agent", {**fields, "limit_start": 5})}
    spent = {"large": 0.0, "small": 0.0}
    for _ in range(40):
        for side, calls in (("large", large), ("small", small)):
            t0 = time.perf_counter()
            assert c.get(calls["get"]).status_code == 200
            path, params = calls["page"]
            assert len(c.get(path, params=params).json()["data"]) == 5
            spent[side] += time.perf_counter() - t0
    assert spent["large"] < 4 * spent["small"], spent


# ---- update / optimistic lock / docstatus ------------------------------------------------------------
def test_timestamp_mismatch_and_race(c: httpx.Client, site: ERPNextStandin) -> None:
    d = new_order(c)
    url = f"/api/resource/Formation Order/{d['name']}"
    ok = c.put(url, json={"status": "Queued", "modified": d["modified"]})
    assert ok.status_code == 200 and ok.json()["data"]["modified"] != d["modified"]
    stale = c.put(url, json={"status": "Processing", "modified": d["modified"]})
    assert stale.status_code == 417 and stale.json()["exc_type"] == "TimestampMismatchError"
    m = msgs(stale.json())[0]["message"]
    newer = ok.json()["data"]["modified"]
    assert m.startswith(f"Error: Document has been modified after you have opened it ({newer}, ")
    assert m.endswith("). Please refresh to get the latest document.")
    assert c.put(url, json={"status": "Review"}).status_code == 200  # no modified: last writer wins
    cur = c.get(url).json()["data"]
    results: list[int] = []

    def put(status: str) -> None:
        with httpx.Client(base_url=site.url, headers=ADMIN) as cc:
            results.append(cc.put(url, json={"status": status, "modified": cur["modified"]}).status_code)

    ts = [threading.Thread(target=put, args=(s,)) for s in ("Approved", "Revision", "Failed", "Refunded")]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert sorted(results) == [200, 417, 417, 417]


def test_docstatus_transitions(c: httpx.Client) -> None:
    inv = c.post("/api/resource/Sales Invoice", json={"customer": "Acme", "items": [
        {"item_code": "X", "qty": 2, "rate": 50}]}).json()["data"]
    url = f"/api/resource/Sales Invoice/{inv['name']}"
    assert inv["name"].startswith(f"ACC-SINV-{YEAR}-") and inv["grand_total"] == 100.0
    bad = c.put(url, json={"docstatus": 2})
    assert bad.status_code == 417 and bad.json()["exc_type"] == "DocstatusTransitionError"
    sub = c.put(url, json={"docstatus": 1, "status": "Unpaid"})
    assert sub.status_code == 200 and sub.json()["data"]["docstatus"] == 1
    assert c.put(url, json={"docstatus": 0}).json()["exc_type"] == "DocstatusTransitionError"
    uas = c.put(url, json={"customer": "Globex"})
    assert uas.status_code == 417 and uas.json()["exc_type"] == "UpdateAfterSubmitError"
    paid = c.post("/_standin/payment_entry", json={"sales_invoice": inv["name"]})
    assert paid.status_code == 200 and paid.json()["data"]["status"] == "Paid"
    assert c.delete(url).status_code == 417  # submitted docs cannot be deleted
    assert c.put(url, json={"docstatus": 2}).json()["data"]["status"] == "Cancelled"
    edit = c.put(url, json={"status": "Paid"})
    assert edit.status_code == 417 and edit.json()["exception"].endswith("Cannot edit cancelled document")
    d = new_order(c)
    r = c.delete(f"/api/resource/Formation Order/{d['name']}")
    assert r.status_code == 202 and r.json() == {"data": "ok"}
    gone = c.delete(f"/api/resource/Formation Order/{d['name']}")
    assert gone.status_code == 404 and gone.json() == {"exc_type": "DoesNotExistError"}


def test_methods_comment_set_value(c: httpx.Client) -> None:
    d = new_order(c)
    r = c.post("/api/method/frappe.desk.form.utils.add_comment", json={
        "reference_doctype": "Formation Order", "reference_name": d["name"], "content": "Failed: x",
        "comment_email": "bot@example.com", "comment_by": "Pipeline"})
    assert r.status_code == 200 and r.json()["message"]["comment_type"] == "Comment"
    partial = c.post("/api/method/frappe.desk.form.utils.add_comment", json={
        "reference_doctype": "Formation Order", "reference_name": d["name"], "content": "x"})
    assert partial.status_code >= 400
    assert c.get("/api/method/frappe.desk.form.utils.add_comment").status_code == 403
    lst = c.get("/api/resource/Comment", params={"filters": json.dumps({"reference_name": d["name"]}),
                                                 "fields": '["content"]'}).json()["data"]
    assert lst == [{"content": "Failed: x"}]
    sv = c.post("/api/method/frappe.client.set_value", json={"doctype": "Formation Order", "name": d["name"],
                                                             "fieldname": "filing_number", "value": "F-1"})
    assert sv.json()["message"]["filing_number"] == "F-1"
    assert c.post("/api/method/frappe.client.set_value", json={
        "doctype": "Formation Order", "name": d["name"], "fieldname": "modified", "value": "x"}).status_code == 417
    ins = c.post("/api/method/frappe.client.insert", json={"doc": {"doctype": "Customer", "customer_name": "Initech"}})
    assert ins.json()["message"]["name"] == "Initech"


# ---- dev controls: faults and stats -------------------------------------------------------------------
def test_faults_and_stats(c: httpx.Client) -> None:
    c.post("/_standin/stats/reset")
    c.post("/_standin/faults", json={"status": 502, "count": 2, "path_prefix": "/api/resource/Customer"})
    assert c.get("/api/resource/Customer").status_code == 502
    r = c.get("/api/resource/Customer")
    assert r.status_code == 502 and r.headers["content-type"].startswith("text/html")
    assert c.get("/api/resource/Customer").status_code == 200
    c.post("/_standin/faults", json={"drop": True, "count": 1})
    with pytest.raises(httpx.TransportError):
        with httpx.Client(base_url=c.base_url, headers=ADMIN) as fresh:
            fresh.get("/api/resource/Customer")
    c.post("/_standin/faults", json={"delay_s": 0.3, "count": 1})
    t0 = time.monotonic()
    assert c.get("/api/resource/Customer").status_code == 200
    assert time.monotonic() - t0 >= 0.3
    stats = c.get("/_standin/stats").json()
    assert stats["by_route"]["GET /api/resource/Customer"] == 5 and stats["total"] == 5


# ---- webhooks ---------------------------------------------------------------------------------------
def test_webhook_condition_body_signature(c: httpx.Client, receiver: Receiver) -> None:
    receiver.reset()
    add_webhook(c, "wh-sig", receiver.url + "/hook", condition='doc.status == "Queued"', enable_security=1,
                webhook_secret="s3cret", webhook_headers=[{"key": "X-Extra", "value": "1"}],
                request_structure="JSON", webhook_json='{"name": "{{ doc.name }}", "status": "{{ doc.status }}", '
                                                       '"n": {{ doc.members | length }}}')
    try:
        d = new_order(c)
        wait_quiet(c)
        assert receiver.requests == []  # condition false
        c.put(f"/api/resource/Formation Order/{d['name']}", json={"status": "Queued"})
        wait_quiet(c)
        assert len(receiver.requests) == 1
        req = receiver.requests[0]
        assert req["body"] == json.dumps({"name": d["name"], "status": "Queued", "n": 0}).encode()
        expect = base64.b64encode(hmac.new(b"s3cret", req["body"], hashlib.sha256).digest()).decode()
        assert req["headers"]["X-Frappe-Webhook-Signature"] == expect
        assert req["headers"]["X-Extra"] == "1" and "Content-Type" not in req["headers"]
        logs = c.get("/api/resource/Webhook Request Log", params={
            "filters": json.dumps({"webhook": "wh-sig"}), "fields": '["*"]'}).json()["data"]
        assert len(logs) == 1 and logs[0]["error"] == "" and logs[0]["reference_document"] == d["name"]
        assert logs[0]["response"] == "ok"
    finally:
        disable_webhook(c, "wh-sig")


def test_webhook_default_body_is_whole_doc(c: httpx.Client, receiver: Receiver) -> None:
    receiver.reset()
    add_webhook(c, "wh-doc", receiver.url, webhook_docevent="after_insert",
                webhook_data=[{"fieldname": "name", "key": "id"}, {"fieldname": "filing_number", "key": "fn"}])
    try:
        d = new_order(c)
        wait_quiet(c)
        assert json.loads(receiver.requests[0]["body"]) == {"id": d["name"], "fn": None}
    finally:
        disable_webhook(c, "wh-doc")


def test_webhook_retries_and_timeouts(c: httpx.Client, receiver: Receiver) -> None:
    add_webhook(c, "wh-retry", receiver.url, timeout=1)
    try:
        receiver.reset([(500, 0), (503, 0), (200, 0)])
        new_order(c)
        wait_quiet(c)
        ts = [r["t"] for r in receiver.requests]
        assert len(ts) == 3
        gaps = [ts[1] - ts[0], ts[2] - ts[1]]
        assert gaps[0] >= 0.01 and gaps[1] >= 0.04  # sleeps of 1 and 4 units at a 0.01 s scale
        logs = c.get("/api/resource/Webhook Request Log", params={
            "filters": json.dumps({"webhook": "wh-retry"}), "fields": '["error","response"]',
            "limit_page_length": 0}).json()["data"]
        assert len(logs) == 3 and sum(1 for g in logs if g["error"] == "") == 1
        assert any("500" in g["error"] for g in logs)
        receiver.reset([(200, 1.3), (200, 0)])  # ReadTimeout -> immediate retry
        new_order(c)
        wait_quiet(c)
        assert len(receiver.requests) == 2
        assert receiver.requests[1]["t"] - receiver.requests[0]["t"] < 1.25 + 0.2
        receiver.reset([(500, 0)] * 3)
        new_order(c)
        wait_quiet(c)
        assert len(receiver.requests) == 3  # three attempts, then the event is gone
    finally:
        disable_webhook(c, "wh-retry")


def test_webhook_events_dedup_and_drop(c: httpx.Client, receiver: Receiver) -> None:
    for ev in ("after_insert", "on_update", "on_change", "on_trash"):
        add_webhook(c, f"ev-{ev}", f"{receiver.url}/{ev}", webhook_docevent=ev)
    add_webhook(c, "ev-on_update_after_submit", f"{receiver.url}/uas", webhook_doctype="Sales Invoice",
                webhook_docevent="on_update_after_submit")  # never fires in v15
    add_webhook(c, "ev-on_submit", f"{receiver.url}/on_submit", webhook_doctype="Sales Invoice",
                webhook_docevent="on_submit")
    add_webhook(c, "ev-inv-change", f"{receiver.url}/inv_on_change", webhook_doctype="Sales Invoice",
                webhook_docevent="on_change")
    try:
        receiver.reset()
        d = new_order(c)
        wait_quiet(c)
        assert sorted(r["path"] for r in receiver.requests) == ["/after_insert", "/on_update"]
        receiver.reset()
        c.put(f"/api/resource/Formation Order/{d['name']}", json={"status": "Queued"})
        wait_quiet(c)
        assert sorted(r["path"] for r in receiver.requests) == ["/on_change", "/on_update"]
        receiver.reset()
        c.delete(f"/api/resource/Formation Order/{d['name']}")
        wait_quiet(c)
        assert sorted(r["path"] for r in receiver.requests) == ["/on_change", "/on_trash"]
        receiver.reset()
        inv = c.post("/api/resource/Sales Invoice", json={"customer": "Acme", "items": [
            {"item_code": "X", "qty": 1, "rate": 5}]}).json()["data"]
        c.put(f"/api/resource/Sales Invoice/{inv['name']}", json={"docstatus": 1})
        c.post("/_standin/payment_entry", json={"sales_invoice": inv["name"]})
        wait_quiet(c)
        assert sorted(r["path"] for r in receiver.requests) == ["/inv_on_change", "/inv_on_change", "/on_submit"]
        # dedup: one request (the last state) per (webhook, doc) per transaction
        receiver.reset()
        c.post("/api/method/frappe.client.insert_many", json={"docs": [
            {"doctype": "Formation Order", "customer": "Acme", "entity_name": "A", "entity_type": "LLC",
             "state": "TX"}]})
        wait_quiet(c)
        assert sorted(r["path"] for r in receiver.requests) == ["/after_insert", "/on_update"]
        # pause holds deliveries; drop_next discards the next one after 3 logged attempts
        receiver.reset()
        c.post("/_standin/webhooks/pause")
        o = new_order(c)
        time.sleep(0.1)
        assert receiver.requests == [] and c.get("/_standin/webhooks/pending").json()["pending"] == 2
        c.post("/_standin/webhooks/drop_next", params={"count": 1})
        c.post("/_standin/webhooks/resume")
        wait_quiet(c)
        assert len(receiver.requests) == 1
        logs = c.get("/api/resource/Webhook Request Log", params={
            "filters": json.dumps({"reference_document": o["name"]}), "fields": '["error"]',
            "limit_page_length": 0}).json()["data"]
        assert len(logs) == 4 and sum("simulated drop" in g["error"] for g in logs) == 3
    finally:
        for name in ("ev-after_insert", "ev-on_update", "ev-on_change", "ev-on_trash", "ev-on_update_after_submit",
                     "ev-on_submit", "ev-inv-change"):
            disable_webhook(c, name)


def test_webhook_validation_and_broken_condition(c: httpx.Client) -> None:
    r = c.post("/api/resource/Webhook", json={"name": "bad-ev", "webhook_doctype": "Formation Order",
                                              "webhook_docevent": "on_submit", "request_url": "http://x/"})
    assert r.status_code == 417 and "Submittable" in msgs(r.json())[0]["message"]
    r = c.post("/api/resource/Webhook", json={"name": "bad-url", "webhook_doctype": "Formation Order",
                                              "webhook_docevent": "on_update", "request_url": "nohost"})
    assert r.status_code == 417
    r = c.post("/api/resource/Webhook", json={"name": "bad-cond", "webhook_doctype": "Formation Order",
                                              "webhook_docevent": "on_update", "request_url": "http://x/",
                                              "condition": "doc.__class__"})
    assert r.status_code == 417
    add_webhook(c, "wh-broken", "http://127.0.0.1:9/", condition="doc.entity_name and doc.entity_name.nothing()")
    try:
        r = c.post("/api/resource/Formation Order", json={"customer": "Acme", "entity_name": "A",
                                                          "entity_type": "LLC", "state": "TX"})
        assert r.status_code == 417
    finally:
        disable_webhook(c, "wh-broken")


# ---- empty site: DocType and Custom Field at run time -------------------------------------------------
def test_empty_site_runtime_doctypes(tmp_path: Any) -> None:
    db = str(tmp_path / "site.sqlite")
    s = ERPNextStandin(db_path=db, users=USERS, seeded=False).start()
    try:
        with httpx.Client(base_url=s.url, headers=ADMIN) as c:
            assert c.get("/api/resource/Formation Order").status_code == 404
            spec = json.loads((s._bootstrap.__globals__["DOCTYPES_JSON"]).read_text())
            assert c.post("/api/resource/Module Def", json={"module_name": "Performance West", "app_name": "frappe",
                                                            "custom": 1}).status_code == 200
            for role in sorted({p["role"] for d in spec["doctypes"] for p in d.get("permissions", [])}):
                assert c.post("/api/resource/Role", json={"role_name": role}).status_code == 200
            for d in spec["doctypes"]:
                r = c.post("/api/resource/DocType", json=d)
                assert r.status_code == 200, r.text
            for cf in spec["custom_fields"]:
                assert c.post("/api/resource/Custom Field", json=cf).status_code == 200
            dup = c.post("/api/resource/Custom Field", json=spec["custom_fields"][0])
            assert dup.status_code == 409
            c.post("/api/resource/Customer", json={"customer_name": "Acme"})
            d = new_order(c)
            assert d["name"] == f"FO-{YEAR}-0001"
            so = c.post("/api/resource/Sales Order", json={"customer": "Acme", "custom_order_type": "formation",
                                                           "items": [{"item_code": "A", "qty": 1, "rate": 1}]})
            assert so.json()["data"]["custom_order_type"] == "formation"
            dt_doc = c.get("/api/resource/DocType/Formation Order").json()["data"]
            assert any(f["fieldname"] == "members" for f in dt_doc["fields"])
            fields = dt_doc["fields"] + [{"fieldname": "extra_note", "fieldtype": "Data", "label": "Extra"}]
            assert c.put("/api/resource/DocType/Formation Order", json={"fields": fields}).status_code == 200
            assert c.put(f"/api/resource/Formation Order/{d['name']}",
                         json={"extra_note": "hi"}).json()["data"]["extra_note"] == "hi"
            names = c.get("/api/resource/Custom Field", params={"filters": '{"dt": "Contact"}'}).json()["data"]
            assert names == [{"name": "Contact-email_opted_out"}]
    finally:
        s.stop()
    s2 = ERPNextStandin(db_path=db, users=USERS, seeded=False).start()  # persisted across restarts
    try:
        with httpx.Client(base_url=s2.url, headers=ADMIN) as c:
            assert c.get(f"/api/resource/Formation Order/FO-{YEAR}-0001").json()["data"]["extra_note"] == "hi"
            assert new_order(c)["name"] == f"FO-{YEAR}-0002"
    finally:
        s2.stop()
