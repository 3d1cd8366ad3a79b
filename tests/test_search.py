"""Label search: accent- and case-insensitive matching, ranking, resolution of labels, CURIEs and IRIs."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from aikg.errors import BadRequest
from aikg.graph.search import normalise, resolve, search
from aikg.ingest.files import sources
from aikg.ingest.load import load_into
from aikg.namespaces import ONTOLOGY, RESOURCE
from aikg.resources import default_ontology
from aikg.store import DatasetInfo
from aikg.store.embedded import EmbeddedStore

R = RESOURCE
ORG = ONTOLOGY + "Organisation"

SAMPLE = """
@prefix aikg: <https://w3id.org/ai-history/ontology/> .
@prefix aikgr: <https://w3id.org/ai-history/resource/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
aikgr:Universite_de_Montreal a aikg:Organisation ; rdfs:label "Université de Montréal"@en ; skos:altLabel "UdeM"@en .
aikgr:AlphaGo_Zero a aikg:Model ; rdfs:label "AlphaGo Zero"@en .
aikgr:AlphaGo a aikg:Model ; rdfs:label "AlphaGo"@en .
aikgr:AlphaGo_Lee_Sedol a aikg:Milestone ; rdfs:label "AlphaGo defeats Lee Sedol"@en ; aikg:about aikgr:AlphaGo .
aikgr:Lukasz_Kaiser a aikg:Person ; rdfs:label "Łukasz Kaiser"@en .
aikgr:Google a aikg:Organisation ; rdfs:label "Google"@en .
aikgr:Google_Brain a aikg:Organisation ; rdfs:label "Google Brain"@en .
aikgr:Google_Person a aikg:Person ; rdfs:label "Google"@en .
aikgr:Twin_A a aikg:Organisation ; rdfs:label "Twin Lab"@en .
aikgr:Twin_B a aikg:Organisation ; rdfs:label "Twin Lab"@en .
"""


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("search") / "sample.ttl"
    path.write_text(SAMPLE, encoding="utf-8")
    oxi = ox.Store()
    load_into(oxi, sources([path], default_ontology()))
    return EmbeddedStore(oxi, DatasetInfo("sample", "2026-01-01T00:00:00+00:00"))


def test_normalise_folds_case_accents_and_punctuation():
    assert normalise("Université de Montréal") == "universite de montreal"
    assert normalise("Łukasz  KAISER") == "lukasz kaiser"
    assert normalise("AlphaGo-Zero") == "alphago zero"


def test_accents_do_not_matter(store):
    hits = search(store, "Universite de Montreal")
    assert hits[0].iri == R + "Universite_de_Montreal"
    assert hits[0].rank == 0
    assert search(store, "lukasz")[0].iri == R + "Lukasz_Kaiser"


def test_alt_labels_match_and_report_the_matched_label(store):
    hit = search(store, "udem")[0]
    assert hit.iri == R + "Universite_de_Montreal"
    assert hit.label == "Université de Montréal"
    assert hit.matched == "UdeM"


def test_exact_beats_prefix_and_milestones_lead_ties(store):
    iris = [h.iri for h in search(store, "alphago")]
    assert iris[0] == R + "AlphaGo"
    assert iris.index(R + "AlphaGo") < iris.index(R + "AlphaGo_Zero")
    # Among the prefix matches the milestone comes first.
    assert iris[1] == R + "AlphaGo_Lee_Sedol"


def test_word_prefix_beats_substring(store):
    hits = search(store, "sedol")
    assert hits[0].iri == R + "AlphaGo_Lee_Sedol"
    assert hits[0].rank == 2
    assert [h.rank for h in search(store, "lphago")] == [3, 3, 3]


def test_classes_filter_uses_inferred_types(store):
    assert {h.iri for h in search(store, "google", classes=[ORG])} == {R + "Google", R + "Google_Brain"}
    agents = {h.iri for h in search(store, "google", classes=[ONTOLOGY + "Agent"])}
    assert R + "Google_Person" in agents


def test_hits_carry_specific_type_first(store):
    hit = search(store, "AlphaGo Zero")[0]
    assert hit.types[0].iri == ONTOLOGY + "Model"
    assert hit.types[0].label == "model or system"


def test_limit_and_empty_query(store):
    assert len(search(store, "a", limit=2)) == 2
    assert search(store, "   ") == []


@pytest.mark.parametrize("text", ["Google", "google", "GOOGLE", "aikgr:Google", f"<{R}Google>", R + "Google"])
def test_resolve_accepts_labels_curies_and_iris(store, text):
    assert resolve(store, text, ORG) == R + "Google"


def test_resolve_without_class_is_ambiguous_and_lists_candidates(store):
    with pytest.raises(BadRequest) as info:
        resolve(store, "Google")
    iris = {c["iri"] for c in info.value.details["candidates"]}
    assert iris == {R + "Google", R + "Google_Person"}


def test_resolve_same_label_twice_is_ambiguous(store):
    with pytest.raises(BadRequest) as info:
        resolve(store, "twin lab", ORG)
    assert {c["iri"] for c in info.value.details["candidates"]} == {R + "Twin_A", R + "Twin_B"}


def test_resolve_unknown_label_suggests(store):
    with pytest.raises(BadRequest) as info:
        resolve(store, "Goog", ORG)
    assert "No organisation" in info.value.message
    assert R + "Google" in {c["iri"] for c in info.value.details["candidates"]}


def test_resolve_refuses_wrong_class_and_bad_iris(store):
    with pytest.raises(BadRequest, match="not a organisation|not an organisation|is not a"):
        resolve(store, "aikgr:AlphaGo", ORG)
    with pytest.raises(BadRequest):
        resolve(store, "<http://x> } ; DROP ALL ; #", ORG)
    with pytest.raises(BadRequest):
        resolve(store, "http://example.org/not-in-the-graph", ORG)


def test_index_is_rebuilt_when_the_data_changes(tmp_path):
    path = tmp_path / "a.ttl"
    path.write_text('<https://w3id.org/ai-history/resource/X> <http://www.w3.org/2000/01/rdf-schema#label> "Xenon" .\n')
    oxi = ox.Store()
    load_into(oxi, sources([path]))
    s = EmbeddedStore(oxi, DatasetInfo("v1", "2026-01-01T00:00:00+00:00"))
    assert [h.label for h in search(s, "xen")] == ["Xenon"]
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    oxi.add(ox.Quad(ox.NamedNode(R + "Y"), label, ox.Literal("Xerxes")))
    assert [h.label for h in search(s, "xe")] == ["Xenon"]  # cached for the same version
    s.info = DatasetInfo("v2", "2026-01-02T00:00:00+00:00")
    assert sorted(h.label for h in search(s, "xe")) == ["Xenon", "Xerxes"]


def test_shipped_data_accents_and_ranking(full_app):
    from aikg.web.http import get_store

    shipped = get_store(full_app)
    assert search(shipped, "Universite de Montreal")[0].label == "Université de Montréal"
    iris = [h.iri for h in search(shipped, "alphago", limit=50)]
    assert iris[0] == R + "AlphaGo"
    assert iris.index(R + "AlphaGo") < iris.index(R + "AlphaGo_Zero")
    assert resolve(shipped, "deepmind", ORG) == R + "DeepMind"
    assert resolve(shipped, "DeepMind Technologies", ORG) == R + "DeepMind"  # an alternative label


@pytest.mark.parametrize("q", ["a", "al", "alphago", "go", "deep", "montreal", "udem", "x", "brain", "lee sedol", "zz"])
def test_finding_the_text_gives_what_checking_every_entry_gives(full_app, monkeypatch, q):
    """Search looks for the text in one string (or, for a text most entries hold, checks them all)."""
    from aikg.graph import search as search_module
    from aikg.web.http import get_store

    shipped = get_store(full_app)
    found = [(h.iri, h.matched, h.rank) for h in search(shipped, q, limit=500)]
    monkeypatch.setattr(search_module._Index, "containing", lambda self, needle: iter(self.entries.values()))
    assert found == [(h.iri, h.matched, h.rank) for h in search(shipped, q, limit=500)]
