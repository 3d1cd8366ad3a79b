"""The graph's competency questions: every named query answers a question about the shipped data, and the
expected answers come from the reference facts (/work/shared/reference/facts.md), not from running the query.
Resources are named by the slugs of data/milestones.ttl."""

from __future__ import annotations

import pytest

from aikg.graph import catalogue as cat
from aikg.namespaces import RESOURCE
from aikg.web.http import get_store

R = RESOURCE


@pytest.fixture(scope="module")
def ask(full_app):
    store = get_store(full_app)

    def run(name: str, **params) -> list[dict]:
        query = cat.shipped().get(name)
        given = {k: v if isinstance(v, list) else [str(v)] for k, v in params.items()}
        result = query.run(store, query.bind(store, given))
        names = result.variables
        return [{n: (None if t is None else t.value) for n, t in zip(names, row, strict=True)} for row in result.rows]

    return run


def column(rows, name):
    return [r[name] for r in rows]


def test_every_query_has_a_competency_test():
    tested = {n[len("test_"):].split("__")[0].replace("_", "-") for n in globals() if n.startswith("test_")}
    missing = set(cat.shipped().names()) - tested
    assert not missing, f"queries without a competency test: {sorted(missing)}"


def test_produced_by(ask):
    rows = ask("produced-by", org="DeepMind")
    by = {r["milestone"]: r["date"] for r in rows}
    # DQN (arXiv December 2013), the Lee Sedol match (March 2016), AlphaGo Zero (Nature, 19 October 2017).
    assert set(by) == {R + "DQN_masters_Atari_2013", R + "AlphaGo_defeats_Lee_Sedol_2016",
                       R + "AlphaGo_Zero_learns_from_scratch_2017"}
    assert by[R + "DQN_masters_Atari_2013"].startswith("2013-12")
    assert by[R + "AlphaGo_defeats_Lee_Sedol_2016"].startswith("2016-03")
    assert by[R + "AlphaGo_Zero_learns_from_scratch_2017"] == "2017-10-19"
    assert column(rows, "milestone")[0] == R + "DQN_masters_Atari_2013"  # oldest first


def test_produced_by__subsidiaries_are_time_aware(ask):
    alone = set(column(ask("produced-by", org="Google"), "milestone"))
    family = set(column(ask("produced-by", org="Google", subsidiaries="true"), "milestone"))
    # Google itself: word2vec (2013) and TensorFlow (2015); not DeepMind's work.
    assert {R + "Word2vec_published_2013", R + "TensorFlow_open-sourced_2015"} <= alone
    assert R + "AlphaGo_defeats_Lee_Sedol_2016" not in alone
    # With subsidiaries: DeepMind's 2016 and 2017 work (acquired January 2014) and Google Brain's Transformer ...
    assert {R + "AlphaGo_defeats_Lee_Sedol_2016", R + "AlphaGo_Zero_learns_from_scratch_2017",
            R + "Transformer_introduced_2017"} <= family
    # ... but not DQN (December 2013), which predates the acquisition.
    assert R + "DQN_masters_Atari_2013" not in family


def test_artefacts_by(ask):
    titles = set(column(ask("artefacts-by", org="Google", kind="paper"), "artefactLabel"))
    assert titles == {"Efficient Estimation of Word Representations in Vector Space",
                      "Distributed Representations of Words and Phrases and their Compositionality"}
    software = column(ask("artefacts-by", org="Google Brain", kind="software"), "artefact")
    assert R + "TensorFlow" in software


def test_contributions(ask):
    rows = {r["milestone"]: r for r in ask("contributions", person="Ilya Sutskever")}
    # AlexNet co-author, word2vec NIPS paper co-author, OpenAI co-founder, AlphaGo Nature paper co-author.
    assert {R + "AlexNet_wins_ILSVRC_2012", R + "Word2vec_published_2013", R + "OpenAI_founded_2015",
            R + "AlphaGo_defeats_Lee_Sedol_2016"} <= set(rows)
    alexnet = rows[R + "AlexNet_wins_ILSVRC_2012"]
    assert "Alex Krizhevsky" in alexnet["collaborators"] and "Geoffrey Hinton" in alexnet["collaborators"]
    assert "author" in alexnet["roles"]
    assert "founder" in rows[R + "OpenAI_founded_2015"]["roles"]


