"""PDF: real files made with fpdf2 and pypdf (pages, titles, encryption, damage).

PDFium's own path, its fallback to pypdf and space-less pages: test_conn_pdfium.py.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Generator
from pathlib import Path

import pytest
from pypdf import PdfWriter
from pypdf.generic import NameObject, StreamObject

from connectors import LoadError, get_registry
from connectors.pdf import PdfConnector

MakePdf = Callable[..., Path]


def test_one_document_per_page_with_text_numbered_from_one(make_pdf: MakePdf) -> None:
    path = make_pdf("manual.pdf", ["Alpha page.", "", "Gamma page."], title="The Manual")
    docs = get_registry().load(path)
    assert [d.metadata["page"] for d in docs] == [1, 3]  # the blank page 2 is skipped
    assert [d.page_content.strip() for d in docs] == ["Alpha page.", "Gamma page."]
    for doc in docs:
        assert doc.metadata["title"] == "The Manual"
        assert doc.metadata["source"] == str(path.resolve())
        assert doc.metadata["file_type"] == "pdf"
        assert set(doc.metadata) == {"source", "title", "content_hash", "file_type", "page"}
    assert docs[0].metadata["content_hash"] != docs[1].metadata["content_hash"]


def test_title_falls_back_to_the_file_name(make_pdf: MakePdf) -> None:
    path = make_pdf("no-title.pdf", ["Some text."])
    [doc] = get_registry().load(path)
    assert doc.metadata["title"] == "no-title.pdf"


def test_loading_is_lazy_page_by_page(make_pdf: MakePdf) -> None:
    path = make_pdf("long.pdf", [f"Page number {i}." for i in range(1, 6)])
    open_fds = len(os.listdir("/proc/self/fd"))
    pages = PdfConnector().load(path)
    assert isinstance(pages, Generator)
    assert next(pages).metadata["page"] == 1
    assert len(os.listdir("/proc/self/fd")) == open_fds + 1  # reading on, page by page
    pages.close()  # a caller may stop early: the file is closed
    assert len(os.listdir("/proc/self/fd")) == open_fds


def test_encrypted_with_a_user_password_is_refused_with_how_to_fix(
    make_encrypted_pdf: MakePdf,
) -> None:
    path = make_encrypted_pdf("locked.pdf", ["Secret text."], user_password="s3cret")
    with pytest.raises(LoadError) as info:
        get_registry().load(path)
    assert info.value.source == str(path)
    assert "encrypted" in info.value.reason
    assert "qpdf --decrypt" in info.value.reason


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-128", "AES-256"])
def test_encrypted_with_an_empty_user_password_opens(
    make_encrypted_pdf: MakePdf, algorithm: str
) -> None:
    name = f"owner-only-{algorithm}.pdf"
    path = make_encrypted_pdf(name, ["Readable text."], user_password="", algorithm=algorithm)
    [doc] = get_registry().load(path)
    assert doc.page_content.strip() == "Readable text."


def test_corrupt_pdf_is_a_load_error_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.pdf"
    path.write_bytes(b"%PDF-1.7\n this is not really a pdf \x00\x01\x02")
    with pytest.raises(LoadError, match="not a readable PDF"):
        get_registry().load(path)


def test_truncated_pdf_is_a_load_error(make_pdf: MakePdf) -> None:
    path = make_pdf("cut.pdf", ["Some text on a page."])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(LoadError) as info:
        get_registry().load(path)
    assert "not a readable PDF (corrupt or truncated?)" in info.value.reason
    assert "Stream has ended unexpectedly" in info.value.reason


def test_a_pdf_that_is_really_html(tmp_path: Path) -> None:
    path = tmp_path / "download.pdf"
    path.write_text("<html><body>404 Not Found</body></html>", encoding="utf-8")
    with pytest.raises(LoadError, match="not a readable PDF"):
        get_registry().load(path)


def test_scanned_pdf_without_text_suggests_ocr(make_pdf: MakePdf) -> None:
    path = make_pdf("scan.pdf", ["", ""])
    with pytest.raises(LoadError) as info:
        get_registry().load(path)
    assert "no extractable text on any of its 2 pages" in info.value.reason
    assert "ocrmypdf" in info.value.reason


def test_a_page_with_a_damaged_content_stream_does_not_lose_the_others(
    make_pdf: MakePdf, tmp_path: Path
) -> None:
    plain = make_pdf("plain.pdf", ["Good page one.", "Page two, soon damaged.", "Good page three."])
    writer = PdfWriter(clone_from=plain)
    damaged = StreamObject()
    damaged._data = b"\x00 not zlib data"
    damaged[NameObject("/Filter")] = NameObject("/FlateDecode")
    writer.pages[1][NameObject("/Contents")] = writer._add_object(damaged)
    path = tmp_path / "damaged.pdf"
    with path.open("wb") as out:
        writer.write(out)
    docs = get_registry().load(path)
    assert [d.metadata["page"] for d in docs] == [1, 3]


def test_a_page_whose_extraction_raises_is_skipped_with_a_warning(
    make_pdf: MakePdf, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # pypdf is lenient with every damaged page we could craft, so make page 2 raise.
    from pypdf import PageObject

    original = PageObject.extract_text

    def extract_text(self: PageObject, *args: object, **kwargs: object) -> str:
        text = original(self, *args, **kwargs)  # type: ignore[arg-type]
        if "explode" in text:
            raise KeyError("/Font")
        return text

    monkeypatch.setattr(PageObject, "extract_text", extract_text)
    path = make_pdf("partly.pdf", ["First page.", "explode here", "Third page."])
    with caplog.at_level(logging.WARNING, logger="connectors.pdf"):
        docs = list(PdfConnector("pypdf").load(path))  # PDFium failing too: test_conn_pdfium
    assert [d.metadata["page"] for d in docs] == [1, 3]
    assert "page 2 skipped" in caplog.text and "KeyError" in caplog.text
