"""No Host header can poison a shared cache: absolute URLs come from BASE_URL, or from Host only on answers
that say Vary: Host; headers and pages link relatively when BASE_URL is unset. Over real HTTP."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import rdflib
import requests
from conftest import TINY, LiveServer
from requests.utils import parse_header_links

from aikg.config import load_config
from aikg.errors import InvalidSetting
from aikg.web.app import create_app

SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
RELATIVE = quote("SELECT ?x WHERE { BIND(<thing> AS ?x) }")
# Headers that say when and by whom, not what: they may differ between any two requests.
PER_REQUEST = {"date", "server", "connection", "keep-alive"}


def urls(resource: str, org: str, term: str = "Milestone") -> list[tuple[str, dict[str, str]]]:
    """Every kind of answer the site gives, with the Accept header that asks for it."""
    html = {"Accept": "text/html"}
    out: list[tuple[str, dict[str, str]]] = [
        ("/", html), ("/search?q=alpha", html), ("/timeline", html), (f"/explore?iri={org}", html),
        (f"/paths?from={org}&to={resource}", html), ("/query", html), ("/query?query=ASK%7B%7D", html),
        ("/queries", html), (f"/queries/produced-by?org={org}", html),
        ("/api/queries", {}), (f"/api/queries/produced-by?org={org}", {}), ("/api/openapi.json", {}),
        ("/api/search?q=alpha", {}),
        (f"/resource/{resource}", html), (f"/resource/{resource}", {"Accept": "text/turtle"}),
        ("/ontology", html), (f"/ontology/{term}", {"Accept": "application/ld+json"}),
        ("/context.jsonld", {}), ("/.well-known/void", {}), ("/void", {}), ("/dumps/", html), ("/dumps", html),
        ("/dumps/aikg.nt", {}), ("/sparql", {"Accept": "text/turtle"}), ("/sparql", html),
        ("/sparql", {"Accept": "application/ld+json"}), ("/sparql?query=ASK%7B%7D", {}),
        (f"/sparql?query={RELATIVE}", {}), ("/resource/No_such_thing.html", html), ("/no/such/page", html),
        ("/static/aikg.css", {}),
    ]
    for ext in ("html", "ttl", "nt", "jsonld", "rdf"):
        out += [(f"/resource/{resource}.{ext}", {}), (f"/ontology.{ext}", {}), (f"/ontology/{term}.{ext}", {}),
                (f"/void.{ext}", {})]
    return out


def publicly_cacheable(r: requests.Response) -> bool:
    """Tell whether a shared cache may store the answer (RFC 9111, section 3)."""
    directives = {d.strip().split("=")[0].lower() for d in r.headers.get("Cache-Control", "").split(",")}
    return not directives & {"no-store", "private"}


def varies_by_host(r: requests.Response) -> bool:
    return "host" in {v.strip().lower() for v in r.headers.get("Vary", "").split(",")}


def fetch(base: str, path: str, headers: dict[str, str], host: str) -> requests.Response:
    return requests.get(base + path, headers={**headers, "Host": host}, allow_redirects=False, timeout=30)


def comparable(r: requests.Response) -> tuple[int, bytes, dict[str, str]]:
    return r.status_code, r.content, {k.lower(): v for k, v in r.headers.items() if k.lower() not in PER_REQUEST}


def check_no_poisoning(base: str, cases: list[tuple[str, dict[str, str]]]) -> list[str]:
    """Ask for every answer under two Host headers; return the paths whose answers differ."""
    differing = []
    for path, headers in cases:
        a = fetch(base, path, headers, "kg-one.example")
        b = fetch(base, path, headers, "kg-two.example:8080")
        assert a.status_code < 500, (path, a.status_code, a.text[:300])
        if not publicly_cacheable(a) and not publicly_cacheable(b):
            # No shared cache keeps it (a page that shows how long its query took is another on every run):
            # nothing to poison, whatever it holds.
            continue
        if comparable(a) != comparable(b):
            differing.append(path)
            for r in (a, b):
                assert not publicly_cacheable(r) or varies_by_host(r), (path, dict(r.headers))
        else:
            assert not varies_by_host(a), (path, "says Vary: Host but does not depend on it")
    return differing


def test_no_host_header_reaches_a_cacheable_answer_without_vary_host(live_server):
    differing = check_no_poisoning(live_server.url, urls("AlphaGo", "DeepMind"))
    # The answers that must hold absolute URLs do depend on Host here (no BASE_URL): the test saw them.
    assert {"/void.ttl", "/sparql", "/resource/AlphaGo.jsonld", f"/sparql?query={RELATIVE}"} <= set(differing)
    # and nothing else does.
    assert set(differing) <= {"/.well-known/void", "/void.ttl", "/void.nt", "/void.jsonld", "/void.rdf", "/sparql",
                              "/resource/AlphaGo.jsonld", "/ontology.jsonld", "/ontology/Milestone.jsonld",
                              "/ontology/Milestone", f"/sparql?query={RELATIVE}"}, differing


def test_without_base_url_headers_and_pages_link_relatively(live_server):
    r = requests.get(f"{live_server.url}/resource/AlphaGo.ttl", timeout=30)
    assert r.headers["Content-Location"] == "/resource/AlphaGo.ttl"
    assert all(link["url"].startswith("/") or link["rel"] == "describes"
               for link in parse_header_links(r.headers["Link"]))
    page = requests.get(f"{live_server.url}/dumps/", timeout=30).text
    assert "127.0.0.1" not in page and 'href="/dumps/aikg.nt"' in page


def test_a_forged_host_header_gets_a_400_where_an_absolute_url_is_needed(live_server):
    for host in ('evil.example"><script>', "evil.example/path", "a b"):
        void = fetch(live_server.url, "/void.ttl", {}, host)
        assert void.status_code == 400, (host, void.status_code)
        assert "Host" in void.json()["message"]
        home = fetch(live_server.url, "/", {"Accept": "text/html"}, host)
        assert home.status_code == 200 and "evil" not in home.text


BASE_URL = "https://kg.example.org/aikg"


@pytest.fixture(scope="module")
def based():
    app = create_app({"DATA": [str(TINY)], "TESTING": True, "BASE_URL": BASE_URL + "/"})
    server = LiveServer(app).start()
    yield server
    server.stop()


def test_with_base_url_no_answer_depends_on_host(based):
    assert check_no_poisoning(based.url, urls("Test_AlphaGo", "Test_DeepMind")) == []


def test_with_base_url_every_absolute_url_is_built_from_it(based):
    r = requests.get(f"{based.url}/resource/Test_AlphaGo.ttl", timeout=30)
    assert r.headers["Content-Location"] == f"{BASE_URL}/resource/Test_AlphaGo.ttl"
    rels = {link["rel"]: link["url"] for link in parse_header_links(r.headers["Link"])}
    assert rels["describedby"] == f"{BASE_URL}/.well-known/void"
    doc = requests.get(f"{based.url}/resource/Test_AlphaGo.jsonld", timeout=30).json()
    assert doc["@context"] == f"{BASE_URL}/context.jsonld"
    void = rdflib.Graph().parse(data=requests.get(f"{based.url}/void.ttl", timeout=30).content, format="turtle")
    assert set(void.objects(None, VOID.sparqlEndpoint)) == {rdflib.URIRef(f"{BASE_URL}/sparql")}
    assert {str(d) for d in void.objects(None, VOID.dataDump)} >= {f"{BASE_URL}/dumps/aikg.nt"}
    sd = rdflib.Graph().parse(data=requests.get(f"{based.url}/sparql", headers={"Accept": "text/turtle"},
                                                timeout=30).content, format="turtle")
    assert set(sd.objects(None, SD.endpoint)) == {rdflib.URIRef(f"{BASE_URL}/sparql")}
    answer = requests.get(f"{based.url}/sparql?query={RELATIVE}", timeout=30).json()
    assert answer["results"]["bindings"][0]["x"]["value"] == f"{BASE_URL}/thing"
    page = requests.get(f"{based.url}/dumps/", timeout=30).text
    assert f'href="{BASE_URL}/dumps/aikg.nt"' in page and "127.0.0.1" not in page


@pytest.mark.parametrize("bad", ["kg.example.org", "ftp://kg.example.org", "https://kg.example.org/?a=1",
                                 "https://kg.example.org/#top", "https:///path"])
def test_a_base_url_that_is_not_an_address_stops_the_app(bad):
    with pytest.raises(InvalidSetting, match="BASE_URL"):
        create_app({"DATA": [str(TINY)], "TESTING": True, "BASE_URL": bad})


def test_the_base_url_comes_from_the_environment_too():
    settings = load_config(environ={"AIKG_BASE_URL": "https://kg.example.org/aikg/"})
    assert settings.base_url == "https://kg.example.org/aikg"
    assert load_config(environ={"AIKG_BASE_URL": ""}).base_url is None
