"""What differs between SPARQL stores, in one place: one :class:`Dialect` per kind of store.

The queries themselves are written in the SPARQL 1.1 that every supported store implements the same
way (the store compatibility suite runs each of them on the embedded store, the Oxigraph server and
Virtuoso 7). What cannot be written away lives here: how answers must be read back (Virtuoso names
blank nodes ``nodeID://…`` and writes typed values in its own lexical forms), how data must be sent
(how many triples one ``INSERT DATA`` may hold, where the Graph Store Protocol lives, how decimals
must be written), and whether ``GRAPH ?g {}`` lists the graphs.

The dialect is detected once per store from the ``Server`` header of a probe query (Virtuoso and
Oxigraph name themselves); setting ``STORE_DIALECT`` (``virtuoso``, ``oxigraph``, ``sparql11``)
overrides the detection. An unknown store gets ``sparql11``: small updates, answers canonicalised.

Canonical values. The embedded store keeps every typed value in its canonical form ("41.50" is read
back as "41.5", "1E3" as the double "1000", xsd:int as xsd:integer). Answers from a store that keeps
other forms are rewritten into those, so that a page, an ETag or a checksum is the same whichever
store answered: :func:`canonical` does it for the numeric, boolean and date-time types.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox

from aikg.errors import BadRequest

XSD = "http://www.w3.org/2001/XMLSchema#"

#: Any term an answer can hold (a triple term, in RDF 1.2, included).
Node = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


@dataclass(frozen=True)
class Dialect:
    """How one kind of store is spoken to and read from."""

    name: str
    #: Prefix the store puts before a blank node's label in answers (stripped when reading).
    blank_prefix: str = ""
    #: Graph Store Protocol endpoints to try, relative to the folder of the query endpoint.
    graph_store_paths: tuple[str, ...] = ("store", "data")
    #: Most triples one INSERT DATA may carry (Virtuoso compiles updates to SQL of at most 10,000 lines).
    update_triples: int = 1_000
    #: Most blank-node rows one INSERT … WHERE { VALUES … } may carry (Virtuoso: time grows with the square).
    join_rows: int = 200
    #: Write literals for updates in full: an xsd:decimal with a fraction digit (Virtuoso reads "41" as an
    #: xsd:integer) and a string with its datatype (Virtuoso keeps a plain "X" whose text is the IRI of its
    #: subject as that IRI).
    explicit_types: bool = False
    #: Rewrite typed values of answers into the embedded store's canonical forms.
    canonical: bool = True
    #: Whether ``SELECT ?g WHERE { GRAPH ?g {} }`` lists the graphs (Virtuoso: it lists none).
    lists_graphs: bool = True
    #: Keep one more graph holding the union of the published graphs, and query it as the default graph:
    #: Virtuoso 7 drops the matches of * and + paths when the default graph is several graphs.
    union_graph: bool = False
    #: Run CONSTRUCT as a SELECT and build the triples here: Virtuoso 7 writes a literal whose text is the
    #: IRI of a subject of the answer as that IRI, in every RDF syntax (a SELECT keeps it a literal).
    construct_via_select: bool = False
    #: Text put before every query (Virtuoso: join in the order written, which is how aikg's queries are
    #: written; its own planner drops rows of some of them).
    prologue: str = ""
    #: Repeat a VALUES block binding parameters at the end of the WHERE group (the same answer): Virtuoso 7
    #: ignores a variable bound only by a VALUES at its start in the FILTER of an OPTIONAL (keeping rows).
    repeat_values: bool = False
    #: An expression that writes a double of ``{}`` exactly, or "" for a non-double, when the store's answers
    #: round doubles (Virtuoso 7.2 writes six significant digits in every result format: its issue #1006).
    double_text: str = ""

    def term(self, term: Node) -> Node:
        """Return a term of an answer as the embedded store would have given it."""
        if isinstance(term, ox.Literal):
            return canonical(term) if self.canonical else term
        if self.blank_prefix and isinstance(term, ox.NamedNode) and term.value.startswith(self.blank_prefix):
            # Virtuoso types a blank node as an IRI where an expression produced it (a sub-select, BIND).
            return ox.BlankNode(term.value[len(self.blank_prefix):])
        return term

    def update_literal(self, term: ox.Literal) -> str:
        """Write a literal for an update so that the store keeps it as it is (type and kind included)."""
        text = str(term)
        if not self.explicit_types:
            return text
        datatype = term.datatype.value
        if datatype == XSD + "decimal" and "." not in term.value:
            return str(ox.Literal(term.value + ".0", datatype=term.datatype))
        if datatype == XSD + "string":
            return f"{text}^^<{datatype}>"
        return text


OXIGRAPH = Dialect("oxigraph", update_triples=50_000, join_rows=5_000, canonical=False)
VIRTUOSO = Dialect(
    "virtuoso", blank_prefix="nodeID://", graph_store_paths=("sparql-graph-crud",), update_triples=1_000,
    join_rows=200, explicit_types=True, canonical=True, lists_graphs=False, repeat_values=True,
    union_graph=True, construct_via_select=True, prologue='DEFINE sql:select-option "order"\n',
    double_text=f'IF(isLiteral({{0}}) && DATATYPE({{0}}) = <{XSD}double>, bif:sprintf("%.17g", {{0}}), "")',
)
SPARQL11 = Dialect("sparql11")
DIALECTS: Mapping[str, Dialect] = {d.name: d for d in (OXIGRAPH, VIRTUOSO, SPARQL11)}


def named(name: str) -> Dialect:
    """Return the dialect a setting names, or raise BadRequest listing the names."""
    try:
        return DIALECTS[name.strip().lower()]
    except KeyError:
        raise BadRequest(f"Unknown store dialect {name!r}; use one of {', '.join(DIALECTS)} or auto.") from None


def detect(server: str | None) -> Dialect:
    """Pick the dialect from a store's ``Server`` header (``Virtuoso/07.20…``, ``Oxigraph/0.5…``)."""
    product = (server or "").split("/", 1)[0].strip().lower()
    if product.startswith("virtuoso"):
        return VIRTUOSO
    if product.startswith("oxigraph"):
        return OXIGRAPH
    return SPARQL11


