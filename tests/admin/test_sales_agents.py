"""`pw sales-agent add` makes the agent, its user and the User Permission together, so the agent reads only its
own Commission Ledger entries (issue 19), against the stand-in over a socket."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from pwcore.admin.agents import add_agent
from pwcore.clients.erpnext import ERPNext

PW = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "pw"
KEY, SECRET = "pw-test-key", "pw-test-secret-5d1e"


def test_an_added_agent_reads_only_its_own_ledger(standin_factory: Callable[..., Any], tmp_path: Path) -> None:
    site = standin_factory()
    erp = ERPNext(site.url, KEY, SECRET, retries=1)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ERPNEXT_")}
    env.update({"ERPNEXT_URL": site.url, "ERPNEXT_API_KEY": KEY, "ERPNEXT_API_SECRET": SECRET,
                "SECRETS_DIR": str(tmp_path)})
    out = subprocess.run([str(PW), "sales-agent", "add", "--name", "Agent Ada", "--email", "ada@example.com",
                          "--referral-code", "REF-ADA01"], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["created"] == ["Sales Agent", "User", "User Permission"]
    assert add_agent(erp, "Agent Ada", "ada@example.com", "REF-ADA01")["created"] == []  # idempotent
    add_agent(erp, "Agent Bo", "bo@example.com", "REF-BO001")
    customer = erp.insert("Customer", {"customer_name": "Agent Test Co"})["name"]
    ledgers = {}
    for agent in ("Agent Ada", "Agent Bo"):
        so = erp.insert("Sales Order", {"customer": customer, "items": [{"item_code": "A", "qty": 1, "rate": 1}]})
        ledgers[agent] = erp.insert("Commission Ledger", {"agent": agent, "order": so["name"],
                                                          "service_type": "Formation",
                                                          "commission_amount": 50})["name"]
    secret = erp.call("frappe.core.doctype.user.user.generate_keys", http="POST", user="ada@example.com")
    key = erp.get("User", "ada@example.com")["api_key"]
    ada = ERPNext(site.url, str(key), str(secret["api_secret"]), retries=1)
    assert [r["name"] for r in ada.list_page("Commission Ledger", ["name"])] == [ledgers["Agent Ada"]]
    r = httpx.get(f"{site.url}/api/resource/Commission Ledger/{ledgers['Agent Bo']}", timeout=5,
                  headers={"Authorization": f"token {key}:{secret['api_secret']}"})
    assert r.status_code == 403
    assert [x["role"] for x in erp.get("User", "ada@example.com")["roles"]] == ["Sales Agent"]
