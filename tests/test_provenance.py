"""Provenance per statement, dated relations, ranked values and the audit's eight errors (issue 15).

Each error of the audit (E1–E8) and each "also" item has a regression test here, asked of the shipped graph
through the app's store and its named queries. Expected answers come from the papers, the press and the
reference facts, or are computed from the graph's own statement nodes; none is copied from a query's output.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from aikg.cli import cli
from aikg.errors import InvalidData
from aikg.graph import catalogue as cat
from aikg.ingest.curation import build
from aikg.ingest.files import sources
from aikg.ingest.load import build_memory_store
from aikg.ingest.validate import validate
from aikg.namespaces import RESOURCE, sparql_prologue
from aikg.resources import default_ontology, default_shapes
from aikg.store import ask, select
from aikg.web.http import get_store

ROOT = Path(__file__).parent.parent
TRIG = ROOT / "curation" / "milestones.trig"
SHIPPED = ROOT / "data" / "milestones.ttl"
R = RESOURCE
ONT = "https://w3id.org/ai-history/ontology/"
P = sparql_prologue()
ALEXNET_PDF = "https://proceedings.neurips.cc/paper/2012/file/c399862d3b9d6b76c8436e924a68c45b-Paper.pdf"
ALEXNET_PAGE = "https://papers.nips.cc/paper_files/paper/2012/hash/c399862d3b9d6b76c8436e924a68c45b-Abstract.html"


@pytest.fixture(scope="module")
def store(full_app):
    return get_store(full_app)


@pytest.fixture(scope="module")
def named(store):
    def run(name: str, **params) -> list[dict]:
        query = cat.shipped().get(name)
        given = {k: v if isinstance(v, list) else [str(v)] for k, v in params.items()}
        result = query.run(store, query.bind(store, given))
        return [{n: (None if t is None else t.value) for n, t in zip(result.variables, row, strict=True)}
                for row in result.rows]

    return run


def rows(store, text: str) -> list[dict]:
    return select(store, P + text)


def sources_of(store, subject: str, predicate: str, value: str | None = None) -> set[str]:
    """Return the documents the statement nodes name for a resource's property (and one value of it)."""
    found = rows(store, f"""
        SELECT ?v ?src WHERE {{ ?st rdf:subject <{subject}> ; rdf:predicate <{predicate}> ; rdf:object ?v ;
                                    prov:wasDerivedFrom ?src }}""")
    return {r["src"].value for r in found if value is None or r["v"].value == value}


# --- E1: DQN 2013 and DQN 2015 are two versions, each with its own techniques and paper --------------------


def test_e1_target_network_belongs_to_the_2015_version_only(store):
    users = {r["x"].value for r in rows(store, "SELECT ?x WHERE { ?x aikg:uses aikgr:Target_network }")}
    assert R + "DQN_2015" in users
    assert R + "DQN" not in users and R + "DQN_masters_Atari_2013" not in users
    # The Nature article is what says the 2015 version uses it.
    assert sources_of(store, R + "DQN_2015", ONT + "uses", R + "Target_network") == {"https://doi.org/10.1038/nature14236"}


def test_e1_each_version_has_its_own_paper(store):
    found = rows(store, """
        SELECT ?model ?id WHERE { VALUES ?model { aikgr:DQN aikgr:DQN_2015 } ?model aikg:paper ?paper .
                                  ?paper aikg:arxivId|aikg:doi ?id }""")
    assert {(r["model"].value[len(R):], r["id"].value) for r in found} == {
        ("DQN", "1312.5602"), ("DQN_2015", "10.1038/nature14236")}
    assert ask(store, P + "ASK { aikgr:DQN_2015 aikg:successorOf aikgr:DQN }")
    # Both versions still use what they share: experience replay.
    assert ask(store, P + """ASK { aikgr:DQN aikg:uses aikgr:Experience_replay .
                                   aikgr:DQN_2015 aikg:uses aikgr:Experience_replay }""")


# --- E2: workshops are venues of their own, part of their conference -----------------------------------------


