"""Order DocTypes, names and versions."""

from __future__ import annotations

import pytest

from pwcore.model import doctypes
from pwcore.model.doctypes import UnsafeName, check_order_name


def test_doctype_of_a_name() -> None:
    assert doctypes.doctype_for("FO-2026-0001") == "Formation Order"
    assert doctypes.doctype_for("CS-2026-0001") == "Compliance Service"
    assert doctypes.doctype_for("CR-2026-0001") == "CRTC Order"
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
    assert check_order_name("CR-2026-0007") == "CR-2026-0007"


def test_every_order_doctype_is_in_doctypes_json_with_the_pipeline_fields_and_a_pipeline_permission() -> None:
    import json
    from pathlib import Path

    data = json.loads((Path(doctypes.__file__).parents[1] / "data" / "doctypes.json").read_text())
    by_name = {d["name"]: d for d in data["doctypes"]}
    for doctype in doctypes.ORDER_DOCTYPES:
        fields = {f["fieldname"] for f in by_name[doctype]["fields"]}
        assert {"status", "sales_order", "document_version", "pipeline_retries", "review_notes"} <= fields
        pipeline = [p for p in by_name[doctype]["permissions"] if p["role"] == "Pipeline"]
        assert pipeline and pipeline[0]["read"] == pipeline[0]["write"] == 1, doctype