def test_milestones_between(ask):
    rows = ask("milestones-between", **{"from": 2014, "to": 2016})
    assert set(column(rows, "milestone")) == {
        R + "GANs_introduced_2014", R + "Amazon_Echo_and_Alexa_launched_2014", R + "OpenAI_founded_2015",
        R + "ResNet_wins_ILSVRC_2015", R + "TensorFlow_open-sourced_2015", R + "AlphaGo_defeats_Lee_Sedol_2016"}
    years = [int(y) for y in column(rows, "year")]
    assert years == sorted(years)


def test_era_milestones(ask):
    rows = ask("era-milestones", era="Deep Learning Breakthrough")
    assert len(rows) == 11
    assert [int(p) for p in column(rows, "position")] == list(range(1, 12))
    assert rows[0]["milestone"] == R + "AlexNet_wins_ILSVRC_2012"
    assert rows[-1]["milestone"] == R + "AlphaGo_Zero_learns_from_scratch_2017"
    order = column(rows, "milestone")
    # The Lee Sedol match (March 2016) comes after ResNet (December 2015) and before the Transformer (June 2017).
    assert order.index(R + "ResNet_wins_ILSVRC_2015") < order.index(R + "AlphaGo_defeats_Lee_Sedol_2016") \
        < order.index(R + "Transformer_introduced_2017")


def test_lineage(ask):
    rows = {r["ancestor"]: int(r["steps"]) for r in ask("lineage", item="aikgr:AlphaGo_Zero")}
    # AlphaGo Zero uses ResNet's residual blocks and succeeds AlphaGo.
    assert rows[R + "ResNet"] == 1 and rows[R + "AlphaGo"] == 1
    assert max(rows.values()) >= 2  # and it reaches further back, through them
    shallow = ask("lineage", item="aikgr:AlphaGo_Zero", depth=1)
    assert {int(r["steps"]) for r in shallow} == {1}


def test_influence(ask):
    rows = {r["descendant"]: int(r["steps"]) for r in ask("influence", item="aikgr:ResNet")}
    assert rows[R + "AlphaGo_Zero"] == 1
    milestones = {r["descendant"] for r in ask("influence", item="aikgr:ResNet_wins_ILSVRC_2015")}
    assert R + "AlphaGo_Zero_learns_from_scratch_2017" in milestones


def test_technique_uses(ask):
    rows = ask("technique-uses", technique="residual connection")
    relation = {r["item"]: r["relation"] for r in rows}
    assert relation[R + "ResNet_wins_ILSVRC_2015"] == "introduces"
    assert relation[R + "AlphaGo_Zero_learns_from_scratch_2017"] == "uses"
    introduced = {r["item"] for r in ask("technique-uses", technique="residual connection", introduced_only="true")}
    both = {r["item"] for r in ask("technique-uses", technique=["residual connection", "dropout"])}
    assert {R + "ResNet_wins_ILSVRC_2015", R + "AlexNet_wins_ILSVRC_2012"} <= both  # AlexNet used dropout
    assert R + "ResNet_wins_ILSVRC_2015" in introduced and R + "AlphaGo_Zero_learns_from_scratch_2017" not in introduced


def test_techniques_introduced(ask):
    in_2017 = set(column(ask("techniques-introduced", **{"from": 2017, "to": 2017}), "techniqueLabel"))
    assert {"multi-head attention", "positional encoding"} <= {t.lower() for t in in_2017}
    in_2013 = {t.lower() for t in column(ask("techniques-introduced", **{"from": 2013, "to": 2013}), "techniqueLabel")}
    assert {"skip-gram", "continuous bag-of-words"} <= in_2013
    assert not in_2013 & {"multi-head attention", "positional encoding"}