def test_e2_workshop_papers_are_not_main_conference_papers(named):
    neurips = {r["paper"] for r in named("papers-by-venue", venue="NeurIPS")}
    assert R + "DQN_arXiv_paper" not in neurips
    assert {R + "AlexNet_paper", R + "GAN_paper", R + "Transformer_paper", R + "Word2vec_NIPS_paper"} <= neurips
    iclr = {r["paper"] for r in named("papers-by-venue", venue="ICLR")}
    assert R + "Word2vec_paper" not in iclr
    workshop = named("papers-by-venue", venue="NIPS 2013 Deep Learning Workshop")
    assert [(r["paper"], r["partOf"]) for r in workshop] == [(R + "DQN_arXiv_paper", R + "NIPS_2013")]


def test_e2_workshops_are_events_within_an_edition_of_their_conference(store):
    found = rows(store, """
        SELECT ?paper ?series WHERE { ?paper aikg:venue ?w . ?w a aikg:Workshop , aikg:Event ;
                                      aikg:partOfEvent ?edition . ?edition a aikg:ConferenceEdition ;
                                      aikg:editionOf ?series }""")
    assert {(r["paper"].value[len(R):], r["series"].value[len(R):]) for r in found} == {
        ("DQN_arXiv_paper", "NeurIPS"), ("Word2vec_paper", "ICLR")}
    # The arXiv record's comment says where the DQN paper was presented; the follow-up paper cites the first
    # word2vec paper as an ICLR workshop paper.
    assert sources_of(store, R + "DQN_arXiv_paper", ONT + "venue") == {"https://arxiv.org/abs/1312.5602"}
    assert sources_of(store, R + "Word2vec_paper", ONT + "venue") == {"https://arxiv.org/abs/1310.4546"}


# --- E3: each AlexNet figure is sourced to the document that states it ---------------------------------------


@pytest.mark.parametrize("figure", ["AlexNet_layer_count", "ImageNet_ILSVRC_training_image_count",
                                    "NVIDIA_GTX_580_memory", "AlexNet_GPU_count", "AlexNet_parameter_count"])
def test_e3_alexnet_figures_cite_the_full_text_not_the_abstract_page(store, figure):
    found = sources_of(store, R + figure, ONT + "value")
    assert ALEXNET_PDF in found
    assert ALEXNET_PAGE not in found
    # And the resource-level summary follows the statements.
    summary = {r["s"].value for r in rows(store, f"SELECT ?s WHERE {{ aikgr:{figure} dcterms:source ?s }}")}
    assert ALEXNET_PAGE not in summary


# --- E4: a price that was never disclosed is a press estimate --------------------------------------------------


def test_e4_no_reported_price_of_an_undisclosed_acquisition_is_exact(store):
    found = rows(store, """
        SELECT ?price ?q WHERE { ?deal aikg:priceDisclosed false ; aikg:reportedPrice ?price .
                                 ?price aikg:qualifier ?q }""")
    assert len(found) == 4
    assert "exact" not in {r["q"].value for r in found}
    recode = rows(store, "SELECT ?q WHERE { aikgr:DeepMind_price_Recode aikg:qualifier ?q }")
    assert [r["q"].value for r in recode] == ["estimated"]


# --- E5: Fan Hui's affiliation is dated by what the sources say -----------------------------------------------


def test_e5_fan_hui_was_not_at_deepmind_when_he_played_alphago(store, named):
    match = rows(store, "SELECT ?d WHERE { ?m aikg:participant aikgr:Fan_Hui ; a aikg:Match ; aikg:date ?d }")
    [played] = [r["d"].value for r in match]  # October 2015
    found = rows(store, """
        SELECT ?start ?latest WHERE { aikgr:Fan_Hui aikg:affiliation ?a . ?a aikg:organisation aikgr:DeepMind .
                                      OPTIONAL { ?a aikg:startDate ?start }
                                      OPTIONAL { ?a aikg:latestStartDate ?latest } }""")
    assert len(found) == 1 and "start" not in found[0]
    latest = found[0]["latest"].value
    assert latest > played  # known at DeepMind only after the match
    assert sources_of(store, R + "Fan_Hui_at_DeepMind", ONT + "latestStartDate") == {
        "http://www.usgo.org/news/2016/07/fan-hui-2p-alphago-is-a-new-lee-changho/"}
    people = {r["person"]: r for r in named("organisation-people", org="DeepMind")}
    fan = people[R + "Fan_Hui"]
    assert fan["startNoLaterThan"] == latest and fan["start"] is None
    assert fan["firstSeen"] == "2017-10-19"  # his first byline at DeepMind: the AlphaGo Zero paper
    # Who is known to have been at DeepMind by the day of the match: not its opponent.
    by_then = rows(store, f"""
        SELECT DISTINCT ?p WHERE {{ ?p aikg:affiliation ?a . ?a aikg:organisation aikgr:DeepMind .
          {{ ?a aikg:startDate ?s }} UNION {{ ?a aikg:latestStartDate ?s }}
          FILTER(STR(?s) <= "{played}") }}""")
    assert R + "Fan_Hui" not in {r["p"].value for r in by_then}
    assert R + "Demis_Hassabis" in {r["p"].value for r in by_then}


