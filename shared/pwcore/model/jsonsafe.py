"""JSON from untrusted callers, parsed with limits checked before the parser runs.

`loads(raw)` refuses, as `BadRequest` (400) or `PayloadTooLarge` (413), before or instead of `json.loads` doing
any work: a body over `max_bytes`; bytes that are not UTF-8; nesting deeper than `max_depth` (counted by one
linear scan over the bytes, outside strings, so the recursive parser never sees it); duplicated keys in an object;
NaN / Infinity / -Infinity; numbers longer than `MAX_NUMBER_CHARS` digits or floats that overflow to infinity.
A RecursionError cannot happen below `max_depth` (Python's limit is ~1000 frames), but is mapped to 400 too.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from pwcore.model.problems import BadRequest, PayloadTooLarge

MAX_DEPTH = 32
MAX_NUMBER_CHARS = 64
DEFAULT_MAX_BYTES = 1024 * 1024

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_OPEN = frozenset(b"[{")


class BadJSON(BadRequest):
    """The body is not acceptable JSON (answer 400, with the reason)."""


def depth_of(raw: bytes, limit: int) -> int:
    """The deepest nesting of arrays/objects in `raw` (stops counting once over `limit`).

    Strings are removed first (a regular expression, so brackets inside strings do not count), then only the
    brackets are walked; a string left unterminated keeps its brackets, which can only over-count an input the
    parser refuses anyway."""
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    if len(brackets) <= limit:
        return min(len(brackets), limit)
    depth = deepest = 0
    for byte in brackets:
        if byte in _OPEN:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        else:
            depth -= 1
    return deepest


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise BadJSON(f"duplicated key {key[:40]!r}")
        out[key] = value
    return out


def _constant(name: str) -> Any:
    raise BadJSON(f"{name} is not a JSON number")


def _int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise BadJSON("number too long")
    return int(text)


def _float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise BadJSON("number too long")
    value = float(text)
    if not math.isfinite(value):
        raise BadJSON("number out of range")
    return value


def loads(raw: bytes | str, *, max_bytes: int = DEFAULT_MAX_BYTES, max_depth: int = MAX_DEPTH) -> Any:
    """The parsed value of `raw`, or a Problem (413 too large, 400 anything else) naming the reason."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else bytes(raw)
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"JSON larger than {max_bytes} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadJSON("body is not UTF-8") from None
    if depth_of(data, max_depth) > max_depth:
        raise BadJSON(f"JSON nested deeper than {max_depth} levels")
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_constant, parse_int=_int,
                          parse_float=_float)
    except BadJSON:
        raise
    except RecursionError:
        raise BadJSON("JSON nested too deeply") from None
    except ValueError:
        raise BadJSON("body is not valid JSON") from None
