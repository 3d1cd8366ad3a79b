"""Lists of the resources of a class as tables, the way Datasette shows a table: the key columns of the
class (a date, who made it, counts of its figures, people, papers), sortable by any column, a page at a
time, with CSV and JSON twins.

Each class's table is read with one query per data version (its columns as UNION branches, the counts as
grouped subqueries) and kept; a request sorts, filters and cuts it in memory.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from aikg.errors import BadRequest
from aikg.graph.cache import per_version
from aikg.graph.labels import When, date_of, kind_of, literal_text
from aikg.graph.search import index
from aikg.namespaces import ONTOLOGY, sparql_prologue
from aikg.store import Solutions, Store

A = ONTOLOGY
#: Most rows a page holds.
MAX_SIZE = 500
DEFAULT_SIZE = 50


@dataclass(frozen=True)
class Column:
    """A column: its key (in URLs and the JSON), its heading, what it holds ("date", "links", "count",
    "text"), and the pattern that binds ?v for a row ?s (a count pattern is counted, per row)."""

    key: str
    label: str
    kind: str
    pattern: str


@dataclass
class Cell:
    """One value of a row: for reading (text, links or a date) and for sorting."""

    text: str = ""
    links: list[tuple[str, str]] = field(default_factory=list)  # (IRI, label)
    when: When | None = None
    number: int | None = None

    def key(self) -> tuple[int, object]:
        """Return a sort key: empty cells last whichever way the column sorts (see :func:`listing`)."""
        if self.when is not None:
            return (0, self.when.key)
        if self.number is not None:
            return (0, self.number)
        if self.links:
            return (0, self.links[0][1].casefold())
        return (0, self.text.casefold()) if self.text else (1, "")

    @property
    def plain(self) -> str:
        """Return the cell as plain text (for CSV)."""
        if self.when is not None:
            return self.when.machine
        if self.number is not None:
            return str(self.number)
        if self.links:
            return "; ".join(label for _, label in self.links)
        return self.text

    @property
    def value(self) -> object:
        """Return the cell for JSON: a date as ISO 8601, a count as a number, links as IRIs and labels."""
        if self.when is not None:
            return self.when.machine
        if self.number is not None:
            return self.number
        if self.links:
            return [{"iri": i, "label": label} for i, label in self.links]
        return self.text or None


@dataclass
class Row:
    """A resource of the list."""

    iri: str
    label: str
    kind: str
    cells: dict[str, Cell]


@dataclass
class Table:
    """Every row of one class, unsorted."""

    cls: str
    label: str
    columns: list[Column]
    rows: list[Row]


@dataclass
class Listing:
    """One page of a class's table, sorted and filtered."""

    cls: str
    label: str
    columns: list[Column]
    rows: list[Row]
    total: int
    sort: str
    desc: bool
    page: int
    size: int
    era: tuple[str, str] | None = None  # (IRI, label) when the list is one era's milestones

    @property
    def pages(self) -> int:
        """Return how many pages the list has."""
        return max(1, -(-self.total // self.size))

    @property
    def start(self) -> int:
        """Return the number of the first row shown, from 1."""
        return (self.page - 1) * self.size + 1


_DATE = f"?s <{A}date>|<{A}releaseDate>|<{A}publicationDate>|<{A}foundingDate>|<{A}startDate> ?v"


def _col(key: str, label: str, kind: str, pattern: str) -> Column:
    return Column(key, label, kind, pattern)


_NAME = _col("label", "Name", "name", "")
#: The columns of each class (by local name); a class not named here gets the default.
COLUMNS: dict[str, list[Column]] = {
    "Milestone": [
        _col("date", "Date", "date", f"?s <{A}date> ?v"),
        _NAME,
        _col("by", "By", "links", f"?s <{A}producedBy> ?v"),
        _col("era", "Era", "links", f"?s <{A}era> ?v"),
        _col("people", "People", "count", f"?s <{A}contributor> ?v"),
        _col("figures", "Figures", "count", f"?s <{A}about> ?x . {{ ?x <{A}measurement> ?v }} UNION "
                                            f"{{ ?v <{A}achievedBy> ?x }}"),
    ],
    "Person": [
        _NAME,
        _col("affiliations", "Affiliated with", "links", f"?s <{A}affiliatedWith> ?v"),
        _col("milestones", "Milestones", "count", f"?v <{A}contributor> ?s"),
        _col("papers", "Papers", "count", f"?v <{A}author> ?s"),
    ],
    "Organisation": [
        _NAME,
        _col("founded", "Founded", "date", f"?s <{A}foundingDate> ?v"),
        _col("location", "Based in", "links", f"?s <{A}location> ?v"),
        _col("parent", "Part of", "links", f"?s <{A}parentOrganisation> ?v"),
        _col("made", "Milestones and models", "count", f"?v <{A}producedBy> ?s"),
        _col("people", "People", "count", f"?v <{A}affiliatedWith> ?s"),
    ],
    "Paper": [
        _col("date", "Published", "date", f"?s <{A}publicationDate> ?v"),
        _NAME,
        _col("venue", "Venue", "links", f"?s <{A}venue> ?v"),
        _col("authors", "Authors", "count", f"?s <{A}author> ?v"),
        _col("arxiv", "arXiv", "text", f"?s <{A}arxivId> ?v"),
        _col("doi", "DOI", "text", f"?s <{A}doi> ?v"),
    ],
    "Artefact": [
        _col("date", "Released", "date", f"?s <{A}releaseDate> ?v"),
        _NAME,
        _col("by", "By", "links", f"?s <{A}producedBy> ?v"),
        _col("paper", "Paper", "links", f"?s <{A}paper> ?v"),
        _col("figures", "Figures", "count", f"{{ ?s <{A}measurement> ?v }} UNION {{ ?v <{A}achievedBy> ?s }}"),
    ],
    "Technique": [
        _NAME,
        _col("broader", "Kind of", "links", "?s <http://www.w3.org/2004/02/skos/core#broader> ?v"),
        _col("introduced", "Introduced by", "count", f"?v <{A}introduces> ?s"),
        _col("used", "Used by", "count", f"?v <{A}uses> ?s"),
    ],
    "Era": [
        _col("start", "From", "text", f"?s <{A}startYear> ?v"),
        _col("end", "To", "text", f"?s <{A}endYear> ?v"),
        _NAME,
        _col("milestones", "Milestones", "count", f"?v <{A}era> ?s"),
    ],
    "Event": [
        _col("date", "Date", "date", _DATE),
        _NAME,
        _col("location", "Where", "links", f"?s <{A}location> ?v"),
        _col("participants", "Participants", "links", f"?s <{A}participant> ?v"),
        _col("score", "Score", "text", f"?s <{A}score> ?v"),
    ],
}
for _artefact in ("Model", "Software", "Product", "Dataset", "Hardware"):
    COLUMNS[_artefact] = COLUMNS["Artefact"]
for _event in ("Competition", "Match", "Game", "Founding", "Acquisition", "Release"):
    COLUMNS[_event] = COLUMNS["Event"]
DEFAULT_COLUMNS = [_col("date", "Date", "date", _DATE), _NAME]
#: The classes the list of lists offers, in its order.
LISTED = ("Milestone", "Person", "Organisation", "Model", "Paper", "Technique", "Software", "Product", "Dataset",
          "Hardware", "Event", "Era", "Venue", "Place", "Metric")


def columns_of(cls: str) -> list[Column]:
    """Return the columns of a class's table (by its IRI)."""
    return COLUMNS.get(cls.removeprefix(A), DEFAULT_COLUMNS) if cls.startswith(A) else DEFAULT_COLUMNS


def _query(cls: str, columns: list[Column]) -> str:
    branches = []
    for c in columns:
        if not c.pattern:
            continue
        if c.kind == "count":
            counted = c.pattern.replace("?v", "?counted")
            branches.append(f"{{ {{ SELECT ?s (COUNT(DISTINCT ?counted) AS ?v) WHERE {{ ?s a <{cls}> . {counted} }} "
                            f'GROUP BY ?s }} BIND("{c.key}" AS ?k) }}')
        else:
            branches.append(f'{{ {c.pattern} BIND("{c.key}" AS ?k) }}')
    body = " UNION ".join(branches) if branches else '{ BIND("" AS ?k) }'
    return sparql_prologue() + f"SELECT ?s ?k ?v WHERE {{ ?s a <{cls}> . FILTER(isIRI(?s)) OPTIONAL {{ {body} }} }}"


@per_version(size=32)  # every listed class of the live version and the one before
def table(store: Store, cls: str) -> Table:
    """Read every row of a class's table (cached per data version and class)."""
    idx = index(store)
    columns = columns_of(cls)
    result = store.query(_query(cls, columns))
    assert isinstance(result, Solutions)
    by = {c.key: c for c in columns}
    cells: dict[str, dict[str, Cell]] = defaultdict(dict)
    for s, k, v in result.rows:
        if not isinstance(s, ox.NamedNode):
            continue
        row = cells[s.value]
        if k is None or v is None or k.value not in by:
            continue
        column = by[k.value]
        cell = row.setdefault(column.key, Cell())
        if column.kind == "count" and isinstance(v, ox.Literal):
            cell.number = int(v.value)
        elif column.kind == "date":
            date = date_of(v)
            if date and (cell.when is None or date.key < cell.when.key):
                cell.when = date
        elif column.kind == "links" and isinstance(v, ox.NamedNode):
            entry = idx.entries.get(v.value)
            link = (v.value, entry.label if entry else v.value.rsplit("/", 1)[-1].replace("_", " "))
            if link not in cell.links:
                cell.links.append(link)
        elif isinstance(v, ox.Literal) and not cell.text:
            cell.text = literal_text(v) if column.key not in ("start", "end") else v.value
    rows = []
    for iri, found in cells.items():
        entry = idx.entries.get(iri)
        for c in columns:
            if c.kind == "count":
                found.setdefault(c.key, Cell(number=0))
            if c.kind == "links" and c.key in found:
                found[c.key].links.sort(key=lambda link: link[1].casefold())
        label = entry.label if entry else iri.rsplit("/", 1)[-1].replace("_", " ")
        found["label"] = Cell(text=label)
        rows.append(Row(iri, label, kind_of(entry.types) if entry else "other", found))
    label = idx.class_labels.get(cls) or cls.rsplit("/", 1)[-1]
    return Table(cls, label, columns, rows)


def listing(store: Store, cls: str, *, sort: str | None = None, desc: bool = False, page: int = 1,
            size: int = DEFAULT_SIZE, era: str | None = None) -> Listing:
    """Return one page of a class's table, sorted by a column (the first by default; empty cells last) and,
    for milestones, kept to one era (an IRI).

    Raises :class:`BadRequest` for a column the class has not, or a filter it does not take.
    """
    whole = table(store, cls)
    keys = [c.key for c in whole.columns]
    sort = sort or keys[0]
    if sort not in keys:
        raise BadRequest(f"sort must be one of {', '.join(keys)}; got {sort!r}.")
    era_ref = None
    if era is not None:
        if "era" not in keys:
            raise BadRequest(f"era filters a list of milestones, not of {whole.label} resources.")
        entry = index(store).entries.get(era)
        era_ref = (era, entry.label if entry else era)
    ordered = _ordered(store, cls, sort, desc, era)
    pages = max(1, -(-len(ordered) // size))
    page = min(max(1, page), pages)
    shown = ordered[(page - 1) * size : page * size]
    return Listing(cls, whole.label, whole.columns, shown, len(ordered), sort, desc, page, size, era_ref)


@per_version(size=64)
def _ordered(store: Store, cls: str, sort: str, desc: bool, era: str | None) -> list[Row]:
    """Sort a class's rows by a column, empty cells last (kept per data version: thousands of people are
    sorted once, not on every page of the list)."""
    rows = table(store, cls).rows
    if era is not None:
        rows = [r for r in rows if any(i == era for i, _ in r.cells.get("era", Cell()).links)]
    filled = [r for r in rows if r.cells.get(sort, Cell()).key()[0] == 0]
    empty = [r for r in rows if r.cells.get(sort, Cell()).key()[0] != 0]
    filled.sort(key=lambda r: (r.cells[sort].key()[1], r.label.casefold(), r.iri), reverse=desc)
    empty.sort(key=lambda r: (r.label.casefold(), r.iri))
    return filled + empty


@per_version
def classes(store: Store) -> list[tuple[str, str, int]]:
    """Return the classes with a list, with their label and how many resources each has."""
    idx = index(store)
    counts: dict[str, int] = defaultdict(int)
    wanted = {A + c for c in LISTED}
    for entry in idx.order:
        for t in entry.types & wanted:
            counts[t] += 1
    return [(A + c, idx.class_labels.get(A + c, c), counts[A + c]) for c in LISTED if counts.get(A + c)]
