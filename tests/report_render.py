"""A compliance report rendered for a test: the sample (or a variant) order through compliance_context, the
service's template and a real LibreOffice, with the text read back (a unique module name: no clash with the
conftests)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pypdf import PdfReader

from pwcore.clients.libreoffice import PdfConverter
from pwcore.compliance import services
from pwcore.compliance.analysis.findings import AnalysisBase
from pwcore.compliance.analysis.parts import ReportAnalysis
from pwcore.documents import context as ctx
from pwcore.documents import registry
from pwcore.documents.pdf_check import pdf_text
from pwcore.documents.render import render_docx
from pwdev import samples

R = TypeVar("R", bound=AnalysisBase)


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def heading_at(text: str, title: str, after: int = 0) -> int:
    """Where the numbered heading `title` ("3. Title ") starts in the normalised text."""
    m = re.compile(rf"\d+\. {re.escape(title)} ").search(text, after)
    assert m, f"no numbered heading {title!r}"
    return m.start()


@dataclass(frozen=True)
class Rendered(Generic[R]):
    order: dict[str, Any]
    context: dict[str, Any]
    analysis: ReportAnalysis
    result: R
    pdf: bytes
    raw: str  # the PDF text as extracted (lines kept)
    text: str  # whitespace runs as one space

    @property
    def pages(self) -> int:
        return len(PdfReader(io.BytesIO(self.pdf)).pages)

    def between(self, start: str, end: str) -> str:
        """The text of the numbered section `start` up to the heading `end`."""
        a = heading_at(self.text, start)
        return self.text[a:heading_at(self.text, end, a)]


def render(service: str, order: dict[str, Any], sections: dict[str, Any], converter: PdfConverter,
           result_type: type[R]) -> Rendered[R]:
    svc = services.service(service)
    c = ctx.compliance_context(order, samples.CUSTOMER, sections, as_of=samples.SAMPLE_DATE)
    intake = svc.intake_model.model_validate_json(order["intake_data"])
    analysis = svc.analysis(intake, samples.SAMPLE_DATE, order["state"])
    assert isinstance(analysis.result, result_type)
    pdf = converter.convert(render_docx(registry.template_bytes(svc.template_id), c))
    raw = pdf_text(pdf)
    return Rendered(order, c, analysis, analysis.result, pdf, raw, norm(raw))
