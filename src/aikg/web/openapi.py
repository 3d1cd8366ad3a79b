"""Generate the OpenAPI 3.1 document of the named-query API from the catalogue's .rq headers."""

from __future__ import annotations

from typing import Any

from aikg import __version__
from aikg.graph.catalogue import Catalogue, Column, NamedQuery, Parameter
from aikg.sparql.formats import ANSWER_FORMATS

_MEDIA = {name: fmt.media_type for name, fmt in ANSWER_FORMATS.items()}

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error", "status", "message"],
    "properties": {
        "error": {"type": "string", "description": "A short title of the error."},
        "status": {"type": "integer", "description": "The HTTP status code."},
        "message": {"type": "string", "description": "What went wrong, in words."},
        "details": {
            "description": "More about it; for an ambiguous or unknown label, the candidates (label and IRI).",
        },
    },
}


def _value_schema(p: Parameter) -> dict[str, Any]:
    if p.kind in ("integer", "year"):
        schema: dict[str, Any] = {"type": "integer"}
        low, high = p.bounds()
        if low is not None:
            schema["minimum"] = low
        if high is not None:
            schema["maximum"] = high
        if p.default is not None:
            schema["default"] = int(p.default)
        if p.example is not None:
            schema["examples"] = [int(p.example)]
        return schema
    if p.kind == "boolean":
        schema = {"type": "boolean", "enum": [True, False]}
        if p.default is not None:
            schema["default"] = p.default.lower() in ("true", "1", "yes", "on")
        return schema
    schema = {"type": "string", "minLength": 1}
    if p.kind == "date":
        schema["pattern"] = r"^-?[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"
    if p.kind == "iri":
        what = f"a resource of class <{p.class_iri}>" if p.class_iri else "a resource"
        schema["description"] = f"{what}: its label (any case and accents), a CURIE such as aikgr:DeepMind, or its IRI."
    if p.choices:
        schema["enum"] = list(p.choices)
    if p.default is not None:
        schema["default"] = p.default
    if p.example is not None:
        schema["examples"] = [p.example]
    return schema


def _parameter(p: Parameter) -> dict[str, Any]:
    schema = _value_schema(p)
    if p.repeat:
        schema = {"type": "array", "items": schema, "maxItems": 100}
    out: dict[str, Any] = {
        "name": p.name,
        "in": "query",
        "required": p.required,
        "description": p.description,
        "schema": schema,
    }
    if p.repeat:
        out.update({"style": "form", "explode": True})
    if p.example is not None:
        out["example"] = [p.example] if p.repeat else schema.get("examples", [p.example])[0]
    return out


def _column_schema(c: Column) -> dict[str, Any]:
    base: dict[str, Any] = {
        "iri": {"type": "string", "description": "An IRI."},
        "string": {"type": "string"},
        "date": {"type": "string", "description": "An ISO 8601 date, year-month or year."},
        "integer": {"type": "integer"},
        "number": {"type": "number"},
        "boolean": {"type": "boolean"},
    }[c.kind]
    schema = dict(base)
    if c.optional:
        schema["type"] = [schema["type"], "null"]
    if c.description:
        schema["description"] = c.description
    return schema


def rows_schema(query: NamedQuery) -> dict[str, Any]:
    """Return the JSON schema of a named query's plain-JSON answer."""
    return {
        "type": "object",
        "required": ["query", "parameters", "columns", "rows", "truncated"],
        "properties": {
            "query": {"const": query.name},
            "parameters": {"type": "object", "description": "The parameters as bound: IRIs, numbers, booleans."},
            "columns": {"type": "array", "items": {"enum": [c.name for c in query.columns]}},
            "rows": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": [c.name for c in query.columns],
                    "properties": {c.name: _column_schema(c) for c in query.columns},
                    "additionalProperties": False,
                },
            },
            "truncated": {"type": "boolean", "description": "Whether the row cap cut the answer short."},
        },
    }


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _operation(query: NamedQuery) -> dict[str, Any]:
    content: dict[str, Any] = {}
    for f in query.formats:
        if f == "json":
            content[_MEDIA[f]] = {"schema": rows_schema(query)}
        elif f == "srj":
            content[_MEDIA[f]] = {"schema": {"$ref": "#/components/schemas/SparqlResults"}}
        else:
            content[_MEDIA[f]] = {"schema": {"type": "string"}}
    params = [_parameter(p) for p in query.parameters]
    params.append(
        {
            "name": "format",
            "in": "query",
            "required": False,
            "description": "Answer in this format whatever the Accept header says (for links and downloads).",
            "schema": {"type": "string", "enum": list(query.formats)},
        }
    )
    return {
        "operationId": query.name,
        "summary": query.title,
        "description": query.description
        + "\n\nAccept application/sparql-query to get the exact SPARQL query with these parameters bound.",
        "tags": ["named queries"],
        "parameters": params,
        "responses": {
            "200": {"description": "The answer.", "content": content},
            "400": _error("A parameter is missing, malformed, or names no resource (or several: see details)."),
            "406": _error("None of the Accept header's media types is offered."),
            "503": _error("The query ran past the time limit."),
        },
    }


