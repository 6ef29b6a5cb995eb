"""PDF text from PDFium, pypdf as the fallback, and pages whose words run together flagged.

Real PDFs made with fpdf2 (and pypdf for encryption); failures injected with monkeypatch.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Generator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pypdfium2
import pytest
from pypdf import PageObject, PdfReader

from connectors import get_registry
from connectors.pdf import PdfConnector, _PdfiumText, normalize_pdfium_text
from connectors.spacing import looks_spaceless, spacing_stats

MakePdf = Callable[..., Path]

PROSE = (
    "To avoid conflicts with the older package, the new one was renamed. Every function "
    "kept its name, and the manual explains how to move a project from one to the other."
)
GLUED = PROSE.replace(" ", "")


@pytest.fixture
def pdfium_pages(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record the 0-based page indexes PDFium extracted (a spy on the real method)."""
    seen: list[int] = []
    original = _PdfiumText.page_text

    def page_text(self: _PdfiumText, index: int) -> str:
        text = original(self, index)
        seen.append(index)
        return text

    monkeypatch.setattr(_PdfiumText, "page_text", page_text)
    return seen


@pytest.fixture
def no_pypdf_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make pypdf's page text extraction fail loudly: any text must come from PDFium."""

    def extract_text(self: PageObject, *args: object, **kwargs: object) -> str:
        raise AssertionError("pypdf extract_text called")

    monkeypatch.setattr(PageObject, "extract_text", extract_text)


def test_pages_come_from_pdfium(
    make_pdf: MakePdf, pdfium_pages: list[int], no_pypdf_text: None
) -> None:
    path = make_pdf("manual.pdf", ["Alpha page.", "", "Gamma page."], title="The Manual")
    docs = get_registry().load(path)
    assert [d.metadata["page"] for d in docs] == [1, 3]
    assert [d.page_content for d in docs] == ["Alpha page.", "Gamma page."]
    assert pdfium_pages == [0, 1, 2]
    assert docs[0].metadata["title"] == "The Manual"  # the title still comes from pypdf


def test_page_numbers_and_text_agree_with_pypdf(make_pdf: MakePdf) -> None:
    pages = [f"Page {i}: {PROSE}" if i % 3 else "" for i in range(1, 8)]
    path = make_pdf("agree.pdf", pages)
    pdfium = list(PdfConnector().load(path))
    pypdf = list(PdfConnector("pypdf").load(path))
    assert [d.metadata["page"] for d in pdfium] == [d.metadata["page"] for d in pypdf]
    assert [d.metadata["page"] for d in pdfium] == [1, 2, 4, 5, 7]
    assert [" ".join(d.page_content.split()) for d in pdfium] == [
        " ".join(d.page_content.split()) for d in pypdf
    ]
    for doc in pdfium:
        assert doc.page_content.startswith(f"Page {doc.metadata['page']}:")


