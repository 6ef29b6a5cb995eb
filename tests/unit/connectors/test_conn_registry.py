"""The registry: built-ins through entry points, plugins that win, plugins that break."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from langchain_core.documents import Document

from connectors import ConnectorRegistry, ConnectorWarning, LoadError, get_registry
from connectors.docx import DocxConnector
from connectors.html import HtmlConnector
from connectors.pdf import PdfConnector
from connectors.text import TextConnector

InstallPlugin = Callable[..., Path]

UPPER_MD = """
from pathlib import Path
from langchain_core.documents import Document

class UpperMarkdown:
    name = "upper_md"
    suffixes = frozenset({".md", ".MDX2"})

    def load(self, path: Path):
        yield Document(page_content=path.read_text().upper(), metadata={"title": "up"})
"""


def test_builtins_come_from_the_entry_point_group() -> None:
    registry = ConnectorRegistry.from_entry_points()
    assert registry.problems == ()
    assert set(registry.connectors) >= {"pdf", "text", "html", "docx"}
    assert isinstance(registry.connectors["pdf"], PdfConnector)
    assert isinstance(registry.connectors["docx"], DocxConnector)
    assert isinstance(registry.connector_for(Path("a/B.HTM")), HtmlConnector)
    assert isinstance(registry.connector_for(Path("x.py")), TextConnector)
    assert {".pdf", ".md", ".rst", ".txt", ".html", ".docx", ".py", ".r"} <= registry.suffixes()
    assert registry.connector_for(Path("photo.jpg")) is None
    assert registry.connector_for(Path(".md")) is None  # a hidden file, not a suffix


def test_get_registry_is_cached_and_refreshable() -> None:
    first = get_registry()
    assert get_registry() is first
    assert get_registry(refresh=True) is not first


def test_unknown_suffix_is_a_load_error_listing_known_ones(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8\xff")
    with pytest.raises(LoadError) as info:
        get_registry().load(path)
    assert "no connector reads '.jpg' files" in info.value.reason
    assert ".pdf" in info.value.reason and "docs/connectors.md" in info.value.reason


def test_missing_file_and_folder_named_like_a_file(tmp_path: Path) -> None:
    registry = get_registry()
    with pytest.raises(LoadError, match="file not found"):
        registry.load(tmp_path / "gone.txt")
    # A folder named like a file: what a reader meets when a file turns into something else.
    (tmp_path / "notes.txt").mkdir()
    with pytest.raises(LoadError, match="is a folder"):
        registry.load(tmp_path / "notes.txt")
    # A FIFO: reading it would block until some writer comes; it is refused up front.
    os.mkfifo(tmp_path / "pipe.md")
    with pytest.raises(LoadError, match="not a regular file"):
        registry.load(tmp_path / "pipe.md")


def test_plugin_wins_over_builtin_for_a_shared_suffix(
    tmp_path: Path, install_plugin: InstallPlugin
) -> None:
    entry_points = {"upper_md": "upper_md_plugin:UpperMarkdown"}
    install_plugin("upper-md", entry_points, {"upper_md_plugin": UPPER_MD})
    registry = ConnectorRegistry.from_entry_points()
    assert registry.problems == ()
    assert registry.connector_for(Path("a.md")) is registry.connectors["upper_md"]
    assert registry.connector_for(Path("a.mdx2")) is registry.connectors["upper_md"]
    assert isinstance(registry.connector_for(Path("a.rst")), TextConnector)  # others untouched
    note = tmp_path / "note.md"
    note.write_text("# hi", encoding="utf-8")
    [doc] = registry.load(note)
    assert doc.page_content == "# HI"
    # The registry completes the metadata a plugin left out.
    assert doc.metadata["source"] == str(note.resolve())
    assert doc.metadata["title"] == "up"
    assert doc.metadata["file_type"] == "md"
    assert len(doc.metadata["content_hash"]) == 64


def test_broken_plugins_are_warnings_not_crashes(install_plugin: InstallPlugin) -> None:
    install_plugin(
        "broken-plugins",
        {
            "missing": "no_such_module_xyz:Connector",
            "raises": "raising_plugin:Connector",
            "notone": "not_a_connector:Thing",
        },
        {
            "raising_plugin": "raise ImportError('needs libfoo')",
            "not_a_connector": "class Thing:\n    pass\n",
        },
    )
    with pytest.warns(ConnectorWarning) as record:
        registry = ConnectorRegistry.from_entry_points()
    messages = [str(w.message) for w in record]
    assert len(messages) == 3 and len(registry.problems) == 3
    assert any("'raises'" in m and "needs libfoo" in m for m in messages)
    assert any("'missing'" in m and "ModuleNotFoundError" in m for m in messages)
    assert any("'notone'" in m and "is not a connector" in m for m in messages)
    assert all("broken-plugins" in m for m in messages)  # names what to reinstall
    assert {"pdf", "text", "html", "docx"} <= set(registry.connectors)  # built-ins still there


def test_two_plugins_claiming_a_suffix_last_distribution_wins(
    install_plugin: InstallPlugin, caplog: pytest.LogCaptureFixture
) -> None:
    source = "class C:\n    name = {name!r}\n    suffixes = frozenset({{'.eml'}})\n"
    source += "    def load(self, path):\n        return iter(())\n"
    install_plugin("aaa-mail", {"aaa": "aaa_mail:C"}, {"aaa_mail": source.format(name="aaa")})
    install_plugin("zzz-mail", {"zzz": "zzz_mail:C"}, {"zzz_mail": source.format(name="zzz")})
    with caplog.at_level(logging.WARNING, logger="connectors.registry"):
        registry = ConnectorRegistry.from_entry_points()
    assert registry.connector_for(Path("m.eml")) is registry.connectors["zzz"]
    assert "both claim .eml" in caplog.text


class _Exploding:
    name = "boom"
    suffixes = frozenset({".boom"})

    def load(self, path: Path) -> Iterator[Document]:
        yield Document(page_content="first", metadata={"source": str(path)})
        raise ValueError("bug in a plugin")


class _Sloppy:
    name = "sloppy"
    suffixes = frozenset({"SLOP"})  # normalized to ".slop"

    def load(self, path: Path) -> Iterator[Document]:
        yield Document(page_content="  ", metadata={})
        yield Document(page_content="text", metadata={"title": None, "tags": ["a", "b"]})


class _Silent:
    name = "silent"
    suffixes = frozenset({".nothing"})

    def load(self, path: Path) -> Iterator[Document]:
        return iter(())


def test_connector_bugs_become_load_errors(tmp_path: Path) -> None:
    registry = ConnectorRegistry([_Exploding(), _Sloppy(), _Silent()])
    for name in ("x.boom", "x.nothing", "x.slop"):
        (tmp_path / name).write_text("content", encoding="utf-8")
    with pytest.raises(LoadError, match="the 'boom' connector failed: ValueError: bug in a plugin"):
        registry.load(tmp_path / "x.boom")
    with pytest.raises(LoadError, match="nothing to index"):
        registry.load(tmp_path / "x.nothing")
    [doc] = registry.load(tmp_path / "x.slop")  # the blank Document is dropped
    assert doc.metadata["title"] == "x.slop"
    assert doc.metadata["tags"] == "['a', 'b']"
    assert None not in doc.metadata.values()


def test_later_connector_wins_and_longest_suffix_first() -> None:
    class Gz:
        name = "gz"
        suffixes = frozenset({".gz"})

        def load(self, path: Path) -> Iterator[Document]:
            return iter(())

    class TarGz(Gz):
        name = "targz"
        suffixes = frozenset({".tar.gz"})

    registry = ConnectorRegistry([Gz(), TarGz()])
    assert registry.connector_for(Path("a.TAR.GZ")).name == "targz"  # type: ignore[union-attr]
    assert registry.connector_for(Path("a.gz")).name == "gz"  # type: ignore[union-attr]
    override = ConnectorRegistry([TextConnector(), _Silent(), _Renamed()])
    assert override.connector_for(Path("a.txt")) is override.connectors["renamed"]


class _Renamed:
    name = "renamed"
    suffixes = frozenset({".txt"})

    def load(self, path: Path) -> Iterator[Document]:
        return iter(())


def test_plugin_with_a_builtin_name_replaces_that_builtin(install_plugin: InstallPlugin) -> None:
    source = "class OnlyPdf:\n    name = 'pdf'\n    suffixes = frozenset({'.pdf'})\n"
    source += "    def load(self, path):\n        return iter(())\n"
    install_plugin("better-pdf", {"pdf": "better_pdf:OnlyPdf"}, {"better_pdf": source})
    registry = ConnectorRegistry.from_entry_points()
    assert type(registry.connectors["pdf"]).__name__ == "OnlyPdf"
    assert type(registry.connector_for(Path("a.pdf"))).__name__ == "OnlyPdf"
    assert isinstance(registry.connector_for(Path("a.md")), TextConnector)
