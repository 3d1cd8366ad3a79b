"""The named-query catalogue: loads queries/*.rq, binds parameters safely, runs them.

Each ``.rq`` file starts with a header in comments::

    # name: produced-by
    # title: What did an organisation produce?
    # description: Milestones an organisation produced, ...
    # param: org | iri aikg:Organisation | required | example: DeepMind | The producing organisation.
    # param: subsidiaries | boolean | default: false | Include its subsidiaries' milestones.
    # column: milestone | iri | The milestone.
    # column: date | date | optional | When it happened.
    # column: producers | string | optional | separator "; " | Who produced it, separated by semicolons.
    # formats: json, csv, srj, srx, rq

Parameter types: ``iri [class]`` (a label, CURIE or IRI, resolved through :mod:`aikg.graph.search`),
``string``, ``integer``, ``year``, ``boolean`` and ``date``; flags ``required`` and ``repeat``;
``default:``, ``example:``, ``min:``, ``max:`` and ``choices:`` settings. A column is ``optional`` when a row
may leave it unbound; a column with a ``separator "…"`` is a list (a GROUP_CONCAT), whose items are given
sorted (GROUP_CONCAT's order is the engine's, and differs between stores and between runs), and which is
unbound, where it is optional, when the list is empty (where the embedded store leaves it unbound, other
stores give ""). Values become RDF terms
(IRIs checked, literals escaped by pyoxigraph) written as a ``VALUES`` block at the top of the WHERE
pattern, never pasted into the text. The same block works on every store (pyoxigraph's own
substitutions would need each parameter projected), and the text that runs is the text shown to
the user: :meth:`NamedQuery.instantiate` is the query behind every answer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from aikg.errors import BadRequest, NotFound
from aikg.graph.cache import per_version
from aikg.graph.search import resolve
from aikg.namespaces import PREFIXES, XSD
from aikg.sparql.formats import ANSWER_FORMATS
from aikg.sparql.query import analyse
from aikg.store import Solutions, Store, Term

KINDS = ("iri", "string", "integer", "year", "boolean", "date")
COLUMN_KINDS = ("iri", "string", "integer", "number", "boolean", "date")
#: The answer formats a query may list in its header (all of them by default).
FORMATS = tuple(ANSWER_FORMATS)
RESERVED = {"format", "limit"}
YEAR_RANGE = (-9999, 9999)
_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
_PARAM = re.compile(r"^[a-z][a-z0-9_]*$")
_DATE = re.compile(r"^-?\d{4}(-\d{2}(-\d{2})?)?$")
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


@dataclass(frozen=True)
class Parameter:
    """One parameter of a named query, as its header declares it."""

    name: str
    kind: str
    description: str = ""
    class_iri: str | None = None
    required: bool = False
    repeat: bool = False
    default: str | None = None
    example: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()

    def bounds(self) -> tuple[int | None, int | None]:
        """Return the smallest and largest value a number may take (a year is four digits at most)."""
        if self.kind == "year":
            return (
                YEAR_RANGE[0] if self.minimum is None else self.minimum,
                YEAR_RANGE[1] if self.maximum is None else self.maximum,
            )
        return self.minimum, self.maximum

    def to_term(self, store: Store, text: str) -> Term:
        """Turn one value as typed by a user into an RDF term, or raise BadRequest saying why not."""
        raw = text.strip()
        if self.kind == "iri":
            try:
                return ox.NamedNode(resolve(store, raw, self.class_iri))
            except BadRequest as e:
                details = {"parameter": self.name, **e.details} if isinstance(e.details, dict) else e.details
                raise BadRequest(f"Parameter {self.name!r}: {e.message}", details=details) from None
        if self.choices and raw not in self.choices:
            raise BadRequest(f"Parameter {self.name!r} must be one of {', '.join(self.choices)}; got {raw!r}.")
        if self.kind in ("integer", "year"):
            if not re.fullmatch(r"[+-]?\d{1,9}", raw):
                raise BadRequest(f"Parameter {self.name!r} must be a whole number; got {raw!r}.")
            number = int(raw)
            low, high = self.bounds()
            if low is not None and number < low:
                raise BadRequest(f"Parameter {self.name!r} must be at least {low}; got {number}.")
            if high is not None and number > high:
                raise BadRequest(f"Parameter {self.name!r} must be at most {high}; got {number}.")
            return ox.Literal(str(number), datatype=ox.NamedNode(XSD + "integer"))
        if self.kind == "boolean":
            word = raw.lower()
            if word not in _TRUE | _FALSE:
                raise BadRequest(f"Parameter {self.name!r} must be true or false; got {raw!r}.")
            return ox.Literal("true" if word in _TRUE else "false", datatype=ox.NamedNode(XSD + "boolean"))
        if self.kind == "date":
            if not _DATE.match(raw):
                raise BadRequest(f"Parameter {self.name!r} must be a date: YYYY, YYYY-MM or YYYY-MM-DD; got {raw!r}.")
            kind = {4: "gYear", 7: "gYearMonth"}.get(len(raw.lstrip("-")), "date")
            try:
                return ox.Literal(raw, datatype=ox.NamedNode(XSD + kind))
            except ValueError:
                raise BadRequest(f"Parameter {self.name!r}: {raw!r} is not a valid date.") from None
        if not raw:
            raise BadRequest(f"Parameter {self.name!r} must not be empty.")
        return ox.Literal(raw)


@dataclass(frozen=True)
class Column:
    """One column (projected variable) of a named query's answer."""

    name: str
    kind: str
    description: str = ""
    optional: bool = False
    #: The separator of a list column's items ("" for a column that is not a list).
    separator: str = ""


