"""The endpoint over real HTTP with the clients researchers use: SPARQLWrapper, rdflib's SPARQLStore, requests.

The expected answers come from the ontology (ontology/aikg.ttl declares the classes Era, Milestone, Person,
Organisation, Paper, ... as owl:Class), which the shipped graph always holds, whatever the data files say.
"""

from __future__ import annotations

import csv
import io
import json
import urllib.error
from urllib.parse import quote

import pytest
import rdflib
import requests
from rdflib.namespace import OWL, RDF
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, JSONLD, POST, POSTDIRECTLY, TSV, TURTLE, XML, SPARQLWrapper

AIKG = rdflib.Namespace("https://w3id.org/ai-history/ontology/")
PROLOGUE = (
    "PREFIX aikg: <https://w3id.org/ai-history/ontology/>\nPREFIX owl: <http://www.w3.org/2002/07/owl#>\n"
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
)
ONTOLOGY_GRAPH = "https://w3id.org/ai-history/graph/ontology"
SOME_CLASSES = {"Era", "Milestone", "Person", "Organisation", "Paper", "Model", "Dataset", "Measurement"}
CLASSES = PROLOGUE + "SELECT DISTINCT ?c WHERE { ?c a owl:Class FILTER(STRSTARTS(STR(?c), STR(aikg:))) }"


@pytest.fixture()
def sparql(live_server) -> str:
    return live_server.url + "/sparql"


def wrapper(url: str, query: str, fmt: str, method: str | None = None) -> SPARQLWrapper:
    sw = SPARQLWrapper(url)
    sw.setQuery(query)
    sw.setReturnFormat(fmt)
    if method == POSTDIRECTLY:
        sw.setMethod(POST)
        sw.setRequestMethod(POSTDIRECTLY)
    elif method:
        sw.setMethod(method)
    return sw


def local(iri: str) -> str:
    return iri.rsplit("/", 1)[-1]


# -- SPARQLWrapper ---------------------------------------------------------------------------------


@pytest.mark.parametrize("method", [None, POST, POSTDIRECTLY])
def test_sparqlwrapper_select_json(sparql, method):
    result = wrapper(sparql, CLASSES, JSON, method).queryAndConvert()
    names = {local(b["c"]["value"]) for b in result["results"]["bindings"]}
    assert names >= SOME_CLASSES


def test_sparqlwrapper_select_xml(sparql):
    doc = wrapper(sparql, CLASSES, XML).queryAndConvert()
    names = {local(uri.firstChild.data) for uri in doc.getElementsByTagName("uri")}
    assert names >= SOME_CLASSES


def test_sparqlwrapper_select_csv_and_tsv(sparql):
    rows = list(csv.reader(io.StringIO(wrapper(sparql, CLASSES, CSV).queryAndConvert().decode())))
    assert rows[0] == ["c"]
    assert {local(r[0]) for r in rows[1:]} >= SOME_CLASSES
    lines = wrapper(sparql, CLASSES, TSV).queryAndConvert().decode().splitlines()
    assert lines[0] == "?c"
    assert f"<{AIKG.Milestone}>" in lines


def test_sparqlwrapper_ask(sparql):
    ask = PROLOGUE + "ASK { aikg:Milestone a owl:Class }"
    assert wrapper(sparql, ask, JSON).queryAndConvert()["boolean"] is True
    doc = wrapper(sparql, ask.replace("Milestone", "NoSuchClass"), XML).queryAndConvert()
    assert doc.getElementsByTagName("boolean")[0].firstChild.data == "false"


CONSTRUCT = PROLOGUE + f"CONSTRUCT {{ ?c a owl:Class }} WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{ ?c a owl:Class }} }}"


@pytest.mark.parametrize(("fmt", "method"), [(TURTLE, None), (XML, None), (JSONLD, None), (TURTLE, POST)])
def test_sparqlwrapper_construct(sparql, fmt, method):
    converted = wrapper(sparql, CONSTRUCT, fmt, method).queryAndConvert()
    g = converted if isinstance(converted, rdflib.Graph) else rdflib.Graph().parse(data=converted, format="turtle")
    for name in SOME_CLASSES:
        assert (AIKG[name], RDF.type, OWL.Class) in g


