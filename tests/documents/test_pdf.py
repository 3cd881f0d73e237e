"""PDF conversion: the warm server survives crashes and hangs, the cold fallback works, concurrent callers
each get their own PDF."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from pwcore.clients.libreoffice import ConversionError, PdfConverter, convert_cold
from pwcore.documents.pdf_check import pdf_opens, pdf_text


def _big_docx(docx_factory: Callable[..., bytes], marker: str) -> bytes:
    # About 1.4 s of warm LibreOffice work, so a kill lands mid-conversion.
    filler = "lorem ipsum dolor sit amet consectetur " * 12
    return docx_factory(marker, *(f"Paragraph {i} {filler}" for i in range(900)), f"END {marker}")


def test_unoserver_killed_mid_conversion_restarts_and_returns_pdf(
    converter: PdfConverter, docx_factory: Callable[..., bytes]
) -> None:
    data = _big_docx(docx_factory, "MARKER-KILLED")
    old_pid = converter.server_pid
    restarts = converter.restarts
    assert old_pid is not None
    result: dict[str, object] = {}

    def run() -> None:
        try:
            result["pdf"] = converter.convert(data)
        except Exception as exc:
            result["error"] = exc

    worker = threading.Thread(target=run)
    worker.start()
    time.sleep(0.4)
    assert worker.is_alive(), "conversion finished before the kill; make the document bigger"
    os.kill(old_pid, signal.SIGKILL)
    worker.join(120)
    assert "error" not in result, result.get("error")
    pdf = result["pdf"]
    assert isinstance(pdf, bytes) and pdf_opens(pdf)
    assert "MARKER-KILLED" in pdf_text(pdf)
    assert converter.restarts == restarts + 1
    assert converter.server_pid not in (None, old_pid)
    assert converter.cold_conversions == 0


def test_hung_unoserver_times_out_and_is_replaced(converter: PdfConverter, docx_factory: Callable[..., bytes]) -> None:
    pid = converter.server_pid
    assert pid is not None
    restarts = converter.restarts
    old_timeout = converter.convert_timeout_s
    converter.convert_timeout_s = 2
    os.kill(pid, signal.SIGSTOP)  # hung: accepts nothing, answers nothing
    try:
        started = time.monotonic()
        pdf = converter.convert(docx_factory("MARKER-HUNG"))
        elapsed = time.monotonic() - started
    finally:
        converter.convert_timeout_s = old_timeout
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
    assert "MARKER-HUNG" in pdf_text(pdf)
    assert converter.restarts == restarts + 1 and converter.server_pid != pid
    assert elapsed < 30
    with pytest.raises(ProcessLookupError):  # the hung server's group was killed
        os.kill(pid, 0)


def test_four_concurrent_conversions_get_their_own_pdf(
    converter: PdfConverter, docx_factory: Callable[..., bytes]
) -> None:
    docs = {f"CONCURRENT-MARKER-{i}": docx_factory(f"CONCURRENT-MARKER-{i}", "body " * 200) for i in range(4)}
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = dict(zip(docs, pool.map(converter.convert, docs.values()), strict=True))
    for marker, pdf in results.items():
        text = pdf_text(pdf)
        assert marker in text
        assert [m for m in docs if m in text] == [marker]


def test_cold_fallback_when_unoserver_cannot_start(docx_factory: Callable[..., bytes]) -> None:
    with PdfConverter(python="/bin/false", start_timeout_s=10) as conv:
        pdf = conv.convert(docx_factory("MARKER-COLD"))
        assert conv.cold_conversions == 1
        assert conv.server_pid is None
    assert pdf_opens(pdf) and "MARKER-COLD" in pdf_text(pdf)


def test_cold_conversion_deletes_its_profile_and_rejects_empty_input(docx_factory: Callable[..., bytes]) -> None:
    import tempfile
    from pathlib import Path

    before = set(Path(tempfile.gettempdir()).glob("lo_*"))
    pdf = convert_cold(docx_factory("MARKER-ONESHOT"), timeout_s=60)
    assert "MARKER-ONESHOT" in pdf_text(pdf)
    assert set(Path(tempfile.gettempdir()).glob("lo_*")) <= before  # the per-call profile is gone
    with pytest.raises(ConversionError):
        with PdfConverter(python="/bin/false") as conv:
            conv.convert(b"")
    assert not pdf_opens(b"not a pdf") and not pdf_opens(b"%PDF-1.4 truncated")