# -- canonical values ---------------------------------------------------------------------------

# Derived integer types: the embedded store reads each of them as an xsd:integer.
_INTEGERS = {
    XSD + t
    for t in ("integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger", "negativeInteger",
              "nonPositiveInteger", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")
}
_INTEGER = ox.NamedNode(XSD + "integer")
_YEAR = re.compile(r"^(-?)(\d{1,3})(?=\D|$)")
_FRACTION = re.compile(r"(\d{2}:\d{2}:\d{2})\.(\d*?)0*(?=[Z+-]|$)")


def canonical(term: ox.Literal) -> ox.Literal:
    """Return a typed literal in the lexical form the embedded store gives it (others unchanged)."""
    datatype = term.datatype.value
    if not datatype.startswith(XSD):
        return term
    value = term.value
    try:
        if datatype in _INTEGERS:
            text = str(int(value))
        elif datatype == XSD + "decimal":
            text = _decimal(value)
        elif datatype == XSD + "double":
            text = _double(float(value))
        elif datatype == XSD + "float":
            text = _float(float(value))
        elif datatype == XSD + "boolean":
            text = {"1": "true", "0": "false"}.get(value, value)
        elif datatype in (XSD + "dateTime", XSD + "time"):
            text = _FRACTION.sub(lambda m: m[1] + ("." + m[2] if m[2] else ""), value)
        elif datatype in (XSD + "date", XSD + "gYear", XSD + "gYearMonth"):
            text = _YEAR.sub(lambda m: m[1] + m[2].zfill(4), value)
        else:
            return term
    except (ValueError, InvalidOperation):
        return term  # not a valid lexical form: the embedded store keeps those as they are, too
    if datatype in _INTEGERS and datatype != XSD + "integer":
        return ox.Literal(text, datatype=_INTEGER)
    return term if text == value else ox.Literal(text, datatype=term.datatype)


def _decimal(value: str) -> str:
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError(value)
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _positional(shortest: str) -> str:
    """Write the shortest round-trip digits of a float without an exponent, as the embedded store does."""
    text = format(Decimal(shortest), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _special(number: float) -> str | None:
    if number != number:
        return "NaN"
    if number in (float("inf"), float("-inf")):
        return "INF" if number > 0 else "-INF"
    return None


def _double(number: float) -> str:
    return _special(number) or _positional(repr(number))


def _float(number: float) -> str:
    special = _special(number)
    if special:
        return special
    single = struct.unpack("f", struct.pack("f", number))[0]
    for digits in range(1, 10):  # the fewest significant digits that read back as the same single float
        text = f"{single:.{digits}g}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == single:
            return _positional(text)
    return _positional(repr(single))
