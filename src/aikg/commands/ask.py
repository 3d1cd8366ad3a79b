"""`aikg ask`: run a named query from the shell; one subcommand per .rq file, its options from the header."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Sequence
from typing import Any

import click

from aikg.config import load_config
from aikg.errors import BadRequest
from aikg.graph import catalogue as cat
from aikg.ingest.load import open_store
from aikg.namespaces import curie
from aikg.store import Solutions, Store


def _open(data: Sequence[str]) -> Store:
    settings = load_config()
    if data:
        settings = settings.with_overrides({"DATA": list(data), "ENDPOINT": None, "STORE": None})
    if "AIKG_VALIDATE" not in os.environ:
        # Asking is reading; `aikg validate` is where data gets checked.
        settings = settings.with_overrides({"VALIDATE": False})
    return open_store(settings)


def _text(term: Any) -> str:
    if term is None:
        return ""
    value = getattr(term, "value", str(term))
    return curie(value) if term.__class__.__name__ == "NamedNode" else value


def render_table(result: Solutions) -> str:
    """Lay out solutions as aligned plain-text columns, IRIs shortened to CURIEs."""
    header = result.variables
    rows = [[_text(t) for t in row] for row in result.rows]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]
    widths = [min(w, 60) for w in widths]

    def line(cells: Sequence[str]) -> str:
        fitted = ((c if len(c) <= w else c[: w - 1] + "…").ljust(w) for c, w in zip(cells, widths, strict=True))
        return "  ".join(fitted).rstrip()

    out = [line(header), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    return "\n".join(out)


def _render(query: cat.NamedQuery, binding: cat.Binding, result: Solutions, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(cat.answer_json(query, binding, result), ensure_ascii=False, indent=2)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(result.variables)
        writer.writerows([["" if t is None else t.value for t in row] for row in result.rows])
        return buf.getvalue().rstrip("\n")
    return render_table(result)


def _option(p: cat.Parameter) -> click.Option:
    flag = "--" + p.name.replace("_", "-")
    what = f"{p.description}"
    if p.example:
        what += f" Example: {p.example}."
    if p.kind == "boolean":
        default = (p.default or "false").lower() in ("true", "1", "yes", "on")
        negative = "--no-" + p.name.replace("_", "-")
        return click.Option([f"{flag}/{negative}", p.name], default=default, show_default=True, help=what)
    metavar = {"iri": "LABEL|IRI", "year": "YEAR", "integer": "N", "date": "DATE", "string": "TEXT"}[p.kind]
    return click.Option(
        [flag, p.name],
        metavar=metavar,
        multiple=p.repeat,
        required=False,  # checked by the catalogue, which names the parameter and gives an example
        default=None if p.repeat or p.default is None else p.default,
        show_default=p.default is not None,
        help=what + (" (required)" if p.required else "") + (" (repeatable)" if p.repeat else ""),
    )


def _command(query: cat.NamedQuery) -> click.Command:
    def run(**kwargs: Any) -> None:
        fmt, show, data = kwargs.pop("output_format"), kwargs.pop("show_query"), kwargs.pop("data")
        given: dict[str, list[str]] = {}
        for p in query.parameters:
            value = kwargs.get(p.name)
            if value is None or value == ():
                continue
            if isinstance(value, bool):
                given[p.name] = ["true" if value else "false"]
            else:
                given[p.name] = [str(v) for v in value] if isinstance(value, tuple) else [str(value)]
        store = _open(data)
        try:
            binding = query.bind(store, given)
            if show:
                click.echo(query.instantiate(binding))
                return
            result = query.run(store, binding)
        except BadRequest as e:
            candidates = e.details.get("candidates") if isinstance(e.details, dict) else None
            for c in candidates or []:
                click.echo(f"  candidate: {c['label']}  <{c['iri']}>", err=True)
            raise
        finally:
            store.close()
        click.echo(_render(query, binding, result, fmt))

    params: list[click.Parameter] = [_option(p) for p in query.parameters]
    params += [
        click.Option(["--format", "output_format"], type=click.Choice(["table", "csv", "json"]), default="table",
                     show_default=True, help="How to print the answer."),
        click.Option(["--show-query", "show_query"], is_flag=True,
                     help="Print the SPARQL with the parameters bound, and stop."),
        click.Option(["--data", "data"], multiple=True, type=click.Path(exists=True, dir_okay=False),
                     help="Query these RDF files instead of the configured store (repeatable)."),
    ]
    return click.Command(query.name, callback=run, params=params, help=f"{query.title}\n\n{query.description}",
                         short_help=query.title)


class _AskGroup(click.Group):
    """A group whose subcommands are the named queries, built from the .rq headers on demand."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return cat.shipped().names()

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in cat.shipped().names():
            return None
        return _command(cat.shipped().get(cmd_name))


@click.group("ask", cls=_AskGroup, invoke_without_command=True)
@click.pass_context
def ask(ctx: click.Context) -> None:
    """Ask the graph a named question: `aikg ask` lists them, `aikg ask NAME --help` shows the parameters.

    Example: aikg ask produced-by --org DeepMind
    """
    if ctx.invoked_subcommand is None:
        for query in cat.shipped():
            click.echo(f"{query.name:24} {query.title}")


COMMANDS = [ask]
