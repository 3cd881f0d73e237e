"""Warm (unoserver) vs cold (one-shot soffice) PDF conversion of every formation document, per document and per page.

    .venv/bin/python bench/pdf_conversion.py [-n 5] [--only operating-agreement]

Renders each formation template (templates/manifest.json `formation.templates`, the clause-library documents)
with its manifest sample, converts it N times through a warm PdfConverter and N times with a cold
`soffice --convert-to pdf` (fresh profile each time), and prints per document the pages, the medians, the
time per page and the speed-up (target: warm >= 8x faster than cold for every document). The LAST line is one
JSON object with the figures.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import time

from pypdf import PdfReader

from pwcore.clients.libreoffice import PdfConverter, convert_cold
from pwcore.documents import registry
from pwcore.documents.pdf_check import pdf_opens
from pwcore.documents.render import render_docx


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=5, help="conversions per mode and document")
    parser.add_argument("--only", action="append", help="template id (repeatable); default: every formation one")
    args = parser.parse_args()
    names = args.only or list(registry.manifest()["formation"]["templates"])
    docs: dict[str, bytes] = {}
    render_ms: dict[str, float] = {}
    for name in names:
        t0 = time.perf_counter()
        docs[name] = render_docx(registry.template_bytes(name), registry.template(name).sample)
        render_ms[name] = (time.perf_counter() - t0) * 1000

    per_doc: dict[str, dict[str, float]] = {}
    with PdfConverter() as conv:
        t0 = time.perf_counter()
        conv.start()
        start_s = time.perf_counter() - t0
        for name in names:
            docx = docs[name]
            pdf = conv.convert(docx)  # first conversion of the document: not timed
            assert pdf_opens(pdf)
            warm = []
            for _ in range(args.n):
                t0 = time.perf_counter()
                conv.convert(docx)
                warm.append(time.perf_counter() - t0)
            per_doc[name] = {"pages": len(PdfReader(io.BytesIO(pdf)).pages),
                             "render_ms": round(render_ms[name], 1),
                             "warm_median_ms": round(statistics.median(warm) * 1000, 1)}
    for name in names:
        cold = []
        for _ in range(args.n):
            t0 = time.perf_counter()
            assert pdf_opens(convert_cold(docs[name]))
            cold.append(time.perf_counter() - t0)
        d = per_doc[name]
        d["cold_median_ms"] = round(statistics.median(cold) * 1000, 1)
        d["ratio"] = round(d["cold_median_ms"] / d["warm_median_ms"], 2)
        d["warm_ms_per_page"] = round(d["warm_median_ms"] / d["pages"], 1)
        d["cold_ms_per_page"] = round(d["cold_median_ms"] / d["pages"], 1)
        print(f"{name:30s} {int(d['pages']):3d} pages  render {d['render_ms']:6.0f} ms  "
              f"warm {d['warm_median_ms']:6.0f} ms ({d['warm_ms_per_page']:.0f}/page)  "
              f"cold {d['cold_median_ms']:6.0f} ms  {d['ratio']:.1f}x")
    worst = min(d["ratio"] for d in per_doc.values())
    pages = sum(d["pages"] for d in per_doc.values())
    warm_total = sum(d["warm_median_ms"] for d in per_doc.values())
    cold_total = sum(d["cold_median_ms"] for d in per_doc.values())
    print(f"unoserver start: {start_s:.2f} s; worst ratio {worst:.1f}x (target >= 8x per document): "
          f"{'OK' if worst >= 8 else 'BELOW TARGET'}")
    print(json.dumps({
        "n": args.n, "unoserver_start_s": round(start_s, 2), "documents": per_doc, "pages": pages,
        "warm_ms_per_page": round(warm_total / pages, 1), "cold_ms_per_page": round(cold_total / pages, 1),
        "worst_ratio": worst, "target_met": worst >= 8,
    }))


if __name__ == "__main__":
    main()
