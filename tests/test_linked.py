"""Linked data over the Flask test client on the tiny graph: 303s, documents, the ontology, VoID, dumps."""

from __future__ import annotations

import gzip
import json

import pyoxigraph as ox
import pytest
import rdflib
from conftest import ROOT, TINY
from pyld import jsonld
from rdflib.compare import isomorphic
from requests.utils import parse_header_links

from aikg.cli import cli
from aikg.graph.document import description_triples
from aikg.web.app import create_app

R = "https://w3id.org/ai-history/resource/"
ONT = "https://w3id.org/ai-history/ontology/"
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
RDF_FORMATS = {
    "ttl": ("text/turtle", "turtle"),
    "nt": ("application/n-triples", "nt"),
    "rdf": ("application/rdf+xml", "xml"),
    "jsonld": ("application/ld+json", "json-ld"),
}
TINY_MILESTONES = {R + "Test_DQN_2013", R + "Test_AlphaGo_2016"}  # the two aikg:Milestone of tests/data/tiny.ttl


@pytest.fixture(scope="module")
def dump_app(tmp_path_factory):
    return create_app({"DATA": [str(TINY)], "TESTING": True, "DUMP_DIR": str(tmp_path_factory.mktemp("dumps"))})


@pytest.fixture()
def dump_client(dump_app):
    return dump_app.test_client()


def _nt_graph(triples) -> rdflib.Graph:
    return rdflib.Graph().parse(data="".join(f"{t} .\n" for t in triples), format="nt")


def _parse(client, body: bytes, fmt: str) -> rdflib.Graph:
    """Parse a served document; JSON-LD gets the served context inlined (no network in unit tests)."""
    if fmt == "jsonld":
        doc = json.loads(body)
        assert doc["@context"] == "http://localhost/context.jsonld"
        doc["@context"] = client.get("/context.jsonld").get_json()["@context"]
        expanded = jsonld.expand(doc)
        nquads = jsonld.to_rdf(expanded, {"format": "application/n-quads"})
        return rdflib.Graph().parse(data=nquads, format="nt")
    return rdflib.Graph().parse(data=body, format=RDF_FORMATS[fmt][1])


def _store_graph(app) -> rdflib.Graph:
    store = app.extensions["aikg"]
    return _nt_graph(ox.Triple(q.subject, q.predicate, q.object) for q in store.quads())


# ---------------------------------------------------------------------------------------------- 303s


@pytest.mark.parametrize(
    ("accept", "ext"),
    [
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "html"),
        ("text/turtle", "ttl"),
        ("application/n-triples", "nt"),
        ("application/ld+json", "jsonld"),
        ("application/json", "jsonld"),
        ("application/rdf+xml", "rdf"),
        ("text/turtle;q=0.5, application/rdf+xml;q=0.9", "rdf"),
        (None, "html"),
    ],
)
@pytest.mark.parametrize("space", ["resource/Test_AlphaGo", "ontology/Milestone"])
def test_generic_iri_redirects_by_accept(client, accept, ext, space):
    r = client.get(f"/{space}", headers={"Accept": accept} if accept else {})
    assert r.status_code == 303
    assert r.headers["Location"].endswith(f"/{space}.{ext}")
    assert "Accept" in r.headers["Vary"]


@pytest.mark.parametrize("fmt", ["ttl", "nt", "jsonld", "rdf", "html"])
def test_format_parameter_overrides_accept(client, fmt):
    r = client.get(f"/resource/Test_AlphaGo?format={fmt}", headers={"Accept": "text/html"})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/resource/Test_AlphaGo.{fmt}")


def test_unknown_format_parameter_is_400(client):
    r = client.get("/resource/Test_AlphaGo?format=yaml", headers={"Accept": "application/json"})
    assert r.status_code == 400
    assert r.get_json()["status"] == 400


def test_unsupported_accept_is_406(client):
    r = client.get("/resource/Test_AlphaGo", headers={"Accept": "image/png"})
    assert r.status_code == 406
    body = r.get_json()
    assert body["status"] == 406 and "text/turtle" in body["message"]


# ---------------------------------------------------------------------------------------------- documents


@pytest.mark.parametrize("fmt", list(RDF_FORMATS))
@pytest.mark.parametrize("slug", ["Test_AlphaGo", "Test_DeepMind", "Test_Paper_Atari", "Test_Era"])
def test_documents_parse_to_the_description_triples(app, client, fmt, slug):
    r = client.get(f"/resource/{slug}.{fmt}")
    assert r.status_code == 200
    assert r.mimetype == RDF_FORMATS[fmt][0]
    expected = _nt_graph(description_triples(app.extensions["aikg"], R + slug))
    got = _parse(client, r.data, fmt)
    assert len(got) == len(expected) > 0
    assert isomorphic(got, expected)


