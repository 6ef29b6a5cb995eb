"""Every public class refuses an unknown keyword, naming it and the nearest valid one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gpt4all_rag import (
    ChatGPT4All,
    GPT4All,
    GPT4AllEmbeddings,
    HybridRetriever,
    LocalDocs,
)
from gpt4all_rag.strict_keywords import nearest, reject_unknown

CASES: list[tuple[str, Callable[[], Any], str, str]] = [
    ("ChatGPT4All", lambda: ChatGPT4All(temprature=0.5, max_tokens=3), "temprature", "temperature"),  # type: ignore[call-arg]
    ("ChatGPT4All", lambda: ChatGPT4All(temperature=0.5, max_tokns=3), "max_tokns", "max_tokens"),  # type: ignore[call-arg]
    ("GPT4All", lambda: GPT4All(n_thread=2), "n_thread", "n_threads"),  # type: ignore[call-arg]
    ("GPT4AllEmbeddings", lambda: GPT4AllEmbeddings(bakend="onnx"), "bakend", "backend"),  # type: ignore[call-arg]
    ("LocalDocs", lambda: LocalDocs("notes", chroma_ulr="http://x"), "chroma_ulr", "chroma_url"),
    (
        "HybridRetriever",
        lambda: HybridRetriever(collections=[LocalDocs("notes")], use_mmmr=True),  # type: ignore[call-arg]
        "use_mmmr",
        "use_mmr",
    ),
    (
        "ChatGPT4All call",
        lambda: ChatGPT4All.model_construct().sampling_params(None, temprature=0),
        "temprature",
        "temperature",
    ),
    (
        "GPT4All call",
        lambda: GPT4All.model_construct().sampling_params(None, max_tokns=3),
        "max_tokns",
        "max_tokens",
    ),
    (
        "LocalDocs.index",
        lambda: LocalDocs("notes").index([], exlude=["drafts"]),
        "exlude",
        "exclude",
    ),
    (
        "HybridRetriever call",
        lambda: HybridRetriever(collections=[LocalDocs("notes")]).invoke("q", kk=3),
        "kk",
        "k",
    ),
]


@pytest.mark.parametrize(("owner", "make", "bad", "good"), CASES)
def test_unknown_keyword_names_the_bad_key_and_the_nearest(
    owner: str, make: Callable[[], Any], bad: str, good: str, tmp_home: object
) -> None:
    with pytest.raises(TypeError) as raised:
        make()
    message = str(raised.value)
    assert message.startswith(f"{owner} got an unknown keyword {bad!r}.")
    assert f"Did you mean {good!r}?" in message


def test_nothing_close_gives_no_guess() -> None:
    assert nearest("zzzzzz", ["temperature", "top_p"]) is None
    with pytest.raises(TypeError, match=r"'zzzzzz'\. Valid: temperature, top_p\.$"):
        reject_unknown("X", ["zzzzzz"], ["top_p", "temperature"])


def test_known_keywords_pass() -> None:
    reject_unknown("X", ["top_p"], ["top_p", "temperature"])
