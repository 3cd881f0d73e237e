"""Small definitions of the standard Frappe/ERPNext DocTypes the pipeline touches.

Same shape as shared/pwcore/data/doctypes.json so one loader builds both. Only the fields the project (and a
realistic client) uses are present; real ERPNext has many more.
"""

from __future__ import annotations

from typing import Any


def _f(fieldname: str, fieldtype: str = "Data", label: str | None = None, **kw: Any) -> dict[str, Any]:
    d: dict[str, Any] = {"fieldname": fieldname, "fieldtype": fieldtype,
                         "label": label or fieldname.replace("_", " ").title()}
    d.update(kw)
    return d


_DOCFIELD_PROPS = [
    _f("fieldname"), _f("label"), _f("fieldtype", default="Data"), _f("options", "Small Text"),
    _f("reqd", "Check"), _f("unique", "Check"), _f("default", "Small Text"), _f("length", "Int"),
    _f("in_list_view", "Check"), _f("read_only", "Check"), _f("hidden", "Check"),
    _f("allow_on_submit", "Check"), _f("description", "Small Text"), _f("search_index", "Check"),
    _f("non_negative", "Check"), _f("precision", "Data"), _f("permlevel", "Int"),
]

# frappe/core/doctype/docperm/docperm.json: read/write/create/delete/report/export/share/print/email default 1.
_PTYPES_ON = ("read", "write", "create", "delete", "report", "export", "share", "print", "email")
_PTYPES_OFF = ("submit", "cancel", "amend", "import", "select", "if_owner")
PTYPES = ("read", "write", "create", "delete", "submit", "cancel", "amend", "report", "export", "import",
          "print", "email", "share", "select")
_DOCPERM = [_f("role", "Link", "Role", options="Role", reqd=1), _f("permlevel", "Int", "Level", default="0"),
            *[_f(p, "Check", default="1") for p in _PTYPES_ON], *[_f(p, "Check", default="0") for p in _PTYPES_OFF]]


def perm(role: str, *grants: str, if_owner: int = 0, permlevel: int = 0) -> dict[str, Any]:
    """A DocPerm row granting exactly `grants` (every other right explicitly 0)."""
    return {"role": role, "permlevel": permlevel, "if_owner": if_owner, **{p: int(p in grants) for p in PTYPES}}


_ALL = ("read", "write", "create", "delete", "report", "export", "print", "email", "share")
_SUBMIT = (*_ALL, "submit", "cancel", "amend")
_SM = [perm("System Manager", *_ALL)]


# Bootstrap DocTypes: needed before any DocType record can be stored.
BOOTSTRAP: list[dict[str, Any]] = [
    {"name": "DocField", "istable": 1, "autoname": "hash", "fields": _DOCFIELD_PROPS},
    {"name": "Role", "autoname": "field:role_name", "permissions": _SM, "fields": [
        _f("role_name", reqd=1, unique=1), _f("desk_access", "Check", default="1"), _f("disabled", "Check"),
        _f("description", "Small Text"),
    ]},
    {"name": "DocPerm", "istable": 1, "autoname": "hash", "fields": _DOCPERM},
    {"name": "Has Role", "istable": 1, "autoname": "hash", "fields": [_f("role", "Link", "Role", options="Role")]},
    {"name": "Module Def", "autoname": "field:module_name", "permissions": _SM, "fields": [
        _f("module_name", reqd=1, unique=1), _f("custom", "Check"), _f("app_name", reqd=1),
    ]},
    {"name": "DocType", "autoname": "prompt", "permissions": _SM, "fields": [
        _f("module", "Link", "Module", options="Module Def"), _f("custom", "Check"),
        _f("istable", "Check", "Is Child Table"),
        _f("issingle", "Check"), _f("is_submittable", "Check"), _f("autoname"), _f("naming_rule"),
        _f("title_field"), _f("sort_field", default="modified"), _f("sort_order", default="DESC"),
        _f("track_changes", "Check"), _f("description", "Small Text"),
        _f("fields", "Table", "Fields", options="DocField"),
        _f("permissions", "Table", "Permissions", options="DocPerm"),
    ]},
    {"name": "Custom Field", "autoname": "custom_field", "permissions": _SM, "fields": [
        _f("dt", "Link", "Document", options="DocType", reqd=1), _f("module"),
        *[p for p in _DOCFIELD_PROPS if p["fieldname"] != "fieldname"],
        _f("fieldname"), _f("insert_after"),
    ]},
]

