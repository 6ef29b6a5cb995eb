"""The connector contract: LoadError, the standard metadata, suffix handling, public names."""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

import pytest

import connectors
from connectors.base import clean_text, make_document, normalize_suffix, suffix_candidates


def test_public_names() -> None:
    assert sorted(connectors.__all__) == sorted(
        [
            "DEFAULT_MAX_FILE_SIZE",
            "ENTRY_POINT_GROUP",
            "Connector",
            "ConnectorRegistry",
            "ConnectorWarning",
            "FoundFile",
            "LoadError",
            "SkippedFile",
            "content_hash",
            "get_registry",
            "make_document",
            "walk",
        ]
    )
    for name in connectors.__all__:
        assert getattr(connectors, name) is not None


def test_load_error_message_and_fields() -> None:
    error = connectors.LoadError(Path("/data/a.pdf"), "encrypted")
    assert error.source == "/data/a.pdf"
    assert error.reason == "encrypted"
    assert str(error) == "/data/a.pdf: encrypted"
    copy = pickle.loads(pickle.dumps(error))  # crosses process pools intact
    assert (copy.source, copy.reason, str(copy)) == (error.source, error.reason, str(error))


def test_make_document_metadata(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "Report.PDF").write_bytes(b"")
    path = Path("Report.PDF")
    doc = make_document("Hello\r\nworld\x00", path=path, title="  A \n title ", page=3)
    assert doc.page_content == "Hello\nworld"
    assert doc.metadata == {
        "source": str((tmp_path / "Report.PDF").resolve()),
        "title": "A title",
        "content_hash": hashlib.sha256(b"Hello\nworld").hexdigest(),
        "file_type": "pdf",
        "page": 3,
    }


def test_make_document_without_page_or_title(tmp_path: Path) -> None:
    doc = make_document("x", path=tmp_path / "notes.md", title="   ")
    assert "page" not in doc.metadata
    assert doc.metadata["title"] == "notes.md"
    assert None not in doc.metadata.values()


def test_clean_text_replaces_lone_surrogates_and_bom() -> None:
    assert clean_text("\ufeffa\ud800b\rc") == "a\ufffdb\nc"
    clean_text("\ud83d").encode("utf-8")  # would raise if the surrogate survived


def test_suffix_helpers() -> None:
    assert normalize_suffix("PDF") == ".pdf"
    assert normalize_suffix(".Md") == ".md"
    with pytest.raises(ValueError):
        normalize_suffix(".")
    assert suffix_candidates("Notes.Tar.GZ") == [".tar.gz", ".gz"]
    assert suffix_candidates(".bashrc") == []
    assert suffix_candidates("Makefile") == []
