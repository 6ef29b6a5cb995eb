"""The worked example in docs/connectors.md: a connector shipped as its own distribution.

It is built and installed for real with pip (no network: no dependencies to fetch), into a
folder put on sys.path, and the registry finds it through the entry-point group.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors import ConnectorRegistry

EXAMPLE = Path(__file__).parents[3] / "examples" / "connector_plugin"

MESSAGE = """\
From: Ada Lovelace <ada@example.org>
To: Charles Babbage <charles@example.org>
Subject: Notes on the Analytical Engine
Date: Mon, 01 Jul 1843 10:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b"

--b
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 8bit

The engine weaves algebraic patterns — just as the Jacquard loom weaves flowers.
--b
Content-Type: text/html; charset="utf-8"

<p>The engine <b>weaves</b> algebraic patterns.</p>
--b--
"""


@pytest.fixture
def installed_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    source = tmp_path / "src"
    shutil.copytree(EXAMPLE, source)  # the build writes into its source folder: use a copy
    target = tmp_path / "site"
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"]
    command += ["--no-build-isolation", "--no-index", "--target", str(target), str(source)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    monkeypatch.syspath_prepend(str(target))
    yield target
    sys.modules.pop("gpt4all_rag_eml", None)


def test_the_example_is_not_there_before_install() -> None:
    assert ".eml" not in ConnectorRegistry.from_entry_points().suffixes()


@pytest.mark.slow
def test_installed_example_plugin_is_found_and_loads_a_message(
    installed_example: Path, tmp_path: Path
) -> None:
    assert (installed_example / "gpt4all_rag_eml-0.1.0.dist-info" / "entry_points.txt").exists()
    registry = ConnectorRegistry.from_entry_points()
    assert registry.problems == ()
    assert ".eml" in registry.suffixes()
    connector = registry.connector_for(Path("inbox/Message.EML"))
    assert connector is not None and connector.name == "eml"
    assert {"pdf", "text", "html", "docx"} <= set(registry.connectors)  # built-ins kept

    path = tmp_path / "message.eml"
    path.write_text(MESSAGE, encoding="utf-8")
    [doc] = registry.load(path)
    assert doc.metadata["title"] == "Notes on the Analytical Engine"
    assert doc.metadata["source"] == str(path.resolve())
    assert doc.metadata["file_type"] == "eml"
    assert doc.metadata["sender"] == "Ada Lovelace <ada@example.org>"
    assert doc.page_content.startswith("From: Ada Lovelace <ada@example.org>\n")
    assert doc.page_content.endswith(
        "\n\nThe engine weaves algebraic patterns — just as the Jacquard loom weaves flowers."
    )
