"""The SPARQL 1.1 Protocol endpoint through the Flask test client, over the tiny test graph."""

from __future__ import annotations

import csv
import io
import json
import time
import xml.etree.ElementTree as ET

import pytest
import rdflib
from conftest import TINY
from rdflib.namespace import RDF, RDFS

from aikg.errors import BadQuery, UpdateForbidden
from aikg.sparql.query import check_query
from aikg.web.app import create_app

AIKG = rdflib.Namespace("https://w3id.org/ai-history/ontology/")
R = rdflib.Namespace("https://w3id.org/ai-history/resource/")
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
PROLOGUE = (
    "PREFIX aikg: <https://w3id.org/ai-history/ontology/>\nPREFIX aikgr: <https://w3id.org/ai-history/resource/>\n"
)
MILESTONES = (
    PROLOGUE + "SELECT ?m ?label WHERE { aikgr:Test_Era aikg:hasMilestone ?m . ?m rdfs:label ?label } ORDER BY ?m"
)
MILESTONES = MILESTONES.replace("SELECT", "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\nSELECT")
# The tiny graph's era has exactly these two milestones (tests/data/tiny.ttl).
EXPECTED = {(str(R.Test_AlphaGo_2016), "Test AlphaGo wins"), (str(R.Test_DQN_2013), "Test DQN plays Atari")}
SRX = "{http://www.w3.org/2005/sparql-results#}"


def values(name: str, n: int) -> str:
    return f"VALUES ?{name} {{ {' '.join(map(str, range(n)))} }}"


# 8 million rows to count, whatever the data: about half a second of engine time.
CARTESIAN = f"SELECT (COUNT(*) AS ?n) {{ {values('a', 200)} {values('b', 200)} {values('c', 200)} }}"


def json_rows(response) -> set[tuple[str, ...]]:
    doc = json.loads(response.data)
    names = doc["head"]["vars"]
    return {tuple(b[n]["value"] for n in names) for b in doc["results"]["bindings"]}


# -- 200: every format parsed back ---------------------------------------------------------------


def test_select_json_by_get(client):
    r = client.get("/sparql", query_string={"query": MILESTONES})
    assert r.status_code == 200
    assert r.mimetype == "application/sparql-results+json"
    assert json_rows(r) == EXPECTED


def test_select_xml(client):
    r = client.get("/sparql", query_string={"query": MILESTONES}, headers={"Accept": "application/sparql-results+xml"})
    assert r.mimetype == "application/sparql-results+xml"
    root = ET.fromstring(r.data)
    rows = set()
    for result in root.iter(SRX + "result"):
        cells = {b.get("name"): b[0].text for b in result.iter(SRX + "binding")}
        rows.add((cells["m"], cells["label"]))
    assert rows == EXPECTED
    langs = {el.get("{http://www.w3.org/XML/1998/namespace}lang") for el in root.iter(SRX + "literal")}
    assert langs == {"en"}


def test_select_csv_and_tsv(client):
    r = client.get("/sparql", query_string={"query": MILESTONES, "format": "csv"})
    assert r.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(r.data.decode())))
    assert rows[0] == ["m", "label"]
    assert {tuple(row) for row in rows[1:]} == EXPECTED
    r = client.get("/sparql", query_string={"query": MILESTONES}, headers={"Accept": "text/tab-separated-values"})
    assert r.mimetype == "text/tab-separated-values"
    lines = r.data.decode().splitlines()
    assert lines[0] == "?m\t?label"
    assert f'<{R.Test_DQN_2013}>\t"Test DQN plays Atari"@en' in lines


def test_ask_json_and_xml(client):
    ask = PROLOGUE + "ASK { aikgr:Test_AlphaGo_2016 aikg:buildsOn aikgr:Test_DQN_2013 }"
    r = client.get("/sparql", query_string={"query": ask})
    assert json.loads(r.data)["boolean"] is True
    r = client.get(
        "/sparql",
        query_string={"query": ask.replace("Test_AlphaGo_2016", "Test_DQN")},
        headers={"Accept": "application/sparql-results+xml"},
    )
    assert ET.fromstring(r.data).find(SRX + "boolean").text == "false"


