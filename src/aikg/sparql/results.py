"""The answers of queries (solutions, a boolean, triples) and the writers of the SPARQL results formats
(JSON, XML, CSV, TSV) for solutions and booleans. :mod:`aikg.sparql.formats` says which writer serves
which media type; triples are written by pyoxigraph.

Solutions are serialised here rather than by pyoxigraph so that the row cap, which needs the solutions
counted before anything is sent, and the remote store share one code path.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox
from pyoxigraph import BlankNode, Literal, NamedNode, Triple

Term = NamedNode | BlankNode | Literal


@dataclass
class Solutions:
    """The answer to a SELECT query: variable names and rows of terms (None where unbound)."""

    variables: list[str]
    rows: list[tuple[Term | None, ...]]
    truncated: bool = False

    def dicts(self) -> list[dict[str, Term]]:
        """Return each row as a mapping from variable name to bound term."""
        names = self.variables
        return [{n: t for n, t in zip(names, row, strict=False) if t is not None} for row in self.rows]


@dataclass
class Boolean:
    """The answer to an ASK query."""

    value: bool
    truncated: bool = False


@dataclass
class Triples:
    """The answer to a CONSTRUCT or DESCRIBE query."""

    triples: list[Triple] = field(default_factory=list)
    truncated: bool = False


QueryResult = Solutions | Boolean | Triples

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_encode_string = json.encoder.encode_basestring  # type: ignore[attr-defined]  # the C version when available
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_XML_HEAD = '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n'


def term_json(term: Term) -> dict[str, str]:
    """Return a term in the SPARQL 1.1 JSON results form."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != XSD_STRING:
        out["datatype"] = term.datatype.value
    return out


def solutions_json(result: Solutions) -> bytes:
    """Serialise solutions as SPARQL 1.1 Query Results JSON."""
    # Written out by hand, with the C string encoder for the values: on the endpoint's hot path this is
    # several times faster than building dicts for json.dumps, and gives the same document.
    enc = _encode_string
    keys = [enc(n) + ":" for n in result.variables]
    rows = []
    for row in result.rows:
        cells = []
        for key, term in zip(keys, row, strict=False):
            if term is None:
                continue
            if isinstance(term, ox.NamedNode):
                cells.append(f'{key}{{"type":"uri","value":{enc(term.value)}}}')
            elif isinstance(term, ox.BlankNode):
                cells.append(f'{key}{{"type":"bnode","value":{enc(term.value)}}}')
            elif term.language:
                cells.append(f'{key}{{"type":"literal","value":{enc(term.value)},"xml:lang":{enc(term.language)}}}')
            else:
                datatype = term.datatype.value
                if datatype == XSD_STRING:
                    cells.append(f'{key}{{"type":"literal","value":{enc(term.value)}}}')
                else:
                    cells.append(f'{key}{{"type":"literal","value":{enc(term.value)},"datatype":{enc(datatype)}}}')
        rows.append("{" + ",".join(cells) + "}")
    head = ",".join(enc(n) for n in result.variables)
    body = f'{{"head":{{"vars":[{head}]}},"results":{{"bindings":[{",".join(rows)}]}}}}'
    return body.encode("utf-8", "surrogatepass")


def solutions_xml(result: Solutions) -> bytes:
    """Serialise solutions as SPARQL Query Results XML."""
    out = [_XML_HEAD, "<head>"]
    out += [f"<variable name={quoteattr(n)}/>" for n in result.variables]
    out.append("</head>\n<results>\n")
    names = result.variables
    for row in result.rows:
        out.append("<result>")
        for name, term in zip(names, row, strict=False):
            if term is not None:
                out.append(f"<binding name={quoteattr(name)}>{_term_xml(term)}</binding>")
        out.append("</result>\n")
    out.append("</results>\n</sparql>\n")
    return "".join(out).encode()


def _term_xml(term: Term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if term.language:
        return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
    if term.datatype.value != XSD_STRING:
        return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
    return f"<literal>{escape(term.value)}</literal>"


def solutions_csv(result: Solutions) -> bytes:
    """Serialise solutions as SPARQL 1.1 CSV (plain values, CRLF line ends)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(result.variables)
    for row in result.rows:
        writer.writerow([_csv_value(t) for t in row])
    return buf.getvalue().encode()


def _csv_value(term: Term | None) -> str:
    if term is None:
        return ""
    return f"_:{term.value}" if isinstance(term, ox.BlankNode) else term.value


def solutions_tsv(result: Solutions) -> bytes:
    """Serialise solutions as SPARQL 1.1 TSV (terms in Turtle/N-Triples syntax)."""
    lines = ["\t".join(f"?{n}" for n in result.variables)]
    for row in result.rows:
        lines.append("\t".join("" if t is None else str(t) for t in row))
    return ("\n".join(lines) + "\n").encode()


def boolean_json(result: Boolean) -> bytes:
    """Serialise an ASK answer as SPARQL 1.1 Query Results JSON."""
    return json.dumps({"head": {}, "boolean": result.value}).encode()


def boolean_xml(result: Boolean) -> bytes:
    """Serialise an ASK answer as SPARQL Query Results XML."""
    return f"{_XML_HEAD}<head/>\n<boolean>{_bool(result)}</boolean>\n</sparql>\n".encode()


def boolean_csv(result: Boolean) -> bytes:
    """Serialise an ASK answer as a one-cell CSV table (the CSV results format defines none)."""
    return f"_askResult\r\n{_bool(result)}\r\n".encode()


def boolean_tsv(result: Boolean) -> bytes:
    """Serialise an ASK answer as a one-cell TSV table (the TSV results format defines none)."""
    return f"?_askResult\n{_bool(result)}\n".encode()


def _bool(result: Boolean) -> str:
    return "true" if result.value else "false"
