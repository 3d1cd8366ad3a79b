"""SHACL validation: the shapes catch each defect of tests/fixtures/invalid/, accept the tiny and shipped
graphs, agree with pyshacl run directly, and the report reads well as text, JSON and Turtle."""

from __future__ import annotations

import json
from pathlib import Path

import pyshacl
import pytest
import rdflib
from rdflib import OWL, RDF, RDFS, SH, URIRef

from aikg.errors import BadRequest, InvalidData
from aikg.ingest.validate import Report, check, validate
from aikg.resources import default_data, default_ontology, default_shapes

TESTS = Path(__file__).parent
ROOT = TESTS.parent
TINY = TESTS / "data" / "tiny.ttl"
INVALID = TESTS / "fixtures" / "invalid"
# Every shipped shapes and ontology file: aikg-shapes.ttl and aikg.ttl, and the models' aikg-models-*.ttl.
SHAPES = sorted((ROOT / "shapes").glob("*.ttl"))
ONTOLOGY = sorted((ROOT / "ontology").glob("*.ttl"))

R = "https://w3id.org/ai-history/resource/"
ONT = "https://w3id.org/ai-history/ontology/"
SHC = "http://www.w3.org/ns/shacl#"
DCT = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
STMT = "https://w3id.org/ai-history/statement/"
RDF_OBJECT = "http://www.w3.org/1999/02/22-rdf-syntax-ns#object"
RDFS_LABEL = str(RDFS.label)
RDF_TYPE = str(RDF.type)

DATE_MESSAGE = (
    'A date (aikg:date) must be a valid xsd:date ("2016-03-09"), xsd:gYearMonth ("2016-03") or xsd:gYear ("2016"), '
    "typed as such."
)

