"""`pw erpnext-setup`: make an ERPNext site ready for the pipeline, idempotently, through the REST API.

Desired state comes from declarative files shipped with pwcore (the same ones the ERPNext stand-in loads):
`data/doctypes.json` (custom DocTypes with their DocPerm rows + Custom Fields), `data/roles.json` (the roles
those rows name) and `data/webhooks.json` (Webhook records). Order matters to Frappe: the Module Def and the
Roles first (a DocType's module and a DocPerm's role are Links), child tables before their parents. Each item
is read from the site, compared on the keys we own, and created or updated only when it differs; a second run
reports "unchanged" for everything. Fields an operator added to our DocTypes are kept.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from pwcore.clients.erpnext import ERPNext, Forbidden, NotFound
from pwcore.model.doctypes import ORDER_DOCTYPES
from pwcore.orders import workflow as review_workflow
from pwcore.settings import Settings

FIELD_KEYS = ("fieldname", "fieldtype", "label", "options", "reqd", "unique", "default", "length", "read_only",
              "in_list_view", "description", "permlevel")
PERM_KEYS = ("role", "permlevel", "if_owner", "read", "write", "create", "delete", "submit", "cancel", "amend",
             "report", "export", "print", "email", "share")
ROLE_KEYS = ("role_name", "desk_access", "description")
# Frappe's set_default_in_list_view skips these when it picks the first mandatory fields.
_NO_LIST_VIEW = {"Section Break", "Column Break", "Tab Break", "HTML", "Button", "Heading", "Fold", "Image",
                 "Table", "Table MultiSelect"}
DOCTYPE_KEYS = ("module", "custom", "istable", "is_submittable", "autoname", "sort_field", "sort_order",
                "track_changes")
CUSTOM_FIELD_KEYS = ("dt", "fieldname", "label", "fieldtype", "options", "insert_after", "default", "description",
                     "allow_on_submit")
WEBHOOK_KEYS = ("webhook_doctype", "webhook_docevent", "condition", "request_url", "request_method",
                "request_structure", "webhook_json", "enable_security", "timeout", "enabled")


DEFAULT_MODULE = "Performance West"


def load_data(name: str) -> dict[str, Any]:
    return dict(json.loads(resources.files("pwcore").joinpath("data", name).read_text(encoding="utf-8")))


@dataclass
class Change:
    kind: str  # Module Def | Role | DocType | Custom Field | Webhook | Workflow State | ... | Workflow
    name: str
    action: str  # create | update | unchanged
    diff: str = ""


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)

    @property
    def pending(self) -> list[Change]:
        return [c for c in self.changes if c.action != "unchanged"]

    def summary(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for c in self.changes:
            counts[c.action] = counts.get(c.action, 0) + 1
        return {"counts": counts, "changes": [{"kind": c.kind, "name": c.name, "action": c.action}
                                             for c in self.pending]}


def _norm(value: Any) -> Any:
    # Frappe returns every Check/Int property of a DocField/DocType (0 when unset) while the declarative files
    # omit unset ones: 0 and "absent" are the same setting, else every second run would "update" everything.
    if value is None or value == "" or (isinstance(value, int | float) and value == 0):
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return str(value) if not isinstance(value, int) else value


def _pick(doc: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: _norm(doc.get(k)) for k in keys}


def _diff(current: Any, desired: Any) -> str:
    a = json.dumps(current, indent=1, sort_keys=True).splitlines()
    b = json.dumps(desired, indent=1, sort_keys=True).splitlines()
    return "\n".join(difflib.unified_diff(a, b, "site", "desired", lineterm=""))


def with_list_view_defaults(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The fields as Frappe stores them: with no in_list_view field at all, it sets in_list_view on the first
    four mandatory, visible, data fields. Comparing against this keeps a second run at "unchanged"."""
    out = [dict(f) for f in fields]
    if any(f.get("in_list_view") for f in out):
        return out
    picked = [f for f in out if f.get("reqd") and not f.get("hidden") and f.get("fieldtype", "Data") not in
              _NO_LIST_VIEW][:4]
    for f in picked:
        f["in_list_view"] = 1
    return out


