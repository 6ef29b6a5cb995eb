"""Space-less PDF pages in the index report: real PDFs, real connectors, fake embeddings."""

from __future__ import annotations

from pathlib import Path

from ld_fakes import Harness
from pdf_pages import write_pdf

from gpt4all_rag.cli import _page_ranges

PROSE = "To avoid conflicts with the older package, the new one was renamed; names were kept."
GLUED = PROSE.replace(" ", "") * 2


def test_spaceless_pages_are_reported_per_file_and_in_metadata(
    harness: Harness, tmp_path: Path
) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    glued = write_pdf(root / "glued.pdf", [PROSE, GLUED, "", GLUED, PROSE])
    write_pdf(root / "fine.pdf", [PROSE, PROSE])
    (root / "notes.txt").write_text(GLUED, encoding="utf-8")  # only PDF pages are checked

    report = harness.run(root)

    assert report.failed == [] and report.added == 3
    assert [(item.source, item.pages) for item in report.spaceless_pages] == [
        (str(glued.resolve()), [2, 4])
    ]
    flagged = {
        meta["page"] for _, meta in harness.chroma().values() if meta.get("spaceless") is True
    }
    assert flagged == {2, 4}
    assert report.model_dump(mode="json")["spaceless_pages"] == [
        {"source": str(glued.resolve()), "pages": [2, 4]}
    ]

    again = harness.run(root)  # unchanged files are not read again, so not reported again
    assert again.unchanged == 3 and again.spaceless_pages == []


def test_page_ranges_for_the_plain_report() -> None:
    assert _page_ranges([4]) == "page 4"
    assert _page_ranges([1, 2, 3, 7, 9, 10]) == "pages 1-3, 7, 9-10"
    pages = [p for p in range(1, 40) if p % 2] + [50, 51, 52]
    assert _page_ranges(pages) == "pages 1, 3, 5, 7, 9, 11, 13, 15, ... (15 more)"
