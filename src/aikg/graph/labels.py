"""Labels, and how the pages name things.

- the best label of IRIs (:func:`labels_of`), a readable name for an unlabelled one (:func:`fallback_label`),
  and the results columns that carry labels (a column ``<x>Label`` next to a column ``<x>`` is shown as the
  text of ``<x>``'s link);
- properties by their human labels, read forwards and backwards (:class:`Vocabulary`, read from the store
  once per data version; the names of terms outside the ontology are kept here), resources by their kind;
- literals in one style: dates as "15 March 2016", booleans as words, large numbers with powers of ten;
- outside identifiers by their registry ("Wikidata: Q15733006").
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox

from aikg.graph.cache import per_version
from aikg.namespaces import DCTERMS, FOAF, ONTOLOGY, OWL, RDF, RDFS, SCHEMA, SKOS, XSD, curie, sparql_prologue
from aikg.store import Solutions, Store

_PROLOGUE = sparql_prologue()
LABEL_SUFFIX = "Label"


def labels_of(store: Store, iris: Iterable[str]) -> dict[str, str]:
    """Return the best label of each IRI: rdfs:label, then skos:prefLabel, then dcterms:title; English first."""
    wanted = sorted({i for i in iris})
    if not wanted:
        return {}
    best: dict[str, tuple[int, int, str]] = {}
    for chunk in (wanted[i : i + 500] for i in range(0, len(wanted), 500)):
        values = " ".join(str(ox.NamedNode(i)) for i in chunk)
        text = (
            _PROLOGUE
            + f"""SELECT ?x ?l ?k WHERE {{ VALUES ?x {{ {values} }}
          {{ ?x rdfs:label ?l BIND(0 AS ?k) }} UNION {{ ?x skos:prefLabel ?l BIND(1 AS ?k) }}
          UNION {{ ?x dcterms:title ?l BIND(2 AS ?k) }} }}"""
        )
        result = store.query(text)
        assert isinstance(result, Solutions)
        for x, lab, k in result.rows:
            if x is None or lab is None or k is None:
                continue
            lang = lab.language if isinstance(lab, ox.Literal) else None
            rank = (int(k.value), 0 if lang in (None, "", "en") or (lang or "").startswith("en") else 1, lab.value)
            if x.value not in best or rank < best[x.value]:
                best[x.value] = rank
    return {i: r[2] for i, r in best.items()}


def fallback_label(iri: str) -> str:
    """Return a readable name for an unlabelled IRI: the local name (with spaces) of a resource of ours,
    the CURIE of a term of a known vocabulary, else the IRI's last segment."""
    short = curie(iri)
    if short != iri:
        local = short.split(":", 1)[1]
        return local.replace("_", " ") if short.startswith("aikgr:") else short
    tail = iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    return tail or iri


def label_columns(variables: Sequence[str]) -> list[tuple[str, str | None]]:
    """Fold each ``<x>Label`` column into its ``<x>`` column: return the shown columns, each with the name
    of its label column (or None)."""
    names = set(variables)
    return [
        (n, n + LABEL_SUFFIX if n + LABEL_SUFFIX in names else None)
        for n in variables
        if not (n.endswith(LABEL_SUFFIX) and n[: -len(LABEL_SUFFIX)] in names)
    ]


# Terms of other vocabularies that the data states directly, named as a reader would.
OUTSIDE_LABELS: dict[str, str] = {
    SKOS + "exactMatch": "same as",
    SKOS + "closeMatch": "close match",
    SKOS + "broader": "broader concept",
    SKOS + "narrower": "narrower concept",
    SKOS + "related": "related to",
    SKOS + "altLabel": "also called",
    SKOS + "prefLabel": "name",
    SKOS + "definition": "definition",
    OWL + "sameAs": "same as",
    RDFS + "seeAlso": "see also",
    RDFS + "label": "name",
    RDFS + "comment": "comment",
    RDF + "type": "type",
    DCTERMS + "isVersionOf": "version of",
    DCTERMS + "hasVersion": "has version",
    DCTERMS + "source": "source",
    DCTERMS + "title": "title",
    DCTERMS + "description": "description",
    DCTERMS + "license": "licence",
    DCTERMS + "isPartOf": "part of",
    DCTERMS + "hasPart": "has part",
    DCTERMS + "date": "date",
    DCTERMS + "issued": "issued",
    DCTERMS + "creator": "creator",
    DCTERMS + "contributor": "contributor",
    DCTERMS + "subject": "subject",
    DCTERMS + "identifier": "identifier",
    FOAF + "homepage": "homepage",
    FOAF + "page": "page",
    SCHEMA + "url": "web page",
    SCHEMA + "sameAs": "same as",
}

