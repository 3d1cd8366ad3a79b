"""`aikg validate`, `aikg query` and `aikg stats`: check the data, query it, and count what it holds."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import click
import pyoxigraph as ox

from aikg.config import load_config
from aikg.errors import BadQuery, BadRequest, InvalidData
from aikg.ingest.files import data_paths, ontology_paths, shapes_paths
from aikg.ingest.load import open_store
from aikg.namespaces import GRAPH, INFERRED_GRAPH, ONTOLOGY, ONTOLOGY_GRAPH, curie, sparql_prologue
from aikg.sparql.formats import JSONLD, SPARQL_CSV, SPARQL_JSON, TURTLE
from aikg.store import Boolean, QueryResult, Solutions, Store, Term, Triples, select

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


# --- validate --------------------------------------------------------------------------------------------


@click.command("validate")
@click.argument("files", nargs=-1, type=_FILE)
@click.option("--shapes", "shapes", multiple=True, type=_FILE, help="SHACL shapes files (default: the shipped shapes).")
@click.option("--ontology", "ontology", multiple=True, type=_FILE,
              help="Ontology files, the class hierarchy for the shapes (default: the shipped ontology).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "turtle"]), default="text", show_default=True,
              help="text for people, json for programs, turtle for the SHACL validation report graph.")
@click.option("--engine", type=click.Choice(["pyshacl", "fast"]), default="pyshacl", show_default=True,
              help="pyshacl, the reference; or fast, a compiled validator that reports the same results.")
def validate(files: tuple[Path, ...], shapes: tuple[Path, ...], ontology: tuple[Path, ...], fmt: str,
             engine: str) -> None:
    """Check RDF files against the SHACL shapes (default: the shipped data).

    Exits 0 when the data conforms (warnings are shown but allowed), 1 when a shape is violated or a file
    does not parse, and 2 on a usage error.
    """
    from aikg.ingest.validate import validate as run_validation

    settings = load_config()
    data = list(files) or data_paths(settings)
    if not data:
        raise BadRequest("There are no data files to validate: name some, or ship some in data/.")
    report = run_validation(
        data, list(shapes) or shapes_paths(settings), list(ontology) or ontology_paths(settings), engine=engine
    )
    if fmt == "json":
        click.echo(report.to_json(), nl=False)
    elif fmt == "turtle":
        click.echo(report.to_turtle(), nl=False)
    else:
        click.echo(report.text(), nl=False)
    if not report.conforms:
        n = report.counts["Violation"]
        noun = "violation" if n == 1 else "violations"
        raise InvalidData(f"The data does not conform to the shapes: {n} {noun} (see the report).")


# --- query -----------------------------------------------------------------------------------------------


@click.command("query")
@click.argument("text", required=False)
@click.option("-f", "--file", "query_file", type=click.File("r", encoding="utf-8"),
              help="Read the query from a file ('-' for standard input).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "turtle"]), default=None,
              help="table (default for SELECT and ASK), csv, json (SPARQL JSON results; JSON-LD for graphs), "
                   "turtle (default for CONSTRUCT and DESCRIBE).")
@click.option("--data", "data", multiple=True, type=_FILE,
              help="Query these RDF files instead of the configured data (repeatable).")
@click.option("--no-validate", is_flag=True, help="Skip the SHACL check of the files before loading them (faster).")
def query(text: str | None, query_file: io.TextIOBase | None, fmt: str | None, data: tuple[Path, ...],
          no_validate: bool) -> None:
    """Run a SPARQL query on the graph and print the answer.

    Example: aikg query 'SELECT ?m ?year WHERE { ?m a aikg:Milestone ; aikg:year ?year }'
    (the aikg, aikgr, rdfs, schema, ... prefixes are predeclared).
    """
    if (text is None) == (query_file is None):
        raise click.UsageError("Give the query either as an argument or with -f FILE, not both.")
    source = text if text is not None else query_file.read()  # type: ignore[union-attr]
    if not source.strip():
        raise BadRequest("The query is empty.")
    store = _open(data, validate=not no_validate)
    try:
        result = _run(store, source)
    finally:
        store.close()
    click.echo(render(result, fmt), nl=False)


def _open(data: Sequence[Path], *, validate: bool) -> Store:
    settings = load_config()
    if data:
        settings = settings.with_overrides({"DATA": [str(p) for p in data], "ENDPOINT": None, "STORE": None})
    if not validate:
        settings = settings.with_overrides({"VALIDATE": False})
    return open_store(settings)


def _run(store: Store, source: str) -> QueryResult:
    """Run a query with the shared prefixes predeclared; a syntax error points at the line and column."""
    prologue = sparql_prologue()
    try:
        return store.query(prologue + source)
    except BadQuery as e:
        raise _located(e, source, prologue.count("\n")) from None


def _located(error: BadQuery, source: str, shift: int) -> BadQuery:
    """Restate a syntax error's position in the user's own lines (without the predeclared prefixes)."""
    position = error.details if isinstance(error.details, dict) else None
    if not position or "line" not in position:
        return error
    line, column = int(position["line"]) - shift, int(position["column"])
    reason = error.message.split(": ", 1)[1] if ": " in error.message else error.message
    lines = source.splitlines()
    message = f"SPARQL syntax error at line {line}, column {column}: {reason}"
    if 1 <= line <= len(lines):
        message += f"\n  {lines[line - 1]}\n  {' ' * max(column - 1, 0)}^"
    return BadQuery(message, details={"line": line, "column": column})


def render(result: QueryResult, fmt: str | None) -> str:
    """Format a query answer: an aligned table (CURIEs), CSV, SPARQL JSON, or Turtle/JSON-LD for graphs."""
    if isinstance(result, Triples):
        fmt = fmt or "turtle"
        if fmt == "turtle":
            return TURTLE.write(result).decode()
        if fmt == "json":
            return JSONLD.write(result).decode() + "\n"
        spo: list[tuple[Term | None, ...]] = [(t.subject, t.predicate, t.object) for t in result.triples]  # type: ignore[misc]
        rows = Solutions(["subject", "predicate", "object"], spo)
        return _table(rows) if fmt == "table" else SPARQL_CSV.write(rows).decode()
    fmt = fmt or "table"
    if fmt == "turtle":
        raise BadRequest("--format turtle is for CONSTRUCT and DESCRIBE queries; use table, csv or json here.")
    if isinstance(result, Boolean):
        if fmt == "table":
            return ("yes" if result.value else "no") + "\n"
        answer = (SPARQL_JSON if fmt == "json" else SPARQL_CSV).write(result).decode()
        return answer + "\n" if fmt == "json" else answer
    if fmt == "json":
        return SPARQL_JSON.write(result).decode() + "\n"
    if fmt == "csv":
        return SPARQL_CSV.write(result).decode()
    return _table(result)


def _cell(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return curie(term.value)
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return term.value


def _table(result: Solutions, width: int = 60) -> str:
    """Lay out solutions as aligned columns, IRIs as CURIEs, long cells cut at `width` characters."""
    header = list(result.variables)
    rows = [[_cell(t) for t in row] for row in result.rows]
    widths = [min(width, max([len(h), *(len(r[i]) for r in rows)])) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        cut = [(c if len(c) <= w else c[: w - 1] + "…").ljust(w) for c, w in zip(cells, widths, strict=True)]
        return "  ".join(cut).rstrip()

    out = [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]
    n = len(rows)
    out.append(f"({n} row{'' if n == 1 else 's'}{', truncated' if result.truncated else ''})")
    return "\n".join(out) + "\n"


# --- stats -----------------------------------------------------------------------------------------------


@dataclass
class EraStats:
    """One era: its IRI, label, years and how many milestones name it."""

    iri: str
    label: str | None
    start: int | None
    end: int | None
    milestones: int


@dataclass
class Stats:
    """What the graph holds: triples per graph, resources per class, milestones per year, eras."""

    triples: dict[str, int] = field(default_factory=dict)
    classes: dict[str, int] = field(default_factory=dict)
    milestones_per_year: dict[int, int] = field(default_factory=dict)
    eras: list[EraStats] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return the statistics as a JSON-ready mapping (class IRIs in full)."""
        body = asdict(self)
        body["milestones_per_year"] = {str(y): n for y, n in self.milestones_per_year.items()}
        return body