def test_pdfium_failing_on_the_file_falls_back_to_pypdf(
    make_pdf: MakePdf, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise pypdfium2.PdfiumError("Failed to load document (PDFium: Data format error).")

    monkeypatch.setattr(pypdfium2, "PdfDocument", refuse)
    path = make_pdf("fallback.pdf", ["First page.", "Second page."])
    with caplog.at_level(logging.WARNING, logger="connectors.pdf"):
        docs = get_registry().load(path)
    assert [(d.metadata["page"], d.page_content) for d in docs] == [
        (1, "First page."),
        (2, "Second page."),
    ]
    assert "PDFium cannot open it, pypdf reads it" in caplog.text
    assert "Data format error" in caplog.text


def test_pdfium_failing_on_a_page_falls_back_to_pypdf_for_that_page(
    make_pdf: MakePdf, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    original = _PdfiumText.page_text
    used: list[int] = []

    def page_text(self: _PdfiumText, index: int) -> str:
        if index == 1:
            raise pypdfium2.PdfiumError("Failed to load page.")
        used.append(index)
        return original(self, index)

    monkeypatch.setattr(_PdfiumText, "page_text", page_text)
    path = make_pdf("partly.pdf", ["One.", "Two.", "Three."])
    with caplog.at_level(logging.WARNING, logger="connectors.pdf"):
        docs = get_registry().load(path)
    assert [(d.metadata["page"], d.page_content) for d in docs] == [
        (1, "One."),
        (2, "Two."),
        (3, "Three."),
    ]
    assert used == [0, 2]
    assert "page 2: PDFium failed, pypdf reads it" in caplog.text


def test_a_page_both_fail_on_is_skipped_and_the_rest_loads(
    make_pdf: MakePdf, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def pdfium_fails(self: _PdfiumText, index: int) -> str:
        raise pypdfium2.PdfiumError("Failed to load page.")

    original = PageObject.extract_text

    def pypdf_fails_on_two(self: PageObject, *args: object, **kwargs: object) -> str:
        text = original(self, *args, **kwargs)  # type: ignore[arg-type]
        if "explode" in text:
            raise KeyError("/Font")
        return text

    monkeypatch.setattr(_PdfiumText, "page_text", pdfium_fails)
    monkeypatch.setattr(PageObject, "extract_text", pypdf_fails_on_two)
    path = make_pdf("both.pdf", ["First page.", "explode here", "Third page."])
    with caplog.at_level(logging.WARNING, logger="connectors.pdf"):
        docs = get_registry().load(path)
    assert [d.metadata["page"] for d in docs] == [1, 3]
    assert "page 2 skipped" in caplog.text and "KeyError" in caplog.text


def test_pypdf_stands_in_for_a_page_only_when_both_count_the_same_pages(
    make_pdf: MakePdf, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    original = _PdfiumText.page_text

    def page_text(self: _PdfiumText, index: int) -> str:
        if index == 1:
            raise pypdfium2.PdfiumError("Failed to load page.")
        return original(self, index)

    monkeypatch.setattr(_PdfiumText, "page_text", page_text)
    monkeypatch.setattr(_PdfiumText, "__len__", lambda self: 3)  # pypdf finds 2
    path = make_pdf("two.pdf", ["One.", "Two."])
    with caplog.at_level(logging.WARNING, logger="connectors.pdf"):
        docs = list(PdfConnector().load(path))
    assert [(d.metadata["page"], d.page_content) for d in docs] == [(1, "One.")]
    assert "page numbers would not agree: PDFium finds 3 pages, pypdf 2" in caplog.text
    assert "page 2 skipped, pypdf cannot stand in for PDFium" in caplog.text


def test_pypdf_does_not_walk_the_page_tree_when_pdfium_reads_every_page(
    make_pdf: MakePdf, monkeypatch: pytest.MonkeyPatch
) -> None:
    def count(self: object) -> int:
        raise AssertionError("pypdf counted the pages")

    monkeypatch.setattr(PdfReader, "pages", property(count))
    path = make_pdf("fast.pdf", ["One.", "Two."], title="Fast")
    docs = get_registry().load(path)
    assert [(d.metadata["page"], d.metadata["title"]) for d in docs] == [(1, "Fast"), (2, "Fast")]


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-128", "AES-256"])
def test_encrypted_with_an_empty_password_is_read_by_pdfium(
    make_encrypted_pdf: MakePdf, algorithm: str, pdfium_pages: list[int], no_pypdf_text: None
) -> None:
    path = make_encrypted_pdf(f"owner-{algorithm}.pdf", ["Readable text."], user_password="")
    [doc] = get_registry().load(path)
    assert doc.page_content == "Readable text."
    assert pdfium_pages == [0]


def test_pdfium_documents_are_closed_also_when_the_reader_stops_early(
    make_pdf: MakePdf, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[int] = []
    closed: list[int] = []
    original_open, original_close = _PdfiumText.open.__func__, _PdfiumText.close  # type: ignore[attr-defined]

    def tracked_open(cls: type[_PdfiumText], *args: object, **kwargs: object) -> _PdfiumText:
        pdfium = original_open(cls, *args, **kwargs)
        opened.append(id(pdfium))
        return pdfium

    def tracked_close(self: _PdfiumText) -> None:
        if self._document is not None:
            closed.append(id(self))
        original_close(self)

    monkeypatch.setattr(_PdfiumText, "open", classmethod(tracked_open))
    monkeypatch.setattr(_PdfiumText, "close", tracked_close)
    path = make_pdf("three.pdf", ["One.", "Two.", "Three."])
    assert len(list(PdfConnector().load(path))) == 3
    pages = PdfConnector().load(path)
    assert isinstance(pages, Generator)
    next(pages)
    pages.close()
    assert len(opened) == 2 and closed == opened


def test_a_document_continued_on_another_thread_is_read_by_pypdf_there(
    make_pdf: MakePdf, pdfium_pages: list[int]
) -> None:
    path = make_pdf("threads.pdf", ["One.", "Two."])
    pages = PdfConnector().load(path)
    assert isinstance(pages, Generator)
    first = next(pages)
    with ThreadPoolExecutor(1) as pool:
        second = pool.submit(next, pages).result()
    pages.close()
    assert (first.page_content, second.page_content) == ("One.", "Two.")
    assert pdfium_pages == [0]  # page 2 was asked for on another thread: pypdf read it


def test_loading_from_several_threads_at_once(make_pdf: MakePdf) -> None:
    paths = [make_pdf(f"t{i}.pdf", [f"File {i} page {p}." for p in range(1, 6)]) for i in range(4)]
    registry = get_registry()
    barrier = threading.Barrier(4)

    def load(path: Path) -> list[str]:
        barrier.wait()
        return [d.page_content for _ in range(5) for d in registry.load(path)][:5]

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(load, paths))
    assert results == [[f"File {i} page {p}." for p in range(1, 6)] for i in range(4)]


def test_hyphenated_line_breaks_are_joined_and_real_hyphens_kept(make_pdf: MakePdf) -> None:
    path = make_pdf(
        "hyphens.pdf", ["The Subversion reposi-\ntory holds UTF-\n8 text and S-\nPlus."]
    )
    [doc] = get_registry().load(path)
    assert doc.page_content == "The Subversion repository holds UTF-8 text and S-Plus."
    assert "\r" not in doc.page_content


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("one\r\ntwo\r\n", "one\ntwo\n"),
        ("reposi\x02tory", "repository"),
        ("reposi\ufffetory", "repository"),
        ("co\u00adoperate", "cooperate"),
        ("UTF\x028 and GNU\x02PLOT and Debian\x02Based", "UTF-8 and GNU-PLOT and Debian-Based"),
        ("end\x02", "end-"),
        ("|x| \x1c 1 and \x88 bullet", "|x|  1 and  bullet"),
        ("tab\tkept", "tab\tkept"),
    ],
)
def test_normalize_pdfium_text(raw: str, clean: str) -> None:
    assert normalize_pdfium_text(raw) == clean


def test_a_page_whose_words_run_together_is_flagged(make_pdf: MakePdf) -> None:
    path = make_pdf("glued.pdf", [PROSE, GLUED, "Short."])
    docs = get_registry().load(path)
    assert [d.metadata["page"] for d in docs] == [1, 2, 3]
    assert [d.metadata.get("spaceless") for d in docs] == [None, True, None]
    assert "spaceless" not in docs[0].metadata  # only flagged pages carry the key
    assert docs[1].page_content.replace("\n", "") == GLUED  # the text is kept as it is


def test_a_page_read_by_pypdf_is_flagged_too(make_pdf: MakePdf) -> None:
    path = make_pdf("glued-pypdf.pdf", [GLUED])
    [doc] = PdfConnector("pypdf").load(path)
    assert doc.metadata["spaceless"] is True


def test_the_rule_on_text() -> None:
    assert not looks_spaceless(PROSE)
    assert looks_spaceless(GLUED)
    # long tokens that are not run-together words: identifiers, URLs, paths
    code = (
        "Set _R_CHECK_ALWAYS_LOG_VIGNETTE_OUTPUT_=TRUE and see "
        "https://cran.r-project.org/web/packages/available_packages_by_name.html or "
        "/usr/local/lib/R/site-library/foo/DESCRIPTION for details. "
    )
    assert not looks_spaceless(code * 5)
    assert not looks_spaceless("Supercalifragilisticexpialidocious")  # too little to judge
    stats = spacing_stats(GLUED)
    assert stats.long_words == stats.run_together == stats.words
    assert stats.run_together_share == 1.0


@pytest.mark.parametrize(
    "text",
    [
        "日本語の文章には単語の間に空白がありません。検索は文字の並びで行われます。" * 4,
        "中文文本的词语之间没有空格，所以这一页不应该被标记为没有空格的页面。" * 4,
        "한국어는띄어쓰기를하지만이문장은붙여썼습니다그래도라틴문자가아니므로표시하지않습니다" * 2,
        "ภาษาไทยไม่มีการเว้นวรรคระหว่างคำดังนั้นหน้านี้ไม่ควรถูกทำเครื่องหมาย" * 3,
        "R の関数 install.packages() で CRAN からパッケージを入れます。" * 10,
    ],
)
def test_scripts_written_without_spaces_are_not_flagged(text: str) -> None:
    assert not looks_spaceless(text)


def test_a_cjk_page_is_not_flagged(make_pdf: MakePdf, monkeypatch: pytest.MonkeyPatch) -> None:
    # fpdf2 has no CJK font here, so PDFium "reads" Japanese from a real one-page PDF.
    japanese = "日本語の文章には単語の間に空白がありません。検索は文字の並びで行われます。" * 4
    monkeypatch.setattr(_PdfiumText, "page_text", lambda self, index: japanese)
    [doc] = get_registry().load(make_pdf("ja.pdf", ["placeholder"]))
    assert doc.page_content == japanese
    assert "spaceless" not in doc.metadata