# How an incoming link reads on the page of its object: "AlphaGo Zero builds on AlphaGo" is listed on
# AlphaGo's page under "built on by". A declared owl:inverseOf names it first; these name the rest.
INVERSE_LABELS: dict[str, str] = {
    ONTOLOGY + "producedBy": "produced",
    ONTOLOGY + "versionOf": "versions",
    DCTERMS + "isVersionOf": "versions",
    ONTOLOGY + "modelAuthor": "models authored",
    ONTOLOGY + "person": "bylines naming them",
    ONTOLOGY + "bylineAffiliation": "bylines naming it",
    ONTOLOGY + "method": "method of",
    ONTOLOGY + "merged": "merged in",
    ONTOLOGY + "contributor": "contributed to",
    ONTOLOGY + "author": "author of",
    ONTOLOGY + "authorList": "author of",
    ONTOLOGY + "paper": "describes",
    ONTOLOGY + "introduces": "introduced by",
    ONTOLOGY + "uses": "used by",
    ONTOLOGY + "buildsOn": "built on by",
    ONTOLOGY + "surpasses": "surpassed by",
    ONTOLOGY + "successorOf": "succeeded by",
    ONTOLOGY + "about": "subject of",
    ONTOLOGY + "participant": "took part in",
    ONTOLOGY + "winner": "won",
    ONTOLOGY + "defeated": "defeated by",
    ONTOLOGY + "partOfEvent": "parts",
    ONTOLOGY + "playedBy": "moves played",
    ONTOLOGY + "achievedBy": "results",
    ONTOLOGY + "benchmark": "results on it",
    ONTOLOGY + "competition": "results in it",
    ONTOLOGY + "metric": "measurements",
    ONTOLOGY + "foundedBy": "founded",
    ONTOLOGY + "founded": "founding",
    ONTOLOGY + "fundedBy": "funded",
    ONTOLOGY + "affiliatedWith": "people affiliated",
    ONTOLOGY + "organisation": "affiliations and foundings",
    ONTOLOGY + "acquirer": "acquisitions made",
    ONTOLOGY + "acquired": "acquired in",
    ONTOLOGY + "acquiredBy": "acquired",
    ONTOLOGY + "parentOrganisation": "sub-organisations",
    ONTOLOGY + "subOrganisation": "parent organisation",
    ONTOLOGY + "venue": "papers",
    ONTOLOGY + "trainedOn": "models trained on it",
    ONTOLOGY + "trainingHardware": "models trained on it",
    ONTOLOGY + "hardware": "figures about it",
    ONTOLOGY + "location": "what happened here",
    ONTOLOGY + "era": "milestones",
    ONTOLOGY + "hasMilestone": "era",
    ONTOLOGY + "licence": "licensed under it",
    ONTOLOGY + "measurement": "figure of",
    ONTOLOGY + "comparedWith": "compared with",
    ONTOLOGY + "released": "released in",
    ONTOLOGY + "notableMove": "game",
    ONTOLOGY + "reportedValue": "reported value of",
    ONTOLOGY + "amount": "amount of",
    ONTOLOGY + "reportedPrice": "reported price of",
    SKOS + "broader": "narrower concepts",
    DCTERMS + "isVersionOf": "versions",
    DCTERMS + "source": "cited as the source of",
    RDF + "type": "instances",
}

