"""A Chroma server killed in the middle of `index --chroma-url`: one line says what happened and
that a re-run resumes; after the server restarts, the re-run ends exact."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from ldi_helpers import assert_exact, assert_shared_statistics, word_corpus
from local_ports import free_port

from gpt4all_rag.config import Settings
from gpt4all_rag.embeddings import GPT4AllEmbeddings
from gpt4all_rag.localdocs import LocalDocs

pytestmark = [pytest.mark.models, pytest.mark.slow, pytest.mark.chroma_server]

CLI = [sys.executable, "-c", "from gpt4all_rag.cli import app; app()"]


class ChromaServer:
    """A `chroma run` process that can be killed and started again on the same port and data."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        chroma = Path(sys.executable).with_name("chroma")
        executable = str(chroma) if chroma.exists() else shutil.which("chroma") or "chroma"
        command = [executable, "run", "--path", str(self.data), "--host", "127.0.0.1"]
        self.process = subprocess.Popen(
            [*command, "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        pytest.fail("chroma run did not answer its heartbeat within 60 s")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ChromaServer]:
    chroma = ChromaServer(tmp_path / "chroma-db")
    chroma.start()
    try:
        yield chroma
    finally:
        chroma.kill()


def test_a_lost_chroma_server_is_one_line_and_a_rerun_ends_exact(
    tmp_home: Path, tmp_path: Path, server: ChromaServer, embeddings: GPT4AllEmbeddings
) -> None:
    root = word_corpus(tmp_path / "docs", seed=5)
    command = [*CLI, "index", str(root), "-c", "remote", "--chroma-url", server.url, "--json"]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stderr is not None
    seen = []
    for line in child.stderr:  # plain progress lines, every 5 s
        seen.append(line)
        if "Indexing:" in line and " 0 chunks embedded" not in line:
            break
    server.kill()
    _, rest = child.communicate(timeout=600)
    stderr = "".join(seen) + rest

    assert child.returncode == 3, stderr
    assert "Traceback" not in stderr
    (line,) = [line for line in stderr.splitlines() if line.startswith("Error:")]
    assert f"Lost the Chroma server at {server.url} while indexing 'remote'" in line
    assert "re-run the same command; it resumes" in line

    server.start()
    resumed = subprocess.run(command, capture_output=True, text=True, timeout=900)

    assert resumed.returncode == 0, resumed.stderr
    settings = Settings(home=tmp_home)
    docs = LocalDocs("remote", settings=settings, chroma_url=server.url, embeddings=embeddings)
    assert docs.info().files == 5 and not docs.info().interrupted
    assert_exact(docs, root, embeddings)
    assert_shared_statistics(docs)  # the killed run's chunks counted once, its orphans not
