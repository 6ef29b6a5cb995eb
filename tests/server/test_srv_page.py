"""The web chat page in headless Chromium (Debian's package), driven by Playwright."""

from __future__ import annotations

import os

import pytest
from srv_helpers import API_KEY, COLLECTION, RunningServer

pytestmark = [pytest.mark.browser, pytest.mark.models]

SCREENSHOT = os.environ.get("GPT4ALL_RAG_PAGE_SCREENSHOT")
"""Set to a .png path to keep a screenshot of the page after the answer."""


def test_ask_a_collection_and_see_the_streamed_answer_and_its_source(
    browser: object, warm_server: RunningServer
) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url) if not request.url.startswith(warm_server.url) else None
        ),
    )
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(warm_server.url)

    # The server wants a key: the page asks for it, then lists models and collections.
    expect(page.locator("#key-dialog")).to_be_visible()
    page.fill("#key-input", API_KEY)
    page.click("#key-save")
    expect(page.locator("#model option")).to_have_count(1)
    assert page.input_value("#model") == "gemma-3-270m"
    collection = page.locator(f'#collections input[value="{COLLECTION}"]')
    expect(collection).to_have_count(1)
    collection.check()

    # Watch the answer grow: it must be seen part-way (streamed), not only at the end.
    page.evaluate(
        """() => {
            window.__lengths = [];
            new MutationObserver(() => {
                const text = document.querySelector('.turn.assistant.streaming .text');
                if (text) window.__lengths.push(text.textContent.length);
            }).observe(document.getElementById('messages'),
                       {subtree: true, childList: true, characterData: true});
        }"""
    )
    page.fill("#question", "How often must the Zorblax 9000 be descaled?")
    page.keyboard.press("Enter")
    expect(page.locator(".turn.user .text")).to_have_text(
        "How often must the Zorblax 9000 be descaled?"
    )
    answer = page.locator(".turn.assistant").last
    expect(answer.locator(".source").first).to_be_visible(timeout=120_000)
    expect(answer).not_to_have_class("streaming")
    assert "42" in answer.locator(".text").inner_text()
    lengths = [n for n in page.evaluate("window.__lengths") if n > 0]
    assert len(set(lengths)) >= 2, f"the answer did not stream: {lengths}"

    # The source reads file:page; a cited source is open on the quote the answer rests on,
    # highlighted; clicking closes it.
    first_source = answer.locator(".source").first
    expect(first_source.locator(".where")).to_have_text("zorblax-manual.pdf:2")
    expect(first_source.locator("mark.quote")).to_be_visible()
    expect(first_source.locator("mark.quote")).to_contain_text("42 days")
    first_source.locator("summary").click()
    expect(first_source.locator(".snippet")).not_to_be_visible()

    # The conversation, the key and the ticked collection survive a reload.
    page.reload()
    expect(page.locator("#model option")).to_have_count(1)
    expect(page.locator(f'#collections input[value="{COLLECTION}"]')).to_be_checked()
    expect(page.locator(".turn")).to_have_count(2)
    expect(page.locator(".turn.assistant .where").first).to_have_text("zorblax-manual.pdf:2")
    if SCREENSHOT:
        page.locator(".turn.assistant .source summary").first.click()
        page.screenshot(path=SCREENSHOT, full_page=True)

    assert not errors, errors
    assert not outside, f"the page reached outside the server: {outside}"
    page.close()
