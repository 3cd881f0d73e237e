"""Canadian (CRTC) telecom registration: the regulatory facts, which of them apply to a carrier's services,
and the render context of the CRTC document set (registration letter, BITS licence application,
compliance summary).

The facts live in `data/crtc_facts.toml` (each row cited and dated, uncertain rows marked needs_review);
this module only loads, validates and selects them, so a rule change is a reviewed data change.
The CRTC Order DocType the context reads is the CRTC Order entry of `data/doctypes.json`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator

# The services a CRTC Order can tick, in the order documents list them.
SERVICES: tuple[str, ...] = ("resale", "facilities_based", "international", "local_voip", "wireless", "internet")
SERVICE_LABELS: dict[str, str] = {
    "resale": "resale of telecommunications services (non-facilities-based)",
    "facilities_based": "facilities-based telecommunications services",
    "international": "basic international telecommunications services",
    "local_voip": "local voice over Internet Protocol (VoIP) services",
    "wireless": "wireless voice and data services",
    "internet": "Internet access services",
}
# CRTC Order Check field per service.
SERVICE_FIELDS: dict[str, str] = {s: f"service_{s}" for s in SERVICES}
ALL = "all"
# Order of categories in the compliance summary: what the carrier must do first comes first.
CATEGORIES: tuple[str, ...] = (
    "registration", "ownership", "international", "consumer", "emergency", "reporting", "funding",
    "accessibility", "privacy", "telemarketing", "enforcement",
)
Category = Literal[
    "registration", "ownership", "international", "consumer", "emergency", "reporting", "funding",
    "accessibility", "privacy", "telemarketing", "enforcement",
]
Status = Literal["verified", "needs_review"]
FACTS_FILE = "crtc_facts.toml"
# The CRTC document set (templates/clauses/<id>/), in delivery order; see documents_for().
DOCUMENTS: tuple[str, ...] = ("crtc-registration-letter", "bits-licence-application", "crtc-compliance-summary")


class Fact(BaseModel):
    """One regulatory rule with its source. `applies_to` names services, or "all"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str
    category: Category
    applies_to: tuple[str, ...]
    text: str
    value: str | None = None
    deadline: str | None = None
    condition: str | None = None
    effective_date: date | None = None
    source: str
    source_url: str
    checked: str
    review_by: date
    status: Status = "needs_review"

    @field_validator("applies_to")
    @classmethod
    def _known_services(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [v for v in value if v != ALL and v not in SERVICES]
        if not value or unknown:
            raise ValueError(f"applies_to must list services of {SERVICES} or {ALL!r}, got {list(value)}")
        return value

    @field_validator("id", "title", "text", "source", "checked")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @field_validator("source_url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("source_url must be an http(s) address")
        return value

    def applies(self, services: Iterable[str]) -> bool:
        return ALL in self.applies_to or any(s in self.applies_to for s in services)

    @property
    def needs_review(self) -> bool:
        return self.status == "needs_review"


class Addressee(BaseModel):
    """Where CRTC filings are addressed (printed in the letters)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str
    organisation: str
    address: str
    filing_channel: str
    source: str
    source_url: str
    checked: str
    review_by: date
    status: Status = "needs_review"


class CrtcFacts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    addressee: Addressee
    fact: tuple[Fact, ...]

    @field_validator("fact")
    @classmethod
    def _unique_ids(cls, value: tuple[Fact, ...]) -> tuple[Fact, ...]:
        seen: set[str] = set()
        for f in value:
            if f.id in seen:
                raise ValueError(f"duplicate fact id {f.id!r}")
            seen.add(f.id)
        return value


def parse_facts(text: str) -> CrtcFacts:
    """Validate the facts file's text (raises pydantic.ValidationError / tomllib.TOMLDecodeError)."""
    return CrtcFacts.model_validate(tomllib.loads(text))


@lru_cache(maxsize=1)
def load_facts() -> CrtcFacts:
    """The packaged facts file, parsed once per process."""
    return parse_facts(resources.files("pwcore").joinpath("data", FACTS_FILE).read_text(encoding="utf-8"))


def facts() -> list[Fact]:
    return list(load_facts().fact)


def fact(fact_id: str) -> Fact:
    for f in load_facts().fact:
        if f.id == fact_id:
            return f
    raise KeyError(fact_id)


def _check_services(services: Iterable[str]) -> set[str]:
    chosen = set(services)
    unknown = chosen - set(SERVICES)
    if unknown:
        raise ValueError(f"unknown services {sorted(unknown)}; known: {list(SERVICES)}")
    return chosen


def obligations_for(services: set[str]) -> list[Fact]:
    """The facts that apply to a provider offering `services`, grouped by category (CATEGORIES order),
    file order within a category. Rules for "all" providers apply even to an empty set."""
    chosen = _check_services(services)
    picked = [f for f in load_facts().fact if f.applies(chosen)]
    return sorted(picked, key=lambda f: CATEGORIES.index(f.category))  # stable: keeps file order


# --- the CRTC Order -> document context ------------------------------------------------------------


def services_from_order(order: Mapping[str, Any]) -> set[str]:
    """The services ticked on a CRTC Order (Check fields come as 0/1 or booleans)."""
    return {s for s, field in SERVICE_FIELDS.items() if _truthy(order.get(field))}


def computed_flags(order: Mapping[str, Any]) -> dict[str, int]:
    """The read-only Check fields the pipeline keeps in step with the services (write them back)."""
    services = services_from_order(order)
    return {
        "bits_licence_needed": int("international" in services),
        # Local VoIP and wireless voice carry 9-1-1 duties (see facts voip-9-1-1, wireless-9-1-1).
        "nine_one_one": int(bool(services & {"local_voip", "wireless"})),
    }


def documents_for(order: Mapping[str, Any]) -> list[str]:
    """The CRTC documents an order produces: the BITS application only with international services (the
    same rule as its document.toml `when = "bits_needed"`)."""
    bits = bool(computed_flags(order)["bits_licence_needed"])
    return [d for d in DOCUMENTS if d != "bits-licence-application" or bits]


def registration_lists(services: set[str]) -> list[str]:
    """The CRTC registration lists a provider with these services asks to be entered in."""
    chosen = _check_services(services)
    lists: list[str] = []
    if "resale" in chosen:
        # Internet resale has its own list; voice, long distance and wireless resale go in the general one.
        if "internet" not in chosen or chosen & {"local_voip", "wireless", "international"}:
            lists.append("Reseller of Telecommunications Services")
        if "internet" in chosen:
            lists.append("Reseller of High-Speed Retail Internet Services")
    if "facilities_based" in chosen:
        lists.append("Non-Dominant Carrier")
        if "wireless" in chosen:
            lists.append("Wireless Carrier")
    if "international" in chosen:
        lists.append("BITS Licensee")
    return lists


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def _lines(value: Any) -> list[str]:
    from pwcore.model.formatting import clean_text

    return [line for line in (clean_text(x) for x in clean_text(value).splitlines()) if line]


def _one_line(value: Any) -> str:
    """A multi-line address on one line, comma separated (for the letters' running text)."""
    return ", ".join(_lines(value))


ACCESSIBILITY_CLASSES = (
    (100, "T2", "a class T2 provider (100 or more employees): it must publish a feedback process, "
                "accessibility plans and progress reports"),
    (10, "T3", "a class T3 provider (10 to 99 employees): it must publish a feedback process, "
               "accessibility plans and progress reports"),
    (0, "T4", "a class T4 provider (fewer than 10 employees): it is exempt from publishing but must "
              "file an attestation with the CRTC"),
)


def accessibility_class(employees: int) -> tuple[str, str]:
    for floor, name, text in ACCESSIBILITY_CLASSES:
        if employees >= floor:
            return name, text
    raise ValueError("employees must be >= 0")


# CRTC Order revenue_band options (Canadian telecom revenues with related companies, previous year).
REVENUE_BANDS = ("Under $10 million", "$10 million to under $25 million", "$25 million or more")
ENTITY_FORMS = ("Corporation", "Limited Liability Company")
CANADIAN_JURISDICTIONS = frozenset({
    "canada", "alberta", "british columbia", "manitoba", "new brunswick", "newfoundland and labrador",
    "northwest territories", "nova scotia", "nunavut", "ontario", "prince edward island", "quebec",
    "saskatchewan", "yukon",
})
# Blank for a deponent's residence the order does not give: the affidavit is completed and sworn in person.
RESIDENCE_BLANK = "______________________________ (city, province or state, country)"


def incorporated_in_canada(jurisdiction: str) -> bool:
    """ "Canada (CBCA)", "Ontario" -> True; "Delaware" -> False (first word group before a parenthesis)."""
    return jurisdiction.split("(")[0].strip().lower() in CANADIAN_JURISDICTIONS


def _contact(order: Mapping[str, Any], prefix: str, need: Callable[[str], str]) -> dict[str, str]:
    from pwcore.model.formatting import clean_text

    name = need(f"{prefix}_name")
    title = clean_text(order.get(f"{prefix}_title"))
    return {
        "name": name,
        "title": title,
        "display": f"{name}, {title}" if title else name,
        "email": need(f"{prefix}_email"),
        "phone": need(f"{prefix}_phone"),
    }


_DIGIT_HYPHEN = re.compile(r"(?<=\d)-(?=\d)")


def typographic(text: str) -> str:
    """Data values as they should print: curly apostrophes (as the clause builder sets them in clause
    text) and non-breaking hyphens between digits, so "9-1-1" or "CRTC 2017-11" never break at a line end."""
    return _DIGIT_HYPHEN.sub("\u2011", text.replace("'", "\u2019"))


def _obligation(f: Fact) -> dict[str, Any]:
    return {
        "id": f.id,
        "title": typographic(f.title),
        "text": typographic(f.text),
        "deadline": typographic(f.deadline or "Ongoing"),
        "condition": typographic(f.condition or ""),
        "has_condition": bool(f.condition),
        "source": typographic(f.source),
        "source_url": f.source_url,
        "needs_review": f.needs_review,
    }


def document_context(order: Mapping[str, Any], customer: Mapping[str, Any], *,
                     as_of: date | None = None) -> dict[str, Any]:
    """The render context of the CRTC document set, from a CRTC Order and its Customer. Every value
    prints as it must appear (see templates/clauses/VOCABULARY-crtc.md). Raises ContextError naming
    the field when the order lacks something the documents need."""
    from pwcore.model.formatting import ContextError, clean_text, join_words, long_date

    def need(field: str) -> str:
        value = clean_text(order.get(field))
        if not value:
            raise ContextError(f"CRTC Order field {field!r} is empty")
        return value

    services = services_from_order(order)
    if not services & {"resale", "facilities_based"}:
        # The registration list and the ownership rules depend on it; never guess.
        raise ContextError("CRTC Order must tick service_resale or service_facilities_based")
    customer_name = clean_text(customer.get("customer_name") or customer.get("name"))
    if not customer_name:
        raise ContextError("Customer field 'customer_name' is empty")

    legal_name = need("carrier_legal_name")
    jurisdiction = need("incorporation_jurisdiction")
    operating_names = _lines(order.get("operating_names"))
    corporation_number = clean_text(order.get("corporation_number"))
    province = clean_text(order.get("province"))
    incorporation_date = order.get("incorporation_date")
    try:
        employees = int(order.get("employee_count") or 0)
    except (TypeError, ValueError) as exc:
        raise ContextError("CRTC Order field 'employee_count' is not a whole number") from exc
    if employees < 0:
        raise ContextError("CRTC Order field 'employee_count' is negative")
    access_class, access_text = accessibility_class(employees)

    entity_form = clean_text(order.get("entity_form")) or ENTITY_FORMS[0]
    if entity_form not in ENTITY_FORMS:
        raise ContextError(f"CRTC Order field 'entity_form' must be one of {list(ENTITY_FORMS)}")
    is_llc = entity_form == "Limited Liability Company"
    ownership_basis = clean_text(order.get("ownership_basis"))
    if "facilities_based" in services:
        if not ownership_basis:
            raise ContextError("CRTC Order field 'ownership_basis' is empty (needed for a facilities-based carrier)")
        if ownership_basis == "Canadian-owned and controlled" and (is_llc or not incorporated_in_canada(jurisdiction)):
            # Section 16(1)(a) requires a corporation incorporated or continued under Canadian law.
            raise ContextError("CRTC Order fields 'entity_form' / 'incorporation_jurisdiction' must be a corporation "
                               "of Canada or a province for a Canadian-owned and controlled carrier")
    ccts_status = clean_text(order.get("ccts_status")) or "Not a participant"
    revenue_band = clean_text(order.get("revenue_band")) or REVENUE_BANDS[0]
    if revenue_band not in REVENUE_BANDS:
        raise ContextError(f"CRTC Order field 'revenue_band' must be one of {list(REVENUE_BANDS)}")
    telemarketing = _truthy(order.get("telemarketing"))
    flags = computed_flags(order)

    obligations = [
        _obligation(f) for f in obligations_for(services)
        # The DNCL rules only bind a provider that telemarkets; leave them out otherwise.
        if f.category != "telemarketing" or telemarketing
    ]
    principal = _contact(order, "principal_contact", need)
    regulatory = _contact(order, "regulatory_contact", need)
    addressee = load_facts().addressee
    launch = order.get("launch_date")
    service_list = [SERVICE_LABELS[s] for s in SERVICES if s in services]
    lists = registration_lists(services)
    modes = []
    if "facilities_based" in services:
        modes.append("operate telecommunications facilities, owned or leased, used to carry basic "
                     "telecommunications traffic between Canada and other countries")
    if "resale" in services:
        modes.append("resell basic international telecommunications services obtained from other "
                     "licensed providers")
    residence = clean_text(order.get("deponent_residence"))
    service_area = _one_line(order.get("service_area"))
    return {
        "order_name": need("name"),
        "effective_date": long_date(as_of or date.today()),
        "customer_name": customer_name,
        "is_bundle": clean_text(order.get("order_kind")) == "Bundle",
        "carrier": {
            "legal_name": legal_name,
            "operating_names": operating_names,
            "has_operating_names": bool(operating_names),
            "operating_names_text": ("; ".join(operating_names) if operating_names
                                     else "None (services are offered under the legal name)"),
            "province": province,
            "province_text": province or "Not applicable (head office outside Canada)",
            "corporation_number": corporation_number,
            "corporation_number_text": corporation_number or (
                "Not yet assigned" if incorporated_in_canada(jurisdiction)
                else f"None ({'formed' if is_llc else 'incorporated'} outside Canada)"),
            "incorporation_jurisdiction": jurisdiction,
            "entity_form": entity_form,
            "is_llc": is_llc,
            "incorporated_in_canada": incorporated_in_canada(jurisdiction),
            "incorporation_date": long_date(incorporation_date) if incorporation_date else "",
            "incorporation_date_text": long_date(incorporation_date) if incorporation_date else "Not provided",
            "has_incorporation_date": bool(incorporation_date),
            "head_office": _one_line(need("head_office_address")),
            "employees": str(employees),
        },
        "services": {s: s in services for s in SERVICES},
        "service_list": service_list,
        "service_list_text": join_words(service_list),
        "provider_kind": (
            "a facilities-based provider that also resells telecommunications services"
            if services >= {"facilities_based", "resale"} else
            "a facilities-based provider" if "facilities_based" in services else
            "a non-facilities-based provider (reseller)"),
        "service_area": service_area,
        "service_area_text": service_area or "Not stated",
        # The CRTC asks wireless carriers (and CLECs, payphone providers) for service area maps.
        "needs_service_area_map": "Wireless Carrier" in lists,
        "service_description": clean_text(order.get("service_description")),
        "has_service_description": bool(clean_text(order.get("service_description"))),
        "registration_lists": lists,
        "registration_lists_many": len(lists) > 1,
        "bits_needed": bool(flags["bits_licence_needed"]),
        "nine_one_one": bool(flags["nine_one_one"]),
        "international_modes": modes,
        "international_modes_text": join_words(modes),
        # Terms the licensee acknowledges; the application fact describes this very document.
        "international_obligations": [o for o in obligations
                                      if fact(o["id"]).category == "international" and o["id"] != "bits-application"],
        "ownership_basis": ownership_basis,
        "ownership_exempt": ownership_basis == "Under 10% market share exemption",
        "ownership_canadian": ownership_basis == "Canadian-owned and controlled",
        "ccts_status": ccts_status,
        "ccts_participant": ccts_status == "Participant",
        "revenue_band": revenue_band,
        "revenue_band_text": revenue_band[0].lower() + revenue_band[1:],
        # Contribution and fees: $10 million until the $25 million threshold takes effect (fact contribution).
        "pays_contribution": revenue_band != REVENUE_BANDS[0],
        "contribution_ends_at_new_threshold": revenue_band == REVENUE_BANDS[1],
        "telemarketing": telemarketing,
        "accessibility_class": access_class,
        "accessibility_text": access_text,
        "launch_date": long_date(launch) if launch else "",
        "launch_date_text": long_date(launch) if launch else "Not yet set",
        "has_launch_date": bool(launch),
        "principal_contact": principal,
        "regulatory_contact": regulatory,
        "signatory": {
            "name": legal_name,
            "is_entity": True,
            "by_name": principal["name"],
            "by_title": principal["title"] or "Authorized Signatory",
            "capacity": "Applicant",
        },
        "deponent": {
            "name": principal["name"],
            "is_entity": False,
            "by_name": "",
            "by_title": principal["title"] or "Officer",
            "capacity": "Deponent",
        },
        "deponent_capacity": (f"an officer of the Applicant holding the office of {principal['title']}"
                              if principal["title"] else "an officer of the Applicant"),
        "deponent_residence": residence or RESIDENCE_BLANK,
        "addressee": {
            "title": addressee.title,
            "organisation": addressee.organisation,
            "address": addressee.address,
            "filing_channel": typographic(addressee.filing_channel),
        },
        "obligations": obligations,
        "obligations_needing_review": str(sum(1 for o in obligations if o["needs_review"])),
        "has_obligations_needing_review": any(o["needs_review"] for o in obligations),
    }
