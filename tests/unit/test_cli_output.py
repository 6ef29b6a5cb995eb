"""What the CLI prints: tables that never cut a name or path, control characters escaped."""

from __future__ import annotations

import io

from rich.console import Console

from gpt4all_rag.cli import print_table, printable

LONG_PATH = "/home/someone/with/a/rather/long/path/to/models/gemma-3-270m-it-q4_k_m-extra.gguf"
HEADERS = ["name", "architecture", "context", "template", "quant", "size", "path"]
ROW = ["gemma-3-270m-it-q4_k_m-extra", "gemma3", "32768", "yes", "Q4_K_M", "253 MB", LONG_PATH]


def test_control_characters_are_escaped() -> None:
    assert printable("plain name.txt") == "plain name.txt"
    assert printable("evil\nFailed fake.txt") == "evil\\nFailed fake.txt"
    assert printable("bell\x07 esc\x1b[31m tab\t") == "bell\\x07 esc\\x1b[31m tab\\t"


def test_a_plain_table_when_not_a_terminal_keeps_every_cell_whole() -> None:
    out = io.StringIO()
    print_table(HEADERS, [ROW, ["bad\nname", *ROW[1:]]], Console(file=out, width=80))

    lines = out.getvalue().splitlines()
    assert lines[0].split("\t") == HEADERS
    assert lines[1].split("\t") == ROW
    assert lines[2].split("\t")[0] == "bad\\nname" and len(lines) == 3


def test_a_terminal_table_at_80_columns_wraps_instead_of_cutting() -> None:
    out = io.StringIO()
    print_table(HEADERS, [ROW], Console(file=out, width=80, force_terminal=True, color_system=None))

    text = out.getvalue()
    assert "…" not in text
    cells = "".join(
        "".join(part.strip() for part in line.split("│")[7:8]) for line in text.splitlines()
    )
    assert cells.removeprefix("path") == LONG_PATH
