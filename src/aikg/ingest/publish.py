"""Publish the graph to a SPARQL 1.1 store, replacing the previous version in one update.

The files are built into a temporary embedded store exactly as ``aikg load`` builds a version (one named
graph per file, duplicates removed, alignments materialised). Then, against the store:

1. The publication record (:mod:`aikg.store.record`) is read; staging graphs it names (left by a
   publish that was killed) are dropped. This publish's own staging graphs are added to the record
   *before* anything is uploaded, so whatever happens next, the next publish finds and drops them, even
   on a store that cannot list its graphs.
2. Each named graph goes into a staging graph under :data:`STAGING_PREFIX`, in batches of at most
   `batch_bytes` bytes of N-Triples (and, for SPARQL Update, at most the store's dialect's triples per
   request): with the Graph Store Protocol when the store offers it, else with ``INSERT DATA``.
   Triples with blank nodes cannot be sent like that (Virtuoso refuses blank nodes in ``INSERT DATA``,
   and a blank node must stay one node across batches and graphs): each blank node is first created once,
   in a staging graph of its own, next to its label; then its triples are inserted with
   ``INSERT { … } WHERE { VALUES … }`` joins that find each node by its label, in batches like the others.
3. The staging graphs are counted and read back, and their checksums compared with what was sent:
   a store that dropped or changed a triple (Virtuoso rewrites some typed values) fails the publish here,
   saying which triples differ, and the published version stays as it was.
4. One update request, which the store runs as one transaction, copies every staging graph onto its
   target, drops graphs no longer published and rewrites the record with each graph's triple count and
   checksum (which :class:`aikg.store.remote.RemoteStore` checks before serving). A last request drops
   the staging graphs and their names.

Until step 4, readers see the old version; a publish killed at any point leaves either the old version
or the new one, whole, and its staging graphs for the next publish to drop. One publish at a time.

Cost: Oxigraph 0.5 writes about 20-80 us per quad in an update, so the swap of 430k triples takes some
30 s (measured), during which readers keep seeing the old version.
"""

from __future__ import annotations

import gc
import logging
import secrets
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

import pyoxigraph as ox
import urllib3
from urllib3.exceptions import HTTPError, NewConnectionError, ReadTimeoutError

from aikg.errors import AikgError, BadRequest, StoreUnavailable
from aikg.ingest.files import Source, dataset_info
from aikg.ingest.load import Progress, build
from aikg.store import DatasetInfo, Solutions
from aikg.store.dialect import Dialect, Node
from aikg.store.record import (
    BLANK_LABEL,
    PUBLICATION_GRAPH,
    RECORD_QUERY,
    STAGING_PREFIX,
    UNION_GRAPH,
    Digest,
    Part,
    Record,
    parse_record,
    record_triples,
    staging_triples,
)
from aikg.store.remote import RemoteStore, _reason, http_error

log = logging.getLogger(__name__)

#: Called after each uploaded batch with the number of triples sent so far and the total.
Uploaded = Callable[[int, int], None]

#: Bytes of N-Triples per request (a Graph Store POST or an INSERT DATA).
BATCH_BYTES = 1 << 20


@dataclass(frozen=True)
class PublishResult:
    """What was published: version, graphs, size, time, and how the triples were sent."""

    version: str
    modified: str
    graphs: tuple[str, ...]
    triples: int
    seconds: float
    method: str  # "graph-store" or "update"
    previous: str | None
    requests: int = 0


def update_endpoint_for(endpoint: str) -> str:
    """Guess the update endpoint from the query endpoint (Oxigraph and Fuseki: /query -> /update)."""
    if endpoint.rstrip("/").endswith("/query"):
        return endpoint.rstrip("/")[: -len("query")] + "update"
    if endpoint.rstrip("/").endswith("/sparql"):
        return endpoint  # Virtuoso, GraphDB-style: one URL for both
    raise BadRequest(f"Cannot guess the update endpoint of {endpoint}; give it with --update-endpoint.")


