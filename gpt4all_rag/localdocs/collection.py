"""LocalDocs: a named collection of your files, indexed for vector and keyword search."""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.documents import Document

from gpt4all_rag.config import Settings, get_settings
from gpt4all_rag.embedding_backends.policy import same_vectors
from gpt4all_rag.errors import (
    CollectionLockedError,
    CollectionMismatchError,
    CollectionNotFoundError,
)
from gpt4all_rag.localdocs.failures import explain
from gpt4all_rag.localdocs.indexer import DEFAULT_BATCH_SIZE, IndexEmbeddings, Indexer
from gpt4all_rag.localdocs.keyword_engine import keyword_dir
from gpt4all_rag.localdocs.keyword_index import KeywordIndex
from gpt4all_rag.localdocs.keyword_sync import keywords_behind
from gpt4all_rag.localdocs.layout import Layout, validate_collection_name
from gpt4all_rag.localdocs.ledger import Ledger, read_documents, read_meta, read_summary
from gpt4all_rag.localdocs.lock import CollectionLock
from gpt4all_rag.localdocs.progress import IndexProgress
from gpt4all_rag.localdocs.report import CollectionInfo, IndexReport
from gpt4all_rag.localdocs.retriever import HybridRetriever
from gpt4all_rag.localdocs.searchable import KeywordSearch
from gpt4all_rag.localdocs.shared_lease import WriterLease
from gpt4all_rag.localdocs.shared_record import SharedRecord, is_ours
from gpt4all_rag.localdocs.shared_store import SharedVectorStore, shared_names
from gpt4all_rag.localdocs.shared_terms import SharedKeywordIndex, TermStats
from gpt4all_rag.localdocs.shared_writer import SharedWriteStore, initial_metadata
from gpt4all_rag.localdocs.store import (
    VectorHit,
    VectorStore,
    create_collection,
    drop_collection,
    get_collection,
    make_client,
)
from gpt4all_rag.localdocs.usage import collection_size
from gpt4all_rag.localdocs.where import Where
from gpt4all_rag.strict_keywords import reject_unknown

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

    from gpt4all_rag.localdocs.splitting import SplitSettings

_OPTIONS = (
    "settings",
    "embeddings",
    "chroma_url",
    "split_settings",
    "max_file_size",
    "batch_size",
)
"""The keyword options of :class:`LocalDocs`."""

_META_MODEL = "embedding_model"
_META_SPLIT = "split_settings"
_CHROMA_MODEL = "gpt4all_rag_embedding_model"
_CHROMA_SPLIT = "gpt4all_rag_split_settings"
_CHROMA_LEDGER = "gpt4all_rag_ledger_id"