# For each fixture, the violations it must produce and nothing else: (focus, path, component, message).
# The messages are the shapes' own sh:message texts (SPARQL ones with the fixture's values filled in).
EXPECTED: dict[str, set[tuple[str, str | None, str, str]]] = {
    "milestone-no-date": {(
        R + "Fx_Milestone", ONT + "date", "MinCount",
        "A milestone needs exactly one date (aikg:date: xsd:date, gYearMonth or gYear); where sources disagree, "
        "keep one and record the others as aikg:ReportedValue.",
    )},
    "milestone-no-era": {(
        R + "Fx_Milestone", ONT + "era", "MinCount",
        "A milestone belongs to exactly one era (aikg:era): name the era whose years contain it.",
    )},
    "milestone-two-eras": {(
        R + "Fx_Milestone", ONT + "era", "MaxCount",
        "A milestone belongs to exactly one era (aikg:era): name the era whose years contain it.",
    )},
    "milestone-no-source": {(
        R + "Fx_Milestone", DCT + "source", "MinCount",
        "A milestone needs at least one source (dcterms:source: the IRI of the paper, article or announcement "
        "it rests on).",
    )},
    "milestone-year-outside-era": {(
        R + "Fx_Milestone", ONT + "year", "SPARQL",
        'The milestone\'s year 2019 lies outside its era "Fixture era" (2013 to 2016): fix the year or the era.',
    )},
    "milestone-date-year-mismatch": {(
        R + "Fx_Milestone", ONT + "date", "SPARQL",
        "The date 2015-03-09 is not in the year 2014 given by aikg:year: correct one of the two.",
    )},
    "produced-by-person": {(
        R + "Fx_Milestone", ONT + "producedBy", "Class",
        "aikg:producedBy must point to an organisation (aikg:Organisation); name people with aikg:contributor "
        "or aikg:author instead.",
    )},
    "dangling-reference": {(
        R + "Fx_Milestone", ONT + "buildsOn", "SPARQL",
        "aikgr:Nowhere is linked to here but never described (it has no rdf:type): fix the IRI if it is a typo, "
        "or add the resource.",
    )},
    "year-as-string": {(
        R + "Fx_Milestone", ONT + "year", "Datatype",
        "A year (aikg:year) must be an xsd:integer, written without quotes: aikg:year 2016.",
    )},
    "date-plain-string": {(R + "Fx_Milestone", ONT + "date", "Or", DATE_MESSAGE)},
    "date-ill-formed": {(R + "Fx_Milestone", ONT + "date", "Or", DATE_MESSAGE)},
    "date-bad-year-month": {(R + "Fx_Milestone", ONT + "date", "Or", DATE_MESSAGE)},
    "duplicate-label": {(
        R + "Fx_Model", RDFS_LABEL, "UniqueLang",
        "A resource has at most one label per language: keep one and move the others to skos:altLabel.",
    )},
    "label-without-language": {(
        R + "Fx_Lab", RDFS_LABEL, "Datatype",
        'A label must be a non-empty string with a language tag, such as "AlexNet"@en.',
    )},
    "measurement-no-value": {(
        R + "Fx_Measurement", ONT + "value", "MinCount",
        "A measurement needs exactly one numeric value (aikg:value, such as 15.3); keep other sources' figures "
        "as separate measurements.",
    )},
    "measurement-value-not-numeric": {(
        R + "Fx_Measurement", ONT + "value", "Or",
        "A value (aikg:value) must be a number (xsd:integer, decimal, double or float) written without quotes, "
        "such as 15.3; the unit goes in aikg:unit.",
    )},
    "measurement-no-metric": {(
        R + "Fx_Measurement", ONT + "metric", "MinCount",
        "A measurement needs exactly one metric (aikg:metric: what it measures, an aikg:Metric).",
    )},
    "paper-bad-arxiv-id": {(
        R + "Fx_Paper", ONT + "arxivId", "Pattern",
        'An arXiv identifier (aikg:arxivId) must look like "1706.03762" (or the old form "cs/0112017"), without '
        'the "arXiv:" prefix or a URL.',
    )},
    "paper-bad-doi": {(
        R + "Fx_Paper", ONT + "doi", "Pattern",
        'A DOI (aikg:doi) must look like "10.1038/nature16961", without the https://doi.org/ prefix.',
    )},
    "author-not-person": {(
        R + "Fx_Paper", ONT + "author", "Class",
        "aikg:author must point to a person (aikg:Person); an organisation goes in aikg:producedBy.",
    )},
    # One defect, two results: the era's years are reversed, so no year can lie inside it.
    "era-end-before-start": {
        (
            R + "Fx_Era", ONT + "startYear", "LessThanOrEquals",
            "An era cannot end before it starts: aikg:startYear must not be after aikg:endYear.",
        ),
        (
            R + "Fx_Milestone", ONT + "year", "SPARQL",
            'The milestone\'s year 2014 lies outside its era "Fixture era" (2016 to 2013): fix the year or the era.',
        ),
    },
    "era-milestone-disagree": {(
        R + "Fx_Era_2", ONT + "hasMilestone", "SPARQL",
        'This era lists the milestone "Fixture milestone" (aikg:hasMilestone), but that milestone\'s aikg:era is '
        '"Fixture era": make the two agree.',
    )},
    "person-and-organisation": {(
        R + "Fx_Person", None, "Not",
        "Nothing can be both a person and an organisation (they are disjoint in the ontology): keep one type.",
    )},
    # A cycle has two ends: each organisation is reported.
    "organisation-cycle": {
        (
            R + "Fx_Lab", ONT + "parentOrganisation", "SPARQL",
            'This organisation is its own parent through "Fixture parent company" (a cycle of '
            "aikg:parentOrganisation): one of the links points the wrong way.",
        ),
        (
            R + "Fx_Parent", ONT + "parentOrganisation", "SPARQL",
            'This organisation is its own parent through "Fixture lab" (a cycle of aikg:parentOrganisation): one '
            "of the links points the wrong way.",
        ),
    },
    "untyped-resource": {(
        R + "Fx_Untyped", RDF_TYPE, "MinCount",
        "This resource has no type (rdf:type): say what it is, such as aikg:Milestone or aikg:Person.",
    )},
    "source-as-text": {(
        R + "Fx_Milestone", DCT + "source", "Node",
        "A source (dcterms:source) must be the web address (http or https IRI) of the document, not text.",
    )},
    "amount-no-currency": {(
        R + "Fx_Funding", ONT + "currency", "MinCount",
        'A monetary amount needs exactly one currency (aikg:currency, an ISO 4217 code such as "USD").',
    )},
    "amount-bad-qualifier": {(
        R + "Fx_Funding", ONT + "qualifier", "In",
        'A qualifier (aikg:qualifier) must be one of the plain strings "exact", "about", "at least", "at most" '
        'or "estimated".',
    )},
    # Provenance per statement and the other rules of the curated graph (issue 15).
    'statement-no-source': {
        (R + 'Fx_Lab', ONT + 'foundingDate', 'SPARQL',
         'No source states this: write it in the graph of the document that says so '
         '(curation/milestones.trig), so that its rdf:Statement names that document with prov:wasDerivedFrom.'),
    },
    'statement-without-derivation': {
        (R + 'Fx_Lab', ONT + 'foundingDate', 'SPARQL',
         'No source states this: write it in the graph of the document that says so '
         '(curation/milestones.trig), so that its rdf:Statement names that document with prov:wasDerivedFrom.'),
        (STMT + 'fx1', PROV + 'wasDerivedFrom', 'MinCount',
         'A statement names the documents that state it (prov:wasDerivedFrom), each an aikg:Source with its '
         'address and title.'),
    },
    'statement-source-undescribed': {
        (STMT + 'fx1', PROV + 'wasDerivedFrom', 'Class',
         'A statement names the documents that state it (prov:wasDerivedFrom), each an aikg:Source with its '
         'address and title.'),
    },
    'source-own-compilation': {
        ('https://w3id.org/ai-history/source/our-notes', None, 'Not',
         "A source is a document others published at its own address; an IRI in the project's namespace is "
         "the project's own compilation, not a source."),
    },
    'press-no-publisher': {
        ('https://example.org/fixture/news', DCT + 'publisher', 'MinCount',
         'A press article needs its publisher (dcterms:publisher).'),
    },
    'statement-deprecated-asserted': {
        (R + 'Fx_Lab', ONT + 'foundingDate', 'MaxCount',
         'An organisation has at most one founding date (aikg:foundingDate); record other reported dates as '
         'aikg:ReportedValue.'),
        (STMT + 'fx2', RDF_OBJECT, 'SPARQL',
         'This statement is outranked (deprecated, or normal where another value is preferred), yet the graph '
         'asserts its triple: assert only the best-ranked values.'),
    },
    'statement-rank-without-reason': {
        (STMT + 'fx1', ONT + 'statementRank', 'SPARQL',
         'A statement ranked preferred needs the reason (aikg:rankReason): why this value is preferred, or '
         'why it is wrong.'),
    },
    'statement-best-not-asserted': {
        (STMT + 'fx1', RDF_OBJECT, 'SPARQL',
         'No other value outranks this statement, but the graph does not assert its triple: assert it, or '
         'rank it below another value with a reason.'),
    },
    'software-no-licence': {
        (R + 'Fx_Library', ONT + 'licence', 'MinCount',
         "Released software names the licence it was released under (aikg:licence, the licence's IRI)."),
    },
    'technique-not-in-scheme': {
        (R + 'Fx_Technique', SKOS + 'inScheme', 'MinCount',
         'A technique of the curated graph belongs to its concept scheme (skos:inScheme aikgr:Techniques).'),
    },
    'model-and-technique': {
        (R + 'Fx_Model', None, 'Not',
         'A model or system is not a technique: keep the model (the trained system) and the technique (the '
         'idea it introduced) as two resources linked by aikg:introduces.'),
    },
    'workshop-not-in-conference': {
        (R + 'Fx_Workshop', ONT + 'partOfEvent', 'MinCount',
         'A workshop is held with exactly one conference edition (aikg:partOfEvent, an '
         "aikg:ConferenceEdition), so its papers are not counted as the conference's."),
    },
    'authorship-duplicate-position': {
        (R + 'Fx_Paper', ONT + 'authorship', 'SPARQL',
         'Two authorships of this paper give the same place 1 in the byline: each author has a position of '
         'their own.'),
    },
    'contributor-is-opponent': {
        (R + 'Fx_Milestone', ONT + 'contributor', 'SPARQL',
         'Fixture player played in Fixture match, which this milestone is about: an opponent is a participant '
         'of the match (aikg:participant), not a contributor of the milestone.'),
    },
}