def graph_store_candidates(endpoint: str, dialect: Dialect | None = None) -> list[str]:
    """Guess Graph Store Protocol URLs from the query endpoint (Oxigraph: /store, Fuseki: /data,
    Virtuoso: /sparql-graph-crud)."""
    base = endpoint.rstrip("/").rsplit("/", 1)[0]
    paths = dialect.graph_store_paths if dialect is not None else ("store", "data", "sparql-graph-crud")
    return [f"{base}/{p}" for p in paths]


def publish(
    srcs: Sequence[Source],
    endpoint: str,
    *,
    update_endpoint: str | None = None,
    graph: str | None = None,
    graph_store: str | None = None,
    use_graph_store: bool = True,
    batch_bytes: int = BATCH_BYTES,
    timeout: float = 300.0,
    progress: Progress | None = None,
    uploaded: Uploaded | None = None,
    dialect: str | None = None,
) -> PublishResult:
    """Build the files and publish them to the store at `endpoint`, replacing the previous version atomically.

    `graph` puts every triple into that one named graph instead of keeping one graph per file.
    Raises InvalidData for files that do not load and StoreUnavailable when the store fails.
    """
    started = time.perf_counter()
    if batch_bytes < 1024:
        raise BadRequest("The batch size must be at least 1024 bytes.")
    remote = _Remote(endpoint, update_endpoint or update_endpoint_for(endpoint), timeout, dialect)
    info = dataset_info(srcs)
    record = remote.record()  # fails fast when the store is not there
    remote.drop_leftovers(record)
    with tempfile.TemporaryDirectory(prefix="aikg-publish-") as tmp:
        oxi = ox.Store(tmp)
        try:
            build(oxi, srcs, progress)
            sources = sorted(g.value for g in oxi.named_graphs() if isinstance(g, ox.NamedNode))
            targets = sorted({graph or g for g in sources})
            token = secrets.token_hex(6)
            staging = {t: f"{STAGING_PREFIX}{token}/{i}" for i, t in enumerate(targets)}
            # The union graph, for a store whose dialect needs one, is uploaded like the others (a copy made
            # in the store with ADD is not the same: Virtuoso 7 then fails isIRI() on some of its objects).
            union_staging = None
            if remote.dialect.union_graph and len(targets) > 1:
                union_staging = f"{STAGING_PREFIX}{token}/union"
            scratch = [*staging.values(), *([union_staging] if union_staging else []),
                       f"{STAGING_PREFIX}{token}/blank-nodes"]
            remote.update(_insert_data(PUBLICATION_GRAPH, staging_triples(scratch)))
            try:
                upload = _Upload(oxi, remote, graph, staging, scratch[-1], batch_bytes, uploaded, union_staging)
                method = upload.run(sources, graph_store if use_graph_store else None, use_graph_store)
                parts = [Part(t, upload.digests[t].triples, upload.digests[t].checksum) for t in targets]
                union = None
                checked = dict(staging)
                if union_staging:
                    merged = Digest.union(upload.digests.values())
                    union = Part(UNION_GRAPH, merged.triples, merged.checksum)
                    checked[UNION_GRAPH] = union_staging
                remote.check_staged(oxi, checked, [*parts, *([union] if union else [])], graph)
                remote.update(_swap(staging, record.names, info, parts, scratch, union, union_staging))
            except AikgError as e:
                remote.drop(scratch)
                raise StoreUnavailable(f"Publishing failed, the published version is unchanged: {e.message}") from None
            # COPY, then DROP outside the swap: the swap transaction stays smaller than with MOVE.
            remote.drop(scratch)
            triples = len(oxi)
        finally:
            del oxi
            gc.collect()  # close the temporary store before its directory is removed
    previous = record.info.version if record.info else None
    return PublishResult(info.version, info.modified, tuple(targets), triples, time.perf_counter() - started, method,
                         previous, remote.requests)


