"""Fixtures of the conformance suite; what they do and how to run it is in conformance_site.py."""

from conformance_site import customer, erp, made, target

__all__ = ["customer", "erp", "made", "target"]
