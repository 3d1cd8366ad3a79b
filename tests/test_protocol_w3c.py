"""The W3C SPARQL 1.1 Protocol test suite's query cases, against a live server.

Ported from w3c/rdf-tests, sparql/sparql11/protocol/manifest.ttl. The suite's data files data0.rdf ..
data3.rdf are tests/data/protocol/data0.nt .. data3.nt: each says that the document
<http://kasei.us/2009/09/sparql/data/dataN.rdf> is a foaf:Document, and each is loaded into its own named
graph GRAPH + "dataN", which stands for the suite's graph IRI http://kasei.us/.../dataN.rdf in the
dataset parameters. The update cases expect a 2xx from an updatable endpoint; aikg's endpoint is
read-only, so each of them must be refused with a 4xx and leave the data as it was.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import quote

import pytest
import rdflib
import requests
from conftest import LiveServer

from aikg.namespaces import GRAPH
from aikg.web.app import create_app

DATA = Path(__file__).parent / "data" / "protocol"
KASEI = "http://kasei.us/2009/09/sparql/data/"
SRX = "{http://www.w3.org/2005/sparql-results#}"
BOOLEAN_TYPES = {"application/sparql-results+xml", "application/sparql-results+json"}
TABULAR_TYPES = BOOLEAN_TYPES | {"text/csv", "text/tab-separated-values"}
RDF_TYPES = {"application/rdf+xml", "text/turtle", "application/n-triples", "application/ld+json"}


def g(n: int) -> str:
    """The named graph standing for the suite's dataN.rdf."""
    return quote(GRAPH + f"data{n}", safe="")


def doc(n: int) -> str:
    return f"<{KASEI}data{n}.rdf>"


@pytest.fixture(scope="module")
def server():
    app = create_app({"DATA": sorted(str(p) for p in DATA.glob("data*.nt")), "VALIDATE": False, "TESTING": True})
    live = LiveServer(app).start()
    yield live
    live.stop()


@pytest.fixture()
def sparql(server):
    return server.url + "/sparql/"  # the suite's requests use /sparql/


def boolean(r: requests.Response) -> bool:
    assert 200 <= r.status_code < 400, r.text[:300]
    mimetype = r.headers["Content-Type"].split(";")[0]
    assert mimetype in BOOLEAN_TYPES
    if mimetype == "application/sparql-results+json":
        return json.loads(r.content)["boolean"]
    return ET.fromstring(r.content).find(SRX + "boolean").text == "true"


