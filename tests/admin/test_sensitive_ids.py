"""Sensitive IDs: the masked form beside the Password field, written with the value; only Operations reads
them, nobody lists the value (issue 19)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from pwcore.model.sensitive_ids import InvalidSensitiveId, mask_id

PW = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "pw"
KEY, SECRET = "pw-test-key", "pw-test-secret-5d1e"
USERS = [{"user": "Administrator", "api_key": KEY, "api_secret": SECRET},
         {"user": "ops@example.com", "api_key": "ops-key", "api_secret": "ops-secret", "roles": ["Operations"]},
         {"user": "support@example.com", "api_key": "sup-key", "api_secret": "sup-secret", "roles": ["Support"]}]


def test_masked_forms() -> None:
    assert mask_id("SSN", "123-45-6789") == "***-**-6789"
    assert mask_id("ITIN", "912 70 1234") == "***-**-1234"
    assert mask_id("EIN", "12-3456789") == "**-***6789"
    for id_type, bad in (("SSN", "12345"), ("ITIN", "123-45-6789"), ("PIN", "123456789")):
        with pytest.raises(InvalidSensitiveId) as caught:
            mask_id(id_type, bad)
        assert bad not in str(caught.value)


def test_pw_sensitive_id_add_stores_value_and_mask(standin_factory: Callable[..., Any], tmp_path: Path) -> None:
    site = standin_factory(users=USERS)
    admin = httpx.Client(base_url=site.url, headers={"Authorization": f"token {KEY}:{SECRET}"}, timeout=10)
    assert admin.post("/api/resource/Customer", json={"customer_name": "Masked LLC"}).status_code == 200
    env = {k: v for k, v in os.environ.items() if not k.startswith("ERPNEXT_")}
    env.update({"ERPNEXT_URL": site.url, "ERPNEXT_API_KEY": "ops-key", "ERPNEXT_API_SECRET": "ops-secret",
                "SECRETS_DIR": str(tmp_path)})
    out = subprocess.run([str(PW), "sensitive-id", "add", "--customer", "Masked LLC", "--type", "SSN"], env=env,
                         input="123-45-6789\n", capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "123-45-6789" not in out.stdout + out.stderr and "6789" in out.stdout
    name = json.loads(out.stdout)["name"]
    ops = httpx.Client(base_url=site.url, headers={"Authorization": "token ops-key:ops-secret"}, timeout=10)
    doc = ops.get(f"/api/resource/Sensitive ID/{name}").json()["data"]
    assert doc["id_masked"] == "***-**-6789" and doc["id_value"] != "123-45-6789"
    listed = ops.get("/api/resource/Sensitive ID", params={"fields": '["*"]'}).json()["data"]
    assert "123-45-6789" not in json.dumps(listed) and listed[0]["id_masked"] == "***-**-6789"
    plain = ops.get("/api/method/frappe.client.get_password",
                    params={"doctype": "Sensitive ID", "name": name, "fieldname": "id_value"})
    assert plain.json()["message"] == "123-45-6789"  # Operations holds permlevel 1
    support = httpx.Client(base_url=site.url, headers={"Authorization": "token sup-key:sup-secret"}, timeout=10)
    assert support.get("/api/resource/Sensitive ID").status_code == 403
    assert support.get(f"/api/resource/Sensitive ID/{name}").status_code == 403
    bad = subprocess.run([str(PW), "sensitive-id", "add", "--customer", "Masked LLC", "--type", "EIN"], env=env,
                         input="12-34\n", capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "12-34" not in bad.stdout + bad.stderr