# --- E6: the games AlphaGo Zero played against AlphaGo Lee are not dated by the paper ------------------------


def test_e6_evaluation_match_is_not_dated_by_the_paper(store):
    assert not rows(store, "SELECT ?d WHERE { aikgr:AlphaGo_Zero_vs_AlphaGo_Lee aikg:date|aikg:year ?d }")
    found = rows(store, """
        SELECT ?latest ?online WHERE { aikgr:AlphaGo_Zero_vs_AlphaGo_Lee aikg:latestDate ?latest .
          ?st rdf:subject aikgr:AlphaGo_Zero_paper ; rdf:predicate aikg:publicationDate ; rdf:object ?online }""")
    # Played no later than the paper's earliest date (online, the day before the issue).
    assert found and all(r["latest"].value <= r["online"].value for r in found)
    assert found[0]["latest"].value == min(r["online"].value for r in found)


# --- E7: opponents are participants, not contributors --------------------------------------------------------


def test_e7_opponents_are_not_contributors_or_collaborators(store, named):
    found = rows(store, "SELECT ?c WHERE { aikgr:AlphaGo_defeats_Lee_Sedol_2016 aikg:contributor ?c }")
    contributors = {r["c"].value for r in found}
    assert R + "Lee_Sedol" not in contributors and {R + "David_Silver", R + "Demis_Hassabis"} <= contributors
    alphago = next(r for r in named("contributions", person="Ilya Sutskever")
                   if r["milestone"] == R + "AlphaGo_defeats_Lee_Sedol_2016")
    assert "Lee Sedol" not in alphago["collaborators"] and "Fan Hui" not in alphago["collaborators"]
    assert "David Silver" in alphago["collaborators"]
    found = named("milestone-people", milestone="aikgr:AlphaGo_defeats_Lee_Sedol_2016")
    people = {r["personLabel"]: r["roles"] for r in found}
    assert people["Lee Sedol"] == "participant"
    # The founders of OpenAI, participants of its founding, stay each other's collaborators.
    ilya = named("contributions", person="Ilya Sutskever")
    openai = next(r for r in ilya if r["milestone"] == R + "OpenAI_founded_2015")
    assert "Andrej Karpathy" in openai["collaborators"]


# --- E8: Ilya Sutskever started at OpenAI on the day it was founded, as the others did ----------------------


def test_e8_openai_founders_start_on_one_day(store):
    found = rows(store, """
        SELECT ?p ?start WHERE { ?p aikg:affiliation ?a .
                                 ?a aikg:organisation aikgr:OpenAI ; aikg:startDate ?start }""")
    starts = {r["p"].value[len(R):]: r["start"].value for r in found}
    assert len(starts) == 11 and set(starts.values()) == {"2015-12-11"}
    [founded] = rows(store, "SELECT ?d WHERE { aikgr:OpenAI aikg:foundingDate ?d }")
    assert starts["Ilya_Sutskever"] == founded["d"].value


# --- Also: dates known to the day, DeepMind's founding year, PyTorch's licence, models vs techniques ---------


