"""The whole LocalDocs flow from the page, in Debian's Chromium, on a real `gpt4all-rag serve`
with the bundled models: add a folder of the example documents, watch it index, ask, open a
source, edit a file and see the watcher re-index it, reopen the chat after a server restart;
keyboard only where a user would type, and at phone width.

A screenshot of each state is saved under the test's temp folder (``screenshots/``); set
``GPT4ALL_RAG_FLOW_SHOTS`` to a folder to keep a copy there too (docs/server.md uses them).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from page_browser import launch_chromium
from served_process import Server, serving
from srv_helpers import API_KEY

pytestmark = [pytest.mark.browser, pytest.mark.models, pytest.mark.slow]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "docs"
ZOO_QUESTION = "How can I remove duplicate times in a zoo object?"
FILTER_QUESTION = "How often must the zorblax air filter be replaced?"
KEPT = os.environ.get("GPT4ALL_RAG_FLOW_SHOTS")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with serving(tmp_path) as running:
        yield running


@pytest.fixture
def documents(tmp_path: Path) -> Path:
    """The example documents, plus a Markdown note the test edits."""
    folder = tmp_path / "my-documents"
    shutil.copytree(EXAMPLES, folder)
    (folder / "zorblax.md").write_text(
        "# Zorblax care\n\nThe zorblax air filter must be replaced every 90 days.\n",
        encoding="utf-8",
    )
    return folder


def test_the_whole_flow_from_the_page(server: Server, documents: Path, tmp_path: Path) -> None:
    from playwright.sync_api import Page, expect, sync_playwright

    shots = tmp_path / "screenshots"
    shots.mkdir()

    def shot(page: Page, name: str) -> None:
        page.screenshot(path=str(shots / f"{name}.png"))

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(viewport={"width": 1280, "height": 860})  # type: ignore[attr-defined]
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("dialog", lambda dialog: dialog.accept())
        page.goto(server.url)

        # The key, then a folder added with the keyboard only.
        expect(page.locator("#key-dialog")).to_be_visible()
        page.keyboard.type(API_KEY)
        page.keyboard.press("Enter")
        expect(page.locator("#collections-empty")).to_be_visible()
        page.locator("#add-panel summary").focus()
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")  # to the folder field
        page.keyboard.type(str(documents))
        expect(page.locator("#add-name")).to_have_value("my-documents")  # suggested
        page.keyboard.press("Tab")  # past "Browse…"
        page.keyboard.press("Tab")  # the name
        expect(page.locator("#add-name")).to_be_focused()
        page.keyboard.press("Tab")  # "keep it current", ticked by default
        expect(page.locator("#add-watch")).to_be_focused()
        page.keyboard.press("Tab")
        expect(page.locator("#add-submit")).to_be_focused()
        page.keyboard.press("Enter")

        item = page.locator('.collection[data-id="my-documents"]')
        expect(item.locator(".progress")).to_be_visible(timeout=60_000)
        shot(page, "1-indexing")
        expect(item).to_have_attribute("data-up-to-date", "true", timeout=300_000)
        expect(item.locator(".counts")).to_contain_text(
            "4 files"
        )  # the PDFs, the HTML page, the note
        expect(item.locator(".pick input")).to_be_checked()
        shot(page, "2-indexed")

        # Ask; the answer cites the FAQ, whose PDF opens at its page.
        page.locator("#question").focus()
        page.keyboard.type(ZOO_QUESTION)
        page.keyboard.press("Enter")
        answer = page.locator(".turn.assistant").last
        expect(answer.locator(".source").first).to_be_visible(timeout=180_000)
        expect(answer).not_to_have_class("streaming")
        assert "aggregate" in answer.locator(".text").inner_text().lower()
        pdf_link = answer.locator(".source.cited a.open").first
        expect(pdf_link).to_be_visible()
        href = pdf_link.get_attribute("href") or ""
        assert "zoo-faq.pdf" in href and "#page=" in href, href
        reply = context.request.get(server.url + href.split("#")[0])
        assert reply.status == 200 and reply.headers["content-type"] == "application/pdf"
        shot(page, "3-answer")

        # A Markdown source opens in a new tab at the quote, highlighted.
        page.keyboard.type(FILTER_QUESTION)
        page.keyboard.press("Enter")
        answer = page.locator(".turn.assistant").last
        expect(answer.locator(".source").first).to_be_visible(timeout=180_000)
        expect(answer).not_to_have_class("streaming")
        assert "90" in answer.locator(".text").inner_text()
        note_source = answer.locator(".source", has_text="zorblax.md").first
        with context.expect_page() as opened:
            note_source.locator("a.open").click()
        source_tab = opened.value
        source_tab.wait_for_load_state()
        assert source_tab.url.endswith("#quote")
        expect(source_tab.locator("mark#quote")).to_contain_text("90 days")
        expect(source_tab.locator("mark#quote")).to_be_in_viewport()
        source_tab.screenshot(path=str(shots / "4-source.png"))
        source_tab.close()

        # Edit the note: the watcher re-indexes it, and the next answer uses the new text.
        before = page.evaluate(
            "fetch('/v1/collections/my-documents', {headers: {Authorization: 'Bearer "
            + API_KEY
            + "'}}).then(r => r.json()).then(c => c.job.id)"
        )
        (documents / "zorblax.md").write_text(
            "# Zorblax care\n\nThe zorblax air filter must be replaced every 120 days.\n",
            encoding="utf-8",
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            card = page.evaluate(
                "fetch('/v1/collections/my-documents', {headers: {Authorization: 'Bearer "
                + API_KEY
                + "'}}).then(r => r.json())"
            )
            if card["job"]["id"] != before and card["up_to_date"]:
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"the edit was not indexed within 60 s: {card}")
        assert card["job"]["kind"] == "watch" and card["job"]["updated"] == 1
        expect(item).to_have_attribute("data-up-to-date", "true")
        expect(item.locator(".status-line")).to_have_text("Up to date (watching)")
        # A new chat (the first one holds the old answer in its history), asked again.
        page.locator("#new-chat").focus()
        page.keyboard.press("Enter")
        expect(page.locator(".turn")).to_have_count(0)
        page.keyboard.type(FILTER_QUESTION)
        page.keyboard.press("Enter")
        answer = page.locator(".turn.assistant").last
        expect(answer.locator(".source").first).to_be_visible(timeout=180_000)
        expect(answer).not_to_have_class("streaming")
        assert "120" in answer.locator(".text").inner_text()
        expect(page.locator(".chat-item")).to_have_count(2)
        shot(page, "5-after-edit")

        # Restart the server: both chats are listed; the open one comes back with its answer
        # and sources, and the first one reopens with its four turns.
        server.stop()
        server.start()
        page.reload()
        expect(page.locator(".chat-item")).to_have_count(2)
        expect(page.locator(".turn")).to_have_count(2, timeout=30_000)
        expect(page.locator(".turn.assistant .text")).to_contain_text("120")
        expect(page.locator(".turn.assistant .source").first).to_be_visible()
        first_chat = page.locator(".chat-item").nth(1).locator(".chat-open")
        expect(first_chat.locator(".chat-title")).to_have_text(ZOO_QUESTION)
        first_chat.click()
        expect(page.locator(".turn")).to_have_count(4)
        expect(first_chat).to_have_attribute("aria-current", "true")
        shot(page, "6-after-restart")

        # Phone width: nothing scrolls sideways, the panel and the chat are usable.
        page.set_viewport_size({"width": 390, "height": 844})
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways at phone width ({width} px)"
        expect(page.locator("#question")).to_be_visible()
        shot(page, "7-phone")

        assert not errors, errors
        context.close()
        browser.close()  # type: ignore[attr-defined]
    if KEPT:
        Path(KEPT).mkdir(parents=True, exist_ok=True)
        for picture in shots.iterdir():
            shutil.copy(picture, Path(KEPT) / picture.name)