#: Kinds of resource, most specific first: the first class a resource has (asserted or entailed) names it.
KINDS: tuple[tuple[str, str], ...] = (
    (ONTOLOGY + "Milestone", "milestone"),
    (ONTOLOGY + "Person", "person"),
    (ONTOLOGY + "Organisation", "organisation"),
    (ONTOLOGY + "Paper", "paper"),
    (ONTOLOGY + "Model", "model"),
    (ONTOLOGY + "Software", "software"),
    (ONTOLOGY + "Product", "product"),
    (ONTOLOGY + "Dataset", "dataset"),
    (ONTOLOGY + "Hardware", "hardware"),
    (ONTOLOGY + "Technique", "technique"),
    (ONTOLOGY + "Era", "era"),
    (ONTOLOGY + "Match", "event"),
    (ONTOLOGY + "Game", "event"),
    (ONTOLOGY + "Competition", "event"),
    (ONTOLOGY + "Founding", "event"),
    (ONTOLOGY + "Acquisition", "event"),
    (ONTOLOGY + "Release", "event"),
    (ONTOLOGY + "Event", "event"),
    (ONTOLOGY + "Affiliation", "detail"),
    (ONTOLOGY + "Measurement", "detail"),
    (ONTOLOGY + "MonetaryAmount", "detail"),
    (ONTOLOGY + "ReportedValue", "detail"),
    (ONTOLOGY + "Move", "detail"),
    (ONTOLOGY + "Metric", "metric"),
    (ONTOLOGY + "Venue", "venue"),
    (ONTOLOGY + "Place", "place"),
    (DCTERMS + "BibliographicResource", "source"),
    (OWL + "Class", "term"),
    (OWL + "ObjectProperty", "term"),
    (OWL + "DatatypeProperty", "term"),
    (RDF + "Property", "term"),
)
_KIND_OF = dict(KINDS)
#: What each kind is called in a legend or a facet, in the order legends list them.
KIND_NAMES: dict[str, str] = {
    "milestone": "milestone", "person": "person", "organisation": "organisation", "paper": "paper",
    "model": "model or system", "software": "software", "product": "product", "dataset": "dataset",
    "hardware": "hardware", "technique": "technique", "era": "era", "event": "event", "metric": "metric",
    "venue": "venue", "place": "place", "detail": "detail node", "source": "source document",
    "term": "ontology term", "other": "other",
}
#: Kinds a search ranks last, in this order after the rest: in-between nodes, then source documents.
LOW_KINDS = {"detail": 1, "term": 1, "source": 2}


def kind_of(types: Iterable[str]) -> str:
    """Return the kind of a resource from its classes ("milestone", "person", ..., "other")."""
    found = {t for t in types}
    for iri, kind in KINDS:
        if iri in found:
            return kind
    return "other"


def kind_of_class(iri: str) -> str | None:
    """Return the kind a class stands for, or None for a class the pages do not single out."""
    return _KIND_OF.get(iri)


# --------------------------------------------------------------------------------------------------
# The vocabulary
# --------------------------------------------------------------------------------------------------


@dataclass
class Vocabulary:
    """Labels, inverses and super-properties of the properties the data uses, and superclasses of classes."""

    labels: dict[str, str] = field(default_factory=dict)
    inverses: dict[str, str] = field(default_factory=dict)  # both ways
    supers: dict[str, frozenset[str]] = field(default_factory=dict)  # transitive, any vocabulary
    superclasses: dict[str, frozenset[str]] = field(default_factory=dict)

    def label(self, iri: str) -> str:
        """Return the human label of a property or class ("produced by", "version of"), else its CURIE."""
        return self.labels.get(iri) or OUTSIDE_LABELS.get(iri) or curie(iri)

    def inverse_label(self, iri: str) -> str:
        """Return how a property reads backwards, on the page of its object ("author" -> "author of")."""
        inverse = self.inverses.get(iri)
        if inverse and inverse in self.labels and iri not in (ONTOLOGY + "hasMilestone", ONTOLOGY + "era"):
            return self.labels[inverse]
        return INVERSE_LABELS.get(iri) or f"{self.label(iri)} (of)"

    def is_super(self, broad: str, narrow: str) -> bool:
        """Tell whether `broad` is a super-property of `narrow` (so a fact by `narrow` implies one by `broad`)."""
        return broad != narrow and broad in self.supers.get(narrow, frozenset())

    def classes_of(self, types: Iterable[str]) -> set[str]:
        """Return the classes with every superclass of each."""
        out: set[str] = set()
        for t in types:
            out.add(t)
            out |= self.superclasses.get(t, frozenset())
        return out