def test_corporate_events(ask):
    rows = ask("corporate-events", org="DeepMind")
    kinds = {r["kind"]: r for r in rows}
    assert kinds["founding"]["date"].startswith("2010")
    acquisition = kinds["acquisition"]
    assert acquisition["counterpart"] == R + "Google" and acquisition["date"] == "2014-01-26"
    assert int(acquisition["reportedAmounts"]) == 4  # Re/code, The Information, The Telegraph, the seed page


def test_reported_amounts(ask):
    rows = ask("reported-amounts", org="DeepMind")
    figures = sorted((int(float(r["value"])), r["currency"], r["qualifier"]) for r in rows)
    # Re/code's $400 million is a press estimate, not an exact figure (E4).
    assert figures == [(400_000_000, "GBP", "at least"), (400_000_000, "USD", "estimated"),
                       (500_000_000, "USD", "about"), (500_000_000, "USD", "at least")]
    assert all(r["source"] for r in rows)
    assert any("recode" in r["source"] for r in rows if r["currency"] == "USD" and r["value"].startswith("4"))
    openai = ask("reported-amounts", org="OpenAI")
    assert {int(float(r["value"])) for r in openai} == {1_000_000_000}


def test_founders(ask):
    rows = ask("founders", org="OpenAI")
    founders = set(column(rows, "founderLabel"))
    assert {"Sam Altman", "Elon Musk", "Ilya Sutskever", "Greg Brockman"} <= founders
    before = {(r["founderLabel"], r["previous"]) for r in rows if r["previous"]}
    assert ("Sam Altman", R + "Y_Combinator") in before  # president of Y Combinator from 2014
    assert ("Ilya Sutskever", R + "Google_Brain") in before  # came from Google Brain
    assert not any(r["previous"] == R + "OpenAI" for r in rows)


def test_benchmark_results(ask):
    rows = ask("benchmark-results", benchmark="ImageNet", metric="top-5 error rate")
    values = {float(r["value"]) for r in rows}
    assert {15.3, 26.2, 3.57, 5.1} <= values
    by_value = {float(r["value"]): r for r in rows}
    assert by_value[15.3]["achievedBy"] == R + "AlexNet" and by_value[3.57]["achievedBy"] == R + "ResNet"
    dates = [r["date"] or "" for r in rows]
    assert dates == sorted(dates)
    assert int(by_value[15.3]["rank"]) == 1


def test_connecting_people(ask):
    people = set(column(ask("connecting-people", first="Google Brain", second="OpenAI"), "person"))
    assert R + "Ilya_Sutskever" in people


def test_milestone_counts(ask):
    rows = ask("milestone-counts")
    deepmind = {int(r["year"]): int(r["milestones"]) for r in rows if r["organisation"] == R + "DeepMind"}
    assert deepmind == {2013: 1, 2016: 1, 2017: 1}
    assert all(2012 <= int(r["year"]) <= 2017 for r in rows)
    assert not ask("milestone-counts", **{"from": 2018})


def test_paper_authors(ask):
    rows = ask("paper-authors", paper="Attention Is All You Need")
    assert [int(p) for p in column(rows, "position")] == list(range(1, 9))
    assert column(rows, "authorLabel")[0] == "Ashish Vaswani"
    assert column(rows, "authorLabel")[-1] == "Illia Polosukhin"
    alphago = ask("paper-authors", paper="Mastering the game of Go with deep neural networks and tree search")
    names = column(alphago, "authorLabel")
    assert len(names) == 20 and names[0] == "David Silver" and names[-1] == "Demis Hassabis"
    assert names[14] == "Ilya Sutskever"


def test_papers_by_venue(ask):
    rows = ask("papers-by-venue", venue="Nature")
    assert {r["doi"] for r in rows} == {"10.1038/nature14236", "10.1038/nature16961", "10.1038/nature24270"}
    everything = ask("papers-by-venue")
    assert len(everything) > len(rows)