_TRIPLES = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
# Asserted types only: the inferred graph repeats each resource under its superclasses.
_CLASSES = f"""SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE {{
  GRAPH ?g {{ ?s a ?class }} FILTER (?g NOT IN (<{ONTOLOGY_GRAPH}>, <{INFERRED_GRAPH}>))
}} GROUP BY ?class ORDER BY DESC(?n) ?class"""
_YEARS = f"""SELECT ?year (COUNT(DISTINCT ?m) AS ?n) WHERE {{
  ?m a <{ONTOLOGY}Milestone> ; <{ONTOLOGY}year> ?year
}} GROUP BY ?year ORDER BY ?year"""
_ERAS = f"""PREFIX aikg: <{ONTOLOGY}>
SELECT ?era (SAMPLE(?l) AS ?label) (SAMPLE(?s) AS ?start) (SAMPLE(?e) AS ?end) (COUNT(DISTINCT ?m) AS ?n) WHERE {{
  ?era a aikg:Era .
  OPTIONAL {{ ?era <http://www.w3.org/2000/01/rdf-schema#label> ?l FILTER (langMatches(lang(?l), "en")) }}
  OPTIONAL {{ ?era aikg:startYear ?s }}
  OPTIONAL {{ ?era aikg:endYear ?e }}
  OPTIONAL {{ ?m aikg:era ?era }}
}} GROUP BY ?era ORDER BY ?start ?era"""


