"""The conformance runner refuses a site that has orders unless --allow-existing, and then touches only its
own PWCONF- records (issue 19). The "real site" here is a stand-in reached by URL, like an operator's."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pwcore.clients.erpnext import ERPNext
from pwdev.demo import place_order

ROOT = Path(__file__).resolve().parents[2]
KEY, SECRET = "pw-test-key", "pw-test-secret-5d1e"  # the root conftest's Administrator


def run(site: Any, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PW_CONFORMANCE_")}
    env.update({"PW_CONFORMANCE_ERPNEXT_URL": site.url, "PW_CONFORMANCE_API_KEY": KEY,
                "PW_CONFORMANCE_API_SECRET": SECRET})
    return subprocess.run([sys.executable, str(ROOT / "tools" / "conformance.py"), *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=240)


def test_a_site_with_orders_is_refused_unless_allowed(standin_factory: Callable[..., Any]) -> None:
    site = standin_factory()
    erp = ERPNext(site.url, KEY, SECRET, retries=1)
    place_order(erp, "Existing Business LLC", "e@example.com", compliance=False)
    customers_before = sorted(r["name"] for r in erp.list("Customer", ["name"]))
    refused = run(site)
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert "has orders" in refused.stdout + refused.stderr and "--allow-existing" in refused.stdout + refused.stderr
    allowed = run(site, "--allow-existing", "-k", "error_bodies or timestamp or list_pages")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "3 passed" in allowed.stdout
    # Everything it made is gone again; what was there is untouched.
    assert sorted(r["name"] for r in erp.list("Customer", ["name"])) == customers_before
