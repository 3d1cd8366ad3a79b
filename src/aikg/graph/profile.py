"""A resource page's content, statements first: the key facts of its kind, then the rest grouped by meaning.

:func:`profile` turns a :class:`~aikg.graph.describe.Description` into what a reader looks for first:

- a milestone: when, where, who, what it produced, and the result;
- a person: the career as a dated list, then the work (papers, milestones, foundings) over time;
- an organisation: its founding and owners, its milestones and models over time, and its people;
- a model or other artefact: release, maker, paper, lineage and results; a paper: authors in byline order,
  date, venue and identifiers; an event: when, where, who took part and the outcome; a technique: its
  place among the others and its uses over time; an era: its years and milestones.

Every property is named by its label in the ontology (outside terms by :mod:`aikg.graph.labels`), and each
statement carries the numbers of its sources (see :func:`aikg.graph.describe.statement_sources`). The same
fact stated twice is shown once: an entailed super-property (``schema:producer`` beside ``produced by``), an
asserted one (``builds on`` beside ``surpasses``), an entailed inverse (``author of`` beside the papers that
name the person), ``affiliated with`` beside the dated affiliation, and an incoming link that mirrors an
outgoing one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import pyoxigraph as ox

from aikg.graph.cache import per_version
from aikg.graph.cite import Citation, cite
from aikg.graph.describe import (
    Description,
    Figure,
    IncomingGroup,
    IncomingLink,
    Link,
    PropertyGroup,
    Value,
    describe,
    figures_of,
    node_sources,
    statement_sources,
)
from aikg.graph.labels import KIND_NAMES, Vocabulary, When, date_of, kind_of, literal_text, outside, vocabulary
from aikg.graph.search import index
from aikg.namespaces import DCTERMS, INFERRED_GRAPH, ONTOLOGY, OWL, RDF, RDFS, SKOS, curie, sparql_prologue
from aikg.store import Solutions, Store, Term

A = ONTOLOGY
_TYPE = RDF + "type"
_FIRST, _REST = RDF + "first", RDF + "rest"
_SOURCE = DCTERMS + "source"
#: Dates that place a resource in time, most telling first.
DATE_PROPERTIES = (A + "date", A + "releaseDate", A + "publicationDate", A + "foundingDate", A + "startDate")
ARTEFACT_KINDS = frozenset({"model", "software", "product", "dataset", "hardware", "paper"})
#: Longest dated list a page shows; the timeline and the lists hold the rest.
MAX_CHRONICLE = 120

#: The rest of the facts, grouped by meaning (a property not named here goes under "Other facts").
GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("who", "People and organisations", tuple(A + p for p in (
        "producedBy", "contributor", "author", "authorList", "foundedBy", "fundedBy", "affiliatedWith", "affiliation",
        "participant", "winner", "defeated", "acquirer", "acquired", "acquiredBy", "organisation",
        "parentOrganisation", "subOrganisation", "playedBy", "achievedBy", "founded"))),
    ("when", "Time and place", tuple(A + p for p in (
        "date", "year", "startDate", "endDate", "releaseDate", "publicationDate", "foundingDate", "since",
        "startYear", "endYear", "era", "location", "partOfEvent", "gameNumber", "moveNumber", "reportedDate"))),
    ("what", "What it concerns", tuple(A + p for p in (
        "about", "released", "paper", "venue", "trainedOn", "trainingHardware", "hardware", "benchmark",
        "competition", "metric", "notableMove", "property"))),
    ("ideas", "Techniques", (A + "introduces", A + "uses", SKOS + "broader", SKOS + "narrower", SKOS + "related")),
    ("lineage", "Lineage", (A + "buildsOn", A + "surpasses", A + "successorOf", DCTERMS + "isVersionOf",
                            DCTERMS + "hasVersion")),
    ("figures", "Figures and amounts", tuple(A + p for p in (
        "measurement", "score", "amount", "reportedPrice", "priceDisclosed", "value", "unit", "currency",
        "qualifier", "rank", "reportedValue", "comparedWith", "quote", "role"))),
    ("ids", "Identifiers and links", (A + "doi", A + "arxivId", A + "citation", A + "licence", SKOS + "exactMatch",
                                      SKOS + "closeMatch", OWL + "sameAs", RDFS + "seeAlso")),
)
#: How a dated list names the link of each line to the page's resource ("DQN — produced").
RELATIONS = {
    A + "producedBy": "produced", A + "acquirer": "bought", A + "acquired": "bought", A + "founded": "founded",
    A + "organisation": "", A + "fundedBy": "funded", A + "author": "author", A + "contributor": "contributor",
    A + "foundedBy": "founder", A + "participant": "took part", A + "playedBy": "played",
    A + "introduces": "introduced", A + "uses": "used", A + "era": "",
}
_GROUP_OF = {p: key for key, _, props in GROUPS for p in props}
#: Identifiers written as literals, and the address each resolves at.
_RESOLVERS = {A + "doi": "https://doi.org/", A + "arxivId": "https://arxiv.org/abs/"}


# --------------------------------------------------------------------------------------------------
# Dataclasses handed to the template
# --------------------------------------------------------------------------------------------------


@dataclass
class Shown:
    """One value as a page writes it: text, and the link, date or note that goes with it."""

    text: str
    iri: str | None = None
    when: When | None = None
    note: str | None = None
    outside: bool = False  # an IRI of another registry (Wikidata, DOI, ...)


@dataclass
class Statement:
    """One row of facts: a human label, its values, and the numbers of the sources that state them."""

    label: str
    values: list[Shown]
    sources: list[int] = field(default_factory=list)
    predicate: str | None = None
    #: Other names of the same facts, folded into this row (entailed super-properties such as schema:producer).
    also: list[str] = field(default_factory=list)
    #: The resource a derived row comes through ("the match" for a milestone's result).
    via: Shown | None = None
    shown: int = 8

    @property
    def first(self) -> list[Shown]:
        """Return the values shown at once."""
        return self.values[: self.shown]

    @property
    def rest(self) -> list[Shown]:
        """Return the values behind "and N more"."""
        return self.values[self.shown :]


@dataclass
class Section:
    """Facts that belong together ("Time and place")."""

    key: str
    title: str
    statements: list[Statement]


@dataclass
class Dated:
    """One line of a dated list: from when (to when), what, in which relation, with its sources."""

    when: When | None
    what: Shown
    relation: str
    kind: str = "other"
    end: When | None = None
    note: str | None = None
    sources: list[int] = field(default_factory=list)

    @property
    def year(self) -> int | None:
        """Return the year the line starts in, if known."""
        return self.when.year if self.when else None


@dataclass
class Chronicle:
    """A dated list: a career, the milestones and models of an organisation, a person's work."""

    key: str
    title: str
    items: list[Dated]
    total: int
    note: str | None = None

    @property
    def undated(self) -> int:
        """Return how many lines have no date."""
        return sum(1 for i in self.items if i.when is None)


