"""The publication record: what ``aikg publish`` writes next to the data and the remote store checks.

The record lives in its own graph, :data:`PUBLICATION_GRAPH`, and says which version is published,
when, from which files, which graphs make it up (``dcterms:hasPart``), and for each of them its number
of triples (``void:triples``) and a checksum of its contents (:data:`CHECKSUM`). It also names the
staging graphs of a publish in progress or interrupted (:data:`STAGING`), so that the next publish
removes them even on a store that cannot list its graphs (Virtuoso).

Checksum. The sum, modulo 2^128, of a 128-bit BLAKE2b hash of each triple's N-Triples line, with every
blank node written ``_:`` (a store renames blank nodes; it must not change anything else). A sum does not
depend on the order the triples come in, so it can be computed while a graph streams in, and a missing,
extra or altered triple changes it. Typed values are hashed in the embedded store's canonical form,
which is the form the remote store gives them back in (see :mod:`aikg.store.dialect`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox

from aikg.namespaces import DCTERMS, GRAPH, VOID, XSD
from aikg.store import DatasetInfo

#: The graph where ``aikg publish`` records the published version and the graphs it consists of.
PUBLICATION_GRAPH = GRAPH + "publication"
#: Temporary graphs of a publish in progress live under this prefix (never part of the dataset).
STAGING_PREFIX = GRAPH + "staging/"
#: The record's own terms (the rest is Dublin Core and VoID).
PUB = PUBLICATION_GRAPH + "#"
CHECKSUM = PUB + "checksum"
STAGING = PUB + "staging"
#: Names the graph holding the union of the published graphs, on stores that need one (see the dialects).
UNION = PUB + "union"
#: The union graph's name, when there is one.
UNION_GRAPH = GRAPH + "union"
#: Links a blank node, while a publish is in progress, to its label in the published files.
BLANK_LABEL = PUB + "blankNode"

_RECORD = ox.NamedNode(PUBLICATION_GRAPH)

#: Every statement of the record, one row each (the record is small: a few rows per graph).
RECORD_QUERY = f"""SELECT ?p ?o ?part ?q ?v WHERE {{ GRAPH <{PUBLICATION_GRAPH}> {{
  {{ <{PUBLICATION_GRAPH}> ?p ?o }} UNION {{ <{PUBLICATION_GRAPH}> ?r ?part . ?part ?q ?v }} }} }}"""


@dataclass(frozen=True)
class Part:
    """One published graph: its name, its number of triples and the checksum of its contents."""

    name: str
    triples: int | None = None
    checksum: str | None = None


@dataclass(frozen=True)
class Record:
    """What the publication graph says (``info`` is None when no version was ever completed)."""

    info: DatasetInfo | None
    parts: tuple[Part, ...] = ()
    staging: tuple[str, ...] = ()
    union: Part | None = None

    @property
    def names(self) -> list[str]:
        """Return the names of the published graphs, sorted."""
        return sorted(p.name for p in self.parts)


@dataclass
class Digest:
    """A running count and checksum of triples (see the module docstring)."""

    triples: int = 0
    total: int = 0
    lines: list[str] | None = field(default=None, repr=False)  # kept when a caller wants to say what differs

    def add(self, triple: ox.Triple) -> None:
        """Count one triple into the digest."""
        line = _line(triple)
        self.triples += 1
        self.total = (self.total + int.from_bytes(hashlib.blake2b(line.encode(), digest_size=16).digest())) % _MOD
        if self.lines is not None:
            self.lines.append(line)

    def update(self, triples: Iterable[ox.Triple]) -> Digest:
        """Count many triples into the digest and return it."""
        for triple in triples:
            self.add(triple)
        return self

    @property
    def checksum(self) -> str:
        """Return the checksum as text, as the record stores it."""
        return f"blake2b-sum:{self.total:032x}"

    @classmethod
    def union(cls, digests: Iterable[Digest]) -> Digest:
        """Return the digest of the union of graphs that share no triple (the sum of theirs)."""
        merged = cls()
        for d in digests:
            merged.triples += d.triples
            merged.total = (merged.total + d.total) % _MOD
        return merged


_MOD = 1 << 128


def _line(triple: ox.Triple) -> str:
    s, o = triple.subject, triple.object
    subject = "_:" if isinstance(s, ox.BlankNode) else str(s)
    obj = "_:" if isinstance(o, ox.BlankNode) else str(o)
    return f"{subject} {triple.predicate} {obj} ."


def digest(triples: Iterable[ox.Triple]) -> Digest:
    """Return the count and checksum of some triples."""
    return Digest().update(triples)


def record_triples(
    info: DatasetInfo, parts: Sequence[Part], staging: Sequence[str] = (), union: Part | None = None
) -> list[ox.Triple]:
    """Return the triples of a complete record (the staging graphs still to remove included)."""
    triples = [
        ox.Triple(_RECORD, ox.NamedNode(DCTERMS + "hasVersion"), ox.Literal(info.version)),
        ox.Triple(_RECORD, ox.NamedNode(DCTERMS + "modified"),
                  ox.Literal(info.modified, datatype=ox.NamedNode(XSD + "dateTime"))),
        # One literal, lines in load order: the order matters to DatasetInfo and a multi-valued property has none.
        ox.Triple(_RECORD, ox.NamedNode(DCTERMS + "source"), ox.Literal("\n".join(info.sources))),
    ]
    for part in [*parts, *([union] if union else [])]:
        node = ox.NamedNode(part.name)
        link = UNION if part is union else DCTERMS + "hasPart"
        triples.append(ox.Triple(_RECORD, ox.NamedNode(link), node))
        if part.triples is not None:
            count = ox.Literal(str(part.triples), datatype=ox.NamedNode(XSD + "integer"))
            triples.append(ox.Triple(node, ox.NamedNode(VOID + "triples"), count))
        if part.checksum is not None:
            triples.append(ox.Triple(node, ox.NamedNode(CHECKSUM), ox.Literal(part.checksum)))
    triples += staging_triples(staging)
    return triples


def staging_triples(staging: Iterable[str]) -> list[ox.Triple]:
    """Return the triples that name staging graphs in the record."""
    return [ox.Triple(_RECORD, ox.NamedNode(STAGING), ox.NamedNode(g)) for g in staging]


def parse_record(rows: Sequence[Mapping[str, ox.NamedNode | ox.BlankNode | ox.Literal]]) -> Record:
    """Read the rows of :data:`RECORD_QUERY` back into a :class:`Record`."""
    own: dict[str, list[str]] = {}
    about: dict[str, dict[str, str]] = {}
    for row in rows:
        if "part" in row:
            about.setdefault(row["part"].value, {})[row["q"].value] = row["v"].value
        elif "p" in row:
            own.setdefault(row["p"].value, []).append(row["o"].value)
    staging = tuple(sorted(own.get(STAGING, [])))
    names = sorted(set(own.get(DCTERMS + "hasPart", [])))
    version, modified = own.get(DCTERMS + "hasVersion"), own.get(DCTERMS + "modified")
    if not version or not modified:
        return Record(None, (), staging)
    source = own.get(DCTERMS + "source")
    sources = tuple(source[0].split("\n")) if source and source[0] else ()
    def part(name: str) -> Part:
        facts = about.get(name, {})
        count = facts.get(VOID + "triples")
        return Part(name, int(count) if count is not None else None, facts.get(CHECKSUM))

    union = own.get(UNION)
    return Record(DatasetInfo(version[0], modified[0], sources), tuple(part(n) for n in names), staging,
                  part(union[0]) if union else None)
