"""The SPARQL 1.1 Service Description of the public endpoint, with its limits stated as data.

The limits (time limit, row cap, query size, nesting depth, no SERVICE, no LOAD, no update, and the
serving core's fair share, queue and request limits) have no terms in the Service Description vocabulary,
so they are stated with the few terms of the endpoint namespace below, each of which is described in the
document itself.
"""

from __future__ import annotations

import pyoxigraph as ox

from aikg.config import Limits, Settings
from aikg.graph.cache import per_version
from aikg.namespaces import BASE, DCTERMS, PREFIXES, RDF, RDFS, SD, VOID, XSD
from aikg.sparql.formats import GRAPH_FORMATS, RESULT_FORMATS
from aikg.store import Solutions, Store

#: Terms for the endpoint's limits, described in every service description.
LIMITS = BASE + "endpoint#"
FORMATS = "http://www.w3.org/ns/formats/"
SD_PREFIXES = {**PREFIXES, "sd": SD, "formats": FORMATS, "limits": LIMITS}

_LIMIT_TERMS = {
    "queryTimeout": "Seconds a query may run; past it the client gets 503 Service Unavailable.",
    "maxRows": "Most rows (or triples) a response holds; a longer answer is cut and says so in the "
    "X-Aikg-Truncated, X-SPARQL-MaxRows and Warning headers.",
    "maxQueryBytes": "Longest query text accepted, in UTF-8 bytes; a longer one gets 413.",
    "federatedQuery": "Whether SERVICE is executed (here: false; a query with SERVICE gets 400).",
    "remoteLoading": "Whether remote data is fetched by LOAD, or by FROM and default-graph-uri (here: false; "
    "a graph the store does not hold is empty).",
    "updates": "Whether SPARQL Update is accepted (here: false; an update gets 403, "
    "or 415 when sent as application/sparql-update).",
    "maxQueryDepth": "Deepest nesting of brackets and chained operators accepted; a deeper query gets 400 "
    "naming the limit (the engine's parser would crash past about 1,700).",
    "engineSecondsPerMinute": "Engine time each client (by address) may use, in seconds a minute (a burst of "
    "the whole budget, refilled at a sixtieth a second); past it a query gets 429 Too Many Requests with "
    "Retry-After. Answers kept in the result cache cost nothing.",
    "concurrentQueries": "Queries one client may run at once; one more gets 429 with Retry-After.",
    "queueLength": "Queries that may wait for a free query engine; when the queue is full a query gets 503 "
    "Service Unavailable with Retry-After at once.",
    "queueTimeout": "Seconds a query may wait for a free query engine; past it 503 with Retry-After.",
    "headerTimeout": "Seconds a client has to send its request line and headers; also how long an idle "
    "connection is kept open.",
    "bodyTimeout": "Seconds a client has to send a request body once its headers are in; past it 408.",
    "maxBodyBytes": "Longest request body accepted, in bytes, checked as it arrives; a longer one gets 413.",
    "maxHeaderBytes": "Longest request line and headers together, in bytes, checked as they arrive; past it "
    "431 Request Header Fields Too Large.",
}

_GRAPH_SIZES = """SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"""


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _lit(value: object) -> ox.Literal:
    if isinstance(value, bool):
        return ox.Literal("true" if value else "false", datatype=_n(XSD + "boolean"))
    if isinstance(value, int):
        return ox.Literal(str(value), datatype=_n(XSD + "integer"))
    if isinstance(value, float):
        return ox.Literal(repr(value), datatype=_n(XSD + "decimal"))
    return ox.Literal(str(value), language="en")


def service_description(store: Store, settings: Settings, endpoint_url: str, void_url: str) -> list[ox.Triple]:
    """Describe the endpoint: languages, result formats, features, default dataset and limits."""
    serving = Limits.from_settings(settings)
    limits: dict[str, object] = {
        "queryTimeout": settings.query_timeout,
        "maxRows": settings.max_rows,
        "maxQueryBytes": settings.max_query_bytes,
        "maxQueryDepth": settings.max_query_depth,
        "federatedQuery": False,
        "remoteLoading": False,
        "updates": False,
        "engineSecondsPerMinute": serving.client_budget,
        "concurrentQueries": serving.client_queries,
        "queueLength": serving.queue,
        "queueTimeout": serving.queue_timeout,
        "headerTimeout": serving.header_timeout,
        "bodyTimeout": serving.body_timeout,
        "maxBodyBytes": serving.max_body,
        "maxHeaderBytes": serving.max_header,
    }
    title = settings.title or "aikg"
    # Counting the graphs costs a query over everything: do it once per data version, URL and limits.
    return list(_described(store, endpoint_url, void_url, tuple(limits.items()), title))