@dataclass(frozen=True)
class SourceRef:
    """A source cited on the page, with the number its statements refer to."""

    number: int
    iri: str
    label: str


@dataclass
class Profile:
    """Everything a resource page shows, in the order it shows it."""

    description: Description
    kind: str
    kind_label: str
    alt_labels: list[str]
    also_types: list[str]
    summary: list[Statement]
    chronicles: list[Chronicle]
    sections: list[Section]
    incoming: list[IncomingGroup]
    entailed: list[Statement]
    sources: list[SourceRef]
    citation: Citation

    @property
    def iri(self) -> str:
        """Return the IRI described."""
        return self.description.iri

    @property
    def label(self) -> str:
        """Return the label of the resource."""
        return self.description.label

    @property
    def numbers(self) -> dict[str, int]:
        """Return the number of each cited source, by IRI."""
        return {s.iri: s.number for s in self.sources}

    def numbers_of(self, sources: Iterable[Link]) -> list[int]:
        """Return the numbers of some cited sources, in order."""
        known = self.numbers
        return sorted({known[s.iri] for s in sources if s.iri in known})


# --------------------------------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------------------------------

_PROLOGUE = sparql_prologue()

# Resources that point at ?s through one of ?props, with their dates (any of DATE_PROPERTIES).
_POINTING = _PROLOGUE + """SELECT ?x ?p ?dp ?date ?src ?s WHERE {
  VALUES ?p { %s }
  ?x ?p ?s . FILTER(isIRI(?x))
  FILTER NOT EXISTS { GRAPH <%s> { ?x ?p ?s } }
  OPTIONAL { VALUES ?dp { %s } ?x ?dp ?date }
  OPTIONAL { ?x dcterms:source ?src }
}"""

# The facts that make an event's outcome readable: where, the score, the winner, its dates and sources.
_EVENT_FACTS = _PROLOGUE + """SELECT ?x ?k ?v WHERE {
  VALUES ?x { %s }
  { ?x aikg:location ?v BIND("location" AS ?k) } UNION { ?x aikg:score ?v BIND("score" AS ?k) }
  UNION { ?x aikg:winner ?v BIND("winner" AS ?k) } UNION { ?x dcterms:source ?v BIND("source" AS ?k) }
  UNION { ?x aikg:measurement ?v BIND("m" AS ?k) } UNION { ?v aikg:achievedBy ?x BIND("m" AS ?k) }
  UNION { ?x aikg:date ?v BIND("date" AS ?k) } UNION { ?x aikg:startDate ?v BIND("start" AS ?k) }
  UNION { ?x aikg:endDate ?v BIND("end" AS ?k) } UNION { ?x aikg:partOfEvent ?v BIND("part" AS ?k) }
}"""

# People of an organisation: dated affiliations (role, start, end, sources) and plain affiliatedWith.
_PEOPLE = _PROLOGUE + """SELECT ?person ?a ?role ?start ?end ?src ?s WHERE {
  { ?a aikg:organisation ?s . ?a a aikg:Affiliation . ?person aikg:affiliation ?a .
    OPTIONAL { ?a aikg:role ?role } OPTIONAL { ?a aikg:startDate ?start } OPTIONAL { ?a aikg:endDate ?end }
    OPTIONAL { ?a dcterms:source ?src } }
  UNION { ?person aikg:affiliatedWith ?s OPTIONAL { ?person dcterms:source ?src } }
}"""


