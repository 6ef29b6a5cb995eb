"""Which default temperature gives sensible plain-chat answers from a template-less base model.

The server's plain chat (no ``collections``) falls back to the model's sampling defaults when a
request gives no ``temperature``. For the bundled Gemma 3 270M base model (no chat template, so
prompted completion-style) this runs everyday questions at several temperatures and seeds and
counts replies that contain the expected answer, and empty replies.

Run: python bench/base_model_temperature.py [--seeds 3] [--temperatures 0 0.2 0.5 0.8]
"""

from __future__ import annotations

import argparse
import statistics

from langchain_core.messages import HumanMessage

from gpt4all_rag import ChatGPT4All

QUESTIONS = [
    ("What is the capital of France?", "paris"),
    ("What is the capital of Japan?", "tokyo"),
    ("How many days are in a week?", "seven|7"),
    ("What color is the sky on a clear day?", "blue"),
    ("What is 2 plus 2?", "four|4"),
    ("Which planet do we live on?", "earth"),
    ("What language is spoken in Spain?", "spanish"),
    ("How many legs does a dog have?", "four|4"),
    ("What do bees make?", "honey"),
    ("What is the largest ocean on Earth?", "pacific"),
]


def sensible(reply: str, expected: str) -> bool:
    """Whether the reply names the expected answer."""
    return any(word in reply.lower() for word in expected.split("|"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--temperatures", type=float, nargs="+", default=[0.0, 0.2, 0.5, 0.8])
    parser.add_argument("--max-tokens", type=int, default=32)
    args = parser.parse_args()
    llm = ChatGPT4All(max_tokens=args.max_tokens)
    print(f"model {llm.spec.name}, chat template: {llm.spec.has_chat_template}")
    print("temperature  sensible  empty  median reply chars")
    for temperature in args.temperatures:
        right = empty = 0
        lengths: list[int] = []
        seeds = 1 if temperature == 0 else args.seeds
        for seed in range(seeds):
            for question, expected in QUESTIONS:
                reply = str(
                    llm.invoke([HumanMessage(question)], temperature=temperature, seed=seed).content
                )
                right += sensible(reply, expected)
                empty += not reply.strip()
                lengths.append(len(reply.strip()))
        total = seeds * len(QUESTIONS)
        print(
            f"{temperature:11.1f}  {right:3d}/{total:<4d}  {empty:3d}/{total:<3d}"
            f"  {statistics.median(lengths):.0f}"
        )


if __name__ == "__main__":
    main()
