"""Resource pages, statements first: key facts by kind, human labels, sources per statement, folded rows, citing."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from aikg.graph.cite import cite
from aikg.graph.describe import statement_sources
from aikg.graph.labels import Link, literal_text, number_text, outside, vocabulary
from aikg.graph.profile import profile
from aikg.namespaces import DCTERMS, ONTOLOGY, SCHEMA, SKOS, XSD, sparql_prologue
from aikg.store import select

R = "https://w3id.org/ai-history/resource/"
A = ONTOLOGY


@pytest.fixture(scope="module")
def store(full_app):
    return full_app.extensions["aikg"]


def _one(store, text, **bind):
    rows = select(store, sparql_prologue() + text, **bind)
    assert rows, text
    return rows


def _row(p, label):
    found = [s for s in p.summary if s.label == label]
    assert found, f"no {label!r} in {[s.label for s in p.summary]}"
    return found[0]


def test_a_model_leads_with_its_release_maker_and_paper(store):
    p = profile(store, R + "AlphaGo")
    assert p.kind == "model"
    labels = [s.label for s in p.summary]
    assert labels[:3] == ["Released", "By", "Paper"]
    (date,) = [r["d"] for r in _one(store, "SELECT ?d ?s WHERE { ?s aikg:releaseDate ?d }",
                                    s=ox.NamedNode(R + "AlphaGo"))]
    released = _row(p, "Released")
    assert released.values[0].when is not None and released.values[0].when.machine == date.value
    assert released.values[0].text == literal_text(date)  # "28 January 2016", not "2016-01-28"
    assert [v.iri for v in _row(p, "By").values] == [R + "DeepMind"]
    # The matches it played, each once with its score, not each game.
    matches = _row(p, "Matches")
    scored = {r["x"].value for r in _one(store, "SELECT ?x ?s WHERE { ?x aikg:participant ?s ; aikg:score ?sc }",
                                         s=ox.NamedNode(R + "AlphaGo"))}
    assert {v.iri for v in matches.values} == scored
    assert all("won by" in (v.note or "") for v in matches.values)


def test_a_milestone_says_when_where_who_what_and_the_result(store):
    p = profile(store, R + "AlphaGo_defeats_Lee_Sedol_2016")
    labels = [s.label for s in p.summary]
    for wanted in ("When", "Where", "By", "People", "What it produced", "Result"):
        assert wanted in labels, labels
    assert labels.index("When") < labels.index("By") < labels.index("Result")
    where = _row(p, "Where")
    place = _one(store, "SELECT ?place ?s WHERE { ?s aikg:about ?m . ?m a aikg:Match ; aikg:location ?place }",
                 s=ox.NamedNode(R + "AlphaGo_defeats_Lee_Sedol_2016"))[0]["place"]
    assert where.values[0].iri == place.value and where.via is not None
    score = _one(store, "SELECT ?sc ?s WHERE { ?s aikg:about ?m . ?m a aikg:Match ; aikg:score ?sc }",
                 s=ox.NamedNode(R + "AlphaGo_defeats_Lee_Sedol_2016"))[0]["sc"].value
    assert any(score in (v.note or "") for v in _row(p, "Result").values)


def test_a_person_has_a_dated_career_and_no_doubled_affiliations(store):
    p = profile(store, R + "Ilya_Sutskever")
    assert p.kind == "person"
    career = next(c for c in p.chronicles if c.key == "career")
    orgs = [i.what.iri for i in career.items]
    affiliated = {r["o"].value for r in _one(store, "SELECT ?o ?s WHERE { ?s aikg:affiliatedWith ?o }",
                                             s=ox.NamedNode(R + "Ilya_Sutskever"))}
    assert set(orgs) == affiliated and len(orgs) == len(set(orgs))  # each organisation once
    dated = [i for i in career.items if i.when or i.end]
    assert dated and career.items[: len(dated)] == dated  # dated lines first, in order
    keys = [(i.when or i.end).key for i in dated]
    assert keys == sorted(keys)
    shown = {s.predicate for sec in p.sections for s in sec.statements}
    assert A + "affiliatedWith" not in shown and A + "affiliation" not in shown
    work = next(c for c in p.chronicles if c.key == "work")
    papers = {r["x"].value for r in _one(store, "SELECT ?x ?s WHERE { ?x aikg:author ?s }",
                                         s=ox.NamedNode(R + "Ilya_Sutskever"))}
    assert papers <= {i.what.iri for i in work.items}
    assert not any(g.property == A + "author" for g in p.incoming)  # listed once, in the work


def test_an_organisation_lists_its_milestones_and_models_over_time(store):
    p = profile(store, R + "DeepMind")
    works = next(c for c in p.chronicles if c.key == "works")
    made = {r["x"].value for r in _one(store, "SELECT ?x ?s WHERE { ?x aikg:producedBy ?s }",
                                       s=ox.NamedNode(R + "DeepMind"))}
    assert made <= {i.what.iri for i in works.items}
    dates = [i.when.key for i in works.items if i.when]
    assert dates == sorted(dates)
    assert {"milestone", "model"} <= {i.kind for i in works.items}
    people = next(c for c in p.chronicles if c.key == "people")
    founders = {r["f"].value for r in _one(store, "SELECT ?f ?s WHERE { ?s aikg:foundedBy ?f }",
                                           s=ox.NamedNode(R + "DeepMind"))}
    assert founders <= {i.what.iri for i in people.items}
    assert [s.label for s in p.summary][:2] == ["Founded", "Founders"]


def test_every_property_has_a_human_label_and_outside_iris_name_their_registry(store):
    p = profile(store, R + "DeepMind")
    rows = [s for sec in p.sections for s in sec.statements] + p.summary
    for s in rows:
        assert ":" not in s.label and "/" not in s.label, s.label
    same = next(s for s in rows if s.predicate == SKOS + "exactMatch")
    (wd,) = [r["o"].value for r in _one(store, "SELECT ?o ?s WHERE { ?s skos:exactMatch ?o }",
                                        s=ox.NamedNode(R + "DeepMind"))]
    assert same.values[0].iri == wd and same.values[0].text == "Wikidata: " + wd.rsplit("/", 1)[-1]
    versions = profile(store, R + "AlphaGo_Lee")
    stated = versions.summary + [s for sec in versions.sections for s in sec.statements]
    assert "version of" in {s.label.lower() for s in stated}


def test_entailed_alignments_fold_into_the_stated_row(store):
    p = profile(store, R + "AlphaGo")
    shown = {s.predicate for sec in p.sections for s in sec.statements} | {s.predicate for s in p.summary}
    assert SCHEMA + "producer" not in shown and SCHEMA + "producer" not in {s.predicate for s in p.entailed}
    assert "schema:producer" in _row(p, "By").also
    # uses is entailed from introduces: the technique is listed once, under introduces.
    introduced = next(s for sec in p.sections for s in sec.statements if s.predicate == A + "introduces")
    used = next(s for sec in p.sections for s in sec.statements if s.predicate == A + "uses")
    assert not {v.iri for v in introduced.values} & {v.iri for v in used.values}
    # AlphaGo Zero surpasses (a kind of builds on) AlphaGo: one incoming group holds it.
    holding = [g.label for g in p.incoming if any(lk.iri == R + "AlphaGo_Zero" for lk in g.links)]
    assert holding == ["surpassed by"]


def test_each_statement_names_its_sources(store):
    p = profile(store, R + "DeepMind")
    stated = {r["src"].value for r in _one(store, """SELECT ?src ?s WHERE { ?s aikg:foundingDate ?o .
        ?st rdf:subject ?s ; rdf:predicate aikg:foundingDate ; rdf:object ?o ; prov:wasDerivedFrom ?src }""",
                                           s=ox.NamedNode(R + "DeepMind"))}
    founded = _row(p, "Founded")
    # The founding year's own sources, not every document the resource cites.
    assert {p.sources[n - 1].iri for n in founded.sources} == stated
    for s in [*p.summary, *(st for sec in p.sections for st in sec.statements)]:
        assert s.sources, s.label
        assert all(1 <= n <= len(p.sources) for n in s.sources)


def test_statement_sources_fall_back_to_node_then_resource_provenance(store):
    # A statement with no rdf:Statement of its own: the n-ary node's sources, else the subject's.
    a, b = Link("https://example.org/a", "A"), Link("https://example.org/b", "B")
    node = ox.NamedNode(R + "Node")
    got = statement_sources(store, [(R + "X", A + "p", ox.Literal("1")), (R + "X", A + "q", node)],
                            {R + "X": [a]}, {node: [b]})
    assert got[(R + "X", A + "p", ox.Literal("1"))] == [a]
    assert got[(R + "X", A + "q", node)] == [b]


def test_statement_sources_read_each_statements_own_sources(store):
    # DeepMind's founding year (2010) is stated by one document; the resource cites many.
    (row,) = _one(store, "SELECT ?o ?s WHERE { ?s aikg:foundingDate ?o }", s=ox.NamedNode(R + "DeepMind"))
    key = (R + "DeepMind", A + "foundingDate", row["o"])
    own = {r["src"].value for r in _one(store, """SELECT ?src ?s ?o WHERE {
        ?st rdf:subject ?s ; rdf:predicate aikg:foundingDate ; rdf:object ?o ; prov:wasDerivedFrom ?src }""",
        s=ox.NamedNode(R + "DeepMind"), o=row["o"])}
    everything = [Link(R + "Somewhere", "somewhere")]
    got = statement_sources(store, [key], {R + "DeepMind": everything})
    assert own and {lk.iri for lk in got[key]} == own
    assert all(lk.label != lk.iri for lk in got[key])  # each source with its title


def test_one_style_for_dates_booleans_and_numbers(store):
    acquisition = profile(store, R + "Google_acquires_DeepMind_2014")
    (disclosed,) = [r["v"] for r in _one(store, "SELECT ?v ?s WHERE { ?s aikg:priceDisclosed ?v }",
                                         s=ox.NamedNode(R + "Google_acquires_DeepMind_2014"))]
    row = next(s for s in acquisition.summary if s.predicate == A + "priceDisclosed")
    assert row.values[0].text == {"true": "yes", "false": "no"}[disclosed.value]
    assert literal_text(ox.Literal("2016-03", datatype=ox.NamedNode(XSD + "gYearMonth"))) == "March 2016"
    assert literal_text(ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean"))) == "yes"
    assert number_text("4.7E17") == "4.7 × 10¹⁷" and number_text("60000000", integer=True) == "60,000,000"
    assert number_text("2012") == "2012" and number_text("28.40") == "28.40"
    assert outside("http://www.wikidata.org/entity/Q92894").text == "Wikidata: Q92894"


def test_cite_this_names_the_data_version_and_escapes_labels(store):
    p = profile(store, R + "AlphaGo")
    info = store.info
    assert info.version in p.citation.bibtex and info.version in p.citation.text
    (entry,) = json.loads(p.citation.csl_json)
    assert entry["URL"] == R + "AlphaGo" and entry["version"] == info.version and entry["title"] == "AlphaGo"
    hostile = cite(R + "X", "A} @misc{evil, title={x", "model", "v1", "2026-01-02T00:00:00+00:00")
    assert "@misc{evil" not in hostile.bibtex.replace("\\{", "") and hostile.bibtex.count("@misc{") == 1
    assert '"issued": {' in hostile.csl_json


def test_vocabulary_reads_labels_inverses_and_super_properties(store):
    vocab = vocabulary(store)
    label = _one(store, "SELECT ?l WHERE { aikg:producedBy rdfs:label ?l }")[0]["l"].value
    assert vocab.label(A + "producedBy") == label
    assert vocab.is_super(SCHEMA + "producer", A + "producedBy")
    assert vocab.inverse_label(A + "author") == vocab.label(A + "authorOf")
    assert vocab.label(DCTERMS + "isVersionOf") == "version of"


@pytest.mark.parametrize("slug", ["AlphaGo", "DeepMind", "Ilya_Sutskever", "AlphaGo_defeats_Lee_Sedol_2016",
                                  "Deep_Learning_Breakthrough", "Transformer_paper", "Self-play", "London",
                                  "../ontology/Milestone", "../ontology/producedBy"])
def test_every_kind_of_page_renders_with_sources_and_citation(full_client, slug):
    r = full_client.get(f"/resource/{slug}.html".replace("/resource/../", "/"))
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'id="cite"' in html and "@misc{" in html and 'container-title' in html
    assert "<script>" not in html and " style=" not in html and " onclick" not in html


def test_a_kept_page_is_the_page_built_afresh(store):
    from aikg.graph import profile as module

    for name in ("AlphaGo", "DeepMind", "Ilya_Sutskever", "Google"):
        kept = profile(store, R + name)
        assert kept is profile(store, R + name)  # the second view is the first one's page
        assert kept == module._profile.fn(store, R + name, 50, 0)  # built without the memo
    assert profile(store, R + "DeepMind", incoming_offset=50) != profile(store, R + "DeepMind")
    assert profile(store, R + "No_Such_Thing") is None


def test_statement_nodes_are_not_links_from_other_pages(store):
    # Each fact's rdf:Statement nodes give its numbered sources; they are not resources a reader follows.
    for name in ("AlphaGo", "DeepMind", "Ilya_Sutskever"):
        p = profile(store, R + name)
        linked = {lk.iri for g in p.incoming for lk in g.links}
        assert linked
        statements = {r["s"].value for r in select(store, "SELECT DISTINCT ?s WHERE { ?s a "
                                                   "<http://www.w3.org/1999/02/22-rdf-syntax-ns#Statement> }")}
        assert statements and not linked & statements, name
        assert all(not g.property.startswith("http://www.w3.org/1999/02/22-rdf-syntax-ns#") for g in p.incoming)
        assert all(g.links or g.more for g in p.incoming)


def test_versions_read_one_way_whichever_property_states_them(store):
    p = profile(store, R + "AlphaGo")
    groups = [g for g in p.incoming if g.label == "versions"]
    assert len(groups) == 1
    stated = {r["v"].value for r in select(store, sparql_prologue() + f"""SELECT DISTINCT ?v WHERE {{
        {{ ?v aikg:versionOf <{R}AlphaGo> }} UNION {{ ?v <{DCTERMS}isVersionOf> <{R}AlphaGo> }} }}""")}
    assert {lk.iri for lk in groups[0].links} == stated and len(stated) >= 2


def test_bylines_name_the_person_their_place_and_the_paper(store):
    rows = select(store, sparql_prologue() + f"""SELECT ?a ?who ?pl ?wl ?n WHERE {{
        ?a aikg:bylineAffiliation <{R}DeepMind> ; aikg:person ?who ; aikg:position ?n . ?who rdfs:label ?pl .
        ?w aikg:authorship ?a ; rdfs:label ?wl }}""")
    expected = {r["a"].value: f"{r['pl'].value}, author {r['n'].value} of {r['wl'].value}" for r in rows}
    group = next(g for g in profile(store, R + "DeepMind").incoming if g.property == A + "bylineAffiliation")
    assert group.links and all(expected[lk.iri] == lk.label for lk in group.links)
    assert [lk.label.casefold() for lk in group.links] == sorted(lk.label.casefold() for lk in group.links)
    own = next(g for g in profile(store, R + "Ilya_Sutskever").incoming if g.property == A + "person")
    assert own.links and all(lk.label.startswith("Author ") and "Sutskever" not in lk.label for lk in own.links)


def test_sources_are_numbered_in_reading_order_whatever_order_the_store_sent():
    """Two stores that send the same rows in other orders give the page the same numbers: a row's sources met
    together are taken by label, the rows in the order the page shows them."""
    from aikg.graph.profile import Chronicle, Dated, Shown, SourceRef, Statement, _renumbered

    def page(order: list[str]) -> tuple[list, list, list]:
        refs = [SourceRef(n, f"https://example.org/{x}", x) for n, x in enumerate(order, start=1)]
        number = {r.label: r.number for r in refs}
        summary = [Statement("made by", [Shown("x")], [number["Zeta"], number["Alpha"]]),
                   Statement("when", [Shown("y")], [number["Mid"]])]
        chronicles = [Chronicle("work", "Work", [Dated(None, Shown("z"), "wrote", sources=[number["Zeta"]])], 1)]
        out = _renumbered(refs, summary, chronicles, [], [], [])
        return ([(r.number, r.label) for r in out], [s.sources for s in summary],
                [i.sources for c in chronicles for i in c.items])

    expected = ([(1, "Alpha"), (2, "Zeta"), (3, "Mid"), (4, "Unused")], [[1, 2], [3]], [[2]])
    assert page(["Zeta", "Mid", "Alpha", "Unused"]) == expected
    assert page(["Unused", "Alpha", "Mid", "Zeta"]) == expected
    assert page(["Mid", "Unused", "Zeta", "Alpha"]) == expected
