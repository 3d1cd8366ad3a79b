"""Neighbourhoods and shortest labelled paths (aikg.graph.paths), on the tiny graph and the shipped one."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from aikg.graph import paths
from aikg.graph.labels import fallback_label
from aikg.graph.search import index
from aikg.namespaces import ONTOLOGY
from aikg.store import Boolean, Solutions
from aikg.web.http import get_store

R = "https://w3id.org/ai-history/resource/"
A = ONTOLOGY


class CountingStore:
    """The real store, counting the queries that reach it."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.info = inner.info
        self.texts: list[str] = []

    def query(self, text, **kwargs):
        self.texts.append(text)
        return self.inner.query(text, **kwargs)

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.fixture(scope="module")
def store(app):
    return get_store(app)


def hops(path):
    return [(s.edge.property, s.forward) for s in path.steps]


def test_shortest_path_goes_through_the_shared_organisation(store):
    # Mnih is affiliated with DeepMind, which produced AlphaGo: two links.
    found = paths.find_paths(store, R + "Test_Volodymyr_Mnih", R + "Test_AlphaGo")
    first = found[0]
    assert [v.iri for v in first.vertices] == [R + "Test_Volodymyr_Mnih", R + "Test_DeepMind", R + "Test_AlphaGo"]
    assert hops(first) == [(A + "affiliatedWith", True), (A + "producedBy", False)]
    assert [s.label for s in first.steps] == ["affiliated with", "produced by"]
    assert all(a.length <= b.length for a, b in zip(found, found[1:], strict=False))


def test_inverse_properties_collapse_to_their_declared_partner(store):
    # authorOf is only entailed (the inverse of author): the walk reads aikg:author backwards instead.
    found = paths.find_paths(store, R + "Test_Volodymyr_Mnih", R + "Test_Paper_Atari")
    assert hops(found[0]) == [(A + "author", False)]
    assert all(s.edge.property != A + "authorOf" for p in found for s in p.steps)


def test_super_property_duplicates_are_dropped(store):
    # Test DQN introduces experience replay; the entailed "uses" copy is not a second edge.
    hood = paths.neighbourhood(store, R + "Test_DQN", 1)
    between = [e for e in hood.edges if R + "Test_Experience_Replay" in (e.subject, e.object)]
    assert [e.property for e in between] == [A + "introduces"]


def test_hub_properties_are_skipped_unless_asked(store):
    # The era is linked only through aikg:era / aikg:hasMilestone, which path finding skips by default.
    assert paths.find_paths(store, R + "Test_Era", R + "Test_DeepMind") == []
    assert paths.find_paths(store, R + "Test_Era", R + "Test_DeepMind", exclude=())[0].length == 2
    for p in paths.find_paths(store, R + "Test_DQN_2013", R + "Test_AlphaGo_2016", max_length=3):
        assert not {s.edge.property for s in p.steps} & {A + "era", A + "hasMilestone"}
    with_hubs = paths.find_paths(store, R + "Test_DQN_2013", R + "Test_AlphaGo_2016", max_length=2, exclude=())
    assert any(s.edge.property == A + "era" for p in with_hubs for s in p.steps)


def test_length_bound_and_same_ends(store):
    assert paths.find_paths(store, R + "Test_Volodymyr_Mnih", R + "Test_AlphaGo", max_length=1) == []
    assert paths.find_paths(store, R + "Test_AlphaGo", R + "Test_AlphaGo") == []
    with pytest.raises(ValueError):
        paths.find_paths(store, R + "Test_AlphaGo", R + "Test_DQN", max_length=7)


def test_limit_caps_the_number_of_paths(store):
    assert len(paths.find_paths(store, R + "Test_Volodymyr_Mnih", R + "Test_AlphaGo", limit=2)) == 2


def test_each_path_sparql_finds_its_own_middle(store):
    for path in paths.find_paths(store, R + "Test_Volodymyr_Mnih", R + "Test_AlphaGo", max_length=4):
        result = store.query(path.sparql)
        if path.length == 1:
            assert isinstance(result, Boolean) and result.value
            continue
        assert isinstance(result, Solutions)
        middles = {tuple(row[i].value for i in range(0, len(row), 2)) for row in result.rows}
        assert tuple(v.iri for v in path.vertices[1:-1]) in middles


def test_one_query_per_frontier(app):
    counting = CountingStore(get_store(app))
    paths.find_paths(counting, R + "Test_Volodymyr_Mnih", R + "Test_Google", max_length=4)
    expansions = [t for t in counting.texts if "VALUES ?n" in t]
    assert 1 <= len(expansions) <= 4  # two frontiers from each end, whatever their sizes