def test_coauthors(ask):
    rows = ask("coauthors", person="David Silver")
    shared = {r["coauthorLabel"]: int(r["shared"]) for r in rows}
    # Antonoglou is on all four: DQN (arXiv and Nature), AlphaGo, AlphaGo Zero.
    assert shared["Ioannis Antonoglou"] == 4
    assert shared["Demis Hassabis"] == 3
    assert rows[0]["coauthorLabel"] == "Ioannis Antonoglou"
    assert "David Silver" not in shared


def test_career(ask):
    rows = ask("career", person="Ilya Sutskever")
    orgs = set(column(rows, "organisation"))
    assert {R + "University_of_Toronto", R + "Google_Brain", R + "OpenAI"} <= orgs
    openai = next(r for r in rows if r["organisation"] == R + "OpenAI")
    assert "research director" in openai["role"] and openai["start"].startswith("2015")


def test_milestone_people(ask):
    people = set(column(ask("milestone-people", milestone="aikgr:GANs_introduced_2014"), "personLabel"))
    assert {"Ian Goodfellow", "Jean Pouget-Abadie", "Mehdi Mirza", "Bing Xu", "David Warde-Farley",
            "Sherjil Ozair", "Aaron Courville", "Yoshua Bengio"} <= people


def test_organisation_people(ask):
    rows = ask("organisation-people", org="DeepMind")
    hassabis = next(r for r in rows if r["person"] == R + "Demis_Hassabis" and r["role"])
    assert "founder" in hassabis["role"] and hassabis["start"].startswith("2010")
    google = set(column(ask("organisation-people", org="Google", teams="true"), "person"))
    assert R + "Jeff_Dean" in google and R + "Demis_Hassabis" in google
    assert R + "Demis_Hassabis" not in set(column(ask("organisation-people", org="Google"), "person"))


def test_funders(ask):
    funders = set(column(ask("funders", org="OpenAI"), "funderLabel"))
    assert funders == {"Sam Altman", "Greg Brockman", "Reid Hoffman", "Jessica Livingston", "Elon Musk",
                       "Peter Thiel", "Amazon Web Services", "Infosys", "YC Research"}


def test_sub_organisations(ask):
    rows = {r["organisation"]: r for r in ask("sub-organisations", org="Google")}
    assert rows[R + "DeepMind"]["how"] == "acquisition" and rows[R + "DeepMind"]["since"].startswith("2014")
    assert rows[R + "Google_Brain"]["since"].startswith("2011")


def test_match_games(ask):
    rows = ask("match-games", match="AlphaGo versus Lee Sedol")
    assert [int(n) for n in column(rows, "number")] == [1, 2, 3, 4, 5]
    assert column(rows, "date") == ["2016-03-09", "2016-03-10", "2016-03-12", "2016-03-13", "2016-03-15"]
    assert column(rows, "winner") == [R + "AlphaGo"] * 3 + [R + "Lee_Sedol", R + "AlphaGo"]
    assert "37" in rows[1]["notableMoves"] and "78" in rows[3]["notableMoves"]


def test_disputed_values(ask):
    rows = ask("disputed-values", item="PyTorch")
    assert sorted(column(rows, "value")) == ["2016", "2017-01"]
    assert all(r["sources"] for r in rows)
    # The PyTorch team's January 2017 is preferred and asserted; the seed page's 2016 deprecated and not asserted.
    by_value = {r["value"]: r for r in rows}
    assert by_value["2017-01"]["rank"].endswith("PreferredRank") and by_value["2017-01"]["asserted"] == "true"
    assert by_value["2016"]["rank"].endswith("DeprecatedRank") and by_value["2016"]["asserted"] == "false"
    assert by_value["2016"]["reason"] and "aitimeline.world" in by_value["2016"]["sources"]
    # One pattern for every disputed value: a founding year, a paper's two figures, online and issue dates, prices.
    everything = ask("disputed-values")
    disputed = {(r["resource"].removeprefix(R), r["property"].rsplit("/", 1)[1]) for r in everything}
    assert {("DeepMind", "foundingDate"), ("PyTorch", "releaseDate"),
            ("Transformer_BLEU_WMT_2014_English-French", "value"), ("AlphaGo_Zero_paper", "publicationDate"),
            ("Google_acquires_DeepMind_2014", "reportedPrice")} <= disputed
    founding = {r["value"]: r for r in everything if r["resource"] == R + "DeepMind"}
    assert founding["2010"]["rank"].endswith("PreferredRank") and founding["2012"]["rank"].endswith("DeprecatedRank")


