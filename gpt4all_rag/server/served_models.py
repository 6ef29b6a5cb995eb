"""The models a server offers: catalog names only (never a path sent by a client)."""

from __future__ import annotations

import threading
from pathlib import Path

from gpt4all_rag.chat_models import ChatGPT4All
from gpt4all_rag.config import DEFAULT_CHAT_MODEL, Settings, get_settings
from gpt4all_rag.embeddings import GPT4AllEmbeddings, configured_embeddings
from gpt4all_rag.errors import ModelNotFoundError
from gpt4all_rag.llama.catalog import ModelSpec, list_models
from gpt4all_rag.llms import GPT4All


class ModelCatalog:
    """Chat models from the models folder plus the bundled default, and the embedding model.

    Specs are read once and reread when a name is missing, so GGUF files dropped into the models
    folder appear without a restart. Model objects are built once per name: per-request sampling
    goes in as call arguments or a cheap copy, never a new load.
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings
        self._specs: dict[str, ModelSpec] = {}
        self._chat: dict[str, ChatGPT4All] = {}
        self._completion: dict[str, GPT4All] = {}
        self._embeddings: GPT4AllEmbeddings | None = None
        self._lock = threading.Lock()

    @property
    def settings(self) -> Settings:
        """The library settings (data home, default models)."""
        return self._settings or get_settings()

    def chat_specs(self) -> list[ModelSpec]:
        """Every usable chat model, rereading the models folder."""
        specs = [entry.spec for entry in list_models(self.settings) if entry.spec is not None]
        specs = [spec for spec in specs if not spec.is_embedding_model]
        with self._lock:
            self._specs = {spec.name.lower(): spec for spec in specs}
        return specs

    def spec(self, name: str) -> ModelSpec:
        """The chat model called ``name`` (case-insensitive; ``default`` is the default model).

        Raises:
            ModelNotFoundError: No such model; the message lists the available ones.
        """
        wanted = name.strip().lower()
        if wanted == "default":
            wanted = self.settings.chat_model.lower()
            if wanted == "default":
                wanted = DEFAULT_CHAT_MODEL
        with self._lock:
            found = self._specs.get(wanted)
        if found is None:
            specs = self.chat_specs()
            found = next((spec for spec in specs if spec.name.lower() == wanted), None)
            if found is None:
                names = ", ".join(spec.name for spec in specs) or "none"
                raise ModelNotFoundError(
                    f"The model {name!r} does not exist here. Available: {names}. Put GGUF "
                    f"files in {self.settings.models_dir} and they appear in GET /v1/models."
                )
        return found

    def chat_model(self, spec: ModelSpec) -> ChatGPT4All:
        """The shared chat model object for ``spec``."""
        with self._lock:
            model = self._chat.get(spec.name)
            if model is None:
                model = self._chat[spec.name] = ChatGPT4All(
                    model=str(spec.path), settings=self._settings
                )
                model._spec = spec
        return model

    def completion_model(self, spec: ModelSpec) -> GPT4All:
        """The shared completion model object for ``spec``."""
        with self._lock:
            model = self._completion.get(spec.name)
            if model is None:
                model = self._completion[spec.name] = GPT4All(
                    model=str(spec.path), settings=self._settings
                )
                model._spec = spec
        return model

    def embedding_names(self) -> list[str]:
        """Names accepted for the embedding model."""
        name = self.settings.embedding_model
        return [name, Path(name).name] if Path(name).name != name else [name]

    def embeddings(self, name: str) -> GPT4AllEmbeddings:
        """The embedding model called ``name`` (the configured one is the only one).

        Raises:
            ModelNotFoundError: ``name`` is not the configured embedding model.
        """
        if name.strip().lower() not in {n.lower() for n in self.embedding_names()}:
            raise ModelNotFoundError(
                f"The embedding model {name!r} does not exist here. Available: "
                f"{', '.join(self.embedding_names())}."
            )
        with self._lock:
            if self._embeddings is None:
                # The backend LocalDocs uses for new collections: one model serves both.
                self._embeddings = configured_embeddings(self.settings)
            return self._embeddings
