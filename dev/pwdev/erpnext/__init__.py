"""ERPNext (Frappe v15) REST API + webhook sender stand-in for dev and tests.

    from pwdev.erpnext import ERPNextStandin
    s = ERPNextStandin(db_path=":memory:", users=[...], seeded=True, fixtures=None).start()
    ... s.url ...
    s.stop()
"""

from .app import DEFAULT_USERS, ERPNextStandin

__all__ = ["DEFAULT_USERS", "ERPNextStandin"]
