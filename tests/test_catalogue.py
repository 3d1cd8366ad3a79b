"""The named-query catalogue: headers, parameter binding, instantiation and safety against injection."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest

from aikg.errors import BadRequest, NotFound
from aikg.graph import catalogue as cat
from aikg.ingest.files import sources
from aikg.ingest.load import build_memory_store
from aikg.namespaces import ONTOLOGY, RESOURCE, XSD
from aikg.resources import default_ontology
from aikg.store import Solutions

TINY = Path(__file__).parent / "data" / "tiny.ttl"

R = RESOURCE

SAMPLE = """# name: sample
# title: A sample
# description: First line
#   and its continuation.
# param: org | iri aikg:Organisation | required | example: Test DeepMind | The organisation.
# param: tag | string | repeat | Tags.
# param: depth | integer | default: 3 | min: 1 | max: 5 | How deep.
# param: flag | boolean | default: false | A switch.
# param: when | date | When.
# column: thing | iri | A thing.
# column: label | string | optional | Its label.
# formats: json, csv
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?thing ?label WHERE {
  ?thing rdfs:label ?label FILTER(CONTAINS(STR(?label), "{ not a brace }"))
}
"""


@pytest.fixture(scope="module")
def store():
    return build_memory_store(sources([TINY], default_ontology()))


def test_header_is_parsed():
    q = cat.parse(SAMPLE)
    assert q.name == "sample" and q.title == "A sample"
    assert q.description == "First line and its continuation."
    org, tag, depth, flag, when = q.parameters
    assert (org.kind, org.class_iri, org.required) == ("iri", ONTOLOGY + "Organisation", True)
    assert org.example == "Test DeepMind"
    assert tag.repeat and not tag.required
    assert (depth.default, depth.minimum, depth.maximum) == ("3", 1, 5)
    assert flag.kind == "boolean" and when.kind == "date"
    assert [(c.name, c.kind, c.optional) for c in q.columns] == [("thing", "iri", False), ("label", "string", True)]
    assert q.formats == ("json", "csv")


@pytest.mark.parametrize("bad", [
    SAMPLE.replace("# name: sample", "# name: Bad Name"),
    SAMPLE.replace("| integer |", "| float |"),
    SAMPLE.replace("# param: when | date", "# param: format | date"),
    SAMPLE.replace("# formats: json, csv", "# formats: json, pdf"),
    "\n".join(line for line in SAMPLE.splitlines() if not line.startswith("# column")),
])
def test_bad_headers_are_refused(bad):
    with pytest.raises(cat.HeaderError):
        cat.parse(bad)


def test_bind_converts_and_applies_defaults(store):
    q = cat.parse(SAMPLE)
    b = q.bind(store, {"org": ["test deepmind"], "tag": ["a", "b"], "when": ["2014-01"]})
    assert b.values["org"] == [ox.NamedNode(R + "Test_DeepMind")]
    assert [t.value for t in b.values["tag"]] == ["a", "b"]
    assert b.values["depth"][0] == ox.Literal("3", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
    assert b.values["flag"][0].value == "false"
    assert b.values["when"][0].datatype.value.endswith("#gYearMonth")


@pytest.mark.parametrize("given, message", [
    ({}, "'org' is required"),
    ({"org": ["Test DeepMind"], "depth": ["9"]}, "at most 5"),
    ({"org": ["Test DeepMind"], "depth": ["two"]}, "whole number"),
    ({"org": ["Test DeepMind"], "flag": ["maybe"]}, "true or false"),
    ({"org": ["Test DeepMind"], "when": ["14 Jan 2014"]}, "must be a date"),
    ({"org": ["Test DeepMind", "Test Google"]}, "takes one value"),
    ({"org": ["Test DeepMind"], "orgg": ["x"]}, "Unknown parameter"),
    ({"org": ["Test Volodymyr Mnih"]}, "No organisation"),
])
def test_bad_values_are_refused(store, given, message):
    with pytest.raises(BadRequest, match=message):
        cat.parse(SAMPLE).bind(store, given)


def test_empty_values_are_refused_but_forms_can_drop_them(store):
    given = {"org": ["Test DeepMind"], "when": [""], "tag": ["", " "]}
    with pytest.raises(BadRequest, match="empty"):
        cat.parse(SAMPLE).bind(store, given)
    assert cat.drop_empty(given) == {"org": ["Test DeepMind"]}
    b = cat.parse(SAMPLE).bind(store, cat.drop_empty(given))
    assert "when" not in b.values and "tag" not in b.values


def test_instantiate_writes_values_after_the_where_brace(store):
    q = cat.parse(SAMPLE)
    text = q.instantiate(q.bind(store, {"org": ["Test DeepMind"], "tag": ["x", 'say "hi"']}))
    head, _, body = text.partition("WHERE {")
    assert "VALUES" not in head
    first = body.strip().splitlines()[0]
    assert first.startswith("VALUES (?org ?depth ?flag)")
    assert '"say \\"hi\\""' in body
    # The brace inside the string literal was not mistaken for the WHERE clause.
    assert body.index("VALUES") < body.index("{ not a brace }")


EVIL = ['"} ; DROP ALL #', "<http://x> } ; DROP ALL ; #", "x\" } INSERT DATA { <a> <b> <c> } #"]


@pytest.mark.parametrize("evil", EVIL)
def test_injection_attempts_change_nothing(store, evil):
    before = len(store)
    q = cat.parse(SAMPLE)
    # As a string parameter the text becomes one escaped literal: the query runs and finds nothing.
    b = q.bind(store, {"org": ["Test DeepMind"], "tag": [evil]})
    result = q.run(store, b)
    assert isinstance(result, Solutions)
    assert b.values["tag"][0].value == evil
    # As an IRI parameter it names no resource: a clear refusal.
    with pytest.raises(BadRequest):
        q.bind(store, {"org": [evil]})
    assert len(store) == before


def test_running_is_running_the_instantiated_text(store):
    q = cat.shipped().get("produced-by")
    b = q.bind(store, {"org": ["aikgr:Test_DeepMind"]})
    by_catalogue = q.run(store, b)
    by_text = store.query(q.instantiate(b))
    assert by_catalogue.rows == by_text.rows
    assert {row[0].value for row in by_catalogue.rows} == {R + "Test_DQN_2013", R + "Test_AlphaGo_2016"}


LISTS = """# name: lists
# title: Lists
# description: A list column.
# column: thing | string | A thing.
# column: names | string | optional | separator "; " | Names, separated by semicolons.
# column: moves | string | separator "; " | Moves ("" for none).
# column: flag | boolean | A flag, as a store that keeps booleans as 0 and 1 gives it.
SELECT ?thing (GROUP_CONCAT(?name; separator="; ") AS ?names)
       (COALESCE(GROUP_CONCAT(?move; separator="; "), "") AS ?moves)
       (IF(?thing = "a", 1, 0) AS ?flag)
