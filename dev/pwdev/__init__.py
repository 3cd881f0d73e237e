"""Local stand-ins and the local stack for development and tests (never imported by production code)."""