@pytest.mark.parametrize(("item", "date"), [
    ("Word2vec_published_2013", "2013-01-16"), ("Word2vec_paper", "2013-01-16"), ("Word2vec_NIPS_paper", "2013-10-16"),
    ("DQN_masters_Atari_2013", "2013-12-19"), ("DQN_arXiv_paper", "2013-12-19"), ("GANs_introduced_2014", "2014-06-10"),
    ("GAN_paper", "2014-06-10"),
])
def test_dates_known_to_the_day_are_stored_to_the_day(store, item, date):
    found = rows(store, f"SELECT ?d WHERE {{ aikgr:{item} aikg:date|aikg:publicationDate ?d }}")
    assert [(r["d"].value, r["d"].datatype.value.rsplit("#", 1)[1]) for r in found] == [(date, "date")]


def test_arxiv_papers_are_dated_by_their_first_version(store):
    # Computed from the graph: each arXiv paper's publication date is the date its arXiv record gives.
    found = rows(store, """
        SELECT ?paper ?date ?issued WHERE { ?paper aikg:arxivId ?id ; aikg:publicationDate ?date .
          ?record dcterms:issued ?issued
          FILTER(STR(?record) IN (CONCAT("https://arxiv.org/abs/", STR(?id)),
                                  CONCAT("https://arxiv.org/abs/", STR(?id), "v1"))) }""")
    assert len(found) == 6
    assert all(r["date"].value == r["issued"].value for r in found)


def test_deepmind_founding_year_is_ranked(store):
    found = rows(store, """
        SELECT ?year ?rank ?why WHERE { ?st rdf:subject aikgr:DeepMind ; rdf:predicate aikg:foundingDate ;
          rdf:object ?year ; aikg:statementRank ?rank ; aikg:rankReason ?why }""")
    assert {(r["year"].value, r["rank"].value[len(ONT):]) for r in found} == {("2010", "PreferredRank"),
                                                                             ("2012", "DeprecatedRank")}
    assert [r["d"].value for r in rows(store, "SELECT ?d WHERE { aikgr:DeepMind aikg:foundingDate ?d }")] == ["2010"]


def test_pytorch_has_its_licence(store):
    found = rows(store, "SELECT ?id WHERE { aikgr:PyTorch aikg:licence ?l . ?l dcterms:identifier ?id }")
    assert [r["id"].value for r in found] == ["BSD-3-Clause"]
    assert "https://github.com/pytorch/pytorch/blob/main/LICENSE" in sources_of(store, R + "PyTorch", ONT + "licence")
    unlicensed = rows(store, """
        SELECT ?s WHERE { ?s a aikg:Software ; aikg:releaseDate ?d FILTER NOT EXISTS { ?s aikg:licence ?l } }""")
    assert unlicensed == []


def test_no_resource_is_both_a_model_and_a_technique(store):
    assert not ask(store, P + "ASK { ?x a aikg:Model , aikg:Technique }")
    # The Transformer's architecture is a technique of its own, matched to Wikidata; the model introduces it.
    assert ask(store, P + """ASK { aikgr:Transformer a aikg:Model ; aikg:introduces aikgr:Transformer_architecture .
                                   aikgr:Transformer_architecture a aikg:Technique ; skos:exactMatch ?q }""")


# --- Provenance per statement ---------------------------------------------------------------------------------


def test_what_says_so_query_of_the_readme_answers(store):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    query = re.search(r"<!-- what-says-so -->\n```sparql\n(.*?)```", text, re.S)
    assert query, "the README's what-says-so query is missing"
    found = select(store, query.group(1))
    assert {r["value"].value for r in found} == {"2010", "2012"}
    assert all(r["title"].value for r in found)


# The statements a curated graph asserts about its resources that no statement node sources: none.
UNSOURCED = """
SELECT ?subject ?predicate ?value WHERE {
  ?graph aikg:requiresStatementSources true .
  GRAPH ?graph { ?subject ?predicate ?value }
  FILTER(isIRI(?subject) && STRSTARTS(STR(?subject), "https://w3id.org/ai-history/resource/"))
  FILTER(?predicate NOT IN (rdf:type, rdf:first, rdf:rest, rdfs:label, rdfs:comment, skos:altLabel, skos:prefLabel,
                            skos:note, skos:broader, skos:inScheme, skos:topConceptOf, skos:exactMatch,
                            skos:closeMatch, dcterms:description, dcterms:source, aikg:authorList))
  FILTER NOT EXISTS { ?predicate aikg:datasetSourced true }
  FILTER NOT EXISTS { ?st rdf:subject ?subject ; rdf:predicate ?predicate ; rdf:object ?value ;
                          prov:wasDerivedFrom ?source }
}"""


