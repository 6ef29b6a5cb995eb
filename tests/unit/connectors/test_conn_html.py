"""HTML: title and visible text only, paragraphs kept, encodings from meta or detection."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors import LoadError, get_registry

PAGE = """<!DOCTYPE html>
<html><head><meta charset="{charset}"><title>Caf\u00e9   Guide</title>
<style>p {{ color: red }}</style><script>var secret = "script text";</script></head>
<body>
<noscript>Enable JavaScript</noscript>
<template><p>template text</p></template>
<h1>Welcome</h1>
<p>First   paragraph with <b>bold</b> and
<a href="#">a link</a>.<br>A new line.</p>
<div hidden>hidden div</div><p style="display: none">invisible</p>
<span aria-hidden="true">icon</span>
<!-- a comment -->
<table><tr><th>Name</th><th>Price</th></tr><tr><td>Cr\u00e8me</td><td>4 \u20ac</td></tr></table>
<ul><li>one</li><li>two</li></ul>
<pre>def f():
    return 1</pre>
</body></html>
"""

EXPECTED = (
    "Welcome\n\n"
    "First paragraph with bold and a link.\nA new line.\n\n"
    "Name | Price\nCr\u00e8me | 4 \u20ac\n\n"
    "one\ntwo\n\n"
    "def f():\n    return 1"
)


@pytest.mark.parametrize(("charset", "encoding"), [("utf-8", "utf-8"), ("windows-1252", "cp1252")])
def test_visible_text_and_title(tmp_path: Path, charset: str, encoding: str) -> None:
    path = tmp_path / "guide.html"
    path.write_bytes(PAGE.format(charset=charset).encode(encoding))
    [doc] = get_registry().load(path)
    assert doc.page_content == EXPECTED
    assert doc.metadata["title"] == "Caf\u00e9 Guide"
    assert doc.metadata["file_type"] == "html"
    for dropped in ("script text", "color", "Enable JavaScript", "template", "hidden", "icon"):
        assert dropped not in doc.page_content


def test_latin1_declared_as_iso_8859_1_and_euro_sign(tmp_path: Path) -> None:
    path = tmp_path / "old.htm"
    html = (
        '<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1"><p>Prix: 5 €</p>'
    )
    path.write_bytes(html.encode("cp1252"))  # browsers read ISO-8859-1 as windows-1252
    [doc] = get_registry().load(path)
    assert doc.page_content == "Prix: 5 €"


def test_wrong_declared_charset_falls_back_to_detection(tmp_path: Path) -> None:
    path = tmp_path / "liar.html"
    body = "<p>Le café était très agréable. Nous avons mangé une crème brûlée.</p>"
    path.write_bytes(('<meta charset="utf-8">' + body).encode("latin-1"))
    [doc] = get_registry().load(path)
    assert doc.page_content == "Le café était très agréable. Nous avons mangé une crème brûlée."


def test_chinese_page_without_declaration(tmp_path: Path) -> None:
    path = tmp_path / "zh.html"
    path.write_text("<h1>标题</h1><p>你好，世界。</p><p>第二段。</p>", encoding="utf-8")
    [doc] = get_registry().load(path)
    assert doc.page_content == "标题\n\n你好，世界。\n\n第二段。"
    assert doc.metadata["title"] == "标题"  # no <title>: the first <h1>


def test_xhtml_with_xml_declaration(tmp_path: Path) -> None:
    path = tmp_path / "page.xhtml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
        "<head><title>X</title></head><body><p>Body text</p></body></html>",
        encoding="utf-8",
    )
    [doc] = get_registry().load(path)
    assert (doc.page_content, doc.metadata["title"]) == ("Body text", "X")


def test_page_without_visible_text_or_bytes(tmp_path: Path) -> None:
    (tmp_path / "blank.html").write_text("<html><head><title>T</title></head><body> </body>")
    (tmp_path / "empty.html").write_bytes(b"")
    with pytest.raises(LoadError, match="no visible text"):
        get_registry().load(tmp_path / "blank.html")
    with pytest.raises(LoadError, match="empty file"):
        get_registry().load(tmp_path / "empty.html")