# Fixtures that conform but must draw a warning: (focus, path, message).
WARNINGS = {
    "warning-milestone-no-contributor": (
        R + "Fx_Milestone", ONT + "contributor",
        "No contributor is named for this milestone: add the people who took a key part (aikg:contributor).",
    ),
    "warning-person-no-affiliation": (
        R + "Fx_Person", "(aikg:affiliatedWith|aikg:affiliation|aikg:importedFrom)",
        "No affiliation is recorded for this person: add the organisation they worked at (aikg:affiliatedWith, "
        "or an aikg:Affiliation node).",
    ),
}


def run(*paths: Path) -> Report:
    return validate(list(paths), SHAPES, ONTOLOGY)


def violations(report: Report) -> set[tuple[str, str | None, str, str]]:
    return {
        (r.focus, r.path, r.component.removeprefix(SHC).removesuffix("ConstraintComponent"), r.message)
        for r in report.results
        if r.severity == "Violation"
    }


def test_every_fixture_is_covered():
    on_disk = {p.stem for p in INVALID.glob("*.ttl")}
    assert on_disk == set(EXPECTED) | set(WARNINGS)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_reports_its_defect(name):
    report = run(INVALID / f"{name}.ttl")
    assert not report.conforms
    assert violations(report) == EXPECTED[name]
    assert report.counts["Violation"] == len(EXPECTED[name])


