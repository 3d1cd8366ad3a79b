"""`aikg build`: turn the curators' TriG (one named graph per source) into the curated graph's Turtle."""

from __future__ import annotations

from pathlib import Path

import click

from aikg.errors import InvalidData

_DEFAULT_SOURCE = Path("curation/milestones.trig")
_DEFAULT_OUTPUT = Path("data/milestones.ttl")


@click.command("build")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=_DEFAULT_SOURCE)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=_DEFAULT_OUTPUT,
              show_default=True, help="The Turtle file to write.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 when the output file is not what SOURCE builds.")
def build(source: Path, output: Path, check: bool) -> None:
    """Build the curated graph from SOURCE (default: curation/milestones.trig).

    Every statement becomes an rdf:Statement naming the sources whose graphs hold it; only the best-ranked
    statements are asserted as plain triples.
    """
    from aikg.ingest.curation import build as build_graph

    built = build_graph(source)
    data = built.turtle()
    if check:
        if not output.exists() or output.read_bytes() != data:
            raise InvalidData(f"{output} is not what {source} builds: run `aikg build` and commit the result.")
        click.echo(f"{output} is up to date with {source}.")
        return
    output.write_bytes(data)
    click.echo(
        f"{output}: {len(built.triples):,} triples; {len(built.statements):,} statements from {built.sources} sources "
        f"({built.asserted:,} asserted, {len(built.statements) - built.asserted} ranked below another value, "
        f"{built.derived} derived)",
        err=True,
    )


COMMANDS = [build]
