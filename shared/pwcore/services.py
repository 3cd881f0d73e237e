"""Process-wide clients, created on first use so a function's cold start pays only for what it touches."""

from __future__ import annotations

import threading
from functools import cache
from typing import TYPE_CHECKING

from pwcore import config

if TYPE_CHECKING:  # imported on first use: a function that never touches S3 never loads the minio SDK
    from pwcore.dispatch import Dispatcher
    from pwcore.erpnext import ERPNext
    from pwcore.storage import Storage

_lock = threading.Lock()


@cache
def erpnext() -> ERPNext:
    from pwcore.erpnext import ERPNext

    with _lock:
        return ERPNext.from_settings(config.load(config.ERPNextSettings))


@cache
def storage() -> Storage:
    from pwcore.storage import Storage

    with _lock:
        return Storage.from_settings(config.load(config.S3Settings))


@cache
def dispatcher() -> Dispatcher:
    from pwcore.dispatch import Dispatcher

    with _lock:
        secret = config.load(config.WebhookSettings).secret.get_secret_value()
        return Dispatcher(config.load(config.DispatchSettings), signing_secret=secret)


@cache
def pipeline() -> config.PipelineSettings:
    return config.load(config.PipelineSettings)


def reset() -> None:
    """Forget cached clients (tests that change the environment)."""
    for fn in (erpnext, storage, dispatcher, pipeline):
        fn.cache_clear()
