"""The remote store against a real Oxigraph server: the same answers as the embedded store, through the
store interface and through every route family of the app; VALUES binding; errors and time limits."""

from __future__ import annotations

import csv
import io
import json
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from aikg.errors import BadQuery, StoreTimeout, StoreUnavailable
from aikg.sparql.values import bind_values, values_block
from aikg.store import Boolean, Solutions, Triples
from aikg.store.remote import RemoteStore

pytestmark = pytest.mark.remote

P = """PREFIX aikg: <https://w3id.org/ai-history/ontology/>
PREFIX aikgr: <https://w3id.org/ai-history/resource/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX schema: <https://schema.org/>
"""
A = "https://w3id.org/ai-history/resource/"
ONTO = "https://w3id.org/ai-history/ontology/"

# -- VALUES binding (checked against pyoxigraph's own substitutions on one small store) ----------

SMALL = ox.Store()
SMALL.load(
    b"""@prefix e: <http://e/> .
e:a e:p "x {brace} WHERE" , 1 ; e:q e:b . e:b e:p "it's \\"quoted\\"" ; e:q e:a . e:c e:p 2 .""",
    ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("http://e/g"),
)


def _embedded(text, subs):
    raw = SMALL.query(text, substitutions={ox.Variable(k): v for k, v in subs.items()}, use_default_graph_as_union=True)
    return _canon_oxi(raw)


def _rewritten(text, subs):
    return _canon_oxi(SMALL.query(bind_values(text, subs), use_default_graph_as_union=True))


def _canon_oxi(raw):
    if isinstance(raw, ox.QueryBoolean):
        return bool(raw)
    if isinstance(raw, ox.QuerySolutions):
        names = [v.value for v in raw.variables]
        return sorted(tuple(str(s[n]) if s[n] is not None else None for n in names) for s in raw)
    return sorted(str(t) for t in raw)


E = ox.NamedNode("http://e/a")
# pyoxigraph binds only projected variables, so every case projects what it binds.
BINDING_CASES = [
    ("SELECT ?s ?o WHERE { ?s <http://e/p> ?o }", {"s": E}),
    ("SELECT ?s ?o { ?s <http://e/p> ?o }", {"s": E}),
    ("# a comment { with braces }\nSELECT ?s ?o WHERE { ?s <http://e/p> ?o }", {"s": E}),
    ('SELECT ?s WHERE { ?s <http://e/p> "x {brace} WHERE" }', {"s": E}),
    ("SELECT ?s ?o WHERE { ?s <http://e/p> ?o }", {"o": ox.Literal("it's \"quoted\"")}),
    ("SELECT ?s ?o WHERE { ?s <http://e/p> ?o }",
     {"o": ox.Literal("1", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))}),
    ("SELECT ?s (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?s", {"s": E}),
    ("SELECT ?s ?x WHERE { { SELECT ?s (COUNT(?o) AS ?x) WHERE { ?s ?p ?o } GROUP BY ?s } }", {"s": E}),
    ("SELECT ?s ?x (EXISTS { ?s ?p 2 } AS ?e) WHERE { ?s <http://e/q> ?x }", {"s": E}),
    ("SELECT ?s ?o WHERE { ?s <http://e/p> ?o } ORDER BY ?o LIMIT 1", {"s": E}),
    ("SELECT * WHERE { ?s ?p ?o }", {"s": E, "p": ox.NamedNode("http://e/q")}),
    ("SELECT ?s ?o WHERE { ?s <http://e/p> ?o FILTER(?o != '}') }", {"s": E}),
]


@pytest.mark.parametrize(("text", "subs"), BINDING_CASES)
def test_values_binding_answers_like_substitution(text, subs):
    assert _rewritten(text, subs) == _embedded(text, subs)


# Forms pyoxigraph cannot bind: the expected answers are written out from the small graph.
OTHER_FORMS = [
    ("ASK { ?s <http://e/q> <http://e/b> }", {"s": E}, True),
    ("ASK WHERE { ?s <http://e/q> <http://e/b> }", {"s": ox.NamedNode("http://e/b")}, False),
    ("CONSTRUCT { ?s <http://e/r> ?o } WHERE { ?s <http://e/p> ?o }", {"s": E},
     ['<http://e/a> <http://e/r> "1"^^<http://www.w3.org/2001/XMLSchema#integer>',
      '<http://e/a> <http://e/r> "x {brace} WHERE"']),
    ("CONSTRUCT WHERE { ?s <http://e/q> ?o }", {"s": E}, ["<http://e/a> <http://e/q> <http://e/b>"]),
    ("PREFIX e: <http://e/> CONSTRUCT {?s e:r ?o} WHERE {?s e:q ?o FILTER(?o != '}')}", {"s": ox.NamedNode("http://e/b")},
     ["<http://e/b> <http://e/r> <http://e/a>"]),
]


