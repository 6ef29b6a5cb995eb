"""The child side of ``gpt4all-rag doctor``: one live check per process.

Run as ``python -m gpt4all_rag.diagnostics.live_checks NAME``; prints one JSON object on the last
line of stdout (what the check saw) and exits 0, or exits non-zero with the error on stderr. A
check that crashes llama.cpp kills only this process.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

GENERATED_TOKENS = 8
"""Tokens the generation check asks of the chat model."""


def system_info() -> dict[str, Any]:
    """Import llama.cpp and read its build's feature line."""
    from gpt4all_rag.config import get_settings
    from gpt4all_rag.llama.cpu_support import llama_system_info, use_extra_buffer_types

    info = llama_system_info()
    extra = use_extra_buffer_types(get_settings().llama_extra_buffers, info)
    return {"system_info": info, "extra_buffer_types": extra}


def generate() -> dict[str, Any]:
    """Load the configured chat model and generate a few tokens greedily."""
    from gpt4all_rag.llama.catalog import resolve_model
    from gpt4all_rag.llama.runtime import Finished, SamplingParams, load_model

    spec = resolve_model(None)
    started = time.perf_counter()
    loaded = load_model(spec, n_ctx=512)
    params = SamplingParams(temperature=0.0, max_tokens=GENERATED_TOKENS, seed=0)
    pieces: list[str] = []
    finished: Finished | None = None
    for event in loaded.generate(loaded.tokenize("The capital of France is"), params):
        if isinstance(event, Finished):
            finished = event
        else:
            pieces.append(event)
    tokens = finished.completion_tokens if finished else 0
    if tokens == 0:
        raise RuntimeError("the model generated no token")
    return {
        "model": str(spec.path),
        "text": "".join(pieces),
        "tokens": tokens,
        "seconds": round(time.perf_counter() - started, 2),
    }


def embed() -> dict[str, Any]:
    """Embed one sentence with the configured embedding model."""
    from gpt4all_rag.embeddings import GPT4AllEmbeddings

    started = time.perf_counter()
    embeddings = GPT4AllEmbeddings()
    vector = embeddings.embed_query("Chat with your own files on your own CPU.")
    return {
        "model": embeddings.model_id,
        "dimension": len(vector),
        "seconds": round(time.perf_counter() - started, 2),
    }


def chroma() -> dict[str, Any]:
    """Open Chroma (the configured server, else an embedded store in a scratch folder), then
    add and query one vector."""
    import numpy as np

    from gpt4all_rag.config import get_settings
    from gpt4all_rag.localdocs.layout import Layout
    from gpt4all_rag.localdocs.store import make_client

    url = get_settings().chroma_url
    with tempfile.TemporaryDirectory(prefix="gpt4all-rag-doctor-") as scratch:
        root = Path(scratch)
        client = make_client(Layout(root, None if url else root / "chroma", url))
        name = f"doctor-check-{int(time.time() * 1000)}"
        collection = client.create_collection(name, embedding_function=None)
        try:
            vectors = np.array([[1.0, 0.0]], dtype=np.float32)
            collection.add(ids=["a"], embeddings=vectors, documents=["check"])
            found = collection.query(query_embeddings=vectors, n_results=1)["ids"][0]
        finally:
            client.delete_collection(name)
    if found != ["a"]:
        raise RuntimeError(f"Chroma returned {found} for the vector just added")
    return {"store": url or "embedded"}


CHECKS: dict[str, Callable[[], dict[str, Any]]] = {
    "system-info": system_info,
    "generate": generate,
    "embed": embed,
    "chroma": chroma,
}


def main(argv: list[str]) -> int:
    """Run the named check; print its JSON result on the last stdout line."""
    if len(argv) != 1 or argv[0] not in CHECKS:
        print(f"usage: live_checks {{{','.join(CHECKS)}}}", file=sys.stderr)
        return 2
    try:
        result = CHECKS[argv[0]]()
    except Exception as error:  # reported to the parent, which explains it
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