def collect_stats(store: Store) -> Stats:
    """Count the triples per graph, resources per asserted class, milestones per year, and the eras."""
    stats = Stats()
    for row in select(store, _TRIPLES):
        stats.triples[row["g"].value] = int(row["n"].value)
    for row in select(store, _CLASSES):
        stats.classes[row["class"].value] = int(row["n"].value)
    for row in select(store, _YEARS):
        try:
            stats.milestones_per_year[int(row["year"].value)] = int(row["n"].value)
        except ValueError:  # a year that is not an integer: the shapes report it
            continue
    for row in select(store, _ERAS):
        stats.eras.append(EraStats(
            iri=row["era"].value,
            label=row["label"].value if "label" in row else None,
            start=_int(row.get("start")),
            end=_int(row.get("end")),
            milestones=int(row["n"].value),
        ))
    return stats


def _int(term: Term | None) -> int | None:
    try:
        return int(term.value) if term is not None else None
    except ValueError:
        return None


def stats_text(stats: Stats) -> str:
    """Lay out the statistics for a person."""
    out = ["Triples"]
    graphs = sorted(stats.triples.items(), key=lambda kv: (kv[0] in (ONTOLOGY_GRAPH, INFERRED_GRAPH), kv[0]))
    name_width = max([len(_graph_name(g)) for g, _ in graphs] + [5])
    for graph, n in graphs:
        out.append(f"  {_graph_name(graph):<{name_width}}  {n:>7,}")
    out.append(f"  {'total':<{name_width}}  {sum(stats.triples.values()):>7,}")
    out += ["", "Resources per class (asserted types)"]
    class_width = max([len(curie(c)) for c in stats.classes] + [5])
    out += [f"  {curie(c):<{class_width}}  {n:>7,}" for c, n in stats.classes.items()]
    out += ["", "Milestones per year"]
    out += [f"  {year}  {n:>4}" for year, n in stats.milestones_per_year.items()] or ["  (none)"]
    out += ["", "Eras"]
    for era in stats.eras:
        years = f"{era.start if era.start is not None else '?'}–{era.end if era.end is not None else 'now'}"
        label = f'"{era.label}"' if era.label else ""
        n = era.milestones
        out.append(f"  {curie(era.iri)}  {label}  {years}  {n} milestone{'' if n == 1 else 's'}".replace("    ", "  "))
    if not stats.eras:
        out.append("  (none)")
    return "\n".join(out) + "\n"


def _graph_name(iri: str) -> str:
    return "graph/" + iri[len(GRAPH):] if iri.startswith(GRAPH) else iri


@click.command("stats")
@click.option("--data", "data", multiple=True, type=_FILE, help="Count these RDF files instead of the configured data.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--no-validate", is_flag=True, help="Skip the SHACL check of the files before loading them (faster).")
def stats(data: tuple[Path, ...], fmt: str, no_validate: bool) -> None:
    """Count what the graph holds: triples per graph, resources per class, milestones per year, eras."""
    store = _open(data, validate=not no_validate)
    try:
        result = collect_stats(store)
    finally:
        store.close()
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(stats_text(result), nl=False)


COMMANDS = [validate, query, stats]
