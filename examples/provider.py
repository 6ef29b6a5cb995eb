"""ChatGPT4All as the model in an LCEL chain: prompt | local model | parser, streamed.

Run: python examples/provider.py "What is the capital of France?"
"""

from __future__ import annotations

import sys

from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from gpt4all_rag import ChatGPT4All

prompt = ChatPromptTemplate.from_messages(
    [("system", "Answer in a few words."), ("human", "{question}")]
)
chain = prompt | ChatGPT4All(temperature=0, max_tokens=64) | StrOutputParser()


def main(question: str) -> None:
    for text in chain.stream({"question": question}):
        print(text, end="", flush=True)
    print()


if __name__ == "__main__":
    main(" ".join(sys.argv[1:]) or "What is the capital of France?")
