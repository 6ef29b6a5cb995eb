"""The ``gpt4all-rag`` command: parses arguments, calls the library, renders the result."""

from __future__ import annotations

import contextlib
import json
import os
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from gpt4all_rag.config import (
    MIN_N_CTX,
    SETTING_NAMES,
    EmbeddingBackend,
    ExtraBuffers,
    Settings,
)
from gpt4all_rag.errors import EXIT_INTERRUPTED, GPT4AllRagError, from_validation_error

_FLAG_NAMES = {
    **SETTING_NAMES,
    "allowed_origins": "--allowed-origin",
    "allowed_hosts": "--allowed-host",
    "model": "--model",
}
"""How a user sets a field that a ValidationError names."""


_UsageError: type[Exception] = next(
    kind for kind in typer.BadParameter.__mro__ if kind.__name__ == "UsageError"
)
"""Click's usage error (typer vendors click in recent versions, so found through typer)."""


class _OneLineErrors(TyperGroup):
    """Ends a command on any error a user can cause with one line and its documented exit status
    (docs/cli.md), never a traceback; Ctrl-C ends with status 130."""

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().make_context(*args, **kwargs)
        except _UsageError as error:
            raise _usage_failure(error) from error

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort):
            raise  # a command's own ending (its message is printed)
        except _UsageError as error:
            raise _usage_failure(error) from error
        except KeyboardInterrupt:
            err_console.print("Interrupted.", highlight=False)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except (GPT4AllRagError, ValidationError) as error:
            raise fail(error) from error
        except Exception as error:
            told = _explain(error, ctx.invoked_subcommand or ctx.info_name or "gpt4all-rag")
            if told is None:
                raise
            raise fail(told) from error


def _usage_failure(error: Exception) -> typer.Exit:
    """A bad flag or argument in one line, with the command's --help to read."""
    context = getattr(error, "ctx", None)
    command = getattr(context, "command_path", None) or "gpt4all-rag"
    message = error.format_message() if hasattr(error, "format_message") else str(error)
    line = " ".join(message.split())
    err_console.print(
        f"[bold red]Error:[/] {escape(line)} (see: {escape(command)} --help)",
        highlight=False,
        soft_wrap=True,
    )
    return typer.Exit(2)


def _explain(error: Exception, command: str) -> GPT4AllRagError | None:
    """A full disk or a lost Chroma server, told in one line; None for anything else."""
    from gpt4all_rag.localdocs.failures import explain

    try:
        settings = run_settings()
    except Exception:
        return None
    return explain(
        error, home=settings.home, doing=f"running {command}", chroma_url=settings.chroma_url
    )


app = typer.Typer(
    name="gpt4all-rag",
    cls=_OneLineErrors,
    help="Chat with your own files on your own CPU, offline.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


@app.callback()
def main(
    ctx: typer.Context,
    home: Annotated[Path | None, typer.Option(help="Data home (models, collections).")] = None,
    chat_model: Annotated[
        str | None, typer.Option(help="Default chat model: name or GGUF path.")
    ] = None,
    embedding_model: Annotated[
        str | None, typer.Option(help="Embedding model: name or path.")
    ] = None,
    embedding_backend: Annotated[
        EmbeddingBackend | None,
        typer.Option(
            help="Embedding backend for new collections: onnx-int8 (default), onnx, torch "
            "or onnx-int8-v1."
        ),
    ] = None,
    threads: Annotated[int | None, typer.Option(min=1, help="CPU threads for generation.")] = None,
    n_ctx: Annotated[
        int | None, typer.Option(help=f"Context window in tokens (at least {MIN_N_CTX}).")
    ] = None,
    chroma_url: Annotated[
        str | None, typer.Option(help="Chroma server URL (default: embedded).")
    ] = None,
    llama_extra_buffers: Annotated[
        ExtraBuffers | None,
        typer.Option(
            help="llama.cpp extra buffer types (AMX, repacking): auto (off on AMX builds), on, off."
        ),
    ] = None,
) -> None:
    """Settings given here override the GPT4ALL_RAG_* environment variables."""
    values = {
        "home": home,
        "chat_model": chat_model,
        "embedding_model": embedding_model,
        "embedding_backend": embedding_backend,
        "n_threads": threads,
        "n_ctx": n_ctx,
        "chroma_url": chroma_url,
        "llama_extra_buffers": llama_extra_buffers,
    }
    token = _RUN.set(_Run({key: value for key, value in values.items() if value is not None}))
    ctx.call_on_close(lambda: _RUN.reset(token))


@dataclass
class _Run:
    """One command run: its global flags and the Settings built from them."""

    flags: dict[str, Any]
    built: Settings | None = field(default=None)


_RUN: ContextVar[_Run | None] = ContextVar("gpt4all_rag_cli_run", default=None)
"""The running command's flags; set by :func:`main` for the run only (never ``os.environ``)."""


def run_settings() -> Settings:
    """This run's one :class:`Settings`: the global flags over the ``GPT4ALL_RAG_*`` variables,
    built on first use and passed down to everything the command calls."""
    run = _RUN.get()
    if run is None:  # a command function called directly, outside the typer app
        run = _Run({})
        _RUN.set(run)
    if run.built is None:
        run.built = Settings(**run.flags)
    return run.built


def fail(error: Exception, code: int = 1) -> typer.Exit:
    """Print a user-facing error on one line and return the exit to raise.

    Args:
        error: The error; a pydantic ``ValidationError`` is told as the setting or flag at fault.
        code: Exit status for an error of another package; this package's errors carry theirs.
    """
    if isinstance(error, ValidationError):
        error = from_validation_error(error, _FLAG_NAMES)
    if isinstance(error, GPT4AllRagError):
        code = error.exit_code
    line = " ".join(str(error).split())
    err_console.print(f"[bold red]Error:[/] {escape(line)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def print_table(headers: list[str], rows: list[list[str]], out: Console | None = None) -> None:
    """A table that never cuts a cell: on a terminal long names and paths wrap inside their
    column; elsewhere (a pipe, a file) one tab-separated line per row, headers first."""
    out = out or console
    if not out.is_terminal:
        for row in [headers, *rows]:  # written as is: rich would expand the tabs
            out.file.write("\t".join(printable(cell) for cell in row) + "\n")
        return
    table = Table()
    for header in headers:
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*(_safe(cell) for cell in row))
    out.print(table, highlight=False)


def print_json(value: Any) -> None:
    """Print ``value`` as JSON on stdout, nothing else."""
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2))


