"""Server overhead: streamed tokens/s through `gpt4all-rag serve` against in-process ChatGPT4All.

Starts the server on a free loopback port (a subprocess: the real thing, uvicorn and all), then
streams the same prompt for the same number of tokens, with the same model, threads and greedy
sampling, through the official ``openai`` client and through ``ChatGPT4All.stream`` in this
process, alternating the two run by run so that load from other processes hits both alike.
Prints the median tokens/s of each and the median of the per-round ratios (target >= 0.9), then
embeddings requests/s through the server (one text per request, and 64 texts per request)
against ``GPT4AllEmbeddings`` in process.

The server runs each model on a worker thread, so the in-process anchor of the ratio runs on a
worker thread too (``--main-thread`` also times the same call on the main thread), and both run
with ``OMP_WAIT_POLICY=PASSIVE``, which ``gpt4all-rag serve`` sets (unless the environment
already sets it): with OpenMP's default spinning, both were erratic and several times slower on
this shared 2-core machine.

Run: python bench/server.py [--runs 7] [--tokens 128] [--threads N] [--embed-requests 100]
     [--main-thread]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("GPT4ALL_RAG_HOME", tempfile.mkdtemp(prefix="bench-server-"))
# `gpt4all-rag serve` sets this (idle OpenMP threads sleep instead of spinning); the in-process
# anchor gets the same, so that the ratio measures the server and not the OpenMP setting.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import httpx
import openai

from gpt4all_rag import ChatGPT4All, GPT4AllEmbeddings
from gpt4all_rag.config import get_settings

PROMPT = "Question: Write a long essay about the history of the city of Rome.\nAnswer:"
TEMPERATURE = 0.0
SEED = 1
N_CTX = 4096
KEY = "bench-key-0123456789"
T = TypeVar("T")
SENTENCES = [
    f"Sentence number {n} is about {topic}."
    for n, topic in enumerate(["rivers", "linear models", "plots", "espresso", "tables"] * 13)
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(threads: int) -> Iterator[str]:
    """`gpt4all-rag serve` on a free port; yields the API base URL."""
    port = free_port()
    env = {
        **os.environ,
        "GPT4ALL_RAG_N_CTX": str(N_CTX),
        "GPT4ALL_RAG_N_THREADS": str(threads),
        "GPT4ALL_RAG_API_KEY": KEY,
    }
    cli = str(Path(sys.executable).with_name("gpt4all-rag"))
    command = [cli, "serve", "--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise SystemExit("the server exited; run the command above to see why")
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the server did not start within 120 s")
            time.sleep(0.2)
        yield f"{url}/v1"
    finally:
        process.terminate()
        process.wait(timeout=30)


def through_server(client: openai.OpenAI, tokens: int) -> tuple[float, int]:
    """Seconds from request to last chunk, and completion tokens, streamed over HTTP."""
    started = time.perf_counter()
    stream = client.chat.completions.create(
        model="default",
        messages=[{"role": "user", "content": PROMPT}],
        max_tokens=tokens,
        stream=True,
        stream_options={"include_usage": True},
        temperature=TEMPERATURE,
        seed=SEED,
    )
    count = 0
    for chunk in stream:
        if chunk.usage is not None:
            count = chunk.usage.completion_tokens
    return time.perf_counter() - started, count


def in_process(llm: ChatGPT4All) -> tuple[float, int]:
    """Seconds from call to last chunk, and completion tokens, streamed in this process."""
    started = time.perf_counter()
    count = 0
    for chunk in llm.stream(PROMPT):
        if chunk.usage_metadata:
            count = chunk.usage_metadata["output_tokens"]
    return time.perf_counter() - started, count


def rate(function: Callable[[], object], count: int) -> float:
    """Calls per second of ``function`` over ``count`` calls."""
    started = time.perf_counter()
    for _ in range(count):
        function()
    return count / (time.perf_counter() - started)


_WORKER = ThreadPoolExecutor(1, thread_name_prefix="bench-in-process")
"""The server runs each model on one worker thread; the in-process anchor runs on one too."""


def on_worker(function: Callable[[], T]) -> T:
    """Run ``function`` on the bench's worker thread and return its result."""
    return _WORKER.submit(function).result()


