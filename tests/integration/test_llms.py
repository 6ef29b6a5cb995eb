"""GPT4All, the completion model, on the real bundled model."""

from __future__ import annotations

import pytest

from gpt4all_rag import GPT4All

pytestmark = pytest.mark.models

PROMPT = "Question: What is the capital of France?\nAnswer:"


@pytest.fixture(scope="module")
def llm() -> GPT4All:
    return GPT4All(temperature=0, max_tokens=16, stop=["\n"])


def test_invoke_completes_the_prompt_as_it_is(llm: GPT4All) -> None:
    assert "paris" in llm.invoke(PROMPT).lower()


def test_generation_info_has_usage_and_finish_reason(llm: GPT4All) -> None:
    result = llm.generate([PROMPT])
    info = result.generations[0][0].generation_info or {}
    assert info["finish_reason"] == "stop"
    assert info["usage"]["prompt_tokens"] == llm.get_num_tokens(PROMPT) + 1  # + BOS
    assert info["usage"]["completion_tokens"] >= 1


def test_stream_yields_the_same_text_as_invoke(llm: GPT4All) -> None:
    assert "".join(llm.stream(PROMPT)) == llm.invoke(PROMPT)


async def test_async_matches_sync(llm: GPT4All) -> None:
    assert await llm.ainvoke(PROMPT) == llm.invoke(PROMPT)
    assert "".join([text async for text in llm.astream(PROMPT)]) == llm.invoke(PROMPT)


def test_batch_answers_each_prompt(llm: GPT4All) -> None:
    prompts = [PROMPT, "Question: Name a colour of the sky.\nAnswer:"]
    answers = llm.batch(prompts)
    assert "paris" in answers[0].lower()
    assert "blue" in answers[1].lower()


@pytest.mark.parametrize("show_all", [False, True])
def test_llama_cpp_warnings_stay_off_the_terminal(show_all: bool) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "GPT4ALL_RAG_LLAMA_LOGS": "1" if show_all else "0"}
    code = "from gpt4all_rag import GPT4All; print(GPT4All(max_tokens=2).invoke('Hi'))"
    run = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip()
    assert ("llama" in run.stderr) is show_all, run.stderr[-2000:]
