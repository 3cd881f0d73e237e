"""Display labels and fact helpers several compliance services share (a service's own labels sit in its folder).

Every value a report prints is produced by the service's facts builder, already formatted, so templates hold
no formatting logic. An optional fact the customer did not give reads NOT_PROVIDED, an empty list
NONE_LISTED, so a report states the gap instead of failing or printing a blank.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict

from pwcore.model.formatting import free_text, quantity

NOT_PROVIDED = "Not provided"
NONE_LISTED = "None listed"

STATE_NAMES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California", "CO": "Colorado",
    "CT": "Connecticut", "DE": "Delaware", "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho",
    "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York", "NC": "North Carolina",
    "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas",
    "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington", "WV": "West Virginia",
    "WI": "Wisconsin", "WY": "Wyoming", "DC": "District of Columbia", "PR": "Puerto Rico", "GU": "Guam",
    "VI": "U.S. Virgin Islands", "AS": "American Samoa", "MP": "Northern Mariana Islands",
}  # fmt: skip

# The categories of personal information of Cal. Civ. Code § 1798.140(v) (CCPA audit, privacy policy).
DataCategory = Literal[
    "identifiers",
    "customer_records",
    "protected_classifications",
    "commercial_information",
    "biometric",
    "internet_activity",
    "geolocation",
    "sensory",
    "professional",
    "education",
    "inferences",
    "sensitive_personal_information",
]

# Statutory examples of each category (Cal. Civ. Code § 1798.140(v)); the CCPA audit and the privacy policy.
DATA_CATEGORY_LABELS: dict[str, tuple[str, str]] = {
    "identifiers": ("Identifiers", "Name, postal address, email address, IP address, account name or similar"),
    "customer_records": (
        "Customer records",
        "Information listed in Cal. Civ. Code § 1798.80(e), such as name, signature, telephone number or "
        "financial information",
    ),
    "protected_classifications": (
        "Protected classifications",
        "Characteristics protected under California or federal law, such as age, sex or disability",
    ),
    "commercial_information": (
        "Commercial information",
        "Products or services purchased, obtained or considered, and purchasing history",
    ),
    "biometric": ("Biometric information", "Fingerprints, faceprints, voiceprints or similar"),
    "internet_activity": (
        "Internet or network activity",
        "Browsing and search history, interactions with a website, app or advertisement",
    ),
    "geolocation": ("Geolocation data", "Device or physical location"),
    "sensory": ("Sensory data", "Audio, electronic, visual or similar information, such as call recordings"),
    "professional": ("Professional or employment information", "Job title, employer, work history"),
    "education": ("Education information", "Education records that are not publicly available"),
    "inferences": ("Inferences", "Profiles reflecting preferences, characteristics or behavior"),
    "sensitive_personal_information": (
        "Sensitive personal information",
        "Government identifiers, account log-ins, precise geolocation, health or similar information",
    ),
}


class Row(BaseModel):
    """A table row of a report (every cell already formatted text)."""

    model_config = ConfigDict(extra="forbid")


class Facts(BaseModel):
    """The report facts one service adds to the render context (its keys are template fields)."""

    model_config = ConfigDict(extra="forbid")


class CategoryRow(Row):
    category: str
    examples: str


def opt(value: object) -> str:
    """An optional text fact: the text, or NOT_PROVIDED."""
    return free_text(value) or NOT_PROVIDED


def yes_no(value: bool | None) -> str:
    return NOT_PROVIDED if value is None else ("Yes" if value else "No")


def count(value: int | float | None) -> str:
    if value is None:
        return NOT_PROVIDED
    return f"{value:,}" if isinstance(value, int) else quantity(value)


def join(values: Iterable[str], labels: Mapping[str, str] | None = None, empty: str = NONE_LISTED) -> str:
    shown = [labels.get(v, v) if labels else free_text(v) for v in values]
    return "; ".join(v for v in shown if v) or empty


def states(codes: Iterable[str], empty: str = NOT_PROVIDED) -> str:
    return ", ".join(STATE_NAMES.get(c, c) for c in codes) or empty


def categories(values: Iterable[str]) -> list[CategoryRow]:
    return [CategoryRow(category=DATA_CATEGORY_LABELS[v][0], examples=DATA_CATEGORY_LABELS[v][1]) for v in values]
