"""Opening a cited source: signed links, the file at its page or quote, and nothing else.

Real app, real collection (fast fake embedder); the refusals try traversal and symlink tricks.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from live_app import LiveApp, live_app
from pdf_pages import write_pdf

from gpt4all_rag.server.source_files import SourceFiles, find_quote

QUOTE = "The blue valve must be closed before the pump starts."


@pytest.fixture
def indexed(tmp_path: Path) -> Iterator[tuple[LiveApp, Path]]:
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    write_pdf(folder / "pump.pdf", ["Page one: unpacking.", f"Page two. {QUOTE}"])
    (folder / "pump.md").write_text(
        "# Pump\n\nSetup notes.\n\n**The blue valve** must be closed\nbefore the pump starts.\n",
        encoding="utf-8",
    )
    (folder / "pump.html").write_text(
        f"<html><body><h1>Pump</h1><p>{QUOTE}</p><script>fetch('/v1/models')</script>"
        "</body></html>",
        encoding="utf-8",
    )
    (folder / "sub" / "inner.txt").write_text("Inner notes: the red valve.\n", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("the secret\n", encoding="utf-8")
    with live_app(tmp_path / "home") as app, app.client() as client:
        client.post("/v1/collections", json={"name": "pumps", "folders": [str(folder)]})
        card = app.wait_idle("pumps")
        assert card["files"] == 4, card
        yield app, folder.resolve()


def _links(app: LiveApp, sources: list[dict[str, Any]]) -> list[str | None]:
    with app.client() as client:
        reply = client.post("/v1/sources/links", json={"sources": sources})
    assert reply.status_code == 200, reply.text
    return [entry["url"] for entry in reply.json()["data"]]


def _files(app: LiveApp) -> SourceFiles:
    files = app.app.state.source_files
    assert isinstance(files, SourceFiles)
    return files


def _get(app: LiveApp, path: str, sig: str | None = None) -> Any:
    with app.client(key=None) as client:
        sig = _files(app).signature(path) if sig is None else sig
        return client.get("/sources/x", params={"path": path, "sig": sig})


def test_a_pdf_opens_at_its_page(indexed: tuple[LiveApp, Path]) -> None:
    app, folder = indexed
    (url,) = _links(app, [{"source": str(folder / "pump.pdf"), "page": 2, "quote": QUOTE}])
    assert url is not None and url.endswith("#page=2")
    with app.client(key=None) as client:  # a new tab carries no API key: the link is enough
        reply = client.get(url.split("#")[0])
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/pdf"
    assert reply.headers["content-disposition"].startswith("inline")
    assert reply.content == (folder / "pump.pdf").read_bytes()


def test_a_text_file_opens_with_the_quote_highlighted(indexed: tuple[LiveApp, Path]) -> None:
    app, folder = indexed
    (url,) = _links(app, [{"source": str(folder / "pump.md"), "page": None, "quote": QUOTE}])
    assert url is not None and url.endswith("#quote")
    with app.client(key=None) as client:
        reply = client.get(url.split("#")[0])
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/html")
    assert "script-src" not in reply.headers["content-security-policy"]  # default-src 'none'
    marked = reply.text.split('<mark id="quote">')[1].split("</mark>")[0]
    assert marked == "The blue valve** must be closed\nbefore the pump starts."
    assert "Setup notes." in reply.text


def test_an_html_file_opens_sandboxed_at_the_quote(indexed: tuple[LiveApp, Path]) -> None:
    app, folder = indexed
    (url,) = _links(app, [{"source": str(folder / "pump.html"), "quote": QUOTE}])
    assert url is not None and "#:~:text=The%20blue%20valve" in url
    with app.client(key=None) as client:
        reply = client.get(url.split("#")[0])
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/html")
    policy = reply.headers["content-security-policy"]
    assert policy.startswith("sandbox") and "script-src" not in policy
    assert "default-src 'none'" in policy
    assert QUOTE in reply.text


def test_links_are_only_made_for_collection_files(indexed: tuple[LiveApp, Path]) -> None:
    app, folder = indexed
    secret = folder.parent / "secret.txt"
    urls = _links(
        app,
        [
            {"source": str(secret)},
            {"source": f"{folder}/../secret.txt"},
            {"source": "/etc/passwd"},
            {"source": str(folder / "sub" / "inner.txt")},
        ],
    )
    assert urls[:3] == [None, None, None] and urls[3] is not None
    with app.client(key=None) as client:
        assert client.post("/v1/sources/links", json={"sources": []}).status_code == 401


def test_a_forged_or_reused_signature_is_refused(indexed: tuple[LiveApp, Path]) -> None:
    app, folder = indexed
    (url,) = _links(app, [{"source": str(folder / "pump.md")}])
    assert url is not None
    signature = parse_qs(urlsplit(url).query)["sig"][0]
    secret = str(folder.parent / "secret.txt")
    assert _get(app, secret, signature).status_code == 404  # another path, same signature
    assert _get(app, str(folder / "pump.md"), "0" * 64).status_code == 404
    assert _get(app, str(folder / "pump.md"), signature).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "{folder}/../secret.txt",
        "{folder}/sub/../../secret.txt",
        "{folder}//pump.md",
        "{folder}/./pump.md",
        "{folder}/sub/../pump.md",
        "secret.txt",
        "../secret.txt",
        "/etc/passwd",
        "{home}/collections/pumps/ledger.sqlite3",
    ],
)
def test_traversal_is_refused_even_with_a_valid_signature(
    indexed: tuple[LiveApp, Path], path: str
) -> None:
    app, folder = indexed
    given = path.format(folder=folder, home=app.home)
    reply = _get(app, given)  # signed with the server's own key: only the path is at fault
    assert reply.status_code == 404, given
    assert "secret" not in reply.text.replace("secret.txt", "")


def test_a_file_swapped_for_a_symlink_is_refused(indexed: tuple[LiveApp, Path]) -> None:
    app, folder = indexed
    target = folder / "pump.md"
    assert _get(app, str(target)).status_code == 200
    target.unlink()
    target.symlink_to(folder.parent / "secret.txt")
    reply = _get(app, str(target))
    assert reply.status_code == 404 and "the secret" not in reply.text


def test_a_folder_swapped_for_a_symlink_is_refused(indexed: tuple[LiveApp, Path]) -> None:
    app, folder = indexed
    inner = folder / "sub" / "inner.txt"
    assert _get(app, str(inner)).status_code == 200
    elsewhere = folder.parent / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "inner.txt").write_text("the secret\n", encoding="utf-8")
    shutil.rmtree(folder / "sub")
    os.symlink(elsewhere, folder / "sub")
    reply = _get(app, str(inner))
    assert reply.status_code == 404 and "the secret" not in reply.text


def test_a_removed_collection_no_longer_serves_its_files(indexed: tuple[LiveApp, Path]) -> None:
    app, folder = indexed
    assert _get(app, str(folder / "pump.md")).status_code == 200
    with app.client() as client:
        assert client.delete("/v1/collections/pumps").status_code == 200
    assert _get(app, str(folder / "pump.md")).status_code == 404


def test_find_quote_ignores_spacing_markup_and_case() -> None:
    text = "Intro.\n\n**The Blue valve** must be\nclosed first. Then more."
    start, end = find_quote(text, "The blue valve must be closed first.") or (0, 0)
    assert text[start:end] == "The Blue valve** must be\nclosed first."
    assert find_quote(text, "Nothing like this at all") is None
    assert find_quote(text, "") is None
