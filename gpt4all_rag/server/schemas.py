"""OpenAI request and response bodies, plus the LocalDocs extension fields.

Requests ignore fields they do not know (clients send many); responses are what the official
``openai`` client parses.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt


class _Request(BaseModel):
    model_config = ConfigDict(extra="ignore")


class TextPart(_Request):
    """A text part of a message's content."""

    type: Literal["text"]
    text: str


class FunctionCall(BaseModel):
    """A function a tool call names, with JSON-encoded arguments."""

    name: str
    arguments: str


class ToolCall(BaseModel):
    """One tool call made by the assistant."""

    id: str
    type: Literal["function"] = "function"
    function: FunctionCall


class ChatMessage(_Request):
    """One message of the conversation."""

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[TextPart] | None = None
    name: str | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None

    def text(self) -> str:
        """The content as one string."""
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text for part in self.content)


class ResponseFormat(_Request):
    """``{"type": "text" | "json_object" | "json_schema", "json_schema": {...}}``."""

    type: Literal["text", "json_object", "json_schema"]
    json_schema: dict[str, Any] | None = None


class StreamOptions(_Request):
    """Streaming options."""

    include_usage: bool = False


class _Sampling(_Request):
    model: str = Field(min_length=1, max_length=512)
    """A model id from ``GET /v1/models``."""
    # Strict numbers: JSON true/false are refused, not taken as 1 and 0.
    max_tokens: StrictInt | None = Field(default=None, ge=1)
    temperature: StrictFloat | None = Field(default=None, ge=0, le=2)
    top_p: StrictFloat | None = Field(default=None, ge=0, le=1)
    seed: StrictInt | None = None
    stop: str | list[str] | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    n: StrictInt = Field(default=1, ge=1, le=1)

    def stop_list(self) -> list[str] | None:
        """Stop sequences as a list (None: the model's own)."""
        if self.stop is None:
            return None
        stops = [self.stop] if isinstance(self.stop, str) else self.stop
        if len(stops) > 16:
            from gpt4all_rag.server.http_errors import APIError

            raise APIError(400, "At most 16 stop sequences", param="stop")
        return stops

    def include_usage(self) -> bool:
        """Whether a streamed reply ends with a usage chunk."""
        return bool(self.stream and self.stream_options and self.stream_options.include_usage)


class ChatCompletionRequest(_Sampling):
    """``POST /v1/chat/completions``."""

    messages: list[ChatMessage] = Field(min_length=1)
    max_completion_tokens: StrictInt | None = Field(default=None, ge=1)
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None
    collections: list[str] | None = Field(default=None, max_length=32)
    """LocalDocs extension: answer from these collections, with cited sources."""

    def wanted_tokens(self) -> int | None:
        """``max_completion_tokens``, else ``max_tokens``."""
        return self.max_completion_tokens or self.max_tokens


class CompletionRequest(_Sampling):
    """``POST /v1/completions``."""

    prompt: str | list[str]
    echo: bool = False
    suffix: str | None = None


class EmbeddingRequest(_Request):
    """``POST /v1/embeddings``."""

    model: str = Field(min_length=1, max_length=512)
    input: str | list[str] | list[int] | list[list[int]]
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: StrictInt | None = Field(default=None, ge=1)


# --- responses ---------------------------------------------------------------------------------


class Usage(BaseModel):
    """Token counts."""

    prompt_tokens: int
    completion_tokens: int = 0
    total_tokens: int


class SourceOut(BaseModel):
    """One retrieved passage behind a LocalDocs answer."""

    source: str
    """Path of the file."""
    page: int | None
    """1-based page for paged formats (PDF), else None."""
    snippet: str
    """The passage text."""
    score: float
    """Relevance; higher is better."""
    cited: bool
    """Whether the answer cites it."""
    quote: str | None = None
    """The sentence of this passage that supports the answer (shown highlighted), or None."""


class AssistantMessage(BaseModel):
    """The reply."""

    role: Literal["assistant"] = "assistant"
    content: str | None
    tool_calls: list[ToolCall] | None = None


class ChatChoice(BaseModel):
    """The one choice of a chat completion."""

    index: int = 0
    message: AssistantMessage
    finish_reason: str
    logprobs: None = None


class ChatCompletion(BaseModel):
    """A whole chat completion; ``sources`` only for LocalDocs requests."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatChoice]
    usage: Usage | None = None
    sources: list[SourceOut] | None = None


class CompletionChoice(BaseModel):
    """The one choice of a text completion."""

    index: int = 0
    text: str
    finish_reason: str
    logprobs: None = None


class Completion(BaseModel):
    """A whole text completion."""

    id: str
    object: Literal["text_completion"] = "text_completion"
    created: int
    model: str
    choices: list[CompletionChoice]
    usage: Usage


class EmbeddingItem(BaseModel):
    """One vector: floats, or base64 of little-endian float32."""

    object: Literal["embedding"] = "embedding"
    index: int
    embedding: list[float] | str


class EmbeddingList(BaseModel):
    """``POST /v1/embeddings`` reply."""

    object: Literal["list"] = "list"
    data: list[EmbeddingItem]
    model: str
    usage: Usage


class ModelCard(BaseModel):
    """One model; ``type`` tells chat models from embedding models."""

    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "gpt4all-rag"
    type: Literal["chat", "embedding"]
    context_length: int | None = None
    chat_template: bool | None = None


class ModelList(BaseModel):
    """``GET /v1/models`` reply."""

    object: Literal["list"] = "list"
    data: list[ModelCard]
