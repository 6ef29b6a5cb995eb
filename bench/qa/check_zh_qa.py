"""Checks the Chinese development QA files against the corpus they were written for.

Usage (from the repository root, with the corpus built by ``bench/corpora/dev-corpus.sh DIR``)::

    python bench/qa/check_zh_qa.py DIR/zh
    python bench/qa/check_zh_qa.py DIR/zh --qa bench/qa/dev_zh.jsonl \
        --unanswerable bench/qa/dev_unanswerable_zh.jsonl

For each answerable question it checks that the line has exactly the keys ``question``,
``answer_contains``, ``source`` and ``pages``; that ``source`` names exactly one file under the
corpus directory (as a suffix of whole path components); and that **every** string of
``answer_contains`` occurs in the gold file's text (HTML: BeautifulSoup ``get_text``; PDF: pypdf,
page by page, only the listed 1-based pages; text files: raw), whitespace normalised (any run of
whitespace, no-break spaces included, becomes one space). Where the project's own connectors
import, it also checks the text they give (what the indexer sees).

It also lists, as notes and not failures, other files whose text holds one of the strings: a hint
where gold may be ambiguous, to be judged by reading.

For the unanswerable file it checks the keys (``question``, ``unanswerable: true``) and lists any
question that repeats an answerable one. Whether an answer is absent was checked by reading and
grepping; no script can tell.

Exit status 0 when all checks pass, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ANSWERABLE_KEYS = {"question", "answer_contains", "source", "pages"}
UNANSWERABLE_KEYS = {"question", "unanswerable"}
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Collapse every run of whitespace (no-break spaces included) into one space."""
    return _SPACE.sub(" ", text.replace("\u00a0", " ")).strip()


def file_pages(path: Path) -> list[str]:
    """The text of a file: one entry per PDF page, else a single entry."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        import logging

        from pypdf import PdfReader

        logging.getLogger("pypdf").setLevel(logging.ERROR)
        return [normalise(page.extract_text() or "") for page in PdfReader(path).pages]
    raw = path.read_bytes().decode("utf-8", errors="replace")
    if suffix in {".html", ".htm", ".xhtml"}:
        from bs4 import BeautifulSoup

        return [normalise(BeautifulSoup(raw, "html.parser").get_text(" "))]
    return [normalise(raw)]


def connector_pages(path: Path) -> list[str] | None:
    """The text the project's connectors give, one entry per page; None if they do not import."""
    try:
        if path.suffix.lower() == ".pdf":
            from connectors.pdf import PdfConnector as Connector
        elif path.suffix.lower() in {".html", ".htm"}:
            from connectors.html import HtmlConnector as Connector
        else:
            from connectors.text import TextConnector as Connector
    except ImportError:
        return None
    try:
        documents = list(Connector().load(path))
    except Exception as exc:  # e.g. a parser the connector needs is missing here
        print(f"note: the connector check of {path.name} was skipped: {exc}", file=sys.stderr)
        return None
    if path.suffix.lower() != ".pdf":
        return [normalise(" ".join(doc.page_content for doc in documents))]
    pages: dict[int, list[str]] = {}
    for doc in documents:
        pages.setdefault(int(doc.metadata["page"]), []).append(doc.page_content)
    count = max(pages, default=0)
    return [normalise(" ".join(pages.get(number, []))) for number in range(1, count + 1)]


def suffix_matches(path: Path, root: Path, source: str) -> bool:
    parts = path.relative_to(root).parts
    wanted = tuple(part for part in source.split("/") if part)
    return len(wanted) <= len(parts) and parts[-len(wanted) :] == wanted


def read_jsonl(path: Path) -> list[tuple[int, dict]]:
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            items.append((number, json.loads(line)))
    return items


