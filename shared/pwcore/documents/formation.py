"""The formation render context: ERPNext documents -> exactly the clause vocabulary.

Input is what the REST API returns: the Formation Order with its child tables (`members`: Formation Member
rows with a `role` of Member / Manager / Director / Officer; `add_ons`: Formation Add-On rows), the Customer and
the Sales Order it links. Output is the plain dict the clause templates read (templates/clauses/VOCABULARY.md
and VOCABULARY-corp.md): state facts from the reviewed data files, the entity designation, sole vs Members,
managers, directors, officers, signer objects shaped for persons and entities, the registered agent with its
office address, and the add-ons.

Every fact a document needs is checked here, before anything renders: a missing or contradictory fact raises
FormationInvalid (an OrderFailure) whose reason names the Formation Order field (e.g.
`Formation Order field 'registered_agent_address' is empty`), so the order goes to Failed with a reason an
operator can act on. Values of the order are never quoted in a reason (an EIN typed in the wrong field must
not reach a Comment).

The responsible party's SSN/ITIN is not read here: `responsible_party(...)` takes it as an argument, only for
the operator's SS-4 worksheet (pwcore.documents.formation_set says which documents are the operator's).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from pwcore.facts.states import StateFactsError, facts_for
from pwcore.facts.states_corp import directors_in_articles, state_context
from pwcore.model.formatting import ContextError, clean_text, count_in_words, long_date, money, percent
from pwcore.model.problems import OrderFailure

DT = "Formation Order"
ROW_DT = "Formation Member"
PROVIDER_FILE = Path(__file__).resolve().parent.parent / "data" / "provider.toml"

KIND_OF_TYPE = {"LLC": "llc", "Corporation": "corporation", "Nonprofit": "nonprofit"}
DESIGNATION = {"llc": "limited liability company", "corporation": "corporation", "nonprofit": "nonprofit corporation"}
# Which management types fit which entity type; blank means the entity type's only (or default) choice.
MANAGEMENT = {
    "llc": {"Member-Managed": "member", "Manager-Managed": "manager"},
    "corporation": {"Board-Managed": "board", "": "board"},
    "nonprofit": {"Board-Managed": "board", "": "board"},
}
# A name must carry the designator the state acts require (printed once, as the customer wrote it).
NAME_DESIGNATORS = {
    "llc": re.compile(r"(?i)\b(LLC|L\.L\.C\.|Limited Liability Company|Limited Liability Co\."
                      r"|Ltd\. Liability Co(\.|mpany))$"),
    "corporation": re.compile(r"(?i)\b(Inc\.|Incorporated|Corporation|Corp\.|Company|Co\.|Limited|Ltd\.)$"),
}
EIN_SHAPE = re.compile(r"^\d{2}-\d{7}$")
COUNTY_PART = re.compile(r"(?i)[a-z][a-z .'-]* County")
# Add-ons: the Formation Add-On row's `add_on` or a Sales Order item's code / name, matched by keyword.
ADD_ON_KEYWORDS: dict[str, re.Pattern[str]] = {
    "ein": re.compile(r"(?i)\bEIN\b|employer identification"),
    "operating_agreement": re.compile(r"(?i)operating[ -]agreement"),
    "registered_agent": re.compile(r"(?i)registered[ -]agent"),
}


# Every top-level name the builder may produce (templates/clauses/VOCABULARY*.md); the template lint checks a
# formation template reads only these, and a test checks every context holds only these.
VOCABULARY: frozenset[str] = frozenset("""
order_name customer_name effective_date formation_date entity_name entity_kind is_llc is_corporation is_nonprofit
entity_designation purpose principal_office_county principal_office fiscal_year_end term state registered_agent
addons single_member member_managed manager_managed member_count total_ownership_pct total_capital tax_partnership
partnership_representative successor s_corp_election organizer organizer_statement has_individual_members
spousal_consents authorized_shares par_value has_par_value share_class board_size incorporator secretary
exempt_purpose has_members directors_in_articles articles_effective total_issued_shares unissued_shares
total_consideration members managers directors officers responsible_party ein ein_assigned_date ss4
""".split())


class FormationInvalid(OrderFailure, ContextError):
    """The order lacks a fact a document needs, or its facts contradict each other (names the field)."""


def _fail(field: str, problem: str = "is empty") -> FormationInvalid:
    return FormationInvalid(f"{DT} field {field!r} {problem}")


@lru_cache(maxsize=1)
def provider() -> dict[str, Any]:
    """Performance West's own facts (data/provider.toml): default organizer, SS-4 designee."""
    return tomllib.loads(PROVIDER_FILE.read_text(encoding="utf-8"))


