"""The S3 layout: every key the pipeline uses comes from one module, and key checks are full matches."""

from __future__ import annotations

import pytest

from pwcore.model import layout
from pwcore.model.doctypes import UnsafeName


def test_every_key_of_a_version_sits_in_its_folder() -> None:
    prefix = layout.version_prefix("FO-2026-0001", 3)
    assert prefix == "orders/FO-2026-0001/v3/"
    for key in (layout.manifest_key("FO-2026-0001", 3), layout.sent_marker_key("FO-2026-0001", 3),
                layout.recorded_marker_key("FO-2026-0001", 3)):
        assert key.startswith(prefix)
    assert layout.manifest_key("FO-2026-0001", 3) == prefix + "manifest.json"
    assert layout.sent_marker_key("FO-2026-0001", 3) == prefix + "delivery/sent.json"


def test_keys_outside_versions() -> None:
    assert layout.invoice_key("ACC-SINV-2026-00001") == "invoices/ACC-SINV-2026-00001.pdf"
    reminder = layout.reminder_key("CC-2026-00001", "2026-12-01", "Due Soon")
    assert reminder == "reminders/CC-2026-00001/2026-12-01/due-soon.json"
    assert layout.RECONCILE_LOCK_KEY == "locks/reconcile.json"
    assert layout.llm_cache_key("ab" * 32) == f"llm-cache/{'ab' * 32}.json"


@pytest.mark.parametrize("key", [
    "orders/FO-1/v1/a.pdf\n", "orders/FO-1/v1/../v2/a.pdf", "templates/x.docx", "backups/daily/x.gpg",
    "orders/FO-1/v2/a.pdf", "orders/FO-1/v1/", "orders/FO-1/v1//a.pdf", "orders/FO-1/v1/a b.pdf",
    "orders/FO-1/v1/%2e%2e/a.pdf",
])
def test_check_key_refuses_anything_outside_the_version(key: str) -> None:
    with pytest.raises(UnsafeName):
        layout.check_key(key, "orders/FO-1/v1/")


def test_check_key_accepts_a_plain_key() -> None:
    assert layout.check_key("orders/FO-1/v1/operating-agreement.pdf", "orders/FO-1/v1/")


def test_slug() -> None:
    assert layout.slug("Harbor Lane / LLC") == "Harbor-Lane-LLC"
    assert layout.slug("///") == "document"
