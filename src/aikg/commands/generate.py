"""`aikg generate`: write a synthetic graph shaped like the real one, for benchmarks and scale tests."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from aikg.errors import BadRequest
from aikg.ingest.generate import FORMATS
from aikg.ingest.generate import generate as generate_graph


@click.command("generate")
@click.option("--milestones", "-n", type=click.IntRange(min=1), required=True, help="How many milestones to make.")
@click.option("--seed", "-s", type=int, default=0, show_default=True, help="The same seed gives the same graph.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path), default="-",
              show_default=True, help="File to write ('-' for standard output).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="nt (N-Triples, the default) or ttl; guessed from the file extension when not given.")
def generate(milestones: int, seed: int, output: Path, fmt: str | None) -> None:
    """Write a synthetic graph of N milestones (eras, organisations, people, papers, models, measurements)."""
    if fmt is None:
        fmt = "ttl" if output.suffix == ".ttl" else "nt"
    elif str(output) != "-" and output.suffix not in ("", f".{fmt}"):
        raise BadRequest(f"{output}: the extension does not match --format {fmt}")
    if str(output) == "-":
        stats = generate_graph(sys.stdout, milestones, seed, fmt)
    else:
        with output.open("w", encoding="utf-8", buffering=1 << 20) as f:
            stats = generate_graph(f, milestones, seed, fmt)
    click.echo(
        f"{stats.triples} triples for {stats.milestones} milestones ({stats.triples_per_milestone:.1f} per milestone) "
        f"in {stats.seconds:.2f} s ({stats.triples_per_second:,.0f} triples/s)",
        err=True,
    )


COMMANDS = [generate]
