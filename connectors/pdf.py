"""PDF: one Document per page with text, pages numbered from 1.

Page text comes from PDFium (``pypdfium2``): it keeps the spaces between words that pypdf
runs together on some real PDFs, and it is an order of magnitude faster. pypdf opens the
file first and stays for what it does well: decryption checks (AES, the empty user
password), the document title, and the text of any page (or whole file) PDFium fails on.
Both number pages in the same page-tree order; pypdf's page count is the one used.

PDFium is not thread-safe: every PDFium call in this module runs under one process-wide
lock, a document is opened, read and closed by the thread that runs :meth:`PdfConnector.load`
(a page asked for from another thread is read with pypdf instead), and documents, pages and
text pages are closed explicitly, since they hold native memory.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Literal

from langchain_core.documents import Document
from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError, PdfReadError

from connectors.base import LoadError, make_document
from connectors.spacing import looks_spaceless

if TYPE_CHECKING:
    import pypdfium2

__all__ = ["PdfConnector", "normalize_pdfium_text"]

logger = logging.getLogger(__name__)

Extractor = Literal["pdfium", "pypdf"]

_JUNK_TITLES = frozenset({"untitled", "untitled document", "title", "document", "microsoft word"})

_PDFIUM_LOCK = threading.RLock()
"""Serializes every PDFium call in the process (PDFium keeps global state)."""

# PDFium marks a hyphen it found at the end of a line, and takes the line break out:
# U+0002 from get_text_bounded, U+FFFE from get_text_range. Some PDFs map hyphens to U+00AD.
_LINE_BREAK_HYPHEN = re.compile("(.?)[\x02\ufffe\u00ad](?:\r\n|\r|\n)?(.?)", re.DOTALL)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


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


def _join_hyphenated(match: re.Match[str]) -> str:
    before, after = match.group(1), match.group(2)
    # "reposi-tory" split by hyphenation joins up; "Debian-based", "UTF-8", "GNU-PLOT" keep it.
    if before.islower() and after.islower():
        return before + after
    return f"{before}-{after}"


def normalize_pdfium_text(text: str) -> str:
    """Clean PDFium page text: ``\\n`` line ends, hyphenated line breaks undone, no controls.

    PDFium ends lines with ``\\r\\n`` and replaces a hyphen at the end of a line (and the line
    break) with a marker (U+0002 or U+FFFE). Between two lowercase letters the marker is
    taken for hyphenation and the word is joined ("reposi-tory" -> "repository", as in 97%
    of the cases in the R manuals; a real hyphen that falls at a line end, as in
    "Debian-based", is lost that way: the layout cannot tell them apart). Anywhere else it
    becomes a hyphen again ("UTF-8", "S-Plus"). Other control characters (glyphs without a
    Unicode mapping) are dropped.

    Args:
        text: Text as PDFium returns it.

    Returns:
        The cleaned text.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _LINE_BREAK_HYPHEN.sub(_join_hyphenated, text)
    return _CONTROL.sub("", text)


class _PositionalStream:
    """The file PDFium reads through, sharing pypdf's file handle but not its position.

    PDFium reads blocks at offsets through a callback (``seek`` then ``readinto``); the
    position pypdf relies on is restored after each read, so one open file serves both.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._position = 0

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence == 0:
            self._position = offset
        elif whence == 1:
            self._position += offset
        else:
            saved = self._stream.tell()
            self._position = self._stream.seek(offset, whence)
            self._stream.seek(saved)
        return self._position

    def tell(self) -> int:
        return self._position

    def read(self, size: int = -1) -> bytes:
        saved = self._stream.tell()
        try:
            self._stream.seek(self._position)
            data = self._stream.read(size)
        finally:
            self._stream.seek(saved)
        self._position += len(data)
        return data

    def readinto(self, buffer: memoryview | bytearray) -> int:
        view = memoryview(buffer).cast("B")
        saved = self._stream.tell()
        try:
            self._stream.seek(self._position)
            count = self._stream.readinto(view)  # type: ignore[attr-defined]
        finally:
            self._stream.seek(saved)
        self._position += count
        return int(count)


class _PdfiumText:
    """One PDFium document opened on the connector's file, read page by page.

    Created, used and closed on one thread; every call holds the module's PDFium lock.
    """

    def __init__(self, document: pypdfium2.PdfDocument) -> None:
        self._document: pypdfium2.PdfDocument | None = document
        self._thread = threading.get_ident()

    @classmethod
    def open(cls, stream: BinaryIO, *, encrypted: bool) -> _PdfiumText:
        """Open the file with PDFium (the empty password when pypdf found it encrypted).

        Raises:
            Exception: pypdfium2 missing, or PDFium could not open the file.
        """
        import pypdfium2

        with _PDFIUM_LOCK:
            document = pypdfium2.PdfDocument(
                _PositionalStream(stream), password="" if encrypted else None
            )
        return cls(document)

    def __len__(self) -> int:
        with _PDFIUM_LOCK:
            return len(self._require())

    def page_text(self, index: int) -> str:
        """Return the normalized text of page ``index`` (0-based).

        Raises:
            Exception: PDFium failed on the page, or it is asked for from another thread.
        """
        if threading.get_ident() != self._thread:
            raise RuntimeError("PDFium document used from another thread than its own")
        with _PDFIUM_LOCK:
            page = self._require()[index]
            try:
                textpage = page.get_textpage()
                try:
                    text = textpage.get_text_bounded()
                finally:
                    textpage.close()
            finally:
                page.close()
        return normalize_pdfium_text(text)

    def close(self) -> None:
        """Release PDFium's native memory (idempotent)."""
        document, self._document = self._document, None
        if document is not None:
            with _PDFIUM_LOCK:
                document.close()

    def _require(self) -> pypdfium2.PdfDocument:
        if self._document is None:
            raise RuntimeError("PDFium document already closed")
        return self._document


