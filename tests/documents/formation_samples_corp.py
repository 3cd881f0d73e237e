"""Sample render contexts for the corporation, nonprofit and EIN clause documents (tests and reviewers).

Shaped like the vocabulary (templates/clauses/VOCABULARY.md plus VOCABULARY-corp.md): every value is
pre-formatted as it must print. The `state` object comes from the real state data files, so a sample
renders with the facts a customer in that state would get.
"""

from __future__ import annotations

import copy
from typing import Any

from pwcore.facts.states_corp import directors_in_articles as directors_required
from pwcore.facts.states_corp import state_context

# Fictitious SSN from the range the SSA reserved for advertising (987-65-4320..4329); proves where it may appear.
SAMPLE_SSN = "987-65-4321"
SAMPLE_SSN_MASKED = "***-**-4321"


def _person(name: str, capacity: str, address: str = "") -> dict[str, Any]:
    signer = {"name": name, "is_entity": False, "by_name": "", "by_title": "", "capacity": capacity}
    return signer | ({"address": address} if address else {})


def _registered_agent(service: bool) -> dict[str, Any]:
    if service:
        return {
            "name": "Performance West Registered Agents Inc.",
            "address": "1209 Orange Street, Wilmington, Delaware 19801",
            "county": "",
            "is_service": True,
        }
    return {
        "name": "Dana Whitfield",
        "address": "48 Larkspur Lane, Denver, Colorado 80205",
        "county": "",
        "is_service": False,
    }


def corporation(state: str = "DE", *, s_corp: bool = True, directors_in_articles: bool = True) -> dict[str, Any]:
    """A three-director, two-shareholder corporation. `directors_in_articles=False`: the order does not name
    the directors in the articles (the state may still require them, as Texas does)."""
    directors = [
        {"name": "Avery Lindqvist", "address": "12 Alder Court, Boulder, Colorado 80302"},
        {"name": "Marcus Oyelaran", "address": "903 Pine Street, Denver, Colorado 80203"},
        {"name": "Priya Natarajan", "address": "77 Birch Way, Golden, Colorado 80401"},
    ]
    for d in directors:
        d["signer"] = _person(d["name"], "Director")
    st = state_context(state, "corporation")
    shareholders = [
        {
            "name": "Avery Lindqvist",
            "address": "12 Alder Court, Boulder, Colorado 80302",
            "shares": "6,000,000",
            "consideration": "$600.00",
            "certificate_no": "CS-1",
            "signer": _person("Avery Lindqvist", st["Holder"]),
        },
        {
            "name": "Marcus Oyelaran",
            "address": "903 Pine Street, Denver, Colorado 80203",
            "shares": "4,000,000",
            "consideration": "$400.00",
            "certificate_no": "CS-2",
            "signer": _person("Marcus Oyelaran", st["Holder"]),
        },
    ]
    return {
        "order_name": "FORM-2026-00412",
        "effective_date": "November 25, 2026",
        "customer_name": "Avery Lindqvist",
        "entity_name": "Copperline Analytics, Inc.",
        "entity_kind": "corporation",
        "is_llc": False,
        "is_corporation": True,
        "is_nonprofit": False,
        "entity_designation": f"a {st['name']} corporation",
        "state": st,
        "purpose": "The Corporation intends initially to develop and license data analytics software.",
        "principal_office": "1550 Wynkoop Street, Suite 400, Denver, Colorado 80202",
        "fiscal_year_end": "December 31",
        "term": "perpetual",
        "registered_agent": _registered_agent(True),
        "addons": {"ein": True, "operating_agreement": False, "registered_agent": True},
        "authorized_shares": "20,000,000",
        "par_value": "$0.0001",
        "has_par_value": True,
        "share_class": "Common Stock",
        "board_size": "three (3)",
        "directors_in_articles": directors_required(state, directors_in_articles),
        "incorporator": _person("Dana Whitfield", st["signer_title"], "48 Larkspur Lane, Denver, Colorado 80205"),
        "articles_effective": "upon filing",
        "secretary": _person("Marcus Oyelaran", "Secretary"),
        "s_corp_election": s_corp,
        "directors": directors,
        "officers": [
            {"title": "President and Chief Executive Officer", "name": "Avery Lindqvist"},
            {"title": "Secretary", "name": "Marcus Oyelaran"},
            {"title": "Treasurer and Chief Financial Officer", "name": "Priya Natarajan"},
        ],
        "members": shareholders,
        "member_count": len(shareholders),
        "total_issued_shares": "10,000,000",
        "unissued_shares": "10,000,000",
        "total_consideration": "$1,000.00",
    }


