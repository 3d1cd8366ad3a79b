"""The format registry: every layer offers what the registry holds, so a new format is one entry."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
import rdflib

from aikg.sparql.formats import (
    ANSWER_FORMATS,
    DATASET_FORMATS,
    FORMATS,
    GRAPH_FORMATS,
    RDF_PARSERS,
    RESULT_FORMATS,
    RESULT_PARSERS,
    Format,
)
from aikg.sparql.results import Boolean, Solutions, Triples

SELECT = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 2"
CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 2"


def test_every_format_has_a_distinct_media_type_and_a_label():
    assert len({f.media_type for f in FORMATS}) == len(FORMATS)
    assert all(f.label for f in FORMATS)


@pytest.mark.parametrize("fmt", RESULT_FORMATS, ids=lambda f: f.name)
def test_sparql_answers_every_results_format(client, fmt: Format):
    for query in (SELECT, "ASK { ?s ?p ?o }"):
        r = client.get("/sparql", query_string={"query": query, "format": fmt.name})
        assert r.status_code == 200
        assert r.mimetype == fmt.media_type


@pytest.mark.parametrize("fmt", GRAPH_FORMATS, ids=lambda f: f.name)
def test_sparql_and_resource_documents_answer_every_graph_format(client, fmt: Format):
    r = client.get("/sparql", query_string={"query": CONSTRUCT, "format": fmt.name})
    assert r.status_code == 200 and r.mimetype == fmt.media_type
    assert len(list(ox.parse(r.data, fmt.rdf))) == 2  # what aikg writes, its own parser reads


def test_the_service_description_lists_each_registered_format(client):
    r = client.get("/sparql", headers={"Accept": "text/turtle"})
    g = rdflib.Graph().parse(data=r.data, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    listed = {str(o) for o in g.objects(None, sd.resultFormat)}
    assert listed == {"http://www.w3.org/ns/formats/" + f.w3c for f in (*RESULT_FORMATS, *GRAPH_FORMATS) if f.w3c}


def test_the_query_page_offers_the_registered_downloads(client):
    page = client.get("/query", query_string={"query": SELECT}).get_data(as_text=True)
    for fmt in RESULT_FORMATS:
        assert f"format={fmt.name}" in page


def test_the_api_and_its_openapi_document_offer_the_registered_answers(client):
    doc = client.get("/api/openapi.json").get_json()
    operation = next(iter(p for name, p in doc["paths"].items() if name.startswith("/api/queries/")))
    assert set(operation["get"]["responses"]["200"]["content"]) == {f.media_type for f in ANSWER_FORMATS.values()}


def test_what_aikg_writes_the_remote_parser_reads():
    term = ox.NamedNode("http://example.org/a")
    solutions = Solutions(["s"], [(term,)])
    for fmt in RESULT_FORMATS:
        if fmt.results is None:
            continue  # pyoxigraph reads no CSV results
        assert RESULT_PARSERS[fmt.media_type] is fmt.results
        parsed = ox.parse_query_results(fmt.write(solutions), fmt.results)
        assert [row[0] for row in parsed] == [term]
        assert bool(ox.parse_query_results(fmt.write(Boolean(True)), fmt.results)) is True
    triples = Triples([ox.Triple(term, term, term)])
    for fmt in (*GRAPH_FORMATS, *DATASET_FORMATS):
        assert RDF_PARSERS[fmt.media_type] is fmt.rdf
        assert [q.subject for q in ox.parse(fmt.write(triples), fmt.rdf)] == [term]


def test_a_format_refuses_an_answer_it_cannot_hold():
    with pytest.raises(TypeError):
        GRAPH_FORMATS[0].write(Solutions(["s"], []))
    with pytest.raises(TypeError):
        ANSWER_FORMATS["rq"].write(Boolean(True))
    assert json.loads(RESULT_FORMATS[0].write(Boolean(False))) == {"head": {}, "boolean": False}
