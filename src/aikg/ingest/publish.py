"""Publish the graph to a SPARQL 1.1 store, replacing the previous version in one update.

The files are built into a temporary embedded store exactly as ``aikg load`` builds a version (one named
graph per file, duplicates removed, alignments materialised). Each named graph is uploaded into a fresh
staging graph under :data:`aikg.store.remote.STAGING_PREFIX`, in batches of N-Triples: with the Graph
Store Protocol when the server offers it (POST), else with SPARQL Update ``INSERT DATA``. Triples with
blank nodes go in one last ``INSERT DATA`` spanning all graphs, so a blank node shared by two graphs or
two batches stays one node. Then a single update request, which the store runs as one transaction,
copies every staging graph onto its target, drops graphs no longer published and rewrites the
publication record (version, modified, parts, sources) that :class:`aikg.store.remote.RemoteStore`
reads; the staging graphs are dropped after it. Until that request, readers see the old version; if
anything fails before it, the staging graphs are dropped (or by the next publish, when the server itself
went away) and the old version stays.

Cost: Oxigraph 0.5 writes about 20-80 us per quad in an update, so the swap of 430k triples takes some
30 s (measured), during which readers keep seeing the old version.
"""

from __future__ import annotations

import gc
import logging
import secrets
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

import pyoxigraph as ox
import urllib3
from urllib3.exceptions import HTTPError, NewConnectionError, ReadTimeoutError

from aikg.errors import AikgError, BadRequest, StoreUnavailable
from aikg.ingest.files import Source, dataset_info
from aikg.ingest.load import Progress, build
from aikg.namespaces import DCTERMS, XSD
from aikg.store import Solutions
from aikg.store.remote import PUBLICATION_GRAPH, STAGING_PREFIX, RemoteStore, _http_error, _reason

log = logging.getLogger(__name__)

#: Called after each uploaded batch with the number of triples sent so far and the total.
Uploaded = Callable[[int, int], None]


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


def update_endpoint_for(endpoint: str) -> str:
    """Guess the update endpoint from the query endpoint (Oxigraph and Fuseki: /query -> /update)."""
    if endpoint.rstrip("/").endswith("/query"):
        return endpoint.rstrip("/")[: -len("query")] + "update"
    if endpoint.rstrip("/").endswith("/sparql"):
        return endpoint  # Virtuoso, GraphDB-style: one URL for both
    raise BadRequest(f"Cannot guess the update endpoint of {endpoint}; give it with --update-endpoint.")


def graph_store_candidates(endpoint: str) -> list[str]:
    """Guess Graph Store Protocol URLs from the query endpoint (Oxigraph: /store, Fuseki: /data)."""
    base = endpoint.rstrip("/").rsplit("/", 1)[0]
    return [base + "/store", base + "/data"]


def publish(
    srcs: Sequence[Source],
    endpoint: str,
    *,
    update_endpoint: str | None = None,
    graph: str | None = None,
    graph_store: str | None = None,
    use_graph_store: bool = True,
    batch_size: int = 50_000,
    timeout: float = 300.0,
    progress: Progress | None = None,
    uploaded: Uploaded | None = None,
) -> PublishResult:
    """Build the files and publish them to the store at `endpoint`, replacing the previous version atomically.

    `graph` puts every triple into that one named graph instead of keeping one graph per file.
    Raises InvalidData for files that do not load and StoreUnavailable when the store fails.
    """
    started = time.perf_counter()
    remote = _Remote(endpoint, update_endpoint or update_endpoint_for(endpoint), timeout)
    info = dataset_info(srcs)
    previous, old_parts = remote.record()  # fails fast when the store is not there
    remote.drop_leftovers()
    with tempfile.TemporaryDirectory(prefix="aikg-publish-") as tmp:
        oxi = ox.Store(tmp)
        try:
            build(oxi, srcs, progress)
            sources = sorted(g.value for g in oxi.named_graphs() if isinstance(g, ox.NamedNode))
            targets = sorted({graph or g for g in sources})
            token = secrets.token_hex(6)
            staging = {t: f"{STAGING_PREFIX}{token}/{i}" for i, t in enumerate(targets)}
            try:
                method = _upload(oxi, remote, sources, graph, staging, graph_store, use_graph_store, batch_size,
                                 uploaded)
                triples = len(oxi)
                remote.update(_swap(staging, old_parts, info.version, info.modified, info.sources))
            except AikgError as e:
                remote.drop(staging.values())
                raise StoreUnavailable(f"Publishing failed, the published version is unchanged: {e.message}") from None
            # COPY, then DROP outside the swap: the swap transaction stays smaller than with MOVE.
            remote.drop(staging.values())
        finally:
            del oxi
            gc.collect()  # close the temporary store before its directory is removed
    return PublishResult(
        info.version, info.modified, tuple(targets), triples, time.perf_counter() - started, method, previous
    )


