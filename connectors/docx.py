"""DOCX with python-docx: body paragraphs and tables in document order."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import docx
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from langchain_core.documents import Document

from connectors.base import LoadError, make_document

__all__ = ["DocxConnector", "docx_blocks"]

_CELL_SEPARATOR = " | "


def _cell_text(cell: _Cell) -> str:
    return " ".join(" ".join(docx_blocks(cell.iter_inner_content())).split())


def _table_text(table: Table) -> str:
    lines = []
    for row in table.rows:
        cells: list[_Cell] = []
        for cell in row.cells:  # a merged cell appears once per grid column it spans
            if not cells or cell._tc is not cells[-1]._tc:
                cells.append(cell)
        line = _CELL_SEPARATOR.join(_cell_text(cell) for cell in cells)
        if line.replace("|", "").strip():
            lines.append(line)
    return "\n".join(lines)


def docx_blocks(items: Iterable[Paragraph | Table]) -> Iterator[str]:
    """Yield the non-empty text of each paragraph and table, in order."""
    for item in items:
        text = item.text if isinstance(item, Paragraph) else _table_text(item)
        if text.strip():
            yield text.strip()


class DocxConnector:
    """Reads Word documents (.docx): body paragraphs and tables in document order.

    Paragraphs are separated by blank lines; a table becomes one line per row with cells
    joined by `` | ``. Headers, footers, footnotes, comments and text boxes are not read.
    The title comes from the document properties, else the file name.
    """

    name = "docx"
    suffixes: frozenset[str] = frozenset({".docx"})

    def load(self, path: Path) -> Iterator[Document]:
        """Yield the document as one Document.

        Raises:
            LoadError: Not a readable .docx (corrupt, or another format renamed), or no text.
        """
        try:
            document = docx.Document(str(path))
            title = document.core_properties.title or ""
            text = "\n\n".join(docx_blocks(document.iter_inner_content()))
        except OSError:
            raise
        except Exception as exc:  # zipfile, lxml and python-docx all raise their own types
            raise LoadError(
                path,
                f"not a readable .docx (corrupt, or not a Word 2007+ file): "
                f"{type(exc).__name__}: {exc}",
            ) from exc
        if not text:
            raise LoadError(path, "no text in this document, nothing to index")
        yield make_document(text, path=path, title=title or path.name)
