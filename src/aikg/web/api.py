"""Named queries over HTTP (a JSON/CSV/SPARQL-results API, its OpenAPI document and their pages) and the
label-search endpoint used by autocomplete boxes.

JSON answers (``application/json``) are plain rows::

    {"query": "produced-by", "parameters": {"org": "https://...DeepMind", "subsidiaries": false},
     "columns": ["milestone", "milestoneLabel", ...], "rows": [{"milestone": "https://...", ...}],
     "truncated": false}

IRIs are strings, numbers are numbers, booleans are booleans, other literals are their lexical form and
unbound values are null. ``application/sparql-results+json``, ``+xml`` and ``text/csv`` give the W3C
results formats; ``application/sparql-query`` gives the query with its parameters bound, runnable at
/sparql. ``?format=json|srj|srx|csv|rq`` overrides the Accept header (for links and downloads).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Blueprint, Response, jsonify, render_template, request
from werkzeug.datastructures import MultiDict

from aikg.errors import BadRequest
from aikg.graph import catalogue as cat
from aikg.graph.labels import label_columns
from aikg.graph.search import resolve, search
from aikg.namespaces import OWL
from aikg.sparql.formats import ANSWER_FORMATS, JSON, RQ, SPARQL_CSV, Format, by_name, negotiate
from aikg.store import Solutions
from aikg.web.http import cacheable, get_settings, get_store, href, int_arg
from aikg.web.openapi import build as build_openapi

bp = Blueprint("api", __name__)


def _given(args: MultiDict[str, str]) -> dict[str, list[str]]:
    return {k: args.getlist(k) for k in args}


def _answer_format(query: cat.NamedQuery) -> Format:
    offered = [ANSWER_FORMATS[f] for f in query.formats]
    name = request.args.get("format")
    if name is not None:
        fmt = ANSWER_FORMATS.get(name.strip().lower()) or by_name(name, offered)
        if fmt is None or fmt not in offered:
            raise BadRequest(f"Unknown format {name!r}; use one of {', '.join(query.formats)}.")
        return fmt
    return negotiate(request.headers.get("Accept"), offered, default=JSON)


def run_named(name: str, given: Mapping[str, list[str]]) -> tuple[cat.NamedQuery, cat.Binding, Solutions]:
    """Bind and run a named query from parameter values (name -> list of strings)."""
    query = cat.shipped().get(name)
    store = get_store()
    binding = query.bind(store, given)
    settings = get_settings()
    result = cat.answer(store, query, binding, timeout=settings.query_timeout or None,
                        limit=settings.max_rows or None)
    return query, binding, result


def query_summary(query: cat.NamedQuery) -> dict[str, Any]:
    """Describe a named query for the catalogue listing."""
    example = {p.name: p.example for p in query.parameters if p.example and p.required}
    return {
        "name": query.name,
        "title": query.title,
        "description": query.description,
        "url": f"{request.script_root}/api/queries/{query.name}",
        "page": f"{request.script_root}/queries/{query.name}",
        "example": f"{request.script_root}/api/queries/{query.name}" + (f"?{urlencode(example)}" if example else ""),
        "parameters": [
            {
                "name": p.name,
                "type": p.kind,
                **({"class": p.class_iri} if p.class_iri else {}),
                "required": p.required,
                "repeat": p.repeat,
                **({"default": p.default} if p.default is not None else {}),
                **({"example": p.example} if p.example is not None else {}),
                "description": p.description,
            }
            for p in query.parameters
        ],
        "columns": [{"name": c.name, "type": c.kind, "description": c.description} for c in query.columns],
        "formats": [ANSWER_FORMATS[f].media_type for f in query.formats],
    }


@bp.get("/api/queries")
def list_queries() -> Response:
    """List the named queries."""
    return cacheable(jsonify({"queries": [query_summary(q) for q in cat.shipped()]}))


@bp.get("/api/queries/<name>")
def named_query(name: str) -> Response:
    """Run one named query and answer in the negotiated format."""
    query = cat.shipped().get(name)
    fmt = _answer_format(query)
    if fmt is RQ:
        binding = query.bind(get_store(), _given(request.args))
        return cacheable(Response(query.instantiate(binding), content_type="application/sparql-query; charset=utf-8"))
    query, binding, result = run_named(name, _given(request.args))
    if fmt is JSON:
        return cacheable(jsonify(cat.answer_json(query, binding, result)))
    body = fmt.write(result)
    response = Response(body, content_type=fmt.content_type)
    if fmt is SPARQL_CSV:
        response.headers["Content-Disposition"] = f'inline; filename="{query.name}.csv"'
    return cacheable(response)


@bp.get("/api/openapi.json")
def openapi() -> Response:
    """Serve the OpenAPI 3.1 description of the API, generated from the query files."""
    return cacheable(jsonify(build_openapi(cat.shipped(), title=get_settings().title or "aikg")))


@bp.get("/api/search")
def api_search() -> Response:
    """Answer an autocomplete request: resources whose labels match q, best first."""
    q = request.args.get("q")
    if q is None:
        raise BadRequest("Give the text to look for as q, for example /api/search?q=alphago.")
    store = get_store()
    classes = [resolve(store, c, OWL + "Class") for c in request.args.getlist("class")]
    hits = search(store, q, classes=classes or None, limit=int_arg("limit", 20, 1, 100))
    return jsonify([
        {
            "iri": h.iri,
            "label": h.label,
            "matched": h.matched,
            "type": h.type.label if h.type else None,
            "typeIri": h.type.iri if h.type else None,
            "description": h.description,
            "date": h.when.machine if h.when else None,
            "kind": h.kind,
            "url": href(h.iri),
        }
        for h in hits
    ])


# ------------------------------------------------------------------------------------------------- pages


def _links(args: Mapping[str, list[str]], **extra: str) -> str:
    pairs = [(k, v) for k, vs in args.items() for v in vs if v.strip() and k != "format"]
    pairs += list(extra.items())
    return urlencode(pairs)


@bp.get("/queries")
def queries_page() -> str:
    """Show the catalogue of named queries."""
    return render_template("queries.html", queries=[query_summary(q) for q in cat.shipped()])


@bp.get("/queries/<name>")
def named_query_page(name: str) -> tuple[str, int]:
    """Show a named query: its form, its answer as a table, its SPARQL and download links."""
    query = cat.shipped().get(name)
    given = cat.drop_empty(_given(request.args))
    given.pop("format", None)
    submitted = bool(given)
    missing = [p for p in query.parameters if p.required and p.name not in given]
    error: BadRequest | None = None
    result = binding = None
    sparql = query.text
    if not missing or submitted:
        try:
            query, binding, result = run_named(name, given)
            sparql = query.instantiate(binding)
        except BadRequest as e:
            error = e
    example = {p.name: p.example for p in query.parameters if p.example and p.required}
    args = _links(given)
    candidates = _candidate_links(query, given, error)
    page = render_template(
        "named_query.html",
        query=query,
        summary=query_summary(query),
        given=given,
        result=result,
        rows=_table(result) if result is not None else [],
        error=error,
        candidates=candidates,
        sparql=sparql,
        editor_url=f"{request.script_root}/query?{urlencode({'query': sparql})}",
        api_url=f"{request.script_root}/api/queries/{query.name}" + (f"?{args}" if args else ""),
        csv_url=f"{request.script_root}/api/queries/{query.name}?{_links(given, format='csv')}",
        json_url=f"{request.script_root}/api/queries/{query.name}?{_links(given, format='json')}",
        example_url=f"{request.script_root}/queries/{query.name}?{urlencode(example)}" if example else None,
    )
    return page, 400 if error is not None else 200


def _candidate_links(
    query: cat.NamedQuery, given: Mapping[str, list[str]], error: BadRequest | None
) -> list[dict[str, Any]]:
    """Offer each candidate of an ambiguous or unknown label as a link that asks again with it."""
    details = error.details if error is not None and isinstance(error.details, dict) else {}
    name = details.get("parameter")
    out = []
    for c in details.get("candidates") or []:
        retry = {**given, str(name): [c["iri"]]} if name else dict(given)
        out.append({**c, "url": f"{request.script_root}/queries/{query.name}?{_links(retry)}" if name else None})
    return out


def _table(result: Solutions) -> list[list[dict[str, Any]]]:
    """Lay out rows for the template: an IRI cell shows its neighbour column `<name>Label` as link text."""
    names = result.variables
    folded = label_columns(names)
    out = []
    for row in result.rows:
        values = dict(zip(names, row, strict=True))
        cells: list[dict[str, Any]] = []
        for n, label_name in folded:
            term = values.get(n)
            label = values.get(label_name) if label_name else None
            if isinstance(term, ox.NamedNode):
                text = label.value if label is not None else term.value
                cells.append({"text": text, "href": href(term.value), "iri": term.value})
            else:
                cells.append({"text": "" if term is None else str(cat.plain(term)), "href": None, "iri": None})
        out.append(cells)
    return out


def table_columns(result: Solutions) -> list[str]:
    """Return the columns a results table shows (label columns fold into their IRI column)."""
    return [n for n, _ in label_columns(result.variables)]


@bp.app_template_global("query_table_columns")
def _query_table_columns(result: Solutions) -> list[str]:
    return table_columns(result)

