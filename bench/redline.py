"""Bench: the redline of a long document (comparison and its DOCX, then the warm LibreOffice's PDF).

A document of `--paragraphs` paragraphs (about 25 words each) against a copy with one word in every tenth
paragraph changed and a paragraph added every fiftieth: the comparison is pure Python (difflib), so this shows
what a long operating agreement costs generate-doc per revision. Prints one JSON object as its last line.

    .venv/bin/python bench/redline.py [--paragraphs 600] [--runs 3]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "shared"))

from docx import Document

from pwcore.clients.libreoffice import PdfConverter
from pwcore.documents.redline import compare


def docx(paragraphs: list[str]) -> bytes:
    doc = Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--paragraphs", type=int, default=600)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    base = [f"Section {i}. The members agree that clause {i} governs the matters it names, including the "
            f"duties, rights and remedies of each member under this agreement, item {i}."
            for i in range(args.paragraphs)]
    changed = []
    for i, text in enumerate(base):
        changed.append(text.replace("governs", "controls") if i % 10 == 0 else text)
        if i % 50 == 0:
            changed.append(f"Section {i}A. A paragraph the revision added.")
    old, new = docx(base), docx(changed)
    compare_ms, convert_ms = [], []
    with PdfConverter() as conv:
        conv.start()
        for _ in range(args.runs):
            t0 = time.perf_counter()
            result = compare(old, new, title="bench", old_label="v1", new_label="v2", date="2026-12-01T00:00:00Z")
            t1 = time.perf_counter()
            pdf = conv.convert(result.docx)
            t2 = time.perf_counter()
            compare_ms.append((t1 - t0) * 1000)
            convert_ms.append((t2 - t1) * 1000)
    print(json.dumps({"bench": "redline", "paragraphs": args.paragraphs, "runs": args.runs,
                      "inserted_words": result.inserted_words, "deleted_words": result.deleted_words,
                      "compare_ms_median": round(statistics.median(compare_ms), 1),
                      "convert_ms_median": round(statistics.median(convert_ms), 1),
                      "redline_docx_bytes": len(result.docx), "redline_pdf_bytes": len(pdf)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