class _Upload:
    """Send the triples of a built store into staging graphs, counting and checksumming what is sent."""

    def __init__(
        self, oxi: ox.Store, remote: _Remote, graph: str | None, staging: dict[str, str], blanks: str,
        batch_bytes: int, uploaded: Uploaded | None, union: str | None = None,
    ) -> None:
        self.oxi, self.remote, self.graph, self.staging, self.blanks = oxi, remote, graph, staging, blanks
        self.union = union
        self.batch_bytes = batch_bytes
        self.uploaded = uploaded
        self.total = len(oxi)
        self.sent = 0
        self.digests = {t: Digest() for t in staging}
        self.dialect = remote.dialect

    def run(self, sources: Sequence[str], graph_store: str | None, use_graph_store: bool) -> str:
        store_url = None
        if use_graph_store:
            candidates = [graph_store] if graph_store else graph_store_candidates(self.remote.endpoint, self.dialect)
            store_url = self.remote.find_graph_store(candidates, next(iter(self.staging.values())))
        with_blanks: list[tuple[str, ox.Triple]] = []
        for name in sources:
            target = self.graph or name
            plain: list[ox.Triple] = []
            for quad in self.oxi.quads_for_pattern(None, None, None, ox.NamedNode(name)):
                triple = quad.triple
                self.digests[target].add(triple)
                if isinstance(triple.subject, ox.BlankNode) or isinstance(triple.object, ox.BlankNode):
                    with_blanks.append((target, triple))
                else:
                    plain.append(triple)
                    if len(plain) >= 10_000:
                        self._send_plain(target, plain, store_url)
                        plain = []
            self._send_plain(target, plain, store_url)
        if with_blanks:
            self._send_blanks(with_blanks)
        return "graph-store" if store_url else "update"

    def _send_plain(self, target: str, triples: list[ox.Triple], store_url: str | None) -> None:
        cap = None if store_url else self.dialect.update_triples
        # The Graph Store Protocol takes N-Triples as they are; an update needs the dialect's spelling.
        line = _line if store_url else self._line
        for batch, body in _batches((line(t) for t in triples), self.batch_bytes, cap):
            for graph in (self.staging[target], *([self.union] if self.union else [])):
                if store_url:
                    self.remote.post_graph(store_url, graph, body)
                else:
                    self.remote.update(f"INSERT DATA {{ GRAPH <{graph}> {{\n{body.decode()}}} }}")
            self._done(batch)

    def _send_blanks(self, triples: list[tuple[str, ox.Triple]]) -> None:
        """Create each blank node once, by its label, then insert its triples by joins on the labels."""
        labels: dict[str, int] = {}
        for _, t in triples:
            for term in (t.subject, t.object):
                if isinstance(term, ox.BlankNode):
                    labels.setdefault(term.value, len(labels))
        label = f"<{BLANK_LABEL}>"
        lines = (f'_:b{i} {label} "{i}" .\n'.encode() for i in labels.values())
        cap = min(self.dialect.update_triples, self.dialect.join_rows * 2)
        for _, body in _batches(lines, self.batch_bytes, cap):
            self.remote.update(f"INSERT {{ GRAPH <{self.blanks}> {{\n{body.decode()}}} }} WHERE {{}}")
        groups: dict[tuple[str, bool, bool], list[ox.Triple]] = {}
        for target, t in triples:
            key = (target, isinstance(t.subject, ox.BlankNode), isinstance(t.object, ox.BlankNode))
            groups.setdefault(key, []).append(t)
        for (target, blank_s, blank_o), group in groups.items():
            rows = (self._row(t, blank_s, blank_o, labels) for t in group)
            s = "?ls" if blank_s else "?s"
            o = "?lo" if blank_o else "?o"
            where = " . ".join(
                [f"?s {label} ?ls"] * blank_s + [f"?o {label} ?lo"] * blank_o
            )
            for batch, body in _batches(rows, self.batch_bytes, self.dialect.join_rows):
                for graph in (self.staging[target], *([self.union] if self.union else [])):
                    self.remote.update(
                        f"INSERT {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} WHERE {{ "
                        f"VALUES ({s} ?p {o}) {{\n{body.decode()}}} GRAPH <{self.blanks}> {{ {where} }} }}"
                    )
                self._done(batch)

    def _term(self, term: Node) -> str:
        if isinstance(term, ox.Literal):
            return self.dialect.update_literal(term)
        return str(term)

    def _line(self, t: ox.Triple) -> bytes:
        return f"{t.subject} {t.predicate} {self._term(t.object)} .\n".encode()

    def _row(self, t: ox.Triple, blank_s: bool, blank_o: bool, labels: dict[str, int]) -> bytes:
        s = f'"{labels[t.subject.value]}"' if isinstance(t.subject, ox.BlankNode) else str(t.subject)
        o = f'"{labels[t.object.value]}"' if isinstance(t.object, ox.BlankNode) else self._term(t.object)
        return f"({s} {t.predicate} {o})\n".encode()

    def _done(self, n: int) -> None:
        self.sent += n
        if self.uploaded:
            self.uploaded(self.sent, self.total)


