"""generate-report: renders a compliance order's version, LLM sections included (async from on-payment /
reconcile, or the Compliance Service Revision webhook).

The same work as generate-doc (pwcore.runtime.generation_function, pwcore.steps.generation), deployed as its own
function so LLM generation scales on its own: its own queue (stack.yml `com.openfaas.queue: llm-queue`),
max_inflight, scale bounds and timeouts sized for a 7B model on one GPU (pwcore.model.generation_route says which
orders come here).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "shared"))  # faas-cli copies ./shared into the build context

from pwcore.runtime.generation_function import generation_handler

handle = generation_handler("generate-report")
