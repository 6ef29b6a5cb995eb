"""``/v1/conversations``: chats kept in SQLite in the data home, listed, reopened, exported."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
from live_app import SAMPLE_SOURCE as SOURCE
from live_app import live_app


def _turn(client: httpx.Client, conversation: str, question: str, answer: str) -> Any:
    messages = [
        {"role": "user", "content": question},
        {"role": "assistant", "content": answer, "sources": [SOURCE]},
    ]
    reply = client.post(f"/v1/conversations/{conversation}/messages", json={"messages": messages})
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_a_conversation_is_kept_across_restarts_and_exported(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with live_app(home) as app, app.client() as client:
        created = client.post(
            "/v1/conversations", json={"model": "gemma-3-270m", "collections": ["manuals"]}
        )
        assert created.status_code == 201
        conversation = created.json()["id"]
        summary = _turn(
            client, conversation, "How often must it be descaled?", "Every 42 days [1]."
        )
        assert summary["title"] == "How often must it be descaled?"
        assert summary["message_count"] == 2
        _turn(client, conversation, "And the tablets?", "Blue ones.")
    assert (home / "conversations.sqlite3").is_file()

    with live_app(home) as app, app.client() as client:  # a new server on the same data home
        listed = client.get("/v1/conversations").json()["data"]
        assert [entry["id"] for entry in listed] == [conversation]
        kept = client.get(f"/v1/conversations/{conversation}").json()
        assert [m["role"] for m in kept["messages"]] == ["user", "assistant"] * 2
        assert kept["messages"][1]["sources"][0]["quote"] == SOURCE["quote"]
        assert kept["messages"][1]["sources"][0]["page"] == 2
        assert kept["collections"] == ["manuals"] and kept["model"] == "gemma-3-270m"

        exported = client.get(f"/v1/conversations/{conversation}/export")
        assert exported.status_code == 200
        assert exported.headers["content-type"].startswith("text/markdown")
        assert "attachment" in exported.headers["content-disposition"]
        text = exported.text
        assert text.startswith("# How often must it be descaled?\n")
        assert "## You\n\nHow often must it be descaled?" in text
        assert "## Assistant\n\nEvery 42 days [1]." in text
        assert "1. `/docs/zorblax-manual.pdf`, page 2 (cited)" in text
        assert "   > The Zorblax 9000 must be descaled every 42 days." in text
        assert "collections manuals" in text

        assert client.delete(f"/v1/conversations/{conversation}").status_code == 200
        assert client.get(f"/v1/conversations/{conversation}").status_code == 404
        assert client.get("/v1/conversations").json()["data"] == []


def test_the_list_is_most_recent_first_and_titles_can_change(tmp_path: Path) -> None:
    with live_app(tmp_path / "home") as app, app.client() as client:
        first = client.post("/v1/conversations", json={}).json()["id"]
        second = client.post("/v1/conversations", json={}).json()["id"]
        _turn(client, second, "Second question", "Second answer")
        time.sleep(0.01)
        _turn(client, first, "First question " + "very long " * 20, "First answer")
        listed = client.get("/v1/conversations").json()["data"]
        assert [entry["id"] for entry in listed] == [first, second]
        assert listed[0]["title"].endswith("…") and len(listed[0]["title"]) <= 80
        renamed = client.patch(f"/v1/conversations/{second}", json={"title": "Renamed"}).json()
        assert renamed["title"] == "Renamed"
        _turn(client, second, "Another question", "Another answer")
        assert client.get(f"/v1/conversations/{second}").json()["title"] == "Renamed"


def test_errors_are_clear(tmp_path: Path) -> None:
    with live_app(tmp_path / "home") as app, app.client() as client:
        missing = client.get("/v1/conversations/conv-nope")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "conversation_not_found"
        assert client.delete("/v1/conversations/conv-nope").status_code == 404
        bad = client.post(
            "/v1/conversations/conv-nope/messages",
            json={"messages": [{"role": "system", "content": "x"}]},
        )
        assert bad.status_code == 400
        with app.client(key=None) as anonymous:
            assert anonymous.get("/v1/conversations").status_code == 401
            assert anonymous.post("/v1/conversations", json={}).status_code == 401


def test_a_long_conversation_is_saved_turn_by_turn(tmp_path: Path) -> None:
    """Each request carries one turn, so a conversation grows past the body limit (1 MiB)."""
    with live_app(tmp_path / "home") as app, app.client() as client:
        conversation = client.post("/v1/conversations", json={}).json()["id"]
        answer = "A long answer. " * 5000  # 75 kB per turn
        for number in range(16):
            _turn(client, conversation, f"Question {number}", answer)
        kept = client.get(f"/v1/conversations/{conversation}").json()
        assert kept["message_count"] == 32
        assert kept["messages"][-2]["content"] == "Question 15"
