"""Which function generates which order (pure): the template path and the LLM path scale apart.

A Compliance Service's documents need LLM-written sections (minutes on one GPU); Formation and CRTC orders are
templates only (seconds). They go to two functions deployed from the same generation code, so a queue of
compliance orders waiting on the model never holds the capacity formation orders need:
- `generate-doc`: Formation Order, CRTC Order (on the gateway's default queue, a Knative Trigger of its own);
- `generate-report`: Compliance Service (stack.yml annotation `com.openfaas.queue: llm-queue`, its own
  queue-worker in deploy/openfaas/, its own Knative Service and Trigger).
A bundle's Formation Order and Compliance Service are separate orders, so each part goes its own way.
on-payment, the reconcile sweep and the Revision webhooks (data/webhooks.json) all take the function from here.
Either function can generate any order (same code), so a call already queued to the other one during a rollout
still completes.
"""

from __future__ import annotations

from pwcore.model.doctypes import COMPLIANCE_SERVICE

GENERATE_DOC = "generate-doc"
GENERATE_REPORT = "generate-report"
GENERATION_FUNCTIONS = (GENERATE_DOC, GENERATE_REPORT)
LLM_DOCTYPES = frozenset({COMPLIANCE_SERVICE})  # orders whose documents hold LLM-written sections


def generation_function(doctype: str) -> str:
    """The function that generates an order of `doctype`."""
    return GENERATE_REPORT if doctype in LLM_DOCTYPES else GENERATE_DOC