def check_answerable(qa: Path, root: Path, failures: list[str], notes: list[str]) -> int:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    texts: dict[Path, list[str]] = {}
    connector_texts: dict[Path, list[str] | None] = {}

    def text_of(path: Path) -> list[str]:
        if path not in texts:
            texts[path] = file_pages(path)
        return texts[path]

    def connector_text_of(path: Path) -> list[str] | None:
        if path not in connector_texts:
            connector_texts[path] = connector_pages(path)
        return connector_texts[path]

    items = read_jsonl(qa)
    seen: set[str] = set()
    for number, item in items:
        where = f"{qa.name}:{number}"
        if set(item) != ANSWERABLE_KEYS:
            failures.append(f"{where}: keys {sorted(item)}, want {sorted(ANSWERABLE_KEYS)}")
            continue
        question, wants, source, pages = (
            item[k] for k in ("question", "answer_contains", "source", "pages")
        )
        if question in seen:
            failures.append(f"{where}: question repeated")
        seen.add(question)
        if not (
            isinstance(wants, list)
            and 1 <= len(wants) <= 3
            and all(isinstance(w, str) and w for w in wants)
        ):
            failures.append(f"{where}: answer_contains must be 1-3 non-empty strings")
            continue
        gold = [p for p in files if suffix_matches(p, root, source)]
        if len(gold) != 1:
            failures.append(f"{where}: source {source!r} matches {len(gold)} files")
            continue
        path = gold[0]
        page_texts = text_of(path)
        if pages is None:
            if len(page_texts) > 1:
                failures.append(f"{where}: {source} has pages; give them")
                continue
            chosen = page_texts
        else:
            if not (
                isinstance(pages, list)
                and pages
                and all(isinstance(p, int) and 1 <= p <= len(page_texts) for p in pages)
            ):
                failures.append(f"{where}: pages {pages} not within 1..{len(page_texts)}")
                continue
            chosen = [page_texts[p - 1] for p in pages]
        for want in wants:
            needle = normalise(want)
            if not any(needle in text for text in chosen):
                failures.append(f"{where}: {want!r} not in {source} (pages {pages})")
        via_connector = connector_text_of(path)
        if via_connector is not None:
            selected = (
                via_connector
                if pages is None
                else [via_connector[p - 1] if p <= len(via_connector) else "" for p in pages]
            )
            for want in wants:
                if not any(normalise(want) in text for text in selected):
                    failures.append(f"{where}: {want!r} not in the connector's text of {source}")
        others = sorted(
            {
                str(other.relative_to(root))
                for other in files
                if other != path
                for want in wants
                if any(normalise(want) in text for text in text_of(other))
            }
        )
        if others:
            notes.append(
                f"{where}: {wants} also in {', '.join(others)} (check the question is specific)"
            )
    return len(items)


def check_unanswerable(path: Path, answerable: Path, failures: list[str]) -> int:
    items = read_jsonl(path)
    asked = (
        {item.get("question") for _, item in read_jsonl(answerable)}
        if answerable.exists()
        else set()
    )
    seen: set[str] = set()
    for number, item in items:
        where = f"{path.name}:{number}"
        if set(item) != UNANSWERABLE_KEYS or item.get("unanswerable") is not True:
            failures.append(f"{where}: want exactly question and unanswerable: true")
            continue
        if not isinstance(item["question"], str) or not item["question"].strip():
            failures.append(f"{where}: empty question")
        if item["question"] in seen or item["question"] in asked:
            failures.append(f"{where}: question repeated")
        seen.add(item["question"])
    return len(items)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="the zh/ directory that dev-corpus.sh built")
    parser.add_argument("--qa", type=Path, default=HERE / "dev_zh.jsonl")
    parser.add_argument("--unanswerable", type=Path, default=HERE / "dev_unanswerable_zh.jsonl")
    parser.add_argument("--quiet", action="store_true", help="leave out the ambiguity notes")
    args = parser.parse_args(argv)
    root = args.corpus.resolve()
    if not root.is_dir():
        parser.error(f"{root} is not a directory")
    failures: list[str] = []
    notes: list[str] = []
    answerable = check_answerable(args.qa, root, failures, notes)
    unanswerable = (
        check_unanswerable(args.unanswerable, args.qa, failures)
        if args.unanswerable.exists()
        else 0
    )
    if not args.quiet:
        for note in notes:
            print("note:", note)
    for failure in failures:
        print("FAIL:", failure)
    print(
        f"{answerable} answerable, {unanswerable} unanswerable questions; {len(failures)} failures"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
