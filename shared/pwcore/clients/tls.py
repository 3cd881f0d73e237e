"""The process's one verifying TLS context, shared by every client that speaks TLS (httpx, SMTP).

Building a verifying context loads the whole CA bundle (about 25 ms each). httpx builds a new one per Client and
the SMTP client built its own, so a cold function paid it two or three times on its first request. The context is
httpx's default (certifi's bundle, or SSL_CERT_FILE / SSL_CERT_DIR when set, so a private CA still works), built
once on first use. An SSLContext may wrap connections from several threads at once.
"""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def verifying_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()
