"""`aikg serve`: validate the data and serve the site and the SPARQL endpoint (granian front, engine processes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--workers", "-w", type=click.IntRange(min=1), default=None,
              help="Web processes (default: one per core, at least two); queries run in AIKG_ENGINES engine processes.")
@click.option("--data", "data", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A data file to serve (repeat for several; default: the shipped data).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Query time limit in seconds (default: QUERY_TIMEOUT, 30); past it a query gets 503.")
@click.option("--store", type=click.Path(path_type=Path), default=None, help="Serve an on-disk store instead of files.")
@click.option("--endpoint", default=None, help="Serve a remote SPARQL 1.1 endpoint instead of local data.")
@click.option("--update-endpoint", default=None, help="The remote store's SPARQL Update endpoint.")
@click.option("--watch", is_flag=True, default=False,
              help="With --store: switch to each new version that `aikg load` makes, without dropping requests.")
@click.option("--no-validate", is_flag=True, default=False, help="Skip the SHACL validation of the data.")
def serve(host: str, port: int, workers: int | None, data: tuple[Path, ...], timeout: float | None,
          store: Path | None, endpoint: str | None, update_endpoint: str | None, watch: bool,
          no_validate: bool) -> None:
    """Validate the data, then serve the site and the SPARQL endpoint (see the README's "Serving")."""
    from aikg.serving.server import serve as run_server

    overrides: dict[str, Any] = {}
    if data:
        overrides["DATA"] = [str(p) for p in data]
    if timeout is not None:
        overrides["QUERY_TIMEOUT"] = timeout
    if store is not None:
        overrides["STORE"] = str(store)
    if endpoint:
        overrides["ENDPOINT"] = endpoint
    if update_endpoint:
        overrides["UPDATE_ENDPOINT"] = update_endpoint
    if watch:
        if store is None:
            raise click.UsageError("--watch follows an on-disk store's versions: give --store PATH too.")
        overrides["WATCH"] = True
    if no_validate:
        overrides["VALIDATE"] = False
    run_server(overrides, host=host, port=port, workers=workers, announce=lambda line: click.echo(line))


COMMANDS = [serve]
