"""A collection's folder record, and which folders may be indexed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gpt4all_rag.config import Settings
from gpt4all_rag.localdocs.folders import (
    CollectionFolders,
    FolderRefusedError,
    check_folder,
    read_folders,
    write_folders,
)
from gpt4all_rag.localdocs.layout import Layout


def test_a_readable_folder_is_resolved(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "docs")
    assert check_folder(str(tmp_path / "link"), tmp_path / "home") == (tmp_path / "docs").resolve()
    assert check_folder(f"  {tmp_path}/docs/  ", tmp_path / "home") == (tmp_path / "docs").resolve()


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ("", "not an absolute path"),
        ("relative/docs", "not an absolute path"),
        ("{root}/missing", "does not exist"),
        ("{root}/home", "is the data home"),
        ("{root}/home/collections", "is the data home"),
        ("{root}", "holds the data home"),
        ("{root}/home-link", "is the data home"),  # a link to the data home is the data home
    ],
)
def test_refused_folders_say_why_in_one_line(tmp_path: Path, given: str, words: str) -> None:
    (tmp_path / "home" / "collections").mkdir(parents=True)
    (tmp_path / "home-link").symlink_to(tmp_path / "home")
    with pytest.raises(FolderRefusedError, match=words) as refused:
        check_folder(given.format(root=tmp_path), tmp_path / "home")
    assert "\n" not in str(refused.value)


def test_an_unreadable_folder_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "docs").mkdir()
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda path, mode: False if "docs" in str(path) else real_access(path, mode)
    )
    with pytest.raises(FolderRefusedError, match="cannot be read by the server's user"):
        check_folder(str(tmp_path / "docs"), tmp_path / "home")


def test_the_record_round_trips_and_an_unreadable_one_is_none(tmp_path: Path) -> None:
    layout = Layout.for_settings(Settings(home=tmp_path))
    assert read_folders(layout, "notes") is None
    write_folders(layout, "notes", CollectionFolders(folders=["/a", "/b"], watched=True))
    assert read_folders(layout, "notes") == CollectionFolders(folders=["/a", "/b"], watched=True)
    (layout.collection_dir("notes") / "folders.json").write_text("{not json", encoding="utf-8")
    assert read_folders(layout, "notes") is None
    assert [p.name for p in layout.collection_dir("notes").iterdir()] == ["folders.json"]
