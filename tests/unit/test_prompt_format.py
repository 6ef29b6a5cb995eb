"""Prompt formats and stop-sequence handling, without a model."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gpt4all_rag.llama.prompt_formats import CompletionFormat, merge_alternating
from gpt4all_rag.llama.runtime import _StopMatcher


def test_completion_format_is_a_question_answer_transcript() -> None:
    rendered = CompletionFormat().render(
        [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Capital of Italy?"},
            {"role": "assistant", "content": "Rome"},
            {"role": "user", "content": "Capital of France?"},
        ]
    )
    assert rendered.text == (
        "Be brief.\n\nQuestion: Capital of Italy?\nAnswer: Rome\n\nQuestion: Capital of France?\nAnswer:"
    )
    assert "\n\n" in rendered.stop


def test_a_ready_completion_prompt_is_kept_as_it_is() -> None:
    prompt = "Context: the sky is blue.\n\nQuestion: What colour is the sky?\nAnswer:"
    assert CompletionFormat().render([{"role": "user", "content": prompt}]).text == prompt


def test_merge_alternating_joins_same_role_turns() -> None:
    merged = merge_alternating(
        [
            {"role": "user", "content": "a"},
            {"role": "user", "content": "b"},
            {"role": "assistant", "content": "c"},
        ]
    )
    assert merged == [{"role": "user", "content": "a\n\nb"}, {"role": "assistant", "content": "c"}]


@given(
    pieces=st.lists(st.text(alphabet="ab\nXY", max_size=4), max_size=20),
    stops=st.lists(st.text(alphabet="ab\nX", min_size=1, max_size=3), max_size=3),
)
def test_stop_matcher_emits_exactly_the_text_before_the_first_stop(
    pieces: list[str], stops: list[str]
) -> None:
    matcher = _StopMatcher(stops)
    emitted = []
    stopped = False
    for piece in pieces:
        text, stopped = matcher.feed(piece)
        emitted.append(text)
        if stopped:
            break
    if not stopped:
        emitted.append(matcher.flush())
    full = "".join(pieces)
    positions = [full.find(stop) for stop in stops if stop in full]
    # Text that contains a stop is cut before its earliest occurrence in the stream.
    expected = full[: min(positions)] if positions else full
    assert "".join(emitted) == expected
