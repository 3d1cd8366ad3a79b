"""Label search and autocomplete: find resources by rdfs:label and skos:altLabel, and resolve a
parameter's text (a label, a CURIE or an IRI) to one IRI.

Matching ignores case and accents. The index is built from one SPARQL query per store version and
kept in memory, so a keystroke costs a scan of one string (and a look at each entry that holds the
text), not a query.
"""

from __future__ import annotations

import bisect
import re
import threading
import unicodedata
import weakref
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox

from aikg.errors import BadRequest
from aikg.namespaces import ONTOLOGY, OWL, PREFIXES, RDFS, sparql_prologue
from aikg.store import Solutions, Store

MILESTONE = ONTOLOGY + "Milestone"
_CLASS_TYPES = {OWL + "Class", RDFS + "Class"}

# Letters that NFKD does not decompose into a base letter and a mark.
_FOLD = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i", "ß": "ss"})
_NON_WORD = re.compile(r"[\W_]+")


def normalise(text: str) -> str:
    """Fold case and accents and turn punctuation into single spaces ("Université" -> "universite")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_FOLD)
    return _NON_WORD.sub(" ", bare).strip()


@dataclass(frozen=True)
class TypeRef:
    """A class of a resource, with its label."""

    iri: str
    label: str


@dataclass(frozen=True)
class Hit:
    """One search result: the resource, its label, the label that matched, its types and a short description."""

    iri: str
    label: str
    matched: str
    types: tuple[TypeRef, ...]
    description: str
    rank: int
    by_name: bool = field(default=False, repr=False)  # matched its IRI's local name, not a label

    @property
    def type(self) -> TypeRef | None:
        """Return the most specific type, for display."""
        return self.types[0] if self.types else None


@dataclass
class _Entry:
    iri: str
    label: str = ""
    labels: list[str] = field(default_factory=list)
    types: set[str] = field(default_factory=set)
    description: str = ""
    degree: int = 0
    keys: list[tuple[str, str, bool]] = field(default_factory=list)  # (normalised, original, is a slug)


@dataclass
class _Index:
    entries: dict[str, _Entry]
    class_labels: dict[str, str]
    superclasses: dict[str, set[str]]
    # Every entry's normalised keys in one string, one entry after another ("\n" between keys and entries,
    # which no normalised text holds): one C-speed find per matching entry replaces a Python loop over all.
    blob: str = field(init=False, default="")
    starts: list[int] = field(init=False, default_factory=list)  # where each entry of `order` begins in `blob`
    order: list[_Entry] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        parts: list[str] = []
        at = 0
        for entry in self.entries.values():
            self.order.append(entry)
            self.starts.append(at)
            text = "\n".join(key for key, _, _ in entry.keys) + "\n"
            parts.append(text)
            at += len(text)
        self.blob = "".join(parts)

    def containing(self, needle: str) -> Iterator[_Entry]:
        """Yield each entry one of whose keys contains `needle` (a normalised text), and maybe others.

        A text found in most entries (a first letter, a word every generated label shares) is cheaper to
        check entry by entry than to find occurrence by occurrence: a sample of the string decides.
        """
        sample = len(self.blob) // 20
        if sample and self.blob.count(needle, 0, sample) * 20 > len(self.order) // 4:
            yield from self.order
            return
        find, starts, order = self.blob.find, self.starts, self.order
        at = find(needle)
        while at >= 0:
            i = bisect.bisect_right(starts, at) - 1
            yield order[i]
            if i + 1 == len(starts):
                return
            at = find(needle, starts[i + 1])

    def specific_types(self, entry: _Entry) -> tuple[TypeRef, ...]:
        """Return an entry's labelled types, most specific first (a type that is a superclass of another goes last)."""
        typed = [t for t in entry.types if t in self.class_labels]
        broader = set().union(*(self.superclasses.get(t, set()) for t in typed)) if typed else set()
        ours = sorted(typed, key=lambda t: (t in broader, not t.startswith(ONTOLOGY), self.class_labels[t]))
        return tuple(TypeRef(t, self.class_labels[t]) for t in ours)