@pytest.mark.parametrize(("text", "subs", "expected"), OTHER_FORMS)
def test_values_binding_of_ask_and_construct(text, subs, expected):
    assert _rewritten(text, subs) == (sorted(f"{t}" for t in expected) if isinstance(expected, list) else expected)


def test_values_binding_of_describe_without_a_group():
    text = bind_values("DESCRIBE ?s", {"s": E})
    assert len(list(SMALL.query(text, use_default_graph_as_union=True))) == 3  # e:a: two e:p, one e:q


@pytest.mark.parametrize("hostile", ['" } ; DROP ALL ; #', "x' } UNION { ?s ?p ?o } #", "\\\" }", "\n}\n"])
def test_hostile_literals_stay_literals(hostile):
    text = "SELECT ?s ?o WHERE { ?s ?p ?o }"
    subs = {"o": ox.Literal(hostile)}
    assert _rewritten(text, subs) == [] == _embedded(text, subs)


def test_values_block_refuses_what_cannot_be_written():
    with pytest.raises(BadQuery):
        values_block({"s": ox.BlankNode("b")})
    with pytest.raises(BadQuery):
        values_block({"s) { } #": E})


# -- the store interface: remote vs embedded over the shipped data --------------------------------


@pytest.fixture(scope="module")
def remote(oxigraph):
    store = RemoteStore(oxigraph.query_url, timeout=10.0)
    yield store
    store.close()


@pytest.fixture(scope="module")
def embedded(full_app):
    return full_app.extensions["aikg"]


def canon(result):
    """Compare results whatever the blank node labels and row order."""
    if isinstance(result, Boolean):
        return result.value
    if isinstance(result, Solutions):
        rows = sorted(tuple(_term(t) for t in row) for row in result.rows)
        return result.variables, rows, result.truncated
    g = rdflib.Graph()
    for t in result.triples:
        g.parse(data=f"{t} .", format="nt")
    return g


def _term(t):
    if t is None:
        return None
    return "_:b" if isinstance(t, ox.BlankNode) else str(t)


STORE_QUERIES = [
    (P + "SELECT ?c ?label WHERE { ?c a owl:Class ; rdfs:label ?label }", {}),
    (P + "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", {}),
    (P + "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p", {}),
    (P + "SELECT ?s ?p ?o WHERE { ?s ?p ?o }", {}),
    (P + "SELECT ?s ?p ?o WHERE { ?s ?p ?o }", {"s": ox.NamedNode(A + "AlphaGo")}),
    (P + "SELECT ?x ?org WHERE { ?x schema:producer ?org }", {"org": ox.NamedNode(A + "DeepMind")}),
    (P + "ASK { ?c a owl:Class }", {}),
    (P + "ASK { ?s ?p ?o }", {"s": ox.NamedNode(A + "No_such_thing")}),
    (P + "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", {"s": ox.NamedNode(A + "AlphaGo")}),
    (P + "CONSTRUCT WHERE { ?s a owl:Class ; rdfs:subClassOf ?super }", {}),
    (P + "DESCRIBE ?s", {"s": ox.NamedNode(ONTO + "Milestone")}),
]


@pytest.mark.parametrize(("text", "subs"), STORE_QUERIES)
def test_same_answers_as_embedded(remote, embedded, text, subs):
    mine, theirs = remote.query(text, substitutions=subs or None), embedded.query(text, substitutions=subs or None)
    assert type(mine) is type(theirs)
    if isinstance(mine, Triples):
        assert len(mine.triples) == len(theirs.triples)
        assert isomorphic(canon(mine), canon(theirs))
    else:
        assert canon(mine) == canon(theirs)


def test_binding_a_variable_not_projected_is_refused_in_both(remote, embedded):
    text, subs = "SELECT ?p WHERE { ?s ?p ?o }", {"s": ox.NamedNode(A + "AlphaGo")}
    for store in (remote, embedded):
        with pytest.raises(BadQuery):
            store.query(text, substitutions=subs)


