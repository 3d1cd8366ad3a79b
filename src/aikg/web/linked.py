"""Linked data: our IRIs answer by content negotiation, and the dataset describes and dumps itself.

Routes (each IRI of ours is served at its own path, see :mod:`aikg.web.http`):

- ``/resource/<slug>``, ``/ontology/<Term>``: 303 See Other to ``<slug>.html|.ttl|.nt|.jsonld|.rdf`` by
  the Accept header (``?format=`` overrides); unknown IRIs get 404 (a page offering a search to browsers).
- ``/resource/<slug>.<ext>``, ``/ontology/<Term>.<ext>``: the documents, all derived from
  :func:`aikg.graph.document.description_triples` (the HTML page from :func:`aikg.graph.describe.describe`).
- ``/ontology``, ``/ontology/``: 303 to ``/ontology.html|.ttl|.nt|.jsonld|.rdf`` (documentation or the OWL file).
- ``/context.jsonld``: the JSON-LD context of every JSON-LD document.
- ``/.well-known/void`` (negotiated, 200) and ``/void`` (303) to ``/void.ttl|.nt|.jsonld|.rdf|.html``.
- ``/dumps/``: the list of dumps; ``/dumps/aikg.<ttl|nt|jsonld|rdf|trig|nq>[.gz]``: the whole graph.

Every document carries a strong ETag (data version, host, path and query), answers 304 to If-None-Match,
says ``Vary: Accept`` and lists its other representations in ``Link: rel="alternate"`` headers, with
``rel="describedby"`` to the VoID description and ``rel="describes"`` (RFC 6892) to the IRI it is about.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from flask import (
    Blueprint,
    Response,
    redirect,
    render_template,
    request,
)
from pyld import jsonld  # type: ignore[import-untyped]
from werkzeug.wrappers import Response as BaseResponse

from aikg.errors import BadRequest, NotFound
from aikg.graph.document import description_triples
from aikg.graph.dumps import DUMP_FORMATS, DUMP_NAME, default_cache_dir, dump_file, dump_format
from aikg.graph.ontology_doc import jsonld_context, ontology_doc, ontology_triples
from aikg.graph.profile import profile
from aikg.graph.search import find
from aikg.graph.void import statistics, void_triples
from aikg.namespaces import ONTOLOGY, RDF, XSD, curie
from aikg.sparql.formats import GRAPH_FORMATS, HTML, JSONLD, NTRIPLES, RDFXML, TURTLE, Format, by_name, negotiate
from aikg.web.http import absolute_url, cacheable, get_settings, get_store, int_arg, iri_for, not_modified, public_url

bp = Blueprint("linked", __name__)

#: Representations of a resource, ontology term, the ontology and VoID, by extension.
DOCUMENT_FORMATS: dict[str, Format] = {"html": HTML, **{f.extension: f for f in GRAPH_FORMATS}}
# A client asking for plain JSON gets JSON-LD.
_JSON_AS_JSONLD = replace(JSONLD, media_type="application/json", aliases=())
_NEGOTIABLE: tuple[Format, ...] = (HTML, TURTLE, NTRIPLES, JSONLD, RDFXML, _JSON_AS_JSONLD)
_MAX_INCOMING_PAGE = 500


# --------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------


def _cors_origin() -> str:
    origins = get_settings().cors_origins
    return (",".join(origins) if isinstance(origins, tuple) else origins) or "*"


def _space_iri(space: str) -> str:
    """Return the IRI of a namespace (resource/ or ontology/) under the configured base."""
    return iri_for(space)


def _pick_extension(candidates: Sequence[Format] = _NEGOTIABLE, default: Format = HTML) -> str:
    """Choose a document extension by ?format= or by the Accept header (406 when nothing fits)."""
    wanted = request.args.get("format")
    if wanted:
        fmt = by_name(wanted, [f for f in candidates if f is not _JSON_AS_JSONLD])
        if fmt is None:
            names = ", ".join(dict.fromkeys(f.extension for f in candidates))
            raise BadRequest(f"Unknown format {wanted!r}; use one of {names}.")
        return fmt.extension
    return negotiate(request.headers.get("Accept"), candidates, default=default).extension


def _see_other(url: str) -> BaseResponse:
    return cacheable(redirect(url, code=303))


def _etag(*parts: str, absolute: bool = False) -> str:
    """Derive a document's ETag; `absolute`: its body holds absolute URLs of ours (see absolute_url)."""
    version = get_store().info.version
    base = absolute_url("") if absolute else public_url("")
    digest = hashlib.sha256("\x1f".join((version, base, request.full_path, *parts)).encode()).hexdigest()
    return f"{version}-{digest[:16]}"


