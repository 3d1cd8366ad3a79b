"""The Epoch AI import: the shipped graph is what the importer makes of the snapshot; its answers agree with the
CSV read directly; the curated models, organisations and people are one resource each; every bad input gets a
clear answer.

The snapshot is found by conftest.find_epoch_csv (AIKG_EPOCH_CSV, else shared/ beside the repository or a parent
folder); a missing snapshot fails these tests, since the shipped file must stay reproducible.
"""

from __future__ import annotations

import csv
import math
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import rdflib

from aikg.cli import cli
from aikg.ingest import epoch as ep
from aikg.namespaces import GRAPH

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "data" / "epoch" / "notable-ai-models.ttl"
R = "https://w3id.org/ai-history/resource/"
EPOCH_GRAPH = GRAPH + "notable-ai-models"
PREFIXES = """PREFIX aikg: <https://w3id.org/ai-history/ontology/>
PREFIX aikgr: <https://w3id.org/ai-history/resource/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX spdx: <http://spdx.org/rdf/terms#>
"""


@pytest.fixture(scope="module")
def snapshot(epoch_csv) -> Path:
    return epoch_csv


@pytest.fixture(scope="module")
def rows(epoch_rows) -> list[dict[str, str]]:
    return epoch_rows


def sparql(client, query: str) -> list[dict[str, str]]:
    response = client.get("/sparql", query_string={"query": PREFIXES + query},
                          headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    return [{k: v["value"] for k, v in b.items()} for b in body["results"]["bindings"]]


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-12)


# --- the shipped file is the import of the snapshot --------------------------------------------------------