# --- small readers ---------------------------------------------------------------------------------


def _text(doc: Mapping[str, Any], field: str) -> str:
    return clean_text(doc.get(field))


def _req(doc: Mapping[str, Any], field: str, label: str | None = None) -> str:
    value = _text(doc, field)
    if not value:
        raise _fail(label or field)
    return value


def _one_line(value: str) -> str:
    """An address typed on several lines (Small Text) printed on one: "1 Main St, Austin, Texas 78701"."""
    parts = [p.strip().rstrip(",") for p in re.split(r"[\r\n]+", value) if p.strip()]
    return ", ".join(parts)


def in_state(address: str, state: Mapping[str, Any]) -> bool:
    """Whether a one-line address ends in the state: its name or USPS code, then the ZIP code if any ("Austin,
    Texas 78701", "Austin, TX 78701-1234"; a trailing ", USA" is allowed). A street or city named for another state
    does not count ("12 Texas Avenue, Boulder, CO 80302" is in Colorado)."""
    tail = re.sub(r",?\s*(USA|U\.S\.A\.|United States( of America)?)\s*$", "", address.strip(), flags=re.I)
    names = rf"{re.escape(state['name'])}|{re.escape(state['code'])}"
    return bool(re.search(rf"(?:^|[,\s])(?:{names}),?(?:\s+\d{{5}}(?:-\d{{4}})?)?$", tail, re.I))


def county_in(address: str) -> str:
    """ "New Castle County" when a one-line address names its county as one of its parts; "" otherwise (a
    county is never guessed from a city or ZIP code: the documents print a blank to fill in instead)."""
    return next((p for p in address.split(", ") if COUNTY_PART.fullmatch(p)), "")


def _dec(doc: Mapping[str, Any], field: str, label: str) -> Decimal:
    raw = doc.get(field)
    if raw in (None, ""):
        return Decimal(0)
    try:
        return Decimal(str(raw))
    except ArithmeticError as exc:
        raise _fail(label, "is not a number") from exc


def _check(doc: Mapping[str, Any], field: str) -> bool:
    value = doc.get(field)
    return bool(int(value)) if isinstance(value, int | float | str) and str(value).strip() not in ("", "0") else False


def _date(doc: Mapping[str, Any], field: str) -> str | None:
    value = doc.get(field)
    if value in (None, ""):
        return None
    try:
        return long_date(value)
    except (ValueError, OverflowError) as exc:
        raise _fail(field, "is not a date") from exc


def _count(value: Decimal) -> str:
    return f"{int(value):,}"


def article(word: str) -> str:
    return "an" if word[:1].upper() in "AEIOU" else "a"


def designation(state_name: str, kind: str) -> str:
    """ "a Colorado limited liability company", "an Ohio corporation", "a District of Columbia ..."."""
    return f"{article(state_name)} {state_name} {DESIGNATION[kind]}"


