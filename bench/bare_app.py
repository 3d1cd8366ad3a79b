"""The floor for any Flask SPARQL endpoint: parse the request, run pyoxigraph, serialise with pyoxigraph.

No negotiation, limits, logging or error pages: whatever aikg does beyond this costs throughput.
Serve with `gunicorn -w 2 bench.bare_app:app` and BENCH_DATA=<an RDF file> (the benchmark gives N-Quads).
"""

from __future__ import annotations

import os

import pyoxigraph as ox
from flask import Flask, Response, request

store = ox.Store()
# One transaction, as aikg loads; the format follows the file extension (.nq as the benchmark writes, .nt, .ttl).
store.load(path=os.environ["BENCH_DATA"])

app = Flask(__name__)

_RESULTS = ox.QueryResultsFormat.JSON
_GRAPH = ox.RdfFormat.N_TRIPLES


@app.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    """Answer a query from ?query=, a form field or an application/sparql-query body."""
    if request.method == "GET":
        text = request.args.get("query", "")
    elif request.mimetype == "application/sparql-query":
        text = request.get_data(as_text=True)
    else:
        text = request.form.get("query", "")
    result = store.query(text, use_default_graph_as_union=True)
    if isinstance(result, ox.QueryTriples):
        return Response(result.serialize(format=_GRAPH), mimetype=_GRAPH.media_type)
    return Response(result.serialize(format=_RESULTS), mimetype=_RESULTS.media_type)
