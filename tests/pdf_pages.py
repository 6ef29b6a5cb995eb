"""Real PDFs for tests: one page of text per string."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF


def write_pdf(
    path: Path, pages: list[str], *, font_size: int = 12, title: str | None = None
) -> Path:
    """Write a PDF with one page per string (an empty string makes a blank page)."""
    pdf = FPDF()
    if title is not None:
        pdf.set_title(title)
    for text in pages:
        pdf.add_page()
        pdf.set_font("helvetica", size=font_size)
        if text:
            pdf.multi_cell(w=0, text=text)
    pdf.output(str(path))
    return path
