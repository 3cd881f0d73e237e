"""Sample render contexts for the formation clause documents, following templates/clauses/VOCABULARY.md.

Reusable by the integration: `SAMPLES[name]` is a plain dict ready for docxtpl; `llc_context(...)` builds
one for any state and variant. State facts come from pwcore/data/states.toml, never typed here.
"""

from __future__ import annotations

import copy
from typing import Any

from pwcore.facts.states import facts_for

_STATE_ADJ = {"DC": "District of Columbia"}


def person(name: str, capacity: str = "Member") -> dict[str, Any]:
    return {"name": name, "is_entity": False, "capacity": capacity}


def entity(name: str, by_name: str, by_title: str, capacity: str = "Member") -> dict[str, Any]:
    return {"name": name, "is_entity": True, "by_name": by_name, "by_title": by_title, "capacity": capacity}


def member(name: str, address: str, pct: str, capital: str, signer: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "address": address,
        "ownership_pct": pct,
        "capital": capital,
        "signer": signer,
    }


def llc_context(
    *,
    state: str,
    entity_name: str,
    members: list[dict[str, Any]],
    total_capital: str,
    manager_managed: bool = False,
    managers: list[dict[str, Any]] | None = None,
    s_corp_election: bool = False,
    successor: str | None = None,
    spousal_consents: list[dict[str, Any]] | None = None,
    registered_agent_service: bool = True,
    organizer: dict[str, Any] | None = None,
    agent_address: str = "",
    principal_office: str = "",
) -> dict[str, Any]:
    facts = facts_for(state, "llc").context()
    single = len(members) == 1
    ctx: dict[str, Any] = {
        "order_name": "FO-2026-00042",
        "customer_name": members[0]["name"],
        "effective_date": "November 25, 2026",
        "entity_name": entity_name,
        "entity_kind": "llc",
        "is_llc": True,
        "is_corporation": False,
        "is_nonprofit": False,
        "entity_designation": f"a {_STATE_ADJ.get(facts['code'], facts['name'])} limited liability company",
        "state": facts,
        "purpose": "The Company is formed to operate a specialty coffee roasting and wholesale business.",
        "principal_office": principal_office or members[0]["address"],
        "fiscal_year_end": "December 31",
        "term": "perpetual",
        "registered_agent": {
            "name": "Performance West Registered Agents LLC" if registered_agent_service else members[0]["name"],
            "address": agent_address or members[0]["address"],
            "county": "",
            "is_service": registered_agent_service,
        },
        "addons": {"ein": True, "operating_agreement": True, "registered_agent": registered_agent_service},
        "single_member": single,
        "member_managed": not manager_managed,
        "manager_managed": manager_managed,
        "member_count": len(members),
        "tax_partnership": not single,
        "total_ownership_pct": "100%",
        "total_capital": total_capital,
        "members": members,
        "managers": managers or [],
        "officers": [],
        "s_corp_election": s_corp_election,
        "spousal_consents": spousal_consents or [],
        "has_individual_members": any(not m["signer"]["is_entity"] for m in members),
        # The organizer signs the filing; a third-party organizer (Performance West) hands over by statement.
        "organizer": organizer
        or {
            "name": "Performance West Inc.",
            "address": "1 Market Street, San Francisco, California 94105",
            "is_entity": True,
            "by_name": "Alex Rivera",
            "by_title": "Authorized Signatory",
            "capacity": facts["signer_title"],
        },
    }
    ctx["organizer_statement"] = ctx["organizer"]["name"] not in {m["name"] for m in members}
    if not single:
        ctx["partnership_representative"] = members[0]["signer"]
    if successor:
        ctx["successor"] = successor
    return ctx


SINGLE_TX = llc_context(
    state="TX",
    entity_name="Juniper Ridge Coffee Roasters LLC",
    members=[
        member(
            "Dana Whitfield",
            "88 Live Oak Lane, Austin, Texas 78704",
            "100%",
            "$10,000.00",
            person("Dana Whitfield", "Sole Member"),
        )
    ],
    total_capital="$10,000.00",
    successor="Morgan Whitfield",
    agent_address="1601 Congress Avenue, Suite 300, Austin, Texas 78701",
)