WHERE {
  VALUES (?thing ?name ?move) {
    ("a" "zeta" "move 102") ("a" "Alpha" "move 37") ("a" "beta" "move 9") ("b" UNDEF UNDEF)
  }
}
GROUP BY ?thing ORDER BY ?thing
"""


def test_list_columns_are_given_sorted_and_an_empty_optional_list_unbound(store):
    """GROUP_CONCAT's order is the engine's (stores differ, and runs can): a list column's items are sorted,
    numbers by value; an optional list with no items is unbound (other stores give ""), a required one is "".
    A boolean column's 0 and 1 (Virtuoso keeps booleans so) are false and true."""
    q = cat.parse(LISTS)
    assert [c.separator for c in q.columns] == ["", "; ", "; ", ""]
    raw = store.query(q.text)
    rows = [[None if t is None else t.value for t in row] for row in q.run(store, cat.Binding()).rows]
    assert rows[0] == ["a", "Alpha; beta; zeta", "move 9; move 37; move 102", "true"]
    assert rows[1] == ["b", None, "", "false"]
    assert {row[3].datatype.value for row in q.run(store, cat.Binding()).rows} == {XSD + "boolean"}
    assert raw.rows == store.query(q.text).rows  # the store's own answer (a cache's, maybe) is left as it was


def test_a_separator_is_only_for_string_columns():
    with pytest.raises(cat.HeaderError, match="only a string column"):
        cat.parse(LISTS.replace("names | string |", "names | integer |"))


def test_shipped_catalogue_loads_with_twenty_or_more_queries():
    queries = cat.shipped()
    assert len(queries) >= 20
    for q in queries:
        assert q.title and q.description and q.columns
        # A VALUES block may hold a table (compute-doubling-time's powers of two), never a parameter: those
        # are bound by the catalogue, not written in.
        for block in re.finditer(r"VALUES\s*(\([^)]*\)|\?\w+)", q.text):
            bound = set(re.findall(r"\?(\w+)", block.group(1)))
            assert not bound & {p.name for p in q.parameters}, f"{q.name}: binds a parameter in VALUES"


def test_declared_columns_are_the_projected_variables(store):
    # Run each query with its parameters as lenient as the tiny graph allows, to read the projection.
    for q in cat.shipped():
        text = q.instantiate(cat.Binding())
        result = store.query(text)
        assert isinstance(result, Solutions)
        assert result.variables == [c.name for c in q.columns], q.name


def test_unknown_query_is_not_found():
    with pytest.raises(NotFound) as info:
        cat.shipped().get("no-such-query")
    assert "produced-by" in info.value.details["queries"]


class CountingStore:
    """The real store, counting the queries that reach it."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.texts: list[str] = []

    @property
    def info(self):
        return self.inner.info

    def query(self, text, **kwargs):
        self.texts.append(text)
        return self.inner.query(text, **kwargs)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_answers_are_kept_per_version_and_are_what_a_run_gives(full_app):
    from aikg.web.http import get_store

    store = CountingStore(get_store(full_app))
    query = cat.shipped().get("prolific-authors")
    cat._answer.clear()  # what other tests asked is not counted here
    seen = set()
    for given in ({}, {"min_models": ["3"]}, {"from": ["2012"], "to": ["2017"]}, {"min_models": ["3"]}):
        binding = query.bind(store, given)
        fresh = query.run(store.inner, binding)  # not through the memo
        before = len(store.texts)
        kept = cat.answer(store, query, binding)
        key = query.instantiate(binding)
        assert len(store.texts) - before == (0 if key in seen else 1)  # asked again: no query
        assert kept.variables == fresh.variables and kept.rows == fresh.rows and kept.rows
        seen.add(key)
    assert len(cat.answer(store, query, query.bind(store, {"min_models": ["3"]})).rows) > len(
        cat.answer(store, query, query.bind(store, {})).rows)
