"""The graphs the benchmarks serve: the shipped data, or generated graphs of a given size.

Each dataset is kept (under bench/results/data/, reused across runs) as:
- the data files aikg is given (the shipped files, or one generated N-Triples file);
- one N-Quads dump of exactly the quads aikg's own store holds (named graph per file, the ontology, the
  inferred graph), which the Oxigraph server and the bare app load, so that all three serve the same data.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

import aikg.ingest.generate
from aikg.ingest.files import sources
from aikg.ingest.generate import generate, milestones_for
from aikg.ingest.load import dedupe, materialise_alignments
from aikg.resources import default_data, default_ontology

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
DATA = RESULTS / "data"
SEED = 42


@dataclass
class Dataset:
    """One graph to benchmark, under every server."""

    name: str
    files: list[Path]  # what aikg loads (empty: the shipped data)
    nquads: Path  # what the other servers load
    triples: int  # triples in the data files (before the ontology and inferences)
    quads: int  # quads served (data + ontology + inferred)
    shipped: bool = False

    @property
    def top_producer(self) -> str | None:
        """The organisation that produced the most milestones (found when the quads were dumped)."""
        text = Path(f"{self.nquads}.org").read_text().strip()
        return text or None

    @property
    def source_file(self) -> Path | None:
        return self.files[0] if len(self.files) == 1 else None


def parse_size(text: str) -> int:
    """Read a size such as 100k, 1M, 5M or 20000 as a number of triples."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([kKmM]?)", text.strip())
    if not m:
        raise ValueError(f"not a size: {text!r} (use shipped, or a number such as 100k or 1M)")
    factor = {"": 1, "k": 1_000, "m": 1_000_000}[m.group(2).lower()]
    return int(float(m.group(1)) * factor)


def label(triples: int) -> str:
    """Write a number of triples the short way (100k, 1M)."""
    if triples >= 1_000_000 and triples % 100_000 == 0:
        return f"{triples / 1_000_000:g}M"
    if triples >= 1_000 and triples % 100 == 0:
        return f"{triples / 1_000:g}k"
    return str(triples)


def generated_file(target: int, seed: int = SEED) -> tuple[Path, int]:
    """Generate (once) an N-Triples graph of about `target` triples; return its path and exact size."""
    DATA.mkdir(parents=True, exist_ok=True)
    # The generator's own source is part of the name: a changed generator never reuses an old graph.
    version = hashlib.sha256(Path(aikg.ingest.generate.__file__).read_bytes()).hexdigest()[:8]
    path = DATA / f"gen-{label(target)}-s{seed}-{version}.nt"
    count = Path(f"{path}.count")
    if path.exists() and count.exists():
        return path, int(count.read_text())
    began = time.perf_counter()
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8", buffering=1 << 20) as f:
        stats = generate(f, milestones_for(target), seed)
    tmp.replace(path)
    count.write_text(str(stats.triples))
    print(f"  generated {path.name}: {stats.triples:,} triples, {stats.milestones:,} milestones "
          f"({stats.triples_per_milestone:.1f}/milestone) in {time.perf_counter() - began:.1f} s")
    return path, stats.triples


TOP_PRODUCER = """PREFIX aikg: <https://w3id.org/ai-history/ontology/>
SELECT ?org (COUNT(?m) AS ?n) WHERE { ?m a aikg:Milestone ; aikg:producedBy ?org . }
GROUP BY ?org ORDER BY DESC(?n) ?org LIMIT 1"""


def served_quads(files: list[Path], out: Path) -> int:
    """Dump (once) the quads aikg's loader makes of these files, as N-Quads; return how many.

    The busiest producer is noted beside the dump (`.org`), so that no run has to load the graph again.
    """
    count, org = Path(f"{out}.count"), Path(f"{out}.org")
    if out.exists() and count.exists() and org.exists():
        return int(count.read_text())
    store = ox.Store()
    for src in sources(files, default_ontology()):
        store.bulk_load(path=src.path, format=src.format, to_graph=ox.NamedNode(src.graph))
    dedupe(store)
    materialise_alignments(store)
    tmp = out.with_suffix(".tmp")
    store.dump(tmp, ox.RdfFormat.N_QUADS)
    tmp.replace(out)
    rows = list(store.query(TOP_PRODUCER, use_default_graph_as_union=True))  # type: ignore[arg-type]
    org.write_text(rows[0]["org"].value if rows else "")
    n = len(store)
    count.write_text(str(n))
    return n


def shipped() -> Dataset | None:
    """The shipped data, or None while data/ holds no graph."""
    files = default_data()
    if not files:
        return None
    DATA.mkdir(parents=True, exist_ok=True)
    stamp = max(int(f.stat().st_mtime) for f in files)
    nquads = DATA / f"shipped-{stamp}.nq"
    quads = served_quads(files, nquads)
    triples = sum(1 for f in files for _ in ox.parse(path=f))
    return Dataset("shipped", [], nquads, triples, quads, shipped=True)


def generated(target: int, seed: int = SEED) -> Dataset:
    """A generated graph of about `target` triples."""
    path, triples = generated_file(target, seed)
    nquads = path.with_suffix(".nq")
    quads = served_quads([path], nquads)
    return Dataset(label(target), [path], nquads, triples, quads)


def milestones(n: int, seed: int = SEED) -> Dataset:
    """A generated graph of exactly `n` milestones (`aikg generate --milestones n`)."""
    ds = generated(round(n * aikg.ingest.generate.TRIPLES_PER_MILESTONE), seed)
    ds.name = f"{n:,} milestones"
    return ds


def dataset(name: str, seed: int = SEED) -> Dataset | None:
    """Resolve a size name from the command line: 'shipped' or a number of triples."""
    return shipped() if name == "shipped" else generated(parse_size(name), seed)
