"""Lists of a class's resources as tables (Datasette's table page): ``/lists/`` names the lists,
``/lists/<Class>`` shows one, sortable by any column (``?sort=date&desc=1``), a page at a time
(``?page=2&size=100``), one era's milestones with ``?era=``; ``/lists/<Class>.csv`` and ``.json`` are its
twins (CSV holds every row in the order asked; JSON one page, with the URL of the next).
"""

from __future__ import annotations

import csv
import hashlib
import io
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from aikg.errors import BadRequest, NotFound
from aikg.graph import listing as lst
from aikg.graph.search import index, resolve
from aikg.namespaces import ONTOLOGY
from aikg.sparql.formats import HTML
from aikg.web.http import cacheable, get_store, int_arg, not_modified

bp = Blueprint("lists", __name__)

_FORMATS = {"html": HTML.content_type, "csv": "text/csv; charset=utf-8", "json": "application/json"}


def _etag() -> str:
    version = get_store().info.version
    return f"{version}-{hashlib.sha256(request.full_path.encode()).hexdigest()[:16]}"


@bp.get("/lists")
def lists_redirect() -> BaseResponse:
    """Send /lists to the list of lists."""
    return redirect(f"{request.script_root}/lists/", code=301)


@bp.get("/lists/")
def lists_index() -> BaseResponse:
    """Name every list, with how many resources it holds."""
    etag = _etag()
    cached = not_modified(etag)
    if cached is not None:
        return cached
    html = render_template("lists.html", classes=lst.classes(get_store()))
    return cacheable(Response(html, content_type=HTML.content_type), etag)


def _url(name: str, ext: str = "", **args: Any) -> str:
    pairs = [(k, v) for k, v in args.items() if v not in (None, "", False)]
    return f"{request.script_root}/lists/{name}{'.' + ext if ext else ''}" + (f"?{urlencode(pairs)}" if pairs else "")


@bp.get("/lists/<name>")
def list_page(name: str) -> BaseResponse:
    """Show one class's table (or its CSV or JSON twin, by the name's extension)."""
    stem, _, ext = name.partition(".")
    ext = ext or "html"
    if ext not in _FORMATS:
        raise NotFound(f"No list format .{ext}; use .csv or .json, or none for the page.")
    store = get_store()
    cls = ONTOLOGY + stem
    if cls not in index(store).class_labels or not any(c == cls for c, _, _ in lst.classes(store)):
        names = ", ".join(c.rsplit("/", 1)[-1] for c, _, _ in lst.classes(store))
        raise NotFound(f"No list of {stem!r}; the lists are {names}.")
    etag = _etag()
    cached = not_modified(etag)
    if cached is not None:
        return cached
    sort = request.args.get("sort") or None
    desc = int_arg("desc", 0, 0, 1) == 1
    page = int_arg("page", 1, 1, 10**6)
    size = int_arg("size", lst.DEFAULT_SIZE, 1, lst.MAX_SIZE)
    era = request.args.get("era")
    era_iri = None
    if era:
        try:
            era_iri = resolve(store, era, ONTOLOGY + "Era")
        except BadRequest as e:
            raise BadRequest(f"era: {e.message}", details=e.details) from None
    state: dict[str, Any] = {"sort": sort, "desc": 1 if desc else None, "era": era_iri,
             "size": size if size != lst.DEFAULT_SIZE else None}
    if ext == "csv":
        whole = lst.listing(store, cls, sort=sort, desc=desc, size=lst.MAX_SIZE * 10**4, era=era_iri)
        response = Response(_csv(whole), content_type=_FORMATS["csv"])
        response.headers["Content-Disposition"] = f'inline; filename="{stem}.csv"'
        return cacheable(response, etag)
    shown = lst.listing(store, cls, sort=sort, desc=desc, page=page, size=size, era=era_iri)
    if ext == "json":
        return cacheable(jsonify(_json(stem, shown, state)), etag)

    def sort_url(key: str) -> str:
        flip = key == shown.sort and not shown.desc
        return _url(stem, **{**state, "sort": key, "desc": 1 if flip else None})

    def page_url(n: int) -> str:
        return _url(stem, **state, page=n if n > 1 else None)

    html = render_template("list.html", t=shown, stem=stem, sort_url=sort_url, page_url=page_url,
                           csv_url=_url(stem, "csv", **state), json_url=_url(stem, "json", **state, page=page))
    return cacheable(Response(html, content_type=HTML.content_type), etag)


def _csv(shown: lst.Listing) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    header = ["iri", "label"]
    for c in shown.columns:
        if c.key == "label":
            continue
        header.append(c.key)
        if c.kind == "links":
            header.append(f"{c.key}_iri")
    writer.writerow(header)
    for r in shown.rows:
        line = [r.iri, r.label]
        for c in shown.columns:
            if c.key == "label":
                continue
            cell = r.cells.get(c.key, lst.Cell())
            line.append(cell.plain)
            if c.kind == "links":
                line.append(" ".join(i for i, _ in cell.links))
        writer.writerow(line)
    return out.getvalue()


def _json(stem: str, shown: lst.Listing, state: dict[str, Any]) -> dict[str, Any]:
    rows = []
    for r in shown.rows:
        row: dict[str, Any] = {"iri": r.iri, "label": r.label}
        for c in shown.columns:
            if c.key != "label":
                row[c.key] = r.cells.get(c.key, lst.Cell()).value
        rows.append(row)
    more = shown.page < shown.pages
    return {
        "class": shown.cls,
        "label": shown.label,
        "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in shown.columns],
        "rows": rows,
        "total": shown.total,
        "page": shown.page,
        "pages": shown.pages,
        "sort": shown.sort,
        "desc": shown.desc,
        "next": (request.host_url.rstrip("/") + _url(stem, "json", **state, page=shown.page + 1)) if more else None,
    }
