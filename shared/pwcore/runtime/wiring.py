"""Process-wide clients and steps, built from settings on first use.

Each builder imports what it needs inside itself, so a function's cold start pays only for the clients it
touches (on-payment never loads the minio SDK, presign never loads docxtpl). Tests that change the environment
call `reset()`.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import TYPE_CHECKING, Any

from pwcore.settings import load_settings

if TYPE_CHECKING:
    from pwcore.clients.dispatch import Dispatcher
    from pwcore.clients.erpnext import ERPNext
    from pwcore.clients.listmonk import Listmonk, ListmonkSettings
    from pwcore.clients.s3 import Storage
    from pwcore.steps.delivery import Deliverer
    from pwcore.steps.generation import Generator
    from pwcore.steps.presign import Presigner, PresignSettings

_lock = threading.Lock()


@cache
def erpnext() -> ERPNext:
    from pwcore.clients.erpnext import ERPNext, ERPNextSettings

    with _lock:
        return ERPNext.from_settings(load_settings(ERPNextSettings))


@cache
def site_timezone() -> str:
    from pwcore.clients.erpnext import ERPNextSettings

    return load_settings(ERPNextSettings).timezone


@cache
def storage() -> Storage:
    from pwcore.clients.s3 import S3Settings, Storage

    with _lock:
        return Storage.from_settings(load_settings(S3Settings))


@cache
def dispatcher() -> Dispatcher:
    from pwcore.clients.dispatch import Dispatcher, DispatchSettings
    from pwcore.model.signatures import WebhookSettings

    with _lock:
        secret = load_settings(WebhookSettings).secret.get_secret_value()
        return Dispatcher(load_settings(DispatchSettings), signing_secret=secret)


@cache
def _section_writer() -> Any:
    """The LLM side (ollama client, intake models, section specs) loads on the first compliance order only."""
    from pwcore.clients.ollama_api import OllamaSettings
    from pwcore.compliance.section_generator import SectionGenerator
    from pwcore.compliance.section_writer import S3SectionCache, make_section_writer

    llm = SectionGenerator.from_settings(load_settings(OllamaSettings), cache=S3SectionCache(storage()))
    return make_section_writer(llm)


def _write_sections(doc: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    result: tuple[dict[str, dict[str, Any]], dict[str, Any]] = _section_writer()(doc)
    return result


@cache
def generator() -> Generator:
    from pwcore.clients.libreoffice import get_converter
    from pwcore.documents.template_store import TemplateStore
    from pwcore.orders.lease import GenerationLeaseSettings
    from pwcore.steps.generation import Generator

    return Generator(erpnext(), storage(), TemplateStore(storage()), get_converter().convert,
                     lease_s=load_settings(GenerationLeaseSettings).generation_lease_s,
                     timezone=site_timezone(), sections=_write_sections)


@cache
def deliverer() -> Deliverer:
    from pwcore.clients.listmonk import Listmonk, ListmonkSettings
    from pwcore.clients.smtp import Mailer, SMTPSettings
    from pwcore.orders.reviewer_edits import ReviewerEdits
    from pwcore.steps.delivery import Deliverer, DeliverySettings

    smtp = load_settings(SMTPSettings)
    lm_settings = load_settings(ListmonkSettings)
    listmonk = Listmonk(lm_settings) if lm_settings.url else None
    edits = ReviewerEdits(erpnext(), storage(), _convert_edited, timezone=site_timezone())
    return Deliverer(erpnext(), storage(), Mailer(smtp), smtp, load_settings(DeliverySettings), listmonk,
                     lm_settings, timezone=site_timezone(), edits=edits)


def _convert_edited(docx: bytes) -> bytes:
    """A reviewer's edited DOCX -> PDF with the warm LibreOffice, started on first use: most deliveries
    have no edits, so the deliver process starts LibreOffice only for the one that has."""
    from pwcore.clients.libreoffice import get_converter

    return get_converter().convert(docx)


@cache
def listmonk() -> tuple[Listmonk | None, ListmonkSettings]:
    from pwcore.clients.listmonk import Listmonk, ListmonkSettings

    settings = load_settings(ListmonkSettings)
    return (Listmonk(settings) if settings.url else None), settings


@cache
def presign_settings() -> PresignSettings:
    from pwcore.steps.presign import PresignSettings

    return load_settings(PresignSettings)


@cache
def presigner() -> Presigner:
    from pwcore.steps.presign import Presigner

    return Presigner(erpnext(), storage(), presign_settings())


def reset() -> None:
    """Forget cached clients (tests that change the environment)."""
    for fn in (erpnext, site_timezone, storage, dispatcher, _section_writer, generator, deliverer, presign_settings,
               presigner, listmonk):
        fn.cache_clear()