def test_sources_of(ask):
    rows = ask("sources-of", subject="DeepMind", predicate="aikg:foundingDate")
    by_value: dict[str, set[str]] = {}
    for r in rows:
        by_value.setdefault(r["value"], set()).add(r["source"])
    # 2010 from a later account of the company; 2012 from the press at the time of the acquisition.
    assert by_value == {
        "2010": {"https://www.businessinsider.com/the-incredible-life-of-deepmind-cofounder-demis-hassabis-2017-5"},
        "2012": {"http://www.reuters.com/article/2014/01/27/us-google-deepmind-idUSBREA0Q03220140127",
                 "https://www.telegraph.co.uk/technology/google/10600083/Google-snaps-up-British-start-up-for-400m.html"},
    }
    assert all(r["title"] and r["publisher"] and r["issued"] for r in rows)  # press articles: publisher and date
    assert {r["asserted"] for r in rows if r["value"] == "2010"} == {"true"}
    assert {r["asserted"] for r in rows if r["value"] == "2012"} == {"false"}
    # Without a property: every statement about the resource, each with at least one source.
    everything = ask("sources-of", subject="aikgr:AlexNet_layer_count")
    assert {r["predicate"].rsplit("/", 1)[1] for r in everything} >= {"value", "metric", "achievedBy"}
    # The layer count is sourced to the paper's full text, which states it, not to its abstract page (E3).
    assert {r["source"] for r in everything if r["predicate"].endswith("/value")} == {
        "https://proceedings.neurips.cc/paper/2012/file/c399862d3b9d6b76c8436e924a68c45b-Paper.pdf"}


def test_provenance_coverage(ask):
    rows = ask("provenance-coverage")
    curated = [r for r in rows if r["curated"] == "true"]
    assert [r["graph"] for r in curated] == ["https://w3id.org/ai-history/graph/milestones"]
    [row] = curated
    # Every statement the curated graph asserts about its resources names a source, from some 40 documents.
    assert int(row["unsourced"]) == 0 and int(row["sourced"]) == int(row["statements"]) > 1000
    assert int(row["documents"]) >= 40


# --- Epoch AI's notable models: expected answers come from the snapshot CSV itself -------------------------


@pytest.fixture(scope="module")
def model_names(full_app):
    """Every name of every model (label and alternative labels), by IRI."""
    from aikg.namespaces import sparql_prologue
    from aikg.store import select

    rows = select(get_store(full_app),
                  sparql_prologue() + "SELECT ?m ?l WHERE { ?m a aikg:Model ; rdfs:label|skos:altLabel ?l }")
    names: dict[str, set[str]] = {}
    for r in rows:
        names.setdefault(r["m"].value, set()).add(r["l"].value)
    return names


def _compute(row) -> float | None:
    return float(row["Training compute (FLOP)"]) if row["Training compute (FLOP)"] else None


def _year(row) -> int:
    return int(row["Publication date"][:4])


def _largest_by_year(epoch_rows) -> dict[int, tuple[float, set[str]]]:
    best: dict[int, tuple[float, set[str]]] = {}
    for r in epoch_rows:
        flop = _compute(r)
        if flop is None:
            continue
        year = _year(r)
        top, names = best.get(year, (-1.0, set()))
        if flop > top:
            best[year] = (flop, {r["Model"]})
        elif flop == top:
            names.add(r["Model"])
    return best


