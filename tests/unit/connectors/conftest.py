"""Fixtures that write real files (PDF with fpdf2, DOCX with python-docx) and fake plugins."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import docx
import pytest
from pdf_pages import write_pdf
from pypdf import PdfWriter

MakePdf = Callable[..., Path]
MakeDocx = Callable[..., Path]
InstallPlugin = Callable[..., Path]


@pytest.fixture
def make_pdf(tmp_path: Path) -> MakePdf:
    """Return ``make(name, pages, title=None) -> Path`` writing a PDF under tmp_path."""

    def make(name: str, pages: list[str], *, title: str | None = None) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return write_pdf(path, pages, title=title)

    return make


@pytest.fixture
def make_encrypted_pdf(make_pdf: MakePdf) -> MakePdf:
    """Return ``make(name, pages, user_password=..., algorithm=...)``: a PDF encrypted by pypdf."""

    def make(
        name: str,
        pages: list[str],
        *,
        user_password: str,
        owner_password: str = "owner-secret",
        algorithm: str = "AES-256",
    ) -> Path:
        plain = make_pdf(f"{name}.plain", pages)
        writer = PdfWriter(clone_from=plain)
        writer.encrypt(
            user_password=user_password, owner_password=owner_password, algorithm=algorithm
        )
        path = plain.with_name(Path(name).name)
        with path.open("wb") as out:
            writer.write(out)
        plain.unlink()
        return path

    return make


@pytest.fixture
def make_docx(tmp_path: Path) -> MakeDocx:
    """Return ``make(name, blocks, title=None)``; a block is a str paragraph or a table (rows)."""

    def make(name: str, blocks: list[str | list[list[str]]], *, title: str | None = None) -> Path:
        document = docx.Document()
        if title is not None:
            document.core_properties.title = title
        for block in blocks:
            if isinstance(block, str):
                document.add_paragraph(block)
                continue
            table = document.add_table(rows=len(block), cols=len(block[0]))
            for r, row in enumerate(block):
                for c, value in enumerate(row):
                    table.cell(r, c).text = value
        path = tmp_path / name
        document.save(str(path))
        return path

    return make


@pytest.fixture
def install_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[InstallPlugin]:
    """Return ``install(dist, entry_points, modules)``: a fake installed distribution.

    It writes ``modules`` ({module name: source}) and a ``<dist>.dist-info`` folder with
    ``entry_points`` ({name: "module:attr"}) in the group ``gpt4all_rag.connectors`` into a
    folder put on sys.path, so ``importlib.metadata`` discovers it like an installed plugin.
    """
    created: list[str] = []
    site = tmp_path / "site-packages"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))

    def install(dist: str, entry_points: dict[str, str], modules: dict[str, str]) -> Path:
        for module, source in modules.items():
            (site / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
            created.append(module)
        info = site / f"{dist.replace('-', '_')}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n", encoding="utf-8"
        )
        lines = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
        (info / "entry_points.txt").write_text(
            f"[gpt4all_rag.connectors]\n{lines}", encoding="utf-8"
        )
        return site

    yield install
    for module in created:
        sys.modules.pop(module, None)