def test_jsonld_uses_short_keys_from_the_context(client):
    doc = json.loads(client.get("/resource/Test_AlphaGo.jsonld").data)
    node = next(n for n in doc["@graph"] if n.get("id") == "aikgr:Test_AlphaGo")
    assert node["label"] == "Test AlphaGo"
    assert node["producedBy"] == "aikgr:Test_DeepMind"
    assert node["description"] == "A test Go program."
    assert "Model" in node["type"]


def test_document_headers(client):
    r = client.get("/resource/Test_AlphaGo.ttl")
    assert r.headers["Content-Location"] == "http://localhost/resource/Test_AlphaGo.ttl"
    assert "Accept" in r.headers["Vary"]
    assert r.headers["ETag"].startswith('"') and not r.headers["ETag"].startswith("W/")
    links = parse_header_links(r.headers["Link"])
    alternates = {link["type"]: link["url"] for link in links if link["rel"] == "alternate"}
    assert alternates == {
        "text/html": "http://localhost/resource/Test_AlphaGo.html",
        "application/n-triples": "http://localhost/resource/Test_AlphaGo.nt",
        "application/ld+json": "http://localhost/resource/Test_AlphaGo.jsonld",
        "application/rdf+xml": "http://localhost/resource/Test_AlphaGo.rdf",
    }
    rels = {link["rel"]: link["url"] for link in links}
    assert rels["describedby"] == "http://localhost/.well-known/void"
    assert rels["describes"] == R + "Test_AlphaGo"


