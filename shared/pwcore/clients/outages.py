"""Which failures are outages (a later retry can fix them) and which are answers we must act on.

The one place that decides. Each client says what is transient for its own system (ERPNext: unreachable, 429,
5xx; S3: connection errors and the server's "try again" codes; LibreOffice: a conversion that failed even after
a restart and the cold fallback); steps, the reconcile sweep and the entrypoint ask `is_transient` and
`outage_of`. Modules are looked up in sys.modules rather than imported: an exception of a client's type can only
exist once that client was imported, and a function image need not contain every client's packages.
"""

from __future__ import annotations

import sys

from pwcore.clients.erpnext import ERPNextError


def _is_s3_outage(exc: BaseException) -> bool:
    s3 = sys.modules.get("pwcore.clients.s3")
    return s3 is not None and bool(s3.is_transient_s3_error(exc))


def _is_conversion_outage(exc: BaseException) -> bool:
    libreoffice = sys.modules.get("pwcore.clients.libreoffice")
    return libreoffice is not None and isinstance(exc, libreoffice.ConversionError)


def outage_of(exc: BaseException) -> str | None:
    """The name of the system that is out ("ERPNext", "object storage", ...), or None when exc is no outage."""
    if isinstance(exc, ERPNextError):
        return "ERPNext" if exc.transient else None
    if _is_s3_outage(exc):
        return "object storage"
    if _is_conversion_outage(exc):
        return "PDF conversion"
    if isinstance(exc, ConnectionError | TimeoutError):
        return "a backing service"
    return None


def is_transient(exc: BaseException) -> bool:
    """Failures a later retry can fix (outages), as opposed to failures of the order itself."""
    return outage_of(exc) is not None
