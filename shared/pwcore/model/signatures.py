"""Frappe webhook signatures and the payloads our functions accept.

Frappe signs `json.dumps(data)` with HMAC-SHA256 keyed by the webhook secret and sends the base64 digest in
`X-Frappe-Webhook-Signature`; the body it sends is byte-identical for JSON-native data, so we verify over the
raw body before parsing anything. No timestamp or nonce is signed, so replays are expected:
idempotency (CAS on the order, markers in S3) makes them harmless.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from pwcore.settings import Settings

SIGNATURE_EXTENSION = "pwsignature"  # extension names must be lower-case alphanumeric (CloudEvents spec)


SIGNATURE_HEADER = "X-Frappe-Webhook-Signature"



def sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()).decode()


def verify_signature(body: bytes, signature: str | None, secret: str) -> bool:
    """Constant-time check of Frappe's signature over the raw body. Empty body or header never passes."""
    if not body or not signature or not secret:
        return False
    expected = sign(body, secret)
    return hmac.compare_digest(expected.encode(), signature.strip().encode())


class WebhookSettings(Settings):
    model_config = SettingsConfigDict(env_prefix="WEBHOOK_")
    secret: SecretStr
    max_body_bytes: int = 64 * 1024