_VOCABULARY = sparql_prologue() + """SELECT ?a ?b ?k WHERE {
  { ?a rdfs:subPropertyOf ?b BIND("sub" AS ?k) }
  UNION { ?a owl:inverseOf ?b BIND("inv" AS ?k) }
  UNION { ?a rdfs:subClassOf ?b BIND("cls" AS ?k) }
  UNION { ?a a ?t . VALUES ?t { owl:ObjectProperty owl:DatatypeProperty owl:AnnotationProperty rdf:Property owl:Class }
          ?a rdfs:label ?b BIND("label" AS ?k) }
  FILTER(isIRI(?a))
}"""


def _closure(direct: dict[str, set[str]]) -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    for start in direct:
        seen: set[str] = set()
        todo = list(direct[start])
        while todo:
            q = todo.pop()
            if q not in seen and q != start:
                seen.add(q)
                todo.extend(direct.get(q, ()))
        out[start] = frozenset(seen)
    return out


@per_version
def vocabulary(store: Store) -> Vocabulary:
    """Read the vocabulary of a store (cached per data version)."""
    result = store.query(_VOCABULARY)
    assert isinstance(result, Solutions)
    subs: dict[str, set[str]] = defaultdict(set)
    classes: dict[str, set[str]] = defaultdict(set)
    vocab = Vocabulary()
    english: set[str] = set()
    for a, b, k in result.rows:
        if a is None or b is None or k is None:
            continue
        kind = k.value
        if kind == "label" and isinstance(b, ox.Literal):
            lang = b.language or ""
            if a.value not in vocab.labels or (lang.startswith("en") and a.value not in english):
                vocab.labels[a.value] = b.value
                if lang.startswith("en"):
                    english.add(a.value)
        elif not isinstance(b, ox.NamedNode):
            continue
        elif kind == "sub":
            subs[a.value].add(b.value)
        elif kind == "cls":
            classes[a.value].add(b.value)
        elif kind == "inv":
            vocab.inverses.setdefault(a.value, b.value)
            vocab.inverses.setdefault(b.value, a.value)
    vocab.supers = _closure(subs)
    vocab.superclasses = _closure(classes)
    return vocab


# --------------------------------------------------------------------------------------------------
# Literals in one style
# --------------------------------------------------------------------------------------------------

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
_DATE = re.compile(r"^(-?\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")
DATE_TYPES = frozenset(XSD + t for t in ("date", "dateTime", "gYear", "gYearMonth"))
_INTEGER_TYPES = frozenset(XSD + t for t in (
    "integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger", "unsignedInt",
    "unsignedLong", "negativeInteger", "nonPositiveInteger"))
_NUMBER_TYPES = _INTEGER_TYPES | {XSD + "decimal", XSD + "double", XSD + "float"}
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


@dataclass(frozen=True)
class Link:
    """A labelled IRI (a resource, a property, a class, a source document): what a page links by its label."""

    iri: str
    label: str


@dataclass(frozen=True)
class When:
    """A date as precise as the data states it: 'year', 'month' or 'day'."""

    lexical: str
    datatype: str
    precision: str
    year: int
    month: int = 0
    day: int = 0

    @property
    def text(self) -> str:
        """Return the date for reading: "2012", "January 2013" or "9 November 2015"."""
        if self.precision == "day":
            return f"{self.day} {MONTHS[self.month - 1]} {self.year}"
        if self.precision == "month":
            return f"{MONTHS[self.month - 1]} {self.year}"
        return str(self.year)

    @property
    def machine(self) -> str:
        """Return the value for an HTML time element (YYYY, YYYY-MM or YYYY-MM-DD)."""
        if self.precision == "day":
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        if self.precision == "month":
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}"

    @property
    def key(self) -> tuple[int, int, int]:
        """Return a sort key: a year alone sorts before the dated days of its year."""
        return (self.year, self.month, self.day)


