"""The delivery email: subject, text and HTML bodies from the templates beside this module.

PDFs are attached within a size limit; larger sets get links to the customer portal instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from pwcore.clients.smtp import SMTPSettings

TEMPLATES_DIR = Path(__file__).parent / "templates"


@cache
def _env() -> Environment:
    # Autoescape for .html only: customer-provided names must not become markup in the HTML part.
    return Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)), undefined=StrictUndefined,
                       autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def render(template: str, **context: Any) -> str:
    return _env().get_template(template).render(**context)


def domain_of(address: str) -> str:
    addr = parseaddr(address)[1]
    return addr.rsplit("@", 1)[1] if "@" in addr else "performancewest.net"


def message_id_for(order: str, version: int, domain: str = "performancewest.net") -> str:
    """Stable per order version: a resend by an operator carries the same id, so support and mail clients
    can see it is the same email."""
    local = re.sub(r"[^A-Za-z0-9.-]+", "-", order).strip("-")
    return f"<order-{local}-v{version}@{domain}>"


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class DeliveryEmail:
    message: EmailMessage
    attached: list[str]  # filenames attached
    linked: list[str]  # filenames only reachable through the portal
    portal_link: str


def portal_link(settings: SMTPSettings, order: str) -> str:
    base = settings.portal_url
    return f"{base}{'&' if '?' in base else '?'}{urlencode({'order': order})}"


def build_delivery_email(settings: SMTPSettings, *, order: str, version: int, order_kind: str, service: str,
                         customer_name: str, to: str, files: Sequence[Attachment],
                         listed: Sequence[str] = (), now: datetime | None = None) -> DeliveryEmail:
    """The email of one order version. PDFs are attached in manifest order while their total raw size stays
    within `max_attachments_bytes` (base64 makes the message about 4/3 of that); the rest is linked."""
    attached: list[Attachment] = []
    linked: list[str] = list(listed)
    total = 0
    for f in files:
        if total + len(f.data) <= settings.max_attachments_bytes:
            attached.append(f)
            total += len(f.data)
        else:
            linked.append(f.filename)
    link = portal_link(settings, order)
    context = {"order": order, "version": version, "order_kind": order_kind, "service": service,
               "customer_name": customer_name, "attached": [a.filename for a in attached], "linked": linked,
               "portal_link": link, "reply_to": settings.reply_to}
    msg = EmailMessage()
    msg["Subject"] = render("delivery_subject.txt", **context).strip()
    msg["From"] = settings.sender
    msg["To"] = to
    if settings.reply_to:
        msg["Reply-To"] = settings.reply_to
    msg["Date"] = format_datetime(now or datetime.now(UTC))
    msg["Message-ID"] = message_id_for(order, version, domain_of(settings.sender))
    msg["X-PW-Order"] = order
    msg["X-PW-Version"] = str(version)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(render("delivery.txt", **context))
    msg.add_alternative(render("delivery.html", **context), subtype="html")
    for a in attached:
        maintype, _, subtype = a.content_type.partition("/")
        msg.add_attachment(a.data, maintype=maintype or "application", subtype=subtype or "octet-stream",
                           filename=a.filename)
    return DeliveryEmail(msg, [a.filename for a in attached], linked, link)


