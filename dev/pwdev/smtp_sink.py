"""An SMTP server for tests and the local stack (aiosmtpd on 127.0.0.1) that keeps what it receives.

Messages are parsed into `email.message.EmailMessage` (policy `default`) and kept in memory, optionally also
written as `.eml` files. Fault knobs for retry tests: `refuse_next(n)` answers the next n connections with
`421` and closes them (smtplib raises SMTPConnectError); `fail_next_data(n)` answers DATA with `451`.
Optional AUTH (PLAIN/LOGIN) over the plain connection when `credentials` are given.

    python -m pwdev.smtp_sink --port 2525 --folder /tmp/mail
"""

from __future__ import annotations

import argparse
import email
import email.policy
import socket
import threading
import time
import warnings
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes


_Fault = Literal["refuse", "fail_data"]  # 421 on connect, 451 on DATA


class _SinkSMTP(SMTP):
    sink: SMTPSink

    async def _handle_client(self) -> None:
        if self.sink._take("refuse"):
            # A busy/closing server: 421 instead of the greeting, then hang up.
            await self.push("421 4.3.2 Service not available, closing transmission channel")
            assert self.transport is not None
            self.transport.close()
            return
        await super()._handle_client()


class _Handler:
    def __init__(self, sink: SMTPSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.sink._take("fail_data"):
            return "451 4.3.0 Temporary failure, try again later"
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode()
        self.sink._store(envelope.mail_from or "", list(envelope.rcpt_tos), raw)
        return "250 Message accepted for delivery"


class _Controller(Controller):
    def __init__(self, sink: SMTPSink, **kwargs: Any) -> None:
        self.sink = sink
        super().__init__(_Handler(sink), **kwargs)

    def factory(self) -> SMTP:
        smtp = _SinkSMTP(self.handler, **self.SMTP_kwargs)
        smtp.sink = self.sink
        return smtp


class SMTPSink:
    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        folder: str | Path | None = None,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        self.host = host
        self._requested_port = port
        self.folder = Path(folder) if folder else None
        self.credentials = credentials
        self.received: list[Received] = []
        self._cond = threading.Condition()
        self._faults: dict[_Fault, int] = {"refuse": 0, "fail_data": 0}  # how many more of each to inject
        self._controller: _Controller | None = None
        self.port = 0

    @property
    def messages(self) -> list[EmailMessage]:
        with self._cond:
            return [r.message for r in self.received]

    def start(self) -> SMTPSink:
        # aiosmtpd's start-up probe connects to the configured port, so port 0 cannot be used directly.
        port = self._requested_port or _free_port(self.host)
        kwargs: dict[str, Any] = {"hostname": self.host, "port": port, "ready_timeout": 10.0}
        if self.credentials is not None:
            # Plain-text AUTH is what a dev sink needs (SMTP_SECURITY=none); silence aiosmtpd's warning.
            warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
            kwargs.update(auth_require_tls=False, auth_required=True, authenticator=self._authenticate)
        self._controller = _Controller(self, **kwargs)
        self._controller.start()
        self.port = port
        if self.folder:
            self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert self.credentials is not None
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, password = self.credentials
        ok = auth_data.login.decode() == user and auth_data.password.decode() == password
        return AuthResult(success=ok, handled=False)  # let aiosmtpd answer 235 or 535

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SMTPSink:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def env(self) -> dict[str, str]:
        """SMTP_* settings for a function sending through this sink."""
        out = {"SMTP_HOST": self.host, "SMTP_PORT": str(self.port), "SMTP_SECURITY": "none"}
        if self.credentials:
            out["SMTP_USER"], out["SMTP_PASSWORD"] = self.credentials
        return out

    # fault knobs

    def refuse_next(self, sessions: int) -> None:
        """Answer the next `sessions` connections with 421 and close them."""
        with self._cond:
            self._faults["refuse"] = sessions

    def fail_next_data(self, count: int) -> None:
        """Answer the next `count` DATA commands with 451 (message not stored)."""
        with self._cond:
            self._faults["fail_data"] = count

    def _take(self, fault: _Fault) -> bool:
        """Whether to inject `fault` now (one fewer left if so)."""
        with self._cond:
            if self._faults[fault] > 0:
                self._faults[fault] -= 1
                return True
            return False

    # storage

    def _store(self, mail_from: str, rcpt_tos: list[str], raw: bytes) -> None:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        with self._cond:
            self.received.append(Received(mail_from, rcpt_tos, message, raw))
            index = len(self.received)
            if self.folder:
                (self.folder / f"{index:05d}.eml").write_bytes(raw)
            self._cond.notify_all()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """Block until at least `count` messages arrived; raise TimeoutError otherwise."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.received) >= count, timeout):
                raise TimeoutError(f"{len(self.received)} of {count} messages after {timeout}s")
            return [r.message for r in self.received]

    def clear(self) -> None:
        with self._cond:
            self.received.clear()


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pwdev.smtp_sink", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--folder", type=Path, help="also write each message as NNNNN.eml here")
    args = parser.parse_args(argv)
    sink = SMTPSink(host=args.host, port=args.port, folder=args.folder).start()
    print(f"pwdev.smtp_sink: SMTP on {sink.host}:{sink.port}", flush=True)
    try:
        seen = 0
        while True:
            time.sleep(0.5)
            for item in sink.received[seen:]:
                print(f"received: from={item.mail_from} to={item.rcpt_tos} subject={item.message['Subject']}")
            seen = len(sink.received)
    except KeyboardInterrupt:
        pass
    finally:
        sink.stop()


if __name__ == "__main__":
    main()