@dataclass
class _Pointer:
    """A resource that points at the described one: through which properties, when, and by which sources."""

    properties: set[str] = field(default_factory=set)
    when: When | None = None
    order: int = 99
    sources: list[str] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)


class _Builder:
    def __init__(self, store: Store, d: Description) -> None:
        self.store = store
        self.d = d
        self.vocab: Vocabulary = vocabulary(store)
        self.idx = index(store)
        entry = self.idx.entries.get(d.iri)
        self.types = {t.iri for t in d.types} | (entry.types if entry else set())
        self.kind = kind_of(self.types)
        self.out: dict[str, PropertyGroup] = {g.property: replace(g, values=list(g.values)) for g in d.out}
        self.also: dict[str, list[str]] = defaultdict(list)
        self.used: set[str] = set()
        self.consumed_in: dict[str, set[str]] = defaultdict(set)  # incoming property -> subjects shown
        self.numbers: dict[str, int] = {}
        self.refs: list[SourceRef] = []
        self.nodes = node_sources(d)
        statements = [(d.iri, g.property, v.term) for g in d.out for v in g.values]
        self.stated = {(p, o): found for (_, p, o), found in statement_sources(
            store, statements, {d.iri: d.sources}, self.nodes).items()}
        self.summary: list[Statement] = []
        self.chronicles: list[Chronicle] = []
        self.entailed: list[Statement] = []
        self.also_types: list[str] = []

    # -- naming ----------------------------------------------------------------------------------------

    def name(self, iri: str) -> str:
        entry = self.idx.entries.get(iri)
        if entry is not None:
            return entry.label
        found = outside(iri)
        return found.text if found else self.vocab.label(iri) if iri.startswith(ONTOLOGY) else _tail(iri)

    def kind_of(self, iri: str) -> str:
        entry = self.idx.entries.get(iri)
        return kind_of(entry.types) if entry else "other"

    def link(self, iri: str, note: str | None = None) -> Shown:
        found = outside(iri)
        if found is not None and iri not in self.idx.entries:
            return Shown(found.text, iri, outside=True, note=note)
        return Shown(self.name(iri), iri, note=note)

    def number(self, links: Iterable[Link]) -> list[int]:
        out: list[int] = []
        for s in links:
            if s.iri not in self.numbers:
                self.numbers[s.iri] = len(self.refs) + 1
                self.refs.append(SourceRef(self.numbers[s.iri], s.iri, s.label))
            n = self.numbers[s.iri]
            if n not in out:
                out.append(n)
        return out

    def shown(self, v: Value, prop: str | None = None) -> Shown:
        term = v.term
        if isinstance(term, ox.Literal):
            if prop in _RESOLVERS:
                return Shown(term.value, _RESOLVERS[prop] + term.value, outside=True)
            date = date_of(term)
            if date is not None:
                return Shown(date.text, when=date)
            return Shown(literal_text(term), note=f"@{v.lang}" if v.lang and not v.lang.startswith("en") else None)
        if v.node is not None and v.node.members is not None:
            return Shown(", ".join(m.label for m in v.node.members))
        if isinstance(term, ox.NamedNode):
            return self.link(term.value)
        if v.node is not None:
            parts = [f"{g.label} {', '.join(self.shown(x, g.property).text for x in g.values)}" for g in v.node.facts
                     if g.property != _SOURCE]
            return Shown(v.node.label or "; ".join(parts))
        return Shown(v.label)

    # -- statements ------------------------------------------------------------------------------------

    def statement(self, prop: str, values: Sequence[Value] | None = None, label: str | None = None) -> Statement:
        group = self.out.get(prop)
        chosen = list(values if values is not None else (group.values if group else []))
        sources: list[Link] = []
        for v in chosen:
            for s in self.stated.get((prop, v.term), []):
                if s not in sources:
                    sources.append(s)
        shown = [self.shown(v, prop) for v in chosen]
        if prop == A + "authorList" and chosen and chosen[0].node and chosen[0].node.members is not None:
            shown = [self.link(m.iri) if m.iri else Shown(m.label) for m in chosen[0].node.members]
        return Statement(label or self.vocab.label(prop), shown, self.number(sources), prop,
                         list(dict.fromkeys(self.also.get(prop, []))))

    def take(self, prop: str, label: str | None = None, values: Sequence[Value] | None = None) -> Statement | None:
        """Move a property's facts into the summary (under `label`) and mark it shown."""
        group = self.out.get(prop)
        if group is None or not group.values:
            return None
        self.used.add(prop)
        row = self.statement(prop, values, label)
        if row.values:
            self.summary.append(row)
            return row
        return None

    def values_of(self, prop: str) -> list[Value]:
        group = self.out.get(prop)
        return list(group.values) if group else []

    # -- folding ---------------------------------------------------------------------------------------

    def fold(self) -> None:
        """Show each fact once: asserted and entailed super-properties, alt labels, entailed inverses."""
        vocab = self.vocab
        for broad in list(self.out):
            for narrow in list(self.out):
                if broad in self.out and narrow in self.out and vocab.is_super(broad, narrow):
                    inside = {v.term for v in self.out[narrow].values}
                    kept = [v for v in self.out[broad].values if v.term not in inside]
                    if len(kept) < len(self.out[broad].values):
                        self.also[narrow].append(vocab.label(broad))
                    self.out[broad].values = kept
        for p in [p for p, g in self.out.items() if not g.values]:
            del self.out[p]
        # A year beside a date of that year says the same thing.
        dated = [date_of(v.term) for p in DATE_PROPERTIES for v in self.values_of(p)]
        years = {w.year for w in dated if w}
        if A + "year" in self.out and all(_int(v.term) in years for v in self.values_of(A + "year")):
            first = next(p for p in DATE_PROPERTIES if p in self.out)
            self.also[first].append(vocab.label(A + "year"))
            del self.out[A + "year"]
        incoming_props = {g.property for g in self.d.incoming}
        for g in self.d.inferred:
            if g.property == _TYPE:
                self.also_types = sorted({v.label for v in g.values}, key=str.casefold)
                continue
            rest: list[Value] = []
            for v in g.values:
                home = next((q for q, og in self.out.items() if vocab.is_super(g.property, q)
                             and any(x.term == v.term for x in og.values)), None)
                if home is not None:
                    self.also[home].append(curie(g.property) if not g.property.startswith(ONTOLOGY)
                                           else vocab.label(g.property))
                elif vocab.inverses.get(g.property) in incoming_props:
                    continue  # an entailed inverse: the incoming links list the same facts
                elif any(vocab.is_super(g.property, q) for q in self.d_out_props()) and _is_aikg(g.property):
                    continue  # entailed from a fact already shown (uses from introduces)
                else:
                    rest.append(v)
            if rest:
                self.entailed.append(Statement(vocab.label(g.property) if _is_aikg(g.property) else curie(g.property),
                                               [self.shown(v, g.property) for v in rest], predicate=g.property))

    def d_out_props(self) -> set[str]:
        return {g.property for g in self.d.out}

    # -- queries ---------------------------------------------------------------------------------------

    def pointing(self, props: Sequence[str]) -> dict[str, _Pointer]:
        """Return the resources that point at this one through `props`: the properties, a date, the sources."""
        if not props:
            return {}
        text = _POINTING % (" ".join(f"<{p}>" for p in props), INFERRED_GRAPH,
                            " ".join(f"<{p}>" for p in DATE_PROPERTIES))
        result = self.store.query(text, substitutions={"s": ox.NamedNode(self.d.iri)})
        assert isinstance(result, Solutions)
        found: dict[str, _Pointer] = {}
        rank = {p: i for i, p in enumerate(DATE_PROPERTIES)}
        for x, p, dp, date, src, _ in result.rows:
            if not isinstance(x, ox.NamedNode) or p is None:
                continue
            ptr = found.setdefault(x.value, _Pointer())
            ptr.properties.add(p.value)
            w = date_of(date)
            order = rank.get(dp.value, 99) if dp is not None else 99
            if w is not None and order < ptr.order:
                ptr.when, ptr.order = w, order
            if isinstance(src, ox.NamedNode) and src.value not in ptr.sources:
                ptr.sources.append(src.value)
        statements = [(i, p, ox.NamedNode(self.d.iri)) for i, ptr in found.items() for p in sorted(ptr.properties)]
        subjects = {i: [Link(s, self.name(s)) for s in ptr.sources] for i, ptr in found.items()}
        for (subject, _, _), links in statement_sources(self.store, statements, subjects).items():
            found[subject].numbers = list(dict.fromkeys(found[subject].numbers + self.number(links)))
        return found

    def events(self, iris: Sequence[str]) -> dict[str, dict[str, list[Term]]]:
        """Return the readable facts of some events (location, score, winner, dates, measurements, sources)."""
        if not iris:
            return {}
        values = " ".join(str(ox.NamedNode(i)) for i in dict.fromkeys(iris))
        result = self.store.query(_EVENT_FACTS % values)
        assert isinstance(result, Solutions)
        out: dict[str, dict[str, list[Term]]] = defaultdict(lambda: defaultdict(list))
        for x, k, v in result.rows:
            if x is not None and k is not None and v is not None and v not in out[x.value][k.value]:
                out[x.value][k.value].append(v)
        return out

    # -- kinds -----------------------------------------------------------------------------------------

    def build(self) -> None:
        self.fold()
        recipe = {
            "milestone": self.milestone, "person": self.person, "organisation": self.organisation,
            "paper": self.paper, "event": self.event, "technique": self.technique, "era": self.era,
        }.get(self.kind, self.artefact if self.kind in ARTEFACT_KINDS else self.generic)
        recipe()

    def when_row(self, label: str = "When") -> None:
        for p in DATE_PROPERTIES:
            if p in self.out:
                row = self.take(p, label)
                if row and p == A + "startDate" and A + "endDate" in self.out:
                    end = self.statement(A + "endDate")
                    self.used.add(A + "endDate")
                    row.values = [Shown(f"{row.values[0].text} – {end.values[0].text}", when=row.values[0].when)]
                    row.sources = list(dict.fromkeys(row.sources + end.sources))
                return
        self.take(A + "year", label)

    def outcome(self, events: dict[str, dict[str, list[Term]]], iris: Sequence[str]) -> list[Statement]:
        """Write the outcome of what a milestone is about: each match's score and winner ("4–1, won by
        AlphaGo"), and the figures of the rest (a match's own figures repeat its score)."""
        shown: list[Shown] = []
        sources: list[Link] = []
        measured: list[Term] = []
        for x in iris:
            facts = events.get(x, {})
            parts = [v.value for v in facts.get("score", []) if isinstance(v, ox.Literal)]
            winners = [self.name(w.value) for w in facts.get("winner", []) if isinstance(w, ox.NamedNode)]
            if winners:
                parts.append("won by " + " and ".join(winners))
            if parts:
                shown.append(self.link(x, ", ".join(parts)))
                sources += [Link(s.value, self.name(s.value)) for s in facts.get("source", [])
                            if isinstance(s, ox.NamedNode)]
            else:
                measured.extend(facts.get("m", []))
        figures = figures_of(self.store, measured)
        # The figures taken on a benchmark or in a competition are the result; the rest describe the artefact.
        figures = [f for f in figures if f.benchmark or f.competition] or figures
        for f in figures[:6]:
            who = [a.label for a in f.achieved_by]
            shown.append(Shown(f.text, f.iri, note=", ".join(who) or None))
            sources += f.sources
        return [Statement("Result", shown, self.number(sources))] if shown else []

    def milestone(self) -> None:
        self.when_row()
        about = self.values_of(A + "about")
        kinds = {v.iri: self.kind_of(v.iri) for v in about if v.iri}
        event_iris = [i for i, k in kinds.items() if k == "event"]
        facts = self.events(event_iris + [i for i, k in kinds.items() if k in ARTEFACT_KINDS])
        if A + "location" in self.out:
            self.take(A + "location", "Where")
        else:
            for x in event_iris:
                places = [self.link(p.value) for p in facts.get(x, {}).get("location", [])
                          if isinstance(p, ox.NamedNode)]
                if places:
                    sources = [Link(s.value, self.name(s.value)) for s in facts[x].get("source", [])
                               if isinstance(s, ox.NamedNode)]
                    self.summary.append(Statement("Where", places, self.number(sources), via=self.link(x)))
                    break
        self.take(A + "producedBy", "By")
        self.take(A + "contributor", "People")
        made = [v for v in about if v.iri and kinds.get(v.iri) in ARTEFACT_KINDS and kinds.get(v.iri) != "paper"]
        papers = {v.term for v in self.values_of(A + "paper")}
        if made:
            self.summary.append(self.statement(A + "about", made, "What it produced"))
        self.take(A + "introduces", "Introduced")
        self.take(A + "paper", "Paper")
        rest = [v for v in about if v not in made and v.term not in papers]
        if rest:
            self.summary.append(self.statement(A + "about", rest, "Events"))
        self.used.add(A + "about")
        self.summary.extend(self.outcome(facts, event_iris + [v.iri for v in made if v.iri]))
        self.take(A + "era", "Era")

    def career(self) -> None:
        rows: list[Dated] = []
        covered: set[str] = set()
        for v in self.values_of(A + "affiliation"):
            if v.node is None:
                continue
            facts = {g.property: g.values for g in v.node.facts}
            orgs = [x for x in facts.get(A + "organisation", []) if x.iri]
            start = next((date_of(x.term) for x in facts.get(A + "startDate", [])), None)
            end = next((date_of(x.term) for x in facts.get(A + "endDate", [])), None)
            role = ", ".join(x.label for x in facts.get(A + "role", []))
            sources = self.number(self.stated.get((A + "affiliation", v.term), []))
            for org in orgs:
                covered.add(org.iri or "")
                rows.append(Dated(start, self.link(org.iri or ""), role or "affiliated", "organisation", end,
                                  sources=sources))
        for v in self.values_of(A + "affiliatedWith"):
            if v.iri and v.iri not in covered:
                rows.append(Dated(None, self.link(v.iri), "affiliated", "organisation",
                                  sources=self.number(self.stated.get((A + "affiliatedWith", v.term), []))))
        if covered:
            self.also[A + "affiliation"].append(self.vocab.label(A + "affiliatedWith"))
        self.used |= {A + "affiliation", A + "affiliatedWith"}
        if rows:
            rows.sort(key=_career_key)
            self.chronicles.append(Chronicle("career", "Career", rows, len(rows),
                                             "Undated lines are affiliations no source dates." if any(
                                                 r.when is None and r.end is None for r in rows) else None))

    def work(self, key: str, title: str, props: Sequence[str]) -> None:
        """List, by date, what points at this resource through `props` (its work, its milestones and models)."""
        found = self.pointing(props)
        rows: list[Dated] = []
        for x, ptr in found.items():
            kind = self.kind_of(x)
            if kind == "detail":
                continue
            links = ptr.properties
            narrow = [p for p in props if p in links and not any(self.vocab.is_super(p, q) for q in links)]
            words = (RELATIONS[p] if p in RELATIONS else self.vocab.inverse_label(p) for p in narrow)
            relation = " and ".join(r for r in dict.fromkeys(words) if r)
            rows.append(Dated(ptr.when, self.link(x), relation, kind, sources=ptr.numbers))
            for p in links:
                self.consumed_in[p].add(x)
        if not rows:
            return
        rows.sort(key=lambda r: (r.when is None, r.when.key if r.when else (0, 0, 0), r.what.text.casefold()))
        total = len(rows)
        for r in rows[MAX_CHRONICLE:]:
            for p in props:
                self.consumed_in[p].discard(r.what.iri or "")
        self.chronicles.append(Chronicle(key, title, rows[:MAX_CHRONICLE], total))

    def person(self) -> None:
        self.career()
        self.work("work", "Work over time", [A + "author", A + "contributor", A + "foundedBy", A + "participant",
                                              A + "playedBy", A + "fundedBy"])
        self.matches()

    def matches(self) -> None:
        """Sum up the matches a person or system played: each match with its score, not each game."""
        found = self.pointing([A + "participant", A + "winner"])
        facts = self.events(list(found))
        top = [x for x in found if not any(p.value in found for p in facts.get(x, {}).get("part", [])
                                           if isinstance(p, ox.NamedNode))]
        rows: list[Shown] = []
        numbers: list[int] = []
        def by_date(i: str) -> tuple[tuple[int, int, int], str]:
            w = found[i].when
            return (w.key if w else (9999, 0, 0), i)

        for x in sorted(top, key=by_date):
            f = facts.get(x, {})
            parts = [v.value for v in f.get("score", []) if isinstance(v, ox.Literal)]
            winners = [self.name(w.value) for w in f.get("winner", []) if isinstance(w, ox.NamedNode)]
            if not parts and not winners:
                continue  # an event with no outcome (a founding) is not a match
            if winners:
                parts.append("won by " + " and ".join(winners))
            date = found[x].when
            rows.append(self.link(x, ", ".join(parts) + (f" ({date.text})" if date else "")))
            numbers = list(dict.fromkeys(numbers + found[x].numbers))
            for y in found:
                if y == x or any(p.value == x for p in facts.get(y, {}).get("part", [])):
                    self.consumed_in[A + "participant"].add(y)
                    self.consumed_in[A + "winner"].add(y)
        if rows:
            self.summary.append(Statement("Matches", rows, numbers))

    def organisation(self) -> None:
        self.take(A + "foundingDate", "Founded")
        self.take(A + "foundedBy", "Founders")
        self.take(A + "location", "Based in")
        parent = self.take(A + "parentOrganisation", "Part of")
        if parent and A + "since" in self.out:
            since = self.statement(A + "since")
            self.used.add(A + "since")
            for s in parent.values:
                s.note = f"since {since.values[0].text}" if since.values else None
            parent.sources = list(dict.fromkeys(parent.sources + since.sources))
        self.take(A + "acquiredBy", "Acquired by")
        self.work("works", "Milestones and models over time", [A + "producedBy", A + "acquirer", A + "acquired",
                                                                 A + "founded", A + "fundedBy", A + "organisation"])
        self.people()

    def people(self) -> None:
        result = self.store.query(_PEOPLE, substitutions={"s": ox.NamedNode(self.d.iri)})
        assert isinstance(result, Solutions)
        by_person: dict[str, list[Dated]] = defaultdict(list)
        plain: dict[str, list[Link]] = defaultdict(list)
        seen: dict[str, Dated] = {}
        for person, node, role, start, end, src, _ in result.rows:
            if not isinstance(person, ox.NamedNode):
                continue
            source = Link(src.value, self.name(src.value)) if isinstance(src, ox.NamedNode) else None
            if node is None:
                if source and source not in plain[person.value]:
                    plain[person.value].append(source)
                plain.setdefault(person.value, [])
                continue
            line = seen.get(node.value)
            if line is None:
                line = Dated(date_of(start), self.link(person.value), role.value if role else "affiliated", "person",
                             date_of(end))
                seen[node.value] = line
                by_person[person.value].append(line)
                self.consumed_in[A + "organisation"].add(node.value)
            if source:
                line.sources = sorted(set(line.sources + self.number([source])))
        statements = [(p, A + "affiliatedWith", ox.NamedNode(self.d.iri)) for p in plain]
        stated = statement_sources(self.store, statements, plain)
        rows = [line for lines in by_person.values() for line in lines]
        rows += [Dated(None, self.link(p), "affiliated", "person",
                       sources=self.number(stated[(p, A + "affiliatedWith", ox.NamedNode(self.d.iri))]))
                 for p in sorted(set(plain) - set(by_person), key=lambda i: self.name(i).casefold())]
        for p in plain:
            self.consumed_in[A + "affiliatedWith"].add(p)
        if rows:
            rows.sort(key=_career_key)
            self.chronicles.append(Chronicle("people", "People", rows, len(rows)))

    def artefact(self) -> None:
        self.when_row("Released")
        self.take(A + "producedBy", "By")
        self.take(A + "paper", "Paper")
        self.take(A + "buildsOn", "Builds on")
        self.take(A + "surpasses", "Surpasses")
        self.take(DCTERMS + "isVersionOf", "Version of")
        self.take(A + "trainedOn", "Trained on")
        self.take(A + "trainingHardware", "Trained on hardware")
        self.take(A + "licence", "Licence")
        self.matches()

    def paper(self) -> None:
        if A + "authorList" in self.out:
            self.take(A + "authorList", "Authors")
            self.used.add(A + "author")
            self.also[A + "authorList"].append(self.vocab.label(A + "author"))
        else:
            self.take(A + "author", "Authors")
        self.when_row("Published")
        self.take(A + "venue", "Venue")
        self.take(A + "citation", "Citation")
        for p in (A + "doi", A + "arxivId"):
            self.take(p)

    def event(self) -> None:
        self.when_row()
        self.take(A + "location", "Where")
        self.take(A + "partOfEvent", "Part of")
        self.take(A + "acquirer", "Buyer")
        self.take(A + "acquired", "Bought")
        self.take(A + "participant", "Participants")
        self.take(A + "winner", "Winner")
        self.take(A + "score", "Score")
        self.take(A + "priceDisclosed", "Price disclosed")

    def technique(self) -> None:
        self.take(SKOS + "broader", "Kind of")
        self.work("uses", "Introduced and used, over time", [A + "introduces", A + "uses"])

    def era(self) -> None:
        years = [v for p in (A + "startYear", A + "endYear") for v in self.values_of(p)]
        if years:
            self.used |= {A + "startYear", A + "endYear"}
            text = "–".join(literal_text(v.term) for v in years if isinstance(v.term, ox.Literal))
            self.summary.append(Statement("Years", [Shown(text)], self.number(self.d.sources)))
        self.work("milestones", "Milestones", [A + "era"])
        self.consumed_in[A + "era"] |= {v.iri for v in self.values_of(A + "hasMilestone") if v.iri}
        self.used.add(A + "hasMilestone")

    def generic(self) -> None:
        self.when_row()

    # -- the rest --------------------------------------------------------------------------------------

    def sections(self) -> list[Section]:
        grouped: dict[str, list[Statement]] = defaultdict(list)
        if A + "measurement" in self.out and self.d.figures:
            self.used.add(A + "measurement")  # the figures show them
        for p, group in sorted(self.out.items(), key=lambda item: item[1].label.casefold()):
            if p in self.used or not group.values:
                continue
            grouped[_GROUP_OF.get(p, "other")].append(self.statement(p))
        out = [Section(key, title, grouped[key]) for key, title, _ in GROUPS if grouped.get(key)]
        if grouped.get("other"):
            out.append(Section("other", "Other facts", grouped["other"]))
        return out

    def _bylines(self, links: list[IncomingLink]) -> list[IncomingLink]:
        """Name each authorship node by its person, place in the byline and paper (one query for the page)."""
        if not links:
            return links
        values = " ".join(str(ox.NamedNode(lk.iri)) for lk in links)
        result = self.store.query(_AUTHORSHIPS % values)
        assert isinstance(result, Solutions)
        said: dict[str, str] = {}
        for r in result.dicts():
            cell = {k: (v.value if v is not None else None) for k, v in r.items()}
            person = None if cell.get("who") == self.d.iri else cell.get("person")  # on their own page: no name
            text = _byline_text(person, cell.get("work"), cell.get("position"))
            if text and cell.get("a"):
                said[cell["a"]] = text  # type: ignore[index]
        named = [replace(lk, label=said.get(lk.iri, lk.label)) for lk in links]
        return sorted(named, key=lambda lk: (lk.label.casefold(), lk.iri))

    def incoming(self) -> list[IncomingGroup]:
        vocab = self.vocab
        groups = self.d.incoming
        members = {g.property: {lk.iri for lk in g.links} for g in groups}
        out_objects = {p: {v.iri for v in g.values if v.iri} for p, g in self.out.items()}
        for og in self.d.out:
            out_objects.setdefault(og.property, set()).update(v.iri for v in og.values if v.iri)
        folded: list[IncomingGroup] = []
        for g in groups:
            narrower = [q for q in members if vocab.is_super(g.property, q)]
            mirror = vocab.inverses.get(g.property)
            direct = set().union(*(m for q, m in members.items() if q not in (_FIRST, _REST)))
            keep = []
            for lk in g.links:
                if lk.iri in self.consumed_in.get(g.property, set()):
                    continue
                if any(lk.iri in members[q] for q in narrower):
                    continue
                if mirror and lk.iri in out_objects.get(mirror, set()):
                    continue
                if g.property in (_FIRST, _REST) and lk.iri in direct:
                    continue
                keep.append(lk)
            dropped = len(g.links) - len(keep)
            if not keep and not g.more:
                continue
            label = vocab.inverse_label(g.property)
            if g.property in (_FIRST, _REST) and g.links and g.links[0].via is not None:
                label = vocab.inverse_label(g.links[0].via.iri)
            if g.property in _BYLINE:
                keep = self._bylines(keep)
            folded.append(replace(g, label=label, links=keep, total=g.total - dropped))
        # Two properties that read the same ("versions": aikg:versionOf and its super-property
        # dcterms:isVersionOf, each asserted for different versions) are one group.
        merged: dict[str, IncomingGroup] = {}
        for g in folded:
            first = merged.get(g.label)
            if first is None:
                merged[g.label] = g
                continue
            links = first.links + [lk for lk in g.links if lk.iri not in {x.iri for x in first.links}]
            merged[g.label] = replace(first, links=links, total=first.total + g.total)
        return sorted(merged.values(), key=lambda g: g.label.casefold())


