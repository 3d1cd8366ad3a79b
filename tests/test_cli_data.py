"""The data commands of the CLI: `aikg validate`, `aikg query` and `aikg stats`, through click's runner."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import rdflib
from rdflib import SH

from aikg.cli import cli

TESTS = Path(__file__).parent
TINY = str(TESTS / "data" / "tiny.ttl")
INVALID = TESTS / "fixtures" / "invalid"
R = "https://w3id.org/ai-history/resource/"
ONT = "https://w3id.org/ai-history/ontology/"

MILESTONES = "SELECT ?m ?year WHERE { ?m a aikg:Milestone ; aikg:year ?year } ORDER BY ?year"


def invoke(runner, *args: str, input: str | None = None):
    return runner.invoke(cli, list(args), input=input, catch_exceptions=False)


# --- validate --------------------------------------------------------------------------------------------


def test_validate_tiny_conforms(runner):
    result = invoke(runner, "validate", TINY)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("The data (1 file, ")
    assert "conforms to the shapes: 0 violations, 2 warnings, 1 info." in result.stdout
    assert "aikgr:Test_DQN_2013" in result.stdout
    assert result.stderr == ""


def test_validate_shipped_data_by_default(runner):
    result = invoke(runner, "validate")
    assert result.exit_code == 0, result.output
    assert " conforms to the shapes" in result.stdout


def test_validate_reports_a_violation_and_exits_1(runner):
    result = invoke(runner, "validate", str(INVALID / "produced-by-person.ttl"))
    assert result.exit_code == 1
    assert "does not conform to the shapes: 1 violation" in result.stdout
    assert "aikgr:Fx_Milestone" in result.stdout
    assert "aikg:producedBy must point to an organisation" in result.stdout
    assert "value: aikgr:Fx_Person" in result.stdout
    assert result.stderr.startswith("Error: The data does not conform to the shapes: 1 violation")
    # The report goes to stdout once; stderr has only the error line.
    assert "aikg:producedBy must point" not in result.stderr


def test_validate_several_files_together(runner):
    # Two graphs are validated as one: the counts cover both files.
    result = invoke(runner, "validate", TINY, str(INVALID / "warning-person-no-affiliation.ttl"))
    assert result.exit_code == 0, result.output
    assert "(2 files, " in result.stdout


def test_validate_json(runner):
    result = invoke(runner, "validate", "--format", "json", str(INVALID / "milestone-no-era.ttl"))
    assert result.exit_code == 1
    body = json.loads(result.stdout)
    assert body["conforms"] is False
    assert body["counts"]["Violation"] == 1
    violation = next(r for r in body["results"] if r["severity"] == "Violation")
    assert violation["focus"] == R + "Fx_Milestone"
    assert violation["path"] == ONT + "era"
    assert violation["component"] == str(SH.MinCountConstraintComponent)


def test_validate_turtle_is_a_shacl_report(runner):
    result = invoke(runner, "validate", "--format", "turtle", TINY)
    assert result.exit_code == 0
    graph = rdflib.Graph().parse(data=result.stdout, format="turtle")
    [report] = graph.subjects(rdflib.RDF.type, SH.ValidationReport)
    assert graph.value(report, SH.conforms) == rdflib.Literal(True)
    assert len(list(graph.objects(report, SH.result))) == 3  # two warnings and one info


def test_validate_with_other_shapes(runner, tmp_path):
    shapes = tmp_path / "strict.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "@prefix aikg: <https://w3id.org/ai-history/ontology/> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "<urn:x:strict> a sh:NodeShape ; sh:targetClass aikg:Milestone ;\n"
        "  sh:property [ sh:path skos:altLabel ; sh:minCount 1 ;\n"
        '    sh:message "A milestone needs an alternative label." ] .\n',
        encoding="utf-8",
    )
    result = invoke(runner, "validate", "--shapes", str(shapes), TINY)
    assert result.exit_code == 1
    assert "2 violations" in result.stdout  # tiny.ttl's two milestones have no skos:altLabel
    assert result.stdout.count("A milestone needs an alternative label.") == 2


def test_validate_with_the_fast_engine(runner):
    bad = str(INVALID / "milestone-date-year-mismatch.ttl")
    fast = invoke(runner, "validate", "--engine", "fast", bad)
    reference = invoke(runner, "validate", bad)
    assert fast.exit_code == reference.exit_code == 1
    assert fast.stdout == reference.stdout
    assert "The date 2015-03-09 is not in the year 2014 given by aikg:year" in fast.stdout
    assert invoke(runner, "validate", "--engine", "fast", TINY).exit_code == 0


def test_validate_parse_error_names_file_and_line(runner, tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text('@prefix aikg: <https://w3id.org/ai-history/ontology/> .\n\n<urn:x> aikg:year "2014 .\n')
    result = invoke(runner, "validate", str(bad))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {bad}, line 3, column ")
    assert "does not parse" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("args", [
    ["validate", "no-such-file.ttl"],
    ["validate", "--format", "yaml", TINY],
    ["validate", "--shapes", "no-such-shapes.ttl", TINY],
    ["validate", "--engine", "turbo", TINY],
])
def test_validate_usage_errors_exit_2(runner, args):
    result = invoke(runner, *args)
    assert result.exit_code == 2
    assert "Usage:" in result.stderr


# --- query -----------------------------------------------------------------------------------------------


def test_query_table_with_curies(runner):
    result = invoke(runner, "query", "--data", TINY, MILESTONES)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["m", "year"]
    assert set(lines[1]) <= {"-", " "}
    assert lines[2].split() == ["aikgr:Test_DQN_2013", "2013"]
    assert lines[3].split() == ["aikgr:Test_AlphaGo_2016", "2016"]
    assert lines[4] == "(2 rows)"
    # Columns line up: the year column starts at the same offset on every row.
    assert lines[2].rindex("2013") == lines[3].rindex("2016") == lines[0].index("year")


def test_query_csv(runner):
    result = invoke(runner, "query", "--data", TINY, "--format", "csv", MILESTONES)
    assert result.exit_code == 0
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows == [["m", "year"], [R + "Test_DQN_2013", "2013"], [R + "Test_AlphaGo_2016", "2016"]]


def test_query_json_is_sparql_results(runner):
    result = invoke(runner, "query", "--data", TINY, "--format", "json", MILESTONES)
    assert result.exit_code == 0
    body = json.loads(result.stdout)
    assert body["head"]["vars"] == ["m", "year"]
    first = body["results"]["bindings"][0]
    assert first["m"] == {"type": "uri", "value": R + "Test_DQN_2013"}
    assert first["year"]["value"] == "2013"
    assert first["year"]["datatype"] == "http://www.w3.org/2001/XMLSchema#integer"


def test_query_ask(runner):
    assert invoke(runner, "query", "--data", TINY, "ASK { aikgr:Test_DQN_2013 aikg:year 2013 }").stdout == "yes\n"
    assert invoke(runner, "query", "--data", TINY, "ASK { aikgr:Test_DQN_2013 aikg:year 2099 }").stdout == "no\n"
    body = json.loads(invoke(runner, "query", "--data", TINY, "--format", "json", "ASK { ?s ?p ?o }").stdout)
    assert body["boolean"] is True


def test_query_construct_gives_turtle(runner):
    result = invoke(runner, "query", "--data", TINY, "CONSTRUCT { ?m aikg:year ?y } WHERE { ?m aikg:year ?y }")
    assert result.exit_code == 0
    graph = rdflib.Graph().parse(data=result.stdout, format="turtle")
    year = rdflib.URIRef(ONT + "year")
    assert set(graph) == {
        (rdflib.URIRef(R + "Test_DQN_2013"), year, rdflib.Literal(2013)),
        (rdflib.URIRef(R + "Test_AlphaGo_2016"), year, rdflib.Literal(2016)),
    }


def test_query_from_a_file_and_from_stdin(runner, tmp_path):
    query_file = tmp_path / "q.rq"
    query_file.write_text(MILESTONES, encoding="utf-8")
    from_file = invoke(runner, "query", "--data", TINY, "--format", "csv", "-f", str(query_file))
    from_stdin = invoke(runner, "query", "--data", TINY, "--format", "csv", "-f", "-", input=MILESTONES)
    assert from_file.exit_code == from_stdin.exit_code == 0
    assert from_file.stdout == from_stdin.stdout
    assert from_file.stdout.splitlines()[1] == f"{R}Test_DQN_2013,2013"


def test_query_syntax_error_exits_2_with_the_position(runner):
    result = invoke(runner, "query", "--data", TINY, "--no-validate", "SELECT ?x WHERE {\n  ?x ?y\n}")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: SPARQL syntax error at line ")
    # The position is in the user's own lines (the predeclared prefixes are not counted), with a caret.
    assert "line 3, column " in result.stderr.splitlines()[0]
    assert "\n  }\n" in result.stderr
    assert result.stderr.rstrip().endswith("^")


@pytest.mark.parametrize("args", [
    ["query"],
    ["query", "ASK {}", "-f", "-"],
    ["query", "--format", "xml", "ASK {}"],
    ["query", "--data", "no-such-file.ttl", "ASK {}"],
])
def test_query_usage_errors_exit_2(runner, args):
    result = invoke(runner, *args, input="ASK {}")
    assert result.exit_code == 2
    assert "Error" in result.stderr


def test_query_turtle_for_a_select_is_refused(runner):
    result = invoke(runner, "query", "--data", TINY, "--format", "turtle", MILESTONES)
    assert result.exit_code == 2
    assert "--format turtle is for CONSTRUCT and DESCRIBE" in result.stderr


def test_query_validates_the_files_unless_told_not_to(runner):
    bad = str(INVALID / "year-as-string.ttl")
    refused = invoke(runner, "query", "--data", bad, "ASK { ?s ?p ?o }")
    assert refused.exit_code == 1
    assert "Error: The data does not conform to the shapes: 1 violation" in refused.stderr
    assert "A year (aikg:year) must be an xsd:integer" in refused.stderr  # the report, for the curator
    allowed = invoke(runner, "query", "--data", bad, "--no-validate", "SELECT ?y WHERE { ?m aikg:year ?y }")
    assert allowed.exit_code == 0
    assert allowed.stdout.splitlines()[2] == "2014"


# --- stats -----------------------------------------------------------------------------------------------


def test_stats_json_counts_the_tiny_graph(runner):
    result = invoke(runner, "stats", "--data", TINY, "--format", "json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    graph = rdflib.Graph().parse(TINY)
    assert body["triples"]["https://w3id.org/ai-history/graph/tiny"] == len(graph)
    assert body["triples"]["https://w3id.org/ai-history/graph/ontology"] > 0
    classes = body["classes"]
    assert classes[ONT + "Milestone"] == 2
    assert classes[ONT + "Model"] == 2
    assert classes[ONT + "Organisation"] == 2
    assert classes[ONT + "Era"] == classes[ONT + "Paper"] == classes[ONT + "Person"] == 1
    assert ONT + "Artefact" not in classes  # inferred superclasses are not counted again
    assert body["milestones_per_year"] == {"2013": 1, "2016": 1}
    assert body["eras"] == [
        {"iri": R + "Test_Era", "label": "Test era", "start": 2013, "end": 2016, "milestones": 2},
    ]


def test_stats_table(runner):
    result = invoke(runner, "stats", "--data", TINY)
    assert result.exit_code == 0
    text = result.stdout
    for heading in ("Triples", "Resources per class (asserted types)", "Milestones per year", "Eras"):
        assert f"\n{heading}\n" in f"\n{text}"
    assert "aikg:Milestone" in text
    assert 'aikgr:Test_Era  "Test era"  2013–2016  2 milestones' in text


def test_stats_of_the_shipped_data(runner):
    result = invoke(runner, "stats", "--format", "json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    # The shipped era is the deep learning breakthrough of 2012 to 2017, with its eleven milestones.
    assert sum(body["milestones_per_year"].values()) == body["classes"][ONT + "Milestone"] == 11
    assert all(2012 <= int(year) <= 2017 for year in body["milestones_per_year"])