class _PypdfPages:
    """pypdf's page texts, for the pages PDFium does not serve.

    pypdf's page count walks the whole page tree (most of pypdf's cost before the first page
    of text), so it is counted only when pypdf is first needed. When PDFium numbered the pages,
    pypdf serves a page only if both count the same pages, so that numbers stay equal.
    """

    def __init__(self, reader: PdfReader, path: Path, pdfium_pages: int | None) -> None:
        self._reader = reader
        self._path = path
        self._pdfium_pages = pdfium_pages
        self._agrees: bool | None = None

    def count(self) -> int:
        """pypdf's page count.

        Raises:
            LoadError: The page tree cannot be read.
        """
        try:
            return len(self._reader.pages)
        except Exception as exc:
            raise LoadError(self._path, f"not a readable PDF: {_describe(exc)}") from exc

    def text(self, number: int) -> str:
        """Page ``number``'s text (1-based), or "" with a logged warning when it fails."""
        if self._pdfium_pages is not None and not self._agrees_with_pdfium():
            logger.warning(
                "%s: page %d skipped, pypdf cannot stand in for PDFium", self._path, number
            )
            return ""
        try:
            return self._reader.pages[number - 1].extract_text()
        except Exception as exc:
            logger.warning(
                "%s: page %d skipped, its text could not be extracted: %s",
                self._path,
                number,
                _describe(exc),
            )
            return ""

    def _agrees_with_pdfium(self) -> bool:
        if self._agrees is None:
            try:
                count = self.count()
            except LoadError as error:
                count, reason = -1, error.reason
            else:
                reason = f"PDFium finds {self._pdfium_pages} pages, pypdf {count}"
            self._agrees = count == self._pdfium_pages
            if not self._agrees:
                logger.warning("%s: page numbers would not agree: %s", self._path, reason)
        return self._agrees


class PdfConnector:
    """Reads PDFs page by page, so memory stays bounded by one page's text.

    Text comes from PDFium, or from pypdf where PDFium fails (on the file, or on a page).
    Pages without extractable text (scans, blank pages) are skipped; a page whose
    extraction fails with both is skipped with a logged warning and the others still
    load. A PDF encrypted with an empty user password opens; one needing a password is
    refused with a LoadError saying how to decrypt it. A page whose words look run
    together (see ``connectors.spacing``) gets ``spaceless: True`` in its metadata.

    Args:
        extractor: ``"pdfium"`` (the default, with pypdf as the fallback) or ``"pypdf"``
            (pypdf only, as before PDFium; for comparisons).
    """

    name = "pdf"
    suffixes: frozenset[str] = frozenset({".pdf"})

    def __init__(self, extractor: Extractor = "pdfium") -> None:
        if extractor not in ("pdfium", "pypdf"):
            raise ValueError(f"unknown PDF extractor {extractor!r}; use 'pdfium' or 'pypdf'")
        self.extractor: Extractor = extractor

    def load(self, path: Path) -> Iterator[Document]:
        """Yield one Document per page with text, metadata ``page`` 1-based.

        Raises:
            LoadError: Corrupt, truncated, password-protected, or no text on any page.
        """
        with path.open("rb") as stream:
            reader = _open_reader(path, stream)
            title = pdf_title(reader, path)
            pdfium = self._open_pdfium(stream, reader, path)
            try:
                if pdfium is not None:
                    pages = len(pdfium)
                    fallback = _PypdfPages(reader, path, pages)
                else:
                    fallback = _PypdfPages(reader, path, None)
                    pages = fallback.count()
                if pages == 0:
                    raise LoadError(path, "PDF with no pages, nothing to index")
                yielded = 0
                for number in range(1, pages + 1):
                    text = _page_text(pdfium, fallback, number, path)
                    if text:
                        yielded += 1
                        extra = {"spaceless": True} if looks_spaceless(text) else {}
                        yield make_document(text, path=path, title=title, page=number, **extra)
            finally:
                if pdfium is not None:
                    pdfium.close()
            if not yielded:
                raise LoadError(
                    path,
                    f"no extractable text on any of its {pages} pages (a scan?); "
                    "add a text layer with OCR first, e.g. `ocrmypdf in.pdf out.pdf`",
                )

    def _open_pdfium(self, stream: BinaryIO, reader: PdfReader, path: Path) -> _PdfiumText | None:
        """PDFium on the same file, or None (pypdf reads every page) when it cannot serve."""
        if self.extractor != "pdfium":
            return None
        try:
            pdfium = _PdfiumText.open(stream, encrypted=bool(reader.is_encrypted))
        except Exception as exc:
            logger.warning("%s: PDFium cannot open it, pypdf reads it: %s", path, _describe(exc))
            return None
        try:
            len(pdfium)
        except Exception as exc:
            pdfium.close()
            logger.warning("%s: PDFium cannot count its pages, pypdf reads it: %s", path, exc)
            return None
        return pdfium


def _page_text(pdfium: _PdfiumText | None, fallback: _PypdfPages, number: int, path: Path) -> str:
    """Page ``number``'s text from PDFium, else from pypdf; "" for a page without text."""
    if pdfium is not None:
        try:
            text = pdfium.page_text(number - 1)
        except Exception as exc:
            logger.warning(
                "%s: page %d: PDFium failed, pypdf reads it: %s", path, number, _describe(exc)
            )
        else:
            return text if text.strip() else ""
    text = fallback.text(number)
    return text if text.strip() else ""
