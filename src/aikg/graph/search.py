"""Search and autocomplete: find resources by the words of their labels, alternative labels and
descriptions, in any order and with a typo or two, and resolve a parameter's text (a label, a CURIE or an
IRI) to one IRI.

Matching ignores case and accents. The index is built from one SPARQL query per store version and kept in
memory as an inverted index (word -> resources), so a search costs a few dictionary look-ups per word of
the query, not a query:

- a word of the query matches a word of a label when it equals it, starts it, or (two letters or more)
  sits inside it ("lphago"); failing that, a word one edit away (two for long words: "Hintn" -> hinton),
  found through an index of each word with one letter deleted; a four-digit word also matches the year of
  a resource's date ("alexnet 2012"); then a word of its description;
- a resource matches when every word of the query does; the whole text matching a label (exactly, at its
  start, at a word's start, anywhere) ranks first, then every word in labels, then with a typo, then with
  help from the description;
- things (milestones, people, organisations, models, ...) come before in-between nodes (affiliations,
  measurements) and source documents; among equals, the label that holds more of the words, milestones,
  and well-linked resources lead.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox

from aikg.errors import BadRequest
from aikg.graph.cache import per_version
from aikg.graph.labels import LOW_KINDS, Link, When, date_of, kind_of
from aikg.namespaces import ONTOLOGY, OWL, PREFIXES, RDFS, sparql_prologue
from aikg.store import Solutions, Store, Term

MILESTONE = ONTOLOGY + "Milestone"
_CLASS_TYPES = {OWL + "Class", RDFS + "Class"}

# Letters that NFKD does not decompose into a base letter and a mark.
_FOLD = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i", "ß": "ss"})
_NON_WORD = re.compile(r"[\W_]+")
_YEAR = re.compile(r"^\d{4}$")

#: Ranks of a hit: the whole text in a label (0 exact, 1 at its start, 2 at a word's start, 3 inside), then
#: every word in labels (4), with a typo (5), with a word only in the description (6). A word of the query
#: gets the same numbers for how it matched (as if it were the whole text), so a one-word query is ranked
#: without looking at a label again.
EXACT, START, WORD_START, INSIDE, WORDS, TYPO, DESCRIBED = range(7)
#: Shortest words of the query looked for inside label words, and in descriptions (as a word, as a prefix).
_INSIDE_FROM, _TEXT_FROM, _TEXT_PREFIX_FROM = 3, 3, 4
#: Prefixes this short are merged when the index is built: they are the ones that match most words; those
#: matching at least _RANK_AHEAD entries are ranked then too.
_SHORT_PREFIX = 2
_RANK_AHEAD = 300


def normalise(text: str) -> str:
    """Fold case and accents and turn punctuation into single spaces ("Université" -> "universite")."""
    bare = text.casefold()
    if not bare.isascii():  # most labels are ASCII, and the character loop is most of an index build
        decomposed = unicodedata.normalize("NFKD", bare)
        bare = "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_FOLD)
    return _NON_WORD.sub(" ", bare).strip()


@dataclass(frozen=True)
class Hit:
    """One search result: the resource, its label, the label that matched, its types, a short description,
    its date, and how well it matched (``rank``, see the module's docstring: 0 is an exact label)."""

    iri: str
    label: str
    matched: str
    types: tuple[Link, ...]
    description: str
    rank: int
    by_name: bool = field(default=False, repr=False)  # matched its IRI's local name, not a label
    when: When | None = None
    kind: str = "other"

    @property
    def type(self) -> Link | None:
        """Return the most specific type, for display."""
        return self.types[0] if self.types else None


@dataclass(frozen=True)
class Facet:
    """A type among the matches, with how many of them have it."""

    iri: str
    label: str
    count: int


@dataclass
class Results:
    """A search's answer: a page of hits, how many matched, the types among them, and what to try next."""

    query: str
    hits: list[Hit]
    total: int
    facets: list[Facet] = field(default_factory=list)
    #: The query as the typo-tolerant matching read it, when that differs from what was typed.
    corrected: str | None = None
    #: Queries that do find something, offered when this one found nothing ("did you mean").
    suggestions: list[str] = field(default_factory=list)
    #: How many matched before the class filter.
    unfiltered: int = 0


@dataclass
class _Entry:
    iri: str
    label: str = ""
    labels: list[str] = field(default_factory=list)
    types: set[str] = field(default_factory=set)
    description: str = ""
    degree: int = 0
    keys: list[tuple[str, str, bool]] = field(default_factory=list)  # (normalised, original, is a slug)
    when: When | None = None
    kind: str = "other"
    facet: str | None = None  # the most specific labelled type: the facet it counts under
    text: str = ""  # the whole description, normalised, for matching
    full: str = ""  # the whole description, as written


@dataclass
class _Index:
    entries: dict[str, _Entry]
    class_labels: dict[str, str]
    superclasses: dict[str, set[str]]
    # The inverted index, built from `entries` (entries by number, in `order`): label words, each with the
    # entries it names and the rank it gives (the whole label, its first word, another word); description
    # words; years of the dates; label words with one letter deleted (for typos); IRI local names.
    order: list[_Entry] = field(init=False, default_factory=list)
    words: list[str] = field(init=False, default_factory=list)  # sorted label words, for prefixes
    postings: dict[str, dict[int, int]] = field(init=False, default_factory=dict)
    prefixes: dict[str, dict[int, int]] = field(init=False, default_factory=dict)  # merged, for short prefixes
    text_words: list[str] = field(init=False, default_factory=list)
    text_postings: dict[str, frozenset[int]] = field(init=False, default_factory=dict)
    years: dict[str, frozenset[int]] = field(init=False, default_factory=dict)
    deletions: dict[str, list[str]] = field(init=False, default_factory=dict)
    slugs: dict[str, list[int]] = field(init=False, default_factory=dict)
    blob: str = field(init=False, default="")  # every label word, "\n" between: for words inside words
    blob_starts: list[int] = field(init=False, default_factory=list)
    rank: list[int] = field(init=False, default_factory=list)  # each entry's place among equals
    low: list[int] = field(init=False, default_factory=list)  # 0 things, 1 in-between nodes, 2 documents
    frequency: dict[str, int] = field(init=False, default_factory=dict)
    #: One- and two-letter queries that match many entries, ranked once (sorted keys, and the type counts).
    ranked: dict[str, tuple[list[tuple[int, int]], Counter[str]]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.order = list(self.entries.values())
        for entry in self.order:
            specific = self.specific_types(entry)
            entry.facet = specific[0].iri if specific else None
        postings: dict[str, dict[int, int]] = {}
        text: dict[str, set[int]] = {}
        years: dict[str, set[int]] = {}
        for i, entry in enumerate(self.order):
            for key, _, slug in entry.keys:
                if slug:
                    self.slugs.setdefault(key, []).append(i)
                    continue
                words = key.split()
                for at, word in enumerate(words):
                    rank = EXACT if len(words) == 1 else (START if at == 0 else WORD_START)
                    seen = postings.setdefault(word, {})
                    if seen.get(i, 9) > rank:
                        seen[i] = rank
            for word in set(entry.text.split()):
                text.setdefault(word, set()).add(i)
            if entry.when is not None:
                years.setdefault(str(entry.when.year), set()).add(i)
        self.postings = postings
        self.words = sorted(postings)
        for word in self.words:
            for n in range(1, min(_SHORT_PREFIX, len(word) - 1) + 1):
                merged = self.prefixes.setdefault(word[:n], {})
                for i, rank in postings[word].items():
                    # A word that starts with the prefix is a match at its start (the label's, or a word's).
                    r = START if rank <= START else WORD_START
                    if merged.get(i, 9) > r:
                        merged[i] = r
        self.text_postings = {w: frozenset(s) for w, s in text.items()}
        self.text_words = sorted(text)
        self.years = {y: frozenset(s) for y, s in years.items()}
        self.frequency = {w: len(p) for w, p in postings.items()}
        deletions: dict[str, list[str]] = {}
        for word in self.words:
            if len(word) >= 3 and not word.isdigit():
                for variant in _deletions(word):
                    deletions.setdefault(variant, []).append(word)
        self.deletions = deletions
        starts, at = [], 0
        for word in self.words:
            starts.append(at)
            at += len(word) + 1
        self.blob = "\n".join(self.words) + "\n"
        self.blob_starts = starts
        ordered = sorted(range(len(self.order)), key=lambda i: _static_key(self.order[i]))
        self.rank = [0] * len(self.order)
        for place, i in enumerate(ordered):
            self.rank[i] = place
        self.low = [LOW_KINDS.get(e.kind, 0) for e in self.order]
        # A first letter or two is what autocomplete sends most, and what matches most: rank those once.
        for prefix, merged in self.prefixes.items():
            if len(merged) >= _RANK_AHEAD:
                ranks = self.match(prefix)
                keys = sorted(self.single_key(i, r) for i, r in ranks.items())
                self.ranked[prefix] = (keys, Counter(f for i in ranks if (f := self.order[i].facet)))

    def single_key(self, i: int, rank: int, slug: bool = False) -> tuple[int, int]:
        """Return the sort key of an entry a one-word query matched at `rank` (see :func:`find`)."""
        return ((((self.low[i] * 16 + rank * 2 + slug) * 16) * 2 * (len(self.order) + 1) + self.rank[i]), i)

    def specific_types(self, entry: _Entry) -> tuple[Link, ...]:
        """Return an entry's labelled types, most specific first (a type that is a superclass of another goes last)."""
        typed = [t for t in entry.types if t in self.class_labels]
        broader = set().union(*(self.superclasses.get(t, set()) for t in typed)) if typed else set()
        ours = sorted(typed, key=lambda t: (t in broader, not t.startswith(ONTOLOGY), self.class_labels[t]))
        return tuple(Link(t, self.class_labels[t]) for t in ours)

    # -- matching one word ---------------------------------------------------------------------------

    def _prefixed(self, words: list[str], token: str) -> list[str]:
        at = bisect.bisect_left(words, token)
        out = []
        while at < len(words) and words[at].startswith(token):
            out.append(words[at])
            at += 1
        return out

    def typos(self, token: str) -> list[str]:
        """Return the label words one edit from `token` (two for a word of eight letters or more)."""
        if len(token) < 4 or token.isdigit():
            return []
        most = 2 if len(token) >= 8 else 1
        found: set[str] = set()
        variants = _deletions(token)
        for variant in (token, *variants):
            found.update(self.deletions.get(variant, ()))
        found.update(w for w in variants if w in self.postings and len(w) >= 3)
        return sorted(w for w in found if w != token and _distance(token, w, most) <= most)

    def match(self, token: str) -> dict[int, int]:
        """Return the entries a word of the query matches, each with the rank of its best match."""
        best: dict[int, int] = {}
        merged = self.prefixes.get(token) if len(token) <= _SHORT_PREFIX else None
        if merged is not None:
            best = dict(merged)
        else:
            for word in self._prefixed(self.words, token):
                for i, rank in self.postings[word].items():
                    r = rank if word == token else (START if rank <= START else WORD_START)
                    if best.get(i, 9) > r:
                        best[i] = r
        exact = self.postings.get(token)
        if exact and merged is not None:
            for i, rank in exact.items():  # the merged prefixes do not tell a whole word from its start
                if rank < best.get(i, 9):
                    best[i] = rank
        if _YEAR.match(token):
            for i in self.years.get(token, ()):
                if best.get(i, 9) > WORD_START:
                    best[i] = WORD_START
        if len(token) >= _INSIDE_FROM:
            for word in self.inside(token):
                for i in self.postings[word]:
                    if i not in best:
                        best[i] = INSIDE
        if not best:
            for word in self.typos(token):
                for i in self.postings[word]:
                    best.setdefault(i, TYPO)
        if len(token) >= _TEXT_FROM:
            text = set(self.text_postings.get(token, ()))
            if len(token) >= _TEXT_PREFIX_FROM:
                for word in self._prefixed(self.text_words, token):
                    text |= self.text_postings[word]
            for i in text.difference(best):
                best[i] = DESCRIBED
        return best

    def inside(self, token: str) -> list[str]:
        """Return the label words that hold `token` after their first letter."""
        out: list[str] = []
        starts, find = self.blob_starts, self.blob.find
        at = find(token)
        while at >= 0:
            w = bisect.bisect_right(starts, at) - 1
            if at > starts[w]:
                out.append(self.words[w])
            if w + 1 >= len(starts):
                break
            at = find(token, starts[w + 1])
        return out


def _static_key(entry: _Entry) -> tuple[int, int, int, int, str]:
    """Order entries that match equally: things before in-between nodes and documents, milestones first,
    then the most linked, the shortest label, by label."""
    return (LOW_KINDS.get(entry.kind, 0), 0 if entry.kind == "milestone" else 1, -entry.degree, len(entry.label),
            entry.label.casefold())


def _deletions(word: str) -> list[str]:
    return [word[:i] + word[i + 1:] for i in range(len(word))]


def _distance(a: str, b: str, most: int) -> int:
    """Return the edit distance of two words (an adjacent swap counts one), or most + 1 once past `most`."""
    if abs(len(a) - len(b)) > most:
        return most + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > most:
            return most + 1
        previous2, previous = previous, current
    return previous[-1]


_DATES = "aikg:date aikg:releaseDate aikg:publicationDate aikg:foundingDate aikg:startDate"
# What the index reads, one simple query per kind of fact. Virtuoso 7's planner refuses (estimating minutes)
# both the UNION of them all and a pattern filtered on isIRI(?subject), while each query here takes a fraction
# of a second there; so the kinds go one by one and subjects that are not IRIs are dropped as rows are read.
_INDEX_QUERIES = {
    "label": "SELECT ?s ?o WHERE { ?s rdfs:label ?o }",
    "alt": "SELECT ?s ?o WHERE { ?s skos:altLabel ?o }",
    "type": "SELECT ?s ?o WHERE { ?s a ?o FILTER(isIRI(?o)) }",
    "desc": "SELECT ?s ?o WHERE { ?s dcterms:description ?o }",
    "comment": "SELECT ?s ?o WHERE { ?s rdfs:comment ?o }",
    "sub": "SELECT ?s ?o WHERE { ?s rdfs:subClassOf ?o FILTER(isIRI(?o)) }",
    "date": f"SELECT ?s ?o ?dp WHERE {{ VALUES ?dp {{ {_DATES} }} ?s ?dp ?o }}",
    "year": "SELECT ?s ?o WHERE { ?s aikg:startYear ?o }",
    # How many statements point at each resource (how search ranks equal matches).
    "deg": "SELECT ?s (COUNT(*) AS ?o) WHERE { ?x ?p ?s FILTER(isIRI(?s)) } GROUP BY ?s",
}
_DATE_ORDER = {f"date {ONTOLOGY}{p.split(':')[1]}": i for i, p in enumerate(_DATES.split())}


def _better_label(current: str, current_lang: str | None, value: str, lang: str | None) -> bool:
    rank = {"en": 0, None: 1}
    return not current or rank.get(lang, 2) < rank.get(current_lang, 2)


def _build(store: Store) -> _Index:
    entries: dict[str, _Entry] = {}
    langs: dict[str, str | None] = {}
    descs: dict[str, tuple[int, str]] = {}
    superclasses: dict[str, set[str]] = {}
    types: dict[str, set[str]] = {}
    dates: dict[str, tuple[int, When]] = {}
    degrees: dict[str, int] = {}
    for kind, s, o in _facts(store):
        iri = s.value
        if kind in ("label", "alt") and isinstance(o, ox.Literal):
            entry = entries.setdefault(iri, _Entry(iri))
            entry.labels.append(o.value)
            if kind == "label" and _better_label(entry.label, langs.get(iri), o.value, o.language):
                entry.label, langs[iri] = o.value, o.language
        elif kind == "type":
            types.setdefault(iri, set()).add(o.value)
        elif kind in ("desc", "comment") and isinstance(o, ox.Literal):
            score = (0 if kind == "desc" else 2) + (0 if o.language in ("en", None) else 1)
            if iri not in descs or score < descs[iri][0]:
                descs[iri] = (score, o.value)
        elif kind == "sub":
            superclasses.setdefault(iri, set()).add(o.value)
        elif kind.startswith("date ") or kind == "year":
            found = date_of(o) if kind != "year" else date_of(ox.Literal(o.value, datatype=ox.NamedNode(
                "http://www.w3.org/2001/XMLSchema#gYear")))
            order = _DATE_ORDER.get(kind, 9)
            if found is not None and (iri not in dates or order < dates[iri][0]):
                dates[iri] = (order, found)
        elif kind == "deg" and isinstance(o, ox.Literal):
            degrees[iri] = int(o.value)
    class_labels: dict[str, str] = {}
    for iri, entry in entries.items():
        entry.label = entry.label or entry.labels[0]
        entry.types = types.get(iri, set())
        full = descs.get(iri, (0, ""))[1]
        entry.description = _short(full)
        entry.full = " ".join(full.split())
        entry.text = normalise(full)
        entry.degree = degrees.get(iri, 0)
        entry.when = dates[iri][1] if iri in dates else None
        entry.kind = kind_of(entry.types)
        entry.keys = [(normalise(lab), lab, False) for lab in dict.fromkeys([entry.label, *entry.labels])]
        local = re.split(r"[/#]", iri)[-1]
        if local:
            entry.keys.append((normalise(local), local, True))
    for iri, entry in entries.items():
        if iri in superclasses or entry.types & _CLASS_TYPES:
            class_labels[iri] = entry.label
    return _Index(entries, class_labels, superclasses)


def _facts(store: Store) -> Iterator[tuple[str, ox.NamedNode, Term]]:
    """Yield what the index reads as (kind, subject IRI, value); a date's kind names its property."""
    prologue = sparql_prologue()
    for kind, text in _INDEX_QUERIES.items():
        result = store.query(prologue + text)
        assert isinstance(result, Solutions)
        for row in result.rows:
            s, o = row[0], row[1]
            if not isinstance(s, ox.NamedNode) or o is None:
                continue
            if kind == "date":
                prop = row[2]
                yield f"date {prop.value}" if prop is not None else kind, s, o
            else:
                yield kind, s, o


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


@per_version
def index(store: Store) -> _Index:
    """Return the search index of a store, built once per data version."""
    return _build(store)


_cache = index  # `store in _cache`: whether the index of the store's version is built


def _match(query: str, key: str) -> int | None:
    """Say how the whole query sits in one normalised label: 0 exact, 1 at its start, 2 at a word's start,
    3 inside, None not at all."""
    if key == query:
        return 0
    if key.startswith(query):
        return 1
    if (" " + key).find(" " + query) >= 0:
        return 2
    if query in key:
        return 3
    return None


def find(
    store: Store, q: str, *, classes: Iterable[str] | None = None, limit: int = 20, offset: int = 0
) -> Results:
    """Search: the hits for `q` best first (a page of `limit` from `offset`), the types among all matches
    with their counts, and, when nothing matched, queries that would find something.

    `classes` keeps resources of any of those classes (inferred superclasses count); the type counts are
    of every match, so a page can offer the other types.
    """
    phrase = normalise(q)
    if not phrase or limit < 1:
        return Results(q, [], 0)
    idx = index(store)
    matched: dict[int, list[int]] = {}
    corrected = phrase
    if phrase in idx.ranked and phrase not in idx.slugs:
        pass  # ranked when the index was built
    else:
        matched, corrected = _matching(idx, phrase)
    tokens = phrase.split()
    order, static, low = idx.order, idx.rank, idx.low
    n = len(order) + 1
    counts: Counter[str] = Counter(f for i in matched if (f := order[i].facet))
    wanted = set(classes) if classes else None
    keep = matched if wanted is None else {i: r for i, r in matched.items() if order[i].types & wanted}
    # One integer per match orders them: kind tier, rank (a label before a slug), words in labels, whether
    # the first word is in a label, then the entry's place among equals.
    keys: list[tuple[int, int]] = []
    ahead = idx.ranked.get(phrase) if len(tokens) == 1 and phrase not in idx.slugs else None
    if ahead is not None:
        keys, counts = ahead[0], ahead[1]
        if wanted is not None:
            keys = [k for k in keys if order[k[1]].types & wanted]
    elif len(tokens) == 1:
        keys = [idx.single_key(i, ranks[0]) for i, ranks in keep.items()]
    else:
        exact_check = len(keep) <= 5000  # past that, the words decide (a text of very common words)
        for i, ranks in keep.items():
            rank = _phrase_rank(order[i], phrase, ranks) if exact_check else _words_rank(ranks)
            in_labels = sum(1 for r in ranks if r <= TYPO)
            first = 0 if ranks[0] <= TYPO else 1
            keys.append((((low[i] * 16 + rank * 2) * 16 + 15 - min(in_labels, 15)) * 2 * n + first * n + static[i], i))
    if ahead is None:
        for i in idx.slugs.get(phrase, ()):
            if i in keep:  # an IRI's local name typed in full
                keys.append(idx.single_key(i, EXACT, slug=True))
        keys.sort()
        if phrase in idx.slugs:
            firsts: dict[int, tuple[int, int]] = {}
            for k in keys:  # an entry matched by a label and by its slug: its better key
                firsts.setdefault(k[1], k)
            keys = sorted(firsts.values())
    page = keys
    total = len(page)
    hits = []
    for key, i in page[offset : offset + limit]:
        e = order[i]
        rank2 = (key // (2 * n) // 16) % 16
        text, slug = _matched_label(e, phrase)
        hits.append(Hit(e.iri, e.label, text, idx.specific_types(e), e.description, rank2 // 2, bool(rank2 % 2),
                        e.when, e.kind))
    # Most matches first; equal counts by label, so that the order never follows the order the store sent rows in.
    facets = sorted((Facet(c, idx.class_labels.get(c, c), k) for c, k in counts.items() if c),
                    key=lambda f: (-f.count, f.label.casefold(), f.iri))
    unfiltered = len(ahead[0]) if ahead is not None else len(matched)
    results = Results(q, hits, total, facets, corrected if corrected != phrase else None, unfiltered=unfiltered)
    if not total:
        results.suggestions = _suggest(idx, tokens)
    return results


def search(store: Store, q: str, *, classes: Iterable[str] | None = None, limit: int = 20) -> list[Hit]:
    """Find resources whose labels (or descriptions) match `q`, best first (see :func:`find`)."""
    return find(store, q, classes=classes, limit=limit).hits


def _matching(idx: _Index, phrase: str) -> tuple[dict[int, list[int]], str]:
    """Return the entries every word of `phrase` matches, with the rank each word matched at, and the phrase
    with each word that matched only by a typo replaced by the label word it was read as."""
    tokens = phrase.split()
    found: dict[int, list[int]] | None = None
    read_as = []
    for at, token in enumerate(tokens):
        ranks = idx.match(token)
        if ranks and min(ranks.values()) == TYPO:
            typos = idx.typos(token)
            read_as.append(max(typos, key=lambda w: (idx.frequency.get(w, 0), w)) if typos else token)
        else:
            read_as.append(token)
        if found is None:
            found = {i: [r] for i, r in ranks.items()}
        else:
            found = {i: [*prev, ranks[i]] for i, prev in found.items() if i in ranks}
        if not found:
            slugged = {i: [DESCRIBED] * len(tokens) for i in idx.slugs.get(phrase, ())}
            return slugged, " ".join(read_as + tokens[at + 1:])
    if found is not None:
        for i in idx.slugs.get(phrase, ()):
            found.setdefault(i, [DESCRIBED] * len(tokens))
    return found or {}, " ".join(read_as)


def _words_rank(ranks: list[int]) -> int:
    worst = max(ranks)
    return WORDS if worst <= INSIDE else worst


def _phrase_rank(entry: _Entry, phrase: str, ranks: list[int]) -> int:
    """Return the rank of an entry every word of `phrase` matched: how the whole text sits in its labels."""
    if max(ranks) <= INSIDE:
        found = [r for key, _, slug in entry.keys if not slug and (r := _match(phrase, key)) is not None]
        if found:
            return min(found)
    return _words_rank(ranks)


def _matched_label(entry: _Entry, phrase: str) -> tuple[str, bool]:
    """Return the label (or the IRI's local name) that best matched, and whether it was the local name."""
    best: tuple[int, int, str] | None = None
    for key, original, slug in entry.keys:
        rank = _match(phrase, key)
        if rank is None or (slug and rank > 0):
            continue  # a slug counts only when typed in full
        if best is None or (rank, slug, original) < best:
            best = (rank, int(slug), original)
    return (best[2], bool(best[1])) if best else (entry.label, False)


def _suggest(idx: _Index, tokens: list[str], most: int = 3) -> list[str]:
    """Offer queries that find something: each word spelt as the nearest label word, or fewer words."""
    out: list[str] = []
    respelt = []
    for token in tokens:
        near = idx.typos(token) or [w for w in idx.typos(token[:8]) if w]
        respelt.append(max(near, key=lambda w: (idx.frequency.get(w, 0), w)) if near else token)
    candidates = [" ".join(respelt)]
    if len(tokens) > 1:
        candidates += [t for t in tokens]
    for text in candidates:
        if text not in out and text != " ".join(tokens) and _matching(idx, text)[0]:
            out.append(text)
        if len(out) >= most:
            break
    return out


def label_of(store: Store, iri: str) -> str | None:
    """Return the preferred label of a resource, if it has one."""
    entry = index(store).entries.get(iri)
    return entry.label if entry else None


def _candidates(hits: Sequence[Hit]) -> list[dict[str, object]]:
    return [{"label": h.label, "iri": h.iri, "type": h.type.label if h.type else None} for h in hits]


def _expand(text: str) -> str | None:
    """Return the IRI that `text` spells (<IRI>, a CURIE of a shared prefix, or an absolute IRI), else None."""
    if text.startswith("<") and text.endswith(">"):
        return text[1:-1]
    prefix, sep, local = text.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        return PREFIXES[prefix] + local
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text) or text.startswith("urn:"):
        return text
    return None


def resolve(store: Store, text: str, class_iri: str | None = None) -> str:
    """Turn a label ("DeepMind", "deepmind"), a CURIE (aikgr:DeepMind) or an IRI into one IRI.

    Raises :class:`BadRequest` with the candidates (label and IRI) when the text is unknown, ambiguous,
    or names a resource of another class than `class_iri`.
    """
    text = text.strip()
    if not text:
        raise BadRequest("An empty value names no resource.")
    idx = index(store)
    what = idx.class_labels.get(class_iri, "resource") if class_iri else "resource"
    iri = _expand(text)
    if iri is not None:
        try:
            ox.NamedNode(iri)
        except ValueError:
            raise BadRequest(f"{text!r} is not a valid IRI.") from None
        entry = idx.entries.get(iri)
        if entry is None:
            # An unlabelled IRI may still be in the graph; ask once rather than guess.
            known = store.query("ASK { { ?s ?p ?o } UNION { ?o ?p ?s } }", substitutions={"s": ox.NamedNode(iri)})
            if not getattr(known, "value", False):
                raise BadRequest(f"No {what} <{iri}> in the graph.")
            return iri
        if class_iri and class_iri not in entry.types:
            raise BadRequest(
                f"<{iri}> ({entry.label}) is not a {what}.",
                details={"candidates": _candidates(search(store, entry.label, classes=[class_iri], limit=10))},
            )
        return iri
    hits = search(store, text, classes=[class_iri] if class_iri else None, limit=50)
    exact = [h for h in hits if h.rank == 0]
    by_label = [h for h in exact if not h.by_name]
    if len(by_label) == 1:
        return by_label[0].iri
    # A name that is one resource's label and others' alternative label (Epoch calls DeepMind "Google DeepMind"
    # before the merger) names the resource whose label it is, as Wikidata's search ranks labels over aliases.
    wanted = normalise(text)
    primary = [h for h in by_label if normalise(h.label) == wanted]
    if len(primary) == 1:
        return primary[0].iri
    if len(exact) == 1:
        return exact[0].iri
    if len(exact) > 1:
        raise BadRequest(
            f"{text!r} names more than one {what}; give one of these IRIs instead.",
            details={"candidates": _candidates(exact)},
        )
    if hits:
        raise BadRequest(
            f"No {what} is labelled {text!r}. Did you mean one of these?",
            details={"candidates": _candidates(hits[:10])},
        )
    elsewhere = search(store, text, limit=10) if class_iri else []
    if elsewhere:
        raise BadRequest(
            f"No {what} is labelled {text!r}; these resources of other classes match.",
            details={"candidates": _candidates(elsewhere)},
        )
    raise BadRequest(f"No {what} is labelled {text!r}.", details={"candidates": []})