def test_neighbourhood_depths_and_no_literals(store):
    hood = paths.neighbourhood(store, R + "Test_DeepMind", 2)
    assert hood.centre.label == "Test DeepMind"
    assert hood.vertices[R + "Test_Google"].depth == 1  # DeepMind's parent organisation
    assert hood.vertices[R + "Test_AlphaGo"].depth == 1
    assert hood.vertices[R + "Test_Experience_Replay"].depth == 2  # used by AlphaGo
    assert all(v.iri.startswith("https://") for v in hood.vertices.values())
    assert all(not e.property.startswith(("https://schema.org/", "http://www.w3.org/ns/prov#")) for e in hood.edges)
    with pytest.raises(ValueError):
        paths.neighbourhood(store, R + "Test_DeepMind", 3)


def test_vertices_carry_labels_and_types(store):
    v = paths.vertex(store, R + "Test_AlphaGo")
    assert (v.label, v.type) == ("Test AlphaGo", "model or system")
    assert paths.vertex(store, R + "No_Such_Thing").label == "No Such Thing"


def test_shipped_sutskever_to_alphago(full_app):
    store = get_store(full_app)
    found = paths.find_paths(store, R + "Ilya_Sutskever", R + "AlphaGo")
    # Sutskever is an author of the AlphaGo Nature paper, which is AlphaGo's paper; Epoch also lists him among
    # the authors of AlphaGo Lee, a version of AlphaGo: both are shortest paths.
    shortest = [p for p in found if len(p.vertices) == len(found[0].vertices)]
    by_paper = next(p for p in shortest if p.vertices[1].iri == R + "AlphaGo_paper")
    assert [v.iri for v in by_paper.vertices] == [R + "Ilya_Sutskever", R + "AlphaGo_paper", R + "AlphaGo"]
    assert hops(by_paper) == [(A + "author", False), (A + "paper", False)]
    assert len(found) == 10
    assert ox.NamedNode(R + "AlphaGo_paper")  # a real IRI of the graph


def by_queries(store, iri, hops):
    """Walk a neighbourhood the slow way: one batched expansion query per hop, nothing cached."""
    depth, edges, frontier = {iri: 0}, set(), [iri]
    for level in range(1, hops + 1):
        found = paths.expand(store, frontier)
        nxt = []
        for n in frontier:
            for e in found[n]:
                edges.add(e)
                if e.other(n) not in depth:
                    depth[e.other(n)] = level
                    nxt.append(e.other(n))
        frontier = nxt
    return depth, edges


def resources(store):
    result = store.query("SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER(isIRI(?s)) }")
    return sorted(row[0].value for row in result.rows)


def test_the_indexed_neighbourhood_is_the_one_the_queries_find(store):
    for iri in resources(store):
        for n in (1, 2):
            hood = paths.neighbourhood(store, iri, n)
            depth, edges = by_queries(store, iri, n)
            assert hood.depth == depth and set(hood.vertices) == set(depth), iri
            assert set(hood.edges) == edges and len(hood.edges) == len(edges), iri
            assert {v: hood.vertices[v].depth for v in hood.vertices} == depth


def test_the_index_gives_way_to_queries_on_a_large_graph_or_an_exclusion(store, monkeypatch):
    paths._adjacency.clear()
    monkeypatch.setattr(paths, "INDEX_MAX", 3)
    try:
        assert paths._adjacency(store) is None
        hood = paths.neighbourhood(store, R + "Test_DeepMind", 2)
        assert (hood.depth, set(hood.edges)) == by_queries(store, R + "Test_DeepMind", 2)
    finally:
        paths._adjacency.clear()
    excluded = paths.neighbourhood(store, R + "Test_DQN", 1, exclude=[A + "introduces"])
    assert set(excluded.edges) == paths.expand(store, [R + "Test_DQN"], frozenset({A + "introduces"}))[R + "Test_DQN"]
    assert all(e.property != A + "introduces" for e in excluded.edges)


def test_shipped_hubs_neighbourhoods_are_the_ones_the_queries_find(full_app):
    store = get_store(full_app)
    # The organisations the issue names, and the resource most linked to by others (a country or a metric).
    busiest = store.query(f"""SELECT ?o (COUNT(*) AS ?c) WHERE {{ ?s ?p ?o FILTER(isIRI(?o) &&
        STRSTARTS(STR(?o), "{R}") && STRSTARTS(STR(?p), "{A}")) }} GROUP BY ?o ORDER BY DESC(?c) LIMIT 1""")
    hubs = [R + "DeepMind", R + "Google", R + "OpenAI", busiest.rows[0][0].value]
    idx = index(store)
    for iri in hubs:
        for n in (1, 2):
            hood = paths.neighbourhood(store, iri, n)
            depth, edges = by_queries(store, iri, n)
            assert hood.depth == depth and set(hood.edges) == edges, (iri, n)
            assert len(depth) > (100 if n == 2 else 20)  # a hub, not an empty walk
            some = sorted(depth)[:300]
            assert {v: hood.label(v) for v in some} == {v: idx.entries[v].label if v in idx.entries
                                                         else fallback_label(v) for v in some}
