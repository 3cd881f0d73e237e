"""Frappe v15 Workflows (frappe/model/workflow.py validate_workflow), as far as the pipeline meets them.

An active Workflow on a DocType makes every save check the workflow state field:
- current state = the saved value (the first state of the Workflow for a new document), next state = the value
  being saved; an empty next state becomes the first state;
- the current state must be one of the Workflow's states ("... is not a valid Workflow State");
- when the state changes, a new document is refused, and a saved one needs a transition row from the current
  state to the next whose `allowed` role the user holds (Administrator holds every role) and, when
  `allow_self_approval` is 0, a user other than the document's owner; otherwise WorkflowTransitionError (a
  ValidationError, HTTP 417): "Workflow State transition not allowed from X to Y".
Not modelled: transition conditions, doc_status changes of states, `allow_edit`, Workflow Action emails.
"""

from __future__ import annotations

from typing import Any

from .errors import throw
from .meta import cint


def active_workflow(store: Any, doctype: str) -> dict[str, Any] | None:
    if doctype in ("Workflow", "DocType") or not store.exists("DocType", "Workflow"):
        return None
    rows = store.query("Workflow", fields=["name"], filters={"document_type": doctype, "is_active": 1},
                       page_length=1)
    return store.get("Workflow", str(rows[0]["name"])) if rows else None


def check(store: Any, user_roles: set[str], user: str, doctype: str, before: dict[str, Any] | None,
          data: dict[str, Any]) -> None:
    workflow = active_workflow(store, doctype)
    if workflow is None:
        return
    field = str(workflow.get("workflow_state_field") or "workflow_state")
    states = [str(s.get("state")) for s in workflow.get("states") or []]
    if not states:
        return
    if field not in data and before is not None:
        return  # the state is not being saved
    next_state = str(data.get(field) or "")
    if not next_state:
        next_state = states[0]
        data[field] = next_state
    current = str((before or {}).get(field) or "") or states[0]
    if current not in states:
        raise throw("ValidationError", f"<strong>{current}</strong> is not a valid Workflow State. Please update "
                    "your Workflow and try again.")
    if current == next_state:
        return
    refused = throw("ValidationError", f"Workflow State transition not allowed from <strong>{current}</strong> to "
                    f"<strong>{next_state}</strong>")
    refused.exc_type = "WorkflowTransitionError"
    if before is None:
        raise refused
    admin = user == "Administrator"
    for t in workflow.get("transitions") or []:
        if t.get("state") != current or t.get("next_state") != next_state:
            continue
        if not admin and t.get("allowed") not in user_roles:
            continue
        if not admin and not cint(t.get("allow_self_approval")) and before.get("owner") == user:
            continue
        return
    raise refused
