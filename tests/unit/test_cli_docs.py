"""docs/cli.md matches the CLI: every option of every command is documented in its section, and
every flag a section documents exists (typer/click introspection)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer

from gpt4all_rag.cli import app

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"

FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?![\w-])")
"""A flag as written in the docs: ``--collection``, ``-k``."""


def commands() -> dict[str, Any]:
    """Every command by its path (``""`` is the global options, ``collections remove``...)."""
    root = typer.main.get_command(app)
    found: dict[str, Any] = {"": root}

    def walk(group: Any, prefix: str) -> None:
        if hasattr(group, "commands"):  # a group (typer bundles its own click)
            for name, command in group.commands.items():
                path = f"{prefix} {name}".strip()
                found[path] = command
                walk(command, path)

    walk(root, "")
    return found


def _options(command: Any) -> list[Any]:
    return [param for param in command.params if param.param_type_name == "option"]


def options(command: Any) -> set[str]:
    """The command's own flags (``--help`` aside)."""
    flags: set[str] = set()
    for param in _options(command):
        flags.update(param.opts)
        flags.update(param.secondary_opts)
    return flags - {"--help"}


def sections() -> dict[str, str]:
    """docs/cli.md's sections by heading: ``## `ask`: ...`` is ``ask``, the global options
    are ``""``."""
    text = DOC.read_text(encoding="utf-8")
    parts = re.split(r"^## ", text, flags=re.MULTILINE)[1:]
    found = {}
    for part in parts:
        heading, _, body = part.partition("\n")
        match = re.match(r"`([a-z-]+)`", heading)
        if match:
            found[match.group(1)] = body
        elif heading.startswith("Global options"):
            found[""] = body
    return found


def section_for(path: str) -> str:
    """The docs section of a command (a subcommand is documented in its group's section)."""
    return sections()[path.split(" ")[0]] if path else sections()[""]


def documented_for(path: str) -> set[str]:
    """Flags a section names for ``path``: for a group's section, the flags on its usage lines
    that name the subcommand go to the subcommand."""
    body = section_for(path)
    if path == "collections":
        body = "\n".join(line for line in re.split(r"(?<=\.) ", body) if " remove " not in line)
    if path == "collections remove":
        body = "\n".join(line for line in re.split(r"(?<=\.) ", body) if " remove " in line)
    return set(FLAG.findall(body))


@pytest.mark.parametrize("path", sorted(commands()))
def test_every_option_is_documented(path: str) -> None:
    command = commands()[path]
    documented = documented_for(path)
    missing = [
        param.opts
        for param in _options(command)
        if "--help" not in param.opts and not set(param.opts) & documented
    ]
    assert missing == [], f"document in docs/cli.md, section `{path or 'Global options'}`"


@pytest.mark.parametrize("path", sorted(commands()))
def test_every_documented_flag_exists(path: str) -> None:
    if path == "":
        documented = documented_for(path)
    else:
        documented = {flag for flag in documented_for(path) if flag not in options(commands()[""])}
    unknown = sorted(documented - options(commands()[path]) - {"--help"})
    assert unknown == [], f"docs/cli.md documents flags `{path}` does not have"


def test_every_command_has_a_section() -> None:
    names = {path.split(" ")[0] for path in commands() if path}
    assert names - set(sections()) == set()