def test_largest_training_runs(ask, epoch_rows, model_names):
    rows = ask("largest-training-runs", **{"from": 2010, "to": 2024})
    best = {y: v for y, v in _largest_by_year(epoch_rows).items() if 2010 <= y <= 2024}
    assert {int(r["year"]) for r in rows} == set(best)
    for r in rows:
        flop, names = best[int(r["year"])]
        assert abs(float(r["flop"]) - flop) <= 1e-9 * flop
        assert names & model_names[r["model"]], (r["year"], r["modelLabel"], names)


def test_milestone_compute(ask, epoch_rows):
    rows = {(r["milestone"], r["model"]): r for r in ask("milestone-compute")}
    best = _largest_by_year(epoch_rows)
    for milestone, model, name in [("AlexNet_wins_ILSVRC_2012", "AlexNet", "AlexNet"),
                                   ("Transformer_introduced_2017", "Transformer", "Transformer"),
                                   ("AlphaGo_Zero_learns_from_scratch_2017", "AlphaGo_Zero", "AlphaGo Zero")]:
        row = next(r for r in epoch_rows if r["Model"] == name)
        year, flop = _year(row), _compute(row)
        got = rows[(R + milestone, R + model)]
        assert float(got["flop"]) == pytest.approx(flop)
        assert float(got["frontierFlop"]) == pytest.approx(best[year][0])
        assert float(got["share"]) == pytest.approx(flop / best[year][0])
        above = {r["Model"] for r in epoch_rows if _compute(r) and _year(r) == year and _compute(r) > flop}
        assert int(got["rank"]) == len(above) + 1
    # The AlphaGo match is about the program; its versions with a known compute (Fan, Lee, Master) are listed.
    alphago = {r["modelLabel"] for r in rows.values() if r["milestone"] == R + "AlphaGo_defeats_Lee_Sedol_2016"}
    assert {"AlphaGo Lee", "AlphaGo Master", "AlphaGo Fan"} <= alphago


def _authors(epoch_rows) -> dict[str, set[str]]:
    from aikg.ingest.epoch import normalise, split_authors

    models: dict[str, set[str]] = {}
    for r in epoch_rows:
        for name in split_authors(r["Authors"])[0]:
            models.setdefault(normalise(name), set()).add(r["Model"])
    return models


def test_prolific_authors(ask, epoch_rows):
    rows = ask("prolific-authors", min_models=10)
    counts = [int(r["models"]) for r in rows]
    assert counts == sorted(counts, reverse=True) and min(counts) >= 10
    by_name = _authors(epoch_rows)
    got = {r["personLabel"]: int(r["models"]) for r in rows}
    # A person the curated graph does not have: every spelling that normalises to theirs, nothing else.
    assert got["Quoc V. Le"] == len(by_name["quoc v le"])
    # A curated person: Epoch's full name and the initials the reconciliation file maps to him.
    assert got["Ilya Sutskever"] == len(by_name["ilya sutskever"] | by_name["i sutskever"])


def test_hardware_used(ask, epoch_rows):
    rows = ask("hardware-used")
    expected: dict[str, set[str]] = {}
    for r in epoch_rows:
        for h in {h.strip() for h in r["Training hardware"].split(",") if h.strip()}:
            expected.setdefault(h, set()).add(r["Model"])
    assert {r["hardwareLabel"]: int(r["models"]) for r in rows} == {h: len(m) for h, m in expected.items()}
    assert rows[0]["hardwareLabel"] == max(expected, key=lambda h: len(expected[h]))


def test_domain_models(ask, epoch_rows, model_names):
    rows = ask("domain-models", domain="Games")
    expected = {r["Model"] for r in epoch_rows if "Games" in [d.strip() for d in r["Domain"].split(",")]}
    assert len(rows) == len(expected)
    assert all(model_names[r["model"]] & expected for r in rows)
    dates = [r["date"] for r in rows]
    assert dates == sorted(dates, reverse=True)