def _workflow_rows(rows: Any) -> list[tuple[str, ...]]:
    keys = ("state", "doc_status", "allow_edit", "action", "next_state", "allowed", "allow_self_approval")
    return sorted(tuple(str(_norm(r.get(k)) if r.get(k) is not None else "") for k in keys if k in r)
                  for r in rows or [])


def _perm_rows(rows: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    # Row order carries no meaning to Frappe; compare as a sorted set of normalised rows.
    return sorted(tuple(str(_norm(r.get(k))) for k in PERM_KEYS) for r in rows)


def desired_webhooks(gateway_url: str) -> list[dict[str, Any]]:
    out = []
    for hook in load_data("webhooks.json")["webhooks"]:
        out.append({
            "name": hook["name"], "webhook_doctype": hook["webhook_doctype"],
            "webhook_docevent": hook["webhook_docevent"], "condition": hook["condition"],
            "request_url": f"{gateway_url.rstrip('/')}/{'async-function' if hook.get('async') else 'function'}/"
                           f"{hook['function']}",
            "request_method": "POST",
            "request_structure": "JSON", "webhook_json": hook["webhook_json"], "enable_security": 1,
            "timeout": 5, "enabled": 1,
            # Frappe adds no Content-Type to a webhook made through the API (only Desk's form script adds one).
            "webhook_headers": [{"key": "Content-Type", "value": "application/json"}],
        })
    return out


class Setup:
    def __init__(self, erp: ERPNext, gateway_url: str, webhook_secret: str, rotate_secret: bool = False) -> None:
        self.erp = erp
        self.gateway_url = gateway_url
        self.webhook_secret = webhook_secret
        # Frappe never returns Password fields, so a changed secret cannot be detected: rotation is explicit.
        self.rotate_secret = rotate_secret

    def _get(self, doctype: str, name: str) -> dict[str, Any] | None:
        try:
            return self.erp.get(doctype, name)
        except NotFound:
            return None

    def plan_and_apply(self, apply: bool) -> Plan:
        plan = Plan()
        data = load_data("doctypes.json")
        for module in dict.fromkeys(str(d.get("module") or DEFAULT_MODULE) for d in data["doctypes"]):
            plan.changes.append(self._module_def(module, apply))
        for role in load_data("roles.json")["roles"]:
            plan.changes.append(self._role(role, apply))
        # Child tables first: a parent's Table field links to them.
        for dt in sorted(data["doctypes"], key=lambda d: not d.get("istable")):
            plan.changes.append(self._doctype(dt, apply))
        for cf in data["custom_fields"]:
            plan.changes.append(self._custom_field(cf, apply))
        for hook in desired_webhooks(self.gateway_url):
            plan.changes.append(self._webhook(hook, apply))
        plan.changes += self._workflows(apply)
        return plan

    # -- the review Workflow (pwcore.orders.workflow) ----------------------------------------------------
    def _named(self, doctype: str, key: str, value: str, apply: bool) -> Change:
        if self._get(doctype, value) is not None:
            return Change(doctype, value, "unchanged")
        if apply:
            self.erp.insert(doctype, {key: value})
        return Change(doctype, value, "create")

    def _workflows(self, apply: bool) -> list[Change]:
        changes = [self._named("Workflow State", "workflow_state_name", row["state"], apply)
                   for row in review_workflow.states()]
        changes += [self._named("Workflow Action Master", "workflow_action_name", action, apply)
                    for action in review_workflow.actions()]
        for doctype in ORDER_DOCTYPES:
            desired = review_workflow.workflow(doctype)
            name = str(desired["workflow_name"])
            current = self._get("Workflow", name)
            if current is None:
                if apply:
                    self.erp.insert("Workflow", desired)
                changes.append(Change("Workflow", name, "create"))
                continue
            have = {k: _workflow_rows(current.get(k)) if k in ("states", "transitions") else _norm(current.get(k))
                    for k in desired}
            want = {k: _workflow_rows(v) if k in ("states", "transitions") else _norm(v) for k, v in desired.items()}
            if have == want:
                changes.append(Change("Workflow", name, "unchanged"))
                continue
            if apply:
                self.erp.update("Workflow", name, {k: v for k, v in desired.items() if k != "workflow_name"},
                                modified=str(current["modified"]))
            changes.append(Change("Workflow", name, "update", _diff(have, want)))
        return changes

    def _module_def(self, module: str, apply: bool) -> Change:
        if self._get("Module Def", module) is not None:
            return Change("Module Def", module, "unchanged")
        if apply:
            self.erp.insert("Module Def", {"module_name": module, "app_name": "frappe", "custom": 1})
        return Change("Module Def", module, "create")

    def _role(self, role: dict[str, Any], apply: bool) -> Change:
        name = str(role["role_name"])
        desired = _pick(role, ROLE_KEYS)
        current = self._get("Role", name)
        if current is None:
            if apply:
                self.erp.insert("Role", {k: role[k] for k in ROLE_KEYS if k in role})
            return Change("Role", name, "create", _diff({}, desired))
        have = _pick(current, ROLE_KEYS)
        if have == desired:
            return Change("Role", name, "unchanged")
        if apply:
            self.erp.update("Role", name, {k: role[k] for k in ROLE_KEYS if k in role and k != "role_name"},
                            modified=str(current["modified"]))
        return Change("Role", name, "update", _diff(have, desired))

    def _doctype(self, dt: dict[str, Any], apply: bool) -> Change:
        desired_fields = [_pick(f, FIELD_KEYS) for f in with_list_view_defaults(dt["fields"])]
        desired_perms = [dict(p) for p in dt.get("permissions") or []]
        current = self._get("DocType", dt["name"])
        if current is None:
            if apply:
                body = {k: dt[k] for k in DOCTYPE_KEYS if k in dt}
                body.update({"name": dt["name"], "fields": [dict(f) for f in dt["fields"]],
                             "permissions": desired_perms})
                body.setdefault("module", DEFAULT_MODULE)
                body.setdefault("custom", 1)
                self.erp.insert("DocType", body)
            return Change("DocType", dt["name"], "create", _diff({}, {"fields": desired_fields,
                                                                      "permissions": desired_perms}))
        current_fields = {f.get("fieldname"): _pick(f, FIELD_KEYS) for f in current.get("fields", [])}
        wanted = {f["fieldname"]: f for f in desired_fields}
        differs = [name for name, f in wanted.items() if current_fields.get(name) != f]
        meta_differs = {k for k in DOCTYPE_KEYS if k in dt and _norm(current.get(k)) != _norm(dt[k])}
        perms_differ = _perm_rows(current.get("permissions") or []) != _perm_rows(desired_perms)
        if not differs and not meta_differs and not perms_differ:
            return Change("DocType", dt["name"], "unchanged")
        diff = _diff({n: current_fields.get(n) for n in differs}, {n: wanted[n] for n in differs})
        if perms_differ:
            diff += "\n" + _diff({"permissions": [_pick(p, PERM_KEYS) for p in current.get("permissions") or []]},
                                 {"permissions": [_pick(p, PERM_KEYS) for p in desired_perms]})
        if apply:
            update: dict[str, Any] = {}
            if differs:
                merged = [dict(f) for f in dt["fields"]]
                merged += [f for f in current.get("fields", []) if f.get("fieldname") not in wanted]
                update["fields"] = merged
            if perms_differ:  # a PUT without `permissions` keeps the site's rows
                update["permissions"] = desired_perms
            update.update({k: dt[k] for k in meta_differs})
            self.erp.update("DocType", dt["name"], update, modified=str(current["modified"]))
        return Change("DocType", dt["name"], "update", diff.strip())

    def _custom_field(self, cf: dict[str, Any], apply: bool) -> Change:
        name = f"{cf['dt']}-{cf['fieldname']}"
        desired = _pick(cf, CUSTOM_FIELD_KEYS)
        current = self._get("Custom Field", name)
        if current is None:
            if apply:
                self.erp.insert("Custom Field", dict(cf))
            return Change("Custom Field", name, "create", _diff({}, desired))
        have = _pick(current, CUSTOM_FIELD_KEYS)
        if have == desired:
            return Change("Custom Field", name, "unchanged")
        if apply:
            self.erp.update("Custom Field", name, dict(cf), modified=str(current["modified"]))
        return Change("Custom Field", name, "update", _diff(have, desired))

    def _webhook(self, hook: dict[str, Any], apply: bool) -> Change:
        desired = _pick(hook, WEBHOOK_KEYS)
        desired_headers = [(h["key"], h["value"]) for h in hook["webhook_headers"]]
        current = self._get("Webhook", hook["name"])
        if current is None:
            if apply:
                self.erp.insert("Webhook", {**hook, "webhook_secret": self.webhook_secret})
            return Change("Webhook", hook["name"], "create", _diff({}, desired))
        have = _pick(current, WEBHOOK_KEYS)
        have_headers = [(h.get("key"), h.get("value")) for h in current.get("webhook_headers", [])]
        if have == desired and have_headers == desired_headers and not self.rotate_secret:
            return Change("Webhook", hook["name"], "unchanged")
        if apply:
            body = {k: v for k, v in hook.items() if k != "name"}
            body["webhook_secret"] = self.webhook_secret
            self.erp.update("Webhook", hook["name"], body, modified=str(current["modified"]))
        diff = _diff({**have, "headers": have_headers}, {**desired, "headers": desired_headers})
        return Change("Webhook", hook["name"], "update", diff or "webhook_secret: rotated")


# -- checks beyond the declarative files (`--check`, and warnings on every run) ------------------------------
FRAPPE_FALLBACK_TIME_ZONE = "Asia/Kolkata"  # what Frappe uses while System Settings.time_zone is unset
# Every DocType the functions read with their own key (pipeline_user in roles.json), with the function that
# needs it; a read the pipeline user cannot do is a 403 at run time, so `--check` tries each one first.
PIPELINE_READS: dict[str, str] = {
    "Formation Order": "on-payment, generate-doc, deliver, reconcile",
    "Compliance Service": "on-payment, generate-report, deliver, reconcile",
    "Compliance Calendar": "calendar-tick",
    "Sales Agent": "on-payment (commission)",
    "Commission Ledger": "on-payment (commission), calendar-tick",
    "Sales Invoice": "on-payment, generate-doc, generate-report, reconcile",
    "Sales Order": "on-payment, reconcile",
    "Customer": "generate-doc, generate-report, deliver, presign",
    "Contact": "deliver (opt-out), unsubscribe",
    "Comment": "generate-doc, generate-report, deliver (delivery record)",
    "Communication": "deliver (delivery record)",
}


class PipelineCredentials(Settings):
    """The functions' own ERPNext key, given to `pw erpnext-setup --check` to try the reads they need."""

    model_config = SettingsConfigDict(env_prefix="ERPNEXT_PIPELINE_")
    api_key: SecretStr | None = None
    api_secret: SecretStr | None = None


def site_time_zone(erp: ERPNext) -> tuple[str, bool]:
    """(the zone Frappe uses for `modified`, whether System Settings sets it); needs System Manager."""
    doc = erp.get("System Settings", "System Settings")
    zone = str(doc.get("time_zone") or "")
    return (zone, True) if zone else (FRAPPE_FALLBACK_TIME_ZONE, False)


def time_zone_problem(erp: ERPNext, expected: str) -> str | None:
    zone, set_on_site = site_time_zone(erp)
    if zone == expected:
        return None
    how = "System Settings time_zone" if set_on_site else "System Settings time_zone is unset: Frappe's fallback"
    return (f"site time zone is {zone} ({how}) but ERPNEXT_TIMEZONE is {expected}: the functions read `modified` "
            "in ERPNEXT_TIMEZONE, so leases and reconcile's age filters would be off; set System Settings "
            "time_zone (Desk: System Settings > Time Zone) or ERPNEXT_TIMEZONE to the same zone")


def pipeline_permission_problems(pipeline: ERPNext) -> list[str]:
    """One line per DocType the pipeline user cannot read, naming the function that needs it."""
    problems: list[str] = []
    for doctype, needed_by in PIPELINE_READS.items():
        try:
            pipeline.list_page(doctype, fields=["name"], limit_page_length=1)
        except Forbidden as exc:
            refused = exc.refusal()
            problems.append(f"pipeline user lacks {refused.get('permission', 'read')} on {doctype} "
                            f"(needed by {needed_by}): give it the roles of pipeline_user in roles.json")
        except NotFound:
            problems.append(f"DocType {doctype} does not exist on the site (needed by {needed_by})")
    return problems


def module_def_warnings(plan: Plan) -> list[str]:
    return [f"Module Def {c.name!r} does not exist: it is created first (Frappe refuses a DocType whose module "
            "is missing with 417 LinkValidationError)" for c in plan.pending if c.kind == "Module Def"]
