"""pwdev.smtp_sink.SMTPSink: receives with smtplib, keeps EmailMessage objects, fault knobs."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path

import pytest

from pwdev.smtp_sink import SMTPSink


def _message(subject: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "documents@performancewest.net"
    msg["To"] = "customer@example.com"
    msg["Subject"] = subject
    msg.set_content("Your documents are ready.")
    msg.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="a.pdf")
    return msg


def test_receives_and_stores_messages(tmp_path: Path) -> None:
    with SMTPSink(folder=tmp_path / "mail") as sink:
        with smtplib.SMTP("127.0.0.1", sink.port, timeout=5) as smtp:
            smtp.send_message(_message("Order A"))
        [msg] = sink.wait_for(1, timeout=5)
        assert msg["Subject"] == "Order A"
        [att] = list(msg.iter_attachments())
        assert att.get_filename() == "a.pdf" and att.get_content() == b"%PDF-1.4"
        assert sink.received[0].rcpt_tos == ["customer@example.com"]
        assert (tmp_path / "mail" / "00001.eml").read_bytes() == sink.received[0].raw
        with pytest.raises(TimeoutError):
            sink.wait_for(2, timeout=0.1)


def test_refused_sessions_and_failed_data_then_success() -> None:
    with SMTPSink() as sink:
        sink.refuse_next(1)
        with pytest.raises(smtplib.SMTPConnectError) as info:
            smtplib.SMTP("127.0.0.1", sink.port, timeout=5)
        assert info.value.smtp_code == 421
        sink.fail_next_data(1)
        with smtplib.SMTP("127.0.0.1", sink.port, timeout=5) as smtp:
            with pytest.raises(smtplib.SMTPDataError) as data_info:
                smtp.send_message(_message("first"))
            assert data_info.value.smtp_code == 451
            smtp.send_message(_message("second"))
        assert [m["Subject"] for m in sink.wait_for(1)] == ["second"]


def test_auth_when_credentials_are_set() -> None:
    with SMTPSink(credentials=("mailer", "pw")) as sink:
        with smtplib.SMTP("127.0.0.1", sink.port, timeout=5) as smtp:
            with pytest.raises(smtplib.SMTPAuthenticationError):
                smtp.login("mailer", "wrong")
        with smtplib.SMTP("127.0.0.1", sink.port, timeout=5) as smtp:
            smtp.login("mailer", "pw")
            smtp.send_message(_message("authed"))
        assert sink.wait_for(1)[0]["Subject"] == "authed"
        assert sink.env()["SMTP_SECURITY"] == "none"