# Each branch binds its kind first: Virtuoso 7 cannot compile a UNION whose branches BIND after a FILTER.
_INDEX_QUERY = (
    sparql_prologue()
    + """
SELECT ?k ?s ?o WHERE {
  { BIND("label" AS ?k) ?s rdfs:label ?o }
  UNION { BIND("alt" AS ?k) ?s skos:altLabel ?o }
  UNION { BIND("type" AS ?k) ?s a ?o FILTER(isIRI(?s) && isIRI(?o)) }
  UNION { BIND("desc" AS ?k) ?s dcterms:description ?o }
  UNION { BIND("comment" AS ?k) ?s rdfs:comment ?o }
  UNION { BIND("sub" AS ?k) ?s rdfs:subClassOf ?o FILTER(isIRI(?s) && isIRI(?o)) }
  UNION { SELECT ?s (COUNT(*) AS ?o) ("deg" AS ?k) WHERE { ?x ?p ?s FILTER(isIRI(?s)) } GROUP BY ?s }
}
"""
)

_cache: weakref.WeakKeyDictionary[object, tuple[str, _Index]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _better_label(current: str, current_lang: str | None, value: str, lang: str | None) -> bool:
    rank = {"en": 0, None: 1}
    return not current or rank.get(lang, 2) < rank.get(current_lang, 2)


def _build(store: Store) -> _Index:
    result = store.query(_INDEX_QUERY)
    assert isinstance(result, Solutions)
    entries: dict[str, _Entry] = {}
    langs: dict[str, str | None] = {}
    descs: dict[str, tuple[int, str]] = {}
    superclasses: dict[str, set[str]] = {}
    types: dict[str, set[str]] = {}
    degrees: dict[str, int] = {}
    for k, s, o in result.rows:
        if not isinstance(s, ox.NamedNode) or k is None or o is None:
            continue
        kind, iri = k.value, s.value
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
        elif kind == "deg" and isinstance(o, ox.Literal):
            degrees[iri] = int(o.value)
    class_labels: dict[str, str] = {}
    for iri, entry in entries.items():
        entry.label = entry.label or entry.labels[0]
        entry.types = types.get(iri, set())
        entry.description = _short(descs.get(iri, (0, ""))[1])
        entry.degree = degrees.get(iri, 0)
        entry.keys = [(normalise(lab), lab, False) for lab in dict.fromkeys([entry.label, *entry.labels])]
        local = re.split(r"[/#]", iri)[-1]
        if local:
            entry.keys.append((normalise(local), local, True))
    for iri, entry in entries.items():
        if iri in superclasses or entry.types & _CLASS_TYPES:
            class_labels[iri] = entry.label
    return _Index(entries, class_labels, superclasses)


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


def index(store: Store) -> _Index:
    """Return the label index of a store, built once per data version."""
    version = store.info.version
    cached = _cache.get(store)
    if cached is not None and cached[0] == version:
        return cached[1]
    with _lock:
        cached = _cache.get(store)
        if cached is not None and cached[0] == version:
            return cached[1]
        built = _build(store)
        _cache[store] = (version, built)
        return built


def _match(query: str, key: str) -> int | None:
    if key == query:
        return 0
    if key.startswith(query):
        return 1
    if (" " + key).find(" " + query) >= 0:
        return 2
    if query in key:
        return 3
    return None


def search(store: Store, q: str, *, classes: Iterable[str] | None = None, limit: int = 20) -> list[Hit]:
    """Find resources whose label or alternative label matches `q`, best first.

    Exact matches come before prefix matches, then matches at the start of a word, then anywhere;
    milestones and well-linked resources come first among equals. `classes` keeps resources of
    any of those classes (inferred superclasses count).
    """
    needle = normalise(q)
    if not needle or limit < 1:
        return []
    idx = index(store)
    wanted = set(classes) if classes else None
    scored: list[tuple[tuple[int, int, int, int, str], _Entry, str]] = []
    for entry in idx.containing(needle):  # every rank below needs the needle inside a key
        if wanted is not None and not (entry.types & wanted):
            continue
        best: tuple[int, str] | None = None
        for key, original, slug in entry.keys:
            rank = _match(needle, key)
            if rank is None or (slug and rank > 0):
                continue  # a slug counts only when typed in full
            # At equal rank a label beats a slug: "AlphaGo wins" is a label, AlphaGo_Wins a node's name.
            rank = rank * 2 + slug
            # Ties break on the label itself, so every store (whatever its row order) answers alike.
            if best is None or (rank, original) < best:
                best = (rank, original)
        if best is None:
            continue
        milestone = 0 if MILESTONE in entry.types else 1
        scored.append(((best[0], milestone, -entry.degree, len(entry.label), entry.label.casefold()), entry, best[1]))
    scored.sort(key=lambda item: item[0])
    return [
        Hit(e.iri, e.label, matched, idx.specific_types(e), e.description, key[0] // 2, bool(key[0] % 2))
        for key, e, matched in scored[:limit]
    ]


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