def test_the_data_is_really_there(remote):
    # Facts of the shipped data: AlphaGo is a model produced by DeepMind; Milestone is an ontology class.
    assert remote.query(P + "ASK { aikgr:AlphaGo schema:producer aikgr:DeepMind }") == Boolean(True)
    assert remote.query(P + "ASK { aikg:Milestone a owl:Class }") == Boolean(True)


def test_dataset_arguments(remote, embedded):
    text = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    only = ["https://w3id.org/ai-history/graph/ontology"]
    assert canon(remote.query(text, default_graph=only)) == canon(embedded.query(text, default_graph=only))
    g = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert canon(remote.query(g, named_graphs=only)) == canon(embedded.query(g, named_graphs=only))


def test_row_cap(remote, embedded):
    text = "SELECT ?s WHERE { ?s ?p ?o }"
    mine = remote.query(text, limit=7)
    assert len(mine.rows) == 7 and mine.truncated
    assert remote.query(text, limit=None).truncated is False
    triples = remote.query("CONSTRUCT WHERE { ?s ?p ?o }", limit=5)
    assert len(triples.triples) == 5 and triples.truncated
    # The connection was dropped, not left with an unread body: the next query still works.
    assert canon(remote.query(P + "ASK { ?c a owl:Class }")) is True


def test_info_graphs_and_quads_match(remote, embedded):
    assert remote.info == embedded.info
    assert remote.graph_names() == embedded.graph_names()
    mine, theirs = list(remote.quads()), list(embedded.quads())
    assert len(mine) == len(theirs)

    def no_blanks(quads):
        blank = ox.BlankNode
        return {str(q) for q in quads if not isinstance(q.subject, blank) and not isinstance(q.object, blank)}

    assert no_blanks(mine) == no_blanks(theirs)


def test_syntax_error_from_the_remote_is_a_bad_query(remote):
    with pytest.raises(BadQuery) as e:
        remote.query("SELECT ?x WHERE { ?x ?y }")
    assert "1" in e.value.message and e.value.status_code == 400


# -- failures ----------------------------------------------------------------------------------


def test_connection_refused_is_store_unavailable(caplog):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again at once: nothing listens there
    store = RemoteStore(f"http://127.0.0.1:{port}/query", timeout=2)
    with pytest.raises(StoreUnavailable) as e:
        store.query("ASK {}")
    # The public message names no internal address; the log does.
    assert e.value.status_code == 502 and "not reachable" in e.value.message and str(port) not in e.value.message
    assert f"127.0.0.1:{port}" in caplog.text


class _Answer(BaseHTTPRequestHandler):
    status = 500

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.server.silent.is_set():
            self.server.release.wait(10)  # a store that never answers in time
            return
        self.send_response(self.server.status)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"boom: out of memory")

    def log_message(self, *args):
        pass


@pytest.fixture()
def broken_endpoint():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    server.silent, server.release, server.status = threading.Event(), threading.Event(), 500
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


def test_server_error_is_store_unavailable(broken_endpoint, caplog):
    store = RemoteStore(f"http://127.0.0.1:{broken_endpoint.server_port}/query", timeout=5)
    with pytest.raises(StoreUnavailable) as e:
        store.query("ASK {}", default_graph=[], named_graphs=[])
    # What the store said goes to the log, not to the client.
    assert e.value.status_code == 502 and "500" in e.value.message and "boom" not in e.value.message
    assert "boom: out of memory" in caplog.text


def test_slow_store_is_a_timeout(broken_endpoint):
    broken_endpoint.silent.set()
    store = RemoteStore(f"http://127.0.0.1:{broken_endpoint.server_port}/query", timeout=0.3)
    with pytest.raises(StoreTimeout) as e:
        store.query("ASK {}", default_graph=[], named_graphs=[])
    # The store's time, not the user's query: a 504 to try again.
    assert e.value.status_code == 504 and "0.3 s" in e.value.message and e.value.retry_after