def test_milestone_era_models(ask, epoch_rows, model_names):
    rows = ask("milestone-era-models", milestone="AlphaGo defeats Lee Sedol")
    # DeepMind produced the match; Epoch's "Google DeepMind" before the April 2023 merger is DeepMind too.
    expected = {r["Model"] for r in epoch_rows if 2012 <= _year(r) <= 2017
                and {"DeepMind", "Google DeepMind"} & {o.strip() for o in r["Organization"].split(",")}}
    assert {r["organisation"] for r in rows} == {R + "DeepMind"}
    from_epoch = [r for r in rows if model_names[r["model"]] & expected]
    assert len(from_epoch) == len(expected)
    # Any other row is a model of the curated history that Epoch does not list (the AlphaGo program itself).
    curated_only = {r["modelLabel"] for r in rows if r not in from_epoch}
    assert curated_only <= {"AlphaGo", "DQN (Nature 2015)"}, curated_only


def test_organisation_compute(ask, epoch_rows):
    rows = ask("organisation-compute", **{"from": 2023, "to": 2023})
    openai = [r for r in epoch_rows if _year(r) == 2023 and _compute(r)
              and "OpenAI" in [o.strip() for o in r["Organization"].split(",")]]
    got = next(r for r in rows if r["organisation"] == R + "OpenAI")
    assert int(got["models"]) == len(openai)
    assert float(got["largest"]) == pytest.approx(max(_compute(r) for r in openai))
    assert float(got["total"]) == pytest.approx(sum(_compute(r) for r in openai))


def test_country_compute(ask, epoch_rows):
    rows = ask("country-compute", **{"from": 2024, "to": 2024})
    china = [r for r in epoch_rows if _year(r) == 2024 and _compute(r)
             and "China" in [c.strip() for c in r["Country (from Organization)"].split(",")]]
    got = next(r for r in rows if r["countryLabel"] == "China")
    assert int(got["models"]) == len(china)
    assert float(got["largest"]) == pytest.approx(max(_compute(r) for r in china))


def test_open_weights(ask, epoch_rows):
    rows = {int(r["year"]): r for r in ask("open-weights")}
    known: dict[int, int] = {}
    open_: dict[int, int] = {}
    for r in epoch_rows:
        if r["Model accessibility"]:
            known[_year(r)] = known.get(_year(r), 0) + 1
            open_[_year(r)] = open_.get(_year(r), 0) + r["Model accessibility"].startswith("Open weights")
    assert {y: int(r["known"]) for y, r in rows.items()} == known
    assert {y: int(r["open"]) for y, r in rows.items()} == open_


def test_base_model_lineage(ask, epoch_rows, model_names):
    start = next(r for r in epoch_rows if r["Base model"])
    chain, name = [], start["Model"]
    by_name = {r["Model"]: r for r in epoch_rows}
    while name in by_name and by_name[name]["Base model"] and len(chain) < 6:
        name = by_name[name]["Base model"].split(",")[0].strip()
        chain.append(name)
    rows = ask("base-model-lineage", model=start["Model"])
    assert [int(r["steps"]) for r in rows][: len(chain)] == list(range(1, len(chain) + 1))
    assert all(name in model_names[r["ancestor"]] for name, r in zip(chain, rows, strict=False))


def test_compute_doubling_time(ask, epoch_rows):
    import math
    from datetime import date

    best = _largest_by_year(epoch_rows)
    (start_flop, start_names), (end_flop, end_names) = best[2012], best[2017]
    start = next(r for r in epoch_rows if r["Model"] in start_names)
    end = next(r for r in epoch_rows if r["Model"] in end_names)
    d1, d2 = (date.fromisoformat(r["Publication date"]) for r in (start, end))
    months = (d2.year - d1.year) * 12 + (d2.month - d1.month) + (d2.day - d1.day) / 30.4375
    rows = ask("compute-doubling-time", **{"from": 2012, "to": 2017})
    assert len(rows) == 1
    got = rows[0]
    assert float(got["growth"]) == pytest.approx(end_flop / start_flop)
    assert float(got["doublings"]) == pytest.approx(math.log2(end_flop / start_flop), abs=1e-6)
    assert float(got["months"]) == pytest.approx(months)
    assert float(got["doublingMonths"]) == pytest.approx(months / math.log2(end_flop / start_flop), rel=1e-6)
