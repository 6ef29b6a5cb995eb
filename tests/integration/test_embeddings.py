"""GPT4AllEmbeddings on the real bundled model: torch, ONNX, and a GGUF model through llama.cpp."""

from __future__ import annotations

import asyncio
import importlib.util
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from langchain_core.documents import Document
from langchain_tests.integration_tests import EmbeddingsIntegrationTests

from gpt4all_rag import embeddings as embeddings_module
from gpt4all_rag.config import get_settings
from gpt4all_rag.embeddings import GPT4AllEmbeddings
from gpt4all_rag.localdocs.splitting import split_documents

pytestmark = pytest.mark.models

TEXTS = [
    "The cat sits on the mat.",
    "A cat is sitting on a mat.",
    "Stock markets fell sharply today after the announcement.",
    "短い日本語の文です。",
    "这是一个中文句子，用来测试嵌入模型。",
    "word " * 600,  # longer than the model's 256-token window: truncated, not an error
    "",
]


class TestGPT4AllEmbeddingsStandard(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[GPT4AllEmbeddings]:
        return GPT4AllEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, object]:
        return {}


class TestGPT4AllEmbeddingsOnnxStandard(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[GPT4AllEmbeddings]:
        return GPT4AllEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, object]:
        return {"backend": "onnx"}


@pytest.fixture(scope="module")
def torch_model() -> GPT4AllEmbeddings:
    return GPT4AllEmbeddings()


@pytest.fixture(scope="module")
def onnx_model() -> GPT4AllEmbeddings:
    return GPT4AllEmbeddings(backend="onnx")


def as_array(vectors: list[list[float]]) -> np.ndarray:
    return np.asarray(vectors, dtype=np.float64)


def test_vectors_are_normalized_and_meaningful(torch_model: GPT4AllEmbeddings) -> None:
    vectors = as_array(torch_model.embed_documents(TEXTS))
    assert vectors.shape == (len(TEXTS), 384)
    assert torch_model.dimension == 384
    assert torch_model.model_id == "all-MiniLM-L6-v2:384"
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similar, unrelated = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert similar > 0.8 > 0.3 > unrelated


def test_the_same_vectors_as_sentence_transformers(torch_model: GPT4AllEmbeddings) -> None:
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(torch_model.model_ref.path), device="cpu")
    expected = reference.encode(TEXTS, normalize_embeddings=True)
    np.testing.assert_allclose(as_array(torch_model.embed_documents(TEXTS)), expected, atol=1e-5)


def test_onnx_gives_the_torch_vectors(
    torch_model: GPT4AllEmbeddings, onnx_model: GPT4AllEmbeddings
) -> None:
    expected = as_array(torch_model.embed_documents(TEXTS))
    np.testing.assert_allclose(as_array(onnx_model.embed_documents(TEXTS)), expected, atol=1e-4)
    assert onnx_model.model_id == torch_model.model_id  # the same vectors: the same collection
    assert onnx_model.max_tokens == 256


def real_chunks() -> list[str]:
    """About 60 chunks of English prose: docstrings of the standard library, cut by our
    splitter (the same texts on every machine)."""
    import inspect
    import json
    import pathlib

    text = "\n\n".join(
        doc
        for module in (json, pathlib, inspect)
        for _, member in inspect.getmembers(module)
        if (doc := inspect.getdoc(member)) and len(doc) > 200
    )
    chunks = split_documents([Document(page_content=text)], GPT4AllEmbeddings())
    return [chunk.page_content for chunk in chunks][:60]


@pytest.mark.slow
def test_the_default_8bit_vectors_stay_close_to_float32(onnx_model: GPT4AllEmbeddings) -> None:
    texts = real_chunks()
    assert len(texts) == 60
    reference = as_array(onnx_model.embed_documents(texts))
    current = GPT4AllEmbeddings(backend="onnx-int8")
    first = GPT4AllEmbeddings(backend="onnx-int8-v1")
    cosines = {}
    for model in (current, first):
        vectors = as_array(model.embed_documents(texts))
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
        cosines[model.backend] = (vectors * reference).sum(axis=1)
    assert cosines["onnx-int8"].min() > 0.98 and cosines["onnx-int8"].mean() > 0.99
    # The current recipe (first two feed-forward outputs in float32) is closer than the first.
    assert cosines["onnx-int8"].mean() > cosines["onnx-int8-v1"].mean()
    # Each recipe records its own model id and keeps its own graph in the data home.
    assert current.model_id == "all-MiniLM-L6-v2:384:int8v2"
    assert first.model_id == "all-MiniLM-L6-v2:384:int8"
    home = get_settings().home / "embeddings" / "onnx"
    assert len(list(home.glob("*/model.int8v2.onnx"))) == len(list(home.glob("*/model.int8.onnx")))
    assert len(list(home.glob("*/model.int8v2.onnx"))) == 1


