"""Asynchronous invocation of another function.

- openfaas: POST {gateway}/async-function/<name> (the gateway answers 202 and queues the call; the function
  later sees the same X-Call-Id, our idempotency/log key). The CE queue-worker never retries, so a lost
  call is found later by `reconcile`.
- cloudevents: a binary-mode CloudEvent POSTed to the Knative broker (type `net.performancewest.<name>`, id = the
  call id). A Broker forwards CloudEvent attributes but not arbitrary HTTP headers, so the body signature also
  travels as the extension `pwsignature` (header `ce-pwsignature`); pwcore.events hands it to the function.
- local: fire-and-forget POST to {gateway}/function/<name> from a background thread (dev without a queue).
"""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any, Literal

import httpx
from pydantic_settings import SettingsConfigDict
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from pwcore.clients.tls import context_for
from pwcore.logs import get_logger
from pwcore.model.signatures import SIGNATURE_HEADER, sign
from pwcore.settings import Settings


class DispatchSettings(Settings):
    model_config = SettingsConfigDict(env_prefix="DISPATCH_")
    mode: Literal["openfaas", "cloudevents", "local"] = "openfaas"
    gateway_url: str = "http://gateway.openfaas:8080"
    broker_url: str = ""
    timeout_s: float = 5.0


log = get_logger("pwcore.dispatch")

EVENT_TYPE_PREFIX = "net.performancewest."


def cloudevent_headers(function: str, source: str, call_id: str, signature: dict[str, str]) -> dict[str, str]:
    """Binary-mode CloudEvent headers for invoking `function` (the body is sent as we serialised and signed it)."""
    from cloudevents.core.bindings.http import to_binary_event
    from cloudevents.core.v1.event import CloudEvent

    from pwcore.model.signatures import SIGNATURE_EXTENSION

    attributes: dict[str, Any] = {"type": f"{EVENT_TYPE_PREFIX}{function}", "source": f"/pipeline/{source}",
                                  "id": call_id, "datacontenttype": "application/json"}
    if signature:
        attributes[SIGNATURE_EXTENSION] = signature[SIGNATURE_HEADER]
    message = to_binary_event(CloudEvent(attributes, None))
    # Keep the plain header too: a direct POST to the Service (no Broker) verifies the same way.
    return {**message.headers, **signature}


class DispatchError(Exception):
    pass


class _Retry(Exception):
    pass


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, httpx.TransportError | _Retry)


class Dispatcher:
    def __init__(self, settings: DispatchSettings, source: str = "pipeline", signing_secret: str = "") -> None:
        self.settings = settings
        self.source = source
        # Bodies are signed like Frappe's webhooks, so every function verifies every caller the same way.
        self.signing_secret = signing_secret
        self._http = httpx.Client(timeout=settings.timeout_s,
                                  verify=context_for(settings.gateway_url, settings.broker_url))

    def _post(self, url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
        def once() -> httpx.Response:
            response = self._http.post(url, content=body, headers=headers)
            if response.status_code == 429 or response.status_code >= 500:
                raise _Retry(f"{response.status_code} from {url}")
            return response

        retrying = Retrying(stop=stop_after_attempt(3), reraise=True,
                            wait=wait_exponential_jitter(multiplier=0.05, max=1.0),
                            retry=retry_if_exception(_retryable))
        try:
            response: httpx.Response = retrying(once)
        except (httpx.TransportError, _Retry) as exc:
            raise DispatchError(f"could not dispatch to {url}: {exc}") from None
        if response.status_code >= 400:
            raise DispatchError(f"dispatch to {url} refused: {response.status_code} {response.text[:200]}")
        return response

    def dispatch(self, function: str, payload: dict[str, Any], call_id: str | None = None) -> str:
        """Queue `function` with `payload`; returns the call id the function will see."""
        call_id = call_id or str(uuid.uuid4())
        body = json.dumps(payload, separators=(",", ":")).encode()
        signature = {SIGNATURE_HEADER: sign(body, self.signing_secret)} if self.signing_secret else {}
        mode = self.settings.mode
        base = self.settings.gateway_url.rstrip("/")
        if mode == "openfaas":
            self._post(f"{base}/async-function/{function}", body,
                       {"Content-Type": "application/json", "X-Call-Id": call_id, **signature})
        elif mode == "cloudevents":
            if not self.settings.broker_url:
                raise DispatchError("DISPATCH_BROKER_URL is not set (required in cloudevents mode)")
            self._post(self.settings.broker_url, body, cloudevent_headers(function, self.source, call_id, signature))
        else:
            url = f"{base}/function/{function}"
            headers = {"Content-Type": "application/json", "X-Call-Id": call_id, **signature}

            def fire() -> None:
                try:
                    self._http.post(url, content=body, headers=headers, timeout=None)
                except httpx.HTTPError as exc:  # the sweep will re-dispatch
                    log.warning("dispatch.local_failed", function=function, call_id=call_id, error=str(exc))

            threading.Thread(target=fire, daemon=True).start()
        log.info("dispatch.sent", function=function, call_id=call_id, mode=mode)
        return call_id