def _par_value(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    whole, _, frac = text.partition(".")
    return f"${int(whole):,}.{frac.ljust(2, '0')}"


# --- signers ---------------------------------------------------------------------------------------


def _signer(row: Mapping[str, Any], capacity: str, label: str) -> dict[str, Any]:
    name = _req(row, "member_name", f"{label}.member_name")
    if _check(row, "is_entity"):
        by_name = _text(row, "signatory_name")
        by_title = _text(row, "signatory_title")
        if not by_name:
            raise _fail(f"{label}.signatory_name", "is empty (an entity signs by an individual)")
        if not by_title:
            raise _fail(f"{label}.signatory_title", "is empty (an entity signs by an individual)")
        return {"name": name, "is_entity": True, "by_name": by_name, "by_title": by_title, "capacity": capacity}
    return {"name": name, "is_entity": False, "by_name": "", "by_title": "", "capacity": capacity}


def _rows(order: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """(label, row) for every Formation Member row in idx order; the label names it in a reason."""
    rows = sorted(order.get("members") or [], key=lambda r: int(r.get("idx") or 0))
    return [(f"members[{i}]", r) for i, r in enumerate(rows, 1)]


def _role(row: Mapping[str, Any]) -> str:
    return _text(row, "role") or "Member"


# --- add-ons -----------------------------------------------------------------------------------------


def add_ons(order: Mapping[str, Any], sales_order: Mapping[str, Any] | None) -> dict[str, bool]:
    """Which add-ons the customer bought: the order's Add-Ons table and the Sales Order's items."""
    names = [_text(a, "add_on") for a in order.get("add_ons") or []]
    for item in (sales_order or {}).get("items") or []:
        names += [_text(item, "item_code"), _text(item, "item_name")]
    return {key: any(p.search(n) for n in names if n) for key, p in ADD_ON_KEYWORDS.items()}


# --- the builder -------------------------------------------------------------------------------------


def entity_kind(order: Mapping[str, Any]) -> str:
    etype = _req(order, "entity_type")
    kind = KIND_OF_TYPE.get(etype)
    if kind is None:
        raise _fail("entity_type", "is not LLC, Corporation or Nonprofit")
    return kind


def formation_context(
    order: Mapping[str, Any],
    customer: Mapping[str, Any],
    sales_order: Mapping[str, Any] | None = None,
    as_of: date | None = None,
) -> dict[str, Any]:
    """The complete clause-vocabulary context of a Formation Order (every document of its set reads it)."""
    kind = entity_kind(order)
    mgmt_raw = _text(order, "management_type")
    management = MANAGEMENT[kind].get(mgmt_raw)
    if management is None:
        fits = " or ".join(k for k in MANAGEMENT[kind] if k)
        etype = _req(order, "entity_type")
        raise _fail("management_type", f"does not fit {'an' if etype == 'LLC' else 'a'} {etype} (use {fits})")
    code = _req(order, "state")
    try:
        state = state_context(code, kind) if kind != "llc" else facts_for(code, kind).context()
    except StateFactsError as exc:
        raise _fail("state", "is not a US state or DC") from exc
    entity_name = _req(order, "entity_name")
    if kind in NAME_DESIGNATORS and not NAME_DESIGNATORS[kind].search(entity_name.rstrip()):
        raise _fail("entity_name", f"lacks the designator {'LLC' if kind == 'llc' else 'Inc. or Corporation'} "
                    "the state requires")
    bought = add_ons(order, sales_order)
    customer_name = clean_text(customer.get("customer_name") or customer.get("name"))
    if not customer_name:
        raise ContextError("Customer field 'customer_name' is empty")
    agent = _registered_agent(order, state, bought["registered_agent"])
    ctx: dict[str, Any] = {
        "order_name": _req(order, "name"),
        "customer_name": customer_name,
        "effective_date": long_date(as_of or date.today()),
        "entity_name": entity_name,
        "entity_kind": kind,
        "is_llc": kind == "llc",
        "is_corporation": kind == "corporation",
        "is_nonprofit": kind == "nonprofit",
        "entity_designation": designation(state["name"], kind),
        "state": state,
        "principal_office": _one_line(_req(order, "principal_office")),
        "fiscal_year_end": _text(order, "fiscal_year_end") or "December 31",
        "term": _date(order, "term_end") or "perpetual",
        "addons": bought,
        "s_corp_election": _check(order, "s_corp_election"),
        "members": [],
        "managers": [],
        "directors": [],
        "officers": [],
        "spousal_consents": [],
    }
    if agent is not None:
        ctx["registered_agent"] = agent
    if kind != "nonprofit":
        ctx["purpose"] = _req(order, "purpose")
    county = _text(order, "principal_office_county")
    if county:
        ctx["principal_office_county"] = county
    formed = _date(order, "formation_date")
    if formed:
        ctx["formation_date"] = formed
    for label, row in _rows(order):
        if _role(row) == "Officer":
            ctx["officers"].append({"title": _req(row, "title", f"{label}.title"),
                                    "name": _req(row, "member_name", f"{label}.member_name")})
    _organizer(order, ctx, kind)
    if kind == "llc":
        _llc(order, ctx, management)
    else:
        _board(order, ctx, kind)
    _ein(order, ctx)
    return ctx


def _registered_agent(order: Mapping[str, Any], state: Mapping[str, Any], service: bool) -> dict[str, Any] | None:
    """The registered agent and its office. Required, except in a state whose Secretary of State is always the
    entity's agent for service of process (`state.secretary_is_agent`: New York, where designating a registered
    agent is optional for an LLC, N.Y. LLC Law § 203(e)(5), and a corporation, BCL § 402(a)(8), N-PCL § 402(a)(8)):
    None there when both fields are empty, so the context has no `registered_agent` and the clauses print none.
    Half an agent, or the agent add-on without one, is refused."""
    optional = bool(state.get("secretary_is_agent")) and not service
    if optional and not _text(order, "registered_agent") and not _text(order, "registered_agent_address"):
        return None
    name = _req(order, "registered_agent")
    address = _one_line(_req(order, "registered_agent_address"))
    if not in_state(address, state):
        # Every state's statute puts the registered agent's office in that state; a filing naming an office
        # elsewhere is rejected, so the order is refused before anything is drafted.
        raise _fail("registered_agent_address", f"is not in {state['the_state']} (a registered agent's office must "
                                                "be in the state of formation)")
    return {"name": name, "address": address, "county": county_in(address), "is_service": service}


def _organizer(order: Mapping[str, Any], ctx: dict[str, Any], kind: str) -> None:
    """Who signs the formation document: the order's organizer, else Performance West (data/provider.toml)."""
    title = ctx["state"]["signer_title"]
    name = _text(order, "organizer_name")
    if name:
        address = _one_line(_req(order, "organizer_address"))
        signer: dict[str, Any] = {"name": name, "is_entity": False, "by_name": "", "by_title": "",
                                  "capacity": title, "address": address}
    else:
        p = provider()["organizer"]
        signer = {"name": p["name"], "is_entity": True, "by_name": p["by_name"], "by_title": p["by_title"],
                  "capacity": title, "address": p["address"]}
    ctx["organizer" if kind == "llc" else "incorporator"] = signer


def _llc(order: Mapping[str, Any], ctx: dict[str, Any], management: str) -> None:
    rows = [(label, r) for label, r in _rows(order) if _role(r) == "Member"]
    if not rows:
        raise _fail("members", "has no row with role Member")
    single = len(rows) == 1
    total_pct = Decimal(0)
    total_capital = Decimal(0)
    for label, row in rows:
        pct = _dec(row, "ownership_pct", f"{label}.ownership_pct")
        capital = _dec(row, "capital", f"{label}.capital")
        if pct <= 0:
            raise _fail(f"{label}.ownership_pct", "must be above 0")
        total_pct += pct
        total_capital += capital
        ctx["members"].append({
            "name": _req(row, "member_name", f"{label}.member_name"),
            "address": _one_line(_req(row, "address", f"{label}.address")),
            "ownership_pct": percent(pct),
            "capital": money(capital),
            "signer": _signer(row, "Sole Member" if single else "Member", label),
        })
        spouse = _text(row, "spouse_name")
        if spouse and ctx["state"]["community_property"] and not _check(row, "is_entity"):
            member_name = ctx["members"][-1]["name"]
            ctx["spousal_consents"].append({
                "member_name": member_name,
                "signer": {"name": spouse, "is_entity": False, "by_name": "", "by_title": "",
                           "capacity": f"Spouse of {member_name}"},
            })
    if abs(total_pct - 100) > Decimal("0.01"):
        raise _fail("members", f"ownership percentages add up to {percent(total_pct)}, not 100%")
    managers = [(label, r) for label, r in _rows(order) if _role(r) == "Manager"]
    if management == "manager" and not managers:
        raise _fail("members", "has no row with role Manager, and the LLC is Manager-Managed")
    if management == "member" and managers:
        raise _fail("management_type", "is Member-Managed but the order names Managers")
    for label, row in managers:
        ctx["managers"].append({"name": _req(row, "member_name", f"{label}.member_name"),
                                "address": _one_line(_req(row, "address", f"{label}.address")),
                                "signer": _signer(row, "Manager", label)})
    ctx.update({
        "single_member": single,
        "member_managed": management == "member",
        "manager_managed": management == "manager",
        "member_count": len(rows),
        "tax_partnership": not single,
        "total_ownership_pct": percent(total_pct),
        "total_capital": money(total_capital),
        "has_individual_members": any(not m["signer"]["is_entity"] for m in ctx["members"]),
    })
    governing = {m["name"] for m in ctx["members"]} | {m["name"] for m in ctx["managers"]}
    ctx["organizer_statement"] = ctx["organizer"]["name"] not in governing
    if not single:
        wanted = _text(order, "partnership_representative")
        rep = next((m for m in ctx["members"] if m["name"] == wanted), None) if wanted else ctx["members"][0]
        if rep is None:
            raise _fail("partnership_representative", "names no member of the company")
        ctx["partnership_representative"] = rep["signer"]
    successor = _text(order, "successor")
    if successor:
        if not single:
            raise _fail("successor", "is only for a single-member LLC")
        ctx["successor"] = successor


def _board(order: Mapping[str, Any], ctx: dict[str, Any], kind: str) -> None:
    """Corporation and nonprofit: directors, officers, secretary, shares (corporation) or purposes (nonprofit)."""
    for label, row in _rows(order):
        if _role(row) == "Director":
            name = _req(row, "member_name", f"{label}.member_name")
            ctx["directors"].append({"name": name, "address": _one_line(_req(row, "address", f"{label}.address")),
                                     "signer": _signer(row, "Director", label)})
    if not ctx["directors"]:
        raise _fail("members", "has no row with role Director (a corporation is governed by its board)")
    if not ctx["officers"]:
        raise _fail("members", "has no row with role Officer")
    secretary = next((o for o in ctx["officers"] if "secretary" in o["title"].casefold()), None)
    if secretary is None:
        raise _fail("members", "has no Officer titled Secretary (the Secretary certifies the bylaws)")
    ctx["secretary"] = {"name": secretary["name"], "is_entity": False, "by_name": "", "by_title": "",
                        "capacity": "Secretary"}
    board_size = _dec(order, "board_size", "board_size") or Decimal(len(ctx["directors"]))
    if board_size < len(ctx["directors"]):
        raise _fail("board_size", "is smaller than the number of Directors named")
    ctx["board_size"] = count_in_words(int(board_size))
    effective = _date(order, "articles_effective_date")
    ctx["articles_effective"] = f"on {effective}" if effective else "upon filing"
    if kind == "nonprofit":
        ctx["exempt_purpose"] = _req(order, "exempt_purpose").rstrip(".")
        ctx["purpose"] = _text(order, "purpose") or f"The Corporation is formed {ctx['exempt_purpose']}."
        ctx["has_members"] = _check(order, "has_members")
        ctx["directors_in_articles"] = True
        return
    ctx["directors_in_articles"] = directors_in_articles(ctx["state"]["code"], _check(order, "directors_in_articles"))
    authorized = _dec(order, "authorized_shares", "authorized_shares")
    if authorized <= 0:
        raise _fail("authorized_shares")
    par = _dec(order, "par_value", "par_value")
    ctx["has_par_value"] = par > 0
    if par > 0:
        ctx["par_value"] = _par_value(par)
    ctx["share_class"] = _text(order, "share_class") or "Common Stock"
    issued = Decimal(0)
    consideration = Decimal(0)
    holders = [(label, r) for label, r in _rows(order) if _role(r) in ("Member", "Shareholder")]
    for i, (label, row) in enumerate(holders, 1):
        shares = _dec(row, "shares", f"{label}.shares")
        if shares <= 0:
            raise _fail(f"{label}.shares", "must be above 0 for a shareholder")
        paid = _dec(row, "consideration", f"{label}.consideration") or _dec(row, "capital", f"{label}.capital")
        issued += shares
        consideration += paid
        ctx["members"].append({
            "name": _req(row, "member_name", f"{label}.member_name"),
            "address": _one_line(_req(row, "address", f"{label}.address")),
            "shares": _count(shares),
            "consideration": money(paid),
            "certificate_no": f"CS-{i}",
            "signer": _signer(row, ctx["state"]["Holder"], label),
        })
    if issued > authorized:
        raise _fail("authorized_shares", "is fewer than the shares issued to the shareholders")
    ctx.update({
        "member_count": len(holders),
        "authorized_shares": _count(authorized),
        "total_issued_shares": _count(issued),
        "unissued_shares": _count(authorized - issued),
        "total_consideration": money(consideration),
    })


def _ein(order: Mapping[str, Any], ctx: dict[str, Any]) -> None:
    ein = _text(order, "ein")
    if not ein:
        return
    if not EIN_SHAPE.match(ein):
        raise _fail("ein", "is not shaped NN-NNNNNNN")
    assigned = _date(order, "ein_assigned_date")
    if not assigned:
        raise _fail("ein_assigned_date", "is empty (the EIN is recorded)")
    ctx["ein"] = ein
    ctx["ein_assigned_date"] = assigned


# --- the operator's SS-4 worksheet ---------------------------------------------------------------------


def mask_id(id_type: str, value: str) -> str:
    digits = re.sub(r"\D", "", value)
    if len(digits) != 9:
        raise FormationInvalid(f"Sensitive ID of type {id_type} does not hold 9 digits")
    return f"**-***{digits[-4:]}" if id_type == "EIN" else f"***-**-{digits[-4:]}"


def _full_id(id_type: str, value: str) -> str:
    d = re.sub(r"\D", "", value)
    return f"{d[:2]}-{d[2:]}" if id_type == "EIN" else f"{d[:3]}-{d[3:5]}-{d[5:]}"


def ss4_context(ctx: Mapping[str, Any], order: Mapping[str, Any], customer: Mapping[str, Any],
                id_type: str, id_value: str) -> dict[str, Any]:
    """`ctx` plus `responsible_party` and the `ss4` lines. `id_value` is the SSN/ITIN read from Sensitive ID for
    this render only: the caller keeps it in memory and never logs, stores or returns it."""
    if id_type not in ("SSN", "ITIN", "EIN"):
        raise _fail("responsible_party_id", "links a Sensitive ID that is not an SSN, ITIN or EIN")
    out = dict(ctx)
    out["responsible_party"] = {
        "name": _req(order, "responsible_party"),
        "title": _req(order, "responsible_party_title"),
        "id_type": id_type,
        "id_masked": mask_id(id_type, id_value),
        "id_full": _full_id(id_type, id_value),
    }
    kind = ctx["entity_kind"]
    if kind == "llc":
        line_9a = "Other: disregarded entity - sole proprietorship" if ctx["single_member"] else "Partnership"
    elif kind == "corporation":
        line_9a = "Corporation (Form 1120-S)" if ctx["s_corp_election"] else "Corporation (Form 1120)"
    else:
        line_9a = "Other nonprofit organization (charitable; exemption under section 501(c)(3) to be applied for)"
    street, _, city = ctx["principal_office"].partition(", ")
    activity = _req(order, "business_activity")
    employees = int(_dec(order, "employees_expected", "employees_expected"))
    d = provider()["designee"]
    county = ctx.get("principal_office_county")
    out["ss4"] = {
        "trade_name": _text(order, "trade_name") or "N/A",
        "care_of": "N/A",
        "mailing_address": street,
        "mailing_city_state_zip": city,
        "street_address": "Same as mailing address",
        "street_city_state_zip": "",
        "county_state": f"{county}, {ctx['state']['name']}" if county else ctx["state"]["name"],
        "line_9a": line_9a,
        "reason": f"Started new business (type: {activity})",
        "date_started": ctx.get("formation_date") or ctx["effective_date"],
        "closing_month": ctx["fiscal_year_end"].split()[0],
        "employees_expected": f"Agricultural 0; Household 0; Other {employees}" if employees else "0",
        # Form 944 only for employment taxes of $1,000 or less a year, which the order does not tell: the
        # default answer, changed by the operator after asking (the operator checks say when)
        "form_944": "No",
        "first_wages_date": _date(order, "first_wages_date") or "N/A",
        "principal_activity": f"Other (specify): {activity}",
        "principal_products": activity,
        "applied_before": "No",
        "designee_name": d["name"],
        "designee_address": d["address"],
        "designee_phone": d["phone"],
        "designee_fax": d["fax"],
        "applicant_phone": clean_text(customer.get("mobile_no") or customer.get("phone")) or "N/A",
    }
    return out


