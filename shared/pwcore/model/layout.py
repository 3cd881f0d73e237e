"""Where things live in S3: the one description of every key the pipeline writes or reads (pure).

    orders/{name}/v{n}/                  one version of an order's documents (written once, never changed)
      {document}.docx / {document}.pdf   the rendered documents
      manifest.json                      written last: the version exists once it does (pwcore.model.manifest)
      delivery/sent.json                 the one-email claim of deliver (+ .resend-<digest> per resend)
      delivery/recorded.json             the claim to record the email in ERPNext
      delivery/approval.json             who approved, when, and each document's reviewed and delivered sha256
      delivery/final/{filename}          a delivered PDF (the reviewed one + its approval page), written once:
                                         what the email attached and what presign serves once it exists
      review/{document}.changes-from-v{m}.pdf  the redline of a document against version m (m = n-1), for the
                                         reviewer only (never in manifest.json, so never delivered or presigned)
      edited/claim.json                  the claim of the deliver run that turns a reviewer's edited DOCX into
                                         this version (a version made from edits has no generation lease)
    invoices/{invoice}.pdf               the invoice PDF, once per Sales Invoice
    reminders/{entry}/{due}/{status}.json  a calendar reminder, sent once per entry, due date and status
    locks/reconcile.json                 the sweep's lock (one sweep at a time)
    llm-cache/{prompt sha256}.json       LLM sections by prompt digest (a retry or revision reuses them)
    templates/                           DOCX templates and their manifest (`pw templates upload`)
    backups/                             encrypted ERPNext backups (never served to customers)
    access-log/{YYYY}/{MM}/{DD}/{order}/{HHMMSSmmm}-{event}-{id}.json
                                         one access event (a presign answer, a delivery, a resend), written
                                         once, kept ACCESS_LOG_RETENTION_DAYS (pwcore.orders.access_log)
"""

from __future__ import annotations

import datetime as dt
import re

from pwcore.model.doctypes import UnsafeName, check_order_name, hostile_reason

ORDERS_PREFIX = "orders/"
TEMPLATES_PREFIX = "templates/"
BACKUPS_PREFIX = "backups/"
MANIFEST_NAME = "manifest.json"
RECONCILE_LOCK_KEY = "locks/reconcile.json"
LLM_CACHE_PREFIX = "llm-cache/"
ACCESS_LOG_PREFIX = "access-log/"
ACCESS_LOG_RETENTION_DAYS = 365  # the seed: "access logs retained for 1 year" (an S3 lifecycle rule deletes them)
ACCESS_LOG_EVENTS = frozenset({"presign", "delivery", "resend"})
FORBIDDEN_PREFIXES = (TEMPLATES_PREFIX, BACKUPS_PREFIX, ACCESS_LOG_PREFIX)  # never presigned, never delivered
_EVENT_ID = re.compile(r"[0-9a-f]{8,32}")
KEY_CHARS = re.compile(r"[A-Za-z0-9._/-]+")


def version_prefix(name: str, version: int) -> str:
    return f"{ORDERS_PREFIX}{name}/v{version}/"


def manifest_key(name: str, version: int) -> str:
    return version_prefix(name, version) + MANIFEST_NAME


def sent_marker_key(name: str, version: int) -> str:
    return f"{version_prefix(name, version)}delivery/sent.json"


def recorded_marker_key(name: str, version: int) -> str:
    return f"{version_prefix(name, version)}delivery/recorded.json"


def approval_key(name: str, version: int) -> str:
    return f"{version_prefix(name, version)}delivery/approval.json"


def final_key(name: str, version: int, filename: str) -> str:
    """The delivered form of one PDF of a version (its approval page appended), stored once by deliver."""
    return f"{version_prefix(name, version)}delivery/final/{slug(filename)}"


def redline_key(name: str, version: int, document: str, against: int) -> str:
    """The comparison of `document` (a template's slug) in version `version` with version `against`."""
    return f"{version_prefix(name, version)}review/{slug(document)}.changes-from-v{against}.pdf"


def edit_claim_key(name: str, version: int) -> str:
    """The claim to build version `version` from a reviewer's edited DOCX files (pwcore.clients.claims)."""
    return f"{version_prefix(name, version)}edited/claim.json"


def invoice_key(invoice: str) -> str:
    return f"invoices/{slug(invoice)}.pdf"


def reminder_key(entry: str, due_date: str, status: str) -> str:
    return f"reminders/{entry}/{due_date}/{slug(status).lower()}.json"


def llm_cache_key(prompt_sha256: str) -> str:
    return f"{LLM_CACHE_PREFIX}{prompt_sha256}.json"


def access_log_day_prefix(day: dt.date) -> str:
    return f"{ACCESS_LOG_PREFIX}{day:%Y/%m/%d}/"


def access_log_order_prefix(day: dt.date, order: str) -> str:
    """One order's events of one day: what the reader lists (the order name is a checked one, no secret)."""
    return f"{access_log_day_prefix(day)}{check_order_name(order)}/"


def access_log_key(at: dt.datetime, order: str, event: str, event_id: str) -> str:
    """The one object of one event; `at` is UTC (the folder is the UTC day), `event_id` lower-case hex."""
    if event not in ACCESS_LOG_EVENTS:
        raise ValueError(f"unknown access-log event {event!r}")
    if not _EVENT_ID.fullmatch(event_id):
        raise ValueError("access-log event id must be 8-32 lower-case hex digits")
    if at.tzinfo is None:
        raise ValueError("access-log time must carry its time zone")
    utc = at.astimezone(dt.UTC)
    millis = utc.microsecond // 1000  # keys sort by time within the day
    return f"{access_log_order_prefix(utc.date(), order)}{utc:%H%M%S}{millis:03d}-{event}-{event_id}.json"


def slug(text: str) -> str:
    """A file-name-safe form of a name (letters, digits, . _ -), at most 80 characters."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:80] or "document"


def check_key(key: str, prefix: str) -> str:
    """`key` must be a plain key inside `prefix` (orders/{name}/v{n}/), never templates/ or backups/."""
    problem = hostile_reason(key)
    if problem:
        raise UnsafeName(f"object key contains {problem}")
    if not KEY_CHARS.fullmatch(key) or "//" in key or "/./" in key:
        raise UnsafeName("object key has characters outside [A-Za-z0-9._/-]")
    if key.startswith(FORBIDDEN_PREFIXES):
        raise UnsafeName("object key is outside orders/")
    if not prefix.startswith(ORDERS_PREFIX) or not key.startswith(prefix) or key == prefix:
        raise UnsafeName("object key is outside the order's current version")
    return key