def _upload(
    oxi: ox.Store,
    remote: _Remote,
    sources: Sequence[str],
    graph: str | None,
    staging: dict[str, str],
    graph_store: str | None,
    use_graph_store: bool,
    batch_size: int,
    uploaded: Uploaded | None,
) -> str:
    total = len(oxi)
    first = next(iter(staging.values()))
    store_url = None
    if use_graph_store:
        store_url = remote.find_graph_store([graph_store] if graph_store else graph_store_candidates(remote.endpoint),
                                            first)
    sent = 0
    with_blanks: list[tuple[str, ox.Triple]] = []
    for name in sources:
        target = staging[graph or name]
        batch: list[ox.Triple] = []
        for quad in oxi.quads_for_pattern(None, None, None, ox.NamedNode(name)):
            if isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode):
                with_blanks.append((target, quad.triple))
                continue
            batch.append(quad.triple)
            if len(batch) >= batch_size:
                remote.add(target, batch, store_url)
                sent += len(batch)
                batch = []
                if uploaded:
                    uploaded(sent, total)
        if batch:
            remote.add(target, batch, store_url)
            sent += len(batch)
            if uploaded:
                uploaded(sent, total)
    if with_blanks:
        remote.update(_insert_data(with_blanks))
        sent += len(with_blanks)
        if uploaded:
            uploaded(sent, total)
    return "graph-store" if store_url else "update"


def _nt(triples: Iterable[ox.Triple]) -> str:
    return (ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"").decode("utf-8")


def _insert_data(triples: Sequence[tuple[str, ox.Triple]]) -> str:
    by_graph: dict[str, list[ox.Triple]] = {}
    for target, triple in triples:
        by_graph.setdefault(target, []).append(triple)
    body = " ".join(f"GRAPH <{g}> {{\n{_nt(ts)}}}" for g, ts in by_graph.items())
    return f"INSERT DATA {{ {body} }}"


def _swap(staging: dict[str, str], old_parts: Sequence[str], version: str, modified: str,
          sources: Sequence[str]) -> str:
    """Write the one update that makes the staged graphs the published version."""
    ops = [f"DROP SILENT GRAPH <{g}>" for g in old_parts if g not in staging]
    for target, tmp in staging.items():
        # A graph left empty by the dedupe has no staging graph: the DROP still empties its target.
        ops += [f"DROP SILENT GRAPH <{target}>", f"COPY SILENT <{tmp}> TO <{target}>"]
    record = ox.NamedNode(PUBLICATION_GRAPH)
    triples = [
        ox.Triple(record, ox.NamedNode(DCTERMS + "hasVersion"), ox.Literal(version)),
        ox.Triple(record, ox.NamedNode(DCTERMS + "modified"),
                  ox.Literal(modified, datatype=ox.NamedNode(XSD + "dateTime"))),
    ]
    triples += [ox.Triple(record, ox.NamedNode(DCTERMS + "hasPart"), ox.NamedNode(t)) for t in staging]
    # One literal, lines in load order: the order matters to DatasetInfo and a multi-valued property has none.
    triples.append(ox.Triple(record, ox.NamedNode(DCTERMS + "source"), ox.Literal("\n".join(sources))))
    ops.append(f"DROP SILENT GRAPH <{PUBLICATION_GRAPH}>")
    ops.append(f"INSERT DATA {{ GRAPH <{PUBLICATION_GRAPH}> {{\n{_nt(triples)}}} }}")
    return " ;\n".join(ops)


