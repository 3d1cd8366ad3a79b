"""The W3C SPARQL 1.1 Protocol endpoint at /sparql: queries by GET and POST, and a service description.

The view only reads the protocol request and negotiates a format; the checks and limits live in
:mod:`aikg.graph.endpoint`, and the store writes the answer (natively, where it can). An answer is written
whole before anything is sent, so a query that runs past its time limit gets a clean 503, never a 200 cut
short.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from flask import Blueprint, Response, redirect, request
from werkzeug.datastructures import MultiDict

from aikg.config import Settings
from aikg.errors import BadRequest, NotAcceptable, UnsupportedMediaType, UpdateForbidden
from aikg.graph.endpoint import answer_query, prepare
from aikg.graph.service import SD_PREFIXES, service_description
from aikg.sparql.formats import (
    JSONLD,
    NTRIPLES,
    RDFXML,
    RESULT_FORMATS,
    TURTLE,
    Format,
    accepts_html,
    by_name,
    negotiate,
)
from aikg.web.http import absolute_url, body_text, cacheable, get_settings, get_store, not_modified, uncacheable

bp = Blueprint("sparql", __name__)

FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
UPDATE = "application/sparql-update"
ALLOW = "GET, HEAD, POST, OPTIONS"
EXPOSED = "ETag, X-Aikg-Truncated, X-SPARQL-MaxRows, Warning, Content-Length"

# Graph formats under the names and media types that SPARQL clients send: SPARQLWrapper asks
# format=n3 or format=json for a graph, and application/turtle in its Accept header.
TURTLE_ANY = replace(TURTLE, aliases=(*TURTLE.aliases, "n3", "text/n3", "text/rdf+n3", "application/turtle"))
JSONLD_ANY = replace(JSONLD, aliases=(*JSONLD.aliases, "json", "application/json", "application/x-json+ld"))
GRAPH_CANDIDATES: tuple[Format, ...] = (TURTLE_ANY, NTRIPLES, JSONLD_ANY, RDFXML)
_GRAPH_FORMS = ("CONSTRUCT", "DESCRIBE")


@bp.route("/sparql", methods=["GET", "POST", "OPTIONS"])
@bp.route("/sparql/", methods=["GET", "POST", "OPTIONS"])
def sparql() -> Response:
    """Answer a SPARQL query (GET ?query=, POST form, POST application/sparql-query) or describe the service."""
    if request.method == "OPTIONS":
        return Response(status=204, headers={"Allow": ALLOW})
    settings = get_settings()
    text, default_graphs, named_graphs, params = _read_request(settings)
    if text is None:
        return _no_query(settings, params)
    query = prepare(text, settings)
    fmt = _choose_format(query.form, params)
    # Relative IRIs in the query resolve against the endpoint's URL (building it costs 20 µs).
    base = absolute_url(request.path) if query.needs_base else None
    # An answer that can change from run to run (NOW(), RAND(), ...) gets no ETag, so never a 304.
    etag = None if query.volatile else _etag(fmt, text, default_graphs, named_graphs, settings, base)
    cached = not_modified(etag) if etag is not None and request.method != "POST" else None
    if cached is not None:
        return cached
    answer = answer_query(
        get_store(), query, fmt.name, settings=settings, default_graph=default_graphs, named_graphs=named_graphs,
        base_iri=base,
    )
    graph = fmt in GRAPH_CANDIDATES
    if answer.fmt != fmt.name:  # a store answered the other kind than the form promised
        graph = not graph
        fmt = _choose_format("CONSTRUCT" if graph else "SELECT", params)
    response = Response(answer.body, status=200, content_type=fmt.content_type)
    if etag is None:
        uncacheable(response)
    else:
        cacheable(response, etag)
    headers = response.headers
    if answer.truncated:
        cap = settings.max_rows
        unit = "triples" if graph else "rows"
        headers["X-Aikg-Truncated"] = "true"
        headers["X-SPARQL-MaxRows"] = str(cap)
        headers["Warning"] = f'199 aikg "Answer truncated to {cap} {unit} (the row cap); use LIMIT and OFFSET"'
    return response


@bp.after_app_request
def _protocol_headers(response: Response) -> Response:
    """Add Vary and CORS headers to every /sparql response, errors and preflights included."""
    if not request.path.startswith("/sparql"):
        return response
    response.vary.add("Accept")
    origin = _allowed_origin(get_settings().cors_origins, request.headers.get("Origin"))
    if origin:
        headers = response.headers
        headers["Access-Control-Allow-Origin"] = origin
        headers["Access-Control-Expose-Headers"] = EXPOSED
        if origin != "*":
            response.vary.add("Origin")
        if request.method == "OPTIONS":
            headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            headers["Access-Control-Allow-Headers"] = (
                request.headers.get("Access-Control-Request-Headers") or "Accept, Content-Type, If-None-Match"
            )
            headers["Access-Control-Max-Age"] = "86400"
    return response


Graphs = list[str] | None


def _read_request(settings: Settings) -> tuple[str | None, Graphs, Graphs, MultiDict[str, str]]:
    """Read the query text, the protocol dataset and the other parameters from a GET or POST."""
    args = request.args
    if request.method == "POST":
        mimetype = request.mimetype
        charset = request.mimetype_params.get("charset", "utf-8").lower()
        max_bytes = settings.max_query_bytes
        if max_bytes:
            # Percent-encoding at most triples the bytes; leave room for the dataset parameters.
            request.max_content_length = 3 * max_bytes + 16 * 1024
        if mimetype == UPDATE:
            raise UnsupportedMediaType(
                "This endpoint is read-only: application/sparql-update is not accepted. "
                "Send queries as application/sparql-query or application/x-www-form-urlencoded."
            )
        if mimetype not in (FORM, DIRECT):
            got = f"Content-Type {mimetype}" if mimetype else "no Content-Type"
            raise UnsupportedMediaType(
                f"A POST to the SPARQL endpoint needs Content-Type {DIRECT} or {FORM} (got {got})."
            )
        if charset not in ("utf-8", "utf8"):
            raise UnsupportedMediaType(f"Queries must be encoded as UTF-8 (got charset={charset}).")
        if mimetype == FORM:
            params: MultiDict[str, str] = MultiDict(args)
            params.update(request.form)
            return (_one_query(params), *_dataset(params), params)
        if "query" in args:
            raise BadRequest("Two queries: a POST with a query in its body must not also have ?query= in its URL.")
        text = body_text(request.get_data(cache=False), "The query (the request's body)")
        return (text, *_dataset(args), args)
    return (_one_query(args), *_dataset(args), args)


def _one_query(params: MultiDict[str, str]) -> str | None:
    if "update" in params:
        raise UpdateForbidden(
            "This endpoint is read-only: the update operation is not accepted. Send a query with ?query=."
        )
    queries = params.getlist("query")
    if len(queries) > 1:
        raise BadRequest(f"A request must carry exactly one query; this one has {len(queries)} query parameters.")
    if not queries:
        return None
    return queries[0]


def _dataset(params: MultiDict[str, str]) -> tuple[Graphs, Graphs]:
    default = params.getlist("default-graph-uri")
    named = params.getlist("named-graph-uri")
    return (default or None, named or None)


def _no_query(settings: Settings, params: MultiDict[str, str]) -> Response:
    """Send browsers to the query page, and describe the service to RDF clients."""
    accept = request.headers.get("Accept")
    missing = ("The query parameter is missing: send ?query=, a form field query=, "
               "or a body of type application/sparql-query.")
    if request.method == "POST":
        raise BadRequest(missing)
    if not params.getlist("format") and accepts_html(accept):
        return redirect(request.script_root + "/query", code=303)  # type: ignore[return-value]
    try:
        fmt = _choose_format("DESCRIBE", params)
    except NotAcceptable:
        raise BadRequest(missing) from None
    endpoint, void = absolute_url("/sparql"), absolute_url("/.well-known/void")
    etag = _etag(fmt, "\0service", None, None, settings, endpoint)
    cached = not_modified(etag)
    if cached is not None:
        return cached
    triples = service_description(get_store(), settings, endpoint, void)
    return cacheable(Response(fmt.write(triples, SD_PREFIXES), status=200, content_type=fmt.content_type), etag)


def _choose_format(form: str, params: MultiDict[str, str]) -> Format:
    """Pick the answer's format: a known ?format= value first, else the Accept header by q-values."""
    candidates = GRAPH_CANDIDATES if form in _GRAPH_FORMS else RESULT_FORMATS
    names = params.getlist("format")
    if names:
        for name in names:
            fmt = by_name(name, candidates)
            if fmt is not None:
                return fmt
        offered = ", ".join(f.name for f in candidates)
        if any(by_name(n, (*RESULT_FORMATS, *GRAPH_CANDIDATES)) for n in names):
            raise NotAcceptable(f"format={names[0]} is not available for a {form} answer; use one of {offered}.")
        raise BadRequest(f"Unknown format {names[0]!r}; use one of {offered}.")
    return negotiate(request.headers.get("Accept"), candidates)


def _etag(fmt: Format, text: str, default: Graphs, named: Graphs, settings: Settings,
          base: str | None = None) -> str:
    """Derive the entity tag from the data version and everything in the request that shapes the answer
    (`base`: the URL the answer's relative IRIs resolve against, when it has any)."""
    key = "\0".join(
        (get_store().info.version, fmt.name, str(settings.max_rows), text, " ".join(default or ()), "|",
         " ".join(named or ()), base or "")
    )
    return hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


_ORIGINS: dict[str, frozenset[str]] = {}


def _allowed_origin(setting: object, origin: str | None) -> str | None:
    """Return the Access-Control-Allow-Origin value for a request's Origin under the CORS_ORIGINS setting."""
    if not setting:
        return None
    raw = ",".join(setting) if isinstance(setting, (list, tuple)) else str(setting)
    allowed = _ORIGINS.get(raw)
    if allowed is None:
        names = raw.replace(" ", ",").split(",")
        allowed = _ORIGINS[raw] = frozenset(o.strip().rstrip("/") for o in names if o.strip())
    if "*" in allowed:
        return "*"
    return origin if origin and origin.rstrip("/") in allowed else None