@dataclass(frozen=True)
class Binding:
    """Parameters bound as RDF terms: one term each, or several for a repeating parameter."""

    values: dict[str, list[Term]] = field(default_factory=dict)
    texts: dict[str, list[str]] = field(default_factory=dict)
    repeats: frozenset[str] = frozenset()


@dataclass(frozen=True)
class NamedQuery:
    """A SPARQL query with a name, a title, a description, typed parameters and declared columns."""

    name: str
    title: str
    description: str
    text: str
    parameters: tuple[Parameter, ...]
    columns: tuple[Column, ...]
    formats: tuple[str, ...] = FORMATS

    def parameter(self, name: str) -> Parameter | None:
        """Return the parameter called `name`, if any."""
        return next((p for p in self.parameters if p.name == name), None)

    def bind(self, store: Store, given: Mapping[str, Sequence[str]]) -> Binding:
        """Check and convert the given values (name -> list of strings) into RDF terms, using defaults.

        Unknown, missing, empty or malformed parameters raise :class:`BadRequest` (a form that sends
        empty fields should drop them first: see :func:`drop_empty`).
        """
        unknown = sorted(set(given) - {p.name for p in self.parameters} - RESERVED)
        if unknown:
            takes = ", ".join(p.name for p in self.parameters) or "no parameters"
            raise BadRequest(f"Unknown parameter {', '.join(map(repr, unknown))} for {self.name}; it takes {takes}.")
        values: dict[str, list[Term]] = {}
        texts: dict[str, list[str]] = {}
        repeats = frozenset(p.name for p in self.parameters if p.repeat)
        for p in self.parameters:
            raw = list(given.get(p.name, []))
            if any(not v.strip() for v in raw):
                raise BadRequest(f"Parameter {p.name!r} is empty; give a value or leave it out.")
            if not raw and p.default is not None:
                raw = [p.default]
            if not raw:
                if p.required:
                    hint = f" (for example {p.name}={p.example})" if p.example else ""
                    raise BadRequest(f"Parameter {p.name!r} is required{hint}: {p.description}")
                continue
            if len(raw) > 1 and not p.repeat:
                raise BadRequest(f"Parameter {p.name!r} takes one value; got {len(raw)}.")
            if len(raw) > 100:
                raise BadRequest(f"Parameter {p.name!r} takes at most 100 values.")
            values[p.name] = [p.to_term(store, v) for v in raw]
            texts[p.name] = raw
        return Binding(values, texts, repeats)

    def instantiate(self, binding: Binding, store: Store | None = None) -> str:
        """Return the query text with the bound parameters written in as VALUES at the top of its WHERE.

        The result is the query that gives this answer, runnable at any SPARQL endpoint. For a store whose
        ``repeat_values`` says so (Virtuoso), :meth:`run` sends it with the block written again at the end
        of the WHERE, which changes no answer.
        """
        blocks: list[str] = []
        single = {k: v[0] for k, v in binding.values.items() if k not in binding.repeats}
        if single:
            names = " ".join(f"?{k}" for k in single)
            row = " ".join(_term_sparql(t) for t in single.values())
            blocks.append(f"VALUES ({names}) {{ ({row}) }}")
        for name, terms in binding.values.items():
            if name in binding.repeats:
                blocks.append(f"VALUES ?{name} {{ {' '.join(_term_sparql(t) for t in terms)} }}")
        if not blocks:
            return self.text
        return _insert_after_where(self.text, blocks, repeat=bool(store is not None and store.repeat_values))

    def run(
        self, store: Store, binding: Binding, *, timeout: float | None = None, limit: int | None = None
    ) -> Solutions:
        """Run the instantiated query: what runs is what :meth:`instantiate` shows (see there)."""
        result = store.query(self.instantiate(binding, store), timeout=timeout, limit=limit)
        if not isinstance(result, Solutions):
            raise TypeError(f"named query {self.name} is not a SELECT query")
        shaped = [(result.variables.index(c.name), c) for c in self.columns
                  if (c.separator or c.kind == "boolean") and c.name in result.variables]
        if shaped:  # a new answer: the store's may be shared (a result cache's)
            return Solutions(list(result.variables), [_as_declared(row, shaped) for row in result.rows],
                             result.truncated)
        return result


