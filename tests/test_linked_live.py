"""Linked data over real HTTP (the shipped graph): real clients dereference our IRIs as a crawler would."""

from __future__ import annotations

import gzip
import json
from urllib.parse import urljoin

import pyoxigraph as ox
import pytest
import rdflib
import requests
from rdflib.compare import isomorphic

from aikg.graph.document import description_triples
from aikg.store import select

R = "https://w3id.org/ai-history/resource/"
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
TYPES = {"ttl": "turtle", "nt": "nt", "rdf": "xml", "jsonld": "json-ld"}


@pytest.fixture(scope="module")
def store(full_app):
    return full_app.extensions["aikg"]


@pytest.fixture(scope="module")
def examples(live_server):
    """The example resources the VoID description names (milestones of the shipped data)."""
    g = rdflib.Graph().parse(f"{live_server.url}/.well-known/void", format="turtle")
    found = sorted(str(x) for x in g.objects(None, VOID.exampleResource))
    assert found, "VoID names no example resource"
    return found


def _local(live_server, iri: str) -> str:
    return live_server.url + "/" + iri.split("/ai-history/", 1)[1]


def _expected(store, iri: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data="".join(f"{t} .\n" for t in description_triples(store, iri)), format="nt")


@pytest.mark.parametrize("ext", list(TYPES))
def test_cool_uri_dereferences_by_negotiation(live_server, store, examples, ext):
    """A client that asks the generic IRI for a type follows a 303 to a document with those triples."""
    iri = examples[0]
    media = {
        "ttl": "text/turtle",
        "nt": "application/n-triples",
        "rdf": "application/rdf+xml",
        "jsonld": "application/ld+json",
    }[ext]
    r = requests.get(_local(live_server, iri), headers={"Accept": media}, timeout=30)
    assert r.status_code == 200
    assert [h.status_code for h in r.history] == [303]
    assert r.url == _local(live_server, iri) + f".{ext}"
    assert urljoin(r.url, r.headers["Content-Location"]) == r.url
    # rdflib fetches the JSON-LD context from the live server.
    got = rdflib.Graph().parse(data=r.content, format=TYPES[ext], publicID=r.url)
    expected = _expected(store, iri)
    assert len(got) == len(expected) > 10
    assert isomorphic(got, expected)


def test_rdflib_loads_a_resource_by_its_url(live_server, store, examples):
    """rdflib's own content negotiation (Accept for RDF, follow redirects) gets the document."""
    iri = examples[-1]
    g = rdflib.Graph().parse(_local(live_server, iri))
    assert isomorphic(g, _expected(store, iri))


def test_html_page_names_the_canonical_iri(live_server, examples):
    iri = examples[0]
    r = requests.get(_local(live_server, iri), headers={"Accept": "text/html"}, timeout=30)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    assert iri in r.text
    assert r.url.endswith(".html")


def test_every_milestone_has_all_documents(live_server, store):
    milestones = [
        r["m"].value
        for r in select(
            store, "PREFIX aikg: <https://w3id.org/ai-history/ontology/> SELECT ?m WHERE { ?m a aikg:Milestone }"
        )
    ]
    assert len(milestones) >= 10
    session = requests.Session()
    for iri in milestones:
        for ext in ("html", "ttl"):
            r = session.get(_local(live_server, iri) + f".{ext}", timeout=30)
            assert r.status_code == 200, (iri, ext)


