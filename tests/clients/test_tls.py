"""The clients share one verifying TLS context per process (building one loads the whole CA bundle)."""

from __future__ import annotations

import ssl

from pwcore.clients.erpnext import ERPNext
from pwcore.clients.smtp import Mailer, SMTPSettings
from pwcore.clients.tls import verifying_context


def test_one_verifying_context_serves_every_client() -> None:
    context = verifying_context()
    assert context is verifying_context()
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
    assert context.get_ca_certs() or context.cert_store_stats()["x509_ca"] > 0
    client = ERPNext("https://erp.example.com", "key", "secret")
    try:
        pool = client._http._transport._pool  # type: ignore[attr-defined]  # httpx keeps the context on its pool
        assert pool._ssl_context is context
    finally:
        client.close()
    mailer = Mailer(SMTPSettings(host="smtp.example.com", password="pw", sender="orders@example.com"))
    assert mailer.ssl_context is context
