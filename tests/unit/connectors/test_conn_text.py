"""Text, Markdown, reStructuredText and code: encodings, binary refusal, titles."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from connectors import LoadError, get_registry
from connectors.text import markdown_title, rst_title

FRENCH = "Le café était très agréable. Nous avons mangé une crème brûlée à la française.\n"
GERMAN = "Größe und Gewicht: Die Straße ist schön. Übermäßig viele Äpfel.\n"
CHINESE = "你好，世界。这是一个测试文件，用来检查编码检测是否正确。我们喜欢本地运行的语言模型。\n"


def load_text(path: Path) -> str:
    [doc] = get_registry().load(path)
    return doc.page_content


@pytest.mark.parametrize("text", [FRENCH, GERMAN, "café\n", "Naïve résumé — “quoted” €5\n"])
def test_latin1_and_cp1252_text_comes_out_right(tmp_path: Path, text: str) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes(text.encode("cp1252"))
    assert load_text(path) == text


def test_chinese_utf8_survives_intact(tmp_path: Path) -> None:
    path = tmp_path / "中文.md"
    path.write_text(f"# 标题\n\n{CHINESE}", encoding="utf-8")
    [doc] = get_registry().load(path)
    assert doc.page_content == f"# 标题\n\n{CHINESE}"
    assert doc.metadata["title"] == "标题"


@pytest.mark.parametrize("text", [CHINESE, "中文测试\n"])
def test_gb18030_text_is_detected(tmp_path: Path, text: str) -> None:
    path = tmp_path / "gb.txt"
    path.write_bytes(text.encode("gb18030"))
    assert load_text(path) == text


def test_shift_jis_and_cp1251_are_detected(tmp_path: Path) -> None:
    japanese = "これは日本語のテキストです。エンコーディングの検出をテストします。\n"
    russian = "Привет, мир. Это тестовый файл для проверки кодировки.\n"
    (tmp_path / "ja.txt").write_bytes(japanese.encode("shift_jis"))
    (tmp_path / "ru.txt").write_bytes(russian.encode("cp1251"))
    assert load_text(tmp_path / "ja.txt") == japanese
    assert load_text(tmp_path / "ru.txt") == russian


@pytest.mark.parametrize(
    ("bom", "encoding"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
    ],
)
def test_byte_order_marks(tmp_path: Path, bom: bytes, encoding: str) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(bom + f"Grüße {CHINESE}".encode(encoding))
    assert load_text(path) == f"Grüße {CHINESE}"


def test_zero_byte_file_is_reported_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.md"
    path.write_bytes(b"")
    with pytest.raises(LoadError, match="empty file, nothing to index"):
        get_registry().load(path)


def test_whitespace_only_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "blank.txt"
    path.write_text("  \n\n\t\n", encoding="utf-8")
    with pytest.raises(LoadError, match="only whitespace"):
        get_registry().load(path)


def test_binary_file_named_txt_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "photo.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    with pytest.raises(LoadError, match="binary file"):
        get_registry().load(path)


def test_binary_without_nul_bytes_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "controls.log"
    path.write_bytes(bytes(range(1, 32)) * 100)
    with pytest.raises(LoadError, match="binary file or unknown text encoding"):
        get_registry().load(path)


def test_source_code_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "script.R"
    path.write_bytes(b"# comment\r\nx <- c(1, 2)\r\n")
    [doc] = get_registry().load(path)
    assert doc.page_content == "# comment\nx <- c(1, 2)\n"
    assert doc.metadata["title"] == "script.R"  # not a Markdown heading: an R comment
    assert doc.metadata["file_type"] == "r"


def test_markdown_titles() -> None:
    assert markdown_title("intro\n\n# Main Title #\n\n# Second") == "Main Title"
    assert markdown_title("```\n# not a title\n```\n# Real\n") == "Real"
    assert markdown_title("Setext Title\n============\n\ntext") == "Setext Title"
    assert markdown_title('---\ntitle: "From Front Matter"\n---\n# Heading') == (
        "From Front Matter"
    )
    assert markdown_title("## only level two\n") is None


def test_rst_titles() -> None:
    assert rst_title("=========\nOverlined\n=========\n\nBody") == "Overlined"
    assert rst_title(".. comment\n\nSection\n-------\n") == "Section"
    assert rst_title("Too long title\n===\n") is None
    assert rst_title("just prose\n") is None


def test_title_in_loaded_rst_and_plain_text(tmp_path: Path) -> None:
    (tmp_path / "guide.rst").write_text("User Guide\n==========\n\nRead me.\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("# not markdown here\n", encoding="utf-8")
    [rst] = get_registry().load(tmp_path / "guide.rst")
    [txt] = get_registry().load(tmp_path / "notes.txt")
    assert rst.metadata["title"] == "User Guide"
    assert txt.metadata["title"] == "notes.txt"


UNICODE = "Ein ünïcödé Text: Größe, naïve résumé, 你好.\n"


@pytest.mark.parametrize("bad", [b"\xff", b"\xe9", b"\xc3", b"\xff\xfe\x81"])
def test_utf8_with_a_few_bad_bytes_stays_utf8(tmp_path: Path, bad: bytes) -> None:
    path = tmp_path / "damaged.txt"
    body = UNICODE.encode()
    path.write_bytes(body[:20] + bad + body[20:] * 3)

    text = load_text(path)

    assert "ünïcödé" in text and "你好" in text and "Ã" not in text
    assert "\ufffd" in text  # each bad byte is shown as a replacement character


def test_one_stray_legacy_byte_in_ascii_is_still_detected(tmp_path: Path) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes("Plain English text with one café in it.\n".encode("cp1252"))
    assert load_text(path) == "Plain English text with one café in it.\n"


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("text", [FRENCH + GERMAN, "Plain ASCII in UTF-16.\n" * 3])
def test_utf16_without_bom_is_detected(tmp_path: Path, encoding: str, text: str) -> None:
    path = tmp_path / "wide.txt"
    path.write_bytes(text.encode(encoding))
    assert load_text(path) == text


def test_binary_with_nul_bytes_in_pairs_is_still_refused(tmp_path: Path) -> None:
    path = tmp_path / "samples.txt"
    path.write_bytes(bytes(value for n in range(2000) for value in (n % 31, 0)))
    with pytest.raises(LoadError, match="binary file"):
        get_registry().load(path)
