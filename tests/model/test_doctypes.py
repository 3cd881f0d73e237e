"""Order DocTypes, names and versions."""

from __future__ import annotations

import pytest

from pwcore.model import doctypes
from pwcore.model.doctypes import UnsafeName, check_order_name


def test_doctype_of_a_name() -> None:
    assert doctypes.doctype_for("FO-2026-0001") == "Formation Order"
    assert doctypes.doctype_for("CS-2026-0001") == "Compliance Service"
    with pytest.raises(ValueError):
        doctypes.doctype_for("SO-2026-0001")
    assert set(doctypes.ORDER_DOCTYPES) == set(doctypes.NAMING_PREFIXES.values())


def test_current_and_next_version() -> None:
    assert doctypes.current_version({}) == 0
    assert doctypes.next_version({"document_version": None}) == 1
    assert doctypes.next_version({"document_version": 2}) == 3


@pytest.mark.parametrize("name", ["FO-2026-0001\n", "FO-2026-0001/../x", "fo-2026-0001", "FO-2026-0001%0a",
                                  "SO-2026-1", "FO-", "FO-2026-0001\r"])
def test_order_names_are_full_matches(name: str) -> None:
    with pytest.raises(UnsafeName):
        check_order_name(name)


def test_a_real_order_name_passes() -> None:
    assert check_order_name("CS-2026-0042") == "CS-2026-0042"