#: Incoming properties whose subjects are authorship nodes ("AlphaGo Zero paper author 1"), read as who and where.
_BYLINE = frozenset({ONTOLOGY + "bylineAffiliation", ONTOLOGY + "person"})

_AUTHORSHIPS = sparql_prologue() + """
SELECT ?a (SAMPLE(?p) AS ?who) (SAMPLE(?pl) AS ?person) (SAMPLE(?wl) AS ?work) (SAMPLE(?n) AS ?position) WHERE {
  VALUES ?a { %s }
  ?a a aikg:Authorship .
  OPTIONAL { ?a aikg:person ?p . ?p rdfs:label ?pl FILTER(LANG(?pl) IN ("en", "")) }
  OPTIONAL { ?w aikg:authorship ?a ; rdfs:label ?wl FILTER(LANG(?wl) IN ("en", "")) }
  OPTIONAL { ?a aikg:position ?n }
} GROUP BY ?a"""


def _byline_text(person: str | None, work: str | None, position: str | None) -> str | None:
    """Write an authorship as a reader says it: "David Silver, author 1 of Mastering the game of Go ..."."""
    if work is None:
        return None
    role = f"author {position}" if position else "an author"
    return f"{person}, {role} of {work}" if person else f"{role.capitalize()} of {work}"


