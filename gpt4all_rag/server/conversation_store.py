"""Past chats kept on this machine: SQLite in the data home, listed, reopened, deleted, exported.

Messages are appended (a reply is saved once it is complete), so no request ever carries a
whole long conversation. Each call opens its own connection: the routes run them on worker
threads, and SQLite's WAL lets readers go on while one writes.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from gpt4all_rag.errors import GPT4AllRagError

CONVERSATIONS_FILE = "conversations.sqlite3"
"""File name of the store, in the data home."""
TITLE_CHARS = 80
"""A conversation's title: the first question, cut to this many characters."""

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS conversations (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        model TEXT,
        collections TEXT NOT NULL,
        created REAL NOT NULL,
        updated REAL NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS messages (
        conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        role TEXT NOT NULL,
        content TEXT NOT NULL,
        sources TEXT,
        error TEXT,
        PRIMARY KEY (conversation_id, seq)
    )""",
    "CREATE INDEX IF NOT EXISTS conversations_by_update ON conversations (updated)",
)


class ConversationNotFoundError(GPT4AllRagError, LookupError):
    """No conversation has this id (it may have been deleted)."""

    def __init__(self, conversation_id: str) -> None:
        super().__init__(
            f"No conversation {conversation_id!r} here (it may have been deleted): list them "
            "with GET /v1/conversations."
        )


class SavedSource(BaseModel):
    """A source of an answer, as the chat reply gave it."""

    model_config = ConfigDict(extra="ignore")

    source: str = Field(max_length=4096)
    """Path of the file."""
    page: int | None = None
    """1-based page of a paged format."""
    snippet: str = Field(default="", max_length=20_000)
    """The passage text."""
    score: float = 0.0
    """Relevance."""
    cited: bool = False
    """Whether the answer cites it."""
    quote: str | None = Field(default=None, max_length=4000)
    """The quoted sentence the answer rests on."""


class Message(BaseModel):
    """One turn of a conversation."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    """Who said it."""
    content: str = Field(max_length=200_000)
    """What was said."""
    sources: list[SavedSource] | None = Field(default=None, max_length=64)
    """The sources of a LocalDocs answer."""
    error: str | None = Field(default=None, max_length=4000)
    """Why the reply stopped short, if it did."""


class ConversationSummary(BaseModel):
    """A conversation in the list."""

    model_config = ConfigDict(extra="forbid")

    id: str
    """Conversation id."""
    object: Literal["conversation"] = "conversation"
    """Always ``conversation``."""
    title: str
    """The first question, or the title given."""
    model: str | None
    """The chat model last used."""
    collections: list[str]
    """The collections last ticked."""
    created: float
    """Unix time it was started."""
    updated: float
    """Unix time of its last message."""
    message_count: int
    """Messages so far."""


class Conversation(ConversationSummary):
    """A conversation with its messages."""

    messages: list[Message]
    """Every message, oldest first."""


class ConversationStore:
    """Conversations in one SQLite file.

    Args:
        path: The database file; created (with its folder) on first use.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._ready = False

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA foreign_keys = ON")
            if not self._ready:
                db.execute("PRAGMA journal_mode = WAL")
                for statement in _SCHEMA:
                    db.execute(statement)
                self._ready = True
            yield db
        finally:
            db.close()

    def list(self) -> list[ConversationSummary]:
        """Every conversation, the most recently updated first."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT c.id, c.title, c.model, c.collections, c.created, c.updated, "
                "(SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) "
                "FROM conversations c ORDER BY c.updated DESC"
            ).fetchall()
        return [_summary(row) for row in rows]

    def create(
        self, title: str = "", model: str | None = None, collections: Sequence[str] = ()
    ) -> Conversation:
        """Start an empty conversation."""
        now = time.time()
        conversation_id = f"conv-{uuid.uuid4().hex[:20]}"
        with self._connect() as db:
            db.execute(
                "INSERT INTO conversations VALUES (?, ?, ?, ?, ?, ?)",
                (conversation_id, title.strip(), model, json.dumps(list(collections)), now, now),
            )
        return self.get(conversation_id)

    def get(self, conversation_id: str) -> Conversation:
        """One conversation with its messages.

        Raises:
            ConversationNotFoundError: No such conversation.
        """
        with self._connect() as db:
            row = db.execute(
                "SELECT id, title, model, collections, created, updated, "
                "(SELECT COUNT(*) FROM messages WHERE conversation_id = ?) "
                "FROM conversations WHERE id = ?",
                (conversation_id, conversation_id),
            ).fetchone()
            if row is None:
                raise ConversationNotFoundError(conversation_id)
            rows = db.execute(
                "SELECT role, content, sources, error FROM messages "
                "WHERE conversation_id = ? ORDER BY seq",
                (conversation_id,),
            ).fetchall()
        messages = [
            Message(
                role=role,
                content=content,
                sources=json.loads(sources) if sources is not None else None,
                error=error,
            )
            for role, content, sources, error in rows
        ]
        return Conversation(**_summary(row).model_dump(), messages=messages)

    def update(
        self,
        conversation_id: str,
        *,
        title: str | None = None,
        model: str | None = None,
        collections: Sequence[str] | None = None,
    ) -> ConversationSummary:
        """Rename it, or record the model and collections in use.

        Raises:
            ConversationNotFoundError: No such conversation.
        """
        with self._connect() as db:
            self._require(db, conversation_id)
            if title is not None:
                db.execute(
                    "UPDATE conversations SET title = ? WHERE id = ?",
                    (title.strip()[:TITLE_CHARS], conversation_id),
                )
            if model is not None:
                db.execute(
                    "UPDATE conversations SET model = ? WHERE id = ?", (model, conversation_id)
                )
            if collections is not None:
                db.execute(
                    "UPDATE conversations SET collections = ? WHERE id = ?",
                    (json.dumps(list(collections)), conversation_id),
                )
        return self._summary_of(conversation_id)

    def append(self, conversation_id: str, messages: Sequence[Message]) -> ConversationSummary:
        """Add messages at the end; an untitled conversation takes its first question as title.

        Raises:
            ConversationNotFoundError: No such conversation.
        """
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                self._require(db, conversation_id)
                (last,) = db.execute(
                    "SELECT COALESCE(MAX(seq), -1) FROM messages WHERE conversation_id = ?",
                    (conversation_id,),
                ).fetchone()
                for offset, message in enumerate(messages, start=1):
                    sources = None
                    if message.sources is not None:
                        sources = json.dumps([s.model_dump() for s in message.sources])
                    db.execute(
                        "INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?)",
                        (
                            conversation_id,
                            last + offset,
                            message.role,
                            message.content,
                            sources,
                            message.error,
                        ),
                    )
                first_question = next((m.content for m in messages if m.role == "user"), "")
                db.execute(
                    "UPDATE conversations SET updated = ?, "
                    "title = CASE WHEN title = '' THEN ? ELSE title END WHERE id = ?",
                    (time.time(), _title(first_question), conversation_id),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return self._summary_of(conversation_id)

    def delete(self, conversation_id: str) -> None:
        """Delete a conversation and its messages.

        Raises:
            ConversationNotFoundError: No such conversation.
        """
        with self._connect() as db:
            self._require(db, conversation_id)
            db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    def markdown(self, conversation_id: str) -> str:
        """The conversation as Markdown, with each answer's sources and quotes.

        Raises:
            ConversationNotFoundError: No such conversation.
        """
        return to_markdown(self.get(conversation_id))

    def _require(self, db: sqlite3.Connection, conversation_id: str) -> None:
        found = db.execute(
            "SELECT 1 FROM conversations WHERE id = ?", (conversation_id,)
        ).fetchone()
        if found is None:
            raise ConversationNotFoundError(conversation_id)

    def _summary_of(self, conversation_id: str) -> ConversationSummary:
        conversation = self.get(conversation_id)
        return ConversationSummary(**conversation.model_dump(exclude={"messages"}))


def _summary(row: tuple[Any, ...]) -> ConversationSummary:
    conversation_id, title, model, collections, created, updated, count = row
    return ConversationSummary(
        id=conversation_id,
        title=title or "New chat",
        model=model,
        collections=json.loads(collections),
        created=created,
        updated=updated,
        message_count=count,
    )


def _title(question: str) -> str:
    words = " ".join(question.split())
    return words if len(words) <= TITLE_CHARS else words[: TITLE_CHARS - 1].rstrip() + "…"


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def to_markdown(conversation: Conversation) -> str:
    """A conversation as a Markdown document: questions, answers, sources with their quotes."""
    lines = [f"# {conversation.title}", ""]
    about = [f"Started {_when(conversation.created)}"]
    if conversation.model:
        about.append(f"model {conversation.model}")
    if conversation.collections:
        about.append("collections " + ", ".join(conversation.collections))
    lines += [f"*{' · '.join(about)}; exported from gpt4all-rag.*", ""]
    for message in conversation.messages:
        lines += ["## You" if message.role == "user" else "## Assistant", ""]
        lines += [message.content.strip() or "*(no answer)*", ""]
        if message.error:
            lines += [f"> *Stopped: {message.error}*", ""]
        if message.sources:
            lines += ["**Sources**", ""]
            for number, source in enumerate(message.sources, start=1):
                where = f"`{source.source}`" + (f", page {source.page}" if source.page else "")
                cited = " (cited)" if source.cited else ""
                lines.append(f"{number}. {where}{cited}")
                shown = source.quote or source.snippet
                if shown:
                    quoted = " ".join(shown.split())
                    lines.append(f"   > {quoted}")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
