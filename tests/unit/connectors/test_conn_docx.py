"""DOCX: paragraphs and tables in document order, titles, damaged files."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
import pytest

from connectors import LoadError, get_registry

MakeDocx = Callable[..., Path]


def test_paragraphs_and_tables_in_order(make_docx: MakeDocx) -> None:
    path = make_docx(
        "report.docx",
        ["Introduction", "", [["Name", "Score"], ["Ada", "10"]], "Conclusion: 你好"],
        title="Quarterly Report",
    )
    [doc] = get_registry().load(path)
    assert doc.page_content == "Introduction\n\nName | Score\nAda | 10\n\nConclusion: 你好"
    assert doc.metadata["title"] == "Quarterly Report"
    assert doc.metadata["file_type"] == "docx"
    assert "page" not in doc.metadata


def test_merged_cells_appear_once_and_nested_tables_are_read(tmp_path: Path) -> None:
    document = docx.Document()
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "Merged"
    table.cell(0, 2).text = "C"
    table.cell(1, 0).text = "x"
    inner = table.cell(1, 1).add_table(rows=1, cols=2)
    inner.cell(0, 0).text = "in1"
    inner.cell(0, 1).text = "in2"
    table.cell(1, 2).text = "z"
    path = tmp_path / "merged.docx"
    document.save(str(path))
    [doc] = get_registry().load(path)
    assert doc.page_content == "Merged | C\nx | in1 | in2 | z"


def test_title_falls_back_to_the_file_name(make_docx: MakeDocx) -> None:
    [doc] = get_registry().load(make_docx("untitled.docx", ["Body"]))
    assert doc.metadata["title"] == "untitled.docx"


def test_corrupt_docx(tmp_path: Path, make_docx: MakeDocx) -> None:
    garbage = tmp_path / "garbage.docx"
    garbage.write_bytes(b"PK\x03\x04 definitely not a zip archive")
    with pytest.raises(LoadError, match=r"not a readable \.docx"):
        get_registry().load(garbage)
    # A real zip without the Word parts (e.g. a renamed .zip).
    other = tmp_path / "archive.docx"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(LoadError, match=r"not a readable \.docx"):
        get_registry().load(other)
    # A truncated real document.
    real = make_docx("cut.docx", ["Some text"])
    data = real.read_bytes()
    real.write_bytes(data[: len(data) // 2])
    with pytest.raises(LoadError, match=r"not a readable \.docx"):
        get_registry().load(real)


def test_empty_document(make_docx: MakeDocx) -> None:
    with pytest.raises(LoadError, match="no text in this document"):
        get_registry().load(make_docx("empty.docx", ["", "  "]))
