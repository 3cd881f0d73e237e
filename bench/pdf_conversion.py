"""Warm (unoserver) vs cold (one-shot soffice) PDF conversion of the operating agreement.

    .venv/bin/python bench/pdf_conversion.py [-n 10]

Renders templates/operating-agreement.docx with its manifest sample, converts it N times through a warm
PdfConverter and N times with a cold `soffice --convert-to pdf` (fresh profile each time), and prints the
timings and the speed-up (target: warm >= 8x faster). The LAST line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from pwcore.clients.libreoffice import PdfConverter, convert_cold
from pwcore.documents import registry
from pwcore.documents.pdf_check import pdf_opens
from pwcore.documents.render import render_docx


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=10, help="conversions per mode")
    args = parser.parse_args()

    t0 = time.perf_counter()
    docx = render_docx(registry.template_bytes("operating-agreement"), registry.template("operating-agreement").sample)
    render_s = time.perf_counter() - t0

    warm: list[float] = []
    cold: list[float] = []
    with PdfConverter() as conv:
        t0 = time.perf_counter()
        conv.start()
        start_s = time.perf_counter() - t0
        assert pdf_opens(conv.convert(docx))  # first conversion loads the Writer filters; not timed
        for _ in range(args.n):
            t0 = time.perf_counter()
            pdf = conv.convert(docx)
            warm.append(time.perf_counter() - t0)
            assert pdf_opens(pdf)
    for _ in range(args.n):
        t0 = time.perf_counter()
        pdf = convert_cold(docx)
        cold.append(time.perf_counter() - t0)
        assert pdf_opens(pdf)

    warm_med, cold_med = statistics.median(warm), statistics.median(cold)
    ratio = cold_med / warm_med
    print(f"docx render:        {render_s * 1000:.0f} ms ({len(docx)} bytes)")
    print(f"unoserver start:    {start_s:.2f} s (once per process)")
    print(f"warm x{args.n}: median {warm_med * 1000:.0f} ms, min {min(warm) * 1000:.0f}, max {max(warm) * 1000:.0f}")
    print(f"cold x{args.n}: median {cold_med * 1000:.0f} ms, min {min(cold) * 1000:.0f}, max {max(cold) * 1000:.0f}")
    print(f"warm is {ratio:.1f}x faster than cold (target >= 8x): {'OK' if ratio >= 8 else 'BELOW TARGET'}")
    print(
        json.dumps(
            {
                "n": args.n,
                "docx_bytes": len(docx),
                "render_ms": round(render_s * 1000, 1),
                "unoserver_start_s": round(start_s, 2),
                "warm_median_ms": round(warm_med * 1000, 1),
                "warm_min_ms": round(min(warm) * 1000, 1),
                "warm_max_ms": round(max(warm) * 1000, 1),
                "cold_median_ms": round(cold_med * 1000, 1),
                "cold_min_ms": round(min(cold) * 1000, 1),
                "cold_max_ms": round(max(cold) * 1000, 1),
                "ratio": round(ratio, 2),
                "target_met": ratio >= 8,
            }
        )
    )


if __name__ == "__main__":
    main()