@pytest.mark.parametrize(
    ("accept", "rdflib_format", "mimetype"),
    [
        ("text/turtle", "turtle", "text/turtle"),
        ("application/n-triples", "nt", "application/n-triples"),
        ("application/ld+json", "json-ld", "application/ld+json"),
        ("application/rdf+xml", "xml", "application/rdf+xml"),
    ],
)
def test_construct_in_every_graph_format(client, accept, rdflib_format, mimetype):
    query = PROLOGUE + "CONSTRUCT { ?m aikg:era ?e } WHERE { ?m aikg:era ?e }"
    r = client.post("/sparql", data=query, content_type="application/sparql-query", headers={"Accept": accept})
    assert r.status_code == 200
    assert r.mimetype == mimetype
    g = rdflib.Graph().parse(data=r.data, format=rdflib_format)
    assert set(g) == {(R.Test_DQN_2013, AIKG.era, R.Test_Era), (R.Test_AlphaGo_2016, AIKG.era, R.Test_Era)}


def test_describe_by_form_post(client):
    r = client.post(
        "/sparql", data={"query": PROLOGUE + "DESCRIBE aikgr:Test_Google"}, headers={"Accept": "text/turtle"}
    )
    assert r.status_code == 200
    g = rdflib.Graph().parse(data=r.data, format="turtle")
    assert (R.Test_Google, RDFS.label, rdflib.Literal("Test Google", lang="en")) in g
    assert (R.Test_Google, RDF.type, AIKG.Organisation) in g


def test_describe_of_a_variable_without_dataset(client):
    q = PROLOGUE + "DESCRIBE ?m WHERE { aikgr:Test_Era aikg:hasMilestone ?m }"
    g = rdflib.Graph().parse(data=client.get("/sparql", query_string={"query": q, "format": "nt"}).data, format="nt")
    assert {s for s in g.subjects(RDF.type, AIKG.Milestone)} >= {R.Test_DQN_2013, R.Test_AlphaGo_2016}


def test_format_parameter_beats_accept(client):
    r = client.get("/sparql", query_string={"query": MILESTONES, "format": "xml"}, headers={"Accept": "text/csv"})
    assert r.mimetype == "application/sparql-results+xml"
    q = PROLOGUE + "CONSTRUCT WHERE { aikgr:Test_Google ?p ?o }"
    r = client.get("/sparql", query_string={"query": q, "format": "json-ld"})
    assert r.mimetype == "application/ld+json"
    assert rdflib.Graph().parse(data=r.data, format="json-ld")


def test_q_values_pick_the_preferred_format(client):
    accept = "text/csv;q=0.5, application/sparql-results+xml;q=0.9, application/sparql-results+json;q=0.1"
    r = client.get("/sparql", query_string={"query": MILESTONES}, headers={"Accept": accept})
    assert r.mimetype == "application/sparql-results+xml"


@pytest.mark.parametrize(
    ("accept", "query", "mimetype"),
    [
        # A browser's own Accept header on a query URL.
        (
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            MILESTONES,
            "application/sparql-results+json",
        ),
        # YASGUI's headers for a SELECT and for a CONSTRUCT.
        ("application/sparql-results+json,*/*;q=0.9", MILESTONES, "application/sparql-results+json"),
        ("text/turtle,*/*;q=0.9", PROLOGUE + "CONSTRUCT WHERE { aikgr:Test_Google ?p ?o }", "text/turtle"),
        # SPARQLWrapper's JSON header, rdflib's SPARQLStore header for graphs.
        (
            "application/sparql-results+json,application/json,text/javascript,application/javascript",
            MILESTONES,
            "application/sparql-results+json",
        ),
        ("application/rdf+xml", PROLOGUE + "CONSTRUCT WHERE { aikgr:Test_Google ?p ?o }", "application/rdf+xml"),
    ],
)
def test_combined_accept_headers(client, accept, query, mimetype):
    r = client.get("/sparql", query_string={"query": query}, headers={"Accept": accept})
    assert r.status_code == 200
    assert r.mimetype == mimetype


def test_vary_accept_always(client):
    for r in (
        client.get("/sparql", query_string={"query": MILESTONES}),
        client.get("/sparql", query_string={"query": "ASK {"}),
        client.get("/sparql", headers={"Accept": "text/turtle"}),
        client.delete("/sparql"),
    ):
        assert "Accept" in r.headers.get("Vary", ""), r.status_code


