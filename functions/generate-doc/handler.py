"""generate-doc: renders an order version (async from on-payment / reconcile, or the Revision webhook).
The handler body is shared with generate-report: pwcore.runtime.generation_function.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "shared"))  # faas-cli copies ./shared into the build context

from pwcore.runtime.generation_function import generation_handler

handle = generation_handler("generate-doc")
