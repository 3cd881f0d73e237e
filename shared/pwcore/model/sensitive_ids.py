"""Sensitive IDs (SSN, EIN, ITIN): the masked form shown beside the Password field (pure).

The plain value lives only in the Password field `id_value` (permlevel 1: Operations alone may read it with
frappe.client.get_password). `id_masked` is a read-only Data field with the last four digits, what the desk
list and form show. Frappe has no server-side hook we can install through REST (Server Scripts are off by
default), so whoever writes the plain value writes the mask in the same insert: `pw sensitive-id add` (value from
stdin, never from argv) and the storefront's integration with `mask_id`'s form.
"""

from __future__ import annotations

import re

ID_TYPES = ("SSN", "EIN", "ITIN")
_SHAPES = {"SSN": "***-**-{last4}", "ITIN": "***-**-{last4}", "EIN": "**-***{last4}"}


class InvalidSensitiveId(ValueError):
    """A value that is not nine digits of the given type (the message never contains the value)."""


def mask_id(id_type: str, value: str) -> str:
    """`***-**-1234` for an SSN / ITIN, `**-***6789` for an EIN."""
    if id_type not in ID_TYPES:
        raise InvalidSensitiveId(f"id_type must be one of {', '.join(ID_TYPES)}")
    digits = re.sub(r"[\s-]", "", value)
    if not re.fullmatch(r"\d{9}", digits):
        raise InvalidSensitiveId(f"an {id_type} has nine digits")
    if id_type == "ITIN" and not digits.startswith("9"):
        raise InvalidSensitiveId("an ITIN starts with 9")
    return _SHAPES[id_type].format(last4=digits[-4:])
