"""`pw erpnext-setup` against ERPNext stand-ins started as empty sites (only Frappe's standard DocTypes): it
creates everything through REST, is idempotent, `--check` / `--dry-run` change nothing, a drifted webhook is
updated in place, and bad credentials give a clear message. (That the webhooks it creates drive the pipeline
end to end is tested on the local stack in test_sweep.py.)"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pwcore.admin.erpnext_setup import Setup, desired_webhooks, load_data
from pwcore.clients.erpnext import ERPNext

KEY = "setup-test-key"
SECRET = "setup-test-secret-93a1"
WEBHOOK_SECRET = "setup-test-webhook-secret-2f"
GATEWAY = "http://gateway.example.test:8080"
PW = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "pw"


@pytest.fixture
def site() -> Iterator[Any]:
    from pwdev.erpnext import ERPNextStandin

    s = ERPNextStandin(seeded=False, users=[{"user": "Administrator", "api_key": KEY, "api_secret": SECRET}],
                       retry_sleep_scale=0.01)
    s.start(host="127.0.0.1", port=0)
    yield s
    s.stop()


@pytest.fixture
def erp(site: Any) -> ERPNext:
    return ERPNext(site.url, KEY, SECRET, retries=1)


@pytest.fixture
def pw(site: Any, tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    def run(*args: str, secret: str = SECRET,
            webhook_secret: str = WEBHOOK_SECRET) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ERPNEXT_", "WEBHOOK_"))}
        env.update({"ERPNEXT_URL": site.url, "ERPNEXT_API_KEY": KEY, "ERPNEXT_API_SECRET": secret,
                    "ERPNEXT_RETRIES": "1", "WEBHOOK_SECRET": webhook_secret,
                    "SECRETS_DIR": str(tmp_path / "no-secrets")})  # env only: no secret files win
        return subprocess.run([str(PW), "erpnext-setup", "--gateway-url", GATEWAY, *args], env=env,
                              capture_output=True, text=True, timeout=60)

    return run


def writes(site: Any) -> int:
    stats = httpx.get(f"{site.url}/_standin/stats", timeout=5).json()["by_method"]
    return int(sum(v for k, v in stats.items() if k in ("POST", "PUT", "DELETE")))


def names(erp: ERPNext, doctype: str) -> list[str]:
    return sorted(str(r["name"]) for r in erp.list(doctype, fields=["name"]))


def expected_counts() -> tuple[int, int, int]:
    """(DocTypes + their Module Def + Roles, Custom Fields, Webhooks) that setup creates on an empty site."""
    data = load_data("doctypes.json")
    modules = {d["module"] for d in data["doctypes"]}
    roles = load_data("roles.json")["roles"]
    from pwcore.orders import workflow

    # The review Workflow: its states, its actions and one Workflow per order DocType.
    n_workflow = len(workflow.states()) + len(workflow.actions()) + 2
    return (len(data["doctypes"]) + len(modules) + len(roles) + n_workflow, len(data["custom_fields"]),
            len(load_data("webhooks.json")["webhooks"]))


def test_fresh_site_gets_everything_then_a_second_run_changes_nothing(site: Any, erp: ERPNext,
                                                                      pw: Callable[..., Any]) -> None:
    n_doctypes, n_fields, n_hooks = expected_counts()
    assert names(erp, "Webhook") == []
    first = pw()
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout.strip().splitlines()[-1])
    assert summary["counts"] == {"create": n_doctypes + n_fields + n_hooks}
    for dt in load_data("doctypes.json")["doctypes"]:
        got_dt = erp.get("DocType", dt["name"])
        assert got_dt["custom"] == 1 and got_dt["module"] == "Performance West"
        assert [p["role"] for p in got_dt["permissions"]] == [p["role"] for p in dt.get("permissions", [])]
        assert got_dt.get("track_changes") == (0 if dt.get("istable") else 1)
    # Frappe marked Sensitive ID's first mandatory fields in_list_view (the file marks none); still "unchanged"
    assert [f["fieldname"] for f in erp.get("DocType", "Sensitive ID")["fields"] if f.get("in_list_view")] == \
        ["customer", "id_type", "id_value"]
    assert set(names(erp, "Role")) >= {"Operations", "Support", "API User", "Sales Agent", "Pipeline"}
    assert len(names(erp, "Custom Field")) >= n_fields
    hooks = {h["name"]: h for h in desired_webhooks(GATEWAY)}
    assert names(erp, "Webhook") == sorted(hooks)
    for name, want in hooks.items():
        got = erp.get("Webhook", name)
        assert got["request_url"] == want["request_url"] and got["request_url"].startswith(GATEWAY + "/")
        assert (got["webhook_doctype"], got["webhook_docevent"], got["condition"]) == (
            want["webhook_doctype"], want["webhook_docevent"], want["condition"])
        assert got["enable_security"] == 1 and got["request_structure"] == "JSON"
        assert [(h["key"], h["value"]) for h in got["webhook_headers"]] == [("Content-Type", "application/json")]
        assert got["webhook_json"] == want["webhook_json"]
        assert WEBHOOK_SECRET not in json.dumps(got)  # the Password field is never read back
    before = writes(site)
    second = pw()
    assert second.returncode == 0, second.stderr
    assert "nothing to change" in second.stdout
    assert json.loads(second.stdout.strip().splitlines()[-1])["counts"] == {
        "unchanged": n_doctypes + n_fields + n_hooks}
    assert writes(site) == before  # not one write


def test_check_exits_1_on_a_differing_site_and_0_after_setup(site: Any, erp: ERPNext,
                                                             pw: Callable[..., Any]) -> None:
    before = writes(site)
    check = pw("--check")
    assert check.returncode == 1, check.stdout + check.stderr
    assert "would create Webhook pw-invoice-paid" in check.stdout
    assert writes(site) == before and names(erp, "Webhook") == []
    assert pw().returncode == 0
    again = pw("--check")
    assert again.returncode == 0, again.stdout
    assert "nothing to change" in again.stdout


def test_dry_run_prints_a_diff_and_changes_nothing(site: Any, erp: ERPNext, pw: Callable[..., Any]) -> None:
    Setup(erp, GATEWAY, WEBHOOK_SECRET).plan_and_apply(apply=True)
    erp.update("Webhook", "pw-formation-approved", {"condition": "doc.status == \"Approved\""})
    before = writes(site)
    out = pw("--dry-run")
    assert out.returncode == 0, out.stderr
    assert "would update Webhook pw-formation-approved" in out.stdout
    assert "--- site" in out.stdout and "+++ desired" in out.stdout
    lines = [line.replace(" ", "") for line in out.stdout.splitlines()]
    assert '-"condition":"doc.status==\\"Approved\\"",' in lines, out.stdout
    assert '+"condition":"doc.status==\\"Approved\\"anddoc.has_value_changed(\\"status\\")",' in lines, out.stdout
    assert writes(site) == before
    assert erp.get("Webhook", "pw-formation-approved")["condition"] == "doc.status == \"Approved\""


def test_webhook_with_another_url_is_updated_not_duplicated(site: Any, erp: ERPNext,
                                                           pw: Callable[..., Any]) -> None:
    Setup(erp, "http://old-gateway.example.test:8080", WEBHOOK_SECRET).plan_and_apply(apply=True)
    count = len(names(erp, "Webhook"))
    out = pw()
    assert out.returncode == 0, out.stderr
    updated = [line for line in out.stdout.splitlines() if line.startswith("update Webhook")]
    assert len(updated) == count
    assert len(names(erp, "Webhook")) == count  # same records, no duplicates
    for hook in desired_webhooks(GATEWAY):
        assert erp.get("Webhook", hook["name"])["request_url"] == hook["request_url"]
    assert "nothing to change" in pw().stdout


def test_operator_fields_are_kept_when_a_doctype_is_updated(site: Any, erp: ERPNext) -> None:
    setup = Setup(erp, GATEWAY, WEBHOOK_SECRET)
    setup.plan_and_apply(apply=True)
    doc = erp.get("DocType", "Formation Order")
    fields = [f for f in doc["fields"] if f["fieldname"] != "review_notes"]  # drift: one of ours is gone
    fields.append({"fieldname": "operator_note", "fieldtype": "Data", "label": "Operator Note"})
    erp.update("DocType", "Formation Order", {"fields": fields}, modified=str(doc["modified"]))
    plan = setup.plan_and_apply(apply=True)
    assert [(c.kind, c.name, c.action) for c in plan.pending] == [("DocType", "Formation Order", "update")]
    after = {f["fieldname"] for f in erp.get("DocType", "Formation Order")["fields"]}
    assert {"review_notes", "operator_note"} <= after
    assert not setup.plan_and_apply(apply=False).pending


def test_bad_credentials_name_the_settings(site: Any, erp: ERPNext, pw: Callable[..., Any]) -> None:
    wrong = "not-the-secret-4711"
    out = pw(secret=wrong)
    assert out.returncode != 0
    assert "ERPNEXT_API_KEY" in out.stderr and "ERPNEXT_API_SECRET" in out.stderr
    assert wrong not in out.stdout + out.stderr and SECRET not in out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    assert names(erp, "Webhook") == []


def test_unreachable_erpnext_names_the_url_setting(pw: Callable[..., Any], site: Any) -> None:
    site.stop()
    out = pw()
    assert out.returncode != 0
    assert "ERPNEXT_URL" in out.stderr and "Traceback" not in out.stderr


def test_rotate_secret_rewrites_every_webhook_secret(site: Any, erp: ERPNext, pw: Callable[..., Any]) -> None:
    assert pw().returncode == 0
    hooks = names(erp, "Webhook")
    assert "nothing to change" in pw().stdout  # Frappe hides the secret, so a plain run cannot see a change
    rotated = pw("--rotate-secret", webhook_secret="rotated-webhook-secret-77c1")
    assert rotated.returncode == 0, rotated.stderr
    assert sum(line.startswith("update Webhook") for line in rotated.stdout.splitlines()) == len(hooks)
    for hook in hooks:
        secret = erp.call("frappe.client.get_password", doctype="Webhook", name=hook, fieldname="webhook_secret")
        assert secret == "rotated-webhook-secret-77c1"
    assert names(erp, "Webhook") == hooks


def test_permission_drift_is_put_back(site: Any, erp: ERPNext) -> None:
    setup = Setup(erp, GATEWAY, WEBHOOK_SECRET)
    setup.plan_and_apply(apply=True)
    doc = erp.get("DocType", "Commission Ledger")
    loose = [{**p, "if_owner": 0} for p in doc["permissions"]]  # drift: agents would read every entry
    erp.update("DocType", "Commission Ledger", {"permissions": loose}, modified=str(doc["modified"]))
    plan = setup.plan_and_apply(apply=False)
    assert [(c.kind, c.name, c.action) for c in plan.pending] == [("DocType", "Commission Ledger", "update")]
    assert "if_owner" in plan.pending[0].diff
    setup.plan_and_apply(apply=True)
    rows = {p["role"]: p for p in erp.get("DocType", "Commission Ledger")["permissions"]}
    assert rows["Sales Agent"]["if_owner"] == 1 and rows["Sales Agent"]["read"] == 1
    assert rows["Pipeline"]["create"] == 1 and rows["Pipeline"]["delete"] == 0
    assert not setup.plan_and_apply(apply=False).pending