def test_every_asserted_curated_statement_names_a_source(store, named):
    assert rows(store, UNSOURCED) == []
    [curated] = [r for r in named("provenance-coverage") if r["curated"] == "true"]
    assert curated["unsourced"] == "0"


def test_unsourced_statements_finds_a_statement_without_source(tmp_path):
    # A copy of the curated graph with one more triple, under the same file name (so the same named graph).
    copy = tmp_path / "milestones.ttl"
    shutil.copy(SHIPPED, copy)
    with copy.open("a", encoding="utf-8") as f:
        f.write('\n<https://w3id.org/ai-history/resource/DeepMind> '
                '<https://w3id.org/ai-history/ontology/foundingDate> '
                '"2011"^^<http://www.w3.org/2001/XMLSchema#gYear> .\n')
    extra = build_memory_store(sources([copy], default_ontology()))
    assert [(r["subject"].value, r["predicate"].value, r["value"].value) for r in rows(extra, UNSOURCED)] == [
        (R + "DeepMind", ONT + "foundingDate", "2011")]
    query = cat.shipped().get("provenance-coverage")
    coverage = query.run(extra, query.bind(extra, {}))
    assert [row[4].value for row in coverage.rows if row[1].value == "true"] == ["1"]
    # SHACL sees it as well, in the compiled engine (the reference engine agrees: tests/test_validate.py).
    report = validate([copy], default_shapes(), default_ontology(), engine="fast")
    assert {(r.focus, r.path, r.value) for r in report.violations} >= {
        (R + "DeepMind", ONT + "foundingDate", '"2011"^^<http://www.w3.org/2001/XMLSchema#gYear>')}


def test_sources_are_documents_with_titles(store):
    found = rows(store, """
        SELECT DISTINCT ?src ?title ?press ?publisher ?issued WHERE { ?st rdf:subject ?s ; prov:wasDerivedFrom ?src .
          OPTIONAL { ?src dcterms:title ?title }
          OPTIONAL { ?src a aikg:PressArticle BIND(true AS ?press) }
          OPTIONAL { ?src dcterms:publisher ?publisher } OPTIONAL { ?src dcterms:issued ?issued } }""")
    assert len({r["src"].value for r in found}) >= 30
    for r in found:
        assert r["src"].value.startswith(("https://", "http://")), r["src"].value
        assert not r["src"].value.startswith("https://w3id.org/ai-history/"), r["src"].value
        assert "title" in r, r["src"].value
        if "press" in r:
            assert "publisher" in r and "issued" in r, r["src"].value


def test_each_statement_node_describes_its_triple(store):
    # Every statement of normal or preferred rank, with no preferred sibling, is asserted; no deprecated one is.
    found = rows(store, """
        SELECT ?st ?rank ?asserted WHERE { ?st a rdf:Statement ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o .
          OPTIONAL { ?st aikg:statementRank ?rank }
          BIND(EXISTS { ?s ?p ?o } AS ?asserted) }""")
    assert len(found) > 1400
    deprecated = [r for r in found if "rank" in r and r["rank"].value.endswith("DeprecatedRank")]
    assert deprecated and all(r["asserted"].value == "false" for r in deprecated)
    assert sum(1 for r in found if r["asserted"].value == "false") == 6  # 2 deprecated, 4 outranked