def _natural(item: str) -> tuple[Any, ...]:
    """Sort "move 37" before "move 102", then by case-folded text, then by text."""
    parts = re.split(r"(\d+)", item.casefold())
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts), item


_BOOLEANS = {"0": "false", "1": "true"}


def _as_declared(row: Sequence[Term | None], columns: Sequence[tuple[int, Column]]) -> tuple[Term | None, ...]:
    """Give a row's list cells with their items sorted, an empty optional list unbound, and a boolean column's
    0 or 1 as false or true (Virtuoso 7 keeps a boolean as an integer)."""
    cells = list(row)
    for i, column in columns:
        cell = cells[i]
        if not isinstance(cell, ox.Literal):
            continue
        if column.kind == "boolean":
            if cell.datatype.value == XSD + "integer" and cell.value in _BOOLEANS:
                cells[i] = ox.Literal(_BOOLEANS[cell.value], datatype=ox.NamedNode(XSD + "boolean"))
            continue
        if not cell.value:
            cells[i] = None if column.optional else cell
            continue
        items = sorted(cell.value.split(column.separator), key=_natural)
        cells[i] = ox.Literal(column.separator.join(items))
    return tuple(cells)


#: Answers of named queries kept per data version (each query with its bound parameters is one).
ANSWERS_KEPT = 256


@dataclass(frozen=True)
class _Asked:
    """A named query with its binding, compared by its name and the text that runs."""

    name: str
    text: str
    query: NamedQuery = field(compare=False, hash=False)
    binding: Binding = field(compare=False, hash=False)


@per_version(size=ANSWERS_KEPT)
def _answer(store: Store, asked: _Asked, timeout: float | None, limit: int | None) -> Solutions:
    return asked.query.run(store, asked.binding, timeout=timeout, limit=limit)


def answer(
    store: Store, query: NamedQuery, binding: Binding, *, timeout: float | None = None, limit: int | None = None
) -> Solutions:
    """Run a named query, or give its answer from this data version's memo: within a version it never changes,
    and some (an aggregate over every Epoch model) take a tenth of a second on each run."""
    return _answer(store, _Asked(query.name, query.instantiate(binding), query, binding), timeout, limit)


