"""The store compatibility suite: the app's own queries on the embedded store, a real Oxigraph server and a
real Virtuoso 7, each started by the tests and filled by `aikg publish`; every answer must equal the
embedded store's (blank node labels aside, and row order where the query leaves it open).

What is asked is computed from the source: every named query with its examples, every page (home, search,
timeline and its filters, explorer, paths, every resource page and its Turtle document, every ontology
term, the ontology, VoID, the query page), DESCRIBE and the four query forms over /sparql in each result
format. Publish and republish run against fresh servers of both kinds.
"""

from __future__ import annotations

import json
import re
import time
from functools import cache
from urllib.parse import urlencode

import pytest
import rdflib
import requests
from conftest import TINY
from rdflib.compare import isomorphic

from aikg.graph import catalogue, timeline
from aikg.ingest.files import sources
from aikg.ingest.load import build_memory_store
from aikg.ingest.publish import publish
from aikg.namespaces import GRAPH, ONTOLOGY, RDF, RESOURCE
from aikg.resources import default_data, default_ontology
from aikg.store.record import STAGING_PREFIX
from aikg.store.remote import REFRESH, RemoteStore
from aikg.web.http import local_path

pytestmark = [pytest.mark.remote, pytest.mark.virtuoso]

STORES = ("oxigraph", "virtuoso")
P = """PREFIX aikg: <https://w3id.org/ai-history/ontology/>
PREFIX aikgr: <https://w3id.org/ai-history/resource/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX schema: <https://schema.org/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""


@cache
def _embedded():
    return build_memory_store(sources(default_data(), default_ontology()))


def _iris(prefix: str) -> list[str]:
    text = f'SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{prefix}")) }} ORDER BY ?s'
    return [r[0].value for r in _embedded().query(text).rows]


def _path(iri: str) -> str:
    path = local_path(iri)
    assert path, iri
    return path


# -- what is asked -----------------------------------------------------------------------------------


def _named_queries() -> list[tuple[str, dict]]:
    out = []
    for q in catalogue.shipped():
        examples = {p.name: p.example for p in q.parameters if p.example}
        out.append((f"/api/queries/{q.name}", examples))
        out.append((f"/queries/{q.name}", examples))
        if not any(p.required for p in q.parameters):
            out.append((f"/api/queries/{q.name}", {}))
        for p in q.parameters:  # each optional parameter also at its other values
            if p.kind == "boolean" and not p.required:
                flipped = "false" if (p.default or "false") == "true" else "true"
                out.append((f"/api/queries/{q.name}", {**examples, p.name: flipped}))
    return out


def _pages() -> list[tuple[str, dict]]:
    store = _embedded()
    line = timeline.timeline(store)
    pages: list[tuple[str, dict]] = [("/", {}), ("/timeline", {}), ("/timeline", {"page": "2"}), ("/query", {}),
                                     ("/queries", {}), ("/api/queries", {}), ("/ontology.html", {}),
                                     ("/ontology.ttl", {}), ("/void.ttl", {}), ("/.well-known/void", {}),
                                     ("/dumps/", {})]
    for facet in timeline.FACETS:
        for f in line.offered(facet)[:3]:
            pages.append(("/timeline", {facet: f.iri}))
    for q in ("alpha", "deep", "turing", "go", "neural network", "Hinton", "ImageNet", "zzz-nothing"):
        pages += [("/search", {"q": q}), ("/api/search", {"q": q})]
    people = [e.people[0].iri for e in line.entries if e.people][:3]
    orgs = [f.iri for f in line.offered("org")[:3]]
    for iri in [*orgs, *people, RESOURCE + "AlphaGo", RESOURCE + "Deep_learning"]:
        for hops in ("1", "2"):
            pages.append(("/explore", {"iri": iri, "hops": hops}))
    for a, b in [(orgs[0], people[0]), (RESOURCE + "AlphaGo", RESOURCE + "Lee_Sedol"), (orgs[0], orgs[1])]:
        pages.append(("/paths", {"from": a, "to": b}))
    return pages


@cache
def _resources() -> list[str]:
    """Return the resources whose documents are compared: for each set of types a resource has, in the curated
    graph and in the imported one (ten thousand resources of a few shapes), the two most linked and the least
    linked; and every resource with blank nodes or statement nodes of its own up to a few of each."""
    store = _embedded()
    text = f"""SELECT ?s ?sig ?curated (COUNT(*) AS ?n) WHERE {{
      {{ SELECT ?s (GROUP_CONCAT(STR(?c); separator=" ") AS ?sig) WHERE {{
          {{ SELECT DISTINCT ?s ?c WHERE {{ ?s ?p ?o OPTIONAL {{ ?s a ?c }}
            FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{RESOURCE}")) }} ORDER BY ?s ?c }} }} GROUP BY ?s }}
      BIND(EXISTS {{ GRAPH <{GRAPH}milestones> {{ ?s ?cp ?co }} }} AS ?curated)
      {{ ?s ?p ?o }} UNION {{ ?x ?q ?s }}
    }} GROUP BY ?s ?sig ?curated"""
    shapes: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for s, sig, curated, n in store.query(text).rows:
        shapes.setdefault((sig.value if sig else "", curated.value), []).append((int(n.value), s.value))
    chosen: set[str] = set()
    for members in shapes.values():
        members.sort(key=lambda m: (-m[0], m[1]))
        chosen.update(m[1] for m in members[:2])
        chosen.add(members[-1][1])
    for feature in ("?s ?p ?b FILTER(isBlank(?b))", f"?st <{RDF}subject> ?s", f"?s <{ONTOLOGY}measurement> ?m"):
        rows = store.query(f"SELECT DISTINCT ?s WHERE {{ {feature} FILTER(isIRI(?s)) }} ORDER BY ?s LIMIT 6").rows
        chosen.update(r[0].value for r in rows)
    return sorted(chosen)


@cache
def _terms() -> list[str]:
    """Return the ontology's terms whose documents are compared: the ontology, and of each kind of term (class,
    object, datatype and annotation property) the three with most statements and the one with fewest."""
    text = f"""SELECT ?t ?kind (COUNT(*) AS ?n) WHERE {{ ?t a ?kind ; ?p ?o
      FILTER(STRSTARTS(STR(?t), "{ONTOLOGY}") && STRSTARTS(STR(?kind), "http://www.w3.org/2002/07/owl#")) }}
      GROUP BY ?t ?kind"""
    kinds: dict[str, list[tuple[int, str]]] = {}
    for t, kind, n in _embedded().query(text).rows:
        kinds.setdefault(kind.value, []).append((int(n.value), t.value))
    chosen = {ONTOLOGY}
    for members in kinds.values():
        members.sort(key=lambda m: (-m[0], m[1]))
        chosen.update(m[1] for m in members[:3])
        chosen.add(members[-1][1])
    return sorted(chosen)


def _iris_in_graph(graph: str) -> list[str]:
    text = (f'SELECT DISTINCT ?s WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} '
            f'FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{RESOURCE}")) }}')
    return [r[0].value for r in _embedded().query(text).rows]


def _documents() -> list[tuple[str, dict]]:
    out = []
    for iri in _resources() + _terms():
        path = _path(iri)
        out += [(f"{path}.html", {}), (f"{path}.ttl", {})]
    return out


SELECT = P + "SELECT ?m ?label ?date WHERE { ?m a aikg:Milestone ; rdfs:label ?label OPTIONAL { ?m aikg:date ?date } }"
SPARQL = [
    (SELECT, "application/sparql-results+json"),
    (SELECT, "application/sparql-results+xml"),
    (SELECT, "text/csv"),
    (SELECT, "text/tab-separated-values"),
    (P + "SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(isBlank(?s) || isBlank(?o)) }", "application/sparql-results+json"),
    (P + "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", "application/sparql-results+json"),
    # Typed values come back as they went in (the datatype is part of each value's binding). Graph by graph, so
    # that each answer stays under the row cap: a capped answer with no ORDER BY is any 10,000 of the rows,
    # another set on each engine. (A double computed in the projection, as in (DATATYPE(?v) AS ?t) beside it,
    # comes back from Virtuoso with six digits: the README's known difference.)
    *[(P + "SELECT ?v WHERE { VALUES ?g { " + graphs + " } GRAPH ?g { ?s ?p ?v "
           "FILTER(isLiteral(?v) && DATATYPE(?v) != xsd:string "
           "&& DATATYPE(?v) != <http://www.w3.org/1999/02/22-rdf-syntax-ns#langString>) } }",
       "application/sparql-results+json")
      for graphs in ("<https://w3id.org/ai-history/graph/milestones> <https://w3id.org/ai-history/graph/ontology> "
                     "<https://w3id.org/ai-history/graph/inferred>",
                     "<https://w3id.org/ai-history/graph/notable-ai-models>")],
    (P + "SELECT ?c (COUNT(?m) AS ?n) WHERE { ?m a ?c } GROUP BY ?c ORDER BY DESC(?n) ?c LIMIT 20",
     "application/sparql-results+json"),
    (P + "ASK { aikgr:AlphaGo schema:producer aikgr:DeepMind }", "application/sparql-results+json"),
    (P + "ASK { aikgr:AlphaGo schema:producer aikgr:OpenAI }", "application/sparql-results+xml"),
    (P + "CONSTRUCT { ?m rdfs:label ?l ; schema:producer ?o } WHERE { ?m schema:producer ?o ; rdfs:label ?l }",
     "text/turtle"),
    (P + "CONSTRUCT WHERE { ?s aikg:authorList ?l }", "application/n-triples"),
    (P + "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(isBlank(?s)) }", "application/ld+json"),
    (P + "CONSTRUCT { ?s ?p ?o } WHERE { ?s a aikg:Organisation ; ?p ?o }", "application/rdf+xml"),
    (P + "DESCRIBE aikgr:AlphaGo", "text/turtle"),
    (P + "DESCRIBE ?m WHERE { ?m schema:producer aikgr:DeepMind }", "application/n-triples"),
    ("SELECT ?x WHERE { ?x ?y }", "application/json"),
]


def _sparql() -> list[tuple[str, dict, str]]:
    return [("/sparql", {"query": q}, accept) for q, accept in SPARQL]


CASES = [(path, params, None) for path, params in _named_queries() + _pages() + _documents()] + _sparql()


def _id(case) -> str:
    path, params, accept = case
    text = path + ("?" + urlencode(params)[:60] if params and path != "/sparql" else "")
    if path == "/sparql":
        text += f"-{SPARQL.index((params['query'], accept))}-{accept}"
    return text


# -- how answers are compared ----------------------------------------------------------------------

_BLANK = re.compile(r"_:[A-Za-z0-9_.-]+|nodeID=\"[^\"]*\"|<bnode>[^<]*</bnode>|b[0-9a-f]{32}|\bnodeID://\w+")


_LONG_NUMBER = re.compile(r"(?<![\w.])-?\d+\.\d+(?:[eE][+-]?\d+)?(?![\w.])")
_CELL = re.compile(r"(<td[^>]*>)(.*?)(</td>)", re.S)


def _normalised_text(body: bytes) -> str:
    """The text with blank node labels replaced, and the parts of a table cell that lists values with "; " or
    spaces between URLs (a GROUP_CONCAT, whose order SPARQL leaves open) sorted."""
    text = _BLANK.sub("_:b", body.decode("utf-8"))
    text = _LONG_NUMBER.sub(lambda m: _float_text(m[0]) if sum(c.isdigit() for c in m[0]) > 12 else m[0], text)

    def cell(m: re.Match) -> str:
        parts = sorted(m[2].split("; "))
        words = m[2].split()
        if len(words) > 1 and all(w.startswith("http") for w in words):  # the sources of a row, space-separated
            parts = sorted(words)
        return m[1] + "; ".join(parts) + m[3]

    return _CELL.sub(cell, text)


def _graph(response, client) -> rdflib.Graph:
    media = response.mimetype
    data = response.get_data()
    if media == "application/ld+json":
        doc = json.loads(data)
        if isinstance(doc, dict) and isinstance(doc.get("@context"), str):
            doc["@context"] = json.loads(client.get("/context.jsonld").get_data())["@context"]
        return rdflib.Graph().parse(data=json.dumps(doc), format="json-ld")
    fmt = {"text/turtle": "turtle", "application/n-triples": "nt", "application/rdf+xml": "xml"}[media]
    return rdflib.Graph().parse(data=data, format=fmt)


def _results(data: bytes):
    doc = json.loads(data)
    if "boolean" in doc:
        return doc["boolean"]
    names = doc["head"]["vars"]

    def cell(b):
        if b is None:
            return None
        if b.get("type") == "bnode":
            return ("bnode",)
        if b.get("datatype") in _FLOATS:
            b = {**b, "value": _float_text(b["value"])}
        return tuple(sorted(b.items()))

    rows = [tuple(cell(row.get(n)) for n in names) for row in doc["results"]["bindings"]]
    return names, sorted(rows, key=repr)


@cache
def _concatenated() -> dict[str, str]:
    """Return the columns of the named queries that GROUP_CONCAT fills, with their separators (read from the .rq
    files): SPARQL leaves the order of the concatenated values open, so they are compared as sets."""
    found = {}
    for q in catalogue.shipped():
        pattern = (r'GROUP_CONCAT\((?:[^;()]|\([^()]*\))*;\s*separator\s*=\s*"([^"]*)"\s*\)\s*(?:,\s*"[^"]*"\s*\))?'
                   r'\s*AS\s*\?(\w+)')
        for m in re.finditer(pattern, q.text):
            found[m.group(2)] = m.group(1)
    return found


def _json(value, key: str | None = None):
    """A JSON document with blank node labels replaced and lists of rows sorted (their order is compared apart)."""
    if isinstance(value, dict):
        return {k: _json(v, k) for k, v in value.items()}
    if isinstance(value, str) and key in _concatenated() and _concatenated()[key]:
        return sorted(_BLANK.sub("_:b", value).split(_concatenated()[key]))
    if isinstance(value, list):
        items = [_json(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, str):
        return _BLANK.sub("_:b", value)
    if isinstance(value, float):
        return float(_float_text(repr(value)))
    return value


_FLOATS = {"http://www.w3.org/2001/XMLSchema#double", "http://www.w3.org/2001/XMLSchema#float"}


def _float_text(text: str) -> str:
    """A double to 12 significant digits: a SUM or AVG of doubles depends on the order the engine adds them in,
    which SPARQL leaves open (the engines differ in the last bits)."""
    try:
        return f"{float(text):.12g}"
    except ValueError:
        return text


def assert_same(mine, theirs, mine_client, theirs_client):
    assert mine.status_code == theirs.status_code, mine.get_data()[:500]
    assert mine.mimetype == theirs.mimetype
    assert mine.headers.get("ETag") == theirs.headers.get("ETag")
    assert mine.headers.get("Location") == theirs.headers.get("Location")
    media = mine.mimetype
    if media in ("text/turtle", "application/n-triples", "application/rdf+xml", "application/ld+json"):
        a, b = _graph(mine, mine_client), _graph(theirs, theirs_client)
        assert len(a) == len(b)
        assert isomorphic(a, b)
    elif media == "application/sparql-results+json":
        assert _results(mine.get_data()) == _results(theirs.get_data())
    elif media == "application/json":
        assert _json(json.loads(mine.get_data())) == _json(json.loads(theirs.get_data()))
    elif media in ("text/csv", "text/tab-separated-values", "application/sparql-results+xml"):
        a, b = _normalised_text(mine.get_data()), _normalised_text(theirs.get_data())
        if media == "application/sparql-results+xml":
            assert sorted(re.findall(r"<result>.*?</result>", a, re.S)) == sorted(re.findall(r"<result>.*?</result>",
                                                                                                b, re.S))
        else:
            assert a.splitlines()[0] == b.splitlines()[0] and sorted(a.splitlines()) == sorted(b.splitlines())
    else:
        assert _normalised_text(mine.get_data()) == _normalised_text(theirs.get_data())


@pytest.fixture(scope="module")
def store_clients(oxigraph, virtuoso):
    """A client of the app over each remote store: the Oxigraph server and Virtuoso (with the embedded app's
    time limit: the comparison is of answers, not of speed)."""
    from aikg.web.app import create_app

    return {name: create_app({"ENDPOINT": server.query_url, "TESTING": True, "QUERY_TIMEOUT": 60.0}).test_client()
            for name, server in (("oxigraph", oxigraph), ("virtuoso", virtuoso))}


#: The named queries (and pages) Virtuoso 7.2.5 does not yet answer as the embedded store does, with why. Each is
#: still asked: its case fails as soon as Virtuoso's answer matches, so that it leaves this list.
VIRTUOSO_TODO: dict[str, str] = {}


#: Not asked of Virtuoso: it runs these past every limit (its own MaxQueryExecutionTime included) and goes on
#: running them after aikg gave up, so the store stops answering for minutes and every case after would fail.
VIRTUOSO_NOT_ASKED: dict[str, str] = {}


def _not_asked(path: str) -> str | None:
    return VIRTUOSO_NOT_ASKED.get(path.rsplit("/", 1)[-1]) if path.startswith(("/api/queries/", "/queries/")) else None


#: The cases of a query on VIRTUOSO_TODO that Virtuoso does answer as the embedded store (by their parameters).
VIRTUOSO_MATCHES: dict[str, list[dict[str, str]]] = {}


def _known(path: str, params: dict | None = None) -> str | None:
    if path in VIRTUOSO_TODO:
        return VIRTUOSO_TODO[path]
    if path.startswith(("/api/queries/", "/queries/")):
        name = path.rsplit("/", 1)[-1]
        if params and dict(params) in VIRTUOSO_MATCHES.get(name, []):
            return None
        return VIRTUOSO_TODO.get(name)
    return None


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_same_answer_as_embedded(store_clients, full_client, case):
    """The embedded store's answer is asked once; each remote store must give the same."""
    path, params, accept = case
    headers = {"Accept": accept} if accept else {}
    theirs = full_client.get(path, query_string=params, headers=headers)
    failed = {}
    for name, client in store_clients.items():
        if name == "virtuoso" and _not_asked(path):
            continue
        mine = client.get(path, query_string=params, headers=headers)
        todo = _known(path, params) if name == "virtuoso" else None
        try:
            assert_same(mine, theirs, client, full_client)
        except AssertionError as e:
            if todo is None:
                failed[name] = f"{e}"[:1500]
        else:
            if todo is not None:
                failed[name] = f"now answers as the embedded store: take {path} off VIRTUOSO_TODO ({todo})"
    assert not failed, failed


def test_the_suite_asks_enough():
    """The cases cover every named query, every resource and ontology term, and every page family."""
    paths = {c[0] for c in CASES}
    assert {f"/api/queries/{q.name}" for q in catalogue.shipped()} <= paths
    documents = {p.removesuffix(".ttl") for p in paths if p.endswith(".ttl")}
    # Every set of types a resource has, in the curated data and in the imported data; every kind of term.
    curated = set(_iris_in_graph(f"{GRAPH}milestones"))
    signatures: dict[str, set[str]] = {}
    for s, c in _embedded().query("SELECT ?s ?c WHERE { ?s a ?c }").rows:
        if s.value.startswith(RESOURCE):
            signatures.setdefault(s.value, set()).add(c.value)
    shapes = {(frozenset(v), k in curated) for k, v in signatures.items()}
    assert shapes <= {(frozenset(signatures.get(i, ())), i in curated) for i in _resources()}
    assert {_path(i) for i in _resources() + _terms()} <= documents
    kinds = {k.value for (k,) in _embedded().query(
        f'SELECT DISTINCT ?k WHERE {{ ?t a ?k FILTER(STRSTARTS(STR(?t), "{ONTOLOGY}")) }}').rows}
    assert kinds <= {k.value for t in _terms() for (k,) in _embedded().query(f"SELECT ?k WHERE {{ <{t}> a ?k }}").rows}
    for family in ("/", "/timeline", "/search", "/explore", "/paths", "/query", "/ontology.html", "/sparql"):
        assert family in paths


# -- publish and republish -----------------------------------------------------------------------


def _all_graphs(url: str) -> set[str]:
    r = requests.post(url, data={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"},
                      headers={"Accept": "application/sparql-results+json"}, timeout=30)
    r.raise_for_status()
    return {b["g"]["value"] for b in r.json()["results"]["bindings"] if "g" in b}


@pytest.fixture(params=STORES)
def fresh(request, tmp_path):
    """A new, empty server of each kind."""
    if request.param == "oxigraph":
        from oxigraph_server import OxigraphServer

        server = OxigraphServer(tmp_path / "oxigraph").start()
    else:
        from conftest import _virtuoso_or_fail
        from virtuoso_server import VirtuosoServer

        _virtuoso_or_fail()
        server = VirtuosoServer(tmp_path / "virtuoso").start()
    yield server
    server.stop()


PER_GRAPH = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


@pytest.mark.parametrize("sparql_update_only", [False, True], ids=["graph-store", "update"])
def test_publish_and_republish(fresh, sparql_update_only, tmp_path):
    """A version replaced by a larger one (one more file, with blank nodes), then by the first again.

    The shipped data itself is published to both servers by the session's fixtures, which every answer above
    is compared with: here the smaller graphs keep each round short."""
    tiny = sources([TINY], default_ontology())
    extra = tmp_path / "extra.ttl"
    extra.write_text(
        "@prefix aikg: <https://w3id.org/ai-history/ontology/> .\n"
        "@prefix aikgr: <https://w3id.org/ai-history/resource/> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        + "".join(f'aikgr:Extra{i} rdfs:label "extra {i}" ; aikg:measurement [ a aikg:Measurement ; '
                  f'aikg:value {i}.5 ; aikg:date "2016-03-{i % 28 + 1:02d}"^^xsd:date ] .\n'
                  for i in range(150)),
        encoding="utf-8")
    full = sources([TINY, extra], default_ontology())
    first = publish(tiny, fresh.query_url, use_graph_store=not sparql_update_only)
    assert first.method == ("update" if sparql_update_only else "graph-store")
    reader = RemoteStore(fresh.query_url, timeout=30)
    expected = build_memory_store(tiny)
    assert reader.info == expected.info
    assert sorted(reader.query(PER_GRAPH).rows) == sorted(expected.query(PER_GRAPH).rows)
    second = publish(full, fresh.query_url, use_graph_store=not sparql_update_only, batch_bytes=16 * 1024)
    assert second.previous == first.version
    expected = build_memory_store(full)
    # A reader reads the record at most every REFRESH seconds: it sees the new version within that time (a
    # publish of this size can finish sooner).
    deadline = time.monotonic() + REFRESH + 5.0
    while reader.info.version != second.version and time.monotonic() < deadline:
        time.sleep(0.05)
    assert reader.info.version == second.version
    assert sorted(reader.query(PER_GRAPH).rows) == sorted(expected.query(PER_GRAPH).rows)
    # Every triple, values and blank nodes included, as the embedded store holds it.
    for name in expected.graph_names():
        text = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} }}"
        mine = rdflib.Graph().parse(data=_nt(reader.query(text)), format="nt")
        theirs = rdflib.Graph().parse(data=_nt(expected.query(text)), format="nt")
        assert len(mine) == len(theirs) and isomorphic(mine, theirs), name
    assert not any(g.startswith(STAGING_PREFIX) for g in _all_graphs(fresh.query_url))
    # Republishing the smaller version removes what the larger one added.
    publish(tiny, fresh.query_url, use_graph_store=not sparql_update_only)
    assert sorted(reader.query(PER_GRAPH).rows) == sorted(build_memory_store(tiny).query(PER_GRAPH).rows)


def _nt(result) -> str:
    return "".join(f"{t} .\n" for t in result.triples)


def test_typed_values_come_back_as_they_went_in(fresh, tmp_path):
    """Virtuoso reads "41"^^xsd:decimal as an integer and writes doubles its own way: not through aikg."""
    data = tmp_path / "values.ttl"
    values = ['"41"^^xsd:decimal', "41.0", "3.50", "-0.5", '"1E3"^^xsd:double', '"1.5e-7"^^xsd:double',
              '"2.5"^^xsd:float', "true", "false", '"2016-03-09T10:00:00.500+01:00"^^xsd:dateTime',
              '"2016"^^xsd:gYear', '"2016-03"^^xsd:gYearMonth', '"2016-03-09"^^xsd:date', "7", '"5"^^xsd:int',
              '"x"@en-GB', '"tab\\tquote\\"é😀"']
    lines = "".join(f"aikgr:V{i} aikg:value {v} .\n" for i, v in enumerate(values))
    data.write_text("@prefix aikg: <https://w3id.org/ai-history/ontology/> .\n"
                    "@prefix aikgr: <https://w3id.org/ai-history/resource/> .\n"
                    f"@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n{lines}", encoding="utf-8")
    srcs = sources([data], [])
    expected = build_memory_store(srcs)
    text = "SELECT ?s ?v WHERE { ?s <https://w3id.org/ai-history/ontology/value> ?v }"
    for update_only in (False, True):
        publish(srcs, fresh.query_url, use_graph_store=not update_only)
        mine = RemoteStore(fresh.query_url).query(text)
        assert sorted(map(str, mine.rows)) == sorted(map(str, expected.query(text).rows))


def test_blank_nodes_shared_by_graphs_stay_one_node(fresh, tmp_path):
    """A blank node typed in the data and given inferred types in another graph is one node after publish."""
    data = tmp_path / "blanks.ttl"
    data.write_text(
        "@prefix aikg: <https://w3id.org/ai-history/ontology/> .\n"
        "@prefix aikgr: <https://w3id.org/ai-history/resource/> .\n"
        "aikgr:X aikg:measurement [ a aikg:Measurement ; aikg:value 3.57 ] ,\n"
        "    [ a aikg:Measurement ; aikg:value 4.9 ] .\n"
        "aikgr:Y aikg:authorList ( aikgr:A aikgr:B aikgr:C ) .\n",
        encoding="utf-8",
    )
    srcs = sources([data], default_ontology())
    expected = build_memory_store(srcs)
    text = ("SELECT ?v ?t WHERE { <https://w3id.org/ai-history/resource/X> "
            "<https://w3id.org/ai-history/ontology/measurement> ?m . GRAPH ?g { ?m ?p ?v } GRAPH ?h { ?m a ?t } }")
    lists = ("SELECT ?x WHERE { <https://w3id.org/ai-history/resource/Y> "
             "<https://w3id.org/ai-history/ontology/authorList>/<http://www.w3.org/1999/02/22-rdf-syntax-ns#rest>*/"
             "<http://www.w3.org/1999/02/22-rdf-syntax-ns#first> ?x }")
    for update_only in (False, True):
        publish(srcs, fresh.query_url, use_graph_store=not update_only, batch_bytes=1024)
        store = RemoteStore(fresh.query_url)
        assert sorted(map(str, store.query(text).rows)) == sorted(map(str, expected.query(text).rows))
        assert sorted(map(str, store.query(lists).rows)) == sorted(map(str, expected.query(lists).rows))
