"""ERPNext (Frappe v15) REST API + webhook sender stand-in for dev and tests.

    from pwdev.erpnext import ERPNextStandin
    s = ERPNextStandin(db_path=":memory:", users=[...], seeded=True, fixtures=None).start()
    ... s.url ...
    s.stop()

Choices where the contract leaves room (documented here because they are visible to clients):
- JSON fields: like Frappe, a dict/list is stored as text (json.dumps sort_keys, indent 4) and read back as
  that string; clients must json.loads it.
- Password fields read back as "**********" (insert, get, list); the value lives in an __Auth table
  (`frappe.client.get_password` returns it to a user with read at the field's permlevel).
- Permissions: users are User records with Has Role rows and api_key/api_secret (the `users` argument seeds
  them: {"user", "api_key", "api_secret", "roles"}); Administrator bypasses; DocPerm rows of each DocType
  decide the rest (see perms.py). The standard DocTypes carry a small approximation of ERPNext's rows.
- Only the duplicate-name message wraps the name in <strong> (frappe.bold); other messages are plain.
- /api/method with a missing required argument -> 500 TypeError (what frappe.call does); an unknown method
  -> 417 "Failed to get method for command ...".
- Time zone: System Settings.time_zone (the `time_zone` argument, America/Chicago by default, is what a new
  site gets; None leaves it unset and Frappe's fallback Asia/Kolkata applies); naive timestamps; "this week"
  starts on Sunday (Frappe default).
- Sales Invoice `status` and `outstanding_amount` cannot change after submit (UpdateAfterSubmitError). A
  payment goes through `POST /_standin/payment_entry {"sales_invoice", "paid_amount"?}` (or
  `submit_payment_entry`), which does what Payment Entry submit does: set_value of outstanding_amount, then
  db_set of status (on_change fires). `/_standin/db_set` and `/_standin/set_value` {"doctype", "name",
  "values"} are Document.db_set (runs on_change) and frappe.db.set_value (runs nothing).
- Amount/total/grand_total are filled from qty*rate only when not given.
- Webhooks: `POST /_standin/workers/down` (alias webhooks/pause) holds jobs, `/_standin/workers/up` sends them:
  workers being down is a delay, never a loss (the job waits in Redis). A job is lost only when its 3
  attempts (+0 s, +1 s, +5 s) fail; `webhooks/drop_next` simulates that.
"""

from .app import DEFAULT_USERS, ERPNextStandin
from .client import submit_payment_entry

__all__ = ["DEFAULT_USERS", "ERPNextStandin", "submit_payment_entry"]
