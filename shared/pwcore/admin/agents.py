"""`pw sales-agent add`: the one flow that creates a referring Sales Agent, so every agent's desk/API user
sees only their own Commission Ledger entries.

Frappe restricts a user by User Permission rows (user, allow, for_value): with one for allow = Sales Agent, every
DocType with a Link to Sales Agent (the Commission Ledger's `agent`) lists and opens only the rows linked to
that agent. A user with the Sales Agent role and *no* User Permission would see every agent's entries, so the
Sales Agent record, its user (role Sales Agent only) and the User Permission are made together, idempotently.
"""

from __future__ import annotations

from typing import Any

from pwcore.clients.erpnext import ERPNext, NotFound

AGENT_ROLE = "Sales Agent"


def add_agent(erp: ERPNext, agent_name: str, email: str, referral_code: str) -> dict[str, Any]:
    """Create (or complete) the agent, its user and its User Permission; returns what was created."""
    created: list[str] = []
    try:
        agent = erp.get("Sales Agent", agent_name)
    except NotFound:
        agent = erp.insert("Sales Agent", {"agent_name": agent_name, "email": email, "referral_code": referral_code})
        created.append("Sales Agent")
    try:
        user = erp.get("User", email)
        roles = [str(r.get("role")) for r in user.get("roles") or []]
        if AGENT_ROLE not in roles:
            erp.update("User", email, {"roles": [{"role": r} for r in roles] + [{"role": AGENT_ROLE}]},
                       modified=str(user["modified"]))
            created.append("role")
    except NotFound:
        erp.insert("User", {"email": email, "first_name": agent_name, "user_type": "Website User",
                            "send_welcome_email": 0, "roles": [{"role": AGENT_ROLE}]})
        created.append("User")
    existing = erp.list_page("User Permission", ["name", "for_value"], [
        ["user", "=", email], ["allow", "=", "Sales Agent"]], limit_page_length=100)
    if not any(r.get("for_value") == agent["name"] for r in existing):
        erp.insert("User Permission", {"user": email, "allow": "Sales Agent", "for_value": agent["name"],
                                       "apply_to_all_doctypes": 1})
        created.append("User Permission")
    return {"agent": agent["name"], "user": email, "created": created}