class LocalDocs:
    """A collection of local files: split, embedded into Chroma, and keyword-indexed.

    Setup:
        Nothing to set up: vectors go to an embedded Chroma under the data home
        (``GPT4ALL_RAG_HOME``); pass ``chroma_url`` (or set ``GPT4ALL_RAG_CHROMA_URL``) to use a
        Chroma server (``chroma run``) instead.

    Instantiate:
        .. code-block:: python

            from gpt4all_rag import LocalDocs

            docs = LocalDocs("manuals")

    Index (incremental: only new and changed chunks are embedded):
        .. code-block:: python

            report = docs.index(["~/Documents/manuals"], exclude=["drafts"])
            print(report.added, report.updated, report.unchanged, report.deleted, report.failed)

    Search (what the retriever builds on):
        .. code-block:: python

            hits = docs.vector_search("how do I fit a linear model?", k=8)
            keyword = docs.keyword_index.search("lm formula", k=8)  # [(chunk_id, bm25)]
            chunks = docs.get_documents([chunk_id for chunk_id, _ in keyword])

    Retrieve (hybrid: dense and keyword search, fused; a LangChain retriever):
        .. code-block:: python

            retriever = docs.as_retriever(k=6, file_types=["pdf"])
            chunks = retriever.invoke("How do I fit a linear model?")

    Ask: answers are the answer chain's, a floor up (this room never imports it):
        .. code-block:: python

            from gpt4all_rag.rag import AnswerChain

            answer = AnswerChain.from_collection(docs).invoke("How do I fit a linear model?")

    Args:
        collection: Collection name (3-63 characters of ``a-zA-Z0-9._-``).
        settings: Settings; the process-wide ones by default.
        embeddings: Embedding model; ``GPT4AllEmbeddings()`` (the configured model) by default.
        chroma_url: Chroma server URL; overrides ``settings.chroma_url``.
        split_settings: Chunking; the collection's recorded settings, or the defaults when new.
        max_file_size: Larger files are skipped and reported; the walker's default when None.
        batch_size: Chunks per embedding call, across files.
    """

    def __init__(
        self,
        collection: str = "default",
        *,
        settings: Settings | None = None,
        embeddings: IndexEmbeddings | None = None,
        chroma_url: str | None = None,
        split_settings: SplitSettings | None = None,
        max_file_size: int | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        **unknown: Any,
    ) -> None:
        reject_unknown("LocalDocs", unknown, _OPTIONS)
        self.name = validate_collection_name(collection)
        self.settings = settings or get_settings()
        self.layout = Layout.for_settings(self.settings, chroma_url)
        self._embeddings = embeddings
        self._embeddings_given = embeddings is not None
        self._split_settings = split_settings
        self._max_file_size = max_file_size
        self._batch_size = batch_size
        self._client: ClientAPI | None = None
        self._vector_store: VectorStore | None = None
        self._held_lease: WriterLease | None = None

    def __repr__(self) -> str:
        return f"LocalDocs({self.name!r}, location={self.layout.location!r})"

    # --- parts ----------------------------------------------------------------------------------

    @property
    def embeddings(self) -> IndexEmbeddings:
        """The embedding model (built on first use)."""
        if self._embeddings is None:
            from gpt4all_rag.embeddings import configured_embeddings

            self._embeddings = configured_embeddings(self.settings, self.recorded_settings()[0])
        return self._embeddings

    @property
    def ledger_path(self) -> Path:
        """The collection's ledger (files, chunks, keyword index)."""
        return self.layout.ledger_path(self.name)

    @property
    def shared(self) -> bool:
        """Whether the collection lives on a Chroma server, whole (docs/deploy.md): any data
        home pointed at the server reads it from there, with no ledger."""
        return self.layout.chroma_url is not None

    @property
    def exists(self) -> bool:
        """Whether the collection has been indexed (here, or on the Chroma server)."""
        if self.shared:
            return self._shared_record() is not None
        return self._has_ledger

    @property
    def _has_ledger(self) -> bool:
        """Whether this data home has the collection's ledger (it is or was its writer)."""
        return self.ledger_path.is_file()

    @property
    def is_empty(self) -> bool:
        """Whether the collection holds no chunk (never indexed, or indexed from no readable
        file)."""
        if self.shared:
            record = self._shared_record()
            return record is None or record.chunks == 0
        return not self.exists or read_summary(self.ledger_path).chunks == 0

    @property
    def keyword_index(self) -> KeywordSearch:
        """BM25 keyword search over the chunks: ``search(query, k, where) -> [(id, score)]``.

        A shared collection is searched on the server, from every data home alike.
        """
        if self.shared:
            return SharedKeywordIndex(self._chroma(), self.vector_store.collection)
        self._build_keyword_index()
        return KeywordIndex(self.ledger_path)

    def _build_keyword_index(self) -> None:
        """Bring the keyword index up to the ledger when it lags and no run holds the lock: a
        ledger written before the index existed (searched by FTS5 until then), or an outbox left
        by a run that was killed or failed (searched as the index's last commit until then)."""
        if not self.exists or not keywords_behind(self.ledger_path):
            return
        try:
            with CollectionLock(self.layout.lock_path(self.name), self.name):
                Ledger(self.ledger_path).close()
        except (CollectionLockedError, OSError, sqlite3.Error):
            return  # read-only or busy: searched by FTS5 meanwhile

    @property
    def vector_store(self) -> VectorStore:
        """The Chroma collection (``.collection``) with ``query(embedding, k, where)``.

        Raises:
            CollectionNotFoundError: When the collection was never indexed.
        """
        if self._vector_store is None:
            collection = get_collection(self._chroma(), self.name)
            if self.shared and collection is not None and is_ours(collection.metadata):
                self._vector_store = SharedVectorStore(self._chroma(), collection)
                return self._vector_store
            if collection is None or not self.exists:
                raise CollectionNotFoundError(self.name, self._names())
            self._vector_store = VectorStore(collection, self._chroma().get_max_batch_size())
        return self._vector_store

    # --- search ---------------------------------------------------------------------------------

    def vector_search(self, query: str, k: int = 4, where: Where | None = None) -> list[VectorHit]:
        """Chunks nearest to a query, embedded with the collection's model.

        Raises:
            CollectionNotFoundError: When the collection was never indexed.
            CollectionMismatchError: When ``embeddings`` is not the collection's model.
        """
        store = self.vector_store
        recorded = self.recorded_settings()[0]
        if recorded is not None and recorded != self.embeddings.model_id:
            raise _mismatch(self.name, recorded, self.embeddings.model_id, "embedding model")
        return store.query(self.embeddings.embed_query(query), k, where)

    def embed_query(self, query: str) -> list[float]:
        """The query's vector, from the collection's own embedding model.

        Raises:
            CollectionNotFoundError: When the collection was never indexed.
            CollectionMismatchError: When ``embeddings`` is not the collection's model.
        """
        self.check_embeddings()
        return self.embeddings.embed_query(query)

    def check_embeddings(self) -> None:
        """Check that the collection exists and was indexed with this embedding model.

        Raises:
            CollectionNotFoundError: When the collection was never indexed.
            CollectionMismatchError: When ``embeddings`` is not the collection's model.
        """
        if not self.exists:
            raise CollectionNotFoundError(self.name, self._names())
        recorded = self.recorded_settings()[0]
        if (
            recorded is not None
            and not _same_model_cheap(self.embeddings, recorded)
            and recorded != self.embeddings.model_id
        ):
            model = recorded.rpartition(":")[0] or recorded
            raise CollectionMismatchError(
                f"Collection {self.name!r} was indexed with embedding model {recorded}, but this "
                f"session uses {self.embeddings.model_id}; questions must be embedded with the "
                f"collection's own model. Run with --embedding-model {model} (or set "
                f"GPT4ALL_RAG_EMBEDDING_MODEL={model}), or re-index the collection with --rebuild."
            )

    def sources(self) -> list[str]:
        """Every indexed file (absolute path), sorted; read without writing to the ledger."""
        if not self.exists:
            return []
        if self.shared:
            return self._shared_store().sources()
        db = sqlite3.connect(self.ledger_path, timeout=30)
        try:
            db.execute("PRAGMA query_only = ON")
            rows = db.execute("SELECT DISTINCT source FROM chunks ORDER BY source").fetchall()
        except sqlite3.OperationalError:  # created but never initialized
            return []
        finally:
            db.close()
        return [row[0] for row in rows]

    def as_retriever(self, **kwargs: Any) -> HybridRetriever:
        """A LangChain retriever over this collection: dense and keyword search, fused.

        Args:
            kwargs: :class:`~gpt4all_rag.localdocs.retriever.HybridRetriever` fields
                (``k``, ``mode``, ``use_mmr``, ``source_glob``, ``file_types``, ...).
        """
        return HybridRetriever(collections=[self], **kwargs)

    def get_documents(self, ids: Sequence[str]) -> list[Document]:
        """Chunks by id, from the ledger, in the given order; ``Document.id`` is the chunk id."""
        if not self.exists:
            return []
        if self.shared:
            return self._shared_store().documents(ids)
        stored = read_documents(self.ledger_path, ids)
        return [Document(id=s.id, page_content=s.text, metadata=s.metadata) for s in stored]

    def recorded_settings(self) -> tuple[str | None, dict[str, Any] | None]:
        """The embedding model id and split settings the collection was built with."""
        if self.shared:
            record = self._shared_record()
            return (record.model, record.split) if record else (None, None)
        if not self.exists:
            return None, None
        meta = read_meta(self.ledger_path)
        split = meta.get(_META_SPLIT)
        return meta.get(_META_MODEL), json.loads(split) if split else None

    # --- indexing -------------------------------------------------------------------------------

    def index(
        self,
        paths: Sequence[str | Path],
        *,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
        rebuild: bool = False,
        progress: IndexProgress | None = None,
        **unknown: Any,
    ) -> IndexReport:
        """Bring the collection in line with the files under ``paths``.

        New and changed files are read; only chunks whose content has no vector yet are
        embedded; files gone from under ``paths`` leave the collection; files that cannot be read
        are reported with their reason, and everything else is indexed. A run that was killed is
        repaired by the next one.

        Args:
            paths: Files and folders. A folder indexed before and now deleted may be given: its
                files leave the collection.
            include: Globs a file must match (relative to each folder), if any.
            exclude: Globs of files and folders to leave out.
            rebuild: Drop the collection first (to change model or chunking).
            progress: Called with :class:`ProgressUpdate` snapshots.

        Returns:
            What the run did; counts are files.

        Raises:
            CollectionLockedError: Another process is writing this collection.
            CollectionMismatchError: The collection was built with another model or chunking.
            IndexPathNotFoundError: A path does not exist and was never indexed.
        """
        reject_unknown("LocalDocs.index", unknown, ("include", "exclude", "rebuild", "progress"))
        from connectors.folder import DEFAULT_MAX_FILE_SIZE, walk
        from connectors.registry import get_registry

        with CollectionLock(self.layout.lock_path(self.name), self.name), self._lease():
            if rebuild:
                self._drop()
            is_new = not self._has_ledger
            try:
                with Ledger(self.ledger_path) as ledger:
                    split_settings = self._check_settings(ledger)
                    indexer = Indexer(
                        ledger=ledger,
                        store=partial(self._writable_store, ledger),
                        embeddings=_CheckedEmbeddings(self.embeddings, ledger, self.name),
                        loader=get_registry(),
                        walk=walk,
                        split=self._splitter(split_settings),
                        batch_size=self._batch_size,
                        max_file_size=self._max_file_size or DEFAULT_MAX_FILE_SIZE,
                        progress=progress,
                        store_is_missing=self._store_missing(ledger),
                        on_commit=self._commit_shared,
                    )
                    report = indexer.run(paths, include=include, exclude=exclude)
                    if ledger.chunk_count() == 0:  # an empty collection exists in Chroma too
                        self._writable_store(ledger)
                    self._commit_shared(close=True)
                    return report
            except Exception as error:
                if is_new:
                    self._discard_if_unused()
                told = explain(
                    error,
                    home=self.settings.home,
                    doing=f"indexing {self.name!r}",
                    chroma_url=self.layout.chroma_url,
                    collection=self.name,
                )
                if told is not None:
                    raise told from error
                raise
            finally:
                if self.shared:  # searches after the run read as any reader does
                    self._vector_store = self._held_lease = None

    def _discard_if_unused(self) -> None:
        """Remove a new collection whose first run failed before recording any file (the caller
        holds the lock), so that a failed first run leaves nothing behind."""
        if self._has_ledger:
            summary = read_summary(self.ledger_path)
            if summary.files or summary.failed_files or summary.chunks:
                return  # some work is recorded: a re-run resumes from it
        if self._client is not None:
            try:
                drop_collection(self._client, self.name)
            except Exception:  # a lost server or a full disk: keep the ledger, which matches
                return  # the vectors left there, so that a re-run adopts and repairs them
        self._vector_store = None
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.ledger_path}{suffix}").unlink(missing_ok=True)
        shutil.rmtree(self.layout.collection_dir(self.name), ignore_errors=True)

    def _splitter(self, split_settings: SplitSettings) -> Callable[[Iterable[Document]], Any]:
        from gpt4all_rag.localdocs.splitting import split_documents

        return partial(split_documents, counter=self.embeddings, settings=split_settings)

    def _check_settings(self, ledger: Ledger) -> SplitSettings:
        """Record model and chunking in a new collection; refuse different ones in an old one."""
        from gpt4all_rag.localdocs.splitting import SplitSettings, check_settings

        recorded_split = ledger.get_meta(_META_SPLIT)
        if self._split_settings is not None:
            split = self._split_settings
        elif recorded_split is not None:
            split = SplitSettings.model_validate_json(recorded_split)
        else:
            split = SplitSettings()
        check_settings(self.embeddings, split)  # a ChunkSizeError stops the run, not each file
        split_json = split.model_dump_json()
        if recorded_split is not None and json.loads(recorded_split) != json.loads(split_json):
            raise _mismatch(self.name, recorded_split, split_json, "chunking settings")
        recorded_model = ledger.get_meta(_META_MODEL)
        if recorded_model is None:
            with ledger.transaction():
                ledger.set_meta(_META_MODEL, self.embeddings.model_id)
                ledger.set_meta(_META_SPLIT, split_json)
        elif not _same_model_cheap(self.embeddings, recorded_model):
            wanted = self.embeddings.model_id
            if wanted != recorded_model:
                raise _mismatch(self.name, recorded_model, wanted, "embedding model")
        return split

    def _store_missing(self, ledger: Ledger) -> bool:
        """True when the embedded Chroma database is gone while the ledger holds chunks."""
        if self.layout.chroma_path is None:
            return False
        return (
            not (self.layout.chroma_path / "chroma.sqlite3").is_file() and ledger.chunk_count() > 0
        )

    def _lease(self) -> contextlib.AbstractContextManager[object]:
        """The writer lease on the Chroma server (nothing for the embedded store)."""
        if not self.shared:
            return contextlib.nullcontext()
        self._held_lease = WriterLease(
            self._chroma(),
            self.name,
            ttl=self.settings.writer_lease_seconds,
            home=str(self.settings.home),
            url=self.layout.location,
        )
        return self._held_lease

    def _commit_shared(self, *, close: bool = False) -> None:
        """Make a shared collection's written files visible to readers (a no-op otherwise)."""
        store = self._vector_store
        if isinstance(store, SharedWriteStore):
            store.close() if close else store.commit()

    def _shared_record(self) -> SharedRecord | None:
        """The shared collection's record, read from the server now; None if there is none."""
        collection = get_collection(self._chroma(), self.name)
        if collection is None or not is_ours(collection.metadata):
            return None
        return SharedRecord.from_metadata(collection.metadata)

    def _shared_store(self) -> SharedVectorStore:
        store = self.vector_store
        assert isinstance(store, SharedVectorStore)
        return store

    def _names(self) -> list[str]:
        """The collections one could have meant: on the server when shared, else here."""
        return shared_names(self._chroma()) if self.shared else self.layout.collection_names()

    def _chroma(self) -> ClientAPI:
        if self._client is None:
            self._client = make_client(self.layout)
        return self._client

    def _writable_store(self, ledger: Ledger) -> VectorStore:
        """The Chroma collection for writing: created on first use, checked against the ledger."""
        if self._vector_store is not None and not isinstance(self._vector_store, SharedVectorStore):
            return self._vector_store
        client = self._chroma()
        model = ledger.get_meta(_META_MODEL) or ""
        split = ledger.get_meta(_META_SPLIT) or ""
        collection = get_collection(client, self.name)
        if collection is None:
            metadata = {
                _CHROMA_MODEL: model,
                _CHROMA_SPLIT: split,
                _CHROMA_LEDGER: ledger.ledger_id,
                **(initial_metadata() if self.shared else {}),
            }
            collection = create_collection(client, self.name, metadata)
        else:
            found = dict(collection.metadata or {})
            if found.get(_CHROMA_LEDGER) != ledger.ledger_id:
                raise CollectionMismatchError(
                    f"The Chroma collection {self.name!r} at {self.layout.location} was not "
                    f"indexed from this data home's ledger ({self.ledger_path}); it may belong to "
                    f"another machine or data home. Rerun with --rebuild to replace it, or pick "
                    f"another collection name."
                )
            if found.get(_CHROMA_MODEL) != model:
                raise _mismatch(self.name, str(found.get(_CHROMA_MODEL)), model, "embedding model")
        if self.shared:
            lease = self._held_lease
            assert lease is not None
            self._vector_store = SharedWriteStore(client, collection, lease, _file_counts(ledger))
        else:
            self._vector_store = VectorStore(collection, client.get_max_batch_size())
        return self._vector_store

    # --- management -----------------------------------------------------------------------------

    def info(self) -> CollectionInfo:
        """Files, chunks, model and size of this collection.

        Raises:
            CollectionNotFoundError: When the collection was never indexed.
        """
        if self.shared:
            return self._shared_info()
        if not self.exists:
            raise CollectionNotFoundError(self.name, self.layout.collection_names())
        summary = read_summary(self.ledger_path)
        split = json.loads(summary.meta.get(_META_SPLIT) or "{}")
        return CollectionInfo(
            name=self.name,
            files=summary.files,
            failed_files=summary.failed_files,
            chunks=summary.chunks,
            embedding_model=summary.meta.get(_META_MODEL, "unknown"),
            chunk_tokens=split.get("chunk_tokens"),
            overlap_tokens=split.get("overlap_tokens"),
            size_bytes=collection_size(self.layout, self.name),
            location=self.layout.location,
            interrupted="run" in summary.meta,
        )

    @classmethod
    def list_collections(
        cls, settings: Settings | None = None, chroma_url: str | None = None
    ) -> list[CollectionInfo]:
        """Every collection indexed from this data home (for one store), sorted by name."""
        names = cls.collection_names(settings, chroma_url)
        return [cls(name, settings=settings, chroma_url=chroma_url).info() for name in names]

    @classmethod
    def collection_names(
        cls, settings: Settings | None = None, chroma_url: str | None = None
    ) -> list[str]:
        """Names of the collections of one store, sorted: on the Chroma server when one is set
        (whoever indexed them), else those indexed in this data home."""
        layout = Layout.for_settings(settings or get_settings(), chroma_url)
        if layout.chroma_url is not None:
            return shared_names(make_client(layout))
        return layout.collection_names()

    def _shared_info(self) -> CollectionInfo:
        """A shared collection's info, from its record on the server."""
        record = self._shared_record()
        if record is None:
            raise CollectionNotFoundError(self.name, self._names())
        split = record.split or {}
        return CollectionInfo(
            name=self.name,
            files=record.files,
            failed_files=record.failed_files,
            chunks=record.chunks,
            embedding_model=record.model or "unknown",
            chunk_tokens=split.get("chunk_tokens"),
            overlap_tokens=split.get("overlap_tokens"),
            size_bytes=collection_size(self.layout, self.name),
            location=self.layout.location,
            interrupted=self._has_ledger and "run" in read_meta(self.ledger_path),
        )

    def remove(self) -> None:
        """Delete the collection: its vectors, ledger and keyword index.

        Raises:
            CollectionNotFoundError: When there is no such collection.
            CollectionLockedError: Another process is writing it.
        """
        if not self.layout.collection_dir(self.name).exists() and not (self.shared and self.exists):
            raise CollectionNotFoundError(self.name, self._names())
        with CollectionLock(self.layout.lock_path(self.name), self.name), self._lease():
            self._drop()
            shutil.rmtree(self.layout.collection_dir(self.name), ignore_errors=True)

    def _drop(self) -> None:
        """Drop the ledger, then the Chroma collection (the caller holds the lock).

        In this order a crash in between leaves vectors without a ledger, which the next run
        refuses to adopt (and ``rebuild`` drops), never a ledger claiming vectors that are gone.
        """
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.ledger_path}{suffix}").unlink(missing_ok=True)
        shutil.rmtree(keyword_dir(self.ledger_path), ignore_errors=True)
        collection = get_collection(self._chroma(), self.name)
        if collection is not None:
            TermStats(self._chroma(), collection).drop()
        drop_collection(self._chroma(), self.name)
        self._vector_store = None
        if not self._embeddings_given:  # a rebuild may change the backend
            self._embeddings = None


