"""Answers that change from run to run (NOW(), RAND(), UUID(), STRUUID(), BNODE(), blank nodes made by a
CONSTRUCT template) are never cached: no ETag, no 304, Cache-Control: no-store; the rest stay cacheable."""

from __future__ import annotations

import pytest
import requests

from aikg.sparql.query import VOLATILE_FUNCTIONS, analyse, volatile

VOLATILE = [
    "SELECT (NOW() AS ?t) {}",
    "SELECT (now() AS ?t) {}",
    "SELECT (RAND() AS ?r) {}",
    "SELECT (UUID() AS ?u) {}",
    "SELECT (STRUUID() AS ?u) {}",
    "SELECT (BNODE() AS ?b) {}",
    'SELECT (BNODE("x") AS ?b) {}',
    "SELECT ?s WHERE { ?s ?p ?o FILTER(RAND () < 0.5) } LIMIT 3",
    "SELECT (Rand # a comment between the name and its arguments\n() AS ?r) {}",
    "SELECT (N\\u004FW() AS ?t) {}",  # the codepoint escapes apply before the grammar (SPARQL 1.1, 19.2)
    "CONSTRUCT { [] <http://example.org/p> ?o } WHERE { ?s ?p ?o } LIMIT 2",
    "CONSTRUCT { _:b <http://example.org/p> ?o } WHERE { ?s ?p ?o } LIMIT 2",
    "CONSTRUCT { ?s <http://example.org/p> (1 2) } WHERE { ?s ?p ?o } LIMIT 2",
]

STABLE = [
    'SELECT ?now WHERE { BIND("NOW() RAND() UUID()" AS ?now) }',
    "SELECT ?rand WHERE { BIND(<http://example.org/RAND()> AS ?rand) }",
    "# SELECT (NOW() AS ?t) {}\nASK {}",
    "PREFIX now: <http://example.org/>\nSELECT ?uuid WHERE { BIND(now:BNODE AS ?uuid) }",
    "SELECT ?s WHERE { ?s ?p ?o } LIMIT 3",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(?o = ?o) } LIMIT 3",
    "CONSTRUCT { ?s ?p ?o } WHERE { [] ?p ?o . BIND(?p AS ?s) } LIMIT 3",  # a blank node in WHERE, not the template
]


def test_every_volatile_function_is_listed():
    assert {"NOW", "RAND", "UUID", "STRUUID", "BNODE"} <= VOLATILE_FUNCTIONS
    for name in VOLATILE_FUNCTIONS:
        assert volatile(f"SELECT ({name}() AS ?x) {{}}"), name


@pytest.mark.parametrize("text", VOLATILE)
def test_volatile_queries_are_recognised(text):
    assert volatile(text)


@pytest.mark.parametrize("text", STABLE)
def test_the_words_in_strings_iris_comments_and_names_are_not_calls(text):
    assert not volatile(text)
    assert not analyse(text).volatile


def test_the_engine_really_answers_differently_each_run(live_server):
    # The reason for the rule, measured: two runs of the same query, two bodies.
    for text in ("SELECT (RAND() AS ?r) {}", "SELECT (STRUUID() AS ?u) {}", VOLATILE[10]):
        bodies = {requests.get(f"{live_server.url}/sparql", params={"query": text}, timeout=10).content
                  for _ in range(2)}
        assert len(bodies) == 2, text


@pytest.mark.parametrize("text", [t for t in VOLATILE if "\\u" not in t])
def test_volatile_answers_are_not_cacheable(live_server, text):
    url = f"{live_server.url}/sparql"
    r = requests.get(url, params={"query": text}, timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["Cache-Control"] == "no-store"
    assert "ETag" not in r.headers
    # If-None-Match: * matches any current representation; a volatile answer has none to revalidate.
    again = requests.get(url, params={"query": text}, headers={"If-None-Match": "*"}, timeout=10)
    assert again.status_code == 200 and again.content
    assert "ETag" not in again.headers
    posted = requests.post(url, data={"query": text}, timeout=10)
    assert posted.headers["Cache-Control"] == "no-store" and "ETag" not in posted.headers


def test_the_query_page_of_a_volatile_query_is_not_cacheable(live_server):
    r = requests.get(f"{live_server.url}/query", params={"query": "SELECT (NOW() AS ?t) {}"}, timeout=10)
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "no-store"
    assert "ETag" not in r.headers


@pytest.mark.parametrize("text", STABLE)
def test_stable_answers_stay_cacheable(live_server, text):
    url = f"{live_server.url}/sparql"
    r = requests.get(url, params={"query": text}, timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["Cache-Control"].startswith("public, max-age=")
    again = requests.get(url, params={"query": text}, headers={"If-None-Match": r.headers["ETag"]}, timeout=10)
    assert again.status_code == 304
