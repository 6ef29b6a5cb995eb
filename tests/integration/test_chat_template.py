"""A GGUF that ships a chat template: the template is applied, with the file's own special tokens.

The bundled model has no template, so the test writes a copy of it whose header carries Gemma 3's
instruction-tuned template; llama.cpp loads and runs the copy for real.
"""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from gpt4all_rag import ChatGPT4All
from gpt4all_rag.llama.catalog import bundled_model_path, read_spec
from gpt4all_rag.llama.gguf_header import _read_string, _read_value, _unpack

pytestmark = pytest.mark.models

GEMMA3_TEMPLATE = (
    "{{ bos_token }}{%- if messages[0]['role'] == 'system' -%}"
    "{%- set first_user_prefix = messages[0]['content'] + '\n\n' -%}"
    "{%- set loop_messages = messages[1:] -%}{%- else -%}{%- set first_user_prefix = '' -%}"
    "{%- set loop_messages = messages -%}{%- endif -%}{%- for message in loop_messages -%}"
    "{%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
    "{%- endif -%}{%- if (message['role'] == 'assistant') -%}{%- set role = 'model' -%}"
    "{%- else -%}{%- set role = message['role'] -%}{%- endif -%}"
    "{{ '<start_of_turn>' + role + '\n' + (first_user_prefix if loop.first else '') }}"
    "{{ message['content'] | trim }}{{ '<end_of_turn>\n' }}{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<start_of_turn>model\n' }}{%- endif -%}"
)


def _gguf_string(text: str) -> bytes:
    raw = text.encode("utf-8")
    return struct.pack("<Q", len(raw)) + raw


def write_with_chat_template(source: Path, target: Path, template: str) -> None:
    """Copy a GGUF v3 file, adding ``tokenizer.chat_template`` to its metadata."""
    with source.open("rb") as stream:
        stream.read(4)
        version = _unpack(stream, "<I")
        tensor_count = _unpack(stream, "<Q")
        kv_count = _unpack(stream, "<Q")
        for _ in range(kv_count):
            _read_string(stream, "<Q")
            _read_value(stream, _unpack(stream, "<I"), "<Q")
        kv_end = stream.tell()
        for _ in range(tensor_count):
            _read_string(stream, "<Q")
            dims = _unpack(stream, "<I")
            stream.seek(8 * dims + 4 + 8, 1)
        infos_end = stream.tell()
        data_start = -(-infos_end // 32) * 32
        stream.seek(24)
        metadata = stream.read(kv_end - 24)
        tensor_infos = stream.read(infos_end - kv_end)
        new_kv = (
            _gguf_string("tokenizer.chat_template") + struct.pack("<I", 8) + _gguf_string(template)
        )
        header = b"GGUF" + struct.pack("<IQQ", version, tensor_count, kv_count + 1)
        header += metadata + new_kv + tensor_infos
        header += b"\0" * (-len(header) % 32)
        with target.open("wb") as out:
            out.write(header)
            stream.seek(data_start)
            shutil.copyfileobj(stream, out, 16 * 1024 * 1024)


@pytest.fixture(scope="module")
def templated_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("models") / "gemma-3-270m-templated.gguf"
    write_with_chat_template(bundled_model_path(), target, GEMMA3_TEMPLATE)
    return target


def test_the_header_reports_the_template(templated_model: Path) -> None:
    spec = read_spec(templated_model)
    assert spec.has_chat_template
    assert spec.chat_template == GEMMA3_TEMPLATE


def test_chat_template_renders_and_runs(templated_model: Path) -> None:
    llm = ChatGPT4All(model=str(templated_model), temperature=0, max_tokens=16)
    assert llm.format.name == "chat_template"
    messages = [
        SystemMessage("Be brief."),
        HumanMessage("Hi"),
        HumanMessage("What is the capital of France?"),  # merged: the template demands alternation
        AIMessage("Paris"),
        HumanMessage("And of Italy?"),
    ]
    rendered = llm.format.render(
        [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
            {"role": "user", "content": "What is the capital of France?"},
            {"role": "assistant", "content": "Paris"},
            {"role": "user", "content": "And of Italy?"},
        ]
    )
    assert rendered.text.startswith("<bos><start_of_turn>user\nBe brief.\n\nHi\n\nWhat is")
    assert "<start_of_turn>model\nParis<end_of_turn>" in rendered.text
    assert rendered.text.endswith("<start_of_turn>model\n")
    assert not rendered.add_bos, "the template wrote BOS itself: it must not be added twice"
    reply = llm.invoke(messages)
    assert reply.usage_metadata is not None
    assert reply.usage_metadata["input_tokens"] == llm.get_num_tokens_from_messages(messages)
    assert reply.response_metadata["finish_reason"] in {"stop", "length"}


def test_forcing_a_template_on_a_base_model_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no chat template"):
        ChatGPT4All(prompt_format="chat_template")