@app.command()
def models(as_json: JsonFlag = False) -> None:
    """List the bundled default model and every GGUF file in the models folder."""
    from gpt4all_rag.llama.catalog import list_models

    try:
        entries = list_models(run_settings())
    except GPT4AllRagError as error:
        raise fail(error) from error
    if as_json:
        print_json(
            [
                entry.spec.to_dict()
                if entry.spec
                else {"path": str(entry.path), "error": entry.error}
                for entry in entries
            ]
        )
        return
    rows: list[list[str]] = []
    for entry in entries:
        if entry.spec is None:
            continue
        spec = entry.spec
        name = f"{spec.name} (default)" if spec.is_default else spec.name
        template = "yes" if spec.has_chat_template else "no (completion style)"
        size = f"{spec.size_bytes / 1e6:.0f} MB"
        rows.append(
            [
                name,
                spec.architecture,
                str(spec.context_length),
                template,
                spec.quantization,
                size,
                str(spec.path),
            ]
        )
    print_table(["name", "architecture", "context", "template", "quant", "size", "path"], rows)
    for entry in entries:
        if entry.error:
            err_console.print(f"[yellow]Skipped[/] {entry.error}", highlight=False)


@app.command()
def doctor(
    as_json: JsonFlag = False,
    no_live: Annotated[
        bool, typer.Option("--no-live", help="Skip the live checks (model, embeddings, Chroma).")
    ] = False,
) -> None:
    """Check this machine: versions, CPU, llama.cpp build, data home, and live checks of the
    chat model, the embeddings and Chroma, each in a child process so that a crash is reported.

    Exit status: 0 when every check passes, 1 otherwise.
    """
    from gpt4all_rag.diagnostics.doctor import run_doctor

    report = run_doctor(run_settings(), live=not no_live)
    if as_json:
        print_json(report.to_dict())
    else:
        _print_doctor(report)
    if not report.ok:
        raise typer.Exit(1)


def _print_doctor(report: Any) -> None:
    facts = report.facts
    packages = ", ".join(
        f"{name} {version or 'missing'}" for name, version in facts["packages"].items()
    )
    console.print(f"Python {facts['python']} on {facts['platform']}", highlight=False)
    console.print(
        f"CPU: {facts['cpu']} ({' '.join(facts['cpu_flags']) or 'flags unknown'})", highlight=False
    )
    console.print(f"Packages: {packages}", highlight=False)
    if "llama_system_info" in facts:
        console.print(f"llama.cpp: {facts['llama_system_info']}", highlight=False)
    console.print(f"Data home: {facts['home']}", highlight=False)
    for check in report.checks:
        mark = "[green]ok[/]  " if check.ok else "[bold red]FAIL[/]"
        console.print(f"{mark} {check.name}: {check.detail}", highlight=False)
        if check.fix:
            console.print(f"       fix: {check.fix}", highlight=False)
    verdict = "[green]All checks passed.[/]" if report.ok else "[bold red]Some checks failed.[/]"
    console.print(verdict)


