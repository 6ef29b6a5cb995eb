"""The answer chain and what it is made of.

* :mod:`~gpt4all_rag.rag.chain`: :class:`AnswerChain`, question (+ history) -> retrieved sources
  -> a cited, checked :class:`Answer`;
* :mod:`~gpt4all_rag.rag.prompts`: the prompts (chat and completion style);
* :mod:`~gpt4all_rag.rag.context_budget`: fitting sources into the model's context window;
* :mod:`~gpt4all_rag.rag.citations`: citation numbers checked against the sources;
* :mod:`~gpt4all_rag.rag.repetition`: the guard that stops an answer looping;
* :mod:`~gpt4all_rag.rag.chat_session`: a conversation's history for follow-up questions;
* :mod:`~gpt4all_rag.rag.evaluation`: retrieval and answer quality measured on a question set.
"""

from __future__ import annotations

from gpt4all_rag.rag.chain import Answer, AnswerChain, AnswerInput, Source

__all__ = ["Answer", "AnswerChain", "AnswerInput", "Source"]
