"""The OpenAPI 3.1 document: valid, generated from the query files, and honoured by the API."""

from __future__ import annotations

import itertools

import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis import GenerationMode

from aikg.graph import catalogue as cat


def test_document_validates(client):
    r = client.get("/api/openapi.json")
    assert r.status_code == 200
    doc = r.get_json()
    validate(doc)
    assert doc["openapi"].startswith("3.1")


def test_one_operation_per_query_with_typed_parameters(client):
    doc = client.get("/api/openapi.json").get_json()
    names = {op["get"]["operationId"] for path, op in doc["paths"].items() if path.startswith("/api/queries/")}
    assert names == set(cat.shipped().names())
    op = doc["paths"]["/api/queries/produced-by"]["get"]
    params = {p["name"]: p for p in op["parameters"]}
    assert params["org"]["required"] and params["org"]["schema"]["type"] == "string"
    assert params["org"]["example"] == "DeepMind"
    assert params["subsidiaries"]["schema"] == {"type": "boolean", "enum": [True, False], "default": False}
    assert set(op["responses"]["200"]["content"]) == {
        "application/json", "application/sparql-results+json", "application/sparql-results+xml", "text/csv",
        "application/sparql-query"}
    rows = op["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["rows"]["items"]
    assert rows["properties"]["year"]["type"] == ["integer", "null"]
    assert rows["properties"]["milestone"]["type"] == "string"
    depth = {p["name"]: p for p in doc["paths"]["/api/queries/lineage"]["get"]["parameters"]}["depth"]["schema"]
    assert (depth["type"], depth["minimum"], depth["maximum"], depth["default"]) == ("integer", 1, 6, 6)
    assert "/api/search" in doc["paths"]


def test_plain_json_answers_match_their_schema(full_client):
    import jsonschema_rs

    doc = full_client.get("/api/openapi.json").get_json()
    for query in cat.shipped():
        params = {p.name: p.example for p in query.parameters if p.example}
        r = full_client.get(f"/api/queries/{query.name}", query_string=params)
        assert r.status_code == 200, (query.name, r.get_json())
        answers = doc["paths"][f"/api/queries/{query.name}"]["get"]["responses"]["200"]["content"]
        schema = answers["application/json"]["schema"]
        jsonschema_rs.validate(schema, r.get_json())
        assert r.get_json()["rows"], f"{query.name}: its example gives no answer"


def test_api_honours_its_schema(full_app):
    """Property-based run over every operation: no 5xx, documented statuses and media types, valid bodies."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", full_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == len(cat.shipped()) + 2

    doc = schema.raw_schema
    for operation, mode in itertools.product(operations, list(GenerationMode)):
        if mode is GenerationMode.NEGATIVE and not doc["paths"][operation.path]["get"].get("parameters"):
            continue  # nothing to get wrong

        @given(operation.as_strategy(mode))
        @settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case):
            # A parameter that names a resource is any string to the schema, and a string that names nothing
            # is refused with the documented 400, so "schema-valid data must be accepted" cannot hold; every
            # other check (no 5xx, documented statuses and media types, bodies matching schemas) runs.
            case.call_and_validate(excluded_checks=[schemathesis.checks.positive_data_acceptance])

        run()
