"""pwcore.erpnext against the ERPNext stand-in over real sockets: paging, filters, CAS, typed errors, retries."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from races import race

from pwcore.clients.erpnext import (
    AuthError,
    DuplicateEntry,
    ERPNext,
    NotFound,
    ServerError,
    TimestampMismatch,
    Unreachable,
    ValidationFailed,
)

BASE = date(2026, 1, 1)


@pytest.fixture(scope="module")
def big_site(standin_factory: Any) -> Any:
    rows = [{"customer": "Paging Co", "entity_name": f"Entity {i:04d}", "state": "TX" if i % 2 else "CA",
             "event_type": "Annual Report" if i % 3 else "Franchise Tax",
             "due_date": (BASE + timedelta(days=i % 400)).isoformat(), "status": "Upcoming",
             "reminder_sent": i % 2} for i in range(2500)]
    return standin_factory(fixtures={"Customer": [{"customer_name": "Paging Co"}], "Compliance Calendar": rows})


@pytest.fixture(scope="module")
def big(big_site: Any, make_client: Any) -> ERPNext:
    return make_client(big_site)


def test_pagination_over_2500_rows(big: ERPNext, big_site: Any) -> None:
    names = [r["name"] for r in big.list("Compliance Calendar", fields=["name"], page_length=500)]
    assert len(names) == 2500 == len(set(names))
    # Frappe's default page is 20 rows of `name` only.
    raw = httpx.get(f"{big_site.url}/api/resource/Compliance%20Calendar", headers=big._http.headers)
    assert raw.status_code == 200 and len(raw.json()["data"]) == 20 and set(raw.json()["data"][0]) == {"name"}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ([["state", "=", "TX"]], 1250),
        ([["state", "!=", "TX"]], 1250),
        ([["due_date", ">", "2026-12-31"]], sum(1 for i in range(2500) if i % 400 > 364)),
        ([["due_date", "<", "2026-01-11"]], sum(1 for i in range(2500) if i % 400 < 10)),
        ([["due_date", ">=", "2026-01-11"], ["due_date", "<=", "2026-01-20"]],
         sum(1 for i in range(2500) if 10 <= i % 400 <= 19)),
        ([["entity_name", "like", "Entity 00%"]], 100),
        ([["entity_name", "not like", "Entity 0%"]], 1500),
        ([["event_type", "in", ["Franchise Tax"]]], sum(1 for i in range(2500) if i % 3 == 0)),
        ([["event_type", "not in", ["Franchise Tax"]]], sum(1 for i in range(2500) if i % 3)),
        ([["recurrence", "is", "not set"]], 2500),
        ([["entity_name", "is", "set"]], 2500),
        ([["due_date", "between", ["2026-01-01", "2026-01-05"]]], sum(1 for i in range(2500) if i % 400 < 5)),
        ({"reminder_sent": 1, "state": "TX"}, 1250),
    ],
)
def test_filter_operators(big: ERPNext, filters: Any, expected: int) -> None:
    rows = list(big.list("Compliance Calendar", fields=["name"], filters=filters))
    assert len(rows) == expected


def test_invalid_operator_and_field_are_417(big: ERPNext) -> None:
    with pytest.raises(ValidationFailed) as err:
        big.list_page("Compliance Calendar", filters=[["state", "starts with", "T"]])
    assert err.value.status == 417 and "Operator must be one of" in err.value.message
    with pytest.raises(ValidationFailed) as err2:
        big.list_page("Compliance Calendar", fields=["name", "no_such_field"])
    assert "Field not permitted in query" in err2.value.message


def test_cas_conflict_on_stale_modified(erp: ERPNext, customer: str) -> None:
    doc = erp.insert("Formation Order", {"customer": customer, "entity_name": "CAS LLC", "entity_type": "LLC",
                                         "state": "TX"})
    first = erp.update("Formation Order", doc["name"], {"registered_agent": "A"}, modified=doc["modified"])
    with pytest.raises(TimestampMismatch) as err:
        erp.update("Formation Order", doc["name"], {"registered_agent": "B"}, modified=doc["modified"])
    assert err.value.status == 417 and "modified after you have opened it" in err.value.message
    assert erp.get("Formation Order", doc["name"])["registered_agent"] == "A"
    erp.update("Formation Order", doc["name"], {"registered_agent": "C"}, modified=first["modified"])


def test_bad_token_is_401(standin: Any) -> None:
    bad = ERPNext(standin.url, "pw-test-key", "wrong-secret", retries=1)
    with pytest.raises(AuthError) as err:
        bad.get("Customer", "x")
    assert err.value.status == 401 and err.value.exc_type == "AuthenticationError"


def test_typed_errors(erp: ERPNext, customer: str) -> None:
    with pytest.raises(NotFound) as nf:
        erp.get("Formation Order", "FO-1999-9999")
    assert nf.value.status == 404 and "not found" in nf.value.message
    with pytest.raises(ValidationFailed) as ve:
        erp.insert("Formation Order", {"customer": customer, "entity_name": "X", "entity_type": "Partnership",
                                       "state": "TX"})
    assert ve.value.status == 417 and "Partnership" in ve.value.message
    erp.insert("Sales Agent", {"agent_name": "Dup Agent", "referral_code": "REF-DUP01"})
    with pytest.raises(DuplicateEntry) as de:
        erp.insert("Sales Agent", {"agent_name": "Dup Agent", "referral_code": "REF-DUP02"})
    assert de.value.status == 409


CUSTOMER_PATH = "/api/resource/Customer"


def test_retries_on_502_503_and_dropped_connection(standin: Any, erp: ERPNext, customer: str) -> None:
    httpx.post(f"{standin.url}/_standin/faults", json={"status": 502, "count": 1, "path_prefix": CUSTOMER_PATH})
    httpx.post(f"{standin.url}/_standin/faults", json={"status": 503, "count": 1, "path_prefix": CUSTOMER_PATH})
    assert erp.get("Customer", customer)["name"] == customer
    httpx.post(f"{standin.url}/_standin/faults", json={"drop": True, "count": 1, "path_prefix": CUSTOMER_PATH})
    assert erp.get("Customer", customer)["name"] == customer


def test_gives_up_after_bounded_retries(standin: Any, make_client: Any) -> None:
    client = make_client(standin, retries=3)
    httpx.post(f"{standin.url}/_standin/faults", json={"status": 502, "count": 3, "path_prefix": CUSTOMER_PATH})
    with pytest.raises(ServerError):
        client.get("Customer", "anything")
    closed = ERPNext("http://127.0.0.1:9", "k", "s", retries=2, timeout_s=1)
    with pytest.raises(Unreachable):
        closed.get("Customer", "x")


def test_no_retry_on_4xx(standin: Any, erp: ERPNext) -> None:
    calls: list[str] = []
    erp._http.event_hooks["request"].append(lambda req: calls.append(str(req.url)))
    try:
        with pytest.raises(NotFound):
            erp.get("Customer", "nobody-at-all")
    finally:
        erp._http.event_hooks["request"].clear()
    assert len(calls) == 1


def test_concurrent_cas_one_winner(erp: ERPNext, customer: str) -> None:
    doc = erp.insert("Formation Order", {"customer": customer, "entity_name": "Race LLC", "entity_type": "LLC",
                                         "state": "TX"})

    def writer(i: int) -> str:
        try:
            erp.update("Formation Order", doc["name"], {"registered_agent": f"agent {i}"}, modified=doc["modified"])
            return "won"
        except TimestampMismatch:
            return "lost"

    outcomes = race(8, writer)
    assert sorted(outcomes) == ["lost"] * 7 + ["won"]
