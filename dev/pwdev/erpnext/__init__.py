"""ERPNext (Frappe v15) REST API + webhook sender stand-in for dev and tests.

    from pwdev.erpnext import ERPNextStandin
    s = ERPNextStandin(db_path=":memory:", users=[...], seeded=True, fixtures=None).start()
    ... s.url ...
    s.stop()

Choices where the contract leaves room (documented here because they are visible to clients):
- JSON fields: like Frappe, a dict/list is stored as text (json.dumps sort_keys, indent 4) and read back as
  that string; clients must json.loads it.
- Password fields are masked ("*" per character) in the row, the value lives in an __Auth table
  (`frappe.client.get_password` returns it; used for Webhook.webhook_secret).
- Only the duplicate-name message wraps the name in <strong> (frappe.bold); other messages are plain.
- /api/method with a missing required argument -> 500 TypeError (what frappe.call does); an unknown method
  -> 417 "Failed to get method for command ...".
- Time zone defaults to America/Chicago (naive timestamps); "this week" starts on Sunday (Frappe default).
- Sales Order/Invoice `status` and Sales Invoice `outstanding_amount` are allow_on_submit so tests can move a
  submitted invoice to Paid with a PUT (real ERPNext does that from Payment Entries with db_set).
- Amount/total/grand_total are filled from qty*rate only when not given.
- Webhooks: `POST /_standin/webhooks/pause` holds jobs (sent on resume, like RQ workers coming back);
  `?discard=1` drops them (workers down and the queue lost).
"""

from .app import DEFAULT_USERS, ERPNextStandin

__all__ = ["DEFAULT_USERS", "ERPNextStandin"]