@pytest.mark.parametrize("name", sorted(WARNINGS))
def test_warning_fixture_conforms_but_warns(name):
    report = run(INVALID / f"{name}.ttl")
    assert report.conforms
    assert report.counts["Violation"] == 0
    focus, path, message = WARNINGS[name]
    warnings = [(r.focus, r.path, r.message) for r in report.results if r.severity == "Warning"]
    assert warnings == [(focus, path, message)]
    check([INVALID / f"{name}.ttl"], SHAPES, ONTOLOGY)  # warnings never make check() fail


def test_dangling_reference_names_the_missing_resource():
    report = run(INVALID / "dangling-reference.ttl")
    [result] = report.violations
    assert result.value == f"<{R}Nowhere>"
    assert result.shape == "https://w3id.org/ai-history/shapes/DeclaredReferences"


def test_wrong_class_result_carries_the_value_and_shape():
    [result] = run(INVALID / "produced-by-person.ttl").violations
    assert result.value == f"<{R}Fx_Person>"
    assert result.shape == "https://w3id.org/ai-history/shapes/producedBy-value"
    assert result.focus_label == '"Fixture milestone" (aikg:Milestone)'


def test_tiny_graph_conforms_with_the_expected_warnings():
    report = run(TINY)
    assert report.conforms, report.text()
    # tiny.ttl names no contributor on its two milestones, and its one measurement (games won) has no unit.
    warnings = {(r.focus, r.path) for r in report.results if r.severity == "Warning"}
    assert warnings == {(R + "Test_DQN_2013", ONT + "contributor"), (R + "Test_AlphaGo_2016", ONT + "contributor")}
    infos = {(r.focus, r.path) for r in report.results if r.severity == "Info"}
    assert infos == {(R + "Test_AlphaGo_Wins", ONT + "unit")}


def curated_data() -> list:
    """The hand-curated data files (data/ without the imported datasets under data/epoch/)."""
    return [p for p in default_data() if "epoch" not in p.parts]


@pytest.fixture(scope="module")
def shipped_reference() -> Report:
    """The reference engine's report on the curated data, made once. pyshacl takes seconds on it, and minutes on
    the imported Epoch graph beside it, which the compiled engine checks (as startup does)."""
    data = curated_data()
    assert data, "data/ holds no RDF files"
    return validate(data, SHAPES, ONTOLOGY)


def test_shipped_data_conforms(shipped_reference):
    assert shipped_reference.conforms, shipped_reference.text()


def test_everything_shipped_conforms_with_the_compiled_engine():
    files = default_data()
    assert len(files) > len(curated_data())  # the imported graph is there too
    report = validate(files, SHAPES, ONTOLOGY, engine="fast")
    assert report.conforms, report.text()


def test_check_raises_with_the_report():
    with pytest.raises(InvalidData) as caught:
        check([INVALID / "milestone-no-date.ttl"], SHAPES, ONTOLOGY)
    assert "1 violation" in caught.value.message
    assert isinstance(caught.value.report, Report)
    assert not caught.value.report.conforms
    assert caught.value.exit_code == 1


