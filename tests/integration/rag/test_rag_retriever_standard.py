"""LangChain's standard retriever tests for HybridRetriever, on a real collection."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.retrievers import BaseRetriever
from langchain_tests.integration_tests import RetrieversIntegrationTests

from gpt4all_rag.localdocs import LocalDocs
from gpt4all_rag.localdocs.retriever import HybridRetriever

pytestmark = pytest.mark.models


class TestHybridRetrieverStandard(RetrieversIntegrationTests):
    collection: LocalDocs | None = None

    @pytest.fixture(autouse=True)
    def _use_demo(self, demo: LocalDocs) -> None:
        type(self).collection = demo

    @property
    def retriever_constructor(self) -> type[BaseRetriever]:
        return HybridRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"collections": [self.collection], "k": 2}

    @property
    def retriever_query_example(self) -> str:
        return "How can I remove duplicate times in a zoo object?"