def test_figures_read_without_another_request(live_server, store):
    """A document carries its measurement nodes: metric, value and source are in the Turtle of the resource."""
    rows = select(
        store,
        """PREFIX aikg: <https://w3id.org/ai-history/ontology/>
        SELECT ?s ?m ?v WHERE { ?s aikg:measurement ?m . ?m aikg:value ?v } LIMIT 1""",
    )
    assert rows, "the shipped data has measurements"
    s, m, v = rows[0]["s"], rows[0]["m"], rows[0]["v"]
    g = rdflib.Graph().parse(
        data=requests.get(_local(live_server, s.value) + ".ttl", timeout=30).content, format="turtle"
    )
    node = rdflib.BNode(m.value) if isinstance(m, ox.BlankNode) else rdflib.URIRef(m.value)
    # Compared as numbers: a double's lexical form differs between engines (1.22683392E21, 1226833920000000000000).
    values = {float(x) for x in g.objects(None, rdflib.URIRef("https://w3id.org/ai-history/ontology/value"))}
    assert float(v.value) in values
    if isinstance(node, rdflib.URIRef):
        assert (node, rdflib.URIRef("https://w3id.org/ai-history/ontology/metric"), None) in g


def test_dump_over_http_matches_the_store(live_server, store):
    r = requests.get(f"{live_server.url}/dumps/aikg.nt", timeout=60)  # requests asks for gzip and inflates it
    assert r.status_code == 200
    assert r.headers.get("Content-Encoding") == "gzip"
    g = rdflib.Graph().parse(data=r.content, format="nt")
    assert len(g) == sum(1 for _ in store.quads())
    again = requests.get(f"{live_server.url}/dumps/aikg.nt", headers={"If-None-Match": r.headers["ETag"]}, timeout=30)
    assert again.status_code == 304
    raw = requests.get(f"{live_server.url}/dumps/aikg.nq.gz", timeout=60)
    assert raw.headers["Content-Type"] == "application/gzip"
    lines = gzip.decompress(raw.content).decode().splitlines()
    assert len([line for line in lines if line.strip()]) == sum(1 for _ in store.quads())


def test_void_counts_match_the_shipped_data(live_server, store):
    g = rdflib.Graph().parse(f"{live_server.url}/void.ttl", format="turtle")
    (ds,) = set(g.subjects(rdflib.RDF.type, VOID.Dataset)) - set(g.objects(None, VOID.subset))
    assert int(g.value(ds, VOID.triples)) == sum(1 for _ in store.quads())
    assert str(g.value(ds, VOID.sparqlEndpoint)) == f"{live_server.url}/sparql"
    classes = {
        str(g.value(p, VOID["class"])): int(g.value(p, VOID.entities)) for p in g.objects(ds, VOID.classPartition)
    }
    (count,) = select(
        store, "SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE { ?m a <https://w3id.org/ai-history/ontology/Milestone> }"
    )
    assert classes["https://w3id.org/ai-history/ontology/Milestone"] == int(count["n"].value)


def test_jsonld_context_is_public(live_server):
    r = requests.get(f"{live_server.url}/context.jsonld", timeout=30)
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "producedBy" in json.loads(r.text)["@context"]


def test_description_agrees_over_the_sparql_protocol(oxigraph, store, examples):
    """describe() through a RemoteStore over the SPARQL protocol (a real Oxigraph server holding the shipped
    data, put there by `aikg publish`) gives what it gives on the embedded store. A remote store is read
    through its publication record, so the store must be one aikg published to, not another aikg's /sparql."""
    from aikg.config import load_config
    from aikg.graph.describe import describe
    from aikg.store.remote import RemoteStore

    remote = RemoteStore.from_settings(load_config({"ENDPOINT": oxigraph.query_url}))
    for iri in examples:
        local, far = describe(store, iri), describe(remote, iri)
        assert far is not None and local is not None
        assert far.label == local.label
        assert [(g.property, [v.label for v in g.values]) for g in far.out] == [
            (g.property, [v.label for v in g.values]) for g in local.out
        ]
        assert [(g.property, g.total, [x.iri for x in g.links]) for g in far.incoming] == [
            (g.property, g.total, [x.iri for x in g.links]) for g in local.incoming
        ]
        assert [f.text for f in far.figures] == [f.text for f in local.figures]
        assert len(description_triples(remote, iri)) == len(description_triples(store, iri))