def test_8bit_vectors_keep_meaning(onnx_model: GPT4AllEmbeddings) -> None:
    vectors = as_array(GPT4AllEmbeddings(backend="onnx-int8").embed_documents(TEXTS[:5]))
    expected = as_array(onnx_model.embed_documents(TEXTS[:5]))
    assert (vectors * expected).sum(axis=1).min() > 0.97
    assert vectors[0] @ vectors[1] > 0.8 > 0.3 > vectors[0] @ vectors[2]


def test_the_onnx_export_is_cached_in_the_data_home(onnx_model: GPT4AllEmbeddings) -> None:
    onnx_model.embed_query("load")
    exported = list((get_settings().home / "embeddings" / "onnx").glob("*/model.onnx"))  # fp32
    assert len(exported) == 1 and exported[0].stat().st_size > 10_000_000
    assert not list(onnx_model.model_ref.path.rglob("*.onnx"))  # nothing in site-packages


@pytest.mark.parametrize("backend", ["torch", "onnx"])
def test_batching_and_length_sorting_keep_the_order(backend: str) -> None:
    model = GPT4AllEmbeddings(backend=backend, batch_size=2)  # type: ignore[arg-type]
    texts = [f"{'long ' * (i * 37 % 50)}text number {i}" for i in range(9)]
    batched = as_array(model.embed_documents(texts))
    one_by_one = as_array([model.embed_query(text) for text in texts])
    np.testing.assert_allclose(batched, one_by_one, atol=1e-5)


def test_instances_share_one_loaded_model(torch_model: GPT4AllEmbeddings) -> None:
    torch_model.embed_query("load")
    other = GPT4AllEmbeddings(batch_size=8, normalize=False)
    other.embed_query("load")
    assert len([key for key in embeddings_module._ENCODERS if key[1] == "torch"]) == 1


@pytest.mark.parametrize("backend", ["torch", "onnx"])
def test_threads_embedding_at_once_get_the_right_vectors(backend: str) -> None:
    model = GPT4AllEmbeddings(backend=backend)  # type: ignore[arg-type]
    texts = [f"Thread test sentence number {i} about topic {i % 3}." for i in range(16)]
    expected = as_array(model.embed_documents(texts))
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda i: model.embed_query(texts[i]), range(16)))
    np.testing.assert_allclose(as_array(results), expected, atol=1e-5)


async def test_async_embedding_lets_other_coroutines_run(torch_model: GPT4AllEmbeddings) -> None:
    torch_model.embed_query("load")
    texts = [f"A longer sentence number {i} " * 12 for i in range(96)]
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    started = time.perf_counter()
    vectors = await torch_model.aembed_documents(texts)
    elapsed = time.perf_counter() - started
    task.cancel()
    assert len(vectors) == 96
    assert elapsed > 0.1
    assert ticks >= elapsed / 0.01 / 4  # the loop kept ticking while the model ran


def test_split_chunks_are_never_truncated(torch_model: GPT4AllEmbeddings) -> None:
    text = "\n\n".join(
        f"Paragraph {i}. " + "Embedding models read a limited number of word pieces. " * (i % 12)
        for i in range(40)
    )
    chunks = list(split_documents([Document(page_content=text)], torch_model))
    assert all(torch_model.count_tokens(chunk.page_content) <= 202 for chunk in chunks)
    vectors = torch_model.embed_documents([chunk.page_content for chunk in chunks])
    assert len(vectors) == len(chunks)


@pytest.fixture(scope="module")
def gguf_model() -> GPT4AllEmbeddings:
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed")
    from gpt4all_rag.llama.catalog import bundled_model_path

    # No small GGUF embedding model ships with the project: the bundled chat model (a GGUF)
    # exercises the same llama.cpp embedding path; its vectors are not meant for retrieval.
    return GPT4AllEmbeddings(model_name=str(bundled_model_path()), batch_size=2)


def test_a_gguf_model_embeds_through_llama_cpp(gguf_model: GPT4AllEmbeddings) -> None:
    texts = ["The cat sits on the mat.", "Stock markets fell.", "猫がいます。"]
    vectors = as_array(gguf_model.embed_documents(texts))
    assert vectors.shape == (3, gguf_model.dimension) and gguf_model.dimension == 640
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(
        as_array([gguf_model.embed_query(texts[1])])[0], vectors[1], atol=1e-4
    )
    assert gguf_model.model_id == f"{Path(gguf_model.model_name).name}:640"
    assert gguf_model.max_tokens == 2048
    assert 3 <= gguf_model.count_tokens("Hello world") <= 4
    assert gguf_model.token_offsets("Hello world") is None  # the splitter's generic path
    chunks = list(split_documents([Document(page_content="Hello world. " * 400)], gguf_model))
    assert len(chunks) > 1
    assert all(gguf_model.count_tokens(chunk.page_content) <= 201 for chunk in chunks)
