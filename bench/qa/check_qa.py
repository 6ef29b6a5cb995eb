"""Check a QA file against its corpus: does every ``answer_contains`` string occur on the gold page?

Usage::

    python bench/qa/check_qa.py CORPUS_DIR bench/qa/dev_en.jsonl [more.jsonl ...]

For each question the gold file is found by ``source`` as a path suffix (whole path components)
under CORPUS_DIR; its text is extracted as the pipeline sees it: PDF pages with pypdfium2
(falling back to ``pdftotext`` when pypdfium2 is not installed), HTML with BeautifulSoup's
``get_text()``, anything else read raw. Whitespace (including no-break spaces) is collapsed and
the comparison ignores case. Every ``answer_contains`` string must occur in the text of the gold
pages (any of the listed pages; the whole file when ``pages`` is null).

PDFium marks a line-end hyphen with U+FFFE and joins the two halves of the line: a string found
only after reading U+FFFE as "" (``exam\ufffeple``) or as "-" (``--force\ufffebiarch``), or after
joining an identifier broken at a line end after ``_`` (``R_ENVIRON_ USER``), counts as found but
is reported as ``hard``: those are the pages where extraction splits the answer.

Lines with ``"unanswerable": true`` are only counted. Exit status 1 when anything fails.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

_SPACE = re.compile(r"\s+")


def _norm(text: str) -> str:
    return _SPACE.sub(" ", text.replace("\xa0", " ")).strip().casefold()


@cache
def _pdf_pages(path: Path) -> tuple[str, ...]:
    try:
        import pypdfium2 as pdfium
    except ImportError:
        out = subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
        return tuple(out.split("\f"))
    pdf = pdfium.PdfDocument(str(path))
    try:
        return tuple(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()


@cache
def _file_text(path: Path) -> str:
    raw = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix.lower() in {".html", ".htm"}:
        from bs4 import BeautifulSoup

        return BeautifulSoup(raw, "html.parser").get_text()
    return raw


def _variants(text: str) -> dict[str, str]:
    """The page text as read plainly, and as read with the PDF line-break repairs."""
    plain = _norm(text)
    return {
        "plain": plain,
        "hard: U+FFFE read as nothing": _norm(text.replace("\ufffe", "")),
        "hard: U+FFFE read as '-'": _norm(text.replace("\ufffe", "-")),
        "hard: line break after '_' joined": _norm(re.sub(r"_\s*\n\s*", "_", text)),
    }


def _find(corpus: Path, source: str, index: dict[str, list[Path]]) -> list[Path]:
    parts = Path(source).parts
    return [
        p for p in index.get(parts[-1], []) if p.relative_to(corpus).parts[-len(parts) :] == parts
    ]


def check(corpus: Path, qa_files: list[Path]) -> int:
    index: dict[str, list[Path]] = {}
    for path in corpus.rglob("*"):
        if path.is_file():
            index.setdefault(path.name, []).append(path)
    failures = hard = total = unanswerable = 0
    for qa_file in qa_files:
        for lineno, line in enumerate(qa_file.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            item = json.loads(line)
            where = f"{qa_file.name}:{lineno}"
            if item.get("unanswerable"):
                unanswerable += 1
                continue
            total += 1
            found = _find(corpus, item["source"], index)
            if len(found) != 1:
                failures += 1
                print(f"FAIL {where}: source {item['source']!r} matches {len(found)} files")
                continue
            path = found[0]
            pages = item.get("pages")
            if path.suffix.lower() == ".pdf":
                all_pages = _pdf_pages(path)
                if not pages:
                    failures += 1
                    print(f"FAIL {where}: PDF source without pages")
                    continue
                if max(pages) > len(all_pages):
                    failures += 1
                    print(f"FAIL {where}: page {max(pages)} > {len(all_pages)} pages")
                    continue
                text = "\n".join(all_pages[p - 1] for p in pages)
            else:
                if pages:
                    failures += 1
                    print(f"FAIL {where}: pages given for a file without pages")
                    continue
                text = _file_text(path)
            variants = _variants(text)
            for want in item["answer_contains"]:
                key = _norm(want)
                how = next((name for name, v in variants.items() if key in v), None)
                if how is None:
                    failures += 1
                    print(f"FAIL {where}: {want!r} not in {item['source']} pages {pages}")
                elif how != "plain":
                    hard += 1
                    print(f"hard {where}: {want!r} in {item['source']} pages {pages} ({how})")
    print(
        f"{total} answerable questions, {unanswerable} unanswerable; "
        f"{failures} failures; {hard} answer strings found only after line-break repair"
    )
    return 1 if failures else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="corpus directory (dev-corpus.sh TARGET_DIR)")
    parser.add_argument("qa", type=Path, nargs="+", help="QA files (JSON Lines)")
    args = parser.parse_args()
    sys.exit(check(args.corpus.resolve(), args.qa))


if __name__ == "__main__":
    main()
