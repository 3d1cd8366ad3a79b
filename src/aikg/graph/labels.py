"""Labels: the best label of IRIs, a readable name for an unlabelled one, and the results columns that
carry labels (a column ``<x>Label`` next to a column ``<x>`` is shown as the text of ``<x>``'s link)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pyoxigraph as ox

from aikg.namespaces import curie, sparql_prologue
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