def test_the_shipped_graph_is_the_import_of_the_snapshot(snapshot, runner, tmp_path):
    out = tmp_path / "notable-ai-models.ttl"
    result = runner.invoke(cli, ["import", "epoch", str(snapshot), "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == SHIPPED.read_bytes(), (
        "data/epoch/notable-ai-models.ttl is not what `aikg import epoch` makes of the snapshot: regenerate it with "
        "`aikg import epoch notable_ai_models.csv`, never edit it by hand")


def test_the_same_csv_gives_the_same_bytes(snapshot, tmp_path):
    kwargs = dict(graph=EPOCH_GRAPH, curated=ep.default_curated(), decisions=ep.default_decisions())
    first = ep.import_epoch(snapshot, **kwargs).turtle
    copy = tmp_path / "copy.csv"
    copy.write_bytes(snapshot.read_bytes())
    assert ep.import_epoch(copy, **kwargs).turtle.replace("copy.csv", "notable_ai_models.csv") == first


def test_the_graph_is_described_as_a_dataset(full_client, snapshot):
    import hashlib

    found = sparql(full_client, f"""
        SELECT ?title ?publisher ?licence ?source ?sha ?size ?issued ?rows ?models ?version WHERE {{
          GRAPH <{EPOCH_GRAPH}> {{
            <{EPOCH_GRAPH}> a dcat:Dataset ; dcterms:title ?title ; dcterms:publisher/rdfs:label ?publisher ;
              dcterms:license ?licence ; dcterms:source ?source ; aikg:rowsRead ?rows ; aikg:modelsWritten ?models ;
              prov:wasDerivedFrom ?file ; prov:wasGeneratedBy/prov:wasAssociatedWith/dcterms:hasVersion ?version .
            ?file spdx:checksum/spdx:checksumValue ?sha ; dcat:byteSize ?size ; dcterms:issued ?issued .
          }} }}""")
    assert len(found) == 1
    got = found[0]
    data = snapshot.read_bytes()
    assert got["publisher"] == "Epoch AI"
    assert got["licence"] == "https://creativecommons.org/licenses/by/4.0/"
    assert got["source"] == "https://epoch.ai/data/notable-ai-models"
    assert got["sha"] == hashlib.sha256(data).hexdigest()
    assert int(got["size"]) == len(data)
    assert got["issued"] == "2024-12"
    with snapshot.open(encoding="utf-8", newline="") as f:
        n = sum(1 for _ in csv.DictReader(f))
    assert int(got["rows"]) == n == int(got["models"])
    assert "importer" in got["version"]


# --- answers computed from the CSV agree with SPARQL over the app -----------------------------------------


def test_models_per_year(full_client, rows):
    expected = Counter(int(r["Publication date"][:4]) for r in rows if r["Publication date"])
    got = sparql(full_client, f"""
        SELECT ?year (COUNT(DISTINCT ?m) AS ?n) WHERE {{
          GRAPH <{EPOCH_GRAPH}> {{ ?m aikg:publicationDate ?d ; aikg:notabilityCriterion ?c }}
          BIND(YEAR(?d) AS ?year) }} GROUP BY ?year""")
    assert {int(r["year"]): int(r["n"]) for r in got} == expected


def test_largest_training_compute_per_year(full_client, rows):
    expected: dict[int, float] = {}
    for r in rows:
        if r["Training compute (FLOP)"] and r["Publication date"]:
            year = int(r["Publication date"][:4])
            expected[year] = max(expected.get(year, 0.0), float(r["Training compute (FLOP)"]))
    got = sparql(full_client, """
        SELECT ?year (MAX(?flop) AS ?max) WHERE {
          ?m aikg:trainingCompute/aikg:value ?flop ; aikg:publicationDate ?d BIND(YEAR(?d) AS ?year) }
        GROUP BY ?year""")
    answers = {int(r["year"]): float(r["max"]) for r in got}
    assert answers.keys() == expected.keys()
    assert all(close(answers[y], expected[y]) for y in expected)


@pytest.mark.parametrize("name", ["AlexNet", "Llama 3.3", "GPT-4", "AlphaGo Zero", "Transformer", "BERT-Large"])
def test_a_models_figures_with_units_and_confidence(full_client, rows, name):
    row = next(r for r in rows if r["Model"] == name)
    got = sparql(full_client, f"""
        SELECT ?prop ?value ?unit ?confidence WHERE {{
          ?m aikg:notabilityCriterion ?c ; rdfs:label|skos:altLabel "{name}"@en ; ?prop ?f .
          ?f a aikg:Measurement ; aikg:value ?value ; aikg:unit ?unit ; dcterms:source ?epoch .
          FILTER(?epoch = <https://epoch.ai/data/notable-ai-models>)
          OPTIONAL {{ ?f aikg:confidence/skos:prefLabel ?confidence }}
          FILTER(STRSTARTS(STR(?prop), "https://w3id.org/ai-history/ontology/") && ?prop != aikg:measurement)
        }}""")
    by_prop = {r["prop"].rsplit("/", 1)[1]: r for r in got}
    columns = {"trainingCompute": "Training compute (FLOP)", "parameterCount": "Parameters",
               "trainingDataSize": "Training dataset size (datapoints)", "trainingTime": "Training time (hours)",
               "hardwareQuantity": "Hardware quantity", "citationCount": "Citations", "epochs": "Epochs"}
    for prop, column in columns.items():
        if row[column]:
            assert close(float(by_prop[prop]["value"]), float(row[column])), (prop, by_prop.get(prop))
        else:
            assert prop not in by_prop
    if row["Training compute (FLOP)"]:
        assert by_prop["trainingCompute"]["unit"] == "https://w3id.org/ai-history/ontology/FLOP"
        assert by_prop["trainingCompute"].get("confidence") == (row["Confidence"] or None)


def test_organisations_most_models(full_client, rows):
    decided = {"Google DeepMind", "DeepMind", "Google Brain"}  # land on an IRI by date: checked below
    expected = Counter(o.strip() for r in rows for o in set(r["Organization"].split(",")) if o.strip())
    got = sparql(full_client, f"""
        SELECT ?org (COUNT(DISTINCT ?m) AS ?n) WHERE {{
          GRAPH <{EPOCH_GRAPH}> {{ ?m aikg:notabilityCriterion ?c ; aikg:producedBy ?org }} }} GROUP BY ?org""")
    counts = {r["org"]: int(r["n"]) for r in got}
    assert counts[R + "Google"] == expected["Google"]
    assert counts[R + "OpenAI"] == expected["OpenAI"]
    assert counts[R + "org-Meta_AI"] == expected["Meta AI"]
    assert counts[R + "Facebook_AI_Research"] == expected["Facebook AI Research"]
    assert sum(counts.values()) >= sum(n for o, n in expected.items() if o not in decided)


# --- reconciliation: one resource each, curated facts and Epoch's figures together ------------------------

CURATED_MODELS = {
    "AlexNet": "AlexNet", "DQN": "DQN", "AlphaGo Lee": "AlphaGo_Lee", "AlphaGo Master": "AlphaGo_Master",
    "AlphaGo Zero": "AlphaGo_Zero", "GANs": "Generative_adversarial_network", "Transformer": "Transformer",
    "ResNet-152 (ImageNet)": "ResNet",
}


@pytest.mark.parametrize("name", sorted(CURATED_MODELS))
def test_a_curated_model_is_one_resource_with_curated_facts_and_epochs_figures(full_client, rows, name):
    iri = R + CURATED_MODELS[name]
    row = next(r for r in rows if r["Model"] == name)
    got = sparql(full_client, f"""
        SELECT ?m ?description ?paper ?date WHERE {{
          ?m aikg:notabilityCriterion ?c ; aikg:publicationDate ?date .
          {{ ?m rdfs:label "{name}"@en }} UNION {{ ?m skos:altLabel "{name}"@en }} UNION {{ VALUES ?m {{ <{iri}> }} }}
          OPTIONAL {{ GRAPH <{GRAPH}milestones> {{ ?m dcterms:description ?description }} }}
          OPTIONAL {{ GRAPH <{GRAPH}milestones> {{
            ?m aikg:paper|aikg:releaseDate|aikg:versionOf|dcterms:isVersionOf ?paper }} }}
        }}""")
    assert {r["m"] for r in got} == {iri}, "the Epoch row and the curated model must be one resource"
    assert all(r.get("description") for r in got), "the curated description is on the same resource"
    assert all(r.get("paper") for r in got)
    assert got[0]["date"] == row["Publication date"]
    figures = sparql(full_client, f"SELECT ?f WHERE {{ <{iri}> aikg:trainingCompute|aikg:parameterCount ?f }}")
    assert figures, "Epoch's figures are on the curated resource"


@pytest.mark.parametrize(("name", "curated"), [
    ("AlphaGo Fan", "AlphaGo"), ("Word2Vec (small)", "Word2vec"), ("Word2Vec (large)", "Word2vec"),
    ("ResNet-110 (CIFAR-10)", "ResNet"),
])
def test_a_models_version_stays_apart_and_points_to_the_curated_model(full_client, name, curated):
    got = sparql(full_client, f"""
        SELECT ?m ?of WHERE {{ ?m rdfs:label "{name}"@en ; a aikg:Model .
          OPTIONAL {{ ?m dcterms:isVersionOf ?of }} }}""")
    assert len(got) == 1
    assert got[0]["m"] != R + curated
    assert got[0]["of"] == R + curated


def test_dqn_2013_and_2015_are_two_resources(full_client):
    got = sparql(full_client, """
        SELECT ?m ?date WHERE { VALUES ?m { aikgr:DQN aikgr:DQN_2015 } ?m aikg:publicationDate ?date }""")
    assert {(r["m"], r["date"][:4]) for r in got} == {(R + "DQN", "2013"), (R + "DQN_2015", "2015")}


def test_google_deepmind_is_deepmind_before_the_merger_and_the_merged_lab_after(full_client, rows):
    got = sparql(full_client, """
        SELECT ?label ?org WHERE { ?m rdfs:label|skos:altLabel ?label ; aikg:producedBy ?org ;
          aikg:notabilityCriterion ?c . VALUES ?org { aikgr:DeepMind aikgr:Google_DeepMind } }""")
    by_model = defaultdict(set)
    for r in got:
        by_model[r["label"]].add(r["org"].rsplit("/", 1)[1])
    for row in rows:
        orgs = {o.strip() for o in row["Organization"].split(",")}
        if "Google DeepMind" in orgs:
            want = "DeepMind" if row["Publication date"] < "2023-04-20" else "Google_DeepMind"
            assert want in by_model[row["Model"]], row["Model"]
            assert len(by_model[row["Model"]]) == 1, row["Model"]
    assert "DeepMind" in by_model["WaveNet"] and "Google_DeepMind" in by_model["Gemini 1.0 Ultra"]


@pytest.mark.parametrize(("epoch", "curated", "apart"), [
    ("Facebook AI Research", "Facebook_AI_Research", "org-Meta_AI"),
    ("Microsoft Research", "Microsoft_Research", "Microsoft"),
    ("University of Toronto", "University_of_Toronto", None),
    ("University of Montreal / Université de Montréal", "Universite_de_Montreal",
     "org-Mila_-_Quebec_AI_originally_Montreal_Institute_for_Learning_Algorithms"),
    ("Google Brain", "Google_Brain", "Google"),
])
def test_organisations_land_on_the_curated_ones_and_others_stay_apart(full_client, rows, epoch, curated, apart):
    model = next(r["Model"] for r in rows if epoch in [o.strip() for o in r["Organization"].split(",")])
    got = sparql(full_client, f"""
        SELECT ?org WHERE {{ ?m rdfs:label|skos:altLabel "{model}"@en ; aikg:notabilityCriterion ?c ;
          aikg:producedBy ?org }}""")
    orgs = {r["org"] for r in got}
    assert R + curated in orgs
    if apart:  # the resource kept apart exists, as another organisation
        assert sparql(full_client, f"SELECT ?x WHERE {{ <{R}{apart}> a aikg:Organisation BIND(1 AS ?x) }}"), apart


def test_people_are_the_curated_people(full_client, rows):
    models_of = defaultdict(set)
    for r in rows:
        for name in ep.split_authors(r["Authors"])[0]:
            models_of[name].add(r["Model"])
    got = sparql(full_client, """
        SELECT ?person (COUNT(DISTINCT ?m) AS ?n) ?affiliation WHERE {
          VALUES ?person { aikgr:Ilya_Sutskever aikgr:Geoffrey_Hinton aikgr:David_Silver }
          ?m aikg:modelAuthor ?person ; aikg:notabilityCriterion ?c .
          OPTIONAL { ?person aikg:affiliatedWith ?affiliation }
        } GROUP BY ?person ?affiliation""")
    counts = {r["person"].rsplit("/", 1)[1]: int(r["n"]) for r in got}
    assert all(r.get("affiliation") for r in got), "the curated affiliations are on the same resources"
    def key(name: str) -> str:
        import unicodedata

        plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
        return " ".join(plain.replace(".", " ").split())

    with ep.default_decisions().open(encoding="utf-8", newline="") as f:
        decided = [d for d in csv.DictReader(f) if d["kind"] == "person" and d["decision"] == "same"]
    curated = ep.Curated.load(ep.default_curated())
    expected = {}
    for local in ("Ilya_Sutskever", "Geoffrey_Hinton", "David_Silver"):
        names = {key(d["epoch_name"]) for d in decided if d["aikg_iri"] == "aikgr:" + local}
        names |= {key(n) for n in curated.names[R + local]}
        expected[local] = set().union(*(m for n, m in models_of.items() if key(n) in names))
    assert counts == {k: len(v) for k, v in expected.items()}
    same_name = sparql(full_client, 'SELECT ?p WHERE { ?p a aikg:Person ; rdfs:label "Ilya Sutskever"@en }')
    assert [r["p"] for r in same_name] == [R + "Ilya_Sutskever"]


def test_no_new_resource_reuses_a_curated_iri():
    curated = ep.Curated.load(ep.default_curated())
    graph = rdflib.Graph().parse(SHIPPED)
    minted = {str(s) for s, o in graph.subject_objects(rdflib.URIRef(ep.A + "importedFrom"))}
    assert minted and not (minted & curated.terms)
    local = {m[len(R):].split("-", 1)[0] for m in minted if m.startswith(R)}
    assert local <= {"model", "org", "person", "hardware", "dataset", "country", "metric", "domain", "task",
                     "notability", "weightsaccess", "trainingcode", "inferencecode", "confidence", "orgtype", "epoch"}


def test_no_abstract_or_note_is_imported(rows):
    text = SHIPPED.read_text(encoding="utf-8")
    notes = [c for c in rows[0] if c == "Abstract" or c.endswith("notes")]
    assert notes
    for column in notes:
        for r in rows:
            value = " ".join(r[column].split())
            imported = " ".join(v for c, v in r.items() if c not in notes)  # a dataset may be named like a note
            sentence = " " in value[:60]  # a bare URL in a note may be another model's link
            if len(value) > 60 and sentence and value[:60] not in imported:
                assert value[:60] not in text, (column, r["Model"])


def test_every_epoch_fact_names_its_sources(full_client):
    unsourced = sparql(full_client, f"""
        SELECT ?f WHERE {{ GRAPH <{EPOCH_GRAPH}> {{ ?m aikg:trainingCompute|aikg:parameterCount|aikg:trainingCost ?f }}
          FILTER NOT EXISTS {{ ?f dcterms:source <https://epoch.ai/data/notable-ai-models> }} }}""")
    assert unsourced == []
    models = sparql(full_client, f"""
        SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE {{ GRAPH <{EPOCH_GRAPH}> {{ ?m aikg:notabilityCriterion ?c ;
          dcterms:source <https://epoch.ai/data/notable-ai-models> }} }}""")
    linked = sparql(full_client, f"""
        SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE {{ GRAPH <{EPOCH_GRAPH}> {{ ?m aikg:trainingCompute ?f ;
          aikg:reference ?paper . ?f prov:wasDerivedFrom ?paper }} }}""")
    with_link = sparql(full_client, f"""
        SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE {{ GRAPH <{EPOCH_GRAPH}> {{ ?m aikg:trainingCompute ?f ;
          aikg:reference ?paper }} }}""")
    assert int(models[0]["n"]) > 800
    assert linked == with_link


# --- bad input ----------------------------------------------------------------------------------------------

HEADER = ["Model", "Domain", "Organization", "Authors", "Publication date", "Link", "Parameters",
          "Training compute (FLOP)", "Abstract", "Parameters notes"]


def write_csv(path: Path, header, rows) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def run_import(runner, tmp_path, csv_path, *extra):
    out = tmp_path / "out" / "notable-ai-models.ttl"
    result = runner.invoke(cli, ["import", "epoch", str(csv_path), "-o", str(out), *extra])
    return result, out


GOOD = ["Toy Net", "Vision", "Toy Lab", "Ada Lovelace, Alan Turing", "2020-05-01", "https://example.org/toy",
        "1000000.0", "4.7e+17", "Our abstract is someone else's sentence.", "Counted by hand."]


def test_a_small_file_imports_and_the_summary_counts_facts(runner, tmp_path):
    path = write_csv(tmp_path / "small.csv", HEADER + ["Brand new column"], [GOOD + ["x"]])
    result, out = run_import(runner, tmp_path, path)
    assert result.exit_code == 0, result.output
    assert "Read 1 rows" in result.stderr and "wrote 1 models" in result.stderr
    assert "Columns not imported (unknown to the importer): Brand new column." in result.stderr
    assert "Abstract" in result.stderr and "Parameters notes" in result.stderr  # named as never imported
    text = out.read_text(encoding="utf-8")
    assert "someone else's sentence" not in text and "Counted by hand" not in text
    g = rdflib.Graph().parse(out)
    values = {float(v) for v in g.objects(None, rdflib.URIRef(ep.A + "value"))}
    assert values == {1e6, 4.7e17}
    assert "  Parameters" in result.stderr


def test_a_renamed_column_is_read_by_its_new_name(runner, tmp_path):
    header = ["Model name", "Date", "Organisation", "Parameter count", "Training compute (FLOPs)"]
    path = write_csv(tmp_path / "renamed.csv", header, [["Toy Net", "2020-05-01", "Toy Lab", "12.0", "3e20"]])
    result, out = run_import(runner, tmp_path, path)
    assert result.exit_code == 0, result.output
    g = rdflib.Graph().parse(out)
    assert {float(v) for v in g.objects(None, rdflib.URIRef(ep.A + "value"))} == {12.0, 3e20}
    assert (None, rdflib.URIRef(ep.A + "producedBy"), rdflib.URIRef(R + "org-Toy_Lab")) in g


def test_a_missing_required_column_exits_2_naming_it_and_the_columns_found(runner, tmp_path):
    path = write_csv(tmp_path / "nodate.csv", ["Model", "Domain", "Parameters"], [["Toy", "Vision", "1"]])
    result, out = run_import(runner, tmp_path, path)
    assert result.exit_code == 2
    message = result.stderr.strip()
    assert "required column missing: Publication date" in message
    assert "Columns found: 'Model', 'Domain', 'Parameters'" in message
    assert "Traceback" not in result.output and not out.exists()


@pytest.mark.parametrize(("column", "value", "reason"), [
    ("Parameters", "1.2e", "not a number"),
    ("Training compute (FLOP)", "-5", "a negative value"),
    ("Publication date", "2021-13-01", "not a valid date"),
    ("Publication date", "last spring", "not a date"),
    ("Link", "ftp://example.org/x", "not a web address"),
])
def test_a_bad_cell_is_reported_and_left_out_and_the_rest_of_the_row_kept(runner, tmp_path, column, value, reason):
    row = list(GOOD)
    row[HEADER.index(column)] = value
    path = write_csv(tmp_path / "bad.csv", HEADER, [GOOD[:1] + ["Language"] + GOOD[2:], row])
    path.write_text(path.read_text(encoding="utf-8").replace("Toy Net", "Other Net", 1), encoding="utf-8")
    result, out = run_import(runner, tmp_path, path)
    assert result.exit_code == 0, result.output
    assert f"line 3, column {column!r}, value {value!r}: {reason}" in result.stderr
    g = rdflib.Graph().parse(out)
    toy = rdflib.URIRef(R + "model-Toy_Net")
    assert (toy, rdflib.RDFS.label, rdflib.Literal("Toy Net", lang="en")) in g
    kept = {p.rsplit("/", 1)[1] for p in g.predicates(toy)}
    assert "producedBy" in kept and "modelAuthor" in kept  # the row's other cells are kept
    strict, strict_out = run_import(runner, tmp_path / "strict", path, "--strict")
    assert strict.exit_code == 1 and "--strict" in strict.stderr and not strict_out.exists()


@pytest.mark.parametrize(("content", "says"), [
    (b"", "is empty"),
    (b"   \n\n", "is empty"),
    ("Model,Publication date\nCaf\xe9,2020-01-01\n".encode("latin-1"), "is not UTF-8 text (byte 0xe9 at offset"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "contains NUL bytes"),
    (b'Model,Publication date\n"Unclosed,2020-01-01\n', "is not valid CSV"),
    (b'{"models": [{"name": "GPT-4"}]}\n', "None of its columns is one the importer knows"),
])
def test_a_file_that_is_not_epochs_csv_gets_one_clear_line(runner, tmp_path, content, says):
    path = tmp_path / "input.csv"
    path.write_bytes(content)
    result, out = run_import(runner, tmp_path, path)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and says in lines[0], result.stderr
    assert "Traceback" not in result.output and not out.exists()


def test_a_duplicate_or_nameless_row_is_refused_with_its_line(runner, tmp_path):
    path = write_csv(tmp_path / "dupes.csv", HEADER, [GOOD, GOOD, [""] + GOOD[1:]])
    result, out = run_import(runner, tmp_path, path)
    assert result.exit_code == 0
    assert "line 3, column '(row)', value 'Toy Net': the same model name as line 2" in result.stderr
    assert "line 4, column '(row)'" in result.stderr and "no model name" in result.stderr


def test_a_reconciliation_file_that_contradicts_itself_is_refused(runner, tmp_path):
    path = write_csv(tmp_path / "small.csv", HEADER, [GOOD])
    decisions = write_csv(tmp_path / "rec.csv", ["kind", "epoch_name", "decision", "aikg_iri", "from", "until",
                                                 "in_model", "reason"],
                          [["organisation", "Toy Lab", "same", "aikgr:Google", "", "", "", "a test"],
                           ["organisation", "Toy Lab", "distinct", "", "2019-01-01", "", "", "a test"]])
    result, out = run_import(runner, tmp_path, path, "--reconciliation", str(decisions))
    assert result.exit_code == 2
    assert "make their dates not overlap" in result.stderr
    bad = write_csv(tmp_path / "rec2.csv", ["kind", "epoch_name", "decision", "aikg_iri", "from", "until",
                                            "in_model", "reason"],
                    [["organisation", "Toy Lab", "merge", "aikgr:Google", "", "", "", "a test"]])
    result, out = run_import(runner, tmp_path, path, "--reconciliation", str(bad))
    assert result.exit_code == 2 and "line 2: unknown decision 'merge'" in result.stderr


def test_an_ambiguous_name_is_reported_not_guessed(runner, tmp_path):
    row = list(GOOD)
    row[HEADER.index("Authors")] = "I Sutskever"
    path = write_csv(tmp_path / "small.csv", HEADER, [row])
    empty = write_csv(tmp_path / "rec.csv", ["kind", "epoch_name", "decision", "aikg_iri", "from", "until",
                                             "in_model", "reason"], [])
    result, out = run_import(runner, tmp_path, path, "--reconciliation", str(empty))
    assert result.exit_code == 0
    assert "person 'I Sutskever': the same initials and surname as aikgr:Ilya_Sutskever" in result.stderr
    g = rdflib.Graph().parse(out)
    assert (rdflib.URIRef(R + "model-Toy_Net"), rdflib.URIRef(ep.A + "modelAuthor"),
            rdflib.URIRef(R + "person-I_Sutskever")) in g


@pytest.mark.parametrize(("text", "expected"), [
    ("4.7e+17", "4.7E17"), ("60000000.0", "6.0E7"), ("0.52", "5.2E-1"), ("0", "0.0E0"), ("33.0", "3.3E1"),
])
def test_figures_are_written_as_doubles_with_a_fraction_digit(text, expected):
    from decimal import Decimal

    assert ep.double_text(Decimal(text)) == expected
    assert float(expected) == float(text)
