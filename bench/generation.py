"""Generation speed: ChatGPT4All.stream against raw llama-cpp-python, side by side in one process.

Streams the same prompt for the same number of tokens, with the same model file, threads and
sampling, alternating the contenders run by run, and prints medians and ratios:

- tokens/s of ``ChatGPT4All.stream`` / ``Llama.create_completion(stream=True)`` (target >= 0.97)
- the same ratio for LangChain community's ``LlamaCpp`` (the anchor)
- time to first token for a ~1,000-token prompt, ours and raw
- raw llama-cpp-python with llama.cpp's extra buffer types off (the AMX workaround, which also
  turns off weight repacking): what the workaround would cost if it applied on this CPU. Ours
  applies it only where the llama.cpp build has AMX (``llama_extra_buffers = "auto"``).

Run: python bench/generation.py [--runs 7] [--tokens 128] [--threads N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Iterable
from typing import Any

from gpt4all_rag import ChatGPT4All
from gpt4all_rag.config import get_settings
from gpt4all_rag.llama.cpu_support import (
    extra_buffers_wanted,
    llama_system_info,
    model_params_for,
)

PROMPT = "Question: Write a long essay about the history of the city of Rome.\nAnswer:"
SAMPLING = {"temperature": 0.0, "top_p": 0.95, "top_k": 40, "min_p": 0.05, "repeat_penalty": 1.0}


def timed_stream(pieces: Iterable[Any]) -> tuple[float, float, int]:
    """Consume a stream; return (time to first piece, total time, pieces)."""
    started = time.perf_counter()
    first = 0.0
    count = 0
    for _ in pieces:
        count += 1
        if count == 1:
            first = time.perf_counter() - started
    return first, time.perf_counter() - started, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, default=get_settings().threads())
    args = parser.parse_args()

    import warnings

    warnings.filterwarnings("ignore", category=DeprecationWarning)
    from langchain_community.llms import LlamaCpp
    from llama_cpp import Llama

    ours = ChatGPT4All(max_tokens=args.tokens, n_threads=args.threads, n_ctx=4096, **SAMPLING)
    path = str(ours.spec.path)
    common = {"n_ctx": 4096, "n_threads": args.threads, "n_batch": 512, "verbose": False}
    raw = Llama(model_path=path, n_threads_batch=args.threads, **common)
    with model_params_for(False):
        raw_no_extra = Llama(model_path=path, n_threads_batch=args.threads, **common)
    assert not raw_no_extra.model_params.use_extra_bufts
    print(f"llama.cpp: {llama_system_info()}")
    print(f"ours: extra buffer types {'on' if extra_buffers_wanted('auto') else 'off'}")
    anchor_sampling = {key: value for key, value in SAMPLING.items() if key != "min_p"}
    anchor = LlamaCpp(
        model_path=path,
        max_tokens=args.tokens,
        streaming=True,
        model_kwargs={"min_p": SAMPLING["min_p"]},
        **common,
        **anchor_sampling,
    )

    def run_ours(prompt: str) -> tuple[float, float, int]:
        usage: dict[str, int] = {}

        def chunks() -> Iterable[Any]:
            for chunk in ours.stream(prompt, stop=[]):
                if chunk.usage_metadata:
                    usage.update(chunk.usage_metadata)
                if chunk.content:
                    yield chunk

        first, total, _ = timed_stream(chunks())
        return first, total, usage.get("output_tokens", 0)

    def run_raw(prompt: str) -> tuple[float, float, int]:
        raw.reset()
        stream = raw.create_completion(prompt, max_tokens=args.tokens, stream=True, **SAMPLING)
        return timed_stream(stream)

    def run_raw_no_extra(prompt: str) -> tuple[float, float, int]:
        raw_no_extra.reset()
        stream = raw_no_extra.create_completion(
            prompt, max_tokens=args.tokens, stream=True, **SAMPLING
        )
        return timed_stream(stream)

    def run_anchor(prompt: str) -> tuple[float, float, int]:
        return timed_stream(anchor.stream(prompt))

    contenders: dict[str, Callable[[str], tuple[float, float, int]]] = {
        "ChatGPT4All.stream": run_ours,
        "llama_cpp create_completion": run_raw,
        "community LlamaCpp": run_anchor,
        "llama_cpp, extra buffers off": run_raw_no_extra,
    }
    speeds = measure(contenders, PROMPT, args.runs, tokens_per_second=True)
    long_prompt = "Context: " + " ".join(["The quick brown fox jumps over the lazy dog."] * 100)
    long_prompt += "\n\n" + PROMPT
    print(f"long prompt: {ours.get_num_tokens(long_prompt)} tokens")
    first_token = measure(
        {k: v for k, v in contenders.items() if k != "community LlamaCpp"},
        long_prompt,
        max(3, args.runs // 2),
        tokens_per_second=False,
    )
    report(speeds, first_token, args)


def measure(
    contenders: dict[str, Callable[[str], tuple[float, float, int]]],
    prompt: str,
    runs: int,
    *,
    tokens_per_second: bool,
) -> dict[str, list[float]]:
    """Alternate the contenders ``runs`` times after one warm-up each."""
    for run in contenders.values():
        run(prompt)
    results: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(runs):
        for name, run in contenders.items():
            first, total, tokens = run(prompt)
            results[name].append(tokens / total if tokens_per_second else first)
            print(f"  {name}: {results[name][-1]:.3f}", flush=True)
    return results


def report(speeds: dict[str, list[float]], first_token: dict[str, list[float]], args: Any) -> None:
    raw = statistics.median(speeds["llama_cpp create_completion"])
    print(f"\nthreads={args.threads} tokens={args.tokens} runs={args.runs}")
    print(f"{'contender':32} {'median tok/s':>12} {'ratio vs raw':>12}")
    for name, values in speeds.items():
        median = statistics.median(values)
        print(f"{name:32} {median:12.1f} {median / raw:12.3f}")
    raw_ttft = statistics.median(first_token["llama_cpp create_completion"])
    print("\ntime to first token, ~1,000-token prompt:")
    for name, values in first_token.items():
        median = statistics.median(values)
        print(f"{name:32} {median * 1000:9.0f} ms {median / raw_ttft:12.3f}")


if __name__ == "__main__":
    main()
