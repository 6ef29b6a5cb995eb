"""The page's kept chats in headless Chromium: listed, reopened with their sources, exported,
deleted (the chats are stored through the API here; asking the real model is in
test_srv_page_flow.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from live_app import KEY, LiveApp, live_app
from live_app import SAMPLE_SOURCE as SOURCE

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # Chromium is a process


@pytest.fixture
def app(tmp_path: Path) -> Iterator[LiveApp]:
    with live_app(tmp_path / "home") as running, running.client() as client:
        for question, answer in (
            ("How often must the Zorblax be descaled?", "Every 42 days [1]."),
            ("What colour are the tablets?", "Blue."),
        ):
            conversation = client.post("/v1/conversations", json={}).json()["id"]
            messages = [
                {"role": "user", "content": question},
                {"role": "assistant", "content": answer, "sources": [SOURCE]},
            ]
            client.post(f"/v1/conversations/{conversation}/messages", json={"messages": messages})
        yield running


def test_kept_chats_are_listed_reopened_exported_and_deleted(
    browser: object, app: LiveApp, tmp_path: Path
) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    page = browser.new_page(viewport={"width": 1200, "height": 800}, accept_downloads=True)
    page.on("dialog", lambda dialog: dialog.accept())
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(app.url)
    page.fill("#key-input", KEY)
    page.keyboard.press("Enter")

    chats = page.locator(".chat-item")
    expect(chats).to_have_count(2)
    expect(chats.first.locator(".chat-title")).to_have_text("What colour are the tablets?")

    # Keyboard: Tab to the older chat and open it with Enter.
    older = chats.nth(1).locator(".chat-open")
    older.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".turn")).to_have_count(2)
    expect(page.locator(".turn.assistant .text")).to_have_text("Every 42 days [1].")
    expect(page.locator(".turn.assistant .where")).to_have_text("zorblax-manual.pdf:2")
    expect(page.locator(".turn.assistant mark.quote")).to_contain_text("42 days")
    expect(older).to_have_attribute("aria-current", "true")

    # It is reopened after a reload (the server keeps it; the page remembers which one).
    page.reload()
    expect(page.locator(".turn.assistant .text")).to_have_text("Every 42 days [1].")

    with page.expect_download() as download:
        chats.nth(1).locator(".chat-export").click()
    saved = tmp_path / "export.md"
    download.value.save_as(saved)
    text = saved.read_text(encoding="utf-8")
    assert text.startswith("# How often must the Zorblax be descaled?")
    assert "   > The Zorblax 9000 must be descaled every 42 days." in text

    chats.nth(1).locator(".chat-delete").click()
    expect(chats).to_have_count(1)
    expect(page.locator(".turn")).to_have_count(0)  # the open chat was the deleted one
    with app.client() as client:
        assert len(client.get("/v1/conversations").json()["data"]) == 1
    assert not errors, errors
    page.close()
