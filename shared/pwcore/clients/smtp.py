"""SMTP delivery (smtplib) and the delivery email itself (text + HTML from templates, PDFs attached).

`Mailer.send` speaks SMTP step by step instead of `send_message`, so a failure can be classified:
- before the server answered the DATA transaction (connect, TLS, login, MAIL, RCPT): nothing was accepted,
  so a retry cannot duplicate the email. Transient ones (connection errors, timeouts, 4xx) are retried with
  backoff, a bounded number of times; permanent ones (5xx) raise `MailError` at once.
- the server refused the message body with a code: nothing was accepted either (4xx retried, 5xx not).
- the connection broke *while* the body was in flight or before the server's final reply: the server may have
  accepted it. That raises `MailUncertain` and is never retried here: the caller decides (deliver flags it for
  a human rather than risk a second email).
"""

from __future__ import annotations

import smtplib
import socket
import ssl
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from typing import Literal

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from pwcore.clients.tls import verifying_context
from pwcore.logs import get_logger, register_secret
from pwcore.settings import Settings


class SMTPSettings(Settings):
    model_config = SettingsConfigDict(env_prefix="SMTP_")
    host: str
    port: int = 587
    security: Literal["starttls", "tls", "none"] = "starttls"
    user: str = ""
    password: SecretStr = SecretStr("")
    sender: str = "Performance West <documents@performancewest.net>"
    reply_to: str = "support@performancewest.net"
    timeout_s: float = 20.0
    max_attachments_bytes: int = 10 * 1024 * 1024
    portal_url: str = "https://performancewest.net/account/orders"


log = get_logger("pwcore.mail")



class MailError(Exception):
    """The email was not accepted by the SMTP server. `transient` says whether a later retry may work."""

    def __init__(self, message: str, transient: bool = False, code: int | None = None) -> None:
        super().__init__(message)
        self.transient = transient
        self.code = code


class MailUncertain(MailError):
    """The connection broke during or right after the DATA transfer: the email may or may not be accepted."""


class _Transient(Exception):
    """Internal: a failure before acceptance that a retry may fix."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class SendResult:
    message_id: str
    recipients: list[str]
    reply: str  # the server's answer to DATA, e.g. "250 OK queued as 1234"
    attempts: int
    accepted_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))


def _recipients(message: EmailMessage) -> list[str]:
    fields = [str(v) for h in ("To", "Cc", "Bcc") for v in (message.get_all(h) or [])]
    return [addr for _name, addr in getaddresses(fields) if addr]


class Mailer:
    """One per process; `send` opens one SMTP connection per message (emails are rare, connections cheap)."""

    def __init__(self, settings: SMTPSettings, attempts: int = 4, max_wait_s: float = 4.0,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.settings = settings
        self.attempts = max(1, attempts)
        self.max_wait_s = max_wait_s
        self._ssl_context = ssl_context
        register_secret(settings.password.get_secret_value())

    @property
    def ssl_context(self) -> ssl.SSLContext:
        """The context TLS connections use: the one given, else the shared verifying one, built on the first TLS
        connection (a tick that sends no reminder never loads the CA bundle)."""
        return self._ssl_context or verifying_context()

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_s, context=self.ssl_context)
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout_s)
        try:
            smtp.ehlo()
            if s.security == "starttls":
                smtp.starttls(context=self.ssl_context)
                smtp.ehlo()
            if s.user:
                smtp.login(s.user, s.password.get_secret_value())
        except BaseException:
            _close(smtp)
            raise
        return smtp

    def _once(self, message: EmailMessage, sender: str, rcpts: list[str]) -> str:
        try:
            smtp = self._connect()
        except smtplib.SMTPResponseException as exc:
            raise _classify(exc.smtp_code, f"SMTP refused the session: {exc.smtp_code}") from None
        except (OSError, smtplib.SMTPException) as exc:  # refused, reset, timeout, TLS failure
            raise _Transient(f"SMTP connection to {self.settings.host}:{self.settings.port} failed: "
                             f"{type(exc).__name__}") from None
        try:
            try:
                code, _ = smtp.mail(sender)
                if code != 250:
                    raise _classify(code, f"SMTP refused MAIL FROM: {code}")
                accepted = 0
                last: int | None = None
                refused: list[str] = []
                for rcpt in rcpts:
                    code, _ = smtp.rcpt(rcpt)
                    if code in (250, 251):
                        accepted += 1
                    else:
                        refused.append(f"{rcpt}: {code}")
                        last = code
                if not accepted:
                    raise _classify(last, f"SMTP refused every recipient ({'; '.join(refused)})")
            except (OSError, smtplib.SMTPServerDisconnected) as exc:
                raise _Transient(f"SMTP connection lost before the message: {type(exc).__name__}") from None
            try:
                code, reply = smtp.data(_wire_bytes(message))
            except smtplib.SMTPDataError as exc:
                raise _classify(exc.smtp_code, f"SMTP refused the message: {exc.smtp_code}") from None
            except (OSError, smtplib.SMTPServerDisconnected) as exc:
                raise MailUncertain(f"SMTP connection lost during DATA ({type(exc).__name__}): the message "
                                    "may have been accepted") from None
            if code != 250:
                raise _classify(code, f"SMTP refused the message: {code}")
            return f"{code} {reply.decode(errors='replace')[:200]}"
        finally:
            _close(smtp)

    def send(self, message: EmailMessage) -> SendResult:
        """Send `message` to its To/Cc/Bcc. Raises MailError (not sent) or MailUncertain (maybe sent)."""
        sender = parseaddr(str(message.get("From") or self.settings.sender))[1]
        rcpts = _recipients(message)
        if not rcpts:
            raise MailError("the message has no recipient")
        if "Bcc" in message:
            del message["Bcc"]  # recipients were taken above; the header itself must not travel
        attempt_no = 0

        def once() -> str:
            nonlocal attempt_no
            attempt_no += 1
            return self._once(message, sender, rcpts)

        retrying = Retrying(stop=stop_after_attempt(self.attempts), reraise=True,
                            wait=wait_exponential_jitter(multiplier=0.2, max=self.max_wait_s),
                            retry=retry_if_exception(lambda e: isinstance(e, _Transient)))
        started = time.perf_counter()
        try:
            reply = retrying(once)
        except _Transient as exc:
            raise MailError(f"{exc} (after {attempt_no} attempts)", transient=True, code=exc.code) from None
        message_id = str(message.get("Message-ID", ""))
        log.info("mail.sent", message_id=message_id, recipients=len(rcpts), attempts=attempt_no,
                 ms=round((time.perf_counter() - started) * 1000, 1))
        return SendResult(message_id, rcpts, reply, attempt_no)


def _wire_bytes(message: EmailMessage) -> bytes:
    # SMTP lines end in CRLF (what smtplib.send_message does); bare LF makes servers see one endless line.
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


def _classify(code: int | None, message: str) -> Exception:
    if code is not None and 400 <= code < 500:
        return _Transient(message, code)
    return MailError(message, transient=False, code=code)


def _close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        try:
            smtp.close()
        except OSError:
            pass


# --- the delivery email -----------------------------------------------------------------------------------

















def smtp_reachable(settings: SMTPSettings, timeout_s: float = 2.0) -> bool:
    """A cheap TCP check for health endpoints (no SMTP conversation)."""
    try:
        with socket.create_connection((settings.host, settings.port), timeout=timeout_s):
            return True
    except OSError:
        return False
