"""PDF parsing: the PDFium path against the old pypdf-only path, file by file.

Usage: python bench/pdf_parse.py CORPUS_DIR [--runs 3]

Parses every PDF under CORPUS_DIR (the benchmark corpus: the 7 R manuals and the gnuplot
manual, see ../shared/corpus/bench-corpus.sh) with ``PdfConnector("pypdf")`` (pypdf's
``extract_text`` per page, the connector before PDFium) and ``PdfConnector()`` (PDFium,
pypdf for decryption, title and fallback). Both run through the whole connector: open,
title, page text, normalisation and the space-less check, and yield the same Documents.
The two alternate file by file so that load from other processes hits both alike; times
are medians over the runs. Per file: pages with text, seconds for each path, the ratio,
and the text's share of words longer than 25 characters (words with a letter) and pages
flagged space-less (``connectors.spacing``), for each path.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from pathlib import Path

from connectors.pdf import PdfConnector
from connectors.spacing import spacing_stats

EXTRACTORS = ("pypdf", "pdfium")


def parse(path: Path, extractor: str) -> tuple[float, list[str], int]:
    """Seconds to load every page, the page texts, and the pages flagged space-less."""
    connector = PdfConnector(extractor)  # type: ignore[arg-type]
    started = time.perf_counter()
    documents = list(connector.load(path))
    seconds = time.perf_counter() - started
    flagged = sum(1 for d in documents if d.metadata.get("spaceless"))
    return seconds, [d.page_content for d in documents], flagged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, help="folder with the PDFs (searched recursively)")
    parser.add_argument("--runs", type=int, default=3, help="runs per file and path (median)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    paths = sorted(args.corpus.rglob("*.pdf"))
    if not paths:
        sys.exit(f"no PDF under {args.corpus}")

    header = (
        f"{'file':<14} {'pages':>5} {'pypdf s':>8} {'pdfium s':>8} {'ratio':>6} "
        f"{'>25ch pypdf':>11} {'>25ch pdfium':>12} {'spaceless pypdf/pdfium':>22}"
    )
    print(header)
    totals = dict.fromkeys(EXTRACTORS, 0.0)
    total_pages = 0
    for path in paths:
        times: dict[str, list[float]] = {name: [] for name in EXTRACTORS}
        texts: dict[str, list[str]] = {}
        flagged: dict[str, int] = {}
        for _ in range(args.runs):
            for name in EXTRACTORS:
                seconds, texts[name], flagged[name] = parse(path, name)
                times[name].append(seconds)
        medians = {name: statistics.median(times[name]) for name in EXTRACTORS}
        shares = {}
        for name in EXTRACTORS:
            stats = [spacing_stats(text) for text in texts[name]]
            words = sum(s.words for s in stats)
            shares[name] = sum(s.long_words for s in stats) / words if words else 0.0
        pages = len(texts["pdfium"])
        total_pages += pages
        for name in EXTRACTORS:
            totals[name] += medians[name]
        print(
            f"{path.name:<14} {pages:>5} {medians['pypdf']:>8.2f} {medians['pdfium']:>8.2f} "
            f"{medians['pypdf'] / medians['pdfium']:>5.1f}x {shares['pypdf']:>11.2%} "
            f"{shares['pdfium']:>12.2%} {flagged['pypdf']:>11}/{flagged['pdfium']}"
        )
    print(
        f"{'total':<14} {total_pages:>5} {totals['pypdf']:>8.2f} {totals['pdfium']:>8.2f} "
        f"{totals['pypdf'] / totals['pdfium']:>5.1f}x"
    )


if __name__ == "__main__":
    main()
