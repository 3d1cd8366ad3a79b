"""Media types, format names and content negotiation on Werkzeug's Accept parsing."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import pyoxigraph as ox
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from aikg.errors import NotAcceptable


@dataclass(frozen=True)
class Format:
    """One representation: a short name (for ?format= and file extensions) and its media type."""

    name: str
    media_type: str
    extension: str
    aliases: tuple[str, ...] = ()

    @property
    def content_type(self) -> str:
        """Return the Content-Type header value, with a charset for text types."""
        if self.media_type.startswith("text/") or self.media_type.endswith(("json", "+xml", "/xml")):
            return f"{self.media_type}; charset=utf-8"
        return self.media_type


# SELECT and ASK results.
SPARQL_JSON = Format("json", "application/sparql-results+json", "srj", ("srj", "application/json"))
SPARQL_XML = Format("xml", "application/sparql-results+xml", "srx", ("srx",))
SPARQL_CSV = Format("csv", "text/csv", "csv")
SPARQL_TSV = Format("tsv", "text/tab-separated-values", "tsv")
RESULT_FORMATS: tuple[Format, ...] = (SPARQL_JSON, SPARQL_XML, SPARQL_CSV, SPARQL_TSV)

# Graphs (CONSTRUCT, DESCRIBE, resource documents, dumps).
TURTLE = Format("ttl", "text/turtle", "ttl", ("turtle", "application/x-turtle"))
NTRIPLES = Format("nt", "application/n-triples", "nt", ("ntriples", "n-triples", "text/plain"))
JSONLD = Format("jsonld", "application/ld+json", "jsonld", ("json-ld",))
RDFXML = Format("rdf", "application/rdf+xml", "rdf", ("rdfxml", "rdf+xml", "xml", "owl"))
TRIG = Format("trig", "application/trig", "trig")
NQUADS = Format("nq", "application/n-quads", "nq", ("nquads", "n-quads"))
GRAPH_FORMATS: tuple[Format, ...] = (TURTLE, NTRIPLES, JSONLD, RDFXML)
DATASET_FORMATS: tuple[Format, ...] = (TRIG, NQUADS)

HTML = Format("html", "text/html", "html", ("application/xhtml+xml",))
JSON = Format("json", "application/json", "json")

OX_FORMATS: dict[str, ox.RdfFormat] = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdf": ox.RdfFormat.RDF_XML,
    "trig": ox.RdfFormat.TRIG,
    "nq": ox.RdfFormat.N_QUADS,
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
        for media_type in (fmt.media_type, *[a for a in fmt.aliases if "/" in a]):
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
