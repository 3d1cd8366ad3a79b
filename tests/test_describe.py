"""describe() and description_triples() on the tiny graph and on a graph with blank nodes and lists."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from aikg.graph.describe import describe
from aikg.graph.document import description_triples
from aikg.ingest.files import sources
from aikg.ingest.load import build_memory_store

R = "https://w3id.org/ai-history/resource/"
ONT = "https://w3id.org/ai-history/ontology/"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"

BLANK_TTL = """
@prefix aikg: <https://w3id.org/ai-history/ontology/> .
@prefix aikgr: <https://w3id.org/ai-history/resource/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
aikgr:P a aikg:Paper ; rdfs:label "Deep Residual Learning"@en ;
  aikg:authorList ( aikgr:He aikgr:Zhang aikgr:Ren aikgr:Sun ) ;
  dcterms:source <https://arxiv.org/abs/1512.03385> ;
  aikg:measurement [ a aikg:Measurement ; aikg:metric aikgr:Top5 ; aikg:value 3.57 ;
      aikg:unit <http://qudt.org/vocab/unit/PERCENT> ; aikg:benchmark aikgr:ImageNet ;
      aikg:comparedWith [ a aikg:Measurement ; aikg:metric aikgr:Top5 ; aikg:value 5.1 ; aikg:qualifier "about" ] ] .
aikgr:He rdfs:label "Kaiming He"@en . aikgr:Zhang rdfs:label "Xiangyu Zhang"@en .
aikgr:Ren rdfs:label "Shaoqing Ren"@en . aikgr:Sun rdfs:label "Jian Sun"@en .
aikgr:Top5 rdfs:label "top-5 error rate"@en . aikgr:ImageNet rdfs:label "ImageNet"@en .
"""


@pytest.fixture(scope="module")
def tiny_store(app):
    return app.extensions["aikg"]


@pytest.fixture(scope="module")
def blank_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("blank")
    data = folder / "blank.ttl"
    data.write_text(BLANK_TTL)
    empty = folder / "empty.ttl"  # no ontology: nothing is entailed, so the CBD can be compared exactly
    empty.write_text("")
    return build_memory_store(sources([data], [empty])), data


def _graph(triples) -> rdflib.Graph:
    g = rdflib.Graph()
    g.parse(data="".join(f"{t} .\n" for t in triples), format="nt")
    return g


def test_describe_names_types_and_groups_facts(tiny_store):
    d = describe(tiny_store, R + "Test_AlphaGo")
    assert d is not None
    assert d.label == "Test AlphaGo"
    assert d.description == "A test Go program."
    assert [t.iri for t in d.types] == [ONT + "Model"]
    out = {g.property: [v.iri for v in g.values] for g in d.out}
    assert out[ONT + "producedBy"] == [R + "Test_DeepMind"]
    assert out[ONT + "uses"] == [R + "Test_Experience_Replay"]
    assert out[ONT + "measurement"] == [R + "Test_AlphaGo_Wins"]
    labels = {g.property: g.label for g in d.out}
    assert labels[ONT + "producedBy"] == "produced by"  # the ontology's rdfs:label
    produced = next(g for g in d.out if g.property == ONT + "producedBy").values[0]
    assert produced.label == "Test DeepMind" and not produced.inferred and not produced.is_literal
    # The super-property of aikg:producedBy is entailed, and kept apart from the asserted facts.
    assert "https://schema.org/producer" in {g.property for g in d.inferred}
    assert "https://schema.org/producer" not in out
    assert d.graphs == ["https://w3id.org/ai-history/graph/tiny"]


def test_describe_expands_measurements_into_figures(tiny_store):
    d = describe(tiny_store, R + "Test_AlphaGo")
    assert len(d.figures) == 1
    figure = d.figures[0]
    assert figure.metric is not None and figure.metric.label == "Test games won"
    assert figure.value == "4"
    assert [a.iri for a in figure.achieved_by] == [R + "Test_AlphaGo"]
    assert [s.iri for s in figure.sources] == ["https://doi.org/10.1038/nature16961"]
    value = next(g for g in d.out if g.property == ONT + "measurement").values[0]
    assert value.node is not None  # an aikg:Measurement IRI is expanded one level
    assert {g.property for g in value.node.facts} >= {ONT + "metric", ONT + "value", ONT + "achievedBy"}


def test_describe_literals_carry_datatype_and_language(tiny_store):
    d = describe(tiny_store, R + "Test_DQN_2013")
    date = next(g for g in d.out if g.property == ONT + "date").values[0]
    assert date.is_literal and date.label == "2013-12-19"
    assert date.datatype == "http://www.w3.org/2001/XMLSchema#date"
    assert [s.iri for s in d.sources] == ["https://arxiv.org/abs/1312.5602"]
    alt = describe(tiny_store, R + "Test_DQN")
    assert alt.alt_labels == ["Test Deep Q-Network"]


def test_incoming_links_are_grouped_counted_and_paged(tiny_store):
    expected = {R + "Test_DQN_2013", R + "Test_AlphaGo_2016", R + "Test_DQN", R + "Test_AlphaGo"}
    d = describe(tiny_store, R + "Test_DeepMind")
    group = next(g for g in d.incoming if g.property == ONT + "producedBy")
    assert group.total == 4 and {link.iri for link in group.links} == expected and not group.more
    first = describe(tiny_store, R + "Test_DeepMind", incoming_limit=3, incoming_offset=0)
    second = describe(tiny_store, R + "Test_DeepMind", incoming_limit=3, incoming_offset=3)
    page1 = next(g for g in first.incoming if g.property == ONT + "producedBy")
    page2 = next(g for g in second.incoming if g.property == ONT + "producedBy")
    assert len(page1.links) == 3 and page1.more
    assert len(page2.links) == 1 and not page2.more
    assert {link.iri for link in page1.links + page2.links} == expected
    labels = [link.label for link in page1.links]
    assert labels == sorted(labels, key=str.lower)
    # Entailed inverses (aikg:subOrganisation of Google) are not incoming links of the child.
    affiliated = next(g for g in d.incoming if g.property == ONT + "affiliatedWith")
    assert [link.iri for link in affiliated.links] == [R + "Test_Volodymyr_Mnih"]


def test_unknown_iri_is_none(tiny_store):
    assert describe(tiny_store, R + "No_Such_Thing") is None
    assert description_triples(tiny_store, R + "No_Such_Thing") == []


def test_description_triples_shape_on_tiny_graph(tiny_store):
    """Out and in triples, the Measurement node's facts, and labels of every IRI in them."""
    s = ox.NamedNode(R + "Test_AlphaGo")
    everything = [ox.Triple(q.subject, q.predicate, q.object) for q in tiny_store.quads()]
    core = {t for t in everything if t.subject == s or t.object == s}
    wins = ox.NamedNode(R + "Test_AlphaGo_Wins")
    core |= {t for t in everything if t.subject == wins}
    iris = {x for t in core for x in (t.subject, t.predicate, t.object) if isinstance(x, ox.NamedNode)} - {s}
    labels = {t for t in everything if t.subject in iris and t.predicate.value == RDFS_LABEL}
    got = description_triples(tiny_store, s.value)
    assert len(got) == len(set(got))
    assert set(got) == core | labels


