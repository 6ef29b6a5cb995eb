"""Queueing under load, and a client that leaves mid-stream freeing the model at once."""

from __future__ import annotations

import asyncio
import statistics
import threading
import time

import httpx
import openai
import pytest
from srv_helpers import API_KEY, RunningServer

pytestmark = pytest.mark.models

COUNTING = ", ".join(str(n) for n in range(1, 31)) + ","
"""A prompt the model continues for as long as it may (it keeps counting, no end of text)."""


def _cpu_used(server: RunningServer, seconds: float) -> float:
    before = server.cpu_seconds()
    time.sleep(seconds)
    return server.cpu_seconds() - before


def test_a_client_that_disconnects_mid_stream_frees_the_model(warm_server: RunningServer) -> None:
    client = warm_server.client(timeout=60)
    stream = client.completions.create(
        model="gemma-3-270m", prompt=COUNTING, max_tokens=1800, temperature=0, stream=True
    )
    pieces = []
    for chunk in stream:
        pieces.append(chunk.choices[0].text)
        if len(pieces) == 6:
            break
    assert any(piece.strip().strip(",").isdigit() for piece in pieces), pieces
    assert _cpu_used(warm_server, 1.5) > 0.2, "the server should be busy generating"
    stream.close()  # the client goes away with ~1,800 tokens (about a minute of work) to go
    deadline = time.monotonic() + 5
    while warm_server.health()["busy"]:
        assert time.monotonic() < deadline, "the model is still held 5 s after the disconnect"
        time.sleep(0.05)
    # The token being computed when the client left may finish (slow on a crowded machine);
    # after that the server is idle, minutes before the abandoned reply would have ended.
    deadline = time.monotonic() + 10
    while (used := _cpu_used(warm_server, 1.0)) > 0.15:
        assert time.monotonic() < deadline, f"still generating ({used:.2f} s CPU/s) after 10 s"
    left = time.monotonic()
    reply = client.completions.create(model="gemma-3-270m", prompt="Hello", max_tokens=2)
    assert reply.choices[0].finish_reason in ("stop", "length")
    assert time.monotonic() - left < 30  # vs minutes for the abandoned reply


def test_a_client_that_gives_up_on_a_whole_reply_frees_the_model(
    warm_server: RunningServer,
) -> None:
    with pytest.raises(httpx.ReadTimeout):  # a non-streamed reply of ~1,800 tokens
        httpx.post(
            f"{warm_server.api}/completions",
            headers={"Authorization": f"Bearer {API_KEY}"},
            json={"model": "gemma-3-270m", "prompt": COUNTING, "max_tokens": 1800},
            timeout=httpx.Timeout(10, read=3.0),
        )
    deadline = time.monotonic() + 10
    while (used := _cpu_used(warm_server, 1.0)) > 0.15:
        assert time.monotonic() < deadline, f"still generating ({used:.2f} s CPU/s) after 10 s"
    assert warm_server.health()["busy"] is False


def test_a_client_that_leaves_while_waiting_leaves_the_line(warm_server: RunningServer) -> None:
    """A queued request whose client gives up is never run."""
    before = int(warm_server.health()["served"])  # type: ignore[call-overload]
    client = warm_server.client(timeout=60)
    holder = client.completions.create(
        model="gemma-3-270m", prompt=COUNTING, max_tokens=1800, temperature=0, stream=True
    )
    next(iter(holder))  # the model is busy with this one until it is closed
    with pytest.raises(httpx.ReadTimeout):  # this one waits in line, then gives up
        httpx.post(
            f"{warm_server.api}/completions",
            headers={"Authorization": f"Bearer {API_KEY}"},
            json={"model": "gemma-3-270m", "prompt": "Hi", "max_tokens": 1},
            timeout=httpx.Timeout(10, read=1.0),
        )
    holder.close()
    deadline = time.monotonic() + 5
    while warm_server.health()["busy"] and time.monotonic() < deadline:
        time.sleep(0.1)
    health = warm_server.health()
    assert health["waiting"] == 0 and health["busy"] is False
    assert health["served"] == before + 1


async def _client_loop(
    client: openai.AsyncOpenAI, until: float, replies: list[str], failures: list[str], index: int
) -> None:
    while time.monotonic() < until:
        try:
            stream = await client.chat.completions.create(
                model="gemma-3-270m",
                messages=[{"role": "user", "content": f"Say something about the number {index}."}],
                max_tokens=12,
                stream=True,
            )
            text, finish, roles = "", None, 0
            async for chunk in stream:
                if not chunk.choices:
                    continue
                delta = chunk.choices[0].delta
                roles += delta.role == "assistant"
                text += delta.content or ""
                finish = chunk.choices[0].finish_reason or finish
            if finish not in ("stop", "length") or roles != 1:
                failures.append(f"client {index}: incomplete reply (finish={finish!r})")
            else:
                replies.append(text)
        except Exception as error:  # every failure is reported, none is retried
            failures.append(f"client {index}: {type(error).__name__}: {error}")


@pytest.mark.slow
def test_sixteen_streaming_clients_for_a_minute(warm_server: RunningServer) -> None:
    # One prompt that fills most of the context makes llama.cpp's whole KV cache resident, so
    # that what is measured below is what requests add, not pages touched for the first time.
    filler = "The quick brown fox jumps over the lazy dog. " * 170  # ~1,700 tokens
    warm_server.client(timeout=300).completions.create(model="default", prompt=filler, max_tokens=1)
    replies: list[str] = []
    failures: list[str] = []
    samples: list[tuple[float, int]] = []
    started = time.monotonic()
    stop_sampling = threading.Event()

    def sample() -> None:
        while not stop_sampling.is_set():
            samples.append((time.monotonic() - started, warm_server.rss_bytes()))
            stop_sampling.wait(0.5)

    sampler = threading.Thread(target=sample)
    sampler.start()

    async def run() -> None:
        client = warm_server.async_client(timeout=300)
        until = time.monotonic() + 60
        await asyncio.gather(
            *(_client_loop(client, until, replies, failures, index) for index in range(16))
        )
        await client.close()

    try:
        asyncio.run(run())
    finally:
        stop_sampling.set()
        sampler.join()
    assert not failures, failures[:5]
    assert len(replies) >= 16, f"only {len(replies)} replies in a minute"
    assert warm_server.health()["busy"] is False
    early = [rss for at, rss in samples if 10 <= at < 25]
    late = [rss for at, rss in samples if at >= 45]
    growth = statistics.median(late) - statistics.median(early)
    print(
        f"{len(replies)} replies, RSS {statistics.median(early) / 2**20:.0f} MB -> "
        f"{statistics.median(late) / 2**20:.0f} MB, peak {max(r for _, r in samples) / 2**20:.0f} MB"
    )
    assert growth < 25 * 2**20, f"RSS grew by {growth / 2**20:.0f} MB under load"
