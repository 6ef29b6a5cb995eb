"""Turning chat messages into one prompt string: the GGUF's own template, or completion style.

Base models (no chat template in the GGUF, such as the bundled Gemma 3 270M) answer nothing
useful to a chat-formatted prompt, but they continue a document well. Their messages are laid out
as a transcript that ends with an open ``Answer:`` line::

    <system text>

    Question: <user text>
    Answer: <assistant text>

    Question: <user text>
    Answer:

and generation stops at a blank line or the next ``Question:``. A user message that is already a
completion prompt (it ends with ``Answer:``) is used as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypedDict

Role = Literal["system", "user", "assistant"]


class ChatTurn(TypedDict):
    """One message: the three roles every template understands."""

    role: Role
    content: str


@dataclass(frozen=True)
class RenderedPrompt:
    """A prompt string, whether BOS must still be added, and format-specific stop sequences."""

    text: str
    add_bos: bool
    stop: tuple[str, ...]


class PromptFormat(Protocol):
    """Renders chat turns into a prompt."""

    name: str

    def render(self, turns: Sequence[ChatTurn]) -> RenderedPrompt:
        """The prompt for ``turns``, ready for the assistant's reply."""
        ...


class CompletionFormat:
    """Question/Answer transcript for template-less base models (see the module docstring)."""

    name = "completion"
    stop = ("\n\n", "\nQuestion:")

    def render(self, turns: Sequence[ChatTurn]) -> RenderedPrompt:
        """Lay out ``turns`` as a transcript ending in an open answer."""
        parts: list[str] = []
        for turn in turns:
            content = turn["content"].strip()
            if turn["role"] == "system":
                parts.append(content + "\n\n")
            elif turn["role"] == "user":
                parts.append(
                    content if _is_completion_prompt(content) else f"Question: {content}\nAnswer:"
                )
            else:
                parts.append(f" {content}\n\n")
        if not turns or turns[-1]["role"] == "assistant":
            parts.append("Question:\nAnswer:")
        return RenderedPrompt("".join(parts), add_bos=True, stop=self.stop)


def _is_completion_prompt(content: str) -> bool:
    return content.rstrip().endswith("Answer:")


class ChatTemplateFormat:
    """The Jinja chat template shipped in the GGUF file."""

    name = "chat_template"

    def __init__(self, template: str, bos_token: str, eos_token: str) -> None:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        self._formatter = Jinja2ChatFormatter(
            template=template, eos_token=eos_token, bos_token=bos_token, add_generation_prompt=True
        )
        self._eos_token = eos_token

    def render(self, turns: Sequence[ChatTurn]) -> RenderedPrompt:
        """Apply the template to ``turns`` (merged so that roles alternate)."""
        messages: list[Any] = [dict(turn) for turn in merge_alternating(turns)]
        result = self._formatter(messages=messages)
        stop = (
            tuple(result.stop)
            if isinstance(result.stop, list)
            else ((result.stop,) if result.stop else ())
        )
        return RenderedPrompt(result.prompt, add_bos=not result.added_special, stop=stop)


def merge_alternating(turns: Sequence[ChatTurn]) -> list[ChatTurn]:
    """Join consecutive turns of the same role: many templates reject two user turns in a row."""
    merged: list[ChatTurn] = []
    for turn in turns:
        if merged and merged[-1]["role"] == turn["role"]:
            merged[-1] = {
                "role": turn["role"],
                "content": merged[-1]["content"] + "\n\n" + turn["content"],
            }
        else:
            merged.append({"role": turn["role"], "content": turn["content"]})
    return merged
