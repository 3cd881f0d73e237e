"""The review Workflow of the order DocTypes, built from the one status table (pure).

`pw erpnext-setup` installs it as a Frappe Workflow on Formation Order and Compliance Service, with the order's
`status` as the workflow state field, so a reviewer approves or asks for a revision with Desk's action buttons and
ERPNext itself refuses anyone else:
- Review -> Approved ("Approve") and Review -> Revision ("Request Revision") are Operations' only;
- the operator's own moves: Failed -> Queued ("Retry"), and, after an uncertain delivery was checked in the mail
  log, Failed -> Delivered ("Mark Delivered") or Failed -> Approved ("Resend"); Refund from any state the table
  lets go to Refunded;
- every other transition of the table is the pipeline's (role Pipeline, action "Pipeline: <next state>").
The notes of a revision stay in the order's Review Notes field. Frappe checks a transition only when the state
changes, so the pipeline's lease renewal (Processing -> Processing) needs no row.
"""

from __future__ import annotations

from typing import Any

from pwcore.model.doctypes import ORDER_DOCTYPES
from pwcore.model.status import TRANSITIONS, Status

OPERATIONS = "Operations"
PIPELINE = "Pipeline"
APPROVE = "Approve"
REQUEST_REVISION = "Request Revision"

# (from, to) -> action, taken by Operations only.
OPERATOR_ACTIONS: dict[tuple[Status, Status], str] = {
    (Status.REVIEW, Status.APPROVED): APPROVE,
    (Status.REVIEW, Status.REVISION): REQUEST_REVISION,
    (Status.FAILED, Status.QUEUED): "Retry",
    (Status.FAILED, Status.DELIVERED): "Mark Delivered",
    (Status.FAILED, Status.APPROVED): "Resend",
}
REFUND = "Refund"


def workflow_name(doctype: str) -> str:
    return f"{doctype} Review"


def transitions() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for (src, dst), action in OPERATOR_ACTIONS.items():
        rows.append({"state": str(src), "action": action, "next_state": str(dst), "allowed": OPERATIONS,
                     "allow_self_approval": 1})
    for src, targets in TRANSITIONS.items():
        for dst in sorted(targets):
            if src == dst or (src, dst) in OPERATOR_ACTIONS:
                continue
            if dst == Status.REFUNDED:
                rows.append({"state": str(src), "action": REFUND, "next_state": str(dst), "allowed": OPERATIONS,
                             "allow_self_approval": 1})
            rows.append({"state": str(src), "action": pipeline_action(dst), "next_state": str(dst),
                         "allowed": PIPELINE, "allow_self_approval": 1})
    return rows


def pipeline_action(target: Status) -> str:
    return f"Pipeline: {target}"


def actions() -> list[str]:
    return list(dict.fromkeys(str(t["action"]) for t in transitions()))


def states() -> list[dict[str, Any]]:
    # The first state is what Frappe gives a new document: Ordered, as the DocType's default.
    return [{"state": str(s), "doc_status": "0", "allow_edit": OPERATIONS} for s in Status]


def workflow(doctype: str) -> dict[str, Any]:
    if doctype not in ORDER_DOCTYPES:
        raise ValueError(f"no review workflow for {doctype!r}")
    return {"workflow_name": workflow_name(doctype), "document_type": doctype, "is_active": 1,
            "override_status": 1, "send_email_alert": 0, "workflow_state_field": "status",
            "states": states(), "transitions": transitions()}


def allowed(current: str, target: str, roles: set[str]) -> bool:
    """Whether a user with `roles` may move an order from `current` to `target` under this Workflow."""
    return any(t["state"] == current and t["next_state"] == target and t["allowed"] in roles for t in transitions())