def _renumbered(refs: list[SourceRef], summary: list[Statement], chronicles: list[Chronicle],
                figures: Sequence[Figure], sections: list[Section], entailed: list[Statement]) -> list[SourceRef]:
    """Number the page's sources in the order a reader meets them, and rewrite every row's numbers to match.

    The builder numbers a source when it first meets it, which follows the order the store sends rows in: another
    store (or another run) would give the same page other numbers. Here the rows are walked in the order the page
    shows them, and the sources of one row, met together, are taken by label.
    """
    by_number = {r.number: r for r in refs}
    by_iri = {r.iri: r for r in refs}
    new: dict[str, int] = {}

    def meet(found: Iterable[SourceRef]) -> None:
        for r in sorted(found, key=lambda r: (r.label.casefold(), r.iri)):
            new.setdefault(r.iri, len(new) + 1)

    # The rows above the figures, then those below.
    before: list[Statement | Dated] = [*summary, *(i for c in chronicles for i in c.items)]
    after: list[Statement | Dated] = [*(s for section in sections for s in section.statements), *entailed]
    for row in before:
        meet(by_number[n] for n in row.sources)
    for f in figures:
        meet(by_iri[s.iri] for s in f.sources if s.iri in by_iri)
    for row in after:
        meet(by_number[n] for n in row.sources)
    meet(refs)
    for row in {id(r): r for r in before + after}.values():  # a row shown twice is rewritten once
        row.sources = sorted({new[by_number[n].iri] for n in row.sources})
    return sorted((SourceRef(new[r.iri], r.iri, r.label) for r in refs), key=lambda r: r.number)


