"""TLS contexts: one verifying context per process for the clients that speak TLS; none loaded for http:// ones."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
from pathlib import Path

import httpx
import pytest

from pwcore.clients.erpnext import ERPNext
from pwcore.clients.smtp import Mailer, SMTPSettings
from pwcore.clients.tls import context_for, verifying_context


def _pool_context(client: ERPNext) -> ssl.SSLContext:
    return client._http._transport._pool._ssl_context  # type: ignore[attr-defined, no-any-return]  # httpx internals


def test_https_clients_share_one_verifying_context() -> None:
    context = verifying_context()
    assert context is verifying_context() is context_for("http://gateway:8080", "HTTPS://broker.example")
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] > 0
    client = ERPNext("https://erp.example.com", "key", "secret")
    try:
        assert _pool_context(client) is context
    finally:
        client.close()
    mailer = Mailer(SMTPSettings(host="smtp.example.com", password="pw", sender="orders@example.com"))
    assert mailer.ssl_context is context


def test_an_http_client_loads_no_ca_and_trusts_nobody_over_tls(tmp_path: Path) -> None:
    client = ERPNext("http://erpnext.erpnext:8000", "key", "secret")
    try:
        context = _pool_context(client)
    finally:
        client.close()
    assert context is not verifying_context()
    assert context.cert_store_stats()["x509_ca"] == 0
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
    # Fails closed: a TLS server is refused (no CA vouches for any certificate) before a byte of the request goes.
    server, port = _tls_listener(tmp_path)
    try:
        with httpx.Client(verify=context) as http, pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY"):
            http.get(f"https://127.0.0.1:{port}/")
    finally:
        server.close()


def _tls_listener(tmp_path: Path) -> tuple[socket.socket, int]:
    """A socket that completes TLS handshakes with a fresh self-signed certificate (the client must refuse it)."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command (Debian's openssl package) is needed to make a test certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    sock = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        try:
            conn, _ = sock.accept()
            with server_ctx.wrap_socket(conn, server_side=True):
                pass
        except (OSError, ssl.SSLError):
            pass

    threading.Thread(target=serve, daemon=True).start()
    return sock, int(sock.getsockname()[1])