@pytest.mark.parametrize("fmt", [TURTLE, JSONLD, XML])
def test_sparqlwrapper_describe(sparql, fmt):
    converted = wrapper(sparql, PROLOGUE + "DESCRIBE aikg:Milestone", fmt).queryAndConvert()
    g = converted if isinstance(converted, rdflib.Graph) else rdflib.Graph().parse(data=converted, format="turtle")
    assert (AIKG.Milestone, RDF.type, OWL.Class) in g


def test_sparqlwrapper_update_is_refused(sparql):
    sw = SPARQLWrapper(sparql)
    sw.setMethod(POST)
    sw.setQuery("INSERT DATA { <http://example.org/s> <http://example.org/p> <http://example.org/o> }")
    # SPARQLWrapper sends an update as a form field update=..., which is refused with 403.
    with pytest.raises(urllib.error.HTTPError) as caught:
        sw.query()
    caught.value.close()
    assert caught.value.code == 403
    ask = "ASK { <http://example.org/s> ?p ?o }"
    assert wrapper(sparql, ask, JSON).queryAndConvert()["boolean"] is False


# -- rdflib's SPARQLStore ----------------------------------------------------------------------------


def test_rdflib_sparqlstore_graph(sparql):
    store = SPARQLStore(sparql)
    graph = rdflib.Graph(store=store)
    assert (AIKG.Milestone, RDF.type, OWL.Class) in graph
    names = {local(str(row.c)) for row in graph.query(CLASSES)}
    assert names >= SOME_CLASSES
    types = set(graph.objects(AIKG.Milestone, RDF.type))
    assert OWL.Class in types
    ask = graph.query(PROLOGUE + "ASK { aikg:Era a owl:Class }")
    assert ask.askAnswer is True
    constructed = graph.query(CONSTRUCT).graph
    assert (AIKG.Era, RDF.type, OWL.Class) in constructed
    store.close()


# -- requests: protocol edge cases over real HTTP ---------------------------------------------------


def test_head_and_conditional_get(sparql):
    params = {"query": CLASSES}
    first = requests.get(sparql, params=params, timeout=10)
    assert first.status_code == 200
    head = requests.head(sparql, params=params, timeout=10)
    assert head.status_code == 200 and head.headers["ETag"] == first.headers["ETag"]
    again = requests.get(sparql, params=params, headers={"If-None-Match": first.headers["ETag"]}, timeout=10)
    assert again.status_code == 304 and again.content == b""


def test_long_get_query(sparql):
    padding = "# " + "p" * 6000 + "\n"
    r = requests.get(sparql, params={"query": padding + CLASSES}, timeout=10)
    assert r.status_code == 200
    assert {local(b["c"]["value"]) for b in r.json()["results"]["bindings"]} >= SOME_CLASSES


def test_unicode_query_round_trip(sparql):
    text = 'SELECT ?v WHERE { BIND("Sedol 이세돌 ✓" AS ?v) }'
    for r in (
        requests.get(sparql, params={"query": text}, timeout=10),
        requests.post(sparql, data=text.encode(), headers={"Content-Type": "application/sparql-query"}, timeout=10),
        requests.post(sparql, data={"query": text}, timeout=10),
    ):
        assert r.status_code == 200
        assert json.loads(r.content)["results"]["bindings"][0]["v"]["value"] == "Sedol 이세돌 ✓"


def test_cors_preflight_over_http(sparql):
    r = requests.options(
        sparql,
        headers={
            "Origin": "https://yasgui.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type",
        },
        timeout=10,
    )
    assert r.status_code in (200, 204)
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in r.headers["Access-Control-Allow-Methods"]


def test_errors_are_json_for_curl_like_clients(sparql):
    r = requests.get(f"{sparql}?query={quote('SELECT * WHERE {')}", headers={"Accept": "*/*"}, timeout=10)
    assert r.status_code == 400
    body = r.json()
    assert body["status"] == 400 and "line 1" in body["message"]


def test_service_description_over_http(sparql):
    r = requests.get(sparql, headers={"Accept": "text/turtle"}, timeout=10)
    g = rdflib.Graph().parse(data=r.content, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    assert (rdflib.URIRef(sparql), sd.endpoint, rdflib.URIRef(sparql)) in g
    names = {str(n) for n in g.objects(None, sd.name)}
    assert ONTOLOGY_GRAPH in names