def _link_header(alternates: dict[str, str], current: str, describes: str | None) -> str:
    links = [
        f'<{url}>; rel="alternate"; type="{DOCUMENT_FORMATS[ext].media_type}"'
        for ext, url in alternates.items()
        if ext != current
    ]
    links.append(f'<{public_url("/.well-known/void")}>; rel="describedby"; type="text/turtle"')
    if describes:
        links.append(f'<{describes}>; rel="describes"')
    return ", ".join(links)


def _finish(
    response: BaseResponse, etag: str, alternates: dict[str, str], ext: str, describes: str | None
) -> BaseResponse:
    cacheable(response, etag)
    response.headers["Content-Location"] = alternates[ext]
    modified = get_store().info.modified
    if modified:
        # A store that reports no parseable time simply sends no Last-Modified.
        with contextlib.suppress(ValueError):
            response.last_modified = datetime.fromisoformat(modified)
    response.headers["Link"] = _link_header(alternates, ext, describes)
    response.headers.setdefault("Access-Control-Allow-Origin", _cors_origin())
    return response


def _no_remote_documents(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    raise jsonld.JsonLdError(f"aikg does not fetch remote JSON-LD documents ({url})", "loading document failed")


def context() -> dict[str, Any]:
    """Return the JSON-LD context of the current store's ontology."""
    return jsonld_context(ontology_doc(get_store()))


def graph_body(triples: list[ox.Triple], fmt: Format) -> bytes:
    """Serialise triples in a graph format; JSON-LD is compacted with the published context."""
    if fmt.name != JSONLD.name:
        return fmt.write(triples)
    compacted = jsonld.compact(expanded_jsonld(triples), {"@context": context()},
                               {"documentLoader": _no_remote_documents})
    compacted["@context"] = absolute_url("/context.jsonld")
    return json.dumps(compacted, ensure_ascii=False, indent=1).encode()


_RDF_FIRST = RDF + "first"
_RDF_REST = RDF + "rest"
_RDF_NIL = RDF + "nil"
_RDF_TYPE = RDF + "type"
_XSD_STRING = XSD + "string"


def _jsonld_term(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> dict[str, str]:
    if isinstance(term, ox.NamedNode):
        return {"@id": term.value}
    if isinstance(term, ox.BlankNode):
        return {"@id": f"_:{term.value}"}
    if term.language:
        return {"@value": term.value, "@language": term.language}
    if term.datatype.value == _XSD_STRING:
        return {"@value": term.value}
    return {"@value": term.value, "@type": term.datatype.value}


def expanded_jsonld(triples: Sequence[ox.Triple]) -> list[dict[str, Any]]:
    """Turn triples into expanded JSON-LD as pyld's from_rdf does (one node object per subject, rdf:type as
    @type, well-formed blank-node lists as @list), in one pass: from_rdf takes time quadratic in the triples
    (8 s for 4,000, a minute for the 10,000 of a class with thousands of instances)."""
    nodes: dict[str, dict[str, Any]] = {}
    uses: dict[str, int] = {}
    for t in triples:
        s_id = _jsonld_term(t.subject)["@id"]  # type: ignore[arg-type]
        node = nodes.setdefault(s_id, {"@id": s_id})
        if t.predicate.value == _RDF_TYPE and not isinstance(t.object, ox.Literal):
            # The triples are distinct, so no value is added twice.
            node.setdefault("@type", []).append(_jsonld_term(t.object)["@id"])  # type: ignore[arg-type]
            continue
        obj = _jsonld_term(t.object)  # type: ignore[arg-type]
        node.setdefault(t.predicate.value, []).append(obj)
        if isinstance(t.object, ox.BlankNode):
            uses[obj["@id"]] = uses.get(obj["@id"], 0) + 1

    def list_node(node_id: str) -> bool:
        node = nodes.get(node_id)
        if node is None or not node_id.startswith("_:") or uses.get(node_id) != 1:
            return False
        keys = set(node) - {"@id"}
        return keys == {_RDF_FIRST, _RDF_REST} and len(node[_RDF_FIRST]) == 1 and len(node[_RDF_REST]) == 1

    def fold(value: dict[str, Any]) -> dict[str, Any] | None:
        """Return {"@list": [...]} for the head of a well-formed list, else None."""
        items, seen, current = [], set(), value.get("@id")
        while current != _RDF_NIL:
            if current is None or current in seen or not list_node(current):
                return None
            seen.add(current)
            items.append(nodes[current][_RDF_FIRST][0])
            current = nodes[current][_RDF_REST][0].get("@id")
        for n in seen:
            del nodes[n]
        return {"@list": items}

    for node in list(nodes.values()):
        if node["@id"] not in nodes or list_node(node["@id"]):  # a list's own nodes are folded from its owner
            continue
        for key, values in node.items():
            if key.startswith("@"):
                continue
            for i, v in enumerate(values):
                if "@id" in v and v["@id"].startswith("_:") and v["@id"] in nodes and list_node(v["@id"]):
                    folded = fold(v)
                    if folded is not None:
                        values[i] = folded
    return [nodes[k] for k in sorted(nodes)]


def _alternates(path: str) -> dict[str, str]:
    return {ext: public_url(f"{path}.{ext}") for ext in DOCUMENT_FORMATS}


def _alternate_list(alternates: dict[str, str]) -> list[dict[str, str]]:
    return [
        {"ext": ext, "label": DOCUMENT_FORMATS[ext].label, "media_type": DOCUMENT_FORMATS[ext].media_type, "url": url}
        for ext, url in alternates.items()
    ]


# --------------------------------------------------------------------------------------------------
# Resources and ontology terms
# --------------------------------------------------------------------------------------------------


@bp.get("/resource/<path:name>")
def resource(name: str) -> BaseResponse:
    """Serve an IRI of the resource namespace: 303 to a document, or a document."""
    return _serve("resource/", name)


@bp.get("/ontology/<path:name>")
def ontology_term(name: str) -> BaseResponse:
    """Serve an IRI of the ontology namespace: 303 to a document, or a document."""
    if name.startswith(".") and name[1:] in DOCUMENT_FORMATS:  # /ontology/.ttl: the ontology itself
        return redirect(f"{request.script_root}/ontology.{name[1:]}", code=301)
    doc = ontology_doc(get_store())
    if doc.version and name == doc.version:  # the versionIRI (ontology/0.1.0) names the ontology served here
        return _see_other(f"{request.script_root}/ontology.{_pick_extension()}")
    return _serve("ontology/", name)


def _split(name: str) -> tuple[str, str | None]:
    last = name.rsplit("/", 1)[-1]
    if "." not in last:
        return name, None
    stem, ext = name.rsplit(".", 1)
    return stem, ext


def _exists(iri: str) -> bool:
    from aikg.store import ask

    return ask(get_store(), "ASK { { ?s ?p ?o } UNION { ?o ?p ?s } }", s=ox.NamedNode(iri))


def _serve(space: str, name: str) -> BaseResponse:
    stem, ext = _split(name)
    try:
        iri = iri_for(space + stem)
        ox.NamedNode(iri)
    except ValueError:
        raise NotFound(f"{space}{stem} is not a valid IRI path.") from None
    if ext is None:
        chosen = _pick_extension()  # 400 or 406 first: they do not depend on the data
        if not _exists(iri):
            return _not_found(space, stem, iri)
        return _see_other(f"{request.script_root}/{space}{stem}.{chosen}")
    if ext not in DOCUMENT_FORMATS:
        raise NotFound(f"No representation .{ext}; use one of {', '.join(DOCUMENT_FORMATS)}.")
    etag = _etag(absolute=ext == "jsonld")  # JSON-LD names its @context by an absolute URL
    cached = not_modified(etag)
    if cached is not None:
        return cached
    alternates = _alternates(f"/{space}{stem}")
    if ext == "html":
        response = _html_page(space, stem, iri, alternates)
    else:
        triples = description_triples(get_store(), iri)
        if not triples:
            return _not_found(space, stem, iri, html=False)
        fmt = DOCUMENT_FORMATS[ext]
        response = Response(graph_body(triples, fmt), content_type=fmt.content_type)
    return _finish(response, etag, alternates, ext, iri)


def _html_page(space: str, stem: str, iri: str, alternates: dict[str, str]) -> BaseResponse:
    limit = int_arg("incoming_limit", 50, 0, _MAX_INCOMING_PAGE)
    offset = int_arg("incoming_offset", 0, 0, 10**9)
    store = get_store()
    found = profile(store, iri, incoming_limit=limit, incoming_offset=offset)
    if found is None:
        return _not_found(space, stem, iri)
    term = None
    if space == "ontology/":
        term = ontology_doc(store).term(stem)
    context_vars: dict[str, Any] = {
        "p": found,
        "description": found.description,
        "iri": iri,
        "term": term,
        "alternates": _alternate_list(alternates),
        "void_url": public_url("/.well-known/void"),
        "incoming_limit": limit,
        "incoming_offset": offset,
    }
    html = render_template("term.html" if term is not None else "resource.html", **context_vars)
    return Response(html, content_type=HTML.content_type)


def _not_found(space: str, stem: str, iri: str, *, html: bool | None = None) -> BaseResponse:
    """Answer 404 for an IRI the data does not know: a page with a search form, or the JSON error."""
    wants_html = html if html is not None else _prefers_html()
    message = f"The knowledge graph says nothing about <{iri}>."
    if not wants_html:
        raise NotFound(message)
    query = stem.rsplit("/", 1)[-1].replace("_", " ")
    # Did you mean: what a search for the path's words finds (typos tolerated), or queries that would find.
    results = find(get_store(), query[:200], limit=8)
    body = render_template("not_found.html", iri=iri, query=query, message=message, results=results)
    response = Response(body, status=404, content_type=HTML.content_type)
    response.headers["Vary"] = "Accept"
    return response


def _prefers_html() -> bool:
    wanted = request.args.get("format")
    if wanted:
        return wanted.lower() == "html"
    accept = request.headers.get("Accept")
    if request.path.endswith(".html"):
        return True
    try:
        return negotiate(accept, _NEGOTIABLE, default=HTML) is HTML
    except Exception:  # a 404 is a 404 whatever was asked for
        return False


# --------------------------------------------------------------------------------------------------
# The ontology
# --------------------------------------------------------------------------------------------------


@bp.get("/ontology")
@bp.get("/ontology/")
def ontology() -> BaseResponse:
    """Send the ontology's IRI to its documentation or its RDF by the Accept header."""
    return _see_other(f"{request.script_root}/ontology.{_pick_extension()}")


@bp.get("/ontology.<ext>")
def ontology_document(ext: str) -> BaseResponse:
    """Serve the ontology: HTML documentation, or the OWL ontology in an RDF syntax."""
    if ext not in DOCUMENT_FORMATS:
        raise NotFound(f"No representation .{ext}; use one of {', '.join(DOCUMENT_FORMATS)}.")
    etag = _etag(absolute=ext == "jsonld")
    cached = not_modified(etag)
    if cached is not None:
        return cached
    store = get_store()
    alternates = _alternates("/ontology")
    if ext == "html":
        doc = ontology_doc(store)
        html = render_template(
            "ontology.html", doc=doc, alternates=_alternate_list(alternates), iri=ONTOLOGY
        )
        response = Response(html, content_type=HTML.content_type)
    else:
        fmt = DOCUMENT_FORMATS[ext]
        response = Response(graph_body(ontology_triples(store), fmt), content_type=fmt.content_type)
    return _finish(response, etag, alternates, ext, _space_iri("ontology/"))


@bp.get("/context.jsonld")
def jsonld_context_document() -> BaseResponse:
    """Serve the JSON-LD context that aikg's JSON-LD documents refer to."""
    etag = _etag()
    cached = not_modified(etag)
    if cached is not None:
        return cached
    body = json.dumps({"@context": context()}, ensure_ascii=False, indent=1).encode()
    response = cacheable(Response(body, content_type=JSONLD.content_type), etag, vary=())
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


# --------------------------------------------------------------------------------------------------
# VoID
# --------------------------------------------------------------------------------------------------


@bp.get("/.well-known/void")
def well_known_void() -> BaseResponse:
    """Serve the VoID description here (Turtle unless asked otherwise), pointing at /void.<ext>."""
    ext = _pick_extension(default=TURTLE)
    return _void(ext)


@bp.get("/void")
def void_generic() -> BaseResponse:
    """Send the VoID description's generic URL to one of its documents."""
    return _see_other(f"{request.script_root}/void.{_pick_extension(default=TURTLE)}")


@bp.get("/void.<ext>")
def void_document(ext: str) -> BaseResponse:
    """Serve the VoID description in one format."""
    if ext not in DOCUMENT_FORMATS:
        raise NotFound(f"No representation .{ext}; use one of {', '.join(DOCUMENT_FORMATS)}.")
    return _void(ext)


def _void(ext: str) -> BaseResponse:
    etag = _etag(ext, absolute=ext != "html")  # VoID names the endpoint and the dumps by absolute URLs
    cached = not_modified(etag)
    if cached is not None:
        return cached
    store = get_store()
    stats = statistics(store, _space_iri("resource/"))
    alternates = _alternates("/void")
    title = get_settings().title or "aikg"
    if ext == "html":
        response = Response(_dataset_page(stats, alternates), content_type=HTML.content_type)
    else:
        fmt = DOCUMENT_FORMATS[ext]
        triples = void_triples(stats, absolute_url(""), title=title, uri_space=_space_iri("resource/"))
        response = Response(graph_body(triples, fmt), content_type=fmt.content_type)
    return _finish(response, etag, alternates, ext, None)


def _dataset_page(stats: Any, alternates: dict[str, str]) -> str:
    host = public_url("")
    dumps = [
        {"url": f"{host}/dumps/{DUMP_NAME}.{f.extension}", "label": f.label, "media_type": f.media_type}
        for name, f in DUMP_FORMATS.items()
    ]
    return render_template(
        "dataset.html",
        stats=stats,
        dumps=dumps,
        alternates=_alternate_list(alternates),
        title=get_settings().title or "aikg",
        host=host,
        curie=curie,
    )


# --------------------------------------------------------------------------------------------------
# Dumps
# --------------------------------------------------------------------------------------------------


@bp.get("/dumps")
def dumps_redirect() -> BaseResponse:
    """Send /dumps to the list of dumps."""
    return redirect(f"{request.script_root}/dumps/", code=301)


@bp.get("/dumps/")
def dumps_index() -> BaseResponse:
    """List the dumps (the dataset page)."""
    return void_document("html")


@bp.get("/dumps/<filename>")
def dump(filename: str) -> BaseResponse:
    """Serve a dump of the whole graph: strong ETag, 304, gzip by Accept-Encoding or by a .gz name."""
    explicit_gz = filename.endswith(".gz")
    stem = filename[:-3] if explicit_gz else filename
    base, _, ext = stem.partition(".")
    if base != DUMP_NAME or not ext:
        raise NotFound(f"No dump {filename!r}; dumps are {DUMP_NAME}.<{'|'.join(DUMP_FORMATS)}>[.gz].")
    fmt = dump_format(ext)
    encode = not explicit_gz and "gzip" in request.accept_encodings
    gz = explicit_gz or encode
    store = get_store()
    etag = f"{store.info.version}-{ext}" + ("-gz" if gz else "")
    cached = not_modified(etag, vary=("Accept-Encoding",))
    if cached is not None:
        return cached
    cache = get_settings().dump_dir
    found = dump_file(store, fmt, Path(cache) if cache else default_cache_dir(), gzipped=gz)
    mimetype = "application/gzip" if explicit_gz else fmt.content_type
    download = found.filename if explicit_gz else f"{DUMP_NAME}.{fmt.extension}"
    response = Response(_chunks(found.path), mimetype=mimetype)
    response.headers["Content-Length"] = str(found.path.stat().st_size)
    response.headers["Content-Disposition"] = f'attachment; filename="{download}"'
    cacheable(response, etag, vary=("Accept-Encoding",))
    if encode:
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Link"] = f'<{public_url("/.well-known/void")}>; rel="describedby"; type="text/turtle"'
    response.headers.setdefault("Access-Control-Allow-Origin", _cors_origin())
    return response


def _chunks(path: Path, size: int = 1 << 16) -> Iterator[bytes]:
    """Stream a file in chunks (closed when the response is done or the client goes away)."""
    with path.open("rb") as f:
        while chunk := f.read(size):
            yield chunk
