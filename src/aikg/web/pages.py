"""Pages to browse the graph: home, search, timeline, the relationship explorer, paths and the query page.

Each view parses its arguments, calls one domain module (home, search, timeline, paths, endpoint) and
renders a template; the pages work without JavaScript, which only adds autocomplete and a richer editor.
"""

from __future__ import annotations

import contextlib
import heapq
import re
import time
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Blueprint, Response, make_response, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from aikg.errors import AikgError, BadRequest
from aikg.graph import home, paths, timeline
from aikg.graph.cache import per_version
from aikg.graph.endpoint import run_query
from aikg.graph.labels import KIND_NAMES, label_columns
from aikg.graph.listing import LISTED
from aikg.graph.search import find, normalise, resolve
from aikg.graph.search import index as search_index
from aikg.namespaces import ONTOLOGY, PREFIXES, XSD, curie
from aikg.sparql.formats import GRAPH_FORMATS, RESULT_FORMATS
from aikg.sparql.query import fold_prologue, with_prefixes
from aikg.store import Boolean, QueryResult, Solutions, Store, Triples
from aikg.web.http import cacheable, get_settings, get_store, href, int_arg, uncacheable
from aikg.web.layout import Drawing, draw
from aikg.web.picture import draw as draw_timeline

bp = Blueprint("pages", __name__)

