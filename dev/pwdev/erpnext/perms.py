"""Role permissions (frappe/permissions.py): DocPerm rows of the DocType, Has Role rows of the User.

- Administrator bypasses everything; every other user (System Manager included) needs a DocPerm row whose role
  they hold, at permlevel 0 for document access, at the field's permlevel for `get_password`.
- A DocType without DocPerm rows is therefore usable by Administrator only.
- Rows with if_owner=1 grant only on documents the user owns (lists are narrowed to `owner = user`).
- User Permission rows (user, allow, for_value) restrict, on top of the roles, every DocType with a Link field
  to `allow` (unless the field has ignore_user_permissions) to documents whose link is one of the user's
  `for_value`s (an empty link still passes: Frappe's non-strict default), and `allow` itself to those names;
  lists are narrowed, a get of another document is a 403.
- Every logged-in user implicitly holds "All" (and "Guest"), like frappe.get_roles; System Users also hold
  "Desk User" (Frappe v15's automatic role).
"""

from __future__ import annotations

from typing import Any

from .errors import FrappeError, message
from .meta import Meta, cint

ADMIN = "Administrator"


def denied(user: str, doctype: str, ptype: str = "read", name: str | None = None) -> FrappeError:
    msg = f"User <strong>{user}</strong> does not have doctype access via role permission for document " \
          f"<strong>{doctype}</strong>"
    err = FrappeError("PermissionError", "", messages=[message(msg, title="Insufficient Permission")])
    if name is not None and ptype != "read":
        err.extra["_error_message"] = f"You need the '{ptype}' permission on {doctype} {name} to perform this action."
    else:
        err.extra["_error_message"] = f"No permission for {doctype}"
    return err


class Permissions:
    def __init__(self, store: Any) -> None:
        self.store = store

    def roles(self, user: str) -> set[str]:
        if user == "Guest":
            return {"Guest"}
        with self.store.lock:
            rows = self.store.conn.execute(
                'SELECT role FROM "tabHas Role" WHERE parent = ? AND parenttype = ? AND parentfield = ?',
                [user, "User", "roles"]).fetchall()
            kind = self.store.conn.execute('SELECT user_type FROM "tabUser" WHERE name = ?', [user]).fetchone()
        desk = {"Desk User"} if kind is not None and (kind[0] or "System User") == "System User" else set()
        return {str(r[0]) for r in rows} | {"All", "Guest"} | desk

    def restrictions(self, user: str, doctype: str) -> dict[str, list[str]]:
        """Column -> allowed values from the user's User Permissions ({} when none apply)."""
        if user in (ADMIN, "Guest"):
            return {}
        with self.store.lock:
            rows = self.store.conn.execute(
                'SELECT allow, for_value, apply_to_all_doctypes, applicable_for FROM "tabUser Permission" '
                "WHERE user = ?", [user]).fetchall()
        allowed: dict[str, list[str]] = {}
        for allow, value, to_all, applicable_for in rows:
            if cint(to_all) or not applicable_for or applicable_for == doctype:
                allowed.setdefault(str(allow), []).append(str(value))
        if not allowed:
            return {}
        meta = self.store.get_meta(doctype)
        out = {str(f["fieldname"]): allowed[str(f.get("options"))] for f in meta.fields
               if f.get("fieldtype") == "Link" and str(f.get("options")) in allowed
               and not cint(f.get("ignore_user_permissions"))}
        if doctype in allowed:
            out["name"] = allowed[doctype]
        return out

    def check_user_permissions(self, user: str, doctype: str, doc: dict[str, Any]) -> None:
        for column, values in self.restrictions(user, doctype).items():
            value = doc.get(column)
            if (column == "name" or value) and value not in values:
                meta = self.store.get_meta(doctype)
                field = meta.get_field(column) or {}
                linked = str(field.get("options") or doctype)
                err = FrappeError("PermissionError", "", messages=[message(
                    f"You are not allowed to access this {doctype} record because it is linked to {linked} "
                    f"'{value}' in field {field.get('label') or column}", title="Insufficient Permission")])
                err.extra["_error_message"] = f"No permission for {doctype}"
                raise err

    def _rows(self, meta: Meta, user: str, ptype: str, permlevel: int) -> list[dict[str, Any]]:
        roles = self.roles(user)
        return [p for p in meta.permissions if p.get("role") in roles and cint(p.get("permlevel")) == permlevel
                and cint(p.get(ptype))]

    def owner_only(self, user: str, doctype: str, ptype: str = "read", permlevel: int = 0) -> bool:
        """True when only if_owner rows grant `ptype`; raises when nothing grants it."""
        if user == ADMIN:
            return False
        rows = self._rows(self.store.get_meta(doctype), user, ptype, permlevel)
        if not rows:
            raise denied(user, doctype, ptype)
        return all(cint(p.get("if_owner")) for p in rows)

    def check(self, user: str, doctype: str, ptype: str, doc: dict[str, Any] | None = None,
              permlevel: int = 0) -> None:
        if user == ADMIN:
            return
        name = str(doc.get("name")) if doc and doc.get("name") else None
        rows = self._rows(self.store.get_meta(doctype), user, ptype, permlevel)
        if not rows:
            raise denied(user, doctype, ptype, name)
        if all(cint(p.get("if_owner")) for p in rows) and doc is not None and doc.get("owner") not in (None, user):
            raise denied(user, doctype, ptype, name)
        if doc is not None and doc.get("name"):
            self.check_user_permissions(user, doctype, doc)