# --- LocalDocs: index and collections -----------------------------------------------------------

CollectionOption = Annotated[
    str, typer.Option("--collection", "-c", help="Collection name (3-63 of a-z A-Z 0-9 . _ -).")
]
ChromaUrlOption = Annotated[
    str | None, typer.Option("--chroma-url", help="Chroma server URL (default: embedded).")
]


def _human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB"):
        if value < 1000:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


class _ProgressBar:
    """Renders indexing progress on stderr: files, chunks, embeddings/s and ETA."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("files · {task.fields[chunks]} chunks · {task.fields[rate]} emb/s"),
            TextColumn("· ETA {task.fields[eta]}"),
            console=err_console,
            transient=True,
        )
        self.task = self.progress.add_task("Scanning", total=None, chunks=0, rate="-", eta="-")

    def __call__(self, update: Any) -> None:
        eta = update.eta_seconds
        self.progress.update(
            self.task,
            description=update.phase.capitalize(),
            completed=update.files_done,
            total=update.files_total or None,
            chunks=update.chunks_embedded,
            rate=f"{update.embeddings_per_second:.0f}" if update.embeddings_per_second else "-",
            eta="-" if eta is None else f"{int(eta) // 60}:{int(eta) % 60:02d}",
        )


class _PlainProgress:
    """Progress as a plain line on stderr every few seconds, for logs and pipes (no bar).

    A run shorter than ``every`` seconds prints nothing.
    """

    def __init__(self, every: float = 5.0) -> None:
        import time

        self._clock = time.monotonic
        self._every = every
        self._next = self._clock() + every

    def __call__(self, update: Any) -> None:
        now = self._clock()
        if update.phase == "done" or now < self._next:
            return
        self._next = now + self._every
        total = f"/{update.files_total}" if update.files_total else ""
        rate = f", {update.embeddings_per_second:.0f} emb/s" if update.embeddings_per_second else ""
        eta = update.eta_seconds
        left = "" if eta is None else f", about {int(eta) // 60}:{int(eta) % 60:02d} left"
        err_console.print(
            f"{update.phase.capitalize()}: {update.files_done}{total} files, "
            f"{update.chunks_embedded} chunks embedded{rate}{left}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )


def _print_report(report: Any, collection: str) -> None:
    table = Table("added", "updated", "unchanged", "deleted", "failed", "chunks embedded")
    table.add_row(
        *(str(n) for n in (report.added, report.updated, report.unchanged, report.deleted)),
        str(len(report.failed)),
        str(report.chunks_embedded),
        style="red" if report.failed else None,
    )
    console.print(f"Collection [bold]{collection}[/] (files):", highlight=False)
    console.print(table)
    for failed in report.failed:
        err_console.print(
            f"[red]Failed[/] {_safe(failed.source)}: {escape(failed.error)}",
            highlight=False,
            soft_wrap=True,
        )
    _print_skipped(report.skipped)
    if report.spaceless_pages:
        count = sum(len(item.pages) for item in report.spaceless_pages)
        err_console.print(
            f"[yellow]Space-less text[/] on {count} page(s) of {len(report.spaceless_pages)} "
            "file(s): their words run together, so keyword search and answers may miss them.",
            highlight=False,
        )
        for item in report.spaceless_pages:
            err_console.print(
                f"  {_safe(item.source)}: {_page_ranges(item.pages)}",
                highlight=False,
                soft_wrap=True,
            )


def _print_skipped(skipped: list[Any], shown: int = 5) -> None:
    """Files no connector reads, one line per reason with the first few names."""
    by_reason: dict[str, list[str]] = {}
    for item in skipped:
        by_reason.setdefault(item.reason, []).append(item.source)
    for reason, sources in by_reason.items():
        names = ", ".join(_safe(_shown_path(source)) for source in sources[:shown])
        more = f", ... ({len(sources) - shown} more)" if len(sources) > shown else ""
        err_console.print(
            f"[yellow]Skipped[/] {len(sources)} file(s), {escape(reason)}: {names}{more}",
            highlight=False,
            soft_wrap=True,
        )


def printable(text: str) -> str:
    """Text with control characters escaped (``\\n``, ``\\x1b``), so that a file name cannot
    break a line, forge one, or send terminal escapes."""
    if text.isprintable():
        return text
    return "".join(
        char if char.isprintable() or char == " " else char.encode("unicode_escape").decode()
        for char in text
    )


def _safe(text: str) -> str:
    """Printable and free of rich markup."""
    return escape(printable(text))


def _page_ranges(pages: list[int], limit: int = 8) -> str:
    """``[1, 2, 3, 7]`` -> ``"pages 1-3, 7"``; past ``limit`` ranges, ``"... (N more)"``."""
    ranges: list[list[int]] = []
    for page in pages:
        if ranges and page == ranges[-1][1] + 1:
            ranges[-1][1] = page
        else:
            ranges.append([page, page])
    shown = [str(a) if a == b else f"{a}-{b}" for a, b in ranges[:limit]]
    more = sum(b - a + 1 for a, b in ranges[limit:])
    return (
        ("page " if len(pages) == 1 else "pages ")
        + ", ".join(shown)
        + (f", ... ({more} more)" if more else "")
    )


@app.command()
def index(
    paths: Annotated[list[Path], typer.Argument(help="Files and folders to index.")],
    collection: CollectionOption = "default",
    include: Annotated[
        list[str] | None, typer.Option("--include", help="Glob files must match (repeatable).")
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude", help="Glob of files/folders to skip.")
    ] = None,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Drop the collection and index from scratch.")
    ] = False,
    chunk_tokens: Annotated[
        int | None, typer.Option(min=16, help="Chunk size in embedding tokens (new collections).")
    ] = None,
    overlap_tokens: Annotated[
        int | None, typer.Option(min=0, help="Overlap between chunks in tokens.")
    ] = None,
    max_file_size: Annotated[
        float | None, typer.Option(min=0, help="Skip files larger than this many MB.")
    ] = None,
    chroma_url: ChromaUrlOption = None,
    watch: Annotated[
        bool,
        typer.Option(
            "--watch", help="Then keep watching: index changes as they happen (Ctrl-C stops)."
        ),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Index files into a collection: only new and changed chunks are embedded.

    Exit status: 0 when every file was indexed, 1 when some failed (the rest is indexed),
    2 when the run could not start (bad name or path, locked or mismatched collection).
    With --watch, the command keeps running and exits 0 on Ctrl-C.
    """
    from gpt4all_rag.localdocs import LocalDocs
    from gpt4all_rag.localdocs.splitting import SplitSettings

    try:
        split = None
        if chunk_tokens is not None or overlap_tokens is not None:
            fields = {"chunk_tokens": chunk_tokens, "overlap_tokens": overlap_tokens}
            split = SplitSettings(**{k: v for k, v in fields.items() if v is not None})
        docs = LocalDocs(
            collection,
            settings=run_settings(),
            chroma_url=chroma_url,
            split_settings=split,
            max_file_size=None if max_file_size is None else int(max_file_size * 1e6),
        )
        options: dict[str, Any] = {
            "include": include or (),
            "exclude": exclude or (),
            "rebuild": rebuild,
        }
        if as_json or not err_console.is_terminal:
            report = docs.index(paths, progress=_PlainProgress(), **options)
        else:
            bar = _ProgressBar()
            with bar.progress:
                report = docs.index(paths, progress=bar, **options)
    except (GPT4AllRagError, ValidationError) as error:
        raise fail(error, 2) from error
    except KeyboardInterrupt:
        raise _stopped_indexing(collection, chroma_url) from None
    from gpt4all_rag.localdocs.watching import remember_folders

    remember_folders(docs, paths, watched=True if watch else None)  # the page can re-index it
    if as_json:
        # skipped and spaceless_pages appear only when not empty (docs/cli.md)
        hidden = {key for key in ("skipped", "spaceless_pages") if not getattr(report, key)}
        print_json(report.model_dump(mode="json", exclude=hidden or None))
    else:
        _print_report(report, collection)
    if watch:
        _watch(docs, paths, options, as_json)
    elif report.failed:
        raise typer.Exit(1)