#: Eras the home page shows, and milestones under each; the timeline has the rest.
HOME_ERAS = 24
HOME_MILESTONES = 12
#: Hits a search page shows.
SEARCH_PAGE = 25
#: Rows a results table shows; the downloads hold them all.
SHOWN_ROWS = 500
_PLAIN = {XSD + "string", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"}

DEFAULT_QUERY = """SELECT ?milestone ?label ?date WHERE {
  ?milestone a aikg:Milestone ;
             rdfs:label ?label ;
             aikg:date ?date .
}
ORDER BY ?date
"""


# --------------------------------------------------------------------------------------------------
# URLs for templates
# --------------------------------------------------------------------------------------------------


def _url(path: str, **args: Any) -> str:
    pairs = [(k, v) for k, v in args.items() if v not in (None, "")]
    return f"{request.script_root}{path}" + (f"?{urlencode(pairs)}" if pairs else "")


@bp.app_template_global()
def explore_url(iri: str, hops: int = 1) -> str:
    """Return the explorer URL centred on an IRI."""
    return _url("/explore", iri=iri, hops=hops)


@bp.app_template_global()
def paths_url(source: str = "", target: str = "") -> str:
    """Return the path-finder URL from (and to) an IRI or label."""
    return _url("/paths", **{"from": source, "to": target})


@bp.app_template_global()
def has_list(cls: str) -> bool:
    """Tell whether a class has a list (a table at /lists/<Class>)."""
    return cls.startswith(ONTOLOGY) and cls.removeprefix(ONTOLOGY) in LISTED


@bp.app_template_global()
def list_url(cls: str, **args: Any) -> str:
    """Return the URL of a class's list (its table), or of the class's page for a class without one."""
    if not has_list(cls):
        return href(cls)
    return _url("/lists/" + cls.removeprefix(ONTOLOGY), **args)


@bp.app_template_global()
def query_url(text: str) -> str:
    """Return the query page URL with a query filled in."""
    return _url("/query", query=text)


@bp.app_template_global()
def describe_url(iri: str) -> str:
    """Return the query page URL running DESCRIBE on an IRI."""
    return query_url(f"DESCRIBE {ox.NamedNode(iri)}")


@bp.app_template_global()
def sparql_download(text: str, fmt: str) -> str:
    """Return the endpoint URL that answers a query in a format (json, xml, csv, tsv, ttl, ...)."""
    return _url("/sparql", query=text, format=fmt)


@bp.app_context_processor
def _names() -> dict[str, Any]:
    return {"kind_names": KIND_NAMES}


@bp.app_template_global("curie")
def _curie(iri: str) -> str:
    return curie(iri)


_DATE_TYPES = {XSD + t for t in ("date", "dateTime", "gYear", "gYearMonth")}


@bp.app_template_global()
def literal_when(term: object) -> timeline.When | None:
    """Return a date literal with its precision, for showing "March 2016" rather than "2016-03"."""
    if isinstance(term, ox.Literal) and term.datatype.value in _DATE_TYPES:
        return timeline.when(term)
    return None


_WORD = re.compile(r"\w+")


@bp.app_template_filter("marked")
def marked(text: str, needle: str) -> list[tuple[str, bool]]:
    """Split a text into parts, marking each word that a word of `needle` starts (or, from three letters,
    sits in), ignoring case and accents: for <mark>, every part escaped by the template."""
    tokens = normalise(needle).split()
    if not tokens:
        return [(text, False)]
    parts: list[tuple[str, bool]] = []
    at = 0
    for m in _WORD.finditer(text):
        word = normalise(m.group())
        if any(word.startswith(t) or (len(t) >= 3 and t in word) for t in tokens):
            if m.start() > at:
                parts.append((text[at:m.start()], False))
            parts.append((m.group(), True))
            at = m.end()
    if at < len(text):
        parts.append((text[at:], False))
    return parts


# --------------------------------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------------------------------


@bp.get("/favicon.ico")
def favicon() -> BaseResponse:
    """Send browsers that ask for /favicon.ico to the icon."""
    return cacheable(redirect(f"{request.script_root}/static/favicon.svg", code=301))


@bp.get("/")
def index() -> str:
    """Show what the graph holds, the eras and their milestones, and where to go next."""
    store = get_store()
    line = timeline.timeline(store)
    eras = [(era, line.era_entries(era.iri)) for era in line.eras]
    loose = [e for e in line.entries if e.era is None]
    return render_template("home.html", stats=home.stats(store), eras=eras[:HOME_ERAS], more_eras=len(eras) - HOME_ERAS,
                           loose=loose, shown=HOME_MILESTONES)


@bp.get("/search")
def search_page() -> str:
    """Show what matches q, best first, a page at a time, with the types among the matches to narrow it."""
    q = request.args.get("q", "").strip()
    if len(q) > 200:
        raise BadRequest("The search text is longer than 200 characters.")
    store = get_store()
    chosen = request.args.get("type", "").strip() or None
    classes = search_index(store).class_labels
    if chosen is not None and chosen not in classes:
        raise BadRequest(f"type must be the IRI of a class of the graph; {chosen!r} is not one.")
    number = int_arg("page", 1, 1, 10**6)
    results = find(store, q, classes=[chosen] if chosen else None, limit=SEARCH_PAGE,
                   offset=(number - 1) * SEARCH_PAGE) if q else None
    pages = max(1, -(-results.total // SEARCH_PAGE)) if results else 1

    def page_url(n: int, type_iri: str | None = chosen) -> str:
        return _url("/search", q=q, type=type_iri, page=n if n > 1 else None)

    return render_template("search.html", q=q, results=results, chosen=chosen,
                           chosen_label=classes.get(chosen or "", ""), number=number, pages=pages,
                           page_url=page_url)


def _resolve_arg(store: Store, name: str, raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    try:
        return resolve(store, raw)
    except BadRequest as e:
        raise BadRequest(f"{name}: {e.message}", details=e.details) from None


@bp.get("/timeline")
def timeline_page() -> tuple[str, int]:
    """Show the milestones in time order, filtered by organisation, person, technique and era."""
    store = get_store()
    line = timeline.timeline(store)
    chosen: dict[str, str] = {}
    error: BadRequest | None = None
    for facet in timeline.FACETS:
        try:
            iri = _resolve_arg(store, facet, request.args.get(facet))
        except BadRequest as e:
            error = e
            continue
        if iri:
            chosen[facet] = iri
    years: dict[str, int] = {}
    for name in ("from", "to"):
        try:
            value = int_arg(name, 0, 1, 9999)
        except BadRequest as e:
            error = e
            continue
        if value:
            years[name] = value
    kind = request.args.get("kind", "").strip() or None
    if kind is not None and kind not in timeline.ABOUT_KINDS + ("other",):
        error = BadRequest(f"kind must be one of {', '.join(timeline.ABOUT_KINDS)} or other; got {kind!r}.")
        kind = None
    lanes = request.args.get("lanes", "org")
    if lanes not in ("org", "kind"):
        error, lanes = BadRequest(f"lanes must be org or kind; got {lanes!r}."), "org"
    try:
        number = int_arg("page", 1, 1, 10**6)
    except BadRequest as e:
        error, number = e, 1
    matching = line.filter(**chosen, since=years.get("from"), until=years.get("to"), kind=kind)
    shown = timeline.page(matching, number)
    labels = {facet: line.label(facet, iri) for facet, iri in chosen.items()}
    offered = {facet: line.offered(facet, chosen.get(facet)) for facet in timeline.FACETS}
    picture = draw_timeline(matching, line.eras, lanes, {y: at for y, _, at in shown.years})
    state: dict[str, Any] = {**chosen, **years, "kind": kind, "lanes": lanes if lanes != "org" else None}

    def page_url(n: int) -> str:
        return _url("/timeline", **state, page=n if n > 1 else None)

    def with_url(**changes: Any) -> str:
        """Return this timeline's URL with some arguments changed (None drops one), from its first page."""
        return _url("/timeline", **{**state, **changes})

    html = render_template("timeline.html", line=line, shown=shown, chosen=chosen, labels=labels,
                           offered=offered, page_url=page_url, with_url=with_url, error=error, picture=picture,
                           years=years, kind=kind, lanes=lanes)
    return html, 400 if error else 200


@bp.get("/explore")
def explore_page() -> tuple[str, int]:
    """Draw the neighbourhood of a resource (1 or 2 links away) as a labelled graph and a list."""
    store = get_store()
    hops = int_arg("hops", 1, 1, 2)
    raw = request.args.get("iri", "")
    error: BadRequest | None = None
    hood = drawing = None
    try:
        iri = _resolve_arg(store, "iri", raw)
    except BadRequest as e:
        error, iri = e, None
    groups: list[dict[str, Any]] = []
    if iri:
        hood, drawing, groups = _view(store, iri, hops)
    page = render_template("explore.html", raw=raw, hops=hops, hood=hood, drawing=drawing, groups=groups, error=error)
    return page, 400 if error else 200


@per_version(size=128)
def _view(store: Store, iri: str, hops: int) -> tuple[paths.Neighbourhood, Drawing, list[dict[str, Any]]]:
    """Walk, lay out and group a neighbourhood once per data version: a hub's two-hop view reaches thousands
    of resources, and within a version it never changes."""
    hood = paths.neighbourhood(store, iri, hops)
    return hood, draw(hood), _edge_groups(hood)


#: Links listed under the drawing per property: all a reader scans of the centre's own, a sample further out.
MOST_NEAR, MOST_FAR = 100, 5


def _edge_groups(hood: paths.Neighbourhood) -> list[dict[str, Any]]:
    """Group a neighbourhood's links by ring (the centre's own, then further out) and property, for the list
    under the drawing; each group keeps its first links by label and the count of all of them."""
    centre = hood.centre.iri
    groups: dict[tuple[int, str], list[paths.Edge]] = {}
    for e in hood.edges:
        groups.setdefault((1 if centre in (e.subject, e.object) else 2, e.property), []).append(e)
    label = hood.label

    def by_label(e: paths.Edge) -> tuple[str, str, str, str]:
        return (label(e.subject).casefold(), label(e.object).casefold(), e.subject, e.object)

    out: list[dict[str, Any]] = []
    for (ring, p), edges in groups.items():
        most = MOST_NEAR if ring == 1 else MOST_FAR
        shown = heapq.nsmallest(most, edges, key=by_label)
        out.append({"ring": ring, "property": p, "label": hood.property_labels.get(p, p), "edges": shown,
                    "count": len(edges)})
    out.sort(key=lambda g: (g["ring"], g["label"].casefold(), g["property"]))
    return out


@bp.get("/paths")
def paths_page() -> tuple[str, int]:
    """Show how two resources are connected: the shortest labelled paths, each with its SPARQL."""
    store = get_store()
    source_raw, target_raw = request.args.get("from", ""), request.args.get("to", "")
    longest = int_arg("max", 4, 1, paths.MAX_LENGTH)
    limit = int_arg("limit", 10, 1, 50)
    errors: list[BadRequest] = []
    ends: list[str | None] = []
    for name, raw in (("from", source_raw), ("to", target_raw)):
        try:
            ends.append(_resolve_arg(store, name, raw))
        except BadRequest as e:
            errors.append(e)
            ends.append(None)
    source, target = ends
    found = None
    if source and target:
        if source == target:
            errors.append(BadRequest("from and to name the same resource; pick two different ones."))
        else:
            found = paths.find_paths(store, source, target, max_length=longest, limit=limit)
    page = render_template(
        "paths.html", source_raw=source_raw, target_raw=target_raw, longest=longest, limit=limit, errors=errors,
        source=paths.vertex(store, source) if source else None, target=paths.vertex(store, target) if target else None,
        found=found,
    )
    return page, 400 if errors else 200


# --------------------------------------------------------------------------------------------------
# The query page
# --------------------------------------------------------------------------------------------------


@per_version
def _examples(store: Store) -> list[dict[str, str]]:
    """Return the named queries as runnable examples, their parameters bound to their examples."""
    try:
        from aikg.graph import catalogue
    except ImportError:  # the catalogue is optional: the page works without examples
        return []
    out = []
    for q in catalogue.shipped():
        text = q.text
        given = {p.name: [p.example] for p in q.parameters if p.example and p.required}
        # When an example does not bind, the query is shown as written: it runs with its parameters unbound.
        with contextlib.suppress(AikgError):
            text = q.instantiate(q.bind(store, given))
        out.append({"name": q.name, "title": q.title, "description": q.description,
                    "text": fold_prologue(text, PREFIXES)})
    return out


@bp.route("/query", methods=["GET", "POST"])
def query_page() -> Response:
    """Show the SPARQL editor, run the query it holds, and show the answer (with its time) as a table with
    downloads, above the examples. The shared prefixes are declared for the reader: the editor shows the
    query without them, and the text that runs (and that the downloads carry) has each one it uses."""
    store = get_store()
    text = request.values.get("query")
    result: QueryResult | None = None
    error: AikgError | None = None
    ran: str | None = None
    took: float | None = None
    if text is not None and text.strip():
        ran = with_prefixes(text, PREFIXES)
        began = time.perf_counter()
        try:
            result = run_query(store, ran, settings=get_settings())
        except AikgError as e:
            error = e
        took = (time.perf_counter() - began) * 1000
    shown = fold_prologue(text, PREFIXES) if text is not None else DEFAULT_QUERY
    page = render_template(
        "query.html", text=shown, ran=ran if result is not None else None, result=result, table=_table(result),
        error=error, examples=_examples(store), formats=_download_formats(result), took=took, prefixes=PREFIXES,
    )
    response = make_response(page, error.status_code if error else 200)
    if ran is not None:
        # The page shows how long this run took, and a volatile answer (NOW(), RAND(), ...) is another on
        # every run: no shared cache may keep one run's page for the next reader.
        uncacheable(response)
    return response


def _download_formats(result: QueryResult | None) -> list[tuple[str, str]]:
    if isinstance(result, Triples):
        return [(f.name, f.label) for f in GRAPH_FORMATS]
    if isinstance(result, Boolean):
        return [(f.name, f.label) for f in RESULT_FORMATS if f.defines_boolean]
    return [(f.name, f.label) for f in RESULT_FORMATS]


def _cell(term: object, label: object = None) -> dict[str, Any]:
    """Describe one term for a table cell: text, link, datatype or language."""
    if term is None:
        return {"text": ""}
    if isinstance(term, ox.NamedNode):
        text = label.value if isinstance(label, ox.Literal) else curie(term.value)
        return {"text": text, "href": href(term.value), "iri": term.value}
    if isinstance(term, ox.BlankNode):
        return {"text": f"_:{term.value}"}
    assert isinstance(term, ox.Literal)
    datatype = term.datatype.value
    return {"text": term.value, "lang": term.language or None,
            "datatype": None if datatype in _PLAIN else curie(datatype)}


def _table(result: QueryResult | None) -> dict[str, Any] | None:
    """Lay out a result for the template; an IRI column shows its neighbour ``<name>Label`` as its text."""
    if isinstance(result, Solutions):
        folded = label_columns(result.variables)
        position = {n: i for i, n in enumerate(result.variables)}
        rows = []
        for row in result.rows[:SHOWN_ROWS]:
            rows.append([_cell(row[position[c]], row[position[lab]] if lab else None) for c, lab in folded])
        columns = [c for c, _ in folded]
        return {"columns": columns, "rows": rows, "total": len(result.rows), "truncated": result.truncated}
    if isinstance(result, Triples):
        rows = [[_cell(t.subject), _cell(t.predicate), _cell(t.object)] for t in result.triples[:SHOWN_ROWS]]
        return {"columns": ["subject", "predicate", "object"], "rows": rows, "total": len(result.triples),
                "truncated": result.truncated}
    return None