def test_authorship_nodes_give_positions_and_byline_affiliations(store):
    found = rows(store, """
        SELECT ?paper ?pos ?person ?org WHERE { ?paper aikg:authorship ?a .
          ?a aikg:person ?person ; aikg:position ?pos .
          OPTIONAL { ?a aikg:bylineAffiliation ?org } }""")
    by_paper: dict[str, list[int]] = {}
    for r in found:
        by_paper.setdefault(r["paper"].value, []).append(int(r["pos"].value))
    for paper, positions in by_paper.items():
        assert sorted(set(positions)) == list(range(1, len(set(positions)) + 1)), paper
    # The AlphaGo paper's byline: John Nham and Ilya Sutskever at Google, the other 18 at DeepMind.
    alphago = {(r["person"].value[len(R):], r["org"].value[len(R):]) for r in found
               if r["paper"].value == R + "AlphaGo_paper"}
    assert {o for p, o in alphago if p in ("John_Nham", "Ilya_Sutskever")} == {"Google"}
    assert {o for p, o in alphago if p not in ("John_Nham", "Ilya_Sutskever")} == {"DeepMind"}
    assert len(alphago) == 20


def test_plain_authors_are_derived_from_the_authorships(store):
    derived = rows(store, "SELECT ?paper ?person WHERE { ?paper aikg:authorship ?a . ?a aikg:person ?person }")
    plain = rows(store, "SELECT ?paper ?person WHERE { ?paper aikg:author ?person }")
    assert {(r["paper"].value, r["person"].value) for r in derived} == {
        (r["paper"].value, r["person"].value) for r in plain}


def test_deepmind_under_google_is_dated_by_its_acquisition_and_the_merger(store):
    found = rows(store, """
        SELECT ?start ?end ?began ?ended WHERE { aikgr:DeepMind aikg:parentRelation ?r .
          ?r aikg:organisation aikgr:Google ; aikg:startDate ?start ; aikg:endDate ?end ;
             aikg:startedBy ?began ; aikg:endedBy ?ended . ?began aikg:date ?dealDate FILTER(?dealDate = ?start) }""")
    got = [(r["start"].value, r["end"].value, r["began"].value[len(R):], r["ended"].value[len(R):]) for r in found]
    assert got == [
        ("2014-01-26", "2023-04-20", "Google_acquires_DeepMind_2014", "Google_DeepMind_formed_2023")]
    merged = rows(store, """
        SELECT ?o WHERE { aikgr:Google_DeepMind_formed_2023 aikg:merged ?o ; aikg:formed aikgr:Google_DeepMind }""")
    assert {r["o"].value[len(R):] for r in merged} == {"DeepMind", "Google_Brain"}
    assert ask(store, P + "ASK { aikgr:Google_DeepMind aikg:parentOrganisation aikgr:Google ; aikg:foundingDate ?d }")


def test_sub_organisations_say_until_when(named):
    found = {r["organisation"][len(R):]: r for r in named("sub-organisations", org="Google")}
    assert found["DeepMind"]["since"] == "2014-01-26" and found["DeepMind"]["until"] == "2023-04-20"
    assert found["Google_Brain"]["until"] == "2023-04-20" and found["Google_DeepMind"]["until"] is None


def test_careers_are_dated_by_bylines(named):
    rows_ = {r["organisation"][len(R):]: r for r in named("career", person="Ilya Sutskever")}
    # Google: the bylines of the 2013 word2vec paper (16 October 2013) and the 2016 AlphaGo paper.
    assert (rows_["Google"]["firstSeen"], rows_["Google"]["lastSeen"]) == ("2013-10-16", "2016-01-28")
    assert rows_["University_of_Toronto"]["firstSeen"] == "2012"


# --- Research contributions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("paper", "task", "data"), [
    ("AlexNet_paper", "Image_classification", {"ImageNet"}),
    ("ResNet_paper", "Image_classification", {"ImageNet"}),
    ("Word2vec_paper", "Word_representation_learning", {"Google_News_corpus"}),
    ("DQN_arXiv_paper", "Atari_game_playing", {"Atari_2600_games"}),
    ("DQN_Nature_paper", "Atari_game_playing", {"Atari_2600_games"}),
    ("GAN_paper", "Generative_modelling", {"MNIST", "Toronto_Face_Database", "CIFAR-10"}),
    ("AlphaGo_paper", "Playing_Go", {"KGS_Go_positions"}),
    ("AlphaGo_Zero_paper", "Playing_Go", set()),
    ("Transformer_paper", "Machine_translation", {"WMT_2014_English-German", "WMT_2014_English-French"}),
])
def test_research_contributions(store, paper, task, data):
    found = rows(store, f"""
        SELECT ?task ?method ?data WHERE {{ aikgr:{paper} aikg:contribution ?c .
          ?c aikg:addresses ?task ; aikg:method ?method .
          ?task skos:inScheme aikgr:Tasks . OPTIONAL {{ ?c aikg:evaluatedOn ?data }} }}""")
    assert {r["task"].value[len(R):] for r in found} == {task}
    assert {r["data"].value[len(R):] for r in found if "data" in r} == data
    # The method is the model the paper describes.
    models = rows(store, f"SELECT ?m WHERE {{ ?m aikg:paper aikgr:{paper} }}")
    assert {r["method"].value for r in found} <= {r["m"].value for r in models}


