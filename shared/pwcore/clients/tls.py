"""TLS contexts for the clients: one verifying context per process, built only where a client speaks TLS.

Building a verifying context loads the whole CA bundle (25-40 ms on a small node). httpx builds a new one per
Client unless it is handed one, and the SMTP client built its own, so a cold function paid it two or three times on
its first request, even though stack.yml points ERPNext, Listmonk and the gateway at in-cluster http:// addresses.
Now:
- an https:// client, and SMTP when it connects with TLS, use the shared verifying context: httpx's default
  (certifi's bundle, or SSL_CERT_FILE / SSL_CERT_DIR when set, so a private CA still works), built once;
- an http:// client gets a context that trusts no certificate at all (no CA loaded, hostname checked), so it
  costs nothing and, should it ever be sent to an https:// address, fails closed instead of trusting anyone.
An SSLContext may wrap connections from several threads at once.
"""

from __future__ import annotations

import functools
import ssl
from urllib.parse import urlsplit

import httpx


@functools.cache
def verifying_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()


@functools.cache
def _trusts_nothing() -> ssl.SSLContext:
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED and check_hostname, with no CA to verify by


def context_for(*urls: str) -> ssl.SSLContext:
    """The context for a client that only ever calls `urls` (its base URL, or every absolute URL it posts to)."""
    if any(urlsplit(url).scheme.lower() == "https" for url in urls):
        return verifying_context()
    return _trusts_nothing()
