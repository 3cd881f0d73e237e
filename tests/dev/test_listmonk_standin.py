"""The Listmonk stand-in against Listmonk's documented REST API, over real sockets with plain httpx.

References in the comments: "docs APIs" = Listmonk docs, APIs page (auth, response structure, error codes);
"docs Subscribers" / "docs Lists" = the API / Subscribers and API / Lists pages; "auth.go", "queries.sql",
"core", "worker.go" = Listmonk's internal/auth/auth.go, queries.sql, internal/core and internal/webhooks/worker.go,
where the docs are silent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from pwdev.listmonk_standin import ListmonkStandin

USER, TOKEN = "api_user", "s3cret-token"


@pytest.fixture
def lm() -> Iterator[ListmonkStandin]:
    standin = ListmonkStandin(user=USER, password=TOKEN).start()
    yield standin
    standin.stop()


@pytest.fixture
def api(lm: ListmonkStandin) -> Iterator[httpx.Client]:
    # docs APIs: "Authorization token example: -H 'Authorization: token api_user:token'"
    with httpx.Client(base_url=lm.url, headers={"Authorization": f"token {USER}:{TOKEN}"}, timeout=10) as client:
        yield client


def create(api: httpx.Client, email: str, **fields: Any) -> dict[str, Any]:
    body = {"email": email, "name": fields.pop("name", "Test Person"), "status": "enabled", **fields}
    r = api.post("/api/subscribers", json=body)
    assert r.status_code == 200, r.text
    return dict(r.json()["data"])


def memberships(sub: dict[str, Any]) -> dict[str, str]:
    return {m["name"]: m["subscription_status"] for m in sub["lists"]}


# --- auth ------------------------------------------------------------------------------------------------

def test_token_and_basic_auth_both_accepted(lm: ListmonkStandin) -> None:
    # docs APIs / Auth: "HTTP API requests support BasicAuth and a Authorization `token` headers."
    token = httpx.get(f"{lm.url}/api/lists", headers={"Authorization": f"token {USER}:{TOKEN}"}, timeout=10)
    basic = httpx.get(f"{lm.url}/api/lists", auth=(USER, TOKEN), timeout=10)
    assert token.status_code == basic.status_code == 200
    assert token.json() == basic.json()
    assert [row["name"] for row in token.json()["data"]["results"]] == ["Formation follow-up", "Compliance upsell"]


@pytest.mark.parametrize("header", [
    f"token {USER}:wrong", f"token someone:{TOKEN}",
    "Basic " + base64.b64encode(f"{USER}:wrong".encode()).decode(),
])
def test_v4_refuses_wrong_credentials_with_403(lm: ListmonkStandin, header: str) -> None:
    # auth.go Middleware: GetAPIToken fails -> StatusForbidden "invalid API credentials"; docs APIs error codes:
    # 403 "Session expired or invalidate". The body is the documented failure shape {"message": ...}.
    r = httpx.get(f"{lm.url}/api/subscribers", headers={"Authorization": header}, timeout=10)
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == {"message": "invalid API credentials"}


@pytest.mark.parametrize("header", [None, "Bearer abc", f"token {USER}", f"token {USER}:", "Basic !!notbase64"])
def test_v4_refuses_missing_or_malformed_auth_with_403(lm: ListmonkStandin, header: str | None) -> None:
    # auth.go: no header and no session -> 403 "invalid session"; parseAuthHeader errors are also set as a 403.
    headers = {"Authorization": header} if header else {}
    r = httpx.get(f"{lm.url}/api/lists", headers=headers, timeout=10)
    assert r.status_code == 403
    assert isinstance(r.json()["message"], str) and r.json()["message"]


def test_v3_is_basic_auth_only_and_answers_401() -> None:
    # Before v4 the API sat behind echo's BasicAuth middleware: "For missing or invalid credentials, it sends
    # 401 - Unauthorized" with the default realm "Restricted".
    with ListmonkStandin(user=USER, password=TOKEN, api_version=3) as old:
        assert httpx.get(f"{old.url}/api/lists", auth=(USER, TOKEN), timeout=10).status_code == 200
        for headers in ({}, {"Authorization": f"token {USER}:{TOKEN}"}):
            r = httpx.get(f"{old.url}/api/lists", headers=headers, timeout=10)
            assert r.status_code == 401 and "realm" in r.headers["www-authenticate"].lower()
        assert httpx.get(f"{old.url}/api/lists", auth=(USER, "nope"), timeout=10).status_code == 401


def test_unknown_route_and_wrong_method(api: httpx.Client) -> None:
    # docs APIs error codes: 404 "Request resource was not found", 405 "Request method ... is not allowed".
    assert api.get("/api/nothing-here").status_code == 404
    r = api.delete("/api/lists")
    assert r.status_code == 405 and "message" in r.json()


# --- lists -----------------------------------------------------------------------------------------------

def test_lists_query_create_and_get(api: httpx.Client) -> None:
    # docs Lists: GET /api/lists -> {"data": {"results": [...], "total", "per_page", "page"}}; `query` is a
    # list name search (queries.sql query-lists: name ILIKE).
    data = api.get("/api/lists").json()["data"]
    assert (data["total"], data["per_page"], data["page"]) == (2, 20, 1)
    assert {"id", "uuid", "name", "type", "optin", "tags", "subscriber_count"} <= set(data["results"][0])
    found = api.get("/api/lists", params={"query": "UPSELL", "per_page": "all"}).json()["data"]
    assert [r["name"] for r in found["results"]] == ["Compliance upsell"] and found["total"] == 1
    # docs Lists: POST /api/lists {"name", "type", "optin", "tags"} -> the new list.
    r = api.post("/api/lists", json={"name": "Annual report reminders", "type": "private", "optin": "single",
                                     "tags": ["compliance"]})
    assert r.status_code == 200
    created = r.json()["data"]
    assert (created["name"], created["type"], created["optin"], created["tags"]) == (
        "Annual report reminders", "private", "single", ["compliance"])
    # docs Lists: GET /api/lists/{list_id}.
    got = api.get(f"/api/lists/{created['id']}").json()["data"]
    assert got["id"] == created["id"] and got["subscriber_count"] == 0
    assert api.get("/api/lists", params={"per_page": "all"}).json()["data"]["total"] == 3
    # cmd/lists.go: a list name of zero length is a 400 "Invalid name"; core: an unknown list a 400 "not found".
    assert api.post("/api/lists", json={"name": "", "type": "private", "optin": "single"}).status_code == 400
    missing = api.get("/api/lists/999")
    assert missing.status_code == 400 and "not found" in missing.json()["message"]


# --- subscribers -----------------------------------------------------------------------------------------

def test_create_subscriber_with_attribs_and_preconfirmed_lists(api: httpx.Client) -> None:
    # docs Subscribers POST: email, name, status, lists, attribs (JSON), preconfirm_subscriptions.
    attribs = {"city": "Bengaluru", "projects": 3, "stack": {"languages": ["go", "python"]}}
    sub = create(api, "Subscriber@Domain.com", name="The Subscriber", lists=[1], attribs=attribs,
                 preconfirm_subscriptions=True)
    # Listmonk lowercases the address (subimporter SanitizeEmail) and keeps attribs as given.
    assert sub["email"] == "subscriber@domain.com" and sub["attribs"] == attribs
    assert memberships(sub) == {"Formation follow-up": "confirmed"}
    assert {"id", "uuid", "created_at", "updated_at", "status"} <= set(sub)
    # Without preconfirm_subscriptions the membership is unconfirmed (core InsertSubscriber).
    other = create(api, "second@domain.com", lists=[2])
    assert memberships(other) == {"Compliance upsell": "unconfirmed"}
    # docs Subscribers GET /api/subscribers/{id}.
    assert api.get(f"/api/subscribers/{sub['id']}").json()["data"] == sub


def test_duplicate_email_is_409(api: httpx.Client) -> None:
    # core InsertSubscriber: the unique e-mail constraint -> StatusConflict with "E-mail already exists".
    create(api, "dup@example.com")
    r = api.post("/api/subscribers", json={"email": "DUP@example.com", "name": "Again", "status": "enabled"})
    assert r.status_code == 409
    assert r.json()["message"].startswith("E-mail already exists")


def test_create_validation(api: httpx.Client) -> None:
    # subimporter ValidateFields: a malformed address is a 400 "Invalid email"; an empty name becomes the
    # address's local part ("john.doe" -> "John Doe").
    for bad in ("not-an-address", "Name <x@example.com>", ""):
        r = api.post("/api/subscribers", json={"email": bad, "name": "X", "status": "enabled"})
        assert r.status_code == 400 and "message" in r.json(), bad
    assert create(api, "john.doe@example.com", name="")["name"] == "John Doe"
    r = api.post("/api/subscribers", json={"email": "s@example.com", "name": "S", "status": "bogus"})
    assert r.status_code == 400


def test_query_sql_expressions(api: httpx.Client) -> None:
    create(api, "a@example.com", name="Test Alpha", attribs={"city": "Bengaluru", "n": 3})
    create(api, "b@example.com", name="Test Beta", attribs={"city": "Paris"})
    create(api, "o'hara@example.com", name="Other", status="blocklisted")

    def emails(query: str, **params: Any) -> list[str]:
        r = api.get("/api/subscribers", params={"query": query, "per_page": "all", **params})
        assert r.status_code == 200, r.text
        return sorted(s["email"] for s in r.json()["data"]["results"])

    # docs Subscribers example: query=subscribers.name LIKE 'Test%' AND subscribers.attribs->>'city' = 'Bengaluru'
    assert emails("subscribers.name LIKE 'Test%' AND subscribers.attribs->>'city' = 'Bengaluru'") == [
        "a@example.com"]
    assert emails("subscribers.email = 'b@example.com'") == ["b@example.com"]
    assert emails("subscribers.email = 'B@example.com'") == []  # SQL '=' is case-sensitive
    assert emails("subscribers.email ILIKE '%@EXAMPLE.com' AND NOT subscribers.status = 'blocklisted'") == [
        "a@example.com", "b@example.com"]
    assert emails("subscribers.email = 'o''hara@example.com'") == ["o'hara@example.com"]  # '' quotes a quote
    assert emails("subscribers.status = 'blocklisted' OR (subscribers.attribs->>'n' = '3')") == [
        "a@example.com", "o'hara@example.com"]
    assert emails("subscribers.attribs->>'city' IN ('Paris', 'Rome')") == ["b@example.com"]
    assert emails("subscribers.attribs->>'city' IS NULL") == ["o'hara@example.com"]
    # The documented response carries the query back.
    data = api.get("/api/subscribers", params={"query": "subscribers.email = 'a@example.com'"}).json()["data"]
    assert data["query"] == "subscribers.email = 'a@example.com'" and data["total"] == 1
    # core QuerySubscribers: an expression Postgres rejects is a 400 "Error preparing subscriber query".
    for broken in ("subscribers.nope = 'x'", "subscribers.email = ", "email = 'a' AND"):
        r = api.get("/api/subscribers", params={"query": broken})
        assert r.status_code == 400 and r.json()["message"], broken


def test_pagination_fields_and_limits(api: httpx.Client) -> None:
    for i in range(55):
        create(api, f"p{i:02d}@example.com")
    # docs Subscribers example response: "total", "per_page": 20, "page": 1 (paginator default 20, max 50).
    data = api.get("/api/subscribers").json()["data"]
    assert (data["total"], data["per_page"], data["page"], len(data["results"])) == (55, 20, 1, 20)
    # core QuerySubscribers: default order is subscribers.id DESC.
    assert data["results"][0]["email"] == "p54@example.com"
    capped = api.get("/api/subscribers", params={"per_page": 100}).json()["data"]
    assert capped["per_page"] == 50 and len(capped["results"]) == 50
    last = api.get("/api/subscribers", params={"per_page": 20, "page": 3, "order_by": "email",
                                               "order": "asc"}).json()["data"]
    assert last["page"] == 3 and [s["email"] for s in last["results"]][:2] == ["p40@example.com", "p41@example.com"]
    assert len(last["results"]) == 15
    # docs: "per_page ... Set as 'all' for all results" (the paginator reports per_page 0 then).
    every = api.get("/api/subscribers", params={"per_page": "all"}).json()["data"]
    assert len(every["results"]) == every["total"] == 55 and every["per_page"] == 0
    assert api.get("/api/subscribers", params={"page": 9}).json()["data"]["results"] == []


def test_list_filter_and_subscription_status(api: httpx.Client) -> None:
    # docs Subscribers GET: list_id (repeatable) and subscription_status filter by membership.
    a = create(api, "in1@example.com", lists=[1], preconfirm_subscriptions=True)
    create(api, "in2@example.com", lists=[2])
    create(api, "none@example.com")

    def ids(**params: Any) -> set[int]:
        return {s["id"] for s in api.get("/api/subscribers", params=params).json()["data"]["results"]}

    assert len(ids(list_id=[1, 2])) == 2
    assert ids(list_id=1, subscription_status="confirmed") == {a["id"]}
    assert ids(list_id=2, subscription_status="confirmed") == set()


def test_update_replaces_fields_and_lists(api: httpx.Client) -> None:
    sub = create(api, "upd@example.com", lists=[1], attribs={"a": 1}, preconfirm_subscriptions=True)
    # docs Subscribers PUT: "All parameters must be set, if not, the subscriber will be removed from all
    # previously assigned lists." queries.sql update-subscriber keeps an existing membership's status.
    r = api.put(f"/api/subscribers/{sub['id']}", json={
        "email": "upd@example.com", "name": "Renamed", "status": "enabled", "lists": [1, 2], "attribs": {"b": 2}})
    assert r.status_code == 200
    got = r.json()["data"]
    assert (got["name"], got["attribs"]) == ("Renamed", {"b": 2})
    assert memberships(got) == {"Formation follow-up": "confirmed", "Compliance upsell": "unconfirmed"}
    r = api.put(f"/api/subscribers/{sub['id']}", json={"email": "upd@example.com", "name": "Renamed",
                                                       "status": "enabled"})
    assert memberships(r.json()["data"]) == {}
    # A second subscriber cannot take the address.
    other = create(api, "taken@example.com")
    clash = api.put(f"/api/subscribers/{other['id']}", json={"email": "upd@example.com", "name": "X",
                                                             "status": "enabled"})
    assert clash.status_code == 409


def test_delete_subscriber(api: httpx.Client) -> None:
    sub = create(api, "gone@example.com")
    # docs Subscribers DELETE /api/subscribers/{id} -> {"data": true}.
    r = api.delete(f"/api/subscribers/{sub['id']}")
    assert r.status_code == 200 and r.json() == {"data": True}
    # core GetSubscriber: no row -> StatusBadRequest "... not found".
    missing = api.get(f"/api/subscribers/{sub['id']}")
    assert missing.status_code == 400 and "not found" in missing.json()["message"]
    assert api.get("/api/subscribers", params={"query": "subscribers.email = 'gone@example.com'"}).json()[
        "data"]["total"] == 0
    assert api.get("/api/subscribers/abc").status_code == 400  # "Invalid ID"


def test_list_membership_actions(api: httpx.Client, lm: ListmonkStandin) -> None:
    sub = create(api, "member@example.com")

    def put(**body: Any) -> httpx.Response:
        return api.put("/api/subscribers/lists", json={"ids": [sub["id"]], "target_list_ids": [1], **body})

    # docs Subscribers PUT /api/subscribers/lists: ids, action add|remove|unsubscribe, target_list_ids, status.
    r = put(action="add", status="confirmed")
    assert r.status_code == 200 and r.json() == {"data": True}
    assert memberships(lm.by_email("member@example.com") or {}) == {"Formation follow-up": "confirmed"}
    assert put(action="unsubscribe").status_code == 200
    assert memberships(lm.by_email("member@example.com") or {}) == {"Formation follow-up": "unsubscribed"}
    # queries.sql add-subscribers-to-lists: ON CONFLICT ... SET status = $3, so Listmonk itself re-subscribes an
    # unsubscribed member; callers must check before adding.
    assert put(action="add", status="confirmed").status_code == 200
    assert memberships(lm.by_email("member@example.com") or {}) == {"Formation follow-up": "confirmed"}
    assert put(action="remove").status_code == 200
    assert memberships(lm.by_email("member@example.com") or {}) == {}
    # cmd/subscribers.go handleManageSubscriberLists: missing IDs / lists or an unknown action are a 400.
    assert api.put("/api/subscribers/lists", json={"ids": [], "action": "add", "target_list_ids": [1],
                                                   "status": "confirmed"}).status_code == 400
    assert put(action="add", target_list_ids=[], status="confirmed").status_code == 400
    assert put(action="subscribe").status_code == 400


def test_blocklisted_status(api: httpx.Client, lm: ListmonkStandin) -> None:
    # docs Subscribers POST: status enabled | blocklisted; queries.sql insert-subscriber: a blocklisted
    # subscriber's memberships are 'unsubscribed' even when preconfirmed.
    blocked = create(api, "blocked@example.com", status="blocklisted", lists=[1, 2], preconfirm_subscriptions=True)
    assert blocked["status"] == "blocklisted"
    assert set(memberships(blocked).values()) == {"unsubscribed"}
    # docs Subscribers PUT /api/subscribers/blocklist {"ids"}; queries.sql blocklist-subscribers unsubscribes all.
    sub = create(api, "later@example.com", lists=[1], preconfirm_subscriptions=True)
    r = api.put("/api/subscribers/blocklist", json={"ids": [sub["id"]]})
    assert r.status_code == 200 and r.json() == {"data": True}
    after = lm.by_email("later@example.com") or {}
    assert after["status"] == "blocklisted" and memberships(after) == {"Formation follow-up": "unsubscribed"}
    found = api.get("/api/subscribers", params={"query": "subscribers.status = 'blocklisted'"}).json()["data"]
    assert found["total"] == 2


# --- outgoing webhooks -----------------------------------------------------------------------------------

class Receiver:
    """A tiny HTTP endpoint on 127.0.0.1 that records what it is sent."""

    def __init__(self) -> None:
        self.seen: list[tuple[dict[str, str], bytes]] = []
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}/hook"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def _app(self, environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        request = Request(environ)
        self.seen.append(({k.lower(): v for k, v in request.headers.items()}, request.get_data()))
        return Response("ok")(environ, start_response)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()


def test_unsubscribe_sends_listmonks_signed_webhook(lm: ListmonkStandin, api: httpx.Client,
                                                    receiver: Receiver) -> None:
    create(api, "leaving@example.com", lists=[1, 2], preconfirm_subscriptions=True)
    lm.webhook_url, lm.webhook_token = receiver.url, "hook-secret"
    lm.unsubscribe("Leaving@Example.com")
    assert set(memberships(lm.by_email("leaving@example.com") or {}).values()) == {"unsubscribed"}
    ((headers, body),) = receiver.seen
    # models/webhooks.go: {"event", "timestamp", "data"}; worker.go: X-Listmonk-Event, and with an HMAC secret
    # X-Listmonk-Signature = "sha256=" + hex(HMAC-SHA256(secret, "<X-Listmonk-Timestamp>.<body>")).
    payload = json.loads(body)
    assert payload["event"] == "subscriber.unsubscribed" and headers["x-listmonk-event"] == "subscriber.unsubscribed"
    assert payload["data"]["subscriber"]["email"] == "leaving@example.com"
    assert sorted(payload["data"]["list_ids"]) == [1, 2] and payload["timestamp"].endswith("Z")
    stamp = headers["x-listmonk-timestamp"]
    wanted = hmac.new(b"hook-secret", f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert headers["x-listmonk-signature"] == f"sha256={wanted}"
    assert "authorization" not in headers


def test_webhook_with_basic_auth_or_none(lm: ListmonkStandin, api: httpx.Client, receiver: Receiver) -> None:
    create(api, "b@example.com", lists=[1])
    create(api, "n@example.com", lists=[1])
    lm.webhook_url, lm.webhook_token, lm.webhook_auth = receiver.url, "basic-pass", "basic"
    lm.unsubscribe("b@example.com")
    lm.webhook_auth = "none"
    lm.unsubscribe("n@example.com")
    (basic_headers, _), (none_headers, _) = receiver.seen
    assert basic_headers["authorization"] == "Basic " + base64.b64encode(b"listmonk:basic-pass").decode()
    assert "authorization" not in none_headers and "x-listmonk-signature" not in none_headers
    with pytest.raises(KeyError):
        lm.unsubscribe("nobody@example.com")
