"""The one format registry: every representation aikg writes or reads, with its media types, name, label,
writer and parser; and content negotiation on Werkzeug's Accept parsing.

A new format is one entry in :data:`FORMATS`: the /sparql endpoint, the linked-data documents, the
named-query API and its OpenAPI document, the pages' downloads, the service description, the dumps and
the remote store's parser all read the registry.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pyoxigraph as ox
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from aikg.errors import NotAcceptable
from aikg.namespaces import PREFIXES
from aikg.sparql import results
from aikg.sparql.results import Boolean, QueryResult, Solutions, Triples

#: results: SELECT and ASK answers; graph: triples; dataset: quads; page: HTML; answer: the API's own.
Kind = Literal["results", "graph", "dataset", "page", "answer"]


@dataclass(frozen=True)
class Format:
    """One representation: a short name (for ?format= and file extensions), its media type, a label for
    people, and how to write (and, for a remote store's answers, parse) it."""

    name: str
    media_type: str
    extension: str
    label: str
    kind: Kind
    aliases: tuple[str, ...] = ()
    #: The format's IRI under http://www.w3.org/ns/formats/ (for the service description), if it has one.
    w3c: str | None = None
    #: pyoxigraph's RDF format: the writer and parser of graph and dataset formats.
    rdf: ox.RdfFormat | None = field(default=None, compare=False)
    #: pyoxigraph's results format: the parser of a remote store's SELECT and ASK answers.
    results: ox.QueryResultsFormat | None = field(default=None, compare=False)
    solutions: Callable[[Solutions], bytes] | None = field(default=None, compare=False)
    boolean: Callable[[Boolean], bytes] | None = field(default=None, compare=False)
    #: Whether the format's specification defines an ASK answer (CSV and TSV do not; aikg writes one anyway).
    defines_boolean: bool = True
    #: More media types that servers send for this format: parsed from a remote store, never negotiated.
    parsed_as: tuple[str, ...] = ()
    #: Whether the named-query API offers it (as ?format=<extension>); results formats only.
    api: bool = True

    @property
    def content_type(self) -> str:
        """Return the Content-Type header value, with a charset for text types."""
        if self.media_type.startswith("text/") or self.media_type.endswith(("json", "+xml", "/xml")):
            return f"{self.media_type}; charset=utf-8"
        return self.media_type

    @property
    def media_types(self) -> tuple[str, ...]:
        """Return the media type and the aliases that are media types."""
        return (self.media_type, *[a for a in self.aliases if "/" in a])

    def write(self, answer: QueryResult | Iterable[ox.Triple], prefixes: dict[str, str] | None = None) -> bytes:
        """Serialise solutions, a boolean, or triples (with the shared prefixes where the syntax has them)."""
        if isinstance(answer, Solutions) and self.solutions is not None:
            return self.solutions(answer)
        if isinstance(answer, Boolean) and self.boolean is not None:
            return self.boolean(answer)
        if self.rdf is not None and not isinstance(answer, Solutions | Boolean):
            triples = answer.triples if isinstance(answer, Triples) else answer
            out = ox.serialize(triples, format=self.rdf, prefixes=PREFIXES if prefixes is None else prefixes)
            assert out is not None
            return out
        raise TypeError(f"{self.label} cannot hold {type(answer).__name__}")


# SELECT and ASK results.
SPARQL_JSON = Format(
    "json", "application/sparql-results+json", "srj", "JSON", "results", ("srj", "application/json"),
    w3c="SPARQL_Results_JSON", results=ox.QueryResultsFormat.JSON,
    solutions=results.solutions_json, boolean=results.boolean_json,
)
SPARQL_XML = Format(
    "xml", "application/sparql-results+xml", "srx", "XML", "results", ("srx",),
    w3c="SPARQL_Results_XML", results=ox.QueryResultsFormat.XML,
    solutions=results.solutions_xml, boolean=results.boolean_xml, parsed_as=("application/xml",),
)
SPARQL_CSV = Format(
    "csv", "text/csv", "csv", "CSV", "results", w3c="SPARQL_Results_CSV",
    solutions=results.solutions_csv, boolean=results.boolean_csv, defines_boolean=False,
)
SPARQL_TSV = Format(
    "tsv", "text/tab-separated-values", "tsv", "TSV", "results", w3c="SPARQL_Results_TSV",
    results=ox.QueryResultsFormat.TSV, solutions=results.solutions_tsv, boolean=results.boolean_tsv,
    defines_boolean=False, api=False,
)

# Graphs (CONSTRUCT, DESCRIBE, resource documents, dumps) and datasets (dumps).
TURTLE = Format("ttl", "text/turtle", "ttl", "Turtle", "graph", ("turtle", "application/x-turtle"),
                w3c="Turtle", rdf=ox.RdfFormat.TURTLE)
NTRIPLES = Format("nt", "application/n-triples", "nt", "N-Triples", "graph", ("ntriples", "n-triples", "text/plain"),
                  w3c="N-Triples", rdf=ox.RdfFormat.N_TRIPLES)
JSONLD = Format("jsonld", "application/ld+json", "jsonld", "JSON-LD", "graph", ("json-ld",),
                w3c="JSON-LD", rdf=ox.RdfFormat.JSON_LD)
RDFXML = Format("rdf", "application/rdf+xml", "rdf", "RDF/XML", "graph", ("rdfxml", "rdf+xml", "xml", "owl"),
                w3c="RDF_XML", rdf=ox.RdfFormat.RDF_XML)
TRIG = Format("trig", "application/trig", "trig", "TriG", "dataset", w3c="TriG", rdf=ox.RdfFormat.TRIG)
NQUADS = Format("nq", "application/n-quads", "nq", "N-Quads", "dataset", ("nquads", "n-quads"),
                w3c="N-Quads", rdf=ox.RdfFormat.N_QUADS)

# Pages, and the named-query API's own answers (plain JSON rows, the query with its parameters bound).
HTML = Format("html", "text/html", "html", "HTML", "page", ("application/xhtml+xml",))
JSON = Format("json", "application/json", "json", "JSON", "answer")
RQ = Format("rq", "application/sparql-query", "rq", "SPARQL query", "answer")

#: Every format aikg knows. Add a format here and every layer offers it.
FORMATS: tuple[Format, ...] = (
    SPARQL_JSON, SPARQL_XML, SPARQL_CSV, SPARQL_TSV, TURTLE, NTRIPLES, JSONLD, RDFXML, TRIG, NQUADS, HTML, JSON, RQ,
)


def of_kind(kind: Kind) -> tuple[Format, ...]:
    """Return the registered formats of one kind, in registry order."""
    return tuple(f for f in FORMATS if f.kind == kind)


RESULT_FORMATS = of_kind("results")
GRAPH_FORMATS = of_kind("graph")
DATASET_FORMATS = of_kind("dataset")
#: The named-query API's answers by name (?format=): plain JSON, each results format by its extension, the query.
ANSWER_FORMATS: dict[str, Format] = {"json": JSON, **{f.extension: f for f in RESULT_FORMATS if f.api}, "rq": RQ}
#: The parsers of a remote store's answers, by the media type it sends.
RESULT_PARSERS: dict[str, ox.QueryResultsFormat] = {
    t: f.results for f in FORMATS if f.results is not None for t in (*f.media_types, *f.parsed_as)
}
RDF_PARSERS: dict[str, ox.RdfFormat] = {
    t: f.rdf for f in FORMATS if f.rdf is not None for t in (*f.media_types, *f.parsed_as)
}


def by_name(name: str, candidates: Sequence[Format]) -> Format | None:
    """Find a format by its short name, an alias, or its media type (for ?format= parameters)."""
    key = name.strip().lower()
    for fmt in candidates:
        if key == fmt.name or key == fmt.media_type or key in fmt.aliases or key == fmt.extension:
            return fmt
    return None


def negotiate(accept_header: str | None, candidates: Sequence[Format], *, default: Format | None = None) -> Format:
    """Pick the candidate the client prefers by the q-values of its Accept header.

    An absent header or */* gives `default` (else the first candidate); a header that accepts
    none of the candidates raises :class:`NotAcceptable` listing what is on offer.
    """
    fallback = default or candidates[0]
    if not accept_header or not accept_header.strip():
        return fallback
    # Clients send the same few headers over and over: parse each once (a tenth of a /sparql request).
    best = _best_match(accept_header, tuple(candidates), fallback)
    if best is None:
        raise NotAcceptable(
            "None of the media types in the Accept header is available here. "
            f"Available: {', '.join(f.media_type for f in candidates)}.",
            details={"available": [f.media_type for f in candidates]},
        )
    return best


@functools.lru_cache(maxsize=512)
def _best_match(accept_header: str, candidates: tuple[Format, ...], fallback: Format) -> Format | None:
    accept = parse_accept_header(accept_header, MIMEAccept)
    offers: list[str] = []
    by_type: dict[str, Format] = {}
    ordered = [fallback] + [c for c in candidates if c is not fallback]
    for fmt in ordered:
        for media_type in fmt.media_types:
            if media_type not in by_type:
                by_type[media_type] = fmt
                offers.append(media_type)
    best = accept.best_match(offers)
    return None if best is None else by_type[best]


def accepts_html(accept_header: str | None) -> bool:
    """Tell whether a client (a browser) prefers HTML over the RDF and JSON types."""
    if not accept_header:
        return False
    accept = parse_accept_header(accept_header, MIMEAccept)
    html_q = max(accept["text/html"], accept["application/xhtml+xml"]) if accept.provided else 0
    if not html_q:
        return False
    others = [accept[f.media_type] for f in (*GRAPH_FORMATS, *RESULT_FORMATS, JSON)]
    # A browser's */* gives every type the same q; prefer HTML unless another type is named explicitly higher.
    explicit_higher = any(
        value.lower() in {f.media_type for f in (*GRAPH_FORMATS, *RESULT_FORMATS, JSON)} and q > html_q
        for value, q in accept
    )
    return not explicit_higher and html_q >= max(others, default=0) * 0.999