def _item_fields(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of a selling document's item table (Sales Order Item, Sales Invoice Item)."""
    return [_f("item_code", reqd=1), _f("item_name"), _f("description", "Text Editor"),
            _f("qty", "Float", "Quantity", reqd=1, default="1"), _f("rate", "Currency"), _f("amount", "Currency"),
            *extra]


def _selling_perms(manager: str, user: str, *, reader: str) -> list[dict[str, Any]]:
    """A submittable selling document's rows: its two owning roles and System Manager submit, `reader` reads."""
    return [perm(manager, *_SUBMIT), perm(user, *_SUBMIT), perm(reader, "read", "report", "print", "email"),
            perm("System Manager", *_SUBMIT)]


def _selling_fields(doctype: str, series: str, dates: tuple[dict[str, Any], ...],
                    *rest: dict[str, Any]) -> list[dict[str, Any]]:
    """A selling document's fields: the series, the customer, its dates, the items, the totals, then `rest`."""
    return [_f("naming_series", "Select", "Series", options=series, default=series, reqd=1),
            _f("customer", "Link", options="Customer", reqd=1), _f("customer_name"), *dates,
            _f("items", "Table", "Items", options=f"{doctype} Item", reqd=1),
            _f("total", "Currency"), _f("grand_total", "Currency"), *rest]


_SO_STATUS = "\nDraft\nOn Hold\nTo Pay\nTo Deliver and Bill\nTo Bill\nTo Deliver\nCompleted\nCancelled\nClosed"

STANDARD: list[dict[str, Any]] = [
    {"name": "System Settings", "issingle": 1, "permissions": _SM, "fields": [
        _f("time_zone", "Data", "Time Zone"), _f("first_day_of_the_week", "Data", "First Day of the Week"),
    ]},
    {"name": "User", "autoname": "field:email", "permissions": _SM, "fields": [
        _f("email", reqd=1, unique=1), _f("first_name"), _f("last_name"), _f("full_name"),
        _f("enabled", "Check", default="1"), _f("user_type", "Select", options="System User\nWebsite User",
                                                 default="System User"),
        _f("api_key", unique=1), _f("api_secret", "Password", "API Secret"),
        _f("roles", "Table", "Roles Assigned", options="Has Role"),
    ]},
    # frappe/core/doctype/user_permission: restricts what `user` sees of every DocType with a Link to `allow`
    # (and of `allow` itself) to the documents whose link is `for_value`.
    {"name": "User Permission", "autoname": "hash", "permissions": _SM, "fields": [
        _f("user", "Link", "User", options="User", reqd=1),
        _f("allow", "Link", "Allow", options="DocType", reqd=1),
        _f("for_value", "Dynamic Link", "For Value", options="allow", reqd=1),
        _f("is_default", "Check", "Is Default"),
        _f("apply_to_all_doctypes", "Check", "Apply To All Document Types", default="1"),
        _f("applicable_for", "Link", "Applicable For", options="DocType"),
    ]},
    {"name": "Dynamic Link", "istable": 1, "autoname": "hash", "fields": [
        _f("link_doctype", "Link", "Link Document Type", options="DocType", reqd=1),
        _f("link_name", "Data", "Link Name", reqd=1), _f("link_title"),
    ]},
    {"name": "Contact", "autoname": "contact", "permissions": [
        *_SM, perm("Sales User", "read", "write", "create", "report", "export", "print", "email", "share"),
        perm("Accounts User", "read", "write", "create", "report", "export", "print", "email", "share"),
    ], "fields": [
        _f("first_name", reqd=1), _f("last_name"), _f("full_name"), _f("email_id", label="Email Address"),
        _f("phone"), _f("mobile_no"), _f("status", "Select", options="Passive\nOpen\nReplied", default="Passive"),
        _f("links", "Table", "Links", options="Dynamic Link"),
    ]},
    {"name": "Customer", "autoname": "field:customer_name", "permissions": [
        perm("Sales Manager", *_ALL), perm("Sales User", "read", "write", "create", "report", "print", "email"),
        perm("Accounts User", "read", "report", "print", "email"), perm("System Manager", *_ALL),
    ], "fields": [
        _f("customer_name", reqd=1),
        _f("customer_type", "Select", options="Company\nIndividual\nPartnership", default="Company", reqd=1),
        _f("customer_group"), _f("territory"), _f("email_id", label="Email Id"), _f("mobile_no"),
        _f("customer_primary_contact", "Link", "Customer Primary Contact", options="Contact"),
        _f("disabled", "Check", default="0"),
    ]},
    {"name": "Sales Order Item", "istable": 1, "autoname": "hash", "fields": _item_fields()},
    {"name": "Sales Order", "autoname": "naming_series:", "is_submittable": 1,
     "permissions": _selling_perms("Sales Manager", "Sales User", reader="Accounts User"),
     "fields": _selling_fields("Sales Order", "SAL-ORD-.YYYY.-", (
         _f("transaction_date", "Date", "Date", default="Today", reqd=1), _f("delivery_date", "Date")),
         _f("status", "Select", options=_SO_STATUS, default="Draft", allow_on_submit=1))},
    {"name": "Sales Invoice Item", "istable": 1, "autoname": "hash",
     "fields": _item_fields(_f("sales_order", "Link", options="Sales Order"))},
    {"name": "Sales Invoice", "autoname": "naming_series:", "is_submittable": 1,
     "permissions": _selling_perms("Accounts Manager", "Accounts User", reader="Sales User"),
     "fields": _selling_fields("Sales Invoice", "ACC-SINV-.YYYY.-", (
         _f("posting_date", "Date", "Date", default="Today", reqd=1), _f("due_date", "Date", "Payment Due Date")),
         _f("outstanding_amount", "Currency"),
         _f("status", "Select", options="\nDraft\nUnpaid\nPaid\nPartly Paid\nOverdue\nCancelled",
            default="Draft"))},
    # Permission rows as in frappe/core/doctype/{comment,communication}/*.json.
    {"name": "Comment", "autoname": "hash", "permissions": [*_SM, perm("Website Manager", *_ALL)], "fields": [
        _f("comment_type", "Select", options="Comment\nLike\nInfo\nLabel\nWorkflow\nCreated\nSubmitted\n"
           "Cancelled\nUpdated\nDeleted\nAssigned\nAssignment Completed\nAttachment\nAttachment Removed\n"
           "Shared\nUnshared\nBot\nRelinked\nEdit", default="Comment", reqd=1),
        _f("reference_doctype", "Link", options="DocType"), _f("reference_name", "Data"),
        _f("content", "HTML Editor"), _f("comment_email"), _f("comment_by"),
        _f("published", "Check"), _f("seen", "Check"),
    ]},
    {"name": "Communication", "autoname": "hash", "permissions": [
        perm("System Manager", "read", "write", "create", "delete", "report", "share"),
        perm("All", "read", "write", "create", "delete", if_owner=1),
    ], "fields": [
        _f("subject", "Small Text", reqd=1), _f("content", "Text Editor", "Message"),
        _f("communication_type", "Select", options="Communication\nComment\nAutomated Message",
           default="Communication"),
        _f("communication_medium", "Select", "Type",
           options="\nEmail\nChat\nPhone\nSMS\nEvent\nMeeting\nVisit\nOther"),
        _f("sent_or_received", "Select", options="Sent\nReceived", default="Sent", reqd=1),
        _f("sender", label="Sender"), _f("recipients", "Code", "To"), _f("cc", "Code", "CC"),
        _f("communication_date", "Datetime", "Date", default="Now"),
        _f("reference_doctype", "Link", options="DocType"), _f("reference_name", "Data"),
        _f("message_id", "Small Text"),
        _f("status", "Select", options="\nOpen\nReplied\nClosed\nLinked"),
        _f("email_status", "Select", options="Open\nSpam\nTrash", default="Open"),
    ]},
    # frappe/core/doctype/todo/todo.json (v15): one row for "Desk User", the role every System User holds
    # implicitly. Frappe also narrows ToDo lists of users without a non-automatic ToDo role to the ones allocated
    # to or assigned by them; the stand-in does not model that list condition.
    {"name": "ToDo", "autoname": "hash", "permissions": [
        *_SM, perm("Desk User", "read", "write", "create", "delete", "report", "print", "email", "share"),
    ], "fields": [
        _f("status", "Select", options="Open\nClosed\nCancelled", default="Open"),
        _f("priority", "Select", options="High\nMedium\nLow", default="Medium"), _f("date", "Date", "Due Date"),
        _f("allocated_to", "Link", "Allocated To", options="User"), _f("description", "Text Editor", reqd=1),
        _f("reference_type", "Link", options="DocType"), _f("reference_name", "Dynamic Link", options="reference_type"),
        _f("role", "Link", "Assigned To Role", options="Role"), _f("assigned_by", "Link", options="User"),
    ]},
    # frappe/core/doctype/file/file.json: System Manager, and "All" on the Files they own; reading a File
    # attached to a document one may read is File.has_permission (modelled where files are served).
    {"name": "File", "autoname": "hash", "permissions": [
        perm("System Manager", *_ALL), perm("All", "read", "write", "create", "delete", if_owner=1),
    ], "fields": [
        _f("file_name"), _f("file_url", "Code", "File URL"), _f("is_private", "Check"), _f("folder"),
        _f("attached_to_doctype", "Link", options="DocType"), _f("attached_to_name"), _f("attached_to_field"),
        _f("file_size", "Int"), _f("content_hash"), _f("is_folder", "Check"),
    ]},
    # frappe/workflow/doctype/*: the Workflow and the records its rows link to.
    {"name": "Workflow State", "autoname": "field:workflow_state_name", "permissions": _SM, "fields": [
        _f("workflow_state_name", "Data", "State", reqd=1, unique=1), _f("icon"),
        _f("style", "Select", options="\nPrimary\nInfo\nSuccess\nWarning\nDanger\nInverse"),
    ]},
    {"name": "Workflow Action Master", "autoname": "field:workflow_action_name", "permissions": _SM, "fields": [
        _f("workflow_action_name", "Data", "Workflow Action Name", reqd=1, unique=1),
    ]},
    {"name": "Workflow Document State", "istable": 1, "autoname": "hash", "fields": [
        _f("state", "Link", options="Workflow State", reqd=1),
        _f("doc_status", "Select", options="0\n1\n2", default="0"),
        _f("allow_edit", "Link", "Only Allow Edit For", options="Role", reqd=1),
        _f("update_field"), _f("update_value"),
    ]},
    {"name": "Workflow Transition", "istable": 1, "autoname": "hash", "fields": [
        _f("state", "Link", options="Workflow State", reqd=1),
        _f("action", "Link", options="Workflow Action Master", reqd=1),
        _f("next_state", "Link", options="Workflow State", reqd=1),
        _f("allowed", "Link", options="Role", reqd=1),
        _f("allow_self_approval", "Check", default="1"), _f("condition", "Code"),
    ]},
    {"name": "Workflow", "autoname": "field:workflow_name", "permissions": _SM, "fields": [
        _f("workflow_name", reqd=1, unique=1), _f("document_type", "Link", options="DocType", reqd=1),
        _f("is_active", "Check"), _f("override_status", "Check"), _f("send_email_alert", "Check"),
        _f("workflow_state_field", default="workflow_state"),
        _f("states", "Table", "Document States", options="Workflow Document State"),
        _f("transitions", "Table", "Transitions", options="Workflow Transition"),
    ]},
    {"name": "Webhook Header", "istable": 1, "autoname": "hash", "fields": [
        _f("key", "Small Text", "Key"), _f("value", "Small Text", "Value"),
    ]},
    {"name": "Webhook Data", "istable": 1, "autoname": "hash", "fields": [
        _f("fieldname", "Data", "Fieldname", reqd=1), _f("key", "Data", "Key", reqd=1),
    ]},
    {"name": "Webhook", "autoname": "prompt", "permissions": _SM, "fields": [
        _f("webhook_doctype", "Link", "DocType", options="DocType", reqd=1),
        _f("webhook_docevent", "Select", "Doc Event", reqd=1,
           options="after_insert\non_update\non_submit\non_cancel\non_trash\non_update_after_submit\non_change"),
        _f("enabled", "Check", default="1"), _f("condition", "Small Text"),
        _f("request_url", "Small Text", "Request URL", reqd=1), _f("is_dynamic_url", "Check"),
        _f("timeout", "Int", "Request Timeout", default="5"), _f("background_jobs_queue"),
        _f("request_method", "Select", options="POST\nPUT\nDELETE", default="POST"),
        _f("request_structure", "Select", options="\nForm URL-Encoded\nJSON"),
        _f("webhook_json", "Code", "JSON Request Body"),
        _f("webhook_data", "Table", "Data", options="Webhook Data"),
        _f("webhook_headers", "Table", "Headers", options="Webhook Header"),
        _f("enable_security", "Check"), _f("webhook_secret", "Password", "Webhook Secret"),
    ]},
    {"name": "Webhook Request Log", "autoname": "hash", "permissions": [perm("System Manager", "read", "delete",
                                                                             "report", "export")], "fields": [
        _f("webhook", "Link", options="Webhook"), _f("reference_document"), _f("user", "Link", options="User"),
        _f("url", "Text", "URL"), _f("headers", "Code"), _f("data", "Code"), _f("response", "Code"),
        _f("error", "Text"),
    ]},
]

# Roles every Frappe/ERPNext site has (the ones the standard DocPerms above name). "All" and "Guest" are given
# to every logged-in user implicitly (frappe.get_roles), "Desk User" to every System User (Frappe v15).
STANDARD_ROLES = ["Administrator", "System Manager", "All", "Guest", "Desk User", "Accounts User", "Accounts Manager",
                  "Sales User", "Sales Manager", "Website Manager", "Stock User"]
# Module Defs the standard DocTypes belong to.
STANDARD_MODULES = [("Core", "frappe"), ("Contacts", "frappe"), ("Integrations", "frappe"), ("Email", "frappe"),
                    ("Selling", "erpnext"), ("Accounts", "erpnext"), ("Setup", "erpnext")]
