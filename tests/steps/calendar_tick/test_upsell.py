"""The Compliance upsell 30 days after a formation: once per customer, never for buyers or opted-out contacts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from calhelpers import Env

from pwcore.clients.listmonk import Listmonk, ListmonkSettings
from pwcore.orders.marketing import UpsellSettings, compliance_upsell, upsell_marker
from pwdev.listmonk_standin import ListmonkStandin

NOW = dt.datetime(2026, 6, 1, 12, 0)  # naive, ERPNext's zone


@pytest.fixture()
def lm() -> Iterator[ListmonkStandin]:
    s = ListmonkStandin(user="api", password="lm-secret-123", lists=("Compliance upsell",)).start()
    yield s
    s.stop()


def _formation(env: Env, customer: str, days_ago: int, status: str = "Delivered") -> None:
    modified = (NOW - dt.timedelta(days=days_ago)).strftime("%Y-%m-%d %H:%M:%S.%f")
    env.site.insert_many("Formation Order", [{"customer": customer, "entity_name": f"{customer} LLC",
                                              "entity_type": "LLC", "state": "TX", "status": status,
                                              "modified": modified}])


def test_upsell_once_and_only_for_the_right_customers(env: Env, lm: ListmonkStandin) -> None:
    for name, email, days, opted in [("Due", "due@example.com", 31, False), ("Young", "young@example.com", 10, False),
                                     ("Buyer", "buyer@example.com", 40, False),
                                     ("Quiet", "quiet@example.com", 35, True), ("Old", "old@example.com", 120, False)]:
        env.customer(name, email, opted_out=opted)
        _formation(env, name, days)
    env.site.insert_many("Compliance Service", [{"customer": "Buyer", "service_type": "FLSA Audit",
                                                 "entity_name": "Buyer LLC", "status": "Delivered"}])
    settings = ListmonkSettings(url=lm.url, user="api", password="lm-secret-123")  # type: ignore[arg-type]
    client = Listmonk(settings)
    down = Listmonk(ListmonkSettings(url="http://127.0.0.1:9", user="api", password="x"))  # type: ignore[arg-type]
    failed = compliance_upsell(env.erp, env.storage, down, settings, UpsellSettings(), NOW)
    assert failed["listmonk_error"] == 1 and not env.storage.exists(upsell_marker("Due"))  # retried next tick
    first = compliance_upsell(env.erp, env.storage, client, settings, UpsellSettings(), NOW)
    assert (first["subscribed"], first["has_service"], first["opted_out"]) == (1, 1, 1), first
    sub = lm.by_email("due@example.com")
    assert sub is not None and [m["name"] for m in sub["lists"]] == ["Compliance upsell"]
    for email in ("young@example.com", "buyer@example.com", "quiet@example.com", "old@example.com"):
        assert lm.by_email(email) is None, email
    # Once: the next day's tick leaves the customer alone even after someone removed them from the list.
    lm.unsubscribe("due@example.com")
    second = compliance_upsell(env.erp, env.storage, client, settings, UpsellSettings(), NOW + dt.timedelta(days=1))
    assert second.get("subscribed", 0) == 0 and second["already"] == 1
    assert compliance_upsell(env.erp, env.storage, None, settings, UpsellSettings(), NOW) == {"enabled": False}
