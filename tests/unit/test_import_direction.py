"""The arrows of docs/architecture.md, asserted by walking every import in the source.

Every ``import`` counts: at module level, inside functions (lazy) and under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FLOORS: dict[str, int] = {
    # ground
    "config": 0,
    "errors": 0,
    "strict_keywords": 0,
    # plumbing
    "llama": 1,
    "embedding_backends": 1,
    "text": 1,
    "connectors": 1,
    "async_bridge": 1,
    # models & data
    "localdocs": 2,
    "chat_models": 2,
    "llms": 2,
    "embeddings": 2,
    # the answer chain
    "rag": 3,
    # agents over collections (the documents tool quotes with the answer chain's evidence)
    "agents": 4,
    # faces
    "cli": 5,
    "server": 5,
    "diagnostics": 5,
}
"""Each room's floor: a room imports rooms on lower floors (and, sideways, only the pairs in
``SIDEWAYS``)."""

SIDEWAYS = {
    ("embedding_backends", "llama"),  # the GGUF backend runs on llama.cpp
    ("localdocs", "embeddings"),  # the default embedding model of a collection
    ("cli", "server"),  # faces start faces
    ("cli", "diagnostics"),
}
"""Imports between rooms on the same floor that the architecture allows."""

FORBIDDEN_LIBRARIES = {"connectors": ("chromadb", "llama_cpp")}
"""Third-party libraries a room must not import."""


def _module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, root: Path = ROOT) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of every import in ``path``."""
    module = _module_name(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join([*base, *([node.module] if node.module else [])])
            else:
                name = node.module or ""
            yield node.lineno, name
            for alias in node.names:  # `from gpt4all_rag import rag` imports a room too
                yield node.lineno, f"{name}.{alias.name}"


def _room(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] == "connectors":
        return "connectors"
    if parts[0] != "gpt4all_rag" or len(parts) < 2:
        return None
    return parts[1] if parts[1] in FLOORS else None


def _sources(root: Path = ROOT) -> list[Path]:
    return sorted([*(root / "gpt4all_rag").rglob("*.py"), *(root / "connectors").rglob("*.py")])


def wrong_way_imports(root: Path = ROOT) -> list[str]:
    """Every import that points up, or sideways without leave."""
    found = []
    for path in _sources(root):
        module = _module_name(path, root)
        room = _room(module)
        if room is None:  # gpt4all_rag/__init__.py: the public face, imported lazily
            continue
        for line, target in _imports(path, root):
            other = _room(target)
            if other is None or other == room:
                continue
            up = FLOORS[other] > FLOORS[room]
            sideways = FLOORS[other] == FLOORS[room] and (room, other) not in SIDEWAYS
            if up or sideways:
                found.append(f"{path.relative_to(root)}:{line} ({room}) imports {target}")
    return found


def test_every_room_has_a_floor() -> None:
    rooms = {p.name for p in (ROOT / "gpt4all_rag").iterdir() if p.is_dir() and p.name[0] != "_"}
    modules = {p.stem for p in (ROOT / "gpt4all_rag").glob("*.py") if p.stem != "__init__"}
    assert (rooms | modules) - {"static"} <= set(FLOORS), "add the new room to FLOORS"


def test_imports_point_one_way() -> None:
    assert wrong_way_imports() == []


@pytest.mark.parametrize(("room", "libraries"), FORBIDDEN_LIBRARIES.items())
def test_room_does_not_import_library(room: str, libraries: tuple[str, ...]) -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line} imports {target}"
        for path in _sources()
        if _room(_module_name(path)) == room
        for line, target in _imports(path)
        if target.split(".")[0] in libraries
    ]
    assert found == []


def import_cycles(root: Path = ROOT) -> list[str]:
    """Modules that import, directly or not, a module that imports them back."""
    graph: dict[str, set[str]] = {}
    modules = {_module_name(path, root) for path in _sources(root)}
    for path in _sources(root):
        name = _module_name(path, root)
        graph[name] = {t for _, t in _imports(path, root) if t in modules and t != name}
    # a package's __init__ re-exporting its modules is not a cycle of concern
    packages = {m for m in modules if any(other.startswith(m + ".") for other in modules)}
    cycles = []
    for start in sorted(graph):
        stack = [(start, [start])]
        seen: set[str] = set()
        while stack:
            node, trail = stack.pop()
            for nxt in graph.get(node, ()):
                if nxt in packages:
                    continue
                if nxt == start:
                    cycles.append(" -> ".join([*trail, nxt]))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*trail, nxt]))
    return cycles


def test_no_import_cycles_between_modules() -> None:
    assert import_cycles() == []


def test_the_checks_can_fail(tmp_path: Path) -> None:
    """A lazy import of the answer chain from localdocs, and a cycle, are caught."""
    package = tmp_path / "gpt4all_rag" / "localdocs"
    package.mkdir(parents=True)
    (tmp_path / "connectors").mkdir()
    (package / "collection.py").write_text(
        "from gpt4all_rag.localdocs.retriever import R\n"
        "def ask():\n    from gpt4all_rag.rag import AnswerChain\n",
        encoding="utf-8",
    )
    (package / "retriever.py").write_text("from . import collection\n", encoding="utf-8")
    assert wrong_way_imports(tmp_path) == [
        "gpt4all_rag/localdocs/collection.py:3 (localdocs) imports gpt4all_rag.rag",
        "gpt4all_rag/localdocs/collection.py:3 (localdocs) imports gpt4all_rag.rag.AnswerChain",
    ]
    assert import_cycles(tmp_path) == [
        "gpt4all_rag.localdocs.collection -> gpt4all_rag.localdocs.retriever"
        " -> gpt4all_rag.localdocs.collection",
        "gpt4all_rag.localdocs.retriever -> gpt4all_rag.localdocs.collection"
        " -> gpt4all_rag.localdocs.retriever",
    ]
