"""Property: after any sequence of add / edit / delete / rename steps, the collection is the folder.

Random steps are applied to a real folder; after each, the folder is indexed (real connectors,
real SQLite, real embedded Chroma, a fast fake embedding) and checked: Chroma ids equal ledger
ids, Chroma holds exactly the chunks of the current files, the keyword index matches, and only
content never seen before was embedded.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from ld_fakes import Harness, assert_exact

from gpt4all_rag.localdocs.keyword_index import KeywordIndex

NAMES = ["a.txt", "b.md", "sub/c.txt", "sub/deep/d.rst", "e.txt"]
PARAGRAPHS = [f"Paragraph {word} about {topic}." for word in "xyz" for topic in ("cats", "dogs")]
paragraph_lists = st.lists(st.sampled_from(PARAGRAPHS), min_size=1, max_size=5)


class FolderMachine(RuleBasedStateMachine):
    """A folder changed at random, re-indexed after every step."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="ld-property-"))
        self.root = self.tmp / "docs"
        self.root.mkdir()
        self.harness = Harness(self.tmp / "home")
        self.files: dict[str, list[str]] = {}
        self.seen_texts: set[str] = set()

    def _write(self, name: str, paragraphs: list[str]) -> None:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n\n".join(paragraphs), encoding="utf-8")
        self.files[name] = paragraphs

    @rule(name=st.sampled_from(NAMES), paragraphs=paragraph_lists)
    def add_or_overwrite(self, name: str, paragraphs: list[str]) -> None:
        self._write(name, paragraphs)

    @precondition(lambda self: self.files)
    @rule(data=st.data(), paragraphs=paragraph_lists)
    def edit(self, data: st.DataObject, paragraphs: list[str]) -> None:
        name = data.draw(st.sampled_from(sorted(self.files)))
        self._write(name, paragraphs)

    @precondition(lambda self: self.files)
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(self.files)))
        (self.root / name).unlink()
        del self.files[name]

    @precondition(lambda self: self.files and len(self.files) < len(NAMES))
    @rule(data=st.data())
    def rename(self, data: st.DataObject) -> None:
        old = data.draw(st.sampled_from(sorted(self.files)))
        new = data.draw(st.sampled_from([n for n in NAMES if n not in self.files]))
        (self.root / new).parent.mkdir(parents=True, exist_ok=True)
        (self.root / old).rename(self.root / new)
        self.files[new] = self.files.pop(old)

    @invariant()
    def collection_is_the_folder(self) -> None:
        self.harness.embeddings.embedded.clear()
        report = self.harness.run(self.root, batch_size=3)
        assert report.failed == []
        assert_exact(self.harness, self.root)
        # only content the collection never held is embedded, each text once
        embedded = self.harness.embeddings.embedded
        assert len(embedded) == len(set(embedded))
        current = {p for paragraphs in self.files.values() for p in paragraphs}
        assert set(embedded) <= current - self.seen_texts
        self.seen_texts = current
        index = KeywordIndex(self.harness.ledger_path)
        for word in ("cats", "dogs"):
            expected = sum(word in p for paragraphs in self.files.values() for p in paragraphs)
            assert len(index.search(word, k=100)) == expected

    def teardown(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


FolderMachine.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestFolderProperty = pytest.mark.slow(FolderMachine.TestCase)