def test_a_store_aikg_did_not_publish_is_counted_rarely(tmp_path):
    """A graph named by REMOTE_GRAPH, without a publication record, is known by its size; counting is not
    repeated every second."""
    import requests
    from oxigraph_server import OxigraphServer

    from aikg.store import remote as remote_module

    server = OxigraphServer(tmp_path / "plain").start()
    try:
        def insert(n: int) -> None:
            data = f"INSERT DATA {{ GRAPH <urn:x:g> {{ <urn:x:{n}> <urn:p> {n} }} }}"
            requests.post(server.update_url, data={"update": data}, timeout=10).raise_for_status()

        insert(1)
        store = RemoteStore(server.query_url, graph="urn:x:g", timeout=10)
        sent: list[str] = []
        post = store._post

        def recording(url, fields, accept, timeout, text):
            sent.append(text)
            return post(url, fields, accept, timeout, text)

        store._post = recording  # type: ignore[method-assign]
        first = store.info.version
        assert any("COUNT" in t for t in sent)
        insert(2)
        sent.clear()
        store._read_at -= 2 * remote_module.REFRESH  # a published store would be read again by now
        assert store.info.version == first and sent == []
        store._read_at -= remote_module.RECOUNT
        assert store.info.version != first  # counted again: the new triple is seen
        assert any("COUNT" in t for t in sent)
        store.close()
    finally:
        server.stop()


def test_warm_builds_the_pages_caches_over_a_remote_store_before_the_fork(oxigraph):
    from aikg.graph import search
    from aikg.serving.server import warm

    store = RemoteStore(oxigraph.query_url, timeout=7)
    warm(store)
    assert store.timeout == 7  # the longer limit was for the warm-up only
    assert len(store._http.pools) == 0  # no socket left for the forked workers to share
    assert store in search._cache  # built once, here, for every worker
    assert [h.label for h in search.search(store, "alphago zero", limit=1)] == ["AlphaGo Zero"]


def test_warm_over_a_dead_store_leaves_the_caches_to_the_pages(caplog):
    from aikg.graph import search
    from aikg.serving.server import warm

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = RemoteStore(f"http://127.0.0.1:{port}/query", timeout=2)
    with caplog.at_level("WARNING", logger="aikg.serving.server"):
        warm(store)  # the server still starts; the pages answer 502 until the store is back
    assert store.timeout == 2
    assert store not in search._cache
    assert "not built before serving" in caplog.text and str(port) in caplog.text


def test_app_over_a_dead_store_answers_502():
    from aikg.web.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app({"ENDPOINT": f"http://127.0.0.1:{port}/query", "TESTING": True})
    r = app.test_client().get("/sparql", query_string={"query": "ASK {}"}, headers={"Accept": "application/json"})
    assert r.status_code == 502
    assert r.json["status"] == 502 and "not reachable" in r.json["message"]


# -- the app in both modes: strict on status, type and parsed body ---------------------------------

SELECT = P + "SELECT ?m ?label WHERE { ?m a aikg:Milestone ; rdfs:label ?label }"
CONSTRUCT = P + "CONSTRUCT { ?m rdfs:label ?l ; schema:producer ?o } WHERE { ?m schema:producer ?o ; rdfs:label ?l }"
ROUTES = [
    ("/sparql", {"query": SELECT}, "application/sparql-results+json"),
    ("/sparql", {"query": SELECT}, "application/sparql-results+xml"),
    ("/sparql", {"query": SELECT}, "text/csv"),
    ("/sparql", {"query": SELECT}, "text/tab-separated-values"),
    ("/sparql", {"query": P + "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"}, None),
    ("/sparql", {"query": P + "ASK { aikgr:AlphaGo schema:producer aikgr:DeepMind }"},
     "application/sparql-results+json"),
    ("/sparql", {"query": P + "ASK { aikgr:AlphaGo schema:producer aikgr:OpenAI }"}, "application/sparql-results+xml"),
    ("/sparql", {"query": CONSTRUCT}, "text/turtle"),
    ("/sparql", {"query": CONSTRUCT}, "application/n-triples"),
    ("/sparql", {"query": CONSTRUCT}, "application/ld+json"),
    ("/sparql", {"query": CONSTRUCT}, "application/rdf+xml"),
    ("/sparql", {"query": P + "DESCRIBE aikgr:AlphaGo"}, "text/turtle"),
    ("/sparql", {"query": "SELECT ?x WHERE { ?x ?y }"}, "application/json"),
    ("/sparql", {"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"}, "application/json"),
    ("/resource/AlphaGo.ttl", {}, None),
    ("/resource/DeepMind.nt", {}, None),
    ("/resource/Lee_Sedol.jsonld", {}, None),
    ("/resource/Deep_learning.rdf", {}, None),
    ("/resource/AlphaGo", {}, "text/turtle"),
    ("/resource/No_such_resource.ttl", {}, None),
    ("/ontology/Milestone.ttl", {}, None),
    ("/ontology.ttl", {}, None),
    ("/.well-known/void", {}, "text/turtle"),
    ("/api/queries", {}, None),
    ("/api/queries/produced-by", {"organisation": "DeepMind"}, None),
    ("/api/queries/milestone-counts", {}, None),
    ("/api/queries/no-such-query", {}, None),
    ("/api/search", {"q": "alpha"}, None),
    ("/api/search", {"q": "deep"}, None),
]
_BLANK = re.compile(rb"_:[A-Za-z0-9_.-]+|\"_:[^\"]*\"|nodeID=\"[^\"]*\"")