def drop_empty(given: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Drop the empty values an HTML form sends for the fields left blank."""
    kept = {k: [v for v in vs if v.strip()] for k, vs in given.items()}
    return {k: vs for k, vs in kept.items() if vs}


def _term_sparql(term: Term) -> str:
    # pyoxigraph writes terms in N-Triples syntax, escaping quotes, backslashes and line breaks,
    # which SPARQL reads back as the same term.
    return str(term)


def _insert_after_where(text: str, blocks: Sequence[str], *, repeat: bool = False) -> str:
    """Insert lines right after the '{' that opens the query's WHERE group (with `repeat`, also right before
    the '}' that closes it), leaving the rest as written."""
    return analyse(text, max_depth=None).insert_in_where(blocks, repeat=repeat)


# ---------------------------------------------------------------------------------------------- loading


class HeaderError(ValueError):
    """A .rq header that does not follow the documented form."""


def _expand_class(curie_or_iri: str) -> str:
    prefix, sep, local = curie_or_iri.partition(":")
    if sep and prefix in PREFIXES:
        return PREFIXES[prefix] + local
    return curie_or_iri.strip("<>")


def _parse_param(spec: str, where: str) -> Parameter:
    parts = [s.strip() for s in spec.split("|")]
    if len(parts) < 2:
        raise HeaderError(f"{where}: a param line needs at least 'name | type'")
    name, kind_spec, rest = parts[0], parts[1].split(), parts[2:]
    if not _PARAM.match(name) or name in RESERVED:
        raise HeaderError(f"{where}: bad parameter name {name!r}")
    if not kind_spec or kind_spec[0] not in KINDS:
        raise HeaderError(f"{where}: parameter {name} has unknown type {parts[1]!r}; use one of {', '.join(KINDS)}")
    kw: dict[str, object] = {"name": name, "kind": kind_spec[0]}
    if len(kind_spec) > 1:
        kw["class_iri"] = _expand_class(kind_spec[1])
    description: list[str] = []
    for item in rest:
        key, sep, value = item.partition(":")
        key = key.strip().lower()
        if item in ("required", "repeat"):
            kw[item] = True
        elif sep and key in ("default", "example"):
            kw[key] = value.strip()
        elif sep and key in ("min", "max"):
            kw["minimum" if key == "min" else "maximum"] = int(value)
        elif sep and key == "choices":
            kw["choices"] = tuple(c.strip() for c in value.split(","))
        else:
            description.append(item)
    kw["description"] = " | ".join(description)
    return Parameter(**kw)  # type: ignore[arg-type]


_SEPARATOR = re.compile(r'separator "([^"]+)"\Z')


def _parse_column(spec: str, where: str) -> Column:
    parts = [s.strip() for s in spec.split("|")]
    if len(parts) < 2 or parts[1] not in COLUMN_KINDS:
        raise HeaderError(f"{where}: a column line is "
                          f"'name | {'/'.join(COLUMN_KINDS)} [| optional] [| separator \"; \"] | description'")
    optional = "optional" in parts[2:]
    separators = [m.group(1) for p in parts[2:] if (m := _SEPARATOR.match(p))]
    if separators and parts[1] != "string":
        raise HeaderError(f"{where}: column {parts[0]}: only a string column can be a list with a separator")
    description = " | ".join(p for p in parts[2:] if p != "optional" and not _SEPARATOR.match(p))
    return Column(parts[0], parts[1], description, optional, separators[0] if separators else "")


def parse(text: str, where: str = "<query>") -> NamedQuery:
    """Read a named query from the text of a .rq file."""
    fields: dict[str, list[str]] = {}
    params: list[Parameter] = []
    columns: list[Column] = []
    last: str | None = None
    for line in text.splitlines():
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        body = line[1:]
        m = re.match(r"^\s?([a-z]+):\s?(.*)$", body)
        if m and m.group(1) in ("name", "title", "description", "param", "column", "formats"):
            key, value = m.group(1), m.group(2).strip()
            if key == "param":
                params.append(_parse_param(value, where))
            elif key == "column":
                columns.append(_parse_column(value, where))
            else:
                fields.setdefault(key, []).append(value)
            last = key
        elif last == "description" and body.startswith("  "):
            fields["description"].append(body.strip())
        else:
            last = None
    for key in ("name", "title", "description"):
        if key not in fields:
            raise HeaderError(f"{where}: the header has no {key!r}")
    name = fields["name"][0]
    if not _NAME.match(name):
        raise HeaderError(f"{where}: bad query name {name!r}")
    formats = tuple(f.strip() for f in ",".join(fields.get("formats", [])).split(",") if f.strip()) or FORMATS
    if set(formats) - set(FORMATS):
        raise HeaderError(f"{where}: unknown formats {sorted(set(formats) - set(FORMATS))}")
    if not columns:
        raise HeaderError(f"{where}: the header declares no columns")
    return NamedQuery(
        name=name,
        title=fields["title"][0],
        description=" ".join(fields["description"]),
        text=text,
        parameters=tuple(params),
        columns=tuple(columns),
        formats=formats,
    )


class Catalogue:
    """The named queries, in file-name order."""

    def __init__(self, queries: Sequence[NamedQuery]) -> None:
        self._queries = {q.name: q for q in queries}
        if len(self._queries) != len(queries):
            raise HeaderError("two queries share a name")

    def __iter__(self) -> Iterator[NamedQuery]:
        return iter(self._queries.values())

    def __len__(self) -> int:
        return len(self._queries)

    def names(self) -> list[str]:
        """Return the query names."""
        return list(self._queries)

    def get(self, name: str) -> NamedQuery:
        """Return a query by name, or raise NotFound listing the names."""
        try:
            return self._queries[name]
        except KeyError:
            raise NotFound(
                f"No named query {name!r}. Named queries: {', '.join(self._queries)}.",
                details={"queries": list(self._queries)},
            ) from None


def load(folder: Path | None = None) -> Catalogue:
    """Read every .rq file of a folder (the shipped queries by default)."""
    if folder is not None:
        files = sorted(folder.glob("*.rq"))
        return Catalogue([parse(p.read_text(encoding="utf-8"), str(p)) for p in files])
    root = resources.files("aikg.graph") / "queries"
    entries = sorted((e for e in root.iterdir() if e.name.endswith(".rq")), key=lambda e: e.name)
    return Catalogue([parse(e.read_text(encoding="utf-8"), e.name) for e in entries])


@cache
def shipped() -> Catalogue:
    """Return the shipped catalogue, read once per process."""
    return load()


# -- answers as plain JSON (the API's and `aikg ask --format json`'s) ------------------------------

_INTEGERS = {XSD + t for t in ("integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
                                "negativeInteger", "nonPositiveInteger", "unsignedInt", "unsignedLong",
                                "unsignedShort", "unsignedByte")}
_REALS = {XSD + t for t in ("decimal", "double", "float")}


def plain(term: Term | None) -> Any:
    """Return a term as a plain JSON value: IRIs as strings, numbers as numbers, booleans as booleans."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    datatype = term.datatype.value
    try:
        if datatype in _INTEGERS:
            return int(term.value)
        if datatype in _REALS:
            number = float(term.value)
            return number if math.isfinite(number) else term.value
    except ValueError:
        return term.value
    if datatype == XSD + "boolean":
        return term.value in ("true", "1")
    return term.value


def _parameters_json(query: NamedQuery, binding: Binding) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for p in query.parameters:
        terms = binding.values.get(p.name)
        if terms is None:
            continue
        out[p.name] = [plain(t) for t in terms] if p.repeat else plain(terms[0])
    return out


def answer_json(query: NamedQuery, binding: Binding, result: Solutions) -> dict[str, Any]:
    """Return the plain-JSON answer of a named query."""
    names = result.variables
    return {
        "query": query.name,
        "parameters": _parameters_json(query, binding),
        "columns": names,
        "rows": [{n: plain(t) for n, t in zip(names, row, strict=True)} for row in result.rows],
        "truncated": result.truncated,
    }
