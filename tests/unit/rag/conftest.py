"""Fixtures of the answer-chain unit tests."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document
from rag_fakes import doc


@pytest.fixture
def zoo_docs() -> list[Document]:
    return [
        doc("Duplicate times are averaged with aggregate.zoo.", "/docs/zoo-faq.pdf", 1, 0.9),
        doc("Merging zoo series is done with merge.zoo.", "/docs/zoo-faq.pdf", 4, 0.6),
        doc("Plotting zoo series uses plot.zoo.", "/docs/zoo.md", None, 0.4),
    ]
