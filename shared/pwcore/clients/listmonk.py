"""Listmonk's REST API: the few calls the pipeline makes (lists, subscribers, list membership).

Auth is Listmonk's API-user token (`Authorization: token <user>:<token>`, Listmonk v4+; v3 accepts the same
pair as Basic auth). Every list name is a setting (LISTMONK_*_LIST). One way: ERPNext is the source of truth;
nothing here is read back into ERPNext except through the unsubscribe webhook.
"""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from pwcore.clients.tls import context_for
from pwcore.settings import Settings


class ListmonkSettings(Settings):
    model_config = SettingsConfigDict(env_prefix="LISTMONK_")
    url: str = ""  # empty = Listmonk integration off
    user: str = ""
    password: SecretStr = SecretStr("")
    welcome_list: str = "Welcome"  # every new ERPNext Customer (the welcome drip)
    formation_list: str = "Formation follow-up"  # a Formation Order delivered
    crtc_list: str = "CRTC follow-up"  # a CRTC Order delivered
    compliance_list: str = "Compliance upsell"  # 30 days after a formation, for customers without the service
    timeout_s: float = 5.0


class ListmonkError(Exception):
    pass


class Listmonk:
    """The few calls of Listmonk's REST API we need (basic auth with an API user)."""

    def __init__(self, settings: ListmonkSettings) -> None:
        self.settings = settings
        token = f"{settings.user}:{settings.password.get_secret_value()}"
        self._http = httpx.Client(base_url=settings.url.rstrip("/"), timeout=settings.timeout_s,
                                  headers={"Authorization": f"token {token}"}, verify=context_for(settings.url))
        self._list_ids: dict[str, int] = {}

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ListmonkError(f"Listmonk unreachable: {type(exc).__name__}") from None
        if response.status_code == 409:
            return None
        if response.status_code >= 400:
            raise ListmonkError(f"Listmonk {method} {path}: {response.status_code}")
        return response.json().get("data")

    def list_id(self, name: str) -> int:
        if name not in self._list_ids:
            data = self._call("GET", "/api/lists", params={"per_page": "all", "query": name})
            for row in (data or {}).get("results", []):
                self._list_ids[str(row["name"])] = int(row["id"])
            if name not in self._list_ids:
                raise ListmonkError(f"Listmonk list {name!r} does not exist")
        return self._list_ids[name]

    def find(self, email: str) -> dict[str, Any] | None:
        quoted = email.lower().replace("'", "''")  # the query is an SQL expression: quote the literal
        data = self._call("GET", "/api/subscribers",
                          params={"query": f"subscribers.email = '{quoted}'", "per_page": 1})
        results = (data or {}).get("results", [])
        return dict(results[0]) if results else None

    def subscribe(self, email: str, name: str, list_name: str, attribs: dict[str, Any] | None = None) -> str:
        """Preconfirmed membership of `list_name` (upsert by email; `attribs` are set on a new subscriber and
        merged into an existing one's). Returns created | added | already | unsubscribed | blocked."""
        list_id = self.list_id(list_name)
        for _ in range(2):
            sub = self.find(email)
            if sub is None:
                created = self._call("POST", "/api/subscribers", json={
                    "email": email, "name": name or email, "status": "enabled", "lists": [list_id],
                    "attribs": attribs or {}, "preconfirm_subscriptions": True})
                if created is not None:
                    return "created"
                continue  # 409: someone created it meanwhile; add to the list instead
            if sub.get("status") == "blocklisted":
                return "blocked"
            for lst in sub.get("lists") or []:
                if int(lst.get("id", -1)) == list_id:
                    # An unsubscribed membership is the customer's choice: never re-subscribe them.
                    return "unsubscribed" if lst.get("subscription_status") == "unsubscribed" else "already"
            if attribs and any((sub.get("attribs") or {}).get(k) != v for k, v in attribs.items()):
                self._call("PUT", f"/api/subscribers/{int(sub['id'])}", json={
                    "email": sub["email"], "name": sub.get("name") or name or email, "status": sub.get("status"),
                    "lists": [int(x["id"]) for x in sub.get("lists") or []],
                    "attribs": {**(sub.get("attribs") or {}), **attribs}, "preconfirm_subscriptions": True})
            self._call("PUT", "/api/subscribers/lists", json={
                "ids": [int(sub["id"])], "action": "add", "target_list_ids": [list_id], "status": "confirmed"})
            return "added"
        raise ListmonkError("Listmonk subscriber kept changing")


