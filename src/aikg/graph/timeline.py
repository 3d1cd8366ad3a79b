"""The milestones in time order, with the precision of each date kept, and the facets to filter them.

A date typed ``xsd:gYear`` reads "2012", ``xsd:gYearMonth`` "January 2013" and ``xsd:date``
"9 November 2015": the page never invents a day or a month the data does not state. The whole timeline
is built with two queries per store version and filtered in memory.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from aikg.graph.cache import per_version
from aikg.graph.labels import Link, When, fallback_label, when
from aikg.graph.search import index
from aikg.namespaces import sparql_prologue
from aikg.store import Solutions, Store

FACETS = ("org", "person", "technique", "era")
#: Milestones a timeline page shows; a graph of thousands of milestones is read a page at a time.
PAGE_SIZE = 50
#: Values a filter list offers (those with the most milestones); any other is still typed in the URL.
FACET_CHOICES = 100
#: Kinds of what a milestone is about, in the order that decides its lane when it is about several.
ABOUT_KINDS = ("model", "software", "product", "hardware", "dataset", "paper", "event", "organisation", "person",
               "technique")


@dataclass(frozen=True)
class Entry:
    """One milestone on the timeline."""

    iri: str
    label: str
    description: str
    when: When | None
    year: int | None
    era: Link | None
    organisations: tuple[Link, ...] = ()
    people: tuple[Link, ...] = ()
    techniques: tuple[Link, ...] = ()
    about: tuple[Link, ...] = ()
    #: Organisations a filter matches: the producers and the organisations they belong to.
    organisation_keys: frozenset[str] = frozenset()
    #: What kind of thing the milestone is about (model, software, dataset, event, ...), for lanes.
    kind: str = "other"

    @property
    def year_of(self) -> int | None:
        """Return the year of the milestone, from its date or its year."""
        return self.when.year if self.when else self.year

    def sort_key(self) -> tuple[int, int, int, str]:
        """Order by date (a year alone comes first in its year), then by label."""
        if self.when is not None:
            return (self.when.year, self.when.month, self.when.day, self.label.casefold())
        return (self.year if self.year is not None else 99999, 0, 0, self.label.casefold())


@dataclass(frozen=True)
class Era:
    """An era with its years."""

    iri: str
    label: str
    description: str
    start: int | None
    end: int | None


@dataclass(frozen=True)
class Facet:
    """A value one can filter by, with how many milestones have it."""

    iri: str
    label: str
    count: int


@dataclass
class Timeline:
    """All milestones in order, the eras, and the filter values."""

    entries: list[Entry]
    eras: list[Era]
    facets: dict[str, list[Facet]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._by_era: dict[str, list[Entry]] = defaultdict(list)
        for e in self.entries:
            if e.era is not None:
                self._by_era[e.era.iri].append(e)
        # Sorting every person of a large graph by count took most of a page's time: once, here.
        self._offered = {facet: choices(values, None) for facet, values in self.facets.items()}

    def offered(self, facet: str, chosen: str | None = None) -> list[Facet]:
        """Return the values to offer for a filter: those with most milestones, and the chosen one."""
        top = self._offered.get(facet, [])
        if chosen is None or any(f.iri == chosen for f in top):
            return top
        return choices(self.facets.get(facet, []), chosen)

    def era_entries(self, era: str) -> list[Entry]:
        """Return the milestones of one era, in order."""
        return self._by_era.get(era, [])

    def filter(self, *, org: str | None = None, person: str | None = None, technique: str | None = None,
               era: str | None = None, since: int | None = None, until: int | None = None,
               kind: str | None = None) -> list[Entry]:
        """Return the milestones matching every given filter (IRIs; years `since` to `until` inclusive; the
        kind of what they are about), in order."""
        out = []
        for e in self.entries:
            year = e.year_of
            if since is not None and (year is None or year < since):
                continue
            if until is not None and (year is None or year > until):
                continue
            if kind and e.kind != kind:
                continue
            if org and org not in e.organisation_keys:
                continue
            if person and person not in {r.iri for r in e.people}:
                continue
            if technique and technique not in {r.iri for r in e.techniques}:
                continue
            if era and (e.era is None or e.era.iri != era):
                continue
            out.append(e)
        return out

    def label(self, facet: str, iri: str) -> str:
        """Return the label of a filter value."""
        for f in self.facets.get(facet, []):
            if f.iri == iri:
                return f.label
        return fallback_label(iri)


@dataclass(frozen=True)
class Page:
    """One page of a (filtered) timeline, and the first page of each year for jumping to it."""

    entries: list[Entry]
    number: int
    pages: int
    total: int
    start: int  # position of the first entry shown, from 1
    years: list[tuple[int, int, int]]  # (year, milestones that year, page where the year starts)


def page(entries: list[Entry], number: int = 1, size: int = PAGE_SIZE) -> Page:
    """Cut ordered entries into pages of `size`; a page number past the end shows the last page."""
    pages = max(1, -(-len(entries) // size))
    number = min(max(1, number), pages)
    first = (number - 1) * size
    counts: Counter[int] = Counter()
    starts: dict[int, int] = {}
    for i, e in enumerate(entries):
        year = e.when.year if e.when else e.year
        if year is not None:
            counts[year] += 1
            starts.setdefault(year, i // size + 1)
    years = [(y, counts[y], starts[y]) for y in sorted(counts)]
    return Page(entries[first : first + size], number, pages, len(entries), first + 1, years)


def choices(facets: list[Facet], chosen: str | None, limit: int = FACET_CHOICES) -> list[Facet]:
    """Return the filter values to offer: the `limit` with most milestones, and the chosen one, by label."""
    if len(facets) <= limit:
        return facets
    top = sorted(facets, key=lambda f: (-f.count, f.label.casefold()))[:limit]
    keep = {f.iri for f in top} | ({chosen} if chosen else set())
    return [f for f in facets if f.iri in keep]


_PROLOGUE = sparql_prologue()

_MILESTONES = _PROLOGUE + """SELECT ?m ?date ?year ?era WHERE {
  ?m a aikg:Milestone .
  OPTIONAL { ?m aikg:date ?date }
  OPTIONAL { ?m aikg:year ?year }
  OPTIONAL { ?m aikg:era ?era }
}"""

# Who and what each milestone involves: its producers (and theirs, for the about-artefacts), the
# organisations those belong to (for filtering), its contributors and paper authors, its techniques.
_FACETS = _PROLOGUE + """SELECT DISTINCT ?m ?k ?x WHERE {
  ?m a aikg:Milestone .
  { ?m aikg:producedBy ?x BIND("org" AS ?k) }
  UNION { ?m aikg:producedBy/aikg:parentOrganisation+ ?x BIND("orgup" AS ?k) }
  UNION { ?m aikg:contributor ?x BIND("person" AS ?k) }
  UNION { ?m aikg:paper/aikg:author ?x BIND("author" AS ?k) }
  UNION { ?m aikg:uses ?x BIND("technique" AS ?k) }
  UNION { ?m aikg:about ?x BIND("about" AS ?k) }
  FILTER(isIRI(?x))
}"""

_ERAS = _PROLOGUE + """SELECT ?e ?start ?end WHERE {
  ?e a aikg:Era .
  OPTIONAL { ?e aikg:startYear ?start }
  OPTIONAL { ?e aikg:endYear ?end }
}"""


def _int(term: object) -> int | None:
    if isinstance(term, ox.Literal):
        try:
            return int(term.value)
        except ValueError:
            return None
    return None


@per_version
def timeline(store: Store) -> Timeline:
    """Build the timeline of a store (cached per data version)."""
    idx = index(store)

    def ref(iri: str) -> Link:
        entry = idx.entries.get(iri)
        return Link(iri, entry.label if entry else fallback_label(iri))

    def kind_of_about(iris: Iterable[str]) -> str:
        kinds = {idx.entries[i].kind for i in iris if i in idx.entries}
        return next((k for k in ABOUT_KINDS if k in kinds), "other")

    def described(iri: str, whole: bool = False) -> str:
        entry = idx.entries.get(iri)
        return (entry.full if whole else entry.description) if entry else ""

    rows = store.query(_MILESTONES)
    assert isinstance(rows, Solutions)
    dates: dict[str, When | None] = {}
    years: dict[str, int | None] = {}
    eras_of: dict[str, str | None] = {}
    for m, date, year, era in rows.rows:
        if not isinstance(m, ox.NamedNode):
            continue
        iri = m.value
        parsed = when(date) if isinstance(date, ox.Literal) else None
        previous = dates.get(iri)
        order = {"year": 0, "month": 1, "day": 2}
        if iri not in dates or (parsed and (previous is None or order[parsed.precision] > order[previous.precision])):
            dates[iri] = parsed
        years[iri] = years.get(iri) or _int(year)
        eras_of[iri] = eras_of.get(iri) or (era.value if isinstance(era, ox.NamedNode) else None)

    facets = store.query(_FACETS)
    assert isinstance(facets, Solutions)
    involved: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for m, k, x in facets.rows:
        if isinstance(m, ox.NamedNode) and k is not None and isinstance(x, ox.NamedNode):
            involved[m.value][k.value].add(x.value)

    def refs(iris: Iterable[str]) -> tuple[Link, ...]:
        return tuple(sorted((ref(i) for i in iris), key=lambda r: r.label.casefold()))

    entries = []
    for iri in dates:
        kinds = involved.get(iri, {})
        when_ = dates[iri]
        entries.append(Entry(
            iri=iri,
            label=ref(iri).label,
            description=described(iri),
            when=when_,
            year=years.get(iri) or (when_.year if when_ else None),
            era=ref(eras_of[iri]) if eras_of.get(iri) else None,  # type: ignore[arg-type]
            organisations=refs(kinds.get("org", ())),
            # Key contributors first, then the other authors of its papers.
            people=refs(kinds.get("person", ())) + refs(kinds.get("author", set()) - kinds.get("person", set())),
            techniques=refs(kinds.get("technique", ())),
            about=refs(kinds.get("about", ())),
            organisation_keys=frozenset(kinds.get("org", set()) | kinds.get("orgup", set())),
            kind=kind_of_about(kinds.get("about", ())),
        ))
    entries.sort(key=Entry.sort_key)

    era_rows = store.query(_ERAS)
    assert isinstance(era_rows, Solutions)
    eras: dict[str, Era] = {}
    for node, start, end in era_rows.rows:
        if isinstance(node, ox.NamedNode) and node.value not in eras:
            # An era's description is read in full on the home page: not cut like a milestone's.
            eras[node.value] = Era(node.value, ref(node.value).label, described(node.value, whole=True), _int(start),
                                   _int(end))
    ordered_eras = sorted(eras.values(), key=lambda e: (e.start if e.start is not None else 99999, e.label))

    counts: dict[str, Counter[str]] = {f: Counter() for f in FACETS}
    for e in entries:
        counts["org"].update(e.organisation_keys)
        counts["person"].update(r.iri for r in e.people)
        counts["technique"].update(r.iri for r in e.techniques)
        if e.era:
            counts["era"][e.era.iri] += 1
    facet_lists = {
        name: sorted((Facet(i, ref(i).label, n) for i, n in c.items()), key=lambda f: f.label.casefold())
        for name, c in counts.items()
    }
    return Timeline(entries, ordered_eras, facet_lists)
