"""docs/python-api.md documents every public class's options, methods and properties, and every
method it shows being called exists."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from pydantic import BaseModel

import gpt4all_rag

DOC = Path(__file__).resolve().parents[2] / "docs" / "python-api.md"

CLASSES = [name for name in gpt4all_rag.__all__ if name[0].isupper()]

PLUMBING = {"model_post_init"}
"""pydantic's hook: public by name, not API."""


def own_members(cls: type) -> set[str]:
    """Public names a class of ours defines (LangChain's and pydantic's own are theirs to
    document): fields and keyword options, methods, properties."""
    names: set[str] = set()
    for klass in cls.__mro__:
        if klass.__module__.startswith("gpt4all_rag"):
            names.update(name for name in vars(klass) if not name.startswith("_"))
            names.update(getattr(klass, "__annotations__", {}))
    if not issubclass(cls, BaseModel):
        names.update(inspect.signature(cls.__init__).parameters)
    names -= {"self", "unknown", "model_config", "model_fields", *PLUMBING}
    return {name for name in names if not name.startswith("_")}


def section(name: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(rf"^## `{name}`.*?(?=^## |\Z)", text, flags=re.MULTILINE | re.DOTALL)
    assert match, f"docs/python-api.md needs a section '## `{name}`'"
    return match.group(0)


def mentioned(name: str, text: str) -> bool:
    """``name`` appears in code: inline backticks or a code block."""
    blocks = re.findall(r"```.*?```", text, flags=re.DOTALL)
    prose = re.sub(r"```.*?```", " ", text, flags=re.DOTALL)
    code = " ".join([*blocks, *re.findall(r"`([^`]+)`", prose)])
    return re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", code) is not None


@pytest.mark.parametrize("name", CLASSES)
def test_every_public_member_is_documented(name: str) -> None:
    cls = getattr(gpt4all_rag, name)
    text = section(name)
    missing = sorted(member for member in own_members(cls) if not mentioned(member, text))
    assert missing == [], f"document these of {name} in docs/python-api.md"


@pytest.mark.parametrize("name", CLASSES)
def test_every_documented_call_exists(name: str) -> None:
    """``Name.method(`` and ``obj.method(`` in the section's code name real attributes (of the
    class, or of what it returns when the object is not the class)."""
    cls = getattr(gpt4all_rag, name)
    text = section(name)
    calls = set(re.findall(rf"\b{name}\.([a-z_]\w*)\(", text))
    assert [call for call in sorted(calls) if not hasattr(cls, call)] == []


def test_no_section_for_a_class_that_is_gone() -> None:
    text = DOC.read_text(encoding="utf-8")
    headings = re.findall(r"^## `(\w+)`", text, flags=re.MULTILINE)
    assert [heading for heading in headings if heading not in CLASSES] == []