def _line(t: ox.Triple) -> bytes:
    return f"{t} .\n".encode()


def _batches(lines: Iterable[bytes], max_bytes: int, max_lines: int | None) -> Iterator[tuple[int, bytes]]:
    """Group lines into bodies of at most `max_bytes` (a longer line goes alone) and `max_lines` lines."""
    batch: list[bytes] = []
    size = 0
    for line in lines:
        if batch and (size + len(line) > max_bytes or (max_lines is not None and len(batch) >= max_lines)):
            yield len(batch), b"".join(batch)
            batch, size = [], 0
        batch.append(line)
        size += len(line)
    if batch:
        yield len(batch), b"".join(batch)


def _nt(triples: Iterable[ox.Triple]) -> str:
    return (ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"").decode("utf-8")


def _insert_data(graph: str, triples: Sequence[ox.Triple]) -> str:
    return f"INSERT DATA {{ GRAPH <{graph}> {{\n{_nt(triples)}}} }}"


def _swap(staging: dict[str, str], old_parts: Sequence[str], info: DatasetInfo, parts: Sequence[Part],
          scratch: Sequence[str], union: Part | None = None, union_staging: str | None = None) -> str:
    """Write the one update that makes the staged graphs the published version (and their union graph)."""
    ops = [f"DROP SILENT GRAPH <{g}>" for g in old_parts if g not in staging]
    for target, tmp in staging.items():
        # A graph left empty by the dedupe has no staging graph: the DROP still empties its target.
        ops += [f"DROP SILENT GRAPH <{target}>", f"COPY SILENT <{tmp}> TO <{target}>"]
    ops.append(f"DROP SILENT GRAPH <{UNION_GRAPH}>")
    if union is not None and union_staging is not None:
        ops.append(f"COPY SILENT <{union_staging}> TO <{UNION_GRAPH}>")
    ops.append(f"DROP SILENT GRAPH <{PUBLICATION_GRAPH}>")
    # The staging graphs stay named until they are dropped: a publish killed after the swap leaves them listed.
    ops.append(_insert_data(PUBLICATION_GRAPH, record_triples(info, parts, scratch, union)))
    return " ;\n".join(ops)