def generation(client: openai.OpenAI, args: argparse.Namespace) -> None:
    llm = ChatGPT4All(
        max_tokens=args.tokens,
        n_ctx=N_CTX,
        n_threads=args.threads,
        temperature=TEMPERATURE,
        seed=SEED,
    )
    through_server(client, 8)  # load the model in the server
    in_process(llm.model_copy(update={"max_tokens": 8}))
    contenders: dict[str, Callable[[], tuple[float, int]]] = {
        "server": lambda: through_server(client, args.tokens),
        "in-process": lambda: on_worker(lambda: in_process(llm)),
    }
    if args.main_thread:
        contenders["main thread"] = lambda: in_process(llm)
    speeds: dict[str, list[float]] = {name: [] for name in contenders}
    ratios: list[float] = []
    for run in range(args.runs):
        names = list(contenders) if run % 2 == 0 else list(reversed(contenders))
        counts: dict[str, int] = {}
        for name in names:
            seconds, counts[name] = contenders[name]()
            speeds[name].append(counts[name] / seconds)
        ratios.append(speeds["server"][-1] / speeds["in-process"][-1])
        note = "" if len(set(counts.values())) == 1 else f" (token counts {counts})"
        shown = ", ".join(f"{name} {speeds[name][-1]:.1f}" for name in contenders)
        print(f"  run {run}: tok/s {shown}; ratio {ratios[-1]:.3f}{note}", flush=True)
    print(
        f"streamed tokens/s, {args.tokens} tokens, {args.threads} threads, median of {args.runs}:"
    )
    print(f"  through the server            {statistics.median(speeds['server']):7.1f}")
    print(f"  in-process, worker thread     {statistics.median(speeds['in-process']):7.1f}")
    if args.main_thread:
        print(f"  in-process, main thread       {statistics.median(speeds['main thread']):7.1f}")
    print(f"  ratio server/in-process       {statistics.median(ratios):7.3f}   target >= 0.9")


def embeddings(client: openai.OpenAI, args: argparse.Namespace) -> None:
    model = GPT4AllEmbeddings()
    name = get_settings().embedding_model
    batch = SENTENCES[:64]
    client.embeddings.create(model=name, input="warm up")
    on_worker(lambda: model.embed_query("warm up"))
    rounds = max(3, args.embed_requests // 10)
    single = rate(
        lambda: client.embeddings.create(model=name, input=SENTENCES[0]), args.embed_requests
    )
    single_local = on_worker(
        lambda: rate(lambda: model.embed_query(SENTENCES[0]), args.embed_requests)
    )
    batched = rate(lambda: client.embeddings.create(model=name, input=batch), rounds)
    batched_local = on_worker(lambda: rate(lambda: model.embed_documents(batch), rounds))
    print("embeddings, sequential requests (base64 on the wire, as the openai client sends):")
    print(
        f"  1 text/request     {single:7.1f} req/s   in-process {single_local:7.1f} calls/s   "
        f"ratio {single / single_local:.2f}"
    )
    print(
        f"  64 texts/request   {batched:7.1f} req/s   in-process {batched_local:7.1f} calls/s   "
        f"ratio {batched / batched_local:.2f}   ({batched * 64:.0f} texts/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, default=get_settings().threads())
    parser.add_argument("--embed-requests", type=int, default=100)
    parser.add_argument(
        "--main-thread", action="store_true", help="Also time in-process calls on the main thread."
    )
    args = parser.parse_args()
    with running_server(args.threads) as api:
        client = openai.OpenAI(base_url=api, api_key=KEY, max_retries=0, timeout=600)
        generation(client, args)
        embeddings(client, args)


if __name__ == "__main__":
    main()
