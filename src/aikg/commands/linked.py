"""`aikg export`: write the whole graph in one RDF syntax, the same bytes as the served dumps."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from aikg.config import load_config
from aikg.errors import BadRequest
from aikg.graph.dumps import DUMP_FORMATS, write_dump
from aikg.ingest.load import open_store


@click.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(DUMP_FORMATS)),
    default=None,
    help="ttl, nt, jsonld, rdf (triples) or trig, nq (with the named graphs); "
    "guessed from the output file's extension, else nt.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    default="-",
    show_default=True,
    help="File to write ('-' for standard output).",
)
@click.option(
    "--data",
    "data",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Data files to load instead of the shipped ones (repeatable).",
)
@click.option("--no-validate", is_flag=True, help="Skip SHACL validation of the data.")
def export(fmt: str | None, output: Path, data: tuple[Path, ...], no_validate: bool) -> None:
    """Write the whole graph (data, ontology and entailments) as a dump."""
    if fmt is None:
        fmt = output.suffix.lstrip(".") if output.suffix.lstrip(".") in DUMP_FORMATS else "nt"
    elif str(output) != "-" and output.suffix not in ("", f".{fmt}"):
        raise BadRequest(f"{output}: the extension does not match --format {fmt}")
    overrides: dict[str, object] = {}
    if data:
        overrides["DATA"] = [str(p) for p in data]
    if no_validate:
        overrides["VALIDATE"] = False
    store = open_store(load_config(overrides))
    try:
        if str(output) == "-":
            write_dump(store, DUMP_FORMATS[fmt], sys.stdout.buffer)
            sys.stdout.buffer.flush()
        else:
            write_dump(store, DUMP_FORMATS[fmt], output)
    finally:
        store.close()


COMMANDS = [export]
