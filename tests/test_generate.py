"""The synthetic-data generator: deterministic, linear in size, streamed, valid, and shaped like the real graph."""

from __future__ import annotations

import io
from pathlib import Path

import pyoxigraph as ox
import pytest

from aikg.cli import cli
from aikg.ingest.files import sources
from aikg.ingest.generate import MILESTONES_PER_ERA, generate
from aikg.ingest.generate import C as CLASSES
from aikg.ingest.load import build_memory_store
from aikg.ingest.validate import validate
from aikg.namespaces import RDF
from aikg.resources import default_ontology, default_shapes
from aikg.store import select

SMALL = 60  # milestones: three eras, every kind of resource


def _text(milestones: int, seed: int = 1, fmt: str = "nt") -> tuple[str, object]:
    out = io.StringIO()
    stats = generate(out, milestones, seed, fmt)
    return out.getvalue(), stats


@pytest.fixture(scope="module")
def small_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("gen") / "small.nt"
    path.write_text(_text(SMALL, seed=3)[0])
    return path


@pytest.fixture(scope="module")
def store(small_file):
    """The small generated graph loaded the way aikg loads data: ontology, alignments materialised."""
    return build_memory_store(sources([small_file], default_ontology()))


def test_same_seed_same_bytes_and_other_seed_differs():
    a, _ = _text(120, seed=5)
    b, _ = _text(120, seed=5)
    c, _ = _text(120, seed=6)
    assert a == b
    assert a != c


def test_reported_count_is_the_number_of_distinct_triples():
    text, stats = _text(300)
    triples = set(ox.parse(text, ox.RdfFormat.N_TRIPLES))
    assert stats.triples == len(triples) == len(text.splitlines())


def test_size_grows_linearly_with_milestones():
    _, small = _text(200)
    _, large = _text(2000)
    ratio = large.triples / small.triples
    assert 9.0 < ratio < 11.0
    assert 40 < large.triples_per_milestone < 140  # with a statement node per milestone date (issue 15)


def test_turtle_and_ntriples_hold_the_same_graph():
    nt, _ = _text(100, seed=9, fmt="nt")
    ttl, _ = _text(100, seed=9, fmt="ttl")
    assert set(ox.parse(nt, ox.RdfFormat.N_TRIPLES)) == set(ox.parse(ttl, ox.RdfFormat.TURTLE))


def test_output_is_streamed_in_bounded_chunks():
    class Recorder(io.StringIO):
        sizes: list[int] = []

        def write(self, s: str) -> int:
            self.sizes.append(len(s))
            return len(s)

    out = Recorder()
    stats = generate(out, 3000, 1)
    assert len(out.sizes) > 10  # written as it goes, not once at the end
    assert max(out.sizes) < 2**21 < sum(out.sizes) / 10  # each chunk is small; memory stays bounded
    assert stats.triples > 100_000


def test_rejects_bad_arguments():
    with pytest.raises(ValueError):
        generate(io.StringIO(), 0)
    with pytest.raises(ValueError):
        generate(io.StringIO(), 10, fmt="rdfxml")


