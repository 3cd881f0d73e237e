"""Documents: render contexts, docxtpl rendering (sandboxed, autoescaped, strict), the template store and
template registry, PDF checks. Import the modules themselves; this package re-exports nothing, so importing one
module never loads the others (or LibreOffice).
"""
