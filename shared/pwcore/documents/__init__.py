"""Documents: render contexts, docxtpl rendering (sandboxed, autoescaped, strict), the template
registry and DOCX -> PDF conversion (warm unoserver with a cold soffice fallback)."""

from pwcore.documents.cli import render_to_folder
from pwcore.documents.context import (
    ComplianceContext,
    ContextError,
    FormationContext,
    InvoiceContext,
    compliance_context,
    formation_context,
    invoice_context,
)
from pwcore.documents.pdf import ConversionError, PdfConverter, convert_cold, get_converter, pdf_opens, pdf_text
from pwcore.documents.render import TemplateError, TemplateFieldMissing, declared_fields, render_docx

__all__ = [
    "ComplianceContext",
    "ContextError",
    "ConversionError",
    "FormationContext",
    "InvoiceContext",
    "PdfConverter",
    "TemplateError",
    "TemplateFieldMissing",
    "compliance_context",
    "convert_cold",
    "declared_fields",
    "formation_context",
    "get_converter",
    "invoice_context",
    "pdf_opens",
    "pdf_text",
    "render_docx",
    "render_to_folder",
]
