"""Reviewed facts: state rules, regulatory thresholds and deadlines, loaded from the data files in
pwcore/data/ (each row with its source, effective date and review date). Pure loaders; no network."""
