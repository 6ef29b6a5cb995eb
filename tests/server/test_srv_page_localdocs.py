"""The page's LocalDocs panel in headless Chromium: add a folder, watch it index, stop, remove.

The server is the real app in-process with a fast fake embedder (no model is needed to manage
collections); the full flow with the real models is in test_srv_page_flow.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from live_app import KEY, LiveApp, live_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # Chromium is a process


@pytest.fixture
def app(tmp_path: Path) -> Iterator[LiveApp]:
    with live_app(tmp_path / "home", delay=0.05) as running:
        yield running


def _open(browser: object, app: LiveApp, width: int = 1200) -> object:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    page = browser.new_page(viewport={"width": width, "height": 800})
    page.on("dialog", lambda dialog: dialog.accept())
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors  # type: ignore[attr-defined]
    page.goto(app.url)
    expect(page.locator("#key-dialog")).to_be_visible()
    page.fill("#key-input", KEY)
    page.keyboard.press("Enter")
    expect(page.locator("#collections-empty")).to_be_visible()
    return page


def _folder(root: Path, files: int) -> Path:
    folder = root / "manuals"
    folder.mkdir()
    for number in range(files):
        (folder / f"part-{number}.md").write_text(
            f"# Part {number}\n\nPart {number} weighs {number + 1} kilograms.\n", encoding="utf-8"
        )
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 not a real PDF")
    return folder


def test_add_a_folder_from_the_page_and_see_it_indexed(
    browser: object, app: LiveApp, tmp_path: Path
) -> None:
    from playwright.sync_api import Page, expect

    folder = _folder(tmp_path, files=8)
    page = _open(browser, app)
    assert isinstance(page, Page)

    # Keyboard only: open "Add a folder", browse to the folder (from the one above it), choose
    # it (the name is suggested), submit.
    page.locator("#add-panel summary").focus()
    page.keyboard.press("Enter")
    page.locator("#add-folder").focus()
    page.keyboard.type(str(folder.parent))
    page.keyboard.press("Tab")  # to "Browse…"
    page.keyboard.press("Enter")
    expect(page.locator("#folder-dialog")).to_be_visible()
    expect(page.locator("#folder-path")).to_have_text(str(folder.parent.resolve()))
    entry = page.locator("#folder-list button", has_text="manuals")
    entry.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#folder-path")).to_have_text(str(folder.resolve()))
    page.screenshot(path=str(tmp_path / "screenshots" / "browse.png"))
    page.locator("#folder-choose").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#folder-dialog")).to_be_hidden()
    expect(page.locator("#add-folder")).to_have_value(str(folder.resolve()))
    expect(page.locator("#add-name")).to_have_value("manuals")
    page.keyboard.press("Enter")

    item = page.locator('.collection[data-id="manuals"]')
    expect(item).to_be_visible()
    expect(item.locator(".progress")).to_be_visible(timeout=10_000)  # progress while it runs
    shots = tmp_path / "screenshots"
    page.screenshot(path=str(shots / "indexing.png"))
    expect(item).to_have_attribute("data-up-to-date", "true", timeout=30_000)
    expect(item.locator(".status-line")).to_have_text("Up to date (watching)")
    expect(item.locator(".counts")).to_contain_text("8 files")
    expect(page.locator("#status")).to_have_text("manuals: indexed (8 files, 1 failed).")
    expect(item.locator(".failures summary")).to_have_text("1 file(s) failed")
    item.locator(".failures summary").click()
    expect(item.locator(".failures li")).to_contain_text("broken.pdf")
    expect(item.locator(".pick input")).to_be_checked()  # a new collection is ticked
    page.screenshot(path=str(shots / "indexed.png"))

    # Stop watching, re-index after a change, then remove it.
    item.locator(".watch").uncheck()
    expect(item.locator(".status-line")).not_to_have_text("Up to date (watching)")
    (folder / "part-99.md").write_text("# Extra\n\nAn extra part.\n", encoding="utf-8")
    item.locator(".reindex").click()
    expect(item.locator(".status-line")).to_contain_text("1 added", timeout=30_000)
    expect(item.locator(".counts")).to_contain_text("9 files")
    item.locator(".remove").click()
    expect(item).to_have_count(0)
    expect(page.locator("#collections-empty")).to_be_visible()
    assert folder.is_dir() and len(list(folder.iterdir())) == 10
    assert not page.errors  # type: ignore[attr-defined]
    page.close()


def test_a_refused_folder_is_explained(browser: object, app: LiveApp) -> None:
    from playwright.sync_api import Page, expect

    page = _open(browser, app, width=390)  # phone width
    assert isinstance(page, Page)
    page.click("#add-panel summary")
    page.fill("#add-folder", str(app.home))
    page.fill("#add-name", "myhome")
    page.click("#add-submit")
    expect(page.locator("#add-error")).to_contain_text("is the data home")
    page.fill("#add-folder", "/no/such/place")
    page.click("#add-submit")
    expect(page.locator("#add-error")).to_contain_text("does not exist")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways at phone width ({width} px)"
    page.close()


def test_a_collection_made_in_a_terminal_gets_its_folder_from_the_page(
    browser: object, tmp_path: Path
) -> None:
    from live_app import HashEmbeddings
    from playwright.sync_api import Page, expect

    from gpt4all_rag.config import Settings
    from gpt4all_rag.localdocs.collection import LocalDocs

    folder = _folder(tmp_path, files=2)
    home = tmp_path / "home"
    LocalDocs("old-one", settings=Settings(home=home), embeddings=HashEmbeddings()).index([folder])
    with live_app(home) as app:
        page = browser.new_page(viewport={"width": 1200, "height": 800})  # type: ignore[attr-defined]
        assert isinstance(page, Page)
        page.goto(app.url)
        page.fill("#key-input", KEY)
        page.keyboard.press("Enter")
        item = page.locator('.collection[data-id="old-one"]')
        expect(item.locator(".folders")).to_contain_text("Folder unknown")
        expect(item.locator(".reindex")).to_be_disabled()
        expect(item.locator(".watch")).to_be_disabled()

        item.locator(".set-folder").click()
        expect(page.locator("#folder-dialog")).to_be_visible()
        page.locator("#folder-up").click()  # from the home folder of the server's user...
        expect(page.locator("#folder-path")).not_to_have_text(str(Path.home()))
        page.keyboard.press("Escape")  # ...cancelled: nothing changes
        expect(page.locator("#folder-dialog")).to_be_hidden()
        expect(item.locator(".folders")).to_contain_text("Folder unknown")

        item.locator(".set-folder").click()
        expect(page.locator("#folder-dialog")).to_be_visible()
        page.evaluate(f"showFolder({str(folder.parent)!r})")  # as if browsed down to it
        page.locator("#folder-list button", has_text="manuals").click()
        expect(page.locator("#folder-path")).to_have_text(str(folder.resolve()))
        page.click("#folder-choose")
        expect(item.locator(".folders")).to_have_text(str(folder.resolve()))
        expect(item.locator(".set-folder")).to_be_hidden()
        expect(item.locator(".status-line")).to_contain_text("Indexed", timeout=30_000)
        item.locator(".watch").check()
        expect(item).to_have_attribute("data-up-to-date", "true")
        page.close()