@per_version(size=16)
def _described(
    store: Store, endpoint_url: str, void_url: str, limits: tuple[tuple[str, object], ...], title: str
) -> tuple[ox.Triple, ...]:
    stated = dict(limits)
    out: list[ox.Triple] = []
    add = out.append
    rdf_type = _n(RDF + "type")
    service = _n(endpoint_url)
    add(ox.Triple(service, rdf_type, _n(SD + "Service")))
    add(ox.Triple(service, _n(SD + "endpoint"), service))
    add(ox.Triple(service, _n(DCTERMS + "title"), _lit(title)))
    add(ox.Triple(service, _n(SD + "supportedLanguage"), _n(SD + "SPARQL11Query")))
    for fmt in (*RESULT_FORMATS, *GRAPH_FORMATS):
        if fmt.w3c:
            add(ox.Triple(service, _n(SD + "resultFormat"), _n(FORMATS + fmt.w3c)))
    add(ox.Triple(service, _n(SD + "feature"), _n(SD + "UnionDefaultGraph")))
    add(ox.Triple(service, _n(SD + "defaultEntailmentRegime"), _n("http://www.w3.org/ns/entailment/Simple")))
    add(ox.Triple(service, _n(RDFS + "seeAlso"), _n(void_url)))
    add(
        ox.Triple(
            service,
            _n(RDFS + "comment"),
            _lit(
                "A read-only SPARQL 1.1 Query endpoint. The default graph is the union of the named graphs; "
                "default-graph-uri and named-graph-uri select graphs held here (others are empty, never fetched). "
                "SERVICE, LOAD and SPARQL Update are refused. "
                f"Queries run at most {stated['queryTimeout']:g} s (then 503), answers hold at most "
                f"{stated['maxRows']} rows (a cut answer says so in its headers), query texts are at most "
                f"{stated['maxQueryBytes']} bytes (else 413). Each client may use "
                f"{stated['engineSecondsPerMinute']:g} engine seconds a minute and run "
                f"{stated['concurrentQueries']} queries at once (else 429 with Retry-After); a query waits at "
                f"most {stated['queueTimeout']:g} s for a free engine (else 503 with Retry-After)."
            ),
        )
    )
    for name, value in limits:
        add(ox.Triple(service, _n(LIMITS + name), _lit(value)))
    for name, comment in _LIMIT_TERMS.items():
        term = _n(LIMITS + name)
        add(ox.Triple(term, rdf_type, _n(RDF + "Property")))
        add(ox.Triple(term, _n(RDFS + "label"), _lit(name)))
        add(ox.Triple(term, _n(RDFS + "comment"), _lit(comment)))

    dataset = ox.BlankNode()
    default = ox.BlankNode()
    add(ox.Triple(service, _n(SD + "defaultDataset"), dataset))
    add(ox.Triple(dataset, rdf_type, _n(SD + "Dataset")))
    add(ox.Triple(dataset, _n(RDFS + "seeAlso"), _n(void_url)))
    add(ox.Triple(dataset, _n(SD + "defaultGraph"), default))
    add(ox.Triple(default, rdf_type, _n(SD + "Graph")))
    total = 0
    for graph, size in _graph_sizes(store):
        total += size
        named, description = ox.BlankNode(), ox.BlankNode()
        add(ox.Triple(dataset, _n(SD + "namedGraph"), named))
        add(ox.Triple(named, rdf_type, _n(SD + "NamedGraph")))
        add(ox.Triple(named, _n(SD + "name"), _n(graph)))
        add(ox.Triple(named, _n(SD + "graph"), description))
        add(ox.Triple(description, rdf_type, _n(SD + "Graph")))
        add(ox.Triple(description, _n(VOID + "triples"), _lit(size)))
    add(ox.Triple(default, _n(VOID + "triples"), _lit(total)))
    return tuple(out)


def _graph_sizes(store: Store) -> list[tuple[str, int]]:
    result = store.query(_GRAPH_SIZES)
    assert isinstance(result, Solutions)
    sizes = []
    for graph, count in result.rows:
        if isinstance(graph, ox.NamedNode) and count is not None:
            sizes.append((graph.value, int(count.value)))
    return sizes