def test_dataset_parameters_select_graphs(client):
    tiny_graph = "https://w3id.org/ai-history/graph/tiny"
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/ai-history/ontology/Milestone> }"
    in_tiny = json_rows(client.get("/sparql", query_string={"query": count, "default-graph-uri": tiny_graph}))
    assert in_tiny == {("2",)}
    elsewhere = {"query": count, "default-graph-uri": "http://example.org/not-held"}
    assert json_rows(client.get("/sparql", query_string=elsewhere)) == {("0",)}
    named = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    r = client.get("/sparql", query_string={"query": named, "named-graph-uri": tiny_graph})
    assert json_rows(r) == {(tiny_graph,)}


def test_query_from_clause_is_honoured(client):
    q = "SELECT (COUNT(*) AS ?n) FROM <http://example.org/absent> WHERE { ?s ?p ?o }"
    assert json_rows(client.get("/sparql", query_string={"query": q})) == {("0",)}


# -- Service description and redirects -------------------------------------------------------------


def test_service_description(client):
    r = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    g = rdflib.Graph().parse(data=r.data, format="turtle")
    service = rdflib.URIRef("http://localhost/sparql")
    assert (service, RDF.type, SD.Service) in g
    assert (service, SD.endpoint, service) in g
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in g
    formats = set(g.objects(service, SD.resultFormat))
    assert rdflib.URIRef("http://www.w3.org/ns/formats/SPARQL_Results_JSON") in formats
    assert rdflib.URIRef("http://www.w3.org/ns/formats/Turtle") in formats
    assert (service, SD.feature, SD.UnionDefaultGraph) in g
    assert (service, RDFS.seeAlso, rdflib.URIRef("http://localhost/.well-known/void")) in g
    names = {str(n) for n in g.objects(None, SD.name)}
    assert "https://w3id.org/ai-history/graph/tiny" in names
    limits = rdflib.Namespace("https://w3id.org/ai-history/endpoint#")
    assert g.value(service, limits.queryTimeout).toPython() == 10.0
    assert g.value(service, limits.maxRows).toPython() == 10_000
    assert g.value(service, limits.federatedQuery).toPython() is False
    assert g.value(service, limits.updates).toPython() is False
    # The serving core's limits, as the settings give them, each described in the document itself.
    from aikg.config import Limits
    from aikg.web.http import SETTINGS

    settings = client.application.extensions[SETTINGS]
    serving = Limits.from_settings(settings)
    assert g.value(service, limits.maxQueryDepth).toPython() == settings.max_query_depth
    assert g.value(service, limits.engineSecondsPerMinute).toPython() == serving.client_budget
    assert g.value(service, limits.concurrentQueries).toPython() == serving.client_queries
    assert g.value(service, limits.queueTimeout).toPython() == serving.queue_timeout
    assert g.value(service, limits.maxBodyBytes).toPython() == serving.max_body
    for term in (limits.engineSecondsPerMinute, limits.queueLength, limits.headerTimeout, limits.maxHeaderBytes):
        assert g.value(term, RDFS.comment) is not None


def test_service_description_json_ld_and_default(client):
    r = client.get("/sparql")  # curl's defaults: no Accept header
    assert r.mimetype == "text/turtle"
    r = client.get("/sparql", headers={"Accept": "application/ld+json"})
    g = rdflib.Graph().parse(data=r.data, format="json-ld")
    assert (None, RDF.type, SD.Service) in g