def nonprofit(state: str = "CO", *, has_members: bool = False) -> dict[str, Any]:
    st = state_context(state, "nonprofit")
    directors = [
        {"name": "Helen Marquez", "address": "410 Elm Street, Fort Collins, Colorado 80521"},
        {"name": "Jonah Whitaker", "address": "88 Aspen Road, Loveland, Colorado 80537"},
        {"name": "Grace Okafor", "address": "2150 Spruce Avenue, Greeley, Colorado 80631"},
    ]
    for d in directors:
        d["signer"] = _person(d["name"], "Director")
    return {
        "order_name": "FORM-2026-00431",
        "effective_date": "November 25, 2026",
        "customer_name": "Helen Marquez",
        "entity_name": "Front Range Literacy Project",
        "entity_kind": "nonprofit",
        "is_llc": False,
        "is_corporation": False,
        "is_nonprofit": True,
        "entity_designation": f"a {st['name']} nonprofit corporation",
        "state": st,
        "purpose": "The Corporation is formed to promote adult and family literacy.",
        "exempt_purpose": (
            "to promote adult and family literacy in northern Colorado by providing free reading instruction, "
            "tutor training and lending libraries"
        ),
        "principal_office": "300 Remington Street, Fort Collins, Colorado 80524",
        "fiscal_year_end": "June 30",
        "term": "perpetual",
        "registered_agent": _registered_agent(False),
        "addons": {"ein": True, "operating_agreement": False, "registered_agent": False},
        "has_members": has_members,
        "board_size": "three (3)",
        "directors_in_articles": True,
        "incorporator": _person("Helen Marquez", st["signer_title"], "410 Elm Street, Fort Collins, Colorado 80521"),
        "articles_effective": "upon filing",
        "secretary": _person("Jonah Whitaker", "Secretary"),
        "directors": directors,
        "officers": [
            {"title": "President", "name": "Helen Marquez"},
            {"title": "Secretary", "name": "Jonah Whitaker"},
            {"title": "Treasurer", "name": "Grace Okafor"},
        ],
    }


def with_ein(ctx: dict[str, Any], *, recorded: bool) -> dict[str, Any]:
    """Add the EIN facts: the responsible party and the SS-4 line values; `ein` only once recorded."""
    out = copy.deepcopy(ctx)
    corp = out["is_corporation"]
    nonprofit_ = out["is_nonprofit"]
    party = out["officers"][0]
    out["responsible_party"] = {
        "name": party["name"],
        "title": party["title"],
        "id_type": "SSN",
        "id_masked": SAMPLE_SSN_MASKED,
        "id_full": SAMPLE_SSN,
    }
    line_9a = "Corporation (Form 1120-S)" if corp and out.get("s_corp_election") else "Corporation (Form 1120)"
    if nonprofit_:
        line_9a = "Other nonprofit organization (charitable; exemption under section 501(c)(3) to be applied for)"
    if out["is_llc"]:
        # SS-4 instructions, Line 9a, Disregarded entities / partnerships
        line_9a = "Other: disregarded entity - sole proprietorship" if out["single_member"] else "Partnership"
    out["ss4"] = {
        "trade_name": "N/A",
        "care_of": "N/A",
        "mailing_address": out["principal_office"].rsplit(",", 2)[0],
        "mailing_city_state_zip": ", ".join(out["principal_office"].rsplit(",", 2)[1:]).strip(),
        "street_address": "Same as mailing address",
        "street_city_state_zip": "",
        "county_state": "Larimer County, Colorado" if nonprofit_ else "Denver County, Colorado",
        "line_9a": line_9a,
        "reason": "Started new business (type: " + ("charitable nonprofit)" if nonprofit_ else "software)"),
        "date_started": out["effective_date"],
        "closing_month": out["fiscal_year_end"].split()[0],
        "employees_expected": "Agricultural 0; Household 0; Other 2",
        "form_944": "No",
        "first_wages_date": "January 15, 2027",
        "principal_activity": "Other (specify): "
        + ("charitable literacy education" if nonprofit_ else "software publishing"),
        "principal_products": "Literacy instruction and tutoring" if nonprofit_ else "Data analytics software licenses",
        "applied_before": "No",
        "designee_name": "Performance West",
        "designee_address": "1550 Larimer Street, Suite 800, Denver, Colorado 80202",
        "designee_phone": "(303) 555-0147",
        "designee_fax": "(303) 555-0148",
        "applicant_phone": "(303) 555-0190",
    }
    if recorded:
        out["ein"] = "92-1234567"
        out["ein_assigned_date"] = "December 1, 2026"
    return out


def llc_for_ein(*, single_member: bool = False) -> dict[str, Any]:
    """An LLC context with just what the EIN documents read (the LLC documents have their own samples)."""
    ctx = corporation("CO", s_corp=False)
    st = state_context("CO", "llc")
    ctx.update(
        {
            "entity_name": "Juniper Ridge Coffee Roasters LLC",
            "entity_kind": "llc",
            "is_llc": True,
            "is_corporation": False,
            "entity_designation": f"a {st['name']} limited liability company",
            "state": st,
            "single_member": single_member,
            "tax_partnership": not single_member,
            "member_count": 1 if single_member else 2,
            "officers": [{"title": "Managing Member", "name": "Avery Lindqvist"}],
        }
    )
    return ctx
