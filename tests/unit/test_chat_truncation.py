"""A JSON reply cut by max_tokens is an error that says what to do, never a parsed result."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage

from gpt4all_rag.chat_models import _complete_reply
from gpt4all_rag.errors import OutputTruncatedError


def reply(text: str, finish_reason: str) -> AIMessage:
    return AIMessage(
        content=text,
        response_metadata={"finish_reason": finish_reason},
        usage_metadata={"input_tokens": 20, "output_tokens": 12, "total_tokens": 32},
    )


def test_a_cut_reply_raises_with_the_fix() -> None:
    with pytest.raises(OutputTruncatedError) as caught:
        _complete_reply(reply('{"name": "Fair", "attendees": ["Al', "length"))
    assert "max_tokens=12" in str(caught.value) and "raise max_tokens" in str(caught.value)
    assert caught.value.text.endswith('["Al')


@pytest.mark.parametrize(
    ("text", "finish_reason"),
    [('{"name": "Fair"}', "stop"), ('{"name": "Fair"}', "length")],  # ended right at the limit
)
def test_a_complete_reply_passes(text: str, finish_reason: str) -> None:
    message = reply(text, finish_reason)
    assert _complete_reply(message) is message
