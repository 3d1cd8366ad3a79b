"""The trends page: training compute or parameters against date, drawn on the server as SVG, with its data
table, a CSV download and the SPARQL behind it; and the credit lines of the datasets every page carries."""

from __future__ import annotations

import csv
import io
import logging
from typing import Any

from flask import Blueprint, Response, get_template_attribute, render_template, request
from markupsafe import Markup

from aikg.errors import AikgError, BadRequest
from aikg.graph.cache import per_version
from aikg.graph.trends import FILTERS, METRICS, attributions, number, plot, trends
from aikg.store import Store
from aikg.web.http import get_settings, get_store, href

bp = Blueprint("trends", __name__)
log = logging.getLogger(__name__)


def _given() -> tuple[str, dict[str, str | None]]:
    unknown = sorted(set(request.args) - {"metric", *FILTERS})
    if unknown:
        raise BadRequest(f"Unknown argument {', '.join(map(repr, unknown))}: the trends page takes metric, "
                         f"{', '.join(FILTERS)}.")
    metric = request.args.get("metric", "compute").strip() or "compute"
    return metric, {name: request.args.get(name) for name in FILTERS}


@bp.get("/trends")
def page() -> str:
    """Show the chart, the filters, the data table and the query."""
    metric, given = _given()
    store = get_store()
    t = trends(store, metric, **given)
    args = {k: v for k, v in request.args.items() if v}
    chart = plot(t)
    marks, rows = _points(store, t.metric, tuple(sorted(t.selected.items(), key=lambda kv: kv[0])),
                          request.script_root, get_settings().base_iri)
    return render_template("trends.html", t=t, chart=chart, metrics=METRICS, filters=FILTERS, marks=marks,
                           rows=rows, csv_args=args)


@per_version(size=64)
def _points(store: Store, metric: str, selected: tuple[tuple[str, str | None], ...], root: str,
            base: str | None) -> tuple[Markup, Markup]:
    """Write the chart's marks and the data table's rows, once per data version, chart and place the app is
    served from: hundreds of points, each escaped a dozen times, are most of the page's time."""
    t = trends(store, metric, **dict(selected))
    chart = plot(t)
    # Links and numbers are written here once, not by template calls per point (a call costs more than a row).
    rows = [(href(p.iri), p, number(p.value)) for p in t.points]
    link = {p.iri: h for h, p, _ in rows}
    marks = [(link[c.point.iri], c, f"{c.point.label}, {c.point.date}: {text} {t.unit}"
              + (f" ({c.point.domain_label})" if c.point.domain_label else ""))
             for c, (_h, _p, text) in zip(chart.placed, rows, strict=True)]
    return (get_template_attribute("_trends_points.html", "marks")(marks),
            get_template_attribute("_trends_points.html", "rows")(rows))


@bp.get("/trends.csv")
def download() -> Response:
    """Answer the chart's data as CSV, with the same filters."""
    metric, given = _given()
    t = trends(get_store(), metric, **given)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["model", "label", "date", t.metric, "domain", "organisations", "milestone"])
    for p in t.points:
        writer.writerow([p.iri, p.label, p.date, repr(p.value), p.domain_label or "", p.organisations,
                         p.milestone or ""])
    response = Response(buf.getvalue(), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="trends-{t.metric}.csv"'
    return response


@bp.app_context_processor
def _attributions() -> dict[str, Any]:
    """Give every template the credit lines of the datasets the graph holds (Epoch AI's, CC BY 4.0)."""
    try:
        return {"attributions": attributions(get_store())}
    except AikgError as e:  # an error page must render even when the store is what failed
        log.info("no attributions for this page: %s", e.message)
        return {"attributions": []}
