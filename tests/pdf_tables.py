"""Reading a table back out of a PDF by the position of its text (pypdf), for tests of rendered documents:
plain text extraction interleaves the lines of wrapped cells, so rows are rebuilt from the columns' x ranges."""

from __future__ import annotations

import io
from typing import Any

from pypdf import PdfReader


def squash(text: str) -> str:
    """Text without whitespace: a PDF line break inside a word (narrow cells) or between words is not
    recoverable from the PDF, so cells compare without it."""
    return "".join(text.split())


CHECKLIST_HEADERS = ("No.", "Priority", "Requirement", "Gap", "Action", "Owner", "Due")


def table_rows(pdf: bytes, headers: tuple[str, ...] = CHECKLIST_HEADERS) -> list[list[str]]:
    """The table read back from the PDF by position: each text run goes to the column whose header starts at or
    left of it; a new row starts where the first column holds a number; the table ends at the first other text
    in the first column (the paragraph after it). Cells are their lines joined."""
    runs: list[tuple[float, float, int, str]] = []
    for page_no, page in enumerate(PdfReader(io.BytesIO(pdf)).pages):
        def visit(text: str, cm: list[float], tm: list[float], _font: Any, _size: Any, page_no: int = page_no) -> None:
            if text.strip():
                runs.append((tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5], page_no, text))
        page.extract_text(visitor_text=visit)
    # The header row (repeated on each page): the line holding the first header's text; its runs give the
    # columns' left edges.
    header_lines = {(p, round(y, 1)) for _x, y, p, t in runs if t.strip() == headers[0]}
    assert header_lines, f"no {headers[0]!r} header in the PDF"
    first = min(header_lines)
    starts = sorted(x for x, y, p, t in runs if (p, round(y, 1)) == first and t.strip() in headers)
    assert len(starts) == len(headers), starts
    rows: list[list[list[tuple[int, float, str]]]] = []
    ended = False
    for x, y, page_no, text in sorted(runs, key=lambda r: (r[2], -r[1], r[0])):
        if not 60 < y < 725 or ended or (page_no, round(y, 1)) in header_lines:
            continue  # page header and footer bands (1-inch margins on a Letter page), the table's header row
        col = max((i for i, s in enumerate(starts) if x >= s - 0.5), default=-1)
        if col == 0 and text.strip().isdigit():
            rows.append([[] for _ in headers])
        elif col == 0 and rows:
            ended = True  # the first paragraph after the table (the disclaimer)
        elif rows and col >= 0:
            rows[-1][col].append((page_no, -y, text))
        if rows and col == 0 and not ended:
            rows[-1][0].append((page_no, -y, text))

    def joined(parts: list[tuple[int, float, str]]) -> str:
        out = ""
        for *_k, t in sorted(parts):
            out += t if not out or out.endswith((" ", "-")) else " " + t
        return " ".join(out.split())

    return [[joined(cell) for cell in row] for row in rows]