def test_every_milestone_is_in_an_era_and_dated_inside_it(store):
    rows = select(store, """PREFIX aikg: <https://w3id.org/ai-history/ontology/>
        SELECT ?m ?year ?start ?end ?date WHERE {
          ?m a aikg:Milestone ; aikg:year ?year ; aikg:date ?date ; aikg:era ?era .
          ?era aikg:startYear ?start ; aikg:endYear ?end ; aikg:hasMilestone ?m .
        }""")
    assert len(rows) == SMALL
    for r in rows:
        year = int(r["year"].value)
        assert int(r["start"].value) <= year <= int(r["end"].value)
        assert r["date"].value.startswith(str(year))
    eras = select(store, "SELECT DISTINCT ?e WHERE { ?e a <https://w3id.org/ai-history/ontology/Era> }")
    assert len(eras) == -(-SMALL // MILESTONES_PER_ERA)


def test_producers_of_models_found_through_schema_org(store):
    rows = select(store, """PREFIX schema: <https://schema.org/>
        PREFIX aikg: <https://w3id.org/ai-history/ontology/>
        SELECT ?model ?org WHERE { ?model a aikg:Model ; schema:producer ?org . ?org a schema:Organization }""")
    models = select(store, "SELECT ?m WHERE { ?m a <https://w3id.org/ai-history/ontology/Model> }")
    assert models and len({r["model"] for r in rows}) == len(models)


def test_author_lists_match_the_authors(store):
    rows = select(store, """PREFIX aikg: <https://w3id.org/ai-history/ontology/>
        PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        SELECT ?paper (COUNT(DISTINCT ?listed) AS ?n) (COUNT(DISTINCT ?author) AS ?m) WHERE {
          ?paper a aikg:Paper ; aikg:authorList ?list ; aikg:author ?author .
          ?list rdf:rest*/rdf:first ?listed .
          ?author aikg:authorOf ?paper ; a aikg:Person .
        } GROUP BY ?paper""")
    assert rows
    for r in rows:
        assert r["n"].value == r["m"].value


def test_measurements_are_complete(store):
    rows = select(store, """PREFIX aikg: <https://w3id.org/ai-history/ontology/>
        PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT ?x WHERE {
          ?x a aikg:Measurement .
          FILTER NOT EXISTS { ?x aikg:metric/a aikg:Metric ; aikg:value ?v ; aikg:unit ?u ;
                              aikg:benchmark/a aikg:Dataset ; aikg:date ?d ; aikg:achievedBy ?a ; dcterms:source ?s }
        }""")
    count = select(store, "SELECT (COUNT(*) AS ?n) WHERE { ?x a <https://w3id.org/ai-history/ontology/Measurement> }")
    assert int(count[0]["n"].value) > SMALL / 3
    assert rows == []


def test_organisations_people_and_techniques_are_linked(store):
    def count(pattern: str) -> int:
        q = ("PREFIX aikg: <https://w3id.org/ai-history/ontology/>\nPREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
             f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")
        return int(select(store, q)[0]["n"].value)

    assert count("?o aikg:parentOrganisation ?p . ?p a aikg:Organisation") > 0
    assert count("?a a aikg:Acquisition ; aikg:acquirer ?b ; aikg:acquired ?c ; aikg:amount/aikg:value ?v . "
                 "?c aikg:acquiredBy ?b") > 0
    assert count("?p a aikg:Person ; aikg:affiliation [ aikg:organisation ?o ; aikg:role ?r ] ; "
                 "aikg:affiliatedWith ?o") > SMALL
    assert count("?t a aikg:Technique ; skos:broader ?b . ?b a aikg:Technique") > 0
    # Links point back in time: nothing builds on a later milestone.
    assert count("?m aikg:buildsOn ?e . ?m aikg:year ?y . ?e aikg:year ?z FILTER(?z > ?y)") == 0


@pytest.mark.slow
def test_small_graph_conforms_to_the_shapes(tmp_path):
    # 25 milestones hold every class the generator makes; pyshacl takes seconds even on this.
    text, _ = _text(25, seed=3)
    made = {t.object.value for t in ox.parse(text, ox.RdfFormat.N_TRIPLES) if t.predicate.value == RDF + "type"}
    assert {iri[1:-1] for iri in CLASSES.values()} <= made
    path = tmp_path / "g.nt"
    path.write_text(text)
    shapes = default_shapes()
    assert shapes, "shapes/ holds no SHACL file"
    report = validate([path], shapes, default_ontology())
    assert report.conforms, report.text()[:3000]
    assert report.results == [], report.text()[:3000]  # not even a warning


def test_cli_writes_turtle_and_reports_triples_per_milestone(runner, tmp_path):
    out = tmp_path / "g.ttl"
    result = runner.invoke(cli, ["generate", "--milestones", "30", "--seed", "2", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "per milestone" in result.output
    graph = list(ox.parse(path=out))
    milestones = [t for t in graph if t.object == ox.NamedNode("https://w3id.org/ai-history/ontology/Milestone")]
    assert len(milestones) == 30


def test_cli_refuses_a_mismatched_extension(runner, tmp_path):
    result = runner.invoke(cli, ["generate", "-n", "5", "--format", "ttl", "-o", str(tmp_path / "g.nt")])
    assert result.exit_code == 2
    assert "does not match" in result.output


def _busiest(store, class_iri: str, n: int = 4) -> list[str]:
    """The resources of a class with the most links in or out: the likeliest to give rows."""
    rows = select(store, f"""SELECT ?x (COUNT(*) AS ?n) WHERE {{
        ?x a <{class_iri}> . {{ ?x ?p ?o }} UNION {{ ?s ?q ?x }} }} GROUP BY ?x ORDER BY DESC(?n) STR(?x) LIMIT {n}""")
    return [r["x"].value for r in rows]


def test_every_shipped_named_query_finds_data(store):
    import itertools
    import re
    from pathlib import Path

    from aikg.graph.catalogue import shipped

    # The generator makes graphs shaped like the curated history; the questions about Epoch AI's figures (those
    # using a term of ontology/aikg-models.ttl) are checked on the shipped data in test_competency.py.
    models = (Path(__file__).parent.parent / "ontology" / "aikg-models.ttl").read_text(encoding="utf-8")
    epoch_terms = set(re.findall(r"^aikg:(\w+) a owl:(?:Object|Datatype)Property", models, flags=re.M))
    catalogue = [q for q in shipped() if not any(f"aikg:{t}" in q.text for t in epoch_terms)]
    assert 0 < len(catalogue) < len(shipped())
    empty = []
    for query in catalogue:
        required = [p for p in query.parameters if p.required]
        choices = [_busiest(store, p.class_iri or "https://w3id.org/ai-history/ontology/Milestone") for p in required]
        for combo in itertools.islice(itertools.product(*choices), 16):
            binding = query.bind(store, {p.name: [v] for p, v in zip(required, combo, strict=True)})
            if query.run(store, binding, timeout=30).rows:
                break
        else:
            empty.append(query.name)
    assert empty == []