def _tail(iri: str) -> str:
    tail = iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    return tail.replace("_", " ") or iri


def _int(term: Term) -> int | None:
    try:
        return int(term.value) if isinstance(term, ox.Literal) else None
    except ValueError:
        return None


def _is_aikg(iri: str) -> bool:
    return iri.startswith(ONTOLOGY)


def _career_key(r: Dated) -> tuple[int, tuple[int, int, int], str]:
    # Dated lines by their start (or, failing that, their end); undated lines last, by name.
    w = r.when or r.end
    return (0 if w else 1, w.key if w else (0, 0, 0), r.what.text.casefold())


#: Resource pages kept per data version (each IRI and page of incoming links is one).
PAGES_KEPT = 128


def profile(store: Store, iri: str, *, incoming_limit: int = 50, incoming_offset: int = 0) -> Profile | None:
    """Build the page of a resource, or return None when the store says nothing of it.

    A page is kept per data version: a hub's (an organisation with hundreds of models) takes a score of
    queries, and within a version its answer never changes.
    """
    return _profile(store, iri, incoming_limit, incoming_offset)


@per_version(size=PAGES_KEPT)
def _profile(store: Store, iri: str, incoming_limit: int, incoming_offset: int) -> Profile | None:
    d = describe(store, iri, incoming_limit=incoming_limit, incoming_offset=incoming_offset)
    if d is None:
        return None
    b = _Builder(store, d)
    b.build()
    sections = b.sections()
    incoming = b.incoming()
    for f in d.figures:
        b.number(f.sources)
    # Sources cited by no statement shown (say, only by a folded one) are still the resource's sources.
    b.number(d.sources)
    label_key = d.label.casefold()
    alt = [a for a in dict.fromkeys(d.alt_labels) if a.casefold() != label_key]
    info = store.info
    kind_label = d.types[0].label if d.types else KIND_NAMES.get(b.kind, "resource")
    refs = _renumbered(b.refs, b.summary, b.chronicles, d.figures, sections, b.entailed)
    return Profile(
        description=d,
        kind=b.kind,
        kind_label=kind_label,
        alt_labels=alt,
        also_types=b.also_types,
        summary=b.summary,
        chronicles=b.chronicles,
        sections=sections,
        incoming=incoming,
        entailed=b.entailed,
        sources=refs,
        citation=cite(iri, d.label, kind_label, info.version, info.modified),
    )