def test_blank_nodes_lists_and_nary_nodes(blank_store):
    store, data = blank_store
    d = describe(store, R + "P")
    authors = next(g for g in d.out if g.property == ONT + "authorList").values[0]
    assert authors.is_blank and authors.node is not None
    assert [m.label for m in authors.node.members] == ["Kaiming He", "Xiangyu Zhang", "Shaoqing Ren", "Jian Sun"]
    (figure,) = d.figures
    assert figure.value == "3.57" and figure.unit is not None and figure.unit.label == "%"
    assert figure.benchmark is not None and figure.benchmark.label == "ImageNet"
    assert "3.57 %" in figure.text and "ImageNet" in figure.text
    (compared,) = figure.compared_with
    assert compared.value == "5.1" and compared.qualifier == "about"
    # A list member's incoming link names the list's owner and the owner's property.
    sun = describe(store, R + "Sun")
    (group,) = sun.incoming
    assert group.label == "aikg:authorList"  # no ontology here, so the list property's CURIE names the group
    assert [(link.iri, link.via.iri) for link in group.links] == [(R + "P", ONT + "authorList")]


def test_description_triples_contain_the_concise_bounded_description(blank_store):
    store, data = blank_store
    source = rdflib.Graph().parse(data, format="turtle")
    cbd = source.cbd(rdflib.URIRef(R + "P"))
    got = _graph(description_triples(store, R + "P"))
    p = rdflib.URIRef(R + "P")
    # Outgoing part: P's triples and those of blank nodes (labels of linked IRIs are added besides).
    ours = rdflib.Graph()
    for t in got:
        if t[0] == p or isinstance(t[0], rdflib.BNode):
            ours.add(t)
    assert len(cbd) == 5 + 2 * 4 + 6 + 4  # P, four list cells, the measurement, the compared one
    assert isomorphic(ours, cbd)
    labels = {(s, o) for s, pr, o in got if str(pr) == RDFS_LABEL}
    assert (rdflib.URIRef(R + "Sun"), rdflib.Literal("Jian Sun", lang="en")) in labels