MULTI_CO = llc_context(
    state="Colorado",
    entity_name="Harbor Lane Ventures LLC",
    members=[
        member("Avery Chen", "12 Pearl Street, Boulder, Colorado 80302", "60%", "$30,000.00", person("Avery Chen")),
        member(
            "Summit Peak Holdings, Inc.",
            "400 17th Street, Denver, Colorado 80202",
            "40%",
            "$20,000.00",
            entity("Summit Peak Holdings, Inc.", "Jordan Reyes", "President"),
        ),
    ],
    total_capital="$50,000.00",
    agent_address="1700 Lincoln Street, Suite 2000, Denver, Colorado 80203",
)

MANAGER_CA = llc_context(
    state="CA",
    entity_name="Pacific Crest Studios LLC",
    members=[
        member(
            "Riley Santos",
            "210 Ocean Avenue, Santa Cruz, California 95060",
            "50%",
            "$25,000.00",
            person("Riley Santos"),
        ),
        member(
            "Blue Fern Capital LLC",
            "77 Market Street, San Francisco, California 94105",
            "50%",
            "$25,000.00",
            entity("Blue Fern Capital LLC", "Casey Morgan", "Managing Member"),
        ),
    ],
    total_capital="$50,000.00",
    manager_managed=True,
    managers=[
        {
            "name": "Taylor Brooks",
            "address": "5 Harbor Drive, Monterey, California 93940",
            "signer": person("Taylor Brooks", "Manager"),
        }
    ],
    agent_address="500 Capitol Mall, Suite 2350, Sacramento, California 95814",
    spousal_consents=[{"member_name": "Riley Santos", "signer": person("Jamie Santos", "Spouse of Riley Santos")}],
)

SINGLE_MANAGER_DE = llc_context(
    state="Delaware",
    entity_name="Brightwater Holdings LLC",
    members=[
        member(
            "Northgate Partners, LLC",
            "1 Rodney Square, Wilmington, Delaware 19801",
            "100%",
            "$1,000.00",
            entity("Northgate Partners, LLC", "Sam Ortiz", "Manager", "Sole Member"),
        )
    ],
    total_capital="$1,000.00",
    manager_managed=True,
    managers=[
        {
            "name": "Sam Ortiz",
            "address": "1 Rodney Square, Wilmington, Delaware 19801",
            "signer": person("Sam Ortiz", "Manager"),
        }
    ],
    s_corp_election=False,
    registered_agent_service=False,
    organizer={
        "name": "Sam Ortiz",
        "address": "1 Rodney Square, Wilmington, Delaware 19801",
        "is_entity": False,
        "capacity": "Authorized Person",
    },
)

MULTI_NY = llc_context(
    state="New York",
    entity_name="Hudson Line Analytics LLC",
    members=[
        member("Priya Raman", "40 Wall Street, New York, New York 10005", "50%", "$5,000.00", person("Priya Raman")),
        member("Marcus Bell", "12 State Street, Albany, New York 12207", "50%", "$5,000.00", person("Marcus Bell")),
    ],
    total_capital="$10,000.00",
    agent_address="80 State Street, Albany, New York 12207",
    principal_office="40 Wall Street, New York, New York 10005",
)
MULTI_NY["principal_office_county"] = "New York County"

SAMPLES: dict[str, dict[str, Any]] = {
    "single-member-tx": SINGLE_TX,
    "multi-member-co": MULTI_CO,
    "manager-managed-ca": MANAGER_CA,
    "single-member-manager-de": SINGLE_MANAGER_DE,
    "multi-member-ny": MULTI_NY,
}


def sample(name: str) -> dict[str, Any]:
    """A deep copy, so a test can change a value without touching the others."""
    return copy.deepcopy(SAMPLES[name])
