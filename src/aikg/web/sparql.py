"""The W3C SPARQL 1.1 Protocol endpoint at /sparql: queries by GET and POST, and a service description.

The view only reads the protocol request, negotiates a format and serialises; the checks and limits live
in :mod:`aikg.graph.endpoint`. An answer is serialised whole before anything is sent, so a query that runs
past its time limit gets a clean 503, never a 200 cut short.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, current_app, redirect, request
from werkzeug.datastructures import MultiDict

from aikg.errors import BadRequest, NotAcceptable, UnsupportedMediaType, UpdateForbidden
from aikg.graph.endpoint import answer_query, check_text
from aikg.graph.service import SD_PREFIXES, service_description
from aikg.sparql.formats import (
    NTRIPLES,
    RDFXML,
    RESULT_FORMATS,
    Format,
    accepts_html,
    by_name,
    negotiate,
)
from aikg.sparql.query import analyse
from aikg.sparql.results import triples_bytes
from aikg.web.http import get_store

bp = Blueprint("sparql", __name__)

FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
UPDATE = "application/sparql-update"
ALLOW = "GET, HEAD, POST, OPTIONS"
EXPOSED = "ETag, X-Aikg-Truncated, X-SPARQL-MaxRows, Warning, Content-Length"

# Graph formats under the names and media types that SPARQL clients send: SPARQLWrapper asks
# format=n3 or format=json for a graph, and application/turtle in its Accept header.
TURTLE_ANY = Format("ttl", "text/turtle", "ttl", ("turtle", "n3", "text/n3", "text/rdf+n3", "application/x-turtle",
                                                  "application/turtle"))
JSONLD_ANY = Format("jsonld", "application/ld+json", "jsonld", ("json-ld", "json", "application/json",
                                                                "application/x-json+ld"))
GRAPH_CANDIDATES: tuple[Format, ...] = (TURTLE_ANY, NTRIPLES, JSONLD_ANY, RDFXML)
_GRAPH_FORMS = ("CONSTRUCT", "DESCRIBE")


@bp.route("/sparql", methods=["GET", "POST", "OPTIONS"])
@bp.route("/sparql/", methods=["GET", "POST", "OPTIONS"])
def sparql() -> Response:
    """Answer a SPARQL query (GET ?query=, POST form, POST application/sparql-query) or describe the service."""
    if request.method == "OPTIONS":
        return Response(status=204, headers={"Allow": ALLOW})
    settings = current_app.config
    text, default_graphs, named_graphs, params = _read_request(settings)
    if text is None:
        return _no_query(settings, params)
    form = check_text(text, settings)
    fmt = _choose_format(form, params)
    etag = _etag(fmt, text, default_graphs, named_graphs, settings)
    if request.method != "POST" and request.if_none_match.contains_weak(etag):
        return _cached_response(etag, settings)
    answer = answer_query(
        get_store(), text, fmt.name, settings=settings, default_graph=default_graphs, named_graphs=named_graphs,
        base_iri=request.base_url if analyse(text).needs_base else None,  # building the URL costs 20 µs
    )
    graph = fmt in GRAPH_CANDIDATES
    if answer.fmt != fmt.name:  # a store answered the other kind than the form promised
        graph = fmt not in GRAPH_CANDIDATES
        fmt = _choose_format("CONSTRUCT" if graph else "SELECT", params)
    response = Response(answer.body, status=200, content_type=fmt.content_type)
    headers = response.headers
    headers["ETag"] = f'"{etag}"'
    headers["Cache-Control"] = _cache_control(settings)
    if answer.truncated:
        cap = settings.get("MAX_ROWS")
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
    origin = _allowed_origin(current_app.config.get("CORS_ORIGINS"), request.headers.get("Origin"))
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


def _read_request(settings: Mapping[str, Any]) -> tuple[str | None, Graphs, Graphs, MultiDict[str, str]]:
    """Read the query text, the protocol dataset and the other parameters from a GET or POST."""
    args = request.args
    if request.method == "POST":
        mimetype = request.mimetype
        charset = request.mimetype_params.get("charset", "utf-8").lower()
        max_bytes = int(settings.get("MAX_QUERY_BYTES") or 0)
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
        raw = request.get_data(cache=False)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise BadRequest(f"The query is not valid UTF-8 (byte {e.start}).") from None
        return (text.removeprefix("\ufeff"), *_dataset(args), args)
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


def _no_query(settings: Mapping[str, Any], params: MultiDict[str, str]) -> Response:
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
    etag = _etag(fmt, "\0service", None, None, settings)
    if request.if_none_match.contains_weak(etag):
        return _cached_response(etag, settings)
    root = request.url_root
    triples = service_description(get_store(), settings, root + "sparql", root + ".well-known/void")
    response = Response(triples_bytes(triples, fmt, SD_PREFIXES), status=200, content_type=fmt.content_type)
    response.headers["ETag"] = f'"{etag}"'
    response.headers["Cache-Control"] = _cache_control(settings)
    return response


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


def _etag(fmt: Format, text: str, default: Graphs, named: Graphs, settings: Mapping[str, Any]) -> str:
    """Derive the entity tag from the data version and everything in the request that shapes the answer."""
    key = "\0".join(
        (get_store().info.version, fmt.name, str(settings.get("MAX_ROWS")), text, " ".join(default or ()), "|",
         " ".join(named or ()))
    )
    return hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _cached_response(etag: str, settings: Mapping[str, Any]) -> Response:
    response = Response(status=304)
    response.headers["ETag"] = f'"{etag}"'
    response.headers["Cache-Control"] = _cache_control(settings)
    return response


def _cache_control(settings: Mapping[str, Any]) -> str:
    return f"public, max-age={int(settings.get('CACHE_MAX_AGE') or 0)}"


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

