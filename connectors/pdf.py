"""PDF with pypdf: one Document per page with text, pages numbered from 1."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from langchain_core.documents import Document
from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError, PdfReadError

from connectors.base import LoadError, make_document

__all__ = ["PdfConnector"]

logger = logging.getLogger(__name__)

_JUNK_TITLES = frozenset({"untitled", "untitled document", "title", "document", "microsoft word"})


def _open_reader(path: Path, stream: BinaryIO) -> PdfReader:
    try:
        reader = PdfReader(stream)
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise LoadError(
                path,
                "encrypted PDF that needs a password; decrypt a copy and index that, e.g. "
                "`qpdf --decrypt --password=PASSWORD in.pdf out.pdf`",
            )
        return reader
    except LoadError:
        raise
    except DependencyError as exc:
        raise LoadError(
            path, f"encrypted PDF; reading it needs `pip install cryptography` ({exc})"
        ) from exc
    except Exception as exc:  # pypdf raises many types on damaged files
        raise LoadError(
            path, f"not a readable PDF (corrupt or truncated?): {_describe(exc)}"
        ) from exc


def _describe(exc: BaseException) -> str:
    message = str(exc).strip()
    if isinstance(exc, PdfReadError) and message:
        return message
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def pdf_title(reader: PdfReader, path: Path) -> str:
    """Return the document-information title unless it is blank or a placeholder."""
    try:
        metadata = reader.metadata
        title = str(metadata.title or "") if metadata is not None else ""
    except Exception:  # a damaged info dictionary must not lose the pages
        return path.name
    title = " ".join(title.split())
    if title.lower().startswith("microsoft word - "):
        title = title[len("microsoft word - ") :]
    return path.name if title.lower() in _JUNK_TITLES or not title else title


class PdfConnector:
    """Reads PDFs with pypdf, page by page, so memory stays bounded by one page's text.

    Pages without extractable text (scans, blank pages) are skipped; a page whose
    extraction fails is skipped with a logged warning and the others still load. A PDF
    encrypted with an empty user password opens; one needing a password is refused
    with a LoadError saying how to decrypt it.
    """

    name = "pdf"
    suffixes: frozenset[str] = frozenset({".pdf"})

    def load(self, path: Path) -> Iterator[Document]:
        """Yield one Document per page with text, metadata ``page`` 1-based.

        Raises:
            LoadError: Corrupt, truncated, password-protected, or no text on any page.
        """
        with path.open("rb") as stream:
            reader = _open_reader(path, stream)
            title = pdf_title(reader, path)
            try:
                pages = len(reader.pages)
            except Exception as exc:
                raise LoadError(path, f"not a readable PDF: {_describe(exc)}") from exc
            if pages == 0:
                raise LoadError(path, "PDF with no pages, nothing to index")
            yielded = 0
            for number in range(1, pages + 1):
                text = self._page_text(reader, number, path)
                if text:
                    yielded += 1
                    yield make_document(text, path=path, title=title, page=number)
            if not yielded:
                raise LoadError(
                    path,
                    f"no extractable text on any of its {pages} pages (a scan?); "
                    "add a text layer with OCR first, e.g. `ocrmypdf in.pdf out.pdf`",
                )

    @staticmethod
    def _page_text(reader: PdfReader, number: int, path: Path) -> str:
        try:
            text = reader.pages[number - 1].extract_text()
        except Exception as exc:
            logger.warning(
                "%s: page %d skipped, its text could not be extracted: %s",
                path,
                number,
                _describe(exc),
            )
            return ""
        return text if text.strip() else ""
