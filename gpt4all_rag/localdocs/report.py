"""What an indexing run did, and what a collection holds."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class FailedSource(BaseModel):
    """One file that is not in the collection, and why."""

    model_config = ConfigDict(extra="forbid")

    source: str
    """Path of the file."""
    error: str
    """Why it failed or was skipped, in words a user can act on."""


class SkippedSource(BaseModel):
    """One file left out on purpose: no connector reads its kind."""

    model_config = ConfigDict(extra="forbid")

    source: str
    """Path of the file."""
    reason: str
    """Why it was left out (``no connector reads .png files``)."""


class SpacelessPages(BaseModel):
    """A file with pages whose text looks space-less (its words run together)."""

    model_config = ConfigDict(extra="forbid")

    source: str
    """Path of the file."""
    pages: list[int]
    """The flagged pages, 1-based, ascending."""


class IndexReport(BaseModel):
    """The outcome of one indexing run; counts are files, except ``chunks_embedded``."""

    model_config = ConfigDict(extra="forbid")

    added: int = 0
    """Files new to the collection."""
    updated: int = 0
    """Files whose content changed since the last run."""
    unchanged: int = 0
    """Files whose content did not change (nothing was embedded for them)."""
    deleted: int = 0
    """Files removed from the collection because they are gone from the indexed paths."""
    chunks_embedded: int = 0
    """Chunks run through the embedding model (vectors reused from the collection do not count)."""
    failed: list[FailedSource] = Field(default_factory=list)
    """Files that could not be indexed, each with its reason."""
    skipped: list[SkippedSource] = Field(default_factory=list)
    """Files in the indexed folders of a kind no connector reads (``LICENSE``, ``photo.png``);
    they do not count as failed."""
    spaceless_pages: list[SpacelessPages] = Field(default_factory=list)
    """Files read in this run with pages whose words look run together (metadata
    ``spaceless``); keyword search and answers may miss those pages."""

    @property
    def ok(self) -> bool:
        """True when no file failed."""
        return not self.failed


class CollectionInfo(BaseModel):
    """A summary of one collection, for listings."""

    model_config = ConfigDict(extra="forbid")

    name: str
    """Collection name."""
    files: int
    """Files indexed."""
    failed_files: int
    """Files that failed in the last run that saw them."""
    chunks: int
    """Chunks (vectors) in the collection."""
    embedding_model: str
    """Id of the embedding model the collection was built with."""
    chunk_tokens: int | None
    """Chunk size in embedding-model tokens."""
    overlap_tokens: int | None
    """Overlap between neighbouring chunks, in tokens."""
    size_bytes: int
    """Approximate size on disk here: ledger and keyword index, plus the local vectors."""
    location: str
    """Embedded Chroma folder or Chroma server URL."""
    interrupted: bool
    """True while a run is under way, or when the last one was killed (the next run repairs it)."""