def _watch(docs: Any, paths: list[Path], options: dict[str, Any], as_json: bool) -> None:
    """``index --watch``: index again after each batch of changes, until Ctrl-C."""
    from gpt4all_rag.localdocs.watching import keep_indexed

    def ran(changed: set[str], report: Any, error: Exception | None) -> None:
        if as_json:
            result = report.model_dump(mode="json") if report else {"error": str(error)}
            typer.echo(json.dumps({"changed": sorted(changed), **result}, ensure_ascii=False))
        elif error is not None:
            err_console.print(f"[bold red]Error:[/] {error}", highlight=False)
        else:
            _print_report(report, docs.name)

    if not as_json:
        shown = ", ".join(str(path) for path in paths)
        err_console.print(f"Watching {shown} for changes (Ctrl-C to stop)...", highlight=False)
    options = {key: value for key, value in options.items() if key != "rebuild"}
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C ends the watch, not an error
        keep_indexed(docs, paths, ran, **options)


def _stopped_indexing(collection: str, chroma_url: str | None) -> typer.Exit:
    """After Ctrl-C: what the collection kept, and how to resume."""
    from gpt4all_rag.localdocs import LocalDocs

    try:
        info = LocalDocs(collection, settings=run_settings(), chroma_url=chroma_url).info()
        kept = f"keeps the {info.files} file(s) ({info.chunks} chunks) indexed before the stop"
    except GPT4AllRagError:
        kept = "was not created"
    err_console.print(
        f"Stopped. Collection {collection!r} {kept}; run the same command again to resume "
        f"(files already indexed are not read again).",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    return typer.Exit(EXIT_INTERRUPTED)


collections_app = typer.Typer(
    help="List collections, or remove one.", invoke_without_command=True, no_args_is_help=False
)
app.add_typer(collections_app, name="collections")


@collections_app.callback()
def collections(
    ctx: typer.Context, chroma_url: ChromaUrlOption = None, as_json: JsonFlag = False
) -> None:
    """List collections: files, chunks, embedding model, size on disk."""
    if ctx.invoked_subcommand is not None:
        return
    from gpt4all_rag.localdocs import LocalDocs

    try:
        infos = LocalDocs.list_collections(settings=run_settings(), chroma_url=chroma_url)
    except GPT4AllRagError as error:
        raise fail(error, 2) from error
    if as_json:
        print_json([info.model_dump(mode="json") for info in infos])
        return
    if not infos:
        console.print("No collections yet. Create one with: gpt4all-rag index PATH -c NAME")
        return
    rows: list[list[str]] = []
    for info in infos:
        files = f"{info.files}" + (f" ({info.failed_files} failed)" if info.failed_files else "")
        name = info.name + (" (interrupted)" if info.interrupted else "")
        chunking = f"{info.chunk_tokens}/{info.overlap_tokens}" if info.chunk_tokens else "-"
        rows.append(
            [
                name,
                files,
                str(info.chunks),
                info.embedding_model,
                chunking,
                _human_size(info.size_bytes),
                info.location,
            ]
        )
    headers = ["name", "files", "chunks", "embedding model", "chunking", "size", "location"]
    print_table(headers, rows)


@collections_app.command("remove")
def collections_remove(
    name: Annotated[str, typer.Argument(help="Collection to delete.")],
    chroma_url: ChromaUrlOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Delete a collection's vectors, ledger and keyword index (your files are not touched)."""
    from gpt4all_rag.localdocs import LocalDocs

    try:
        LocalDocs(name, settings=run_settings(), chroma_url=chroma_url).remove()
    except GPT4AllRagError as error:
        raise fail(error, 2) from error
    if as_json:
        print_json({"removed": name})
    else:
        console.print(f"Removed collection [bold]{name}[/].", highlight=False)


# --- ask, search, chat: answers from a collection -----------------------------------------------

KOption = Annotated[int, typer.Option("-k", min=1, help="Chunks to retrieve at most.")]
ModelOption = Annotated[
    str | None, typer.Option("--model", "-m", help="Chat model: name or GGUF path.")
]
QuestionArgument = Annotated[str, typer.Argument(help="Your question, in quotes.")]


def _open_collection(collection: str, chroma_url: str | None) -> Any:
    """The collection, checked: it exists and matches the session's embedding model."""
    from gpt4all_rag.localdocs import LocalDocs

    docs = LocalDocs(collection, settings=run_settings(), chroma_url=chroma_url)
    docs.check_embeddings()
    if docs.is_empty:
        err_console.print(
            f"Collection {collection!r} is empty: no file in it has text yet. Add files with: "
            f"gpt4all-rag index PATH --collection {collection}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    return docs


def _answer_chain(collection: str, k: int, model: str | None, chroma_url: str | None) -> Any:
    from gpt4all_rag.chat_models import ChatGPT4All
    from gpt4all_rag.rag import AnswerChain

    docs = _open_collection(collection, chroma_url)
    llm = ChatGPT4All(model=model, temperature=0, max_tokens=256, settings=run_settings())
    return AnswerChain(docs.as_retriever(k=k), llm)


def _shown_path(source: str) -> str:
    """A source path relative to the working directory when it is under it."""
    try:
        return str(Path(source).relative_to(Path.cwd()))
    except ValueError:
        return source


def _location(source: str, page: int | None) -> str:
    """``path:page`` as printed: relative when under the working directory, control characters
    escaped."""
    shown = printable(_shown_path(source))
    return f"{shown}:{page}" if page is not None else shown


def _print_sources(answer: Any) -> None:
    from rich.markup import escape

    if not answer.sources:
        return
    console.print("\nSources:", style="bold")
    for number, source in enumerate(answer.sources, start=1):
        mark = "[green]cited[/]" if source.cited else "[dim]not cited[/]"
        console.print(
            f"  [{number}] {escape(_location(source.source, source.page))}  {mark}",
            highlight=False,
            markup=True,
        )
        if source.quote and source.quote not in answer.answer:
            console.print(f"      “{escape(source.quote)}”", highlight=False, style="italic")


def _stream_answer(items: Any) -> Any:
    """Print streamed text as it comes; return the final Answer."""
    from gpt4all_rag.rag import Answer

    answer = None
    for item in items:
        if isinstance(item, Answer):
            answer = item
        else:
            typer.echo(item, nl=False)
    typer.echo()
    return answer


SCORE_DECIMALS = 4
"""Scores in JSON are rounded to this many decimals (more is float noise)."""


def _rounded(score: Any) -> float | None:
    return None if score is None else round(float(score), SCORE_DECIMALS)


def _answer_json(answer: Any) -> dict[str, Any]:
    return {
        "answer": answer.answer,
        "basis": answer.basis,
        "sources": [
            {
                "source": s.source,
                "page": s.page,
                "score": _rounded(s.score),
                "cited": s.cited,
                "quote": s.quote,
                "snippet": s.snippet,
            }
            for s in answer.sources
        ],
    }


@app.command()
def ask(
    question: QuestionArgument,
    collection: CollectionOption = "default",
    k: KOption = 4,
    model: ModelOption = None,
    chroma_url: ChromaUrlOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Answer a question from a collection: streams the answer, then its sources as path:page.

    Exit status: 0 on an answer (including "your files do not contain it"), 2 on an empty or
    too long question, an unknown collection or one indexed with another embedding model.
    """
    from gpt4all_rag.errors import EmptyQuestionError

    try:
        if not question.strip():
            raise EmptyQuestionError()
        chain = _answer_chain(collection, k, model, chroma_url)
        if as_json:
            print_json(_answer_json(chain.invoke(question)))
            return
        answer = _stream_answer(chain.stream(question))
    except GPT4AllRagError as error:
        raise fail(error, 2) from error
    _print_sources(answer)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    collection: CollectionOption = "default",
    k: KOption = 4,
    chroma_url: ChromaUrlOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Retrieval alone: the best chunks for a query (dense + keyword, fused), best first."""
    from gpt4all_rag.errors import EmptyQuestionError

    try:
        if not query.strip():
            raise EmptyQuestionError()
        documents = _open_collection(collection, chroma_url).as_retriever(k=k).invoke(query)
    except GPT4AllRagError as error:
        raise fail(error, 2) from error
    results = [
        {
            "source": str(d.metadata.get("source", "")),
            "page": d.metadata.get("page"),
            "score": _rounded(d.metadata.get("score", 0.0)),
            "snippet": " ".join(d.page_content.split()),
        }
        for d in documents
    ]
    if as_json:
        print_json({"results": results})
        return
    if not results:
        console.print("Nothing relevant found (no chunk passed the relevance floor).")
        return
    from rich.markup import escape

    for number, result in enumerate(results, start=1):
        text = result["snippet"]
        text = text if len(text) <= 160 else text[:160] + " …"
        location = escape(_location(result["source"], result["page"]))
        console.print(f"[{number}] {result['score']:.3f}  [bold]{location}[/]", highlight=False)
        console.print(f"    {escape(text)}", highlight=False, soft_wrap=True)


@app.command()
def chat(
    collection: CollectionOption = "default",
    k: KOption = 4,
    model: ModelOption = None,
    chroma_url: ChromaUrlOption = None,
) -> None:
    """Chat with a collection: follow-up questions, streamed answers.

    Commands: /sources (the last answer's sources), /reset (forget the conversation),
    /quit (or Ctrl-D).
    """
    from gpt4all_rag.rag.chat_session import ChatSession

    try:
        session = ChatSession(_answer_chain(collection, k, model, chroma_url))
    except GPT4AllRagError as error:
        raise fail(error, 2) from error
    console.print(
        f"Chatting with collection [bold]{collection}[/]. Commands: /sources, /reset, /quit.",
        highlight=False,
    )
    while True:
        try:
            line = input("> ").strip()
        except EOFError:
            typer.echo()
            return
        except KeyboardInterrupt:
            typer.echo()
            console.print("(Ctrl-D or /quit ends the chat)", highlight=False)
            continue
        if not line:
            continue
        if line in ("/quit", "/exit", "/q"):
            return
        if line == "/reset":
            session.reset()
            console.print("Conversation cleared.")
        elif line == "/sources":
            if session.last_answer is None or not session.last_answer.sources:
                console.print("No sources yet.")
            else:
                _print_sources(session.last_answer)
        elif line.startswith("/"):
            console.print("Unknown command. Commands: /sources, /reset, /quit.")
        else:
            _answer_in_chat(session, line)


def _answer_in_chat(session: Any, question: str) -> None:
    """Stream one answer; Ctrl-C stops this answer only (the conversation goes on without it),
    and an error is printed, not fatal."""
    items = session.ask(question)
    try:
        _stream_answer(items)
    except KeyboardInterrupt:
        typer.echo()
        console.print(
            "(answer stopped; the conversation goes on without it)", highlight=False, markup=False
        )
    except GPT4AllRagError as error:
        err_console.print(
            f"[bold red]Error:[/] {escape(str(error))}", highlight=False, soft_wrap=True
        )
    finally:
        items.close()


# --- serve: the OpenAI-compatible server and the web page ---------------------------------------


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on; anything but loopback needs --api-key.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 4891,
    api_key: Annotated[
        str | None,
        typer.Option(
            envvar="GPT4ALL_RAG_API_KEY",
            help="Bearer key every /v1 request must carry (at least 8 characters).",
        ),
    ] = None,
    allowed_origin: Annotated[
        list[str] | None,
        typer.Option(help="Web origin allowed to call the API (CORS), e.g. http://localhost:3000."),
    ] = None,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(help="Extra name accepted in the Host header (e.g. my-pc.lan)."),
    ] = None,
    max_body_bytes: Annotated[
        int, typer.Option(min=1024, help="Largest request body in bytes.")
    ] = 1_048_576,
    max_tokens_limit: Annotated[
        int, typer.Option(min=1, help="Largest max_tokens a request may ask for.")
    ] = 2048,
    default_max_tokens: Annotated[
        int, typer.Option(min=1, help="Reply budget of a request that gives no max_tokens.")
    ] = 512,
    max_waiting: Annotated[
        int, typer.Option(min=1, help="Requests that may wait for one model; more get 503.")
    ] = 64,
    queue_timeout: Annotated[
        float, typer.Option(min=1, help="Seconds a request may wait for its model (then 503).")
    ] = 600.0,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    watch: Annotated[
        bool,
        typer.Option(
            "--watch",
            help="Watch the folders of every collection whose folders are known, and index "
            "changes as they happen (the page can also watch collections one by one).",
        ),
    ] = False,
) -> None:
    """Serve the OpenAI-compatible API (/v1) and the web chat page (/) on this machine."""
    # Idle OpenMP threads (llama.cpp, torch) sleep instead of spinning: a server shares the CPU
    # with other programs, and spinning threads slowed generation several-fold on a busy machine.
    # Read when the OpenMP runtime loads, so set before any model; a user's own value wins.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from gpt4all_rag.server.settings import is_loopback

    if not is_loopback(host) and not api_key:
        err_console.print(
            f"[bold red]Error:[/] Refusing to listen on {host} without an API key: anyone on "
            "the network could use your models and read your collections. Pass --api-key KEY "
            "(or set GPT4ALL_RAG_API_KEY), or listen on 127.0.0.1.",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(2)
    try:
        import uvicorn

        from gpt4all_rag.server import ServerSettings, create_app

        server_settings = ServerSettings(
            host=host,
            port=port,
            api_key=api_key,  # type: ignore[arg-type]  # pydantic turns str into SecretStr
            allowed_origins=allowed_origin or [],
            allowed_hosts=allowed_host or [],
            max_body_bytes=max_body_bytes,
            max_tokens_limit=max_tokens_limit,
            default_max_tokens=default_max_tokens,
            max_waiting=max_waiting,
            queue_timeout=queue_timeout,
            watch=watch,
        )
        application = create_app(server_settings, library=run_settings())
    except (GPT4AllRagError, ValidationError) as error:
        raise fail(error, 2) from error
    shown = f"[{host}]" if ":" in host else host
    console.print(
        f"Serving on [bold]http://{shown}:{port}[/]: web page at /, OpenAI API at /v1"
        + (" (API key required)" if api_key else ""),
        highlight=False,
    )
    uvicorn.run(
        application,
        host=host,
        port=port,
        log_level=log_level,
        server_header=False,
        timeout_graceful_shutdown=5,
    )


# --- eval: retrieval and answer quality over a QA file ------------------------------------------


def _print_eval(report: Any) -> None:
    def share(value: float | None) -> str:
        return "-" if value is None else f"{value:.3f}"

    table = Table(
        "answerable", "hit@1", "hit@5", f"MRR@{report.depth}", "file@5", "page±1@5", "refused"
    )
    table.add_row(
        str(report.answerable),
        share(report.hit_at_1),
        share(report.hit_at_5),
        share(report.mrr),
        share(report.file_hit_at_5),
        share(report.page_hit_at_5),
        share(report.refused_answerable),
    )
    console.print(
        f"Collection [bold]{report.collection}[/], {report.mode} retrieval:", highlight=False
    )
    if report.answerable:
        console.print(table)
    if report.answer_accuracy is not None or report.cited:
        console.print(
            f"Answer accuracy {share(report.answer_accuracy)}, citation precision "
            f"{share(report.citation_precision)}"
            + (f" ({report.cited_gold}/{report.cited})" if report.cited else ""),
            highlight=False,
        )
    if report.answer_chars_median is not None:
        console.print(
            f"Right answers citing a gold source {share(report.gold_cited_when_right)}, "
            f"empty answers {report.empty_answers}, answer length median "
            f"{report.answer_chars_median:.0f} / longest {report.answer_chars_max} characters",
            highlight=False,
        )
    if report.unanswerable:
        console.print(
            f"Unanswerable: {report.unanswerable}, refused (nothing retrieved): "
            f"{share(report.refused_unanswerable)}",
            highlight=False,
        )
    for result in report.results:
        if result.unanswerable:
            if not result.refused:
                got = ", ".join(Path(c.source).name for c in result.retrieved[:3])
                console.print(
                    f"[yellow]Answered[/] (unanswerable) {result.question} -> {got}",
                    highlight=False,
                )
        elif result.rank is None or result.rank > 5:
            got = ", ".join(
                f"{Path(c.source).name}:{c.page}" if c.page else Path(c.source).name
                for c in result.retrieved[:3]
            )
            where = (
                "refused"
                if result.refused
                else "not retrieved"
                if result.rank is None
                else f"rank {result.rank}"
            )
            console.print(
                f"[yellow]Missed[/] ({where}) {result.question} -> {got or 'nothing'}",
                highlight=False,
            )


@app.command("eval")
def eval_command(
    qa_file: Annotated[
        Path,
        typer.Argument(
            help="QA file: JSON Lines of question, answer_contains, source, pages "
            "(or question, unanswerable: true)."
        ),
    ],
    collection: CollectionOption = "default",
    mode: Annotated[
        Literal["hybrid", "dense", "keyword"], typer.Option(help="Retrieval mode.")
    ] = "hybrid",
    k: Annotated[int, typer.Option("-k", min=1, help="Chunks given to the model per answer.")] = 4,
    no_answer: Annotated[
        bool, typer.Option("--no-answer", help="Retrieval figures only (no generation: fast).")
    ] = False,
    no_floor: Annotated[
        bool, typer.Option("--no-floor", help="Turn off the retriever's relevance floor.")
    ] = False,
    chroma_url: ChromaUrlOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Score a collection on a QA file: hit@1/5, MRR, file and page hit@5, refusals, answers.

    Exit status: 0 when the evaluation ran, 2 when it could not start (bad QA file, unknown
    collection, other embedding model).
    """
    from gpt4all_rag.localdocs import LocalDocs
    from gpt4all_rag.rag.evaluation import evaluate_collection, load_qa

    try:
        total = len(load_qa(qa_file))
        docs = LocalDocs(collection, settings=run_settings(), chroma_url=chroma_url)
        if as_json:
            report = evaluate_collection(
                qa_file, docs, mode=mode, answers=not no_answer, k=k, floor=not no_floor
            )
        else:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            with Progress(
                TextColumn("[bold]Evaluating"),
                BarColumn(),
                MofNCompleteColumn(),
                console=err_console,
                transient=True,
            ) as bar:
                task = bar.add_task("eval", total=total)
                report = evaluate_collection(
                    qa_file,
                    docs,
                    mode=mode,
                    answers=not no_answer,
                    k=k,
                    floor=not no_floor,
                    progress=lambda index, _: bar.update(task, completed=index + 1),
                )
    except GPT4AllRagError as error:
        raise fail(error, 2) from error
    if as_json:
        print_json(report.model_dump(mode="json"))
    else:
        _print_eval(report)