def when(literal: ox.Literal) -> When | None:
    """Read a date literal keeping its precision (gYear, gYearMonth, date, dateTime); None if unreadable."""
    found = _DATE.match(literal.value.strip())
    if not found:
        return None
    year = int(found.group(1))
    month = int(found.group(2) or 0)
    day = int(found.group(3) or 0)
    datatype = literal.datatype.value
    if datatype == XSD + "gYear" or not 1 <= month <= 12:
        return When(literal.value, datatype, "year", year)
    if datatype == XSD + "gYearMonth" or not 1 <= day <= 31:
        return When(literal.value, datatype, "month", year, month)
    return When(literal.value, datatype, "day", year, month, day)


def date_of(term: object) -> When | None:
    """Return the date a term states, if it is a date literal (xsd:date, gYearMonth, gYear, dateTime)."""
    if isinstance(term, ox.Literal) and term.datatype.value in DATE_TYPES:
        return when(term)
    return None


def number_text(lexical: str, integer: bool = False) -> str:
    """Write a number for reading: 1,200 and 86.4 as written, 4.7 × 10¹⁷ from ten million (a count stays whole)."""
    try:
        value = Decimal(lexical.strip())
    except InvalidOperation:
        return lexical
    if not value.is_finite():
        return lexical
    big = abs(value) >= 10**7
    if value == value.to_integral_value() and (integer or not big):
        whole = int(value)
        return f"{whole:,}" if abs(whole) >= 10_000 else str(whole)  # 2012 is a year, not 2,012
    if big or (value != 0 and abs(value) < Decimal("0.0001")):
        exponent = value.adjusted()
        mantissa = f"{value.scaleb(-exponent):.2f}".rstrip("0").rstrip(".")
        return f"{mantissa} × 10{str(exponent).translate(_SUPERSCRIPT)}"
    # Trailing zeros a source wrote (28.40) may be meant: the lexical form stays unless it is in E notation.
    return format(value, "f") if "e" in lexical.lower() else lexical.strip()


def literal_text(literal: ox.Literal) -> str:
    """Write a literal in the pages' one style: dates, booleans as words, numbers, else its text."""
    datatype = literal.datatype.value
    if datatype in DATE_TYPES:
        found = when(literal)
        return found.text if found else literal.value
    if datatype == XSD + "boolean":
        return {"true": "yes", "1": "yes", "false": "no", "0": "no"}.get(literal.value.strip(), literal.value)
    if datatype in _NUMBER_TYPES:
        return number_text(literal.value, integer=datatype in _INTEGER_TYPES)
    return literal.value


# --------------------------------------------------------------------------------------------------
# Outside identifiers
# --------------------------------------------------------------------------------------------------

_REGISTRIES: tuple[tuple[str, str, str], ...] = (
    # (name, IRI prefix, what the identifier is called)
    ("Wikidata", "http://www.wikidata.org/entity/", ""),
    ("Wikidata", "https://www.wikidata.org/wiki/", ""),
    ("Wikidata", "http://www.wikidata.org/prop/direct/", ""),
    ("DOI", "https://doi.org/", ""),
    ("DOI", "http://dx.doi.org/", ""),
    ("arXiv", "https://arxiv.org/abs/", ""),
    ("Wikipedia", "https://en.wikipedia.org/wiki/", ""),
    ("DBpedia", "http://dbpedia.org/resource/", ""),
    ("ORCID", "https://orcid.org/", ""),
    ("ROR", "https://ror.org/", ""),
    ("OpenAlex", "https://openalex.org/", ""),
    ("Epoch AI", "https://epoch.ai/", ""),
)


@dataclass(frozen=True)
class Outside:
    """An IRI of another registry, named for reading: "Wikidata: Q15733006"."""

    iri: str
    registry: str
    identifier: str

    @property
    def text(self) -> str:
        """Return "Registry: identifier"."""
        return f"{self.registry}: {self.identifier}" if self.registry else self.identifier


def outside(iri: str) -> Outside | None:
    """Name an IRI of a known registry (Wikidata, DOI, arXiv, Wikipedia, ...), or None for any other."""
    for name, prefix, _ in _REGISTRIES:
        if iri.startswith(prefix) and len(iri) > len(prefix):
            ident = iri[len(prefix):]
            if name == "Wikipedia":
                ident = ident.replace("_", " ")
            return Outside(iri, name, ident)
    return None
