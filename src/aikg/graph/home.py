"""What the graph holds, for the home page: resources per class, triples, sources and named graphs."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from aikg.errors import AikgError
from aikg.graph.cache import per_version
from aikg.namespaces import ONTOLOGY, sparql_prologue
from aikg.store import Solutions, Store

#: The classes the home page counts, in the order it shows them (artefacts and events include their
#: subclasses through the inferred types).
SHOWN = {"Milestone": ("milestone", "milestones"), "Person": ("person", "people"),
         "Organisation": ("organisation", "organisations"), "Technique": ("technique", "techniques"),
         "Paper": ("paper", "papers"), "Model": ("model or system", "models and systems"),
         "Software": ("software framework", "software frameworks"), "Product": ("product", "products"),
         "Dataset": ("dataset or benchmark", "datasets and benchmarks"), "Event": ("event", "events"),
         "Measurement": ("measured figure", "measured figures")}


@dataclass(frozen=True)
class Count:
    """How many resources have a class, and what one and several of them are called ("person", "people")."""

    iri: str
    singular: str
    plural: str
    count: int

    @property
    def label(self) -> str:
        """Return the name that goes with the count: "1 person", "85 people"."""
        return self.singular if self.count == 1 else self.plural


@dataclass
class Stats:
    """Counts of what the graph holds."""

    classes: list[Count] = field(default_factory=list)
    triples: int = 0
    sources: int = 0
    graphs: int = 0


_COUNTS = sparql_prologue() + """SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {
  VALUES ?c { %s }
  ?s a ?c .
} GROUP BY ?c"""

_TOTALS = sparql_prologue() + """SELECT ?k (COUNT(*) AS ?n) WHERE {
  { ?s ?p ?o BIND("triples" AS ?k) }
  UNION { { SELECT DISTINCT ?src WHERE { ?x dcterms:source ?src } } BIND("sources" AS ?k) }
} GROUP BY ?k"""


@per_version
def stats(store: Store) -> Stats:
    """Count resources per shown class, triples, cited sources and named graphs (cached per data version)."""
    values = " ".join(f"aikg:{c}" for c in SHOWN)
    result = store.query(_COUNTS % values)
    assert isinstance(result, Solutions)
    found = {c.value: int(n.value) for c, n in result.rows if isinstance(c, ox.NamedNode) and isinstance(n, ox.Literal)}
    classes = [Count(ONTOLOGY + local, one, many, found[ONTOLOGY + local]) for local, (one, many) in SHOWN.items()
               if found.get(ONTOLOGY + local)]
    totals = store.query(_TOTALS)
    assert isinstance(totals, Solutions)
    by = {k.value: int(n.value) for k, n in totals.rows if k is not None and n is not None}
    try:
        graphs = len(store.graph_names())
    except AikgError:  # a remote store may fail to list its graphs; the count is then left out
        graphs = 0
    return Stats(classes, by.get("triples", 0), by.get("sources", 0), graphs)