def _search_operation() -> dict[str, Any]:
    hit = {
        "type": "object",
        "required": ["iri", "label", "matched", "type", "typeIri", "description", "date", "kind", "url"],
        "properties": {
            "iri": {"type": "string"},
            "label": {"type": "string"},
            "matched": {"type": "string", "description": "The label or alternative label that matched."},
            "type": {"type": ["string", "null"], "description": "The label of its most specific class."},
            "typeIri": {"type": ["string", "null"]},
            "description": {"type": "string"},
            "date": {"type": ["string", "null"], "description": "Its date (ISO 8601: a year, year-month or day)."},
            "kind": {"type": "string", "description": "Its kind: milestone, person, organisation, model, ..."},
            "url": {"type": ["string", "null"], "description": "Its page, for a resource of this graph."},
        },
    }
    return {
        "operationId": "search",
        "summary": "Find resources by their words",
        "description": "Search for autocomplete, ignoring case and accents: every word of q matches a label, an "
        "alternative label, the year of a date or the description, in any order and with a typo; the whole text "
        "in a label first (exact, prefix, word prefix, inside), then every word in labels, with a typo, with the "
        "description; things before in-between nodes and source documents; milestones and well-linked resources "
        "first among equals.",
        "tags": ["search"],
        "parameters": [
            {
                "name": "q",
                "in": "query",
                "required": True,
                "description": "The text typed.",
                "schema": {"type": "string"},
                "example": "alphago",
            },
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "description": "How many hits at most.",
                "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
            },
            {
                "name": "class",
                "in": "query",
                "required": False,
                "description": "Keep resources of these classes (a class label, CURIE or IRI).",
                "schema": {"type": "array", "items": {"type": "string"}},
                "style": "form",
                "explode": True,
                "example": ["aikg:Organisation"],
            },
        ],
        "responses": {
            "200": {
                "description": "The hits, best first.",
                "content": {"application/json": {"schema": {"type": "array", "items": hit}}},
            },
            "400": _error("q is missing, limit is out of range, or a class names no class."),
        },
    }


def build(catalogue: Catalogue, *, title: str = "aikg") -> dict[str, Any]:
    """Return the OpenAPI 3.1 document: one operation per named query, plus the listing and search."""
    paths: dict[str, Any] = {
        "/api/queries": {
            "get": {
                "operationId": "listQueries",
                "summary": "List the named queries",
                "tags": ["named queries"],
                "responses": {
                    "200": {
                        "description": "The catalogue.",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["queries"],
                                    "properties": {"queries": {"type": "array", "items": {"type": "object"}}},
                                }
                            }
                        },
                    }
                },
            }
        },
        "/api/search": {"get": _search_operation()},
    }
    for query in catalogue:
        paths[f"/api/queries/{query.name}"] = {"get": _operation(query)}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{title}: named queries",
            "version": __version__,
            "description": "Each named query is a SPARQL file with typed parameters; each answer can be had as "
            "plain JSON rows, SPARQL results (JSON, XML), CSV, or as the instantiated query itself.",
        },
        "paths": paths,
        "components": {
            "schemas": {
                "Error": ERROR_SCHEMA,
                "SparqlResults": {
                    "type": "object",
                    "required": ["head", "results"],
                    "properties": {
                        "head": {
                            "type": "object",
                            "properties": {"vars": {"type": "array", "items": {"type": "string"}}},
                        },
                        "results": {
                            "type": "object",
                            "properties": {"bindings": {"type": "array", "items": {"type": "object"}}},
                        },
                    },
                },
            }
        },
    }