def test_if_none_match_gives_304(client):
    first = client.get("/resource/Test_AlphaGo.nt")
    again = client.get("/resource/Test_AlphaGo.nt", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    other = client.get("/resource/Test_AlphaGo.ttl", headers={"If-None-Match": first.headers["ETag"]})
    assert other.status_code == 200  # another representation has another tag


def test_html_page_names_the_canonical_iri_and_links_alternates(client):
    r = client.get("/resource/Test_AlphaGo.html")
    assert r.status_code == 200 and r.mimetype == "text/html"
    html = r.data.decode()
    assert R + "Test_AlphaGo" in html
    assert "Test AlphaGo" in html and "Test DeepMind" in html  # label and an outgoing link
    assert "Test AlphaGo wins" in html  # an incoming link (the milestone about it)
    assert 'type="text/turtle"' in html and "/resource/Test_AlphaGo.ttl" in html


def test_incoming_paging_parameters_are_checked(client):
    assert client.get("/resource/Test_DeepMind.html?incoming_limit=2").status_code == 200
    r = client.get("/resource/Test_DeepMind.html?incoming_limit=lots", headers={"Accept": "application/json"})
    assert r.status_code == 400


# ---------------------------------------------------------------------------------------------- 404s


def test_unknown_iri_html_404_offers_search(client):
    r = client.get("/resource/No_Such_Thing", headers={"Accept": "text/html"})
    assert r.status_code == 404 and r.mimetype == "text/html"
    html = r.data.decode()
    assert 'action="/search"' in html and 'name="q"' in html and 'value="No Such Thing"' in html
    assert client.get("/resource/No_Such_Thing.html").status_code == 404


@pytest.mark.parametrize("url", ["/resource/No_Such_Thing", "/resource/No_Such_Thing.ttl", "/ontology/NoSuchTerm.nt"])
def test_unknown_iri_rdf_404_is_json(client, url):
    r = client.get(url, headers={"Accept": "text/turtle"})
    assert r.status_code == 404
    assert r.get_json()["status"] == 404


def test_unknown_extension_is_404(client):
    assert client.get("/resource/Test_AlphaGo.xyz", headers={"Accept": "text/turtle"}).status_code == 404


def test_odd_paths_never_500(client):
    for url in ["/resource/a%20b", "/resource/%3C%3E", "/resource/x/y/z.ttl", "/resource/.ttl", "/ontology/.ttl"]:
        assert client.get(url).status_code < 500, url


# ---------------------------------------------------------------------------------------------- ontology


def test_ontology_redirects_and_serves_the_owl_file(client):
    r = client.get("/ontology", headers={"Accept": "text/turtle"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/ontology.ttl")
    assert client.get("/ontology/", headers={"Accept": "text/html"}).headers["Location"].endswith("/ontology.html")
    served = rdflib.Graph().parse(data=client.get("/ontology.ttl").data, format="turtle")
    shipped = rdflib.Graph().parse(ROOT / "ontology" / "aikg.ttl", format="turtle")
    assert isomorphic(served, shipped)
    for fmt in ("nt", "rdf", "jsonld"):
        r = client.get(f"/ontology.{fmt}")
        assert r.status_code == 200 and r.mimetype == RDF_FORMATS[fmt][0]
        assert isomorphic(_parse(client, r.data, fmt), shipped)


def test_version_iri_dereferences_to_the_ontology(client):
    shipped = rdflib.Graph().parse(ROOT / "ontology" / "aikg.ttl", format="turtle")
    (version_iri,) = shipped.objects(rdflib.URIRef(ONT), rdflib.OWL.versionIRI)
    r = client.get("/" + str(version_iri).split("/ai-history/", 1)[1], headers={"Accept": "text/turtle"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/ontology.ttl")


def test_ontology_html_documents_every_term_with_usage(client):
    html = client.get("/ontology.html").data.decode()
    shipped = rdflib.Graph().parse(ROOT / "ontology" / "aikg.ttl", format="turtle")
    owl = rdflib.OWL
    terms = {
        str(s)
        for kind in (owl.Class, owl.ObjectProperty, owl.DatatypeProperty)
        for s in shipped.subjects(rdflib.RDF.type, kind)
    }
    assert len(terms) > 50
    for iri in terms:
        assert f'id="{iri[len(ONT) :]}"' in html, iri
    milestone = html[html.index('id="Milestone"') :]
    milestone = milestone[: milestone.index("</section>")]
    assert "2 resources" in milestone  # tiny.ttl has two milestones
    assert "schema:Event" in milestone or "https://schema.org/Event" in milestone  # an alignment
    produced = html[html.index('id="producedBy"') :]
    produced = produced[: produced.index("</section>")]
    assert "wdt:P178" in produced or "P178" in produced  # skos:closeMatch to Wikidata
    assert "4 statements" in produced  # four aikg:producedBy triples in tiny.ttl


def test_ontology_term_page_lists_instances(client):
    r = client.get("/ontology/Milestone.html")
    assert r.status_code == 200
    html = r.data.decode()
    assert "Test DQN plays Atari" in html and "Test AlphaGo wins" in html
    graph = _parse(client, client.get("/ontology/Milestone.ttl").data, "ttl")
    instances = {str(s) for s in graph.subjects(rdflib.RDF.type, rdflib.URIRef(ONT + "Milestone"))}
    assert instances == TINY_MILESTONES


def test_context_document(client):
    r = client.get("/context.jsonld")
    assert r.status_code == 200 and r.mimetype == "application/ld+json"
    ctx = r.get_json()["@context"]
    assert ctx["label"]["@id"] == "rdfs:label"
    assert ctx["producedBy"] == {"@id": "aikg:producedBy", "@type": "@id"}
    assert ctx["aikgr"] == R


# ---------------------------------------------------------------------------------------------- VoID


def test_void_is_computed_from_the_data(app, client):
    r = client.get("/.well-known/void")
    assert r.status_code == 200 and r.mimetype == "text/turtle"
    g = rdflib.Graph().parse(data=r.data, format="turtle")
    (ds,) = set(g.subjects(rdflib.RDF.type, VOID.Dataset)) - set(g.objects(None, VOID.subset))
    store_graph = _store_graph(app)
    assert int(g.value(ds, VOID.triples)) == len(store_graph)
    assert int(g.value(ds, VOID.distinctSubjects)) == len(set(store_graph.subjects()))
    assert int(g.value(ds, VOID.distinctObjects)) == len(set(store_graph.objects()))
    resources = {s for s in store_graph.subjects() if str(s).startswith(R)}
    assert int(g.value(ds, VOID.entities)) == len(resources)
    partitions = {g.value(p, VOID["class"]): int(g.value(p, VOID.entities)) for p in g.objects(ds, VOID.classPartition)}
    assert partitions[rdflib.URIRef(ONT + "Milestone")] == 2
    assert partitions[rdflib.URIRef(ONT + "Organisation")] == 2
    props = {g.value(p, VOID.property): int(g.value(p, VOID.triples)) for p in g.objects(ds, VOID.propertyPartition)}
    assert props[rdflib.URIRef(ONT + "producedBy")] == 4
    assert {str(x) for x in g.objects(ds, VOID.exampleResource)} <= TINY_MILESTONES
    assert g.value(ds, VOID.sparqlEndpoint) == rdflib.URIRef("http://localhost/sparql")
    assert g.value(ds, DCT.license) == rdflib.URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert str(g.value(ds, rdflib.OWL.versionInfo)) == app.extensions["aikg"].info.version
    assert g.value(ds, DCT.modified) is not None
    dumps = {str(d) for d in g.objects(ds, VOID.dataDump)}
    assert dumps == {f"http://localhost/dumps/aikg.{e}" for e in ("ttl", "nt", "jsonld", "rdf", "trig", "nq")}
    vocabularies = {str(v) for v in g.objects(ds, VOID.vocabulary)}
    assert {ONT, "https://schema.org/", "http://purl.org/dc/terms/"} <= vocabularies


def test_void_negotiation(client):
    r = client.get("/void", headers={"Accept": "application/rdf+xml"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/void.rdf")
    assert client.get("/void.nt").mimetype == "application/n-triples"
    html = client.get("/.well-known/void", headers={"Accept": "text/html"})
    assert html.mimetype == "text/html" and "/dumps/aikg.nt" in html.data.decode()


# ---------------------------------------------------------------------------------------------- dumps


@pytest.mark.parametrize("fmt", ["ttl", "nt", "rdf", "jsonld"])
def test_triple_dumps_parse_back_to_the_store(dump_app, dump_client, fmt):
    r = dump_client.get(f"/dumps/aikg.{fmt}")
    assert r.status_code == 200
    assert r.mimetype == RDF_FORMATS[fmt][0]
    assert "attachment" in r.headers["Content-Disposition"] and f"aikg.{fmt}" in r.headers["Content-Disposition"]
    got = rdflib.Graph().parse(data=r.data, format=RDF_FORMATS[fmt][1])
    expected = _store_graph(dump_app)
    assert len(got) == len(expected)
    assert isomorphic(got, expected)


@pytest.mark.parametrize(("fmt", "syntax"), [("trig", "trig"), ("nq", "nquads")])
def test_quad_dumps_keep_the_named_graphs(dump_app, dump_client, fmt, syntax):
    r = dump_client.get(f"/dumps/aikg.{fmt}")
    assert r.status_code == 200
    ds = rdflib.Dataset()
    ds.parse(data=r.data, format=syntax)
    store = dump_app.extensions["aikg"]
    quads = list(store.quads())
    assert sum(1 for _ in ds.quads((None, None, None, None))) == len(quads)
    graphs = {str(q[3]) for q in ds.quads((None, None, None, None))}
    assert graphs == {q.graph_name.value for q in quads}
    assert "https://w3id.org/ai-history/graph/inferred" in graphs and "https://w3id.org/ai-history/graph/tiny" in graphs


def test_dump_etag_304_and_gzip(dump_client):
    plain = dump_client.get("/dumps/aikg.nt")
    etag = plain.headers["ETag"]
    assert not etag.startswith("W/") and "max-age" in plain.headers["Cache-Control"]
    assert dump_client.get("/dumps/aikg.nt", headers={"If-None-Match": etag}).status_code == 304
    encoded = dump_client.get("/dumps/aikg.nt", headers={"Accept-Encoding": "gzip"})
    assert encoded.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in encoded.headers["Vary"]
    assert encoded.headers["ETag"] != etag
    assert gzip.decompress(encoded.data) == plain.data
    named = dump_client.get("/dumps/aikg.nt.gz")
    assert named.mimetype == "application/gzip" and "Content-Encoding" not in named.headers
    assert gzip.decompress(named.data) == plain.data


def test_unknown_dump_is_404(dump_client):
    for url in ("/dumps/aikg.yaml", "/dumps/other.nt", "/dumps/aikg"):
        assert dump_client.get(url, headers={"Accept": "application/json"}).status_code == 404


def test_dumps_index_lists_every_dump(dump_client):
    html = dump_client.get("/dumps/").data.decode()
    for ext in ("ttl", "nt", "jsonld", "rdf", "trig", "nq"):
        assert f"/dumps/aikg.{ext}" in html


# ---------------------------------------------------------------------------------------------- CLI


@pytest.mark.parametrize("fmt", ["nt", "trig"])
def test_export_writes_the_same_dump(dump_client, runner, tmp_path, fmt):
    out = tmp_path / f"graph.{fmt}"
    result = runner.invoke(cli, ["export", "--format", fmt, "-o", str(out), "--data", str(TINY)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == dump_client.get(f"/dumps/aikg.{fmt}").data


def test_export_rejects_a_mismatched_extension(runner, tmp_path):
    result = runner.invoke(cli, ["export", "--format", "nt", "-o", str(tmp_path / "x.ttl"), "--data", str(TINY)])
    assert result.exit_code == 2 and "does not match" in result.output