def _body(response, client):
    media = response.mimetype
    data = response.get_data()
    if media == "application/ld+json":
        # Its @context may be the app's /context.jsonld, not fetchable here: put the document in its place.
        doc = json.loads(data)
        if isinstance(doc, dict) and isinstance(doc.get("@context"), str):
            doc["@context"] = json.loads(client.get("/context.jsonld").get_data())["@context"]
        return rdflib.Graph().parse(data=json.dumps(doc), format="json-ld")
    if media in ("text/turtle", "application/n-triples", "application/rdf+xml"):
        fmt = {"text/turtle": "turtle", "application/n-triples": "nt", "application/rdf+xml": "xml"}[media]
        return rdflib.Graph().parse(data=data, format=fmt)
    if media == "application/sparql-results+json":
        doc = json.loads(data)
        if "boolean" in doc:
            return doc["boolean"]
        names = doc["head"]["vars"]
        rows = [tuple(json.dumps(b.get(n, {}).get("value") if b.get(n, {}).get("type") != "bnode" else "_:b",
                                 sort_keys=True) + json.dumps({k: v for k, v in b.get(n, {}).items() if k != "value"},
                                                              sort_keys=True) for n in names)
                for b in doc["results"]["bindings"]]
        return names, sorted(rows)
    if media in ("text/csv", "text/tab-separated-values"):
        lines = _BLANK.sub(b"_:b", data).decode().splitlines()
        return lines[0], sorted(lines[1:])
    if media in ("application/sparql-results+xml",):
        text = _BLANK.sub(b"_:b", data).decode()
        return sorted(re.findall(r"<result>.*?</result>", text, re.S)), re.findall(r"<variable name=\"[^\"]+\"/>", text)
    if media == "application/json":
        return json.loads(_BLANK.sub(b"_:b", data))
    return data


def _get(client, path, params, accept):
    return client.get(path, query_string=params, headers={"Accept": accept} if accept else {})


@pytest.mark.parametrize(("path", "params", "accept"), ROUTES, ids=[f"{r[0]}-{i}" for i, r in enumerate(ROUTES)])
def test_app_answers_the_same_in_remote_mode(full_client, remote_client, path, params, accept):
    theirs = _get(full_client, path, params, accept)
    mine = _get(remote_client, path, params, accept)
    assert mine.status_code == theirs.status_code
    assert mine.mimetype == theirs.mimetype
    if mine.headers.get("ETag") or theirs.headers.get("ETag"):
        assert mine.headers.get("ETag") == theirs.headers.get("ETag")
    a, b = _body(mine, remote_client), _body(theirs, full_client)
    if isinstance(a, rdflib.Graph):
        assert len(a) == len(b)
        assert isomorphic(a, b)
    else:
        assert a == b


def test_sparqlwrapper_through_the_app_in_remote_mode(remote_app, full_app):
    from conftest import LiveServer
    from SPARQLWrapper import JSON, SPARQLWrapper

    answers = []
    for app in (remote_app, full_app):
        server = LiveServer(app).start()
        try:
            client = SPARQLWrapper(server.url + "/sparql")
            client.setQuery(SELECT)
            client.setReturnFormat(JSON)
            doc = client.query().convert()
            answers.append(sorted((b["m"]["value"], b["label"]["value"]) for b in doc["results"]["bindings"]))
        finally:
            server.stop()
    assert answers[0] == answers[1] and answers[0]


def test_csv_module_reads_remote_csv(remote_client):
    r = remote_client.get("/sparql", query_string={"query": SELECT, "format": "csv"})
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True))))
    assert rows[0] == ["m", "label"]
    assert any(label.startswith("AlphaGo") for _, label in rows[1:])
