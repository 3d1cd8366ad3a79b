"""The query page: prefixes declared for the reader (folded out of the editor, added when the query runs),
the answer above the examples, and how long it took."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from aikg.namespaces import PREFIXES
from aikg.sparql.query import declared_prefixes, fold_prologue, with_prefixes

HTML = {"Accept": "text/html"}


def test_with_prefixes_adds_only_the_used_and_undeclared():
    text = "SELECT ?s WHERE { ?s a aikg:Milestone ; rdfs:label ?l }"
    full = with_prefixes(text, PREFIXES)
    assert declared_prefixes(full) == {"aikg": PREFIXES["aikg"], "rdfs": PREFIXES["rdfs"]}
    assert full.endswith(text)


def test_with_prefixes_reads_tokens_not_text():
    # A prefixed name inside a string, an IRI or a comment is not a use; a declaration of our own wins.
    text = ('PREFIX aikg: <http://example.org/mine/>\nSELECT ?s WHERE { ?s ?p "skos:thing" . '
            "?s <http://x/owl:y> aikg:z } # foaf:knows")
    full = with_prefixes(text, PREFIXES)
    assert full == text


def test_fold_prologue_drops_only_the_shared_declarations():
    shared = "".join(f"PREFIX {p}: <{i}>\n" for p, i in PREFIXES.items())
    assert fold_prologue(shared + "\nSELECT * WHERE { ?s ?p ?o }", PREFIXES) == "SELECT * WHERE { ?s ?p ?o }"
    mine = "PREFIX aikg: <http://example.org/mine/>\nSELECT * WHERE { ?s ?p ?o }"
    assert fold_prologue(mine, PREFIXES) == mine  # another namespace under our name stays in sight
    custom = "PREFIX ex: <http://example.org/>\n" + shared + "ASK {}"
    assert fold_prologue(custom, PREFIXES) == custom  # from the first line not ours, the text is kept


def test_a_query_without_prefix_lines_runs_and_says_how_long(client):
    r = client.get("/query", query_string={"query": "SELECT ?m ?l WHERE { ?m a aikg:Milestone ; rdfs:label ?l }"},
                   headers=HTML)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "2 rows" in html and " ms</span>" in html
    assert html.index('id="results-h"') < html.index('id="examples-h"')
    link = next(h for h in html.split('href="')[1:] if h.startswith("/sparql?")).split('"')[0]
    ran = parse_qs(urlparse(link.replace("&amp;", "&")).query)["query"][0]
    assert declared_prefixes(ran) == {"aikg": PREFIXES["aikg"], "rdfs": PREFIXES["rdfs"]}


def test_an_error_names_its_place_in_the_query_that_ran(client):
    r = client.get("/query", query_string={"query": "SELECT ?x WHERE { ?x aikg:y }"}, headers=HTML)
    assert r.status_code == 400 and "as it ran (with its prefixes)" in r.get_data(as_text=True)