class _CheckedEmbeddings:
    """Embeddings that check their model id against the ledger before the first embedding.

    Loading a model to learn its id costs seconds; a no-op re-index should not pay for it, so when
    the model's name matches the recorded id, the full check waits until something is embedded.
    """

    def __init__(self, inner: IndexEmbeddings, ledger: Ledger, collection: str) -> None:
        self._inner = inner
        self._ledger = ledger
        self._collection = collection
        self._checked = False

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not self._checked:
            recorded = self._ledger.get_meta(_META_MODEL)
            if recorded is not None and recorded != self._inner.model_id:
                raise _mismatch(self._collection, recorded, self._inner.model_id, "embedding model")
            self._checked = True
        return self._inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    def count_tokens(self, text: str) -> int:
        return self._inner.count_tokens(text)

    @property
    def max_tokens(self) -> int:
        return self._inner.max_tokens

    @property
    def model_id(self) -> str:
        return self._inner.model_id


def _same_model_cheap(embeddings: IndexEmbeddings, recorded: str) -> bool:
    """Whether the recorded id names this model, judged without loading it (when possible)."""
    ref = getattr(embeddings, "model_ref", None)
    name = getattr(ref, "name", None)
    backend = getattr(embeddings, "backend", "torch")
    return isinstance(name, str) and same_vectors(recorded, name, backend)


def _mismatch(collection: str, recorded: str, wanted: str, what: str) -> CollectionMismatchError:
    return CollectionMismatchError(
        f"Collection {collection!r} was built with {what} {recorded}, but this run uses {wanted}. "
        f"Vectors of different models or chunkings cannot be mixed: rerun with --rebuild "
        f"(LocalDocs.index(..., rebuild=True)) to drop and rebuild the collection, or index into "
        f"another collection name."
    )


def _file_counts(ledger: Ledger) -> Callable[[], tuple[int, int]]:
    """Indexed and failed files of a ledger, counted when called."""

    def counts() -> tuple[int, int]:
        summary = read_summary(ledger.path)
        return summary.files, summary.failed_files

    return counts