class _Remote:
    """The few HTTP calls a publish makes, with errors mapped like the remote store's."""

    def __init__(self, endpoint: str, update_endpoint: str, timeout: float) -> None:
        self.endpoint = endpoint
        self.update_endpoint = update_endpoint
        self.timeout = timeout
        self.reader = RemoteStore(endpoint, timeout=timeout)
        self.http = urllib3.PoolManager(maxsize=2, retries=False)

    def select(self, text: str) -> Solutions:
        # An explicit empty dataset would hide the named graphs: ask with the server's own dataset.
        response = self.reader._post(self.endpoint, [("query", text)], "application/sparql-results+json",
                                     self.timeout, text)
        result = self.reader._read(response, None, self.timeout)
        assert isinstance(result, Solutions)
        return result

    def record(self) -> tuple[str | None, list[str]]:
        """Return the published version and its graphs, if any."""
        rows = self.select(
            f"SELECT ?version ?part WHERE {{ GRAPH <{PUBLICATION_GRAPH}> {{ <{PUBLICATION_GRAPH}> "
            f"<{DCTERMS}hasVersion> ?version OPTIONAL {{ <{PUBLICATION_GRAPH}> <{DCTERMS}hasPart> ?part }} }} }}"
        ).dicts()
        version = rows[0]["version"].value if rows else None
        return version, sorted({r["part"].value for r in rows if "part" in r})

    def drop_leftovers(self) -> None:
        """Drop staging graphs an interrupted publish left behind."""
        rows = self.select(
            f'SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ }} FILTER(STRSTARTS(STR(?g), "{STAGING_PREFIX}")) }}'
        ).dicts()
        if rows:
            log.info("dropping %d staging graphs left by an interrupted publish", len(rows))
            self.update(" ;\n".join(f"DROP SILENT GRAPH <{r['g'].value}>" for r in rows))

    def drop(self, graphs: Iterable[str]) -> None:
        """Drop graphs, best effort (the store may be the thing that failed)."""
        try:
            self.update(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in graphs))
        except AikgError as e:
            log.warning("could not drop the staging graphs (the next publish will): %s", e.message)

    def update(self, text: str) -> None:
        """Send one SPARQL Update request."""
        self._send(self.update_endpoint, urlencode({"update": text}).encode(),
                   "application/x-www-form-urlencoded")

    def add(self, graph: str, triples: Sequence[ox.Triple], store_url: str | None) -> None:
        """Add triples to a graph: Graph Store Protocol POST, or INSERT DATA."""
        if store_url:
            self._send(f"{store_url}?{urlencode({'graph': graph})}", _nt(triples).encode(), "application/n-triples")
        else:
            self.update(f"INSERT DATA {{ GRAPH <{graph}> {{\n{_nt(triples)}}} }}")

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
            if 200 <= response.status < 300:
                return url
        return None

    def _send(self, url: str, body: bytes, media: str) -> None:
        try:
            response = self.http.request(
                "POST", url, body=body, headers={"Content-Type": media}, timeout=self.timeout, preload_content=False,
            )
        except ReadTimeoutError:
            raise StoreUnavailable(f"{url} did not answer within {self.timeout:g} s.") from None
        except NewConnectionError as e:
            raise StoreUnavailable(f"The store at {url} is not reachable: {_reason(e)}.") from None
        except HTTPError as e:
            raise StoreUnavailable(f"The store at {url} failed: {_reason(e)}.") from None
        if response.status >= 300:
            raise _http_error(url, response, body[:200].decode("utf-8", "replace"))
        response.drain_conn()
        response.release_conn()