def test_a_file_that_does_not_parse_names_file_line_and_reason(tmp_path):
    bad = tmp_path / "broken.ttl"
    bad.write_text(
        "@prefix aikg: <https://w3id.org/ai-history/ontology/> .\n"
        "@prefix aikgr: <https://w3id.org/ai-history/resource/> .\n"
        "\n"
        'aikgr:X a aikg:Milestone ; aikg:year 2014\n'
        "aikgr:Y a aikg:Era .\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidData) as caught:
        run(bad)
    message = caught.value.message
    assert message.startswith(f"{bad}, line 5, column ")
    assert "does not parse" in message
    assert caught.value.details["line"] == 5
    assert caught.value.details["file"] == str(bad)
    assert caught.value.report is None


def test_an_unknown_extension_is_invalid_data(tmp_path):
    odd = tmp_path / "data.txt"
    odd.write_text("<a> <b> <c> .\n", encoding="utf-8")
    with pytest.raises(InvalidData, match="unknown RDF file extension"):
        run(odd)


# --- the report ------------------------------------------------------------------------------------------


def test_text_groups_results_by_resource_with_curies_and_labels():
    report = run(INVALID / "organisation-cycle.ttl")
    text = report.text()
    assert text.splitlines()[0] == report.summary()
    assert "does not conform" in report.summary()
    assert "2 violations" in report.summary()
    assert 'aikgr:Fx_Lab  "Fixture lab" (aikg:Organisation)' in text
    assert 'aikgr:Fx_Parent  "Fixture parent company" (aikg:Organisation)' in text
    assert "value: aikgr:Fx_Parent" in text
    assert "https://w3id.org/ai-history/resource/" not in text
    # One heading per resource, even when it has several results.
    two = run(INVALID / "label-without-language.ttl").text()
    assert two.count('aikgr:Fx_Lab  "Fixture lab" (aikg:Organisation)') == 1
    assert "Violation" in two and "Warning" in two


def test_text_of_a_conforming_report_says_so():
    text = run(TINY).text()
    assert "conforms to the shapes: 0 violations, 2 warnings, 1 info." in text


def test_json_report():
    report = run(INVALID / "year-as-string.ttl")
    body = json.loads(report.to_json())
    assert body["conforms"] is False
    assert body["counts"] == {"Violation": 1, "Warning": 0, "Info": 0}
    [result] = body["results"]
    assert result["focus"] == R + "Fx_Milestone"
    assert result["path"] == ONT + "year"
    assert result["component"] == SHC + "DatatypeConstraintComponent"
    assert result["severity"] == "Violation"
    assert result["value"] == '"2014"'


def test_turtle_report_is_the_shacl_results_graph():
    report = run(INVALID / "organisation-cycle.ttl")
    graph = rdflib.Graph().parse(data=report.to_turtle(), format="turtle")
    [node] = graph.subjects(RDF.type, SH.ValidationReport)
    assert graph.value(node, SH.conforms) == rdflib.Literal(False)
    assert len(list(graph.objects(node, SH.result))) == 2
    foci = {str(graph.value(r, SH.focusNode)) for r in graph.objects(node, SH.result)}
    assert foci == {R + "Fx_Lab", R + "Fx_Parent"}


# --- the shapes themselves -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shapes_graph() -> rdflib.Graph:
    graph = rdflib.Graph()
    for p in SHAPES:
        graph.parse(p)
    return graph


@pytest.fixture(scope="module")
def ontology_graph() -> rdflib.Graph:
    graph = rdflib.Graph()
    for p in ONTOLOGY:
        graph.parse(p)
    return graph


def test_every_class_of_the_ontology_has_a_node_shape(shapes_graph, ontology_graph):
    classes = {c for c in ontology_graph.subjects(RDF.type, OWL.Class) if str(c).startswith(ONT)}
    assert len(classes) == 38 + 6 - 1  # aikg.ttl's, the concept classes of aikg-models.ttl, aikg:Task in both
    targeted = {
        c for s, c in shapes_graph.subject_objects(SH.targetClass) if (s, RDF.type, SH.NodeShape) in shapes_graph
    }
    assert classes - targeted == set()


def test_shapes_use_only_terms_the_ontology_declares(shapes_graph, ontology_graph):
    used = {t for triple in shapes_graph for t in triple if isinstance(t, URIRef) and str(t).startswith(ONT)}
    declared = set(ontology_graph.subjects())
    assert used - declared == set()


def test_every_reporting_shape_has_a_message_for_people(shapes_graph):
    reporting = set(shapes_graph.objects(None, SH.property)) | set(shapes_graph.objects(None, SH.sparql))
    reporting |= {s for p in (SH.targetClass, SH.targetSubjectsOf, SH.target) for s in shapes_graph.subjects(p)}
    missing = {s for s in reporting if shapes_graph.value(s, SH.message) is None}
    # A shape that only groups property shapes or SPARQL constraints (each with its message) reports nothing itself.
    grouping = {RDF.type, RDFS.comment, SH.targetClass, SH.targetSubjectsOf, SH.target, SH.path, SH.property, SH.sparql}
    missing = {s for s in missing if set(shapes_graph.predicates(s)) - grouping}
    assert missing == set()


def test_severities_are_violation_warning_or_info(shapes_graph):
    assert set(shapes_graph.objects(None, SH.severity)) <= {SH.Violation, SH.Warning, SH.Info}
    assert SH.Warning in set(shapes_graph.objects(None, SH.severity))


def test_shapes_graph_is_valid_shacl(shapes_graph, ontology_graph):
    # pyshacl's meta_shacl checks the shapes graph against the SHACL-for-SHACL shapes first.
    conforms, _graph, text = pyshacl.validate(
        rdflib.Graph().parse(TINY), shacl_graph=shapes_graph,
        ont_graph=ontology_graph, inference="none", advanced=True, allow_warnings=True,
        meta_shacl=True,
    )
    assert conforms, text


# --- agreement with pyshacl run directly -----------------------------------------------------------------


def _direct(data: list[Path]) -> tuple[bool, set[tuple[str, str | None, str]]]:
    """Run pyshacl on rdflib-parsed files, as anyone would, and read the results graph with rdflib."""
    data_graph = rdflib.Graph()
    for p in data:
        data_graph.parse(p)
    shapes = rdflib.Graph()
    for p in default_shapes():
        shapes.parse(p)
    ontology = rdflib.Graph()
    for p in default_ontology():
        ontology.parse(p)
    conforms, graph, _text = pyshacl.validate(
        data_graph, shacl_graph=shapes, ont_graph=ontology, inference="none", advanced=True, allow_warnings=True,
    )
    [report] = graph.subjects(RDF.type, SH.ValidationReport)
    found = set()
    for r in graph.objects(report, SH.result):
        path = graph.value(r, SH.resultPath)
        found.add((
            str(graph.value(r, SH.focusNode)),
            str(path) if isinstance(path, URIRef) else ("complex" if path is not None else None),
            str(graph.value(r, SH.sourceConstraintComponent)),
        ))
    return bool(conforms), found


def _ours(report: Report) -> set[tuple[str, str | None, str]]:
    return {
        (r.focus, r.path if r.path is None or r.path.startswith("http") else "complex", r.component)
        for r in report.results
    }


@pytest.mark.parametrize("data", [
    pytest.param("shipped", id="shipped-data"),
    pytest.param(TINY, id="tiny"),
    pytest.param(INVALID / "dangling-reference.ttl", id="dangling-reference"),
    pytest.param(INVALID / "era-end-before-start.ttl", id="era-end-before-start"),
    pytest.param(INVALID / "source-as-text.ttl", id="source-as-text"),
    pytest.param(INVALID / "warning-person-no-affiliation.ttl", id="warning-person-no-affiliation"),
])
def test_agrees_with_pyshacl_run_directly(data):
    files = curated_data() if data == "shipped" else [data]
    assert files
    direct_conforms, direct = _direct(files)
    ours = validate(files, default_shapes(), default_ontology())
    assert ours.conforms == direct_conforms
    assert _ours(ours) == direct


# --- the fast engine -------------------------------------------------------------------------------------


def _comparable(report: Report) -> set[tuple[str | None, ...]]:
    # Blank-node shapes get fresh labels in each engine's report, so only named shapes are compared.
    return {
        (r.severity, r.focus, r.path, r.value, r.message, r.component, r.focus_label,
         r.shape if r.shape and not r.shape.startswith("_:") else None)
        for r in report.results
    }


@pytest.mark.parametrize("name", sorted(p.stem for p in INVALID.glob("*.ttl")) + ["tiny", "shipped"])
def test_fast_engine_agrees_with_pyshacl(name, request):
    files = curated_data() if name == "shipped" else [TINY] if name == "tiny" else [INVALID / f"{name}.ttl"]
    assert files
    reference = request.getfixturevalue("shipped_reference") if name == "shipped" else validate(files, SHAPES, ONTOLOGY)
    fast = validate(files, SHAPES, ONTOLOGY, engine="fast")
    assert fast.conforms == reference.conforms
    assert fast.counts == reference.counts
    assert _comparable(fast) == _comparable(reference)
    assert fast.text() == reference.text()


def test_unknown_engine_is_refused():
    with pytest.raises(BadRequest, match="Unknown validation engine 'slow'"):
        validate([TINY], SHAPES, ONTOLOGY, engine="slow")
