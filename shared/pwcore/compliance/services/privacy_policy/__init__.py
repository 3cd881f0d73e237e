"""Privacy Policy: the business's own website privacy policy, written to be published.

Its template has a layout of its own (a policy in the business's voice, not a report), built by
`privacy_policy()` in tools/make_templates.py, so `report` is None here.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints

from pwcore.compliance.fields import IntakeModel, ShortText, States
from pwcore.compliance.services import define
from pwcore.compliance.services.common import (
    NOT_PROVIDED,
    CategoryRow,
    DataCategory,
    Facts,
    categories,
    join,
    states,
    yes_no,
)
from pwcore.model.formatting import clean_text, free_text


class PrivacyPolicyIntake(IntakeModel):
    business_name: ShortText
    website: ShortText
    contact_email: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    ]
    data_categories: Annotated[list[DataCategory], Field(min_length=1, max_length=12)]
    collection_methods: Annotated[list[ShortText], Field(max_length=20)] = []
    purposes: Annotated[list[ShortText], Field(max_length=20)] = []
    uses_cookies: bool | None = None
    uses_analytics_or_ads: bool | None = None
    sells_or_shares: bool
    children_under_13: bool = False
    states: States = []


class PrivacyFacts(Facts):
    business_name: str
    website: str
    contact_email: str
    data_categories: list[CategoryRow]
    collection_methods: str
    purposes: str
    uses_cookies: str
    uses_analytics_or_ads: str
    sells_or_shares: str
    children_under_13: str
    states_covered: str


def build_facts(m: PrivacyPolicyIntake) -> dict[str, Any]:
    return {
        "business_name": free_text(m.business_name),
        "website": free_text(m.website),
        "contact_email": clean_text(m.contact_email),
        "data_categories": categories(m.data_categories),
        # Empty lists are gaps the published policy must not paper over: the template prints a note instead.
        "collection_methods": join(m.collection_methods, empty=NOT_PROVIDED),
        "purposes": join(m.purposes, empty=NOT_PROVIDED),
        "uses_cookies": yes_no(m.uses_cookies),
        "uses_analytics_or_ads": yes_no(m.uses_analytics_or_ads),
        "sells_or_shares": yes_no(m.sells_or_shares),
        "children_under_13": yes_no(m.children_under_13),
        "states_covered": states(m.states),
    }


SERVICE = define(
    __file__, intake_model=PrivacyPolicyIntake, facts_model=PrivacyFacts, build_facts=build_facts, report=None
)
