"""Formatting every document shares: money "$1,250.00", dates "November 25, 2026", percentages "33.33%",
text with XML-illegal characters removed, customer free text with SSN/EIN-shaped numbers masked.

Pure functions, no I/O, so both the compliance services (their report facts) and the document builders use
them; they lived in pwcore.documents.context, which compliance may not import.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from dateutil import parser as date_parser

from pwcore.logs import EIN_PATTERN, SSN_PATTERN

# XML 1.0 forbids these code points; \t \n \r are allowed. docxtpl turns \a (0x07) into a paragraph
# break, so customer text loses it here and only section text gets it back, on blank lines.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
MASKED_ID = "[number removed]"


class ContextError(ValueError):
    """The ERPNext document lacks something every document of its kind needs (names the field)."""


def clean_text(value: Any) -> str:
    """Text for a document: str(), XML-illegal control characters removed, ends trimmed."""
    if value is None:
        return ""
    return _XML_ILLEGAL.sub("", str(value)).strip()


def free_text(value: Any) -> str:
    """Customer free text, with SSN/EIN-shaped numbers masked: a customer who types one into a duties or
    notes box must not see it printed in a report that is emailed and stored."""
    text = EIN_PATTERN.sub(MASKED_ID, clean_text(value))
    return SSN_PATTERN.sub(MASKED_ID, text)


def decimal(value: Any) -> Decimal:
    if value is None or value == "":
        return Decimal(0)
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ContextError(f"not a number: {str(value)[:40]!r}") from exc


def money(value: Any, currency: str = "USD") -> str:
    amount = decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency.upper(), "")
    sign = "-" if amount < 0 else ""
    text = f"{abs(amount):,.2f}"
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency.upper()}"


def percent(value: Any) -> str:
    amount = decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = f"{amount:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def long_date(value: date | datetime | str | None) -> str:
    """ "November 25, 2026" (no zero padding, English month names regardless of locale)."""
    if value is None or value == "":
        raise ContextError("date missing")
    if isinstance(value, str):
        value = date_parser.parse(value)
    if isinstance(value, datetime):
        value = value.date()
    return f"{value:%B} {value.day}, {value.year}"


def quantity(value: Any) -> str:
    amount = decimal(value)
    return f"{amount.normalize():f}" if amount == amount.to_integral() else f"{amount:f}".rstrip("0")


def join_words(items: list[str]) -> str:
    """ "a", "a and b", "a, b and c": a list as a sentence reads it."""
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen"
).split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()


def count_in_words(value: int) -> str:
    """ "three (3)", "twenty-one (21)": a count as legal documents write it; above 99 the figure alone."""
    if value < 0 or value > 99:
        return f"{value:,}"
    if value < 20:
        words = _ONES[value]
    else:
        tens, ones = divmod(value, 10)
        words = _TENS[tens - 2] + (f"-{_ONES[ones]}" if ones else "")
    return f"{words} ({value})"