def test_browser_without_query_is_sent_to_the_query_page(client):
    r = client.get("/sparql", headers={"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
    assert r.status_code == 303
    assert r.headers["Location"].endswith("/query")


# -- 304, ETag, Cache-Control, CORS ---------------------------------------------------------------


def test_etag_and_304(client):
    r = client.get("/sparql", query_string={"query": MILESTONES})
    etag = r.headers["ETag"]
    assert etag.startswith('"') and len(etag) > 10
    assert "max-age=300" in r.headers["Cache-Control"]
    again = client.get("/sparql", query_string={"query": MILESTONES}, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    other_format = client.get("/sparql", query_string={"query": MILESTONES, "format": "csv"})
    assert other_format.headers["ETag"] != etag
    other_query = client.get("/sparql", query_string={"query": MILESTONES + " LIMIT 1"})
    assert other_query.headers["ETag"] != etag
    stale = client.get("/sparql", query_string={"query": MILESTONES}, headers={"If-None-Match": '"stale"'})
    assert stale.status_code == 200


def test_cors(client):
    r = client.get("/sparql", query_string={"query": "ASK {}"}, headers={"Origin": "https://yasgui.example"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in r.headers["Access-Control-Expose-Headers"]
    pre = client.options(
        "/sparql",
        headers={
            "Origin": "https://yasgui.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert pre.status_code in (200, 204)
    assert "POST" in pre.headers["Access-Control-Allow-Methods"]
    assert "content-type" in pre.headers["Access-Control-Allow-Headers"].lower()
    assert "GET" in pre.headers["Allow"]


def test_cors_origin_list():
    app = create_app(
        {
            "DATA": [str(TINY)],
            "VALIDATE": False,
            "TESTING": True,
            "CORS_ORIGINS": "https://a.example, https://b.example",
        }
    )
    c = app.test_client()
    allowed = c.get("/sparql", query_string={"query": "ASK {}"}, headers={"Origin": "https://b.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://b.example"
    assert "Origin" in allowed.headers["Vary"]
    other = c.get("/sparql", query_string={"query": "ASK {}"}, headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


# -- Errors ----------------------------------------------------------------------------------------


def error(r, status: int) -> dict:
    assert r.status_code == status, r.data[:300]
    body = json.loads(r.data)
    assert body["status"] == status and body["message"]
    assert "Traceback" not in body["message"]
    return body


def test_400_syntax_error_with_position(client):
    body = error(
        client.get("/sparql", query_string={"query": "SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER(?o > ) }"}), 400
    )
    assert "line 3" in body["message"]
    # The error is at the ')' (column 15); the engine reports where it stopped reading, by line 3's end.
    assert body["details"]["line"] == 3 and 15 <= body["details"]["column"] <= 18
    assert "expected" in body["message"]


def test_400_missing_and_double_query(client):
    assert "missing" in error(client.post("/sparql", data={"format": "json"}), 400)["message"]
    assert (
        "missing" in error(client.get("/sparql", headers={"Accept": "application/sparql-results+json"}), 400)["message"]
    )
    r = client.get("/sparql?query=ASK%20%7B%7D&query=SELECT%20%2A%20%7B%7D")
    assert "exactly one" in error(r, 400)["message"]
    r = client.post("/sparql?query=ASK%20%7B%7D", data="ASK {}", content_type="application/sparql-query")
    error(r, 400)


def test_400_bad_graph_iri(client):
    error(client.get("/sparql", query_string={"query": "ASK {}", "default-graph-uri": "not an iri"}), 400)


def test_400_unknown_format(client):
    error(client.get("/sparql", query_string={"query": "ASK {}", "format": "pdf"}), 400)


def test_403_update(client):
    for update in (
        "INSERT DATA { <http://x/s> <http://x/p> <http://x/o> }",
        "CLEAR ALL",
        "DROP GRAPH <http://x/g>",
        "LOAD <http://127.0.0.1:9/data.ttl>",
    ):
        error(client.get("/sparql", query_string={"query": update}), 403)
        error(client.post("/sparql", data={"update": update}), 403)
    error(client.get("/sparql", query_string={"update": "CLEAR ALL"}), 403)


def test_405_with_allow(client):
    for method in ("put", "delete", "patch"):
        r = getattr(client, method)("/sparql?query=ASK%20%7B%7D")
        error(r, 405)
        assert {"GET", "POST"} <= {m.strip() for m in r.headers["Allow"].split(",")}


def test_406(client):
    r = client.get("/sparql", query_string={"query": MILESTONES}, headers={"Accept": "image/png"})
    error(r, 406)
    r = client.get(
        "/sparql", query_string={"query": PROLOGUE + "CONSTRUCT WHERE { ?s ?p ?o }"}, headers={"Accept": "text/csv"}
    )
    error(r, 406)
    error(client.get("/sparql", query_string={"query": MILESTONES, "format": "turtle"}), 406)


def test_413(client):
    big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * (64 * 1024)
    error(client.post("/sparql", data=big, content_type="application/sparql-query"), 413)
    error(client.post("/sparql", data={"query": big}), 413)
    error(client.post("/sparql", data=big * 4, content_type="application/sparql-query"), 413)


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/json", "application/sparql-update", "application/sparql-query; charset=UTF-16"],
)
def test_415(client, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    body = "ASK {}".encode("utf-16") if content_type and "16" in content_type else b"ASK {}"
    error(client.post("/sparql", data=body, headers=headers), 415)


def test_400_for_bytes_that_are_not_utf8(client):
    error(client.post("/sparql", data=b'ASK { ?s ?p "\xff\xfe" }', content_type="application/sparql-query"), 400)


def test_400_service_is_refused(client):
    body = error(
        client.get("/sparql", query_string={"query": "SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"}), 400
    )
    assert "SERVICE" in body["message"]


def test_errors_as_text_for_text_clients(client):
    # text/plain names N-Triples, so a CONSTRUCT can be answered: its syntax error comes back as text.
    r = client.get("/sparql", query_string={"query": "CONSTRUCT WHERE {"}, headers={"Accept": "text/plain"})
    assert r.status_code == 400 and r.mimetype == "text/plain"


# -- Limits: timeout (503) and row cap -------------------------------------------------------------


@pytest.fixture(scope="module")
def limited_client():
    app = create_app({"DATA": [str(TINY)], "VALIDATE": False, "TESTING": True, "QUERY_TIMEOUT": 0.2, "MAX_ROWS": 5})
    return app.test_client()


def test_503_on_timeout_then_next_query_answers(limited_client):
    started = time.monotonic()
    body = error(limited_client.get("/sparql", query_string={"query": CARTESIAN}), 503)
    assert time.monotonic() - started < 2
    assert "limit" in body["message"]
    started = time.monotonic()
    r = limited_client.get("/sparql", query_string={"query": "ASK {}"})
    assert r.status_code == 200 and json.loads(r.data)["boolean"] is True
    assert time.monotonic() - started < 1


def test_row_cap_truncates_and_says_so(limited_client):
    r = limited_client.get("/sparql", query_string={"query": "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"})
    assert r.status_code == 200
    assert len(json.loads(r.data)["results"]["bindings"]) == 5
    assert r.headers["X-Aikg-Truncated"] == "true"
    assert r.headers["X-SPARQL-MaxRows"] == "5"
    assert "truncated" in r.headers["Warning"]
    r = limited_client.get("/sparql", query_string={"query": "CONSTRUCT WHERE { ?s ?p ?o }", "format": "nt"})
    assert len(rdflib.Graph().parse(data=r.data, format="nt")) == 5
    assert r.headers["X-Aikg-Truncated"] == "true"
    small = limited_client.get("/sparql", query_string={"query": "SELECT ?s WHERE { ?s ?p ?o } LIMIT 2"})
    assert "X-Aikg-Truncated" not in small.headers


# -- The guard on its own --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        'SELECT * WHERE { ?s ?p "SERVICE" }',
        "SELECT * WHERE { ?s ?p <http://x/SERVICE> }",
        "PREFIX service: <http://x/> SELECT * WHERE { ?s service:insert ?o }",
        "SELECT * WHERE { ?s ?p '''a\nSERVICE <http://x/> {}''' } # DELETE",
        'SELECT ?s WHERE { ?s ?p "quoted \\" SERVICE" }',
        "SELECT ?insert WHERE { ?insert ?p ?o }",
        "SELECT * WHERE { ?s <http://x/p> _:drop }",
    ],
)
def test_guard_lets_lookalikes_pass(text):
    assert check_query(text) == "SELECT"


@pytest.mark.parametrize(
    ("text", "error_type"),
    [
        ("select * { service <http://127.0.0.1:1/> { ?s ?p ?o } }", BadQuery),
        ("SELECT * { ?s ?p ?o FILTER(?o<3)SERVICE<http://h/>{} }", BadQuery),
        ("SELECT * { SERVICE SILENT ?endpoint { ?s ?p ?o } }", BadQuery),
        ("PREFIX ex: <http://e/> WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", UpdateForbidden),
        ("SELECT * {} ; INSERT DATA { <http://a> <http://b> <http://c> }", UpdateForbidden),
        ("load <http://127.0.0.1:1/x>", UpdateForbidden),
        ("CREATE GRAPH <http://g>", UpdateForbidden),
        ("COPY DEFAULT TO <http://g>", UpdateForbidden),
    ],
)
def test_guard_refuses(text, error_type):
    with pytest.raises(error_type):
        check_query(text)


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("ASK {}", "ASK"),
        ("# c\nPREFIX a: <http://a/>\nconstruct WHERE {}", "CONSTRUCT"),
        ("BASE <http://b/> DESCRIBE <x>", "DESCRIBE"),
    ],
)
def test_guard_returns_the_form(text, form):
    assert check_query(text) == form
