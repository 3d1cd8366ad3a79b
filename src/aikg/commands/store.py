"""`aikg load` and `aikg publish`: put the validated graph into an on-disk store or a remote SPARQL store."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from aikg.config import load_config
from aikg.ingest.files import Source, data_paths, ontology_paths, shapes_paths, sources

_files = click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
_no_validate = click.option("--no-validate", is_flag=True, help="Skip SHACL validation (the data is trusted).")
_shapes = click.option("--shapes", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
                       help="SHACL shapes files (default: the shipped shapes).")
_engine = click.option(
    "--engine", type=click.Choice(["fast", "pyshacl"]), default="fast", show_default=True,
    help="SHACL engine: the compiled validator (it reports what pyshacl reports on every test fixture, "
    "tens of times faster: right for large loads) or pyshacl, the reference.",
)
_ontology = click.option("--ontology", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
                         help="Ontology files (default: the shipped ontology).")


def _prepare(
    files: Sequence[Path], ontology: Sequence[Path], shapes: Sequence[Path], validate: bool, engine: str = "fast"
) -> list[Source]:
    """Name the sources and validate them first: invalid data stops here, before any store is touched."""
    settings = load_config({"DATA": [str(f) for f in files] or None, "ONTOLOGY": [str(o) for o in ontology] or None,
                            "SHAPES": [str(s) for s in shapes] or None})
    data, onto = data_paths(settings), ontology_paths(settings)
    if validate:
        from aikg.ingest.validate import check

        err = Console(stderr=True)
        with err.status("Validating against the shapes..."):
            check(data, shapes_paths(settings), onto, engine=engine)
    return sources(data, onto)


@contextmanager
def _bar(total_bytes: int, label: str) -> Iterator[tuple[Progress, TaskID]]:
    columns = (
        TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[triples]:>12,} triples"), TextColumn("{task.fields[rate]:>9,.0f} triples/s"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True)) as progress:
        task = progress.add_task(label, total=total_bytes or 1, triples=0, rate=0.0)
        yield progress, task


def _load_progress(progress: Progress, task: TaskID) -> Callable[[Source, int, int], None]:
    """Return a loader callback that advances the bar by bytes and shows the triples (lines) read per second."""
    done: dict[Path, tuple[int, int]] = {}
    started = time.perf_counter()
    last = [0.0]

    def update(src: Source, nbytes: int, lines: int) -> None:
        done[src.path] = (nbytes, lines)
        now = time.perf_counter()
        if now - last[0] < 0.1:
            return
        last[0] = now
        total_bytes = sum(b for b, _ in done.values())
        triples = sum(n for _, n in done.values())
        progress.update(task, completed=total_bytes, triples=triples, rate=triples / max(now - started, 1e-6),
                        description=src.path.name)

    return update


@click.command("load")
@_files
@click.option("--store", "store", type=click.Path(file_okay=False, path_type=Path), envvar="AIKG_STORE", required=True,
              help="The store directory (versions/ and the `current` symlink live there).")
@_no_validate
@_engine
@_shapes
@_ontology
@click.option("--keep", type=click.IntRange(min=1), default=2, show_default=True,
              help="Versions to keep, the live one included.")
def load(files: tuple[Path, ...], store: Path, no_validate: bool, engine: str, shapes: tuple[Path, ...],
         ontology: tuple[Path, ...], keep: int) -> None:
    """Validate FILES (default: the shipped data), bulk-load them into a new version and switch to it atomically."""
    from aikg.ingest.load import load as load_store

    srcs = _prepare(files, ontology, shapes, not no_validate, engine)
    total = sum(s.path.stat().st_size for s in srcs)
    with _bar(total, "loading") as (progress, task):
        result = load_store(store, srcs, progress=_load_progress(progress, task), keep=keep,
                            phase=lambda name: progress.update(task, completed=total, description=name))
        progress.update(task, completed=total, triples=result.info.triples, rate=result.triples_per_second)
    was = f" (was {result.previous})" if result.previous else ""
    click.echo(
        f"Loaded {result.info.triples:,} triples in {result.seconds:.1f} s "
        f"({result.triples_per_second:,.0f} triples/s); {store}/current -> {result.path.name}{was}",
        err=True,
    )


@click.command("publish")
@_files
@click.option("--endpoint", required=True, envvar="AIKG_ENDPOINT", help="The store's SPARQL query endpoint.")
@click.option("--update-endpoint", envvar="AIKG_UPDATE_ENDPOINT",
              help="Its SPARQL update endpoint (default: guessed, /query -> /update).")
@click.option("--graph", help="Put everything into this one named graph (default: one graph per file, as embedded).")
@click.option("--graph-store",
              help="Its Graph Store Protocol URL (default: tried at /store, /data and /sparql-graph-crud).")
@click.option("--sparql-update-only", is_flag=True,
              help="Upload with INSERT DATA even where the Graph Store Protocol works.")
@click.option("--batch-bytes", type=click.IntRange(min=1024), default=1 << 20, show_default=True,
              help="Bytes of N-Triples per upload request (SPARQL Update requests also hold at most the store's "
                   "own limit of triples).")
@click.option("--dialect", envvar="AIKG_STORE_DIALECT", type=click.Choice(["auto", "oxigraph", "virtuoso", "sparql11"]),
              default="auto", show_default=True, help="The kind of store (detected from its answers by default).")
@click.option("--timeout", type=float, default=300.0, show_default=True, help="Seconds to wait for each request.")
@_no_validate
@_engine
@_shapes
@_ontology
def publish(files: tuple[Path, ...], endpoint: str, update_endpoint: str | None, graph: str | None,
            graph_store: str | None, sparql_update_only: bool, batch_bytes: int, dialect: str, timeout: float,
            no_validate: bool,
            engine: str, shapes: tuple[Path, ...], ontology: tuple[Path, ...]) -> None:
    """Validate FILES (default: the shipped data) and publish them to a SPARQL store, replacing the old version."""
    from aikg.ingest.publish import publish as publish_graph

    srcs = _prepare(files, ontology, shapes, not no_validate, engine)
    with _bar(1, "uploading") as (progress, task):
        started = time.perf_counter()

        def uploaded(sent: int, total: int) -> None:
            progress.update(task, total=total, completed=sent, triples=sent,
                            rate=sent / max(time.perf_counter() - started, 1e-6))

        result = publish_graph(
            srcs, endpoint, update_endpoint=update_endpoint, graph=graph, graph_store=graph_store,
            use_graph_store=not sparql_update_only, batch_bytes=batch_bytes, timeout=timeout, uploaded=uploaded,
            dialect=None if dialect == "auto" else dialect,
        )
    was = f" (replacing {result.previous})" if result.previous else ""
    click.echo(
        f"Published version {result.version}{was}: {result.triples:,} triples in {len(result.graphs)} graphs "
        f"by {result.method} in {result.seconds:.1f} s",
        err=True,
    )


COMMANDS = [load, publish]