class _Remote:
    """The few HTTP calls a publish makes, with errors mapped like the remote store's."""

    def __init__(self, endpoint: str, update_endpoint: str, timeout: float, dialect: str | None) -> None:
        self.endpoint = endpoint
        self.update_endpoint = update_endpoint
        self.timeout = timeout
        self.reader = RemoteStore(endpoint, timeout=timeout, dialect=dialect)
        self.http = urllib3.PoolManager(maxsize=2, retries=False)
        self.requests = 0

    @property
    def dialect(self) -> Dialect:
        return self.reader.dialect

    def select(self, text: str) -> Solutions:
        """Run a SELECT on the store's own dataset."""
        self.requests += 1
        return self.reader._select(text)

    def record(self) -> Record:
        """Return the publication record (empty when the store holds none)."""
        return parse_record(self.select(RECORD_QUERY).dicts())

    def drop_leftovers(self, record: Record) -> None:
        """Drop the staging graphs an interrupted publish left behind, and their names in the record."""
        leftovers = set(record.staging)
        if self.dialect.lists_graphs:
            rows = self.select(
                f'SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ }} FILTER(STRSTARTS(STR(?g), "{STAGING_PREFIX}")) }}'
            ).dicts()
            leftovers |= {r["g"].value for r in rows if "g" in r}
        if leftovers:
            log.info("dropping %d staging graphs left by an interrupted publish", len(leftovers))
            self.update(_drop(sorted(leftovers)))

    def check_staged(self, oxi: ox.Store, staging: dict[str, str], parts: Sequence[Part], graph: str | None) -> None:
        """Raise StoreUnavailable unless every staging graph holds exactly the triples that were sent."""
        by_target = {p.name: p for p in parts}
        values = " ".join(f"<{g}>" for g in staging.values())
        rows = self.select(
            f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }} GROUP BY ?g"
        ).dicts()
        counts = {r["g"].value: int(r["n"].value) for r in rows if "g" in r and "n" in r}
        for target, tmp in staging.items():
            part = by_target[target]
            found = Digest(lines=[]).update(self.reader._graph_triples(tmp))
            self.requests += 1
            if counts.get(tmp, 0) == part.triples and found.checksum == part.checksum:
                continue
            sent = Digest(lines=[])
            everything = graph or target == UNION_GRAPH
            names = [g.value for g in oxi.named_graphs() if isinstance(g, ox.NamedNode)] if everything else [target]
            for name in names:
                sent.update(q.triple for q in oxi.quads_for_pattern(None, None, None, ox.NamedNode(name)))
            lost = sorted(set(sent.lines or ()) - set(found.lines or ()))[:3]
            changed = sorted(set(found.lines or ()) - set(sent.lines or ()))[:3]
            detail = "; ".join([f"sent {len(lost)}+ not kept, e.g. {lost[0]}"] * bool(lost)
                               + [f"kept differently, e.g. {changed[0]}"] * bool(changed))
            log.error("staging graph of %s: %s of %s triples kept. Not kept: %s. Kept instead: %s", target,
                      counts.get(tmp, 0), part.triples, lost, changed)
            raise StoreUnavailable(
                f"The store did not keep the triples of {target} as sent ({counts.get(tmp, 0)} of {part.triples}"
                f"{'; ' + detail if detail else ''})."
            )

    def drop(self, graphs: Sequence[str]) -> None:
        """Drop graphs and their names in the record, best effort (the store may be the thing that failed)."""
        try:
            self.update(_drop(graphs))
        except AikgError as e:
            log.warning("could not drop the staging graphs (the next publish will): %s", e.message)

    def update(self, text: str) -> None:
        """Send one SPARQL Update request."""
        self._send(self.update_endpoint, urlencode({"update": text}).encode(), "application/x-www-form-urlencoded",
                   text)

    def post_graph(self, store_url: str, graph: str, body: bytes) -> None:
        """Add N-Triples to a graph with a Graph Store Protocol POST."""
        self._send(f"{store_url}?{urlencode({'graph': graph})}", body, "application/n-triples", f"POST <{graph}>")

    def find_graph_store(self, candidates: Sequence[str], graph: str) -> str | None:
        """Return the first candidate that accepts a Graph Store Protocol POST (an empty one, to `graph`)."""
        for url in candidates:
            try:
                response = self.http.request(
                    "POST", f"{url}?{urlencode({'graph': graph})}", body=b"",
                    headers={"Content-Type": "application/n-triples"}, timeout=self.timeout,
                )
            except HTTPError:
                continue
            self.requests += 1
            if 200 <= response.status < 300:
                return url
        return None

    def _send(self, url: str, body: bytes, media: str, what: str) -> None:
        self.requests += 1
        try:
            response = self.http.request(
                "POST", url, body=body, headers={"Content-Type": media}, timeout=self.timeout, preload_content=False,
            )
        except ReadTimeoutError:
            log.warning("the store at %s did not answer within %g s", url, self.timeout)
            raise StoreUnavailable(f"The store did not answer within {self.timeout:g} s.") from None
        except NewConnectionError as e:
            log.warning("the store at %s is not reachable: %s", url, _reason(e))
            raise StoreUnavailable(f"The store at {url} is not reachable: {_reason(e)}.") from None
        except HTTPError as e:
            log.warning("the store at %s failed: %s", url, _reason(e))
            raise StoreUnavailable(f"The store at {url} failed: {_reason(e)}.") from None
        if response.status >= 300:
            raise http_error(url, response, what[:300], query=False, public=False)
        response.drain_conn()
        response.release_conn()


def _drop(graphs: Sequence[str]) -> str:
    ops = [f"DROP SILENT GRAPH <{g}>" for g in graphs]
    ops.append(f"DELETE DATA {{ GRAPH <{PUBLICATION_GRAPH}> {{\n{_nt(staging_triples(graphs))}}} }}")
    return " ;\n".join(ops)
