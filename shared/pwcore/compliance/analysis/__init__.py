"""Deterministic compliance analysis (issue #15): the parts of the FLSA, contractor and handbook reports that are
arithmetic and rule lookups (facts tables, checklists, scoring, exposure estimates), built from the intake and the
reviewed facts files only. The LLM writes prose around these results; it never computes them."""
