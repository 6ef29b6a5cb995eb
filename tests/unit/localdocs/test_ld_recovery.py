"""Crash safety: interrupted runs (simulated and real kill -9) are repaired by the next run."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hash_embeddings import vector_for
from langchain_core.documents import Document
from ld_fakes import Harness, assert_exact

from gpt4all_rag.localdocs.chunks import chunk_records
from gpt4all_rag.localdocs.ledger import Ledger


def _folder(root: Path, files: int, seed: int) -> None:
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    for index in range(files):
        paragraphs = [f"File {index} paragraph {p} {rng.random():.6f}." for p in range(6)]
        (root / f"f{index:03}.txt").write_text("\n\n".join(paragraphs))


def test_reconcile_after_a_simulated_crash(harness: Harness, tmp_path: Path) -> None:
    root = tmp_path / "docs"
    _folder(root, 5, seed=1)
    harness.run(root)
    store = harness.store()
    victim = sorted(harness.ledger_ids())[0]
    store.collection.delete(ids=[victim])  # a committed chunk lost its vector
    store.upsert(chunk_records("/orphan", [Document(page_content="x")]), [vector_for("x")])
    with Ledger(harness.ledger_path) as ledger:
        ledger.begin_run()  # as if a run had been killed
    harness.embeddings.embedded.clear()

    report = harness.run(root)

    assert_exact(harness, root)
    assert report.chunks_embedded == 1 and len(harness.embeddings.embedded) == 1
    assert report.updated == 1 and report.unchanged == 4


RUNNER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    here = Path(sys.argv[1])
    sys.path[:0] = [str(here), str(here.parents[1])]  # ld_fakes, and tests/hash_embeddings
    from ld_fakes import Harness
    harness = Harness(Path(sys.argv[2]))
    harness.store()
    def report(update):
        print(update.phase, update.files_done, flush=True)
    harness.run(Path(sys.argv[3]), batch_size=3, progress=report)
    print("done", flush=True)
    """
)


def _kill_after(child: subprocess.Popen[str], updates: int) -> None:
    """SIGKILL the child once it has reported that many progress updates (or has finished)."""
    assert child.stdout is not None
    for _ in range(updates):
        line = child.stdout.readline()
        if not line or line.strip() == "done":
            break
    child.send_signal(signal.SIGKILL)
    child.wait()


@pytest.mark.slow
def test_kill_9_at_random_points_then_rerun_is_exact(harness: Harness, tmp_path: Path) -> None:
    root = tmp_path / "docs"
    _folder(root, 40, seed=2)
    here = str(Path(__file__).parent)
    rng = random.Random(7)
    kills = 0
    for round_ in range(6):
        if round_:  # change the folder between rounds: edits, deletions, additions
            for path in rng.sample(sorted(root.iterdir()), 6):
                path.unlink()
            _folder(root, 46, seed=round_ + 10)
        child = subprocess.Popen(
            [sys.executable, "-c", RUNNER, here, str(harness.home), str(root)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        _kill_after(child, rng.randint(1, 45))
        with Ledger(harness.ledger_path) as ledger:
            kills += ledger.interrupted  # killed mid-run, not before or after
        harness.embeddings.embedded.clear()
        harness.run(root)
        assert_exact(harness, root)
        again = harness.run(root)
        assert again.chunks_embedded == 0 and again.added == again.updated == 0
    assert kills >= 5  # the rounds really were interrupted mid-run
