"""kill -9 of a real indexing process at random points; the next run ends exact."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from chromadb.api.client import SharedSystemClient
from ldi_helpers import assert_exact, paragraphs

from gpt4all_rag.config import Settings
from gpt4all_rag.embeddings import GPT4AllEmbeddings
from gpt4all_rag.localdocs import LocalDocs
from gpt4all_rag.localdocs.ledger import Ledger

pytestmark = [pytest.mark.models, pytest.mark.slow]

CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from gpt4all_rag.config import Settings
    from gpt4all_rag.embeddings import GPT4AllEmbeddings
    from gpt4all_rag.localdocs import LocalDocs
    embeddings = GPT4AllEmbeddings()
    embeddings.embed_query("warm up")
    settings = Settings(home=Path(sys.argv[1]))
    docs = LocalDocs("killed", settings=settings, embeddings=embeddings, batch_size=16)
    def report(update):
        print(update.phase, update.files_done, update.chunks_embedded, flush=True)
    docs.index([sys.argv[2]], progress=report)
    print("done", flush=True)
    """
)


def _write_files(root: Path, numbers: list[int], seed: int) -> None:
    for offset, number in enumerate(numbers):
        text = paragraphs(seed + offset, 8)
        (root / f"doc{number:03}.txt").write_text(text, encoding="utf-8")


def test_kill_9_then_rerun_is_exact(tmp_path: Path, embeddings: GPT4AllEmbeddings) -> None:
    home, root = tmp_path / "home", tmp_path / "docs"
    root.mkdir()
    _write_files(root, list(range(40)), seed=0)
    rng = random.Random(3)
    interrupted = 0
    for round_ in range(3):
        if round_:  # delete some files, edit many, add a few
            for path in rng.sample(sorted(root.iterdir()), 5):
                path.unlink()
            _write_files(root, rng.sample(range(50), 30), seed=1000 * round_)
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(home), str(root)], stdout=subprocess.PIPE, text=True
        )
        assert child.stdout is not None
        for _ in range(rng.randint(2, 25)):  # kill after a random number of progress updates
            line = child.stdout.readline()
            if not line or line.strip() == "done":
                break
        child.send_signal(signal.SIGKILL)
        child.wait()
        with Ledger(home / "collections" / "killed" / "ledger.sqlite3") as ledger:
            interrupted += ledger.interrupted

        SharedSystemClient.clear_system_cache()  # see the store as a new process would
        docs = LocalDocs("killed", settings=Settings(home=home), embeddings=embeddings)
        docs.index([root])
        assert_exact(docs, root, embeddings)
        assert docs.index([root]).chunks_embedded == 0
    assert interrupted >= 2