def count_triples(sparql: str) -> int:
    r = requests.get(
        sparql,
        params={"query": "SELECT (COUNT(*) AS ?n) { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=10,
    )
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


# -- Query cases: 2xx with the expected answer ----------------------------------------------------


def test_query_get(sparql):
    assert boolean(requests.get(f"{sparql}?query=ASK%20%7B%7D&default-graph-uri={g(0)}", timeout=10)) is True


def test_query_post_form(sparql):
    r = requests.post(
        f"{sparql}?default-graph-uri={g(0)}",
        data="query=ASK%20%7B%7D",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert boolean(r) is True


def test_query_post_direct(sparql):
    r = requests.post(sparql, data="ASK {}", headers={"Content-Type": "application/sparql-query"}, timeout=10)
    assert boolean(r) is True


def test_query_dataset_default_graphs_get(sparql):
    query = quote(f"ASK {{ {doc(1)} a ?type . {doc(2)} a ?type . }}", safe="")
    r = requests.get(f"{sparql}?query={query}&default-graph-uri={g(1)}&default-graph-uri={g(2)}", timeout=10)
    assert boolean(r) is True


def test_query_dataset_default_graphs_post(sparql):
    r = requests.post(
        f"{sparql}?default-graph-uri={g(1)}&default-graph-uri={g(2)}",
        data=f"ASK {{ {doc(1)} a ?type . {doc(2)} a ?type . }}",
        headers={"Content-Type": "application/sparql-query"},
        timeout=10,
    )
    assert boolean(r) is True


def test_query_dataset_default_graph_excludes_others(sparql):
    # Not in the suite: the converse, that the protocol dataset really is only the named graph.
    r = requests.post(
        f"{sparql}?default-graph-uri={g(1)}",
        data=f"ASK {{ {doc(2)} a ?type }}",
        headers={"Content-Type": "application/sparql-query"},
        timeout=10,
    )
    assert boolean(r) is False


def test_query_dataset_named_graphs_post(sparql):
    r = requests.post(
        f"{sparql}?named-graph-uri={g(1)}&named-graph-uri={g(2)}",
        data=f"ASK {{ GRAPH ?g1 {{ {doc(1)} a ?type }} GRAPH ?g2 {{ {doc(2)} a ?type }} }}",
        headers={"Content-Type": "application/sparql-query"},
        timeout=10,
    )
    assert boolean(r) is True


def test_query_dataset_named_graphs_get(sparql):
    query = quote(f"ASK {{ GRAPH ?g1 {{ {doc(1)} a ?type }} GRAPH ?g2 {{ {doc(2)} a ?type }} }}", safe="")
    r = requests.get(f"{sparql}?query={query}&named-graph-uri={g(1)}&named-graph-uri={g(2)}", timeout=10)
    assert boolean(r) is True


def test_query_dataset_full(sparql):
    text = f"ASK {{\n  {doc(3)} a ?type\n  GRAPH ?g1 {{ {doc(1)} a ?type }}\n  GRAPH ?g2 {{ {doc(2)} a ?type }}\n}}"
    r = requests.post(
        f"{sparql}?default-graph-uri={g(3)}&named-graph-uri={g(1)}&named-graph-uri={g(2)}",
        data=text,
        headers={"Content-Type": "application/sparql-query"},
        timeout=10,
    )
    assert boolean(r) is True


def test_query_multiple_dataset(sparql):
    # The protocol's dataset replaces the query's FROM. (The suite's request URL percent-encodes its
    # '&' between the two named-graph-uri parameters, a known slip; this sends the two it means.)
    text = f"ASK FROM <{GRAPH}data3> {{ GRAPH ?g1 {{ {doc(1)} a ?type }} GRAPH ?g2 {{ {doc(2)} a ?type }} }}"
    r = requests.post(
        f"{sparql}?named-graph-uri={g(1)}&named-graph-uri={g(2)}",
        data=text,
        headers={"Content-Type": "application/sparql-query"},
        timeout=10,
    )
    assert boolean(r) is True


def test_query_content_type_select(sparql):
    r = requests.post(
        f"{sparql}?default-graph-uri={g(0)}",
        data="SELECT (1 AS ?value) {}",
        headers={"Content-Type": "application/sparql-query"},
        timeout=10,
    )
    assert r.status_code == 200
    assert r.headers["Content-Type"].split(";")[0] in TABULAR_TYPES
    assert r.json()["results"]["bindings"][0]["value"]["value"] == "1"


def test_query_content_type_ask(sparql):
    r = requests.post(
        f"{sparql}?default-graph-uri={g(0)}",
        data="ASK {}",
        headers={"Content-Type": "application/sparql-query"},
        timeout=10,
    )
    assert boolean(r) is True


@pytest.mark.parametrize("text", ["DESCRIBE <http://example.org/>", "CONSTRUCT { <s> <p> 1 } WHERE {}"])
def test_query_content_type_describe_and_construct(sparql, text):
    r = requests.post(
        f"{sparql}?default-graph-uri={g(0)}",
        data=text,
        headers={"Content-Type": "application/sparql-query"},
        timeout=10,
    )
    assert r.status_code == 200
    mimetype = r.headers["Content-Type"].split(";")[0]
    assert mimetype in RDF_TYPES
    graph = rdflib.Graph().parse(
        data=r.content,
        format={
            "text/turtle": "turtle",
            "application/rdf+xml": "xml",
            "application/n-triples": "nt",
            "application/ld+json": "json-ld",
        }[mimetype],
    )
    expected = 1 if "CONSTRUCT" in text else 0  # nothing is said about http://example.org/
    assert len(graph) == expected


# -- Bad requests: 4xx --------------------------------------------------------------------------------


def test_bad_query_method(sparql):
    r = requests.put(
        f"{sparql}?query=ASK%20%7B%7D&default-graph-uri={g(0)}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert 400 <= r.status_code < 500


def test_bad_multiple_queries(sparql):
    r = requests.get(f"{sparql}?query=ASK%20%7B%7D&query=SELECT%20%2A%20%7B%7D", timeout=10)
    assert 400 <= r.status_code < 500


def test_bad_query_wrong_media_type(sparql):
    r = requests.post(sparql, data="ASK {}", headers={"Content-Type": "text/plain"}, timeout=10)
    assert 400 <= r.status_code < 500


def _post_without_content_type(url: str, body: bytes) -> requests.Response:
    request = requests.Request("POST", url, data=body).prepare()
    request.headers.pop("Content-Type", None)
    with requests.Session() as session:
        return session.send(request, timeout=10)


def test_bad_query_missing_form_type(sparql):
    assert 400 <= _post_without_content_type(sparql, b"query=ASK%20%7B%7D").status_code < 500


def test_bad_query_missing_direct_type(sparql):
    assert 400 <= _post_without_content_type(sparql, b"ASK {}").status_code < 500


def test_bad_query_non_utf8(sparql):
    r = requests.post(
        sparql,
        data="ASK {}".encode("utf-16"),
        headers={"Content-Type": "application/sparql-query; charset=UTF-16"},
        timeout=10,
    )
    assert 400 <= r.status_code < 500


def test_bad_query_syntax(sparql):
    r = requests.get(f"{sparql}?query=ASK%20%7B", timeout=10)
    assert 400 <= r.status_code < 500


# -- Update cases: refused by a read-only endpoint, nothing changes -------------------------------------

CLEAR_AND_INSERT = f"""PREFIX dc: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
CLEAR ALL ;
INSERT DATA {{ GRAPH <{KASEI}data1.rdf> {{ <{KASEI}data1.rdf> a foaf:Document }} }} ;
INSERT {{ GRAPH <http://example.org/protocol-update-dataset-test/> {{ ?s a dc:BibliographicResource }} }}
WHERE {{ ?s a foaf:Document }}"""

UPDATE_REQUESTS = {
    "update_dataset_default_graph": (
        "POST",
        f"?using-graph-uri={g(1)}",
        CLEAR_AND_INSERT.encode(),
        "application/sparql-update",
    ),
    "update_dataset_named_graphs": (
        "POST",
        f"?using-named-graph-uri={g(1)}",
        CLEAR_AND_INSERT.encode(),
        "application/sparql-update",
    ),
    "update_post_form": (
        "POST",
        "",
        b"update=" + quote(CLEAR_AND_INSERT).encode(),
        "application/x-www-form-urlencoded",
    ),
    "update_post_direct": ("POST", "", CLEAR_AND_INSERT.encode(), "application/sparql-update"),
    "update_base_uri": (
        "POST",
        "",
        b"CLEAR GRAPH <http://example.org/protocol-base-test/> ; INSERT DATA { GRAPH "
        b"<http://example.org/protocol-base-test/> { <http://example.org/s> <http://example.org/p> <test> } }",
        "application/sparql-update",
    ),
    "update_as_query": ("POST", "", CLEAR_AND_INSERT.encode(), "application/sparql-query"),
    "update_as_query_form": (
        "POST",
        "",
        b"query=" + quote(CLEAR_AND_INSERT).encode(),
        "application/x-www-form-urlencoded",
    ),
    "bad_update_get": ("GET", "?update=CLEAR%20ALL", b"", None),
    "bad_multiple_updates": (
        "POST",
        "",
        b"update=CLEAR%20NAMED&update=CLEAR%20DEFAULT",
        "application/x-www-form-urlencoded",
    ),
    "bad_update_wrong_media_type": ("POST", "", b"CLEAR NAMED", "text/plain"),
    "bad_update_missing_form_type": ("POST", "", b"update=CLEAR%20NAMED", None),
    "bad_update_non_utf8": ("POST", "", "CLEAR NAMED".encode("utf-16"), "application/sparql-update; charset=UTF-16"),
    "bad_update_syntax": ("POST", "", b"update=CLEAR%20XYZ", "application/x-www-form-urlencoded"),
    "bad_update_dataset_conflict": (
        "POST",
        "?using-named-graph-uri=http%3A%2F%2Fexample%2Fpeople",
        b"PREFIX foaf: <http://xmlns.com/foaf/0.1/>\nWITH <http://example/addresses>\n"
        b"DELETE { ?person foaf:givenName 'Bill' }\nINSERT { ?person foaf:givenName 'William' }\n"
        b"WHERE { ?person foaf:givenName 'Bill' }",
        "application/sparql-update",
    ),
}


@pytest.mark.parametrize("name", sorted(UPDATE_REQUESTS))
def test_updates_are_refused(sparql, name):
    method, query_string, body, content_type = UPDATE_REQUESTS[name]
    before = count_triples(sparql)
    assert before > 8  # the four documents' two triples each, and the ontology
    request = requests.Request(method, sparql + query_string, data=body or None).prepare()
    request.headers.pop("Content-Type", None)
    if content_type:
        request.headers["Content-Type"] = content_type
    with requests.Session() as session:
        r = session.send(request, timeout=10)
    assert 400 <= r.status_code < 500, (name, r.status_code, r.text[:200])
    assert count_triples(sparql) == before
    still = requests.get(
        sparql,
        params={"query": f"ASK {{ GRAPH <{GRAPH}data2> {{ {doc(2)} a ?type }} }}"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=10,
    )
    assert still.json()["boolean"] is True
