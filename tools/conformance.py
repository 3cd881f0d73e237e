"""Run the ERPNext conformance suite (tests/conformance) against a real site, or the stand-in when
PW_CONFORMANCE_ERPNEXT_URL is unset. `--allow-existing` lets it run on a site that already has orders (it only
creates and deletes records named with its PWCONF- prefix). Other arguments go to pytest."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    args = list(argv)
    if "--allow-existing" in args:
        args.remove("--allow-existing")
        os.environ["PW_CONFORMANCE_ALLOW_EXISTING"] = "1"
    if os.environ.get("PW_CONFORMANCE_ERPNEXT_URL"):
        missing = [k for k in ("PW_CONFORMANCE_API_KEY", "PW_CONFORMANCE_API_SECRET") if not os.environ.get(k)]
        if missing:
            print(f"set {' and '.join(missing)} (an Administrator or System Manager key of the site)", file=sys.stderr)
            return 2
        print(f"conformance suite against {os.environ['PW_CONFORMANCE_ERPNEXT_URL']}", flush=True)
    else:
        print("conformance suite against the ERPNext stand-in (set PW_CONFORMANCE_ERPNEXT_URL for a real site)",
              flush=True)
    return int(pytest.main(["-q", "-p", "no:cacheprovider", str(ROOT / "tests" / "conformance"), *args]))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