def test_techniques_form_one_concept_scheme(store):
    outside = rows(store, """
        SELECT ?t WHERE { ?t a aikg:Technique FILTER NOT EXISTS { ?t skos:inScheme aikgr:Techniques } }""")
    assert outside == []
    tops = {r["t"].value[len(R):] for r in rows(store, "SELECT ?t WHERE { ?t skos:topConceptOf aikgr:Techniques }")}
    assert {"Deep_learning", "Reinforcement_learning"} <= tops


# --- The build -------------------------------------------------------------------------------------------------


def test_shipped_file_is_what_the_curation_file_builds():
    assert build(TRIG).turtle() == SHIPPED.read_bytes(), "run `aikg build` and commit data/milestones.ttl"


def test_build_check_command(runner, tmp_path):
    out = tmp_path / "out.ttl"
    assert runner.invoke(cli, ["build", str(TRIG), "-o", str(out)]).exit_code == 0
    result = runner.invoke(cli, ["build", str(TRIG), "-o", str(out), "--check"])
    assert result.exit_code == 0, result.output
    out.write_bytes(out.read_bytes() + b"\n# edited by hand\n")
    result = runner.invoke(cli, ["build", str(TRIG), "-o", str(out), "--check"])
    assert result.exit_code == 1 and "is not what" in result.output


PREFIXES = """@prefix aikg: <https://w3id.org/ai-history/ontology/> .
@prefix aikgr: <https://w3id.org/ai-history/resource/> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
<https://example.org/doc> a aikg:Source ; dcterms:title "A document" .
aikgr:X a aikg:Organisation ; rdfs:label "X"@en .
"""


@pytest.mark.parametrize(("body", "problem"), [
    ('aikgr:X aikg:foundingDate "2011" .', "belongs in the graph of its source"),
    ('<https://example.org/other> { aikgr:X aikg:foundingDate "2011" . }', "does not describe"),
    ('[] a rdf:Statement ; rdf:subject aikgr:X ; rdf:predicate aikg:foundingDate ; rdf:object "2011" ; '
     'aikg:statementRank aikg:PreferredRank .', "no source makes"),
    ('<https://example.org/doc> { aikgr:X aikg:foundingDate [ rdfs:label "a blank node"@en ] . }', "name their values"),
])
def test_build_refuses_what_breaks_the_conventions(tmp_path, body, problem):
    trig = tmp_path / "bad.trig"
    trig.write_text(PREFIXES + body + "\n", encoding="utf-8")
    with pytest.raises(InvalidData, match=problem):
        build(trig)


def test_a_statement_two_sources_make_is_one_node_with_both(tmp_path):
    trig = tmp_path / "two.trig"
    trig.write_text(PREFIXES + '<https://example.org/other> a aikg:Source ; dcterms:title "Another" .\n'
                    '<https://example.org/doc> { aikgr:X aikg:foundingDate "2011" . }\n'
                    '<https://example.org/other> { aikgr:X aikg:foundingDate "2011" . }\n', encoding="utf-8")
    built = build(trig)
    [statement] = built.statements
    assert {s.value for s in statement.sources} == {"https://example.org/doc", "https://example.org/other"}
    graph = list(ox.parse(built.turtle(), format=ox.RdfFormat.TURTLE))
    assert sum(1 for t in graph if t.predicate.value.endswith("#wasDerivedFrom")) == 2
    assert sum(1 for t in graph if t.predicate.value == ONT + "foundingDate") == 1
