"""Competency questions over the shipped data: the Deep Learning Breakthrough era (2012–2017).

Every expected answer below comes from the era's reference facts (the seed page, the papers and the public
announcements), not from running the queries: a wrong or missing fact in data/ makes a test fail.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest

from aikg.ingest.epoch import default_curated
from aikg.ingest.files import sources
from aikg.ingest.load import build_memory_store
from aikg.namespaces import sparql_prologue
from aikg.resources import default_data, default_ontology
from aikg.store import ask, select

R = "https://w3id.org/ai-history/resource/"
UNIT = "http://qudt.org/vocab/unit/"
SEED = "https://aitimeline.world/era/breakthrough"
P = sparql_prologue()

# The summary and milestone paragraphs of the seed page, verbatim, to check that no description copies its sentences.
SEED_TEXT = """
The Deep Learning Breakthrough era of artificial intelligence spans 2012 to 2017.
AlexNet shocked the world. Deep learning conquered image recognition, games, and language. The Transformer
architecture changed everything.
AlexNet, a deep convolutional neural network, won the ImageNet competition by a staggering margin — reducing the
error rate from 26% to 16%. Trained on two NVIDIA GTX 580 GPUs, it was dramatically deeper and more powerful than
previous entries. The AI community was stunned.
Google researchers published Word2Vec, showing that relatively small neural networks could efficiently learn
meaningful vector representations of words from large text corpora. The famous example `king - man + woman ≈ queen`
made the idea vivid: semantic relationships could be captured geometrically in vector space.
DeepMind demonstrated a deep reinforcement learning agent (Deep Q-Network) that learned to play Atari 2600 games
directly from pixel inputs, achieving superhuman performance on many games with no task-specific engineering.
Google acquired DeepMind for ~$500 million shortly after.
Ian Goodfellow introduced GANs — two neural networks (generator and discriminator) competing against each other,
one creating fake data and the other trying to detect it. The concept allegedly came to him during a bar
conversation. Yann LeCun called GANs 'the most interesting idea in the last 10 years in ML.'
Amazon launched the Echo smart speaker with Alexa voice assistant, creating an entirely new product category. Alexa
could play music, control smart home devices, answer questions, and run third-party 'skills.' It brought always-on
AI into the living room.
OpenAI was founded as a non-profit AI research lab with $1 billion in committed funding, aiming to ensure artificial
general intelligence benefits all of humanity. Co-founded by Sam Altman (Y Combinator president), Elon Musk, and
top researchers including Ilya Sutskever from Google Brain.
Microsoft Research introduced ResNet with skip connections (residual connections), enabling the training of
networks with 152+ layers — 8x deeper than previous networks. ResNet won ImageNet 2015 with 3.57% error,
surpassing human-level performance (5.1%) for the first time.
Google open-sourced TensorFlow, its internal machine learning framework. This gave every researcher and developer
access to the same tools Google used internally. PyTorch (Facebook, 2016) followed, creating a healthy competition
that accelerated the entire field.
DeepMind's AlphaGo defeated Lee Sedol, one of the greatest Go players ever, 4-1 in a five-game match in Seoul. Go
has more possible positions than atoms in the universe — brute force was impossible. AlphaGo used deep
reinforcement learning and Monte Carlo tree search. In Game 2, AlphaGo played Move 37 — a move so creative that
experts called it 'beautiful' and 'not a human move.'
Eight researchers at Google published 'Attention Is All You Need,' introducing the Transformer architecture. It
replaced recurrence with self-attention mechanisms that could process entire sequences in parallel. The paper's
title was deliberately bold — and proved prescient.
AlphaGo Zero achieved superhuman Go performance with ZERO human knowledge — no training data from human games, no
hand-crafted features. It learned entirely through self-play, and within 40 days surpassed all previous versions,
including the one that beat Lee Sedol.
"""


@pytest.fixture(scope="module")
def store():
    """The curated era alone: these answers come from its reference facts (Epoch's graph has its own tests)."""
    return build_memory_store(sources(default_curated(), default_ontology()))


@pytest.fixture(scope="module")
def shipped_store():
    """Everything shipped, the curated era and the imported Epoch graph, as `aikg serve` loads it."""
    return build_memory_store(sources(default_data(), default_ontology()))


def rows(store, text: str, **bindings) -> list[dict]:
    return select(store, P + text, **bindings)


def iri(term) -> str:
    return term.value


def local(term) -> str:
    assert term.value.startswith(R), term.value
    return term.value[len(R):]


def names(store, resource_iri: str) -> set[str]:
    found = rows(store, f"SELECT ?n WHERE {{ <{resource_iri}> rdfs:label|skos:altLabel ?n }}")
    return {r["n"].value for r in found}


# --- Competency question: what did DeepMind produce? ------------------------------------------------------


def test_deepmind_produced_dqn_alphago_and_alphago_zero_with_dates(store):
    found = rows(store, """
        SELECT ?model ?label ?date WHERE {
          ?model a aikg:Model ; aikg:producedBy aikgr:DeepMind ; rdfs:label ?label .
          OPTIONAL { ?model aikg:releaseDate ?date }
        }""")
    got = {r["label"].value: r.get("date") for r in found}
    # DQN in two versions (E1): the arXiv paper of 19 December 2013 and the Nature article of 26 February 2015.
    assert set(got) == {"DQN", "DQN (Nature 2015)", "AlphaGo", "AlphaGo Zero"}
    # AlphaGo: Nature, 28 January 2016; AlphaGo Zero: Nature issue of 19 October 2017.
    assert {k: v.value for k, v in got.items() if v is not None} == {
        "DQN": "2013-12-19", "DQN (Nature 2015)": "2015-02-26", "AlphaGo": "2016-01-28", "AlphaGo Zero": "2017-10-19"}
    assert got["DQN"].datatype.value.endswith("#date")
    assert got["AlphaGo"].datatype.value.endswith("#date")


def test_every_requested_artefact_has_a_date(store):
    wanted = {"DQN", "AlphaGo", "AlphaGo Zero", "AlexNet", "ResNet", "Transformer", "TensorFlow", "PyTorch",
              "word2vec", "GAN", "Amazon Echo", "Alexa"}
    found = rows(store, """
        SELECT DISTINCT ?name WHERE {
          ?x a aikg:Artefact ; rdfs:label|skos:altLabel ?name ; aikg:releaseDate|aikg:publicationDate ?d }""")
    assert wanted <= {r["name"].value for r in found}


# --- People and organisations ------------------------------------------------------------------------------

SEED_PEOPLE = ["Ian Goodfellow", "Yann LeCun", "Sam Altman", "Elon Musk", "Ilya Sutskever", "Lee Sedol"]
FACT_PEOPLE = ["Alex Krizhevsky", "Geoffrey Hinton", "Tomas Mikolov", "Kaiming He", "Demis Hassabis", "David Silver",
               "Shane Legg", "Mustafa Suleyman", "Greg Brockman", "Andrej Karpathy", "Reid Hoffman",
               "Jessica Livingston", "Peter Thiel", "Fan Hui", "Jeff Dean", "Andrew Ng"]
SEED_ORGS = ["Google", "DeepMind", "Amazon", "OpenAI", "Y Combinator", "Google Brain", "Microsoft Research",
             "Facebook", "NVIDIA"]
FACT_ORGS = ["Facebook AI Research", "Microsoft", "Microsoft Research Asia", "University of Toronto",
             "Université de Montréal", "YC Research", "Amazon Web Services", "Infosys", "Google Research"]


@pytest.mark.parametrize("name", SEED_PEOPLE + FACT_PEOPLE)
def test_person_is_present(store, name):
    assert ask(store, P + f"ASK {{ ?p a aikg:Person ; rdfs:label|skos:altLabel ?n FILTER(STR(?n) = {_lit(name)}) }}")


@pytest.mark.parametrize("name", SEED_ORGS + FACT_ORGS)
def test_organisation_is_present(store, name):
    assert ask(store, P + f"ASK {{ ?o a aikg:Organisation ; rdfs:label|skos:altLabel ?n "
                          f"FILTER(STR(?n) = {_lit(name)}) }}")


def _lit(text: str) -> str:
    """Write a string as a SPARQL literal (the engine binds only projected variables, so tests inline terms)."""
    return json.dumps(text, ensure_ascii=False)


@pytest.mark.parametrize(("child", "parent"), [
    ("Google_Brain", "Google"), ("Google_Research", "Google"), ("DeepMind", "Google"),
    ("Facebook_AI_Research", "Facebook"), ("Microsoft_Research", "Microsoft"),
    ("Microsoft_Research_Asia", "Microsoft_Research"), ("Amazon_Web_Services", "Amazon"),
    ("YC_Research", "Y_Combinator"),
])
def test_parent_organisations(store, child, parent):
    assert ask(store, P + f"ASK {{ aikgr:{child} aikg:parentOrganisation aikgr:{parent} }}")
    # The inverse is materialised by the loader from owl:inverseOf.
    assert ask(store, P + f"ASK {{ aikgr:{parent} aikg:subOrganisation aikgr:{child} }}")


def test_deepmind_founding_and_acquisition(store):
    found = rows(store, """
        SELECT ?founded ?since ?place ?buyer WHERE {
          aikgr:DeepMind aikg:foundingDate ?founded ; aikg:since ?since ; aikg:location/rdfs:label ?place ;
                         aikg:acquiredBy ?buyer }""")
    assert len(found) == 1
    assert found[0]["founded"].value == "2010"
    assert found[0]["since"].value == "2014"
    assert found[0]["place"].value == "London"
    assert iri(found[0]["buyer"]) == R + "Google"
    founders = rows(store, "SELECT ?f WHERE { aikgr:DeepMind aikg:foundedBy ?f }")
    assert {local(r["f"]) for r in founders} == {"Demis_Hassabis", "Shane_Legg", "Mustafa_Suleyman"}


def test_fair_founded_december_2013_directed_by_lecun(store):
    found = rows(store, """
        SELECT ?d ?role ?start WHERE {
          aikgr:Facebook_AI_Research aikg:foundingDate ?d .
          aikgr:Yann_LeCun aikg:affiliation ?a . ?a aikg:organisation aikgr:Facebook_AI_Research ;
             aikg:role ?role ; aikg:startDate ?start }""")
    assert [(r["d"].value, r["role"].value, r["start"].value) for r in found] == [("2013-12", "director", "2013-12")]


def test_sutskever_affiliations_over_time(store):
    found = rows(store, """
        SELECT ?org ?role ?start ?end ?src WHERE {
          aikgr:Ilya_Sutskever aikg:affiliation ?a .
          ?a a aikg:Affiliation ; aikg:organisation ?org ; dcterms:source ?src .
          OPTIONAL { ?a aikg:role ?role } OPTIONAL { ?a aikg:startDate ?start } OPTIONAL { ?a aikg:endDate ?end } }""")
    orgs = {local(r["org"]) for r in found}
    assert orgs == {"University_of_Toronto", "Google_Brain", "OpenAI"}
    openai = [r for r in found if local(r["org"]) == "OpenAI"]
    assert "research director" in openai[0]["role"].value
    assert "co-founder" in openai[0]["role"].value
    assert openai[0]["start"].value.startswith("2015")
    brain = [r for r in found if local(r["org"]) == "Google_Brain"]
    assert brain[0]["end"].value.startswith("2015")
    shortcut = rows(store, "SELECT ?o WHERE { aikgr:Ilya_Sutskever aikg:affiliatedWith ?o }")
    assert orgs <= {local(r["o"]) for r in shortcut}


def test_altman_president_of_y_combinator_2014_to_2019(store):
    found = rows(store, """
        SELECT ?start ?end WHERE {
          aikgr:Sam_Altman aikg:affiliation ?a . ?a aikg:organisation aikgr:Y_Combinator ; aikg:role "president" ;
             aikg:startDate ?start ; aikg:endDate ?end ; dcterms:source ?s }""")
    assert {(r["start"].value, r["end"].value) for r in found} == {("2014", "2019")}


# --- Figures: value, unit, date, benchmark, source ---------------------------------------------------------

FIGURE_QUERY = """
SELECT ?m ?value ?unit ?date ?bench ?comp ?rank ?qualifier ?hardware ?src WHERE {
  ?m a aikg:Measurement ; aikg:metric aikgr:{metric} ; aikg:achievedBy aikgr:{by} ;
     aikg:value ?value ; aikg:unit ?unit ; aikg:date ?date ; dcterms:source ?src .
  OPTIONAL { ?m aikg:benchmark ?bench }
  OPTIONAL { ?m aikg:competition ?comp }
  OPTIONAL { ?m aikg:rank ?rank }
  OPTIONAL { ?m aikg:qualifier ?qualifier }
  OPTIONAL { ?m aikg:hardware ?hardware }
}"""

# (achieved by, metric, value, unit, year, benchmark, competition) from the reference facts.
FIGURES = [
    ("AlexNet", "Top-5_error_rate", "15.3", "PERCENT", "2012", "ImageNet", "ILSVRC_2012"),
    ("AlexNet", "Number_of_GPUs", "2", "NUM", "2012", None, None),
    ("AlexNet", "Number_of_parameters", "60000000", "NUM", "2012", None, None),
    ("ResNet", "Top-5_error_rate", "3.57", "PERCENT", "2015", "ImageNet", "ILSVRC_2015"),
    ("ResNet", "Number_of_layers", "152", "NUM", "2015", None, None),
    ("Andrej_Karpathy", "Top-5_error_rate", "5.1", "PERCENT", "2015", "ImageNet", None),
    ("AlphaGo_Zero", "Training_duration", "40", "DAY", "2017", None, None),
    ("AlphaGo_Zero", "Training_duration", "3", "DAY", "2017", None, None),
    ("AlphaGo_Zero", "Games_won", "100", "NUM", "2017", None, None),
    ("AlphaGo_Lee", "Games_won", "0", "NUM", "2017", None, None),
    ("AlphaGo", "Games_won", "4", "NUM", "2016", None, None),
    ("Lee_Sedol", "Games_won", "1", "NUM", "2016", None, None),
    ("Transformer", "BLEU_score", "28.4", None, "2017", "WMT_2014_English-German", None),
    ("Transformer", "BLEU_score", "41.8", None, "2017", "WMT_2014_English-French", None),
]


def _figures(store, by: str, metric: str) -> list[dict]:
    return rows(store, FIGURE_QUERY.replace("{metric}", metric).replace("{by}", by))


@pytest.mark.parametrize(("by", "metric", "value", "unit", "year", "bench", "comp"), FIGURES)
def test_figure_is_queryable(store, by, metric, value, unit, year, bench, comp):
    found = [r for r in _figures(store, by, metric) if Decimal(r["value"].value) == Decimal(value)]
    assert found, f"no {metric} = {value} for {by}"
    row = found[0]
    if unit is not None:
        assert iri(row["unit"]) == UNIT + unit
    else:
        assert iri(row["unit"]).startswith(UNIT)
    assert row["date"].value.startswith(year)
    assert (local(row["bench"]) if "bench" in row else None) == bench
    assert (local(row["comp"]) if "comp" in row else None) == comp
    assert iri(row["src"])


def test_alexnet_error_against_runner_up_and_seed_rounding(store):
    found = rows(store, """
        SELECT ?v ?rank ?ov ?orank ?note WHERE {
          ?m aikg:achievedBy aikgr:AlexNet ; aikg:metric aikgr:Top-5_error_rate ; aikg:value ?v ; aikg:rank ?rank ;
             aikg:comparedWith ?o ; skos:note ?note .
          ?o aikg:value ?ov ; aikg:rank ?orank ; aikg:competition aikgr:ILSVRC_2012 }""")
    assert len(found) == 1
    r = found[0]
    assert (Decimal(r["v"].value), int(r["rank"].value)) == (Decimal("15.3"), 1)
    assert (Decimal(r["ov"].value), int(r["orank"].value)) == (Decimal("26.2"), 2)
    assert "16%" in r["note"].value and "26%" in r["note"].value


def test_alexnet_gpus_are_gtx_580(store):
    found = _figures(store, "AlexNet", "Number_of_GPUs")
    assert {local(r["hardware"]) for r in found} == {"NVIDIA_GTX_580"}
    assert ask(store, P + "ASK { aikgr:NVIDIA_GTX_580 aikg:producedBy aikgr:NVIDIA }")


def test_alexnet_parameters_are_approximate(store):
    found = _figures(store, "AlexNet", "Number_of_parameters")
    assert {r["qualifier"].value for r in found} == {"about"}


def test_resnet_compared_with_estimated_human_error(store):
    found = rows(store, """
        SELECT ?hv ?q WHERE {
          ?m aikg:achievedBy aikgr:ResNet ; aikg:metric aikgr:Top-5_error_rate ; aikg:comparedWith ?h .
          ?h aikg:value ?hv ; aikg:qualifier ?q }""")
    assert [(Decimal(r["hv"].value), r["q"].value) for r in found] == [(Decimal("5.1"), "estimated")]


def test_transformer_first_arxiv_version_figure_is_a_ranked_statement_citing_v1(store):
    # One measurement, two values: the revised 41.8 asserted and preferred, the first version's 41.0 kept as a
    # statement of normal rank that only arXiv v1 makes.
    found = rows(store, """
        SELECT ?v ?src ?rank WHERE {
          ?st rdf:subject aikgr:Transformer_BLEU_WMT_2014_English-French ; rdf:predicate aikg:value ; rdf:object ?v ;
              prov:wasDerivedFrom ?src .
          OPTIONAL { ?st aikg:statementRank ?rank } }""")
    got = {(Decimal(r["v"].value), r["src"].value, r["rank"].value if "rank" in r else None) for r in found}
    assert got == {(Decimal("41.8"), "https://arxiv.org/abs/1706.03762", "https://w3id.org/ai-history/ontology/PreferredRank"),
                   (Decimal("41.0"), "https://arxiv.org/abs/1706.03762v1", None)}
    asserted = rows(store, "SELECT ?v WHERE { aikgr:Transformer_BLEU_WMT_2014_English-French aikg:value ?v }")
    assert [Decimal(r["v"].value) for r in asserted] == [Decimal("41.8")]


# --- Acquisition, founding, match --------------------------------------------------------------------------


def test_deepmind_acquisition_with_each_reported_price(store):
    head = rows(store, """
        SELECT ?date ?disclosed WHERE {
          ?a a aikg:Acquisition ; aikg:acquirer aikgr:Google ; aikg:acquired aikgr:DeepMind ;
             aikg:date ?date ; aikg:priceDisclosed ?disclosed }""")
    assert [(r["date"].value, r["disclosed"].value) for r in head] == [("2014-01-26", "false")]
    prices = rows(store, """
        SELECT ?v ?cur ?q ?srcLabel WHERE {
          ?a a aikg:Acquisition ; aikg:acquired aikgr:DeepMind ; aikg:reportedPrice ?p .
          ?p a aikg:MonetaryAmount ; aikg:value ?v ; aikg:currency ?cur ; aikg:qualifier ?q ;
             dcterms:source ?s . ?s rdfs:label ?srcLabel }""")
    got = {(int(Decimal(r["v"].value)), r["cur"].value, r["q"].value) for r in prices}
    assert got == {
        (500_000_000, "USD", "about"),       # seed page
        (500_000_000, "USD", "at least"),    # The Information: over $500 million
        (400_000_000, "USD", "estimated"),   # Re/code: $400 million, a press estimate (E4)
        (400_000_000, "GBP", "at least"),    # The Telegraph: over £400 million
    }
    labels = " ".join(r["srcLabel"].value for r in prices)
    for outlet in ("AI Timeline", "TechCrunch", "Re/code", "Telegraph"):
        assert outlet in labels


def test_openai_founding(store):
    found = rows(store, """
        SELECT ?date ?v ?cur WHERE {
          ?f a aikg:Founding ; aikg:founded aikgr:OpenAI ; aikg:date ?date ; aikg:amount ?a .
          ?a aikg:value ?v ; aikg:currency ?cur }""")
    assert [(r["date"].value, int(Decimal(r["v"].value)), r["cur"].value) for r in found] == [
        ("2015-12-11", 1_000_000_000, "USD")]
    chairs = rows(store, """
        SELECT ?p WHERE { ?p aikg:affiliation ?a . ?a aikg:organisation aikgr:OpenAI ; aikg:role "co-chair" }""")
    assert {local(r["p"]) for r in chairs} == {"Sam_Altman", "Elon_Musk"}
    funders = rows(store, "SELECT ?x WHERE { aikgr:OpenAI aikg:fundedBy ?x }")
    assert {local(r["x"]) for r in funders} == {
        "Sam_Altman", "Greg_Brockman", "Reid_Hoffman", "Jessica_Livingston", "Elon_Musk", "Peter_Thiel",
        "Amazon_Web_Services", "Infosys", "YC_Research"}
    founders = {local(r["x"]) for r in rows(store, "SELECT ?x WHERE { aikgr:OpenAI aikg:foundedBy ?x }")}
    assert {"Sam_Altman", "Elon_Musk", "Ilya_Sutskever", "Greg_Brockman", "Andrej_Karpathy", "Durk_Kingma",
            "John_Schulman", "Pamela_Vagata", "Wojciech_Zaremba", "Trevor_Blackwell", "Vicki_Cheung"} == founders


def test_alphago_lee_sedol_match(store):
    match = rows(store, """
        SELECT ?m ?score ?start ?end ?venue ?city WHERE {
          ?m a aikg:Match ; aikg:participant aikgr:AlphaGo , aikgr:Lee_Sedol ; aikg:winner aikgr:AlphaGo ;
             aikg:score ?score ; aikg:startDate ?start ; aikg:endDate ?end ;
             aikg:location ?v . ?v rdfs:label ?venue ; aikg:location/rdfs:label ?city }""")
    assert [(r["score"].value, r["start"].value, r["end"].value, r["venue"].value, r["city"].value)
            for r in match] == [("4–1", "2016-03-09", "2016-03-15", "Four Seasons Hotel Seoul", "Seoul")]
    the_match = match[0]["m"].value
    games = rows(store, f"""
        SELECT ?n ?date ?winner WHERE {{
          ?g a aikg:Game ; aikg:partOfEvent <{the_match}> ; aikg:gameNumber ?n ; aikg:date ?date ;
             aikg:winner ?winner }}""")
    got = sorted((int(r["n"].value), r["date"].value, local(r["winner"])) for r in games)
    assert got == [
        (1, "2016-03-09", "AlphaGo"), (2, "2016-03-10", "AlphaGo"), (3, "2016-03-12", "AlphaGo"),
        (4, "2016-03-13", "Lee_Sedol"), (5, "2016-03-15", "AlphaGo")]
    moves = rows(store, f"""
        SELECT ?n ?mv ?by WHERE {{
          ?g aikg:partOfEvent <{the_match}> ; aikg:gameNumber ?n ; aikg:notableMove ?x .
          ?x a aikg:Move ; aikg:moveNumber ?mv ; aikg:playedBy ?by }}""")
    assert sorted((int(r["n"].value), int(r["mv"].value), local(r["by"])) for r in moves) == [
        (2, 37, "AlphaGo"), (4, 78, "Lee_Sedol")]


def test_alphago_zero_beat_alphago_lee_100_to_0(store):
    found = rows(store, """
        SELECT ?score WHERE { ?m a aikg:Match ; aikg:winner aikgr:AlphaGo_Zero ; aikg:participant aikgr:AlphaGo_Lee ;
                              aikg:score ?score }""")
    assert [r["score"].value for r in found] == ["100–0"]


# --- The era and its milestones ----------------------------------------------------------------------------


def test_era_has_eleven_dated_described_milestones(store):
    era = rows(store, """
        SELECT ?start ?end WHERE { ?e a aikg:Era ; rdfs:label "Deep Learning Breakthrough"@en ;
                                   aikg:startYear ?start ; aikg:endYear ?end }""")
    assert [(int(r["start"].value), int(r["end"].value)) for r in era] == [(2012, 2017)]
    found = rows(store, """
        SELECT ?m ?date ?year ?desc WHERE {
          aikgr:Deep_Learning_Breakthrough aikg:hasMilestone ?m .
          ?m a aikg:Milestone ; aikg:era aikgr:Deep_Learning_Breakthrough ; aikg:date ?date ; aikg:year ?year ;
             dcterms:description ?desc ; dcterms:source ?src
          FILTER(LANG(?desc) = "en") }""")
    by_milestone = {r["m"].value: r for r in found}
    assert len(by_milestone) == 11
    for r in by_milestone.values():
        assert r["year"].datatype.value.endswith("#integer")
        assert r["date"].value[:4] == r["year"].value
        assert 2012 <= int(r["year"].value) <= 2017
        assert r["date"].datatype.value.rsplit("#", 1)[1] in {"date", "gYearMonth", "gYear"}
        assert len(r["desc"].value) > 80
    # Years of the eleven milestones, from the seed page and the facts.
    years = sorted(int(r["year"].value) for r in by_milestone.values())
    assert years == [2012, 2013, 2013, 2014, 2014, 2015, 2015, 2015, 2016, 2017, 2017]


@pytest.mark.parametrize(("later", "earlier"), [
    ("ResNet_wins_ILSVRC_2015", "AlexNet_wins_ILSVRC_2012"),
    ("AlphaGo_defeats_Lee_Sedol_2016", "DQN_masters_Atari_2013"),
    ("AlphaGo_Zero_learns_from_scratch_2017", "AlphaGo_defeats_Lee_Sedol_2016"),
])
def test_milestones_build_on_earlier_ones(store, later, earlier):
    assert ask(store, P + f"ASK {{ aikgr:{later} aikg:buildsOn aikgr:{earlier} }}")


def test_alphago_zero_surpasses_alphago(store):
    assert ask(store, P + """ASK { aikgr:AlphaGo_Zero_learns_from_scratch_2017 aikg:surpasses
                                   aikgr:AlphaGo_defeats_Lee_Sedol_2016 .
                                   aikgr:AlphaGo_Zero aikg:surpasses aikgr:AlphaGo }""")


# --- Papers and their authors ------------------------------------------------------------------------------

# Bylines from the reference facts, in order; identified by arXiv id or DOI (AlexNet by title).
BYLINES = {
    "ImageNet Classification with Deep Convolutional Neural Networks": [
        "Alex Krizhevsky", "Ilya Sutskever", "Geoffrey E. Hinton"],
    "1301.3781": ["Tomas Mikolov", "Kai Chen", "Greg Corrado", "Jeffrey Dean"],
    "1310.4546": ["Tomas Mikolov", "Ilya Sutskever", "Kai Chen", "Greg Corrado", "Jeffrey Dean"],
    "1312.5602": ["Volodymyr Mnih", "Koray Kavukcuoglu", "David Silver", "Alex Graves", "Ioannis Antonoglou",
                  "Daan Wierstra", "Martin Riedmiller"],
    "10.1038/nature14236": [
        "Volodymyr Mnih", "Koray Kavukcuoglu", "David Silver", "Andrei A. Rusu", "Joel Veness", "Marc G. Bellemare",
        "Alex Graves", "Martin Riedmiller", "Andreas K. Fidjeland", "Georg Ostrovski", "Stig Petersen",
        "Charles Beattie", "Amir Sadik", "Ioannis Antonoglou", "Helen King", "Dharshan Kumaran", "Daan Wierstra",
        "Shane Legg", "Demis Hassabis"],
    "1406.2661": ["Ian J. Goodfellow", "Jean Pouget-Abadie", "Mehdi Mirza", "Bing Xu", "David Warde-Farley",
                  "Sherjil Ozair", "Aaron Courville", "Yoshua Bengio"],
    "1512.03385": ["Kaiming He", "Xiangyu Zhang", "Shaoqing Ren", "Jian Sun"],
    "10.1038/nature16961": [
        "David Silver", "Aja Huang", "Chris J. Maddison", "Arthur Guez", "Laurent Sifre", "George van den Driessche",
        "Julian Schrittwieser", "Ioannis Antonoglou", "Veda Panneershelvam", "Marc Lanctot", "Sander Dieleman",
        "Dominik Grewe", "John Nham", "Nal Kalchbrenner", "Ilya Sutskever", "Timothy Lillicrap", "Madeleine Leach",
        "Koray Kavukcuoglu", "Thore Graepel", "Demis Hassabis"],
    "1706.03762": ["Ashish Vaswani", "Noam Shazeer", "Niki Parmar", "Jakob Uszkoreit", "Llion Jones",
                   "Aidan N. Gomez", "Łukasz Kaiser", "Illia Polosukhin"],
    "10.1038/nature24270": [
        "David Silver", "Julian Schrittwieser", "Karen Simonyan", "Ioannis Antonoglou", "Aja Huang", "Arthur Guez",
        "Thomas Hubert", "Lucas Baker", "Matthew Lai", "Adrian Bolton", "Yutian Chen", "Timothy Lillicrap",
        "Fan Hui", "Laurent Sifre", "George van den Driessche", "Thore Graepel", "Demis Hassabis"],
}

AUTHOR_COUNTS = {"ImageNet Classification with Deep Convolutional Neural Networks": 3, "1301.3781": 4,
                 "1310.4546": 5, "1312.5602": 7, "10.1038/nature14236": 19, "1406.2661": 8, "1512.03385": 4,
                 "10.1038/nature16961": 20, "1706.03762": 8, "10.1038/nature24270": 17}


def _paper(store, key: str):
    found = rows(store, f"""
        SELECT DISTINCT ?p WHERE {{ ?p a aikg:Paper .
          {{ ?p aikg:arxivId ?k }} UNION {{ ?p aikg:doi ?k }} UNION {{ ?p rdfs:label ?l BIND(STR(?l) AS ?k) }}
          FILTER(STR(?k) = {_lit(key)}) }}""")
    assert len(found) == 1, f"{key}: {len(found)} papers"
    return found[0]["p"].value


@pytest.mark.parametrize(("key", "count"), AUTHOR_COUNTS.items())
def test_author_count(store, key, count):
    paper = _paper(store, key)
    found = rows(store, f"SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE {{ <{paper}> aikg:author ?a . ?a a aikg:Person }}")
    assert int(found[0]["n"].value) == count


@pytest.mark.parametrize("key", BYLINES)
def test_author_list_in_byline_order(store, key):
    paper = _paper(store, key)
    found = rows(store, f"""
        SELECT ?person (COUNT(?mid) AS ?pos) WHERE {{
          <{paper}> aikg:authorList ?list . ?list rdf:rest* ?mid . ?mid rdf:rest* ?node . ?node rdf:first ?person
        }} GROUP BY ?node ?person ORDER BY ?pos""")
    ordered = [r["person"] for r in found]
    assert len(ordered) == len(BYLINES[key])
    for person, name in zip(ordered, BYLINES[key], strict=True):
        assert name in names(store, person.value), (person.value, name)
    # The list and the aikg:author links name the same people.
    authors = rows(store, f"SELECT ?a WHERE {{ <{paper}> aikg:author ?a }}")
    assert {r["a"].value for r in authors} == {p.value for p in ordered}


def test_papers_have_venue_identifier_and_source(store):
    found = rows(store, """
        SELECT ?p ?venue ?id ?src ?date WHERE { ?p a aikg:Paper ; aikg:venue ?venue ; dcterms:source ?src ;
                                                   aikg:publicationDate ?date .
          OPTIONAL { ?p aikg:arxivId|aikg:doi ?id } }""")
    papers = {r["p"].value for r in found}
    assert len(papers) == 10
    with_id = {r["p"].value for r in found if "id" in r}
    # Every paper but the NIPS 2012 AlexNet paper (which has neither) has an arXiv id or a DOI.
    assert len(with_id) == 9


# --- Time-awareness ----------------------------------------------------------------------------------------

TIME_AWARE_GOOGLE = """
SELECT DISTINCT ?x WHERE {
  { ?x aikg:producedBy aikgr:Google }
  UNION
  { ?x aikg:producedBy ?unit ; aikg:releaseDate|aikg:publicationDate ?d .
    ?unit aikg:parentOrganisation aikgr:Google .
    OPTIONAL { ?unit aikg:since ?since }
    FILTER(!BOUND(?since) || xsd:integer(SUBSTR(STR(?d), 1, 4)) >= xsd:integer(SUBSTR(STR(?since), 1, 4))) }
}"""


def test_dqn_2013_paper_predates_the_acquisition_and_is_not_credited_to_google(store):
    assert not ask(store, P + "ASK { { aikgr:DQN aikg:producedBy aikgr:Google } UNION "
                              "{ aikgr:DQN_arXiv_paper aikg:producedBy aikgr:Google } }")
    found = rows(store, """
        SELECT ?paperDate ?dealDate WHERE {
          aikgr:DQN_arXiv_paper aikg:producedBy aikgr:DeepMind ; aikg:publicationDate ?paperDate .
          ?deal a aikg:Acquisition ; aikg:acquired aikgr:DeepMind ; aikg:date ?dealDate }""")
    assert len(found) == 1
    assert found[0]["paperDate"].value < found[0]["dealDate"].value
    google = {local(r["x"]) for r in rows(store, TIME_AWARE_GOOGLE)}
    assert "DQN_arXiv_paper" not in google and "DQN" not in google
    # After 2014 DeepMind's work counts as Google's; Google's own teams' work always does.
    assert {"AlphaGo", "AlphaGo_paper", "AlphaGo_Zero", "DQN_Nature_paper", "TensorFlow", "Transformer",
            "Word2vec"} <= google


# --- schema.org-only clients -------------------------------------------------------------------------------


def test_schema_org_client_finds_producers_authors_and_dates(store):
    prologue = "PREFIX schema: <https://schema.org/>\n"
    produced = select(store, prologue + f"""
        SELECT ?x ?d WHERE {{ ?x a schema:CreativeWork ; schema:producer <{R}DeepMind> ; schema:datePublished ?d }}""")
    got = {r["x"].value[len(R):]: r["d"].value for r in produced}
    assert {"DQN": "2013-12-19", "AlphaGo": "2016-01-28", "AlphaGo_Zero": "2017-10-19"}.items() <= got.items()
    authored = select(store, prologue + f"""
        SELECT ?paper ?d WHERE {{ ?paper a schema:ScholarlyArticle ; schema:author <{R}Geoffrey_Hinton> ;
                                  schema:datePublished ?d }}""")
    assert [(r["paper"].value[len(R):], r["d"].value) for r in authored] == [("AlexNet_paper", "2012")]
    assert ask(store, prologue + f"ASK {{ <{R}DeepMind> a schema:Organization . <{R}Demis_Hassabis> a schema:Person }}")


# --- Provenance and identifiers ----------------------------------------------------------------------------


@pytest.mark.parametrize("cls", ["Milestone", "Paper", "Measurement", "MonetaryAmount", "Affiliation",
                                 "Organisation", "Event", "ReportedValue", "Era"])
def test_every_fact_node_names_a_labelled_source(shipped_store, cls):
    missing = rows(shipped_store, f"""
        SELECT ?x WHERE {{ ?x a aikg:{cls} FILTER NOT EXISTS {{ ?x dcterms:source ?s . ?s rdfs:label ?l }} }}""")
    assert [r["x"].value for r in missing] == []


def test_seed_source_is_the_real_page(store):
    assert ask(store, P + f"""ASK {{ <{SEED}> a aikg:Source ; dcterms:title ?t ; rdfs:label ?l }}""")
    # No source is a placeholder of the project's own: the old w3id.org/ai-history/source/ IRIs are gone.
    assert not ask(store, P + """ASK { ?x dcterms:source|prov:wasDerivedFrom ?s
                                     FILTER(STRSTARTS(STR(?s), "https://w3id.org/ai-history/")) }""")


def test_pytorch_keeps_both_release_dates_with_their_sources(store):
    found = rows(store, """
        SELECT ?d ?src ?rank WHERE { ?st rdf:subject aikgr:PyTorch ; rdf:predicate aikg:releaseDate ; rdf:object ?d ;
          prov:wasDerivedFrom ?src ; aikg:statementRank ?rank ; aikg:rankReason ?why }""")
    assert {(r["d"].value, r["src"].value, r["rank"].value.rsplit("/", 1)[1]) for r in found} == {
        ("2016", SEED, "DeprecatedRank"), ("2017-01", "https://pytorch.org/blog/a-year-in/", "PreferredRank")}
    # Only the preferred date is asserted.
    assert [r["d"].value for r in rows(store, "SELECT ?d WHERE { aikgr:PyTorch aikg:releaseDate ?d }")] == ["2017-01"]
    assert ask(store, P + "ASK { aikgr:PyTorch aikg:producedBy aikgr:Facebook_AI_Research }")


def test_tensorflow(store):
    found = rows(store, """
        SELECT ?d ?lic WHERE { aikgr:TensorFlow aikg:releaseDate ?d ; aikg:licence ?l ;
          aikg:producedBy aikgr:Google_Brain ; aikg:successorOf aikgr:DistBelief . ?l rdfs:label ?lic }""")
    assert [(r["d"].value, r["lic"].value) for r in found] == [("2015-11-09", "Apache License 2.0")]


def test_echo_announced_then_generally_available(store):
    found = rows(store, """
        SELECT ?d ?place WHERE { ?r a aikg:Release ; aikg:released aikgr:Amazon_Echo ; aikg:date ?d .
                                 OPTIONAL { ?r aikg:location/rdfs:label ?place } } ORDER BY ?d""")
    assert [(r["d"].value, r["place"].value if "place" in r else None) for r in found] == [
        ("2014-11-06", None), ("2015-06-23", "United States")]


CHECKED_QIDS = {
    "Geoffrey_Hinton": "Q92894", "DeepMind": "Q15733006", "OpenAI": "Q21708200", "Microsoft": "Q2283",
    "NVIDIA": "Q182477", "Sam_Altman": "Q7407093", "Demis_Hassabis": "Q3022141", "University_of_Toronto": "Q180865",
    "Convolutional_neural_network": "Q17084460", "Reinforcement_learning": "Q830687",
    "Transformer_architecture": "Q85810444",
    "Google": "Q95", "Amazon": "Q3884", "Facebook": "Q380", "Elon_Musk": "Q317521", "Yann_LeCun": "Q3571662",
    "Ilya_Sutskever": "Q21712134", "Y_Combinator": "Q2616400", "Universite_de_Montreal": "Q392189",
    "TensorFlow": "Q21447895", "PyTorch": "Q47509047", "Deep_learning": "Q197536",
}


def test_wikidata_links_only_to_checked_qids(store):
    found = rows(store, """
        SELECT ?x ?q WHERE { ?x skos:exactMatch|schema:sameAs|owl:sameAs ?q
                             FILTER(STRSTARTS(STR(?q), "http://www.wikidata.org/")) }""")
    got = {local(r["x"]): r["q"].value.rsplit("/", 1)[1] for r in found}
    assert got == CHECKED_QIDS


def test_resource_iris_are_readable_slugs(store):
    found = rows(store, f"""
        SELECT DISTINCT ?x WHERE {{ {{ ?x ?p ?o }} UNION {{ ?s ?p ?x }} FILTER(STRSTARTS(STR(?x), "{R}")) }}""")
    bad = [r["x"].value for r in found if not re.fullmatch(r"[A-Za-z0-9_-]+", r["x"].value[len(R):])]
    assert len(found) > 200
    assert bad == []


def test_deep_q_learning_is_a_kind_of_reinforcement_learning(store):
    assert ask(store, P + "ASK { aikgr:Deep_Q-learning skos:broader+ aikgr:Reinforcement_learning . "
                          "aikgr:Deep_Q-learning a aikg:Technique , skos:Concept }")


# --- Descriptions are written afresh -----------------------------------------------------------------------


def _sentences(text: str) -> list[str]:
    flat = " ".join(text.split())
    return [s for s in re.split(r"(?<=[.!?])\s+", flat) if s]


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _shingles(words: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def test_no_description_copies_a_seed_sentence(store):
    seed_sentences = {" ".join(_words(s)) for s in _sentences(SEED_TEXT)}
    assert len(seed_sentences) > 25
    seed_shingles = _shingles(_words(SEED_TEXT), 8)
    descriptions = [r["d"].value for r in rows(store, "SELECT ?d WHERE { ?x dcterms:description ?d }")]
    assert len(descriptions) > 100
    for text in descriptions:
        for sentence in _sentences(text):
            assert " ".join(_words(sentence)) not in seed_sentences, sentence
        # No run of eight words in a row taken from the seed page either.
        shared = _shingles(_words(text), 8) & seed_shingles
        assert not shared, (text, shared)
