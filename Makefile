# Two entry points, both from a fresh checkout: `make demo` and `make test` (see README.md).
VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
CLI    := $(VENV)/bin/gpt4all-rag
DEMO_HOME ?= $(CURDIR)/.demo-home
QUESTION  ?= How can I remove duplicate times in a zoo object?

.PHONY: setup demo test test-fast lint bench-generation

setup: $(VENV)/.installed

# torch goes first and pinned: the CPU build. Left to sentence-transformers, pip would fetch CUDA.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "torch==2.13.0"
	$(PY) -m pip install --quiet -e ".[test,server]"
	touch $@

demo: setup
	GPT4ALL_RAG_HOME=$(DEMO_HOME) $(CLI) index examples/docs --collection demo
	GPT4ALL_RAG_HOME=$(DEMO_HOME) $(CLI) ask "$(QUESTION)" --collection demo

test: setup
	$(PY) -m pytest

# The fast tier: no bundled model, no child process (tests/conftest.py refuses both), under a
# minute. `make test` runs everything, as CI does.
test-fast: setup
	$(PY) -m pytest -m "not models and not slow"

lint: setup
	$(VENV)/bin/ruff check gpt4all_rag connectors tests examples bench
	$(VENV)/bin/ruff format --check gpt4all_rag connectors tests examples bench
	$(VENV)/bin/mypy
