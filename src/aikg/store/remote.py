"""The remote store: the Store interface over any SPARQL 1.1 Protocol endpoint (Oxigraph server,
Virtuoso 7, Fuseki, GraphDB, QLever).

Dataset. ``aikg publish`` keeps the named graphs of the embedded store (graph/ontology, graph/<file>,
graph/inferred) and describes the publication in one more graph (:mod:`aikg.store.record`): version,
date, files, and each graph with its number of triples and a checksum. Every query is sent with those
graphs as ``default-graph-uri`` (their union is the default graph, as in the embedded store) and as
``named-graph-uri`` (so ``GRAPH ?g`` sees the same names). Naming the graphs, rather than starting the
server with a union default graph, works on every server and keeps staging graphs, the record and a
server's own system graphs out of every answer. ``REMOTE_GRAPH`` instead names one graph to read (a
store filled by other means, known by its size, counted at most every :data:`RECOUNT` seconds).
Without either a record or ``REMOTE_GRAPH`` there is nothing aikg knows to serve: every query is
refused with :class:`StoreInconsistent`, never answered from the server's whole default graph.

Never wrong silently. The record is re-read at most every :data:`REFRESH` seconds. Each version is
checked before it is served (the graphs' triple counts, and unless ``STORE_CHECK=count`` their
checksums, streamed graph by graph), then again every :data:`CHECK_INTERVAL` seconds
(``STORE_CHECK_INTERVAL``, 0: never again) in a background thread of each process, while requests go on:
a store whose graphs hold more, less or other triples than were published (a crash that lost part of a
graph, a hand edit) is refused with a 503 and a log line until it matches again.

Dialects. What must differ per store (reading Virtuoso's ``nodeID://`` blank nodes, canonical typed
values, update sizes) is in :mod:`aikg.store.dialect`, detected from the first answer's ``Server``
header or set with ``STORE_DIALECT``. The Accept header follows the query form: SPARQL results for
SELECT and ASK, an RDF syntax for CONSTRUCT and DESCRIBE (a store may answer CONSTRUCT with a table).

Errors. The store's failures are reported as the store's: 502 when it cannot be reached or fails, 504
(with Retry-After) when it does not accept a connection or answer within the time limit, 503 when the
store stops a query at its own limit or is known to be stalled; never a 400 unless the query is not
SPARQL (checked locally when the store refuses it, so a store's own compile error is a 502). Public
messages name neither the store's URL nor what it said (SQL, stack traces): those go to the log.

A stalled store (it accepts connections and never answers: a paused or swapping server) costs only
the requests that need it, and each of those at most the time limit: after a timeout the store is
probed with ``ASK {}`` in the background; if that gets no answer within :data:`PROBE_TIMEOUT` a
circuit breaker opens and every store request fails at once (503, Retry-After) while the probe is
repeated every :data:`PROBE_INTERVAL` seconds, until the store answers again. Pages and files that
need no store answer throughout.

HTTP. Queries are form-encoded POSTs on a urllib3 connection pool (keep-alive): about 0.23 ms per small
query on the loopback against 0.41 ms for SPARQLWrapper. Results are parsed by pyoxigraph while they
stream in, so a row cap stops reading early.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import IO, Any, cast

import pyoxigraph as ox
import urllib3
from urllib3.exceptions import HTTPError, NewConnectionError, ProtocolError, ReadTimeoutError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from aikg.config import Settings
from aikg.errors import (
    AikgError,
    BadQuery,
    QueryTimeout,
    StoreFailed,
    StoreInconsistent,
    StoreTimeout,
    StoreUnavailable,
)
from aikg.sparql.formats import RDF_PARSERS, RESULT_PARSERS
from aikg.sparql.lexer import VAR, lex, tokens
from aikg.sparql.query import analyse
from aikg.sparql.values import bind_values
from aikg.store import Boolean, DatasetInfo, QueryResult, Solutions, Term, Triples
from aikg.store.dialect import Dialect, detect, named
from aikg.store.embedded import _position, _syntax_message, materialise
from aikg.store.record import (
    PUBLICATION_GRAPH,
    RECORD_QUERY,
    STAGING_PREFIX,
    Digest,
    Record,
    parse_record,
)

log = logging.getLogger(__name__)

__all__ = ["PUBLICATION_GRAPH", "STAGING_PREFIX", "RemoteStore"]

#: Seconds between two reads of the publication record.
REFRESH = 1.0
#: Seconds a re-read of the record of a version being served may take: past it, the request goes on with that
#: version (a query due to re-read the record must not wait for the read and then for itself).
REREAD_TIMEOUT = 1.0
#: Seconds between two counts of a store aikg did not publish.
RECOUNT = 300.0
#: Seconds between two checks of the published graphs against their record.
CHECK_INTERVAL = 300.0
#: Seconds a check of the published graphs may take (it reads them whole: ~20 s for 270k triples on a busy
#: Virtuoso), whatever the time limit of a visitor's query.
CHECK_TIMEOUT = 600.0
#: Seconds before a failed check is tried again (a store coming back from a crash, a publish finishing).
RECHECK = 5.0
#: Seconds the probe after a timeout may take, and between two probes while the store is known stalled.
PROBE_TIMEOUT = 2.0
PROBE_INTERVAL = 1.0
#: The Retry-After of the answers refused while the store is known stalled.
STALLED_RETRY = 5

RESULTS_ACCEPT = "application/sparql-results+json, application/sparql-results+xml;q=0.8"
GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.8, application/rdf+xml;q=0.5"
# How Virtuoso writes a blank node in JSON results, and the same without its "nodeID://" prefix.
_VIRTUOSO_BLANK = (b'"type": "bnode", "value": "nodeID://', b'"type": "bnode", "value": "')
_TIMEOUT_WORDS = ("S1T00", "timeout", "time limit", "timed out", "Transaction timed out", "estimated execution time")


class RemoteStore:
    """A :class:`aikg.store.Store` over a SPARQL 1.1 endpoint; answers come back as pyoxigraph terms."""

    def __init__(
        self,
        endpoint: str,
        *,
        update_endpoint: str | None = None,
        graph: str | None = None,
        timeout: float = 30.0,
        pool_size: int = 8,
        dialect: Dialect | str | None = None,
        check: str = "checksum",
        check_interval: float = CHECK_INTERVAL,
    ) -> None:
        self.endpoint = endpoint
        self.update_endpoint = update_endpoint
        self.graph = graph
        self.timeout = timeout
        self.read_only = True
        if check not in ("checksum", "count"):
            raise ValueError(f"STORE_CHECK must be checksum or count, not {check!r}")
        self.check = check
        self.check_interval = check_interval
        self._dialect: Dialect | None = named(dialect) if isinstance(dialect, str) and dialect != "auto" else (
            dialect if isinstance(dialect, Dialect) else None)
        self._http = urllib3.PoolManager(num_pools=2, maxsize=pool_size, retries=False)
        self._lock = threading.Lock()
        self._lock_probe = threading.Lock()
        self._state: _State | None = None
        self._read_at = float("-inf")  # when the record was last read
        self._reread_short = True  # whether the next re-read of the record is bounded by REREAD_TIMEOUT
        # The circuit breaker: set while the store answers not even ASK {} (see _suspect).
        self._stalled = False
        self._prober: tuple[int, threading.Thread] | None = None
        self._checker: tuple[int, threading.Thread] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> RemoteStore:
        """Build a remote store from ENDPOINT, UPDATE_ENDPOINT, REMOTE_GRAPH, QUERY_TIMEOUT and STORE_*."""
        if not settings.endpoint:
            raise ValueError("a remote store needs the ENDPOINT setting")
        return cls(
            settings.endpoint,
            update_endpoint=settings.update_endpoint or None,
            graph=settings.remote_graph or None,
            timeout=settings.query_timeout or 30.0,
            dialect=settings.store_dialect or "auto",
            check=settings.store_check or "checksum",
            check_interval=settings.store_check_interval,
        )

    @property
    def dialect(self) -> Dialect:
        """Return the store's dialect (asking the store which it is, the first time)."""
        if self._dialect is None:
            self._select("ASK {}")  # any answer names the server; _post reads it
        assert self._dialect is not None
        return self._dialect

    # -- the Store interface ---------------------------------------------------------------------

    @property
    def cache_scope(self) -> str:
        """Name what this store answers for the per-version caches: its endpoint."""
        return self.endpoint

    @property
    def repeat_values(self) -> bool:
        """Tell whether bound parameters are written again at the end of the WHERE group (the dialect decides)."""
        return self.dialect.repeat_values

    @property
    def info(self) -> DatasetInfo:
        """Return the published version and date (re-read at most every REFRESH seconds)."""
        return self._current().info

    def query(
        self,
        text: str,
        *,
        substitutions: Mapping[str, Term] | None = None,
        default_graph: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        timeout: float | None = None,
        limit: int | None = None,
    ) -> QueryResult:
        """Run a SPARQL query on the endpoint (see :meth:`aikg.store.Store.query`)."""
        if substitutions:
            text = bind_values(text, substitutions, repeat=self.dialect.repeat_values)
        state = self._current()
        if default_graph is None and named_graphs is None:
            default_graph, named_graphs = state.default, state.parts
        elif named_graphs is None:
            named_graphs = state.parts
        dialect = self.dialect
        form = query_form(text)
        if form == "CONSTRUCT" and dialect.construct_via_select:
            split = split_construct(text)
            if split is not None:
                return self._construct_via_select(split, default_graph, named_graphs, timeout, limit)
        exact: list[str] = []
        asked = text  # what a syntax error is reported against: the query as the caller wrote it
        if dialect.double_text and form == "SELECT":
            text, exact = with_exact_doubles(text, dialect.double_text)
        fields: list[tuple[str, str]] = [("query", dialect.prologue + text)]
        fields += [("default-graph-uri", g) for g in default_graph or ()]
        fields += [("named-graph-uri", g) for g in named_graphs or ()]
        accept = GRAPH_ACCEPT if form in ("CONSTRUCT", "DESCRIBE") else RESULTS_ACCEPT
        limit_s = timeout or self.timeout
        try:
            response = self._post(self.endpoint, fields, accept, limit_s, asked)
        except StoreFailed:
            if not exact:
                raise
            # The added columns can make Virtuoso 7.2's compiler fail (SQ156) on a query it runs without them.
            log.info("asking again without the exact doubles (the store failed on them)")
            exact = []
            fields[0] = ("query", dialect.prologue + asked)
            response = self._post(self.endpoint, fields, accept, limit_s, asked)
        result = self._read(response, limit, limit_s)
        if exact and isinstance(result, Solutions):
            _take_exact_doubles(result, exact, dialect)
        return result

    def _construct_via_select(
        self, split: tuple[str, str, str], default_graph: Sequence[str] | None, named_graphs: Sequence[str] | None,
        timeout: float | None, limit: int | None,
    ) -> Triples:
        """Run a CONSTRUCT as SELECT * on the store, then instantiate its template here (see the dialect)."""
        prologue, template, select = split
        rows = self.query(select, default_graph=default_graph, named_graphs=named_graphs, timeout=timeout)
        assert isinstance(rows, Solutions)
        return instantiate_template(prologue, template, rows, limit)

    def quads(self) -> Iterator[ox.Quad]:
        """Stream every quad of the dataset, one CONSTRUCT per named graph (constant memory)."""
        for name in self._current().parts:
            graph = ox.NamedNode(name)
            for triple in self._graph_triples(name):
                yield ox.Quad(triple.subject, triple.predicate, triple.object, graph)

    def graph_names(self) -> list[str]:
        """Return the IRIs of the named graphs of the dataset."""
        return sorted(self._current().parts)

    def close(self) -> None:
        """Close the pooled connections."""
        self._http.clear()

    # -- the dataset -----------------------------------------------------------------------------

    def _current(self) -> _State:
        state = self._state
        now = time.monotonic()
        if state is not None and not state.due(now, self._read_at):
            return state.served()
        # One request refreshes; the others go on with the last state when there is one.
        if not self._lock.acquire(blocking=state is None or state.problem is not None):
            return state.served()  # type: ignore[union-attr]
        try:
            state = self._state
            if state is None or state.due(time.monotonic(), self._read_at):
                try:
                    self._state = state = self._refresh(state)
                    self._reread_short = True
                except (StoreTimeout, QueryTimeout, StoreUnavailable) as e:
                    if state is None or state.problem is not None:
                        raise
                    # The version served was checked: it stays served while the store is too slow to say more,
                    # and the next read may take the store's whole time limit (a store slow for a while).
                    self._reread_short = False
                    log.warning("the publication record could not be read again (%s); serving version %s "
                                "meanwhile", e.message, state.info.version)
                self._read_at = time.monotonic()
        finally:
            self._lock.release()
        return state.served()

    def _refresh(self, previous: _State | None) -> _State:
        serving = previous is not None and previous.problem is None
        reread = min(self.timeout, REREAD_TIMEOUT) if serving and self._reread_short else None
        record = parse_record(self._select(RECORD_QUERY, timeout=reread).dicts())
        now = time.monotonic()
        if record.info is None:
            if self.graph:
                return self._counted(previous)
            problem = StoreInconsistent(
                "The store holds no complete publication of this graph: publish it with `aikg publish`, "
                "or name the graph to serve with REMOTE_GRAPH."
            )
            if previous is None or previous.problem is None or previous.problem.message != problem.message:
                log.error("no publication record in the graph %s of %s%s", PUBLICATION_GRAPH, self.endpoint,
                          f" (staging graphs left: {', '.join(record.staging)})" if record.staging else "")
            return _State(None, [], problem=problem, checked=now)
        info = DatasetInfo(record.info.version, _iso(record.info.modified), record.info.sources)
        parts = [self.graph] if self.graph else record.names
        same = previous is not None and previous.info == info and previous.parts == parts
        if same and previous is not None and previous.problem is None:
            if self.check_interval > 0 and now - previous.checked >= self.check_interval:
                self._check_later(info, parts, record)
            return _State(info, parts, problem=None, checked=previous.checked, record=record)
        # A new version (or one refused until now) is checked before anything is served from it.
        found = self._verify(record, parts)
        return _State(info, parts, problem=found, checked=now, record=record)

    def _check_later(self, info: DatasetInfo, parts: list[str], record: Record) -> None:
        """Check the served version again in the background: the requests go on meanwhile (a sync worker
        that ran the check itself would answer nothing while it reads every graph)."""
        with self._lock_probe:
            checker = self._checker
            if checker is not None and checker[0] == os.getpid() and checker[1].is_alive():
                return
            thread = threading.Thread(target=self._check, args=(info, parts, record), name="aikg-store-check",
                                      daemon=True)
            self._checker = (os.getpid(), thread)
            thread.start()

    def _check(self, info: DatasetInfo, parts: list[str], record: Record) -> None:
        try:
            found = self._verify(record, parts)
        except AikgError as e:
            log.warning("the scheduled check of version %s did not finish (%s); tried again in %.0f s",
                        info.version, e.message, self.check_interval)
            found = None
        with self._lock:
            state = self._state
            if state is not None and state.info_or_none == info and state.parts == parts and state.problem is None:
                self._state = _State(info, parts, problem=found, checked=time.monotonic(), record=record)
                if found is not None:
                    self._read_at = time.monotonic()

    def _verify(self, record: Record, parts: Sequence[str]) -> StoreInconsistent | None:
        """Compare the served graphs with the record; return the problem found, if any (and log it)."""
        expected = {p.name: p for p in record.parts if p.name in parts}
        if record.union is not None and len(parts) > 1:
            expected[record.union.name] = record.union
        if not expected:
            return None  # REMOTE_GRAPH names a graph the record does not describe: nothing to compare
        began = time.perf_counter()
        counts = self._counts(list(expected), CHECK_TIMEOUT)
        wrong: list[str] = []
        for name, part in expected.items():
            if part.triples is not None and counts.get(name, 0) != part.triples:
                wrong.append(f"{name} holds {counts.get(name, 0)} triples where {part.triples} were published")
        if not wrong and self.check == "checksum":
            for name, part in expected.items():
                if part.checksum is None:
                    continue
                found = Digest().update(self._graph_triples(name, CHECK_TIMEOUT))
                if found.checksum != part.checksum or (part.triples is not None and found.triples != part.triples):
                    wrong.append(f"{name} holds other triples than were published ({found.triples} read back)")
        if wrong:
            log.error("refusing to serve version %s of %s: %s", record.info.version if record.info else "?",
                      self.endpoint, "; ".join(wrong))
            return StoreInconsistent(
                f"The store's graphs do not match the published version "
                f"{record.info.version if record.info else ''}: {'; '.join(wrong)}. Nothing is served from it "
                "until they match again (republish, or restore the store).",
            )
        log.info("version %s: %d graphs match their record (%s, %.2f s)", record.info.version if record.info else "?",
                 len(expected), self.check, time.perf_counter() - began)
        return None

    def _counts(self, graphs: Sequence[str], timeout: float | None = None) -> dict[str, int]:
        values = " ".join(f"<{g}>" for g in graphs)
        text = f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }} GROUP BY ?g"
        rows = self._select(text, timeout).dicts()
        return {r["g"].value: int(r["n"].value) for r in rows if "g" in r and "n" in r}

    def _counted(self, previous: _State | None) -> _State:
        """Identify data aikg did not publish by its size, dated when that size was first seen."""
        assert self.graph is not None
        parts = [self.graph]
        count_query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
        fields = [("query", count_query), ("default-graph-uri", self.graph), ("named-graph-uri", self.graph)]
        counted = self._read(self._post(self.endpoint, fields, RESULTS_ACCEPT, self.timeout, count_query), None,
                             self.timeout)
        assert isinstance(counted, Solutions)
        n = counted.rows[0][0].value if counted.rows and counted.rows[0][0] is not None else "0"
        version = hashlib.sha256(f"{self.endpoint} {self.graph} {n}".encode()).hexdigest()[:20]
        now = time.monotonic()
        if previous is not None and previous.info is not None and previous.info.version == version:
            return _State(previous.info, parts, refresh=RECOUNT, checked=now)
        modified = datetime.now(UTC).replace(microsecond=0).isoformat()
        return _State(DatasetInfo(version, modified, ()), parts, refresh=RECOUNT, checked=now)

    # -- reading ---------------------------------------------------------------------------------

    def _select(self, text: str, timeout: float | None = None) -> Solutions:
        """Run a SELECT or ASK of aikg's own on the store's own dataset (no graphs named), within `timeout`
        seconds (the store's time limit by default)."""
        limit = timeout if timeout is not None else self.timeout
        result = self._read(self._post(self.endpoint, [("query", text)], RESULTS_ACCEPT, limit, text), None, limit)
        if isinstance(result, Boolean):
            return Solutions([], [])
        assert isinstance(result, Solutions)
        return result

    def _graph_triples(self, name: str, timeout: float | None = None) -> Iterator[ox.Triple]:
        """Stream the triples of one named graph, as the embedded store would give them."""
        dialect = self.dialect
        if dialect.construct_via_select:
            exact = f"({dialect.double_text.format('?o')} AS ?d)" if dialect.double_text else ""
            text = f"SELECT ?s ?p ?o {exact} WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} }}"
            accept = "application/sparql-results+json"
        else:
            text = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} }}"
            accept = "application/n-triples"
        response = self._post(self.endpoint, [("query", text)], accept, max(timeout or 0.0, self.timeout), text)
        try:
            media = _media(response)
            if media in RESULT_PARSERS:
                body = _io(response)
                if dialect.blank_prefix and media.endswith("json"):
                    body = cast(IO[bytes], _Replacing(body, *_VIRTUOSO_BLANK))
                solutions = ox.parse_query_results(body, RESULT_PARSERS[media])
                assert isinstance(solutions, ox.QuerySolutions)
                for row in solutions:
                    o = row[2]
                    if len(row) > 3 and row[3] is not None and row[3].value:
                        o = ox.Literal(row[3].value, datatype=ox.NamedNode(_DOUBLE))
                    yield _triple(ox.Triple(row[0], row[1], o), dialect)  # type: ignore[arg-type]
            else:
                for quad in ox.parse(_io(response), RDF_PARSERS.get(media, ox.RdfFormat.N_TRIPLES)):
                    yield _triple(quad.triple, dialect)
        except SyntaxError as e:
            log.warning("the store at %s sent a graph that does not parse: %s", self.endpoint, e)
            raise StoreUnavailable("The store sent data that does not parse.") from None
        finally:
            response.close()

    def _read(self, response: urllib3.BaseHTTPResponse, limit: int | None, timeout: float) -> QueryResult:
        media = _media(response)
        dialect = self.dialect
        result: QueryResult
        try:
            if media in RESULT_PARSERS:
                body = _io(response)
                if dialect.blank_prefix and media.endswith("json"):
                    body = cast(IO[bytes], _Replacing(body, *_VIRTUOSO_BLANK))
                result = materialise(ox.parse_query_results(body, RESULT_PARSERS[media]), limit)
                if isinstance(result, Solutions) and (dialect.canonical or dialect.blank_prefix):
                    term = dialect.term
                    result.rows = [tuple(None if t is None else term(t) for t in row)  # type: ignore[misc]
                                   for row in result.rows]
            elif media in RDF_PARSERS:
                triples: list[ox.Triple] = []
                truncated = False
                for quad in ox.parse(_io(response), RDF_PARSERS[media]):
                    if limit is not None and len(triples) >= limit:
                        truncated = True
                        break
                    triples.append(_triple(quad.triple, dialect))
                result = Triples(triples, truncated)
            else:
                response.close()
                log.warning("the store at %s answered with the media type %r", self.endpoint, media)
                raise StoreUnavailable(f"The store answered with an unexpected media type {media!r}.")
        except (ReadTimeoutError, TimeoutError):
            response.close()
            self._suspect(self.endpoint)
            raise _store_timeout(timeout) from None
        except SyntaxError as e:
            response.close()
            log.warning("the store at %s sent results that do not parse: %s", self.endpoint, e)
            raise StoreUnavailable("The store sent results that do not parse.") from None
        except (OSError, HTTPError) as e:
            response.close()
            if "timed out" in str(e):
                self._suspect(self.endpoint)
                raise _store_timeout(timeout) from None
            log.warning("the store at %s broke off its answer: %s", self.endpoint, e)
            raise StoreUnavailable("The store broke off its answer.") from None
        if result.truncated:
            response.close()  # the rest of the body is not wanted: drop the connection, don't drain it
        else:
            response.drain_conn()
            response.release_conn()
        return result

    # -- HTTP --------------------------------------------------------------------------------------

    def _post(
        self, url: str, fields: list[tuple[str, str]], accept: str, timeout: float, text: str
    ) -> urllib3.BaseHTTPResponse:
        """POST a form; map transport failures and HTTP errors to the store's errors (see the module doc)."""
        if self._stalled:
            raise StoreUnavailable("The store is not answering; try again shortly.", status_code=503,
                                   retry_after=STALLED_RETRY)
        limit = urllib3.Timeout(connect=min(timeout, 5.0), read=timeout)
        for attempt in (1, 2):
            try:
                response = self._http.request(
                    "POST", url, fields=fields, encode_multipart=False, headers={"Accept": accept},
                    timeout=limit, preload_content=False,
                )
                break
            except ReadTimeoutError:
                self._suspect(url)
                raise _store_timeout(timeout) from None
            except NewConnectionError as e:
                log.warning("the store at %s is not reachable: %s", url, _reason(e))
                raise StoreUnavailable("The store is not reachable.") from None
            except Urllib3Timeout:
                log.warning("the store at %s did not accept a connection within %.1f s", url, limit.connect_timeout)
                raise StoreTimeout("The store did not accept a connection in time.") from None
            except ProtocolError as e:
                # A kept-alive connection the server had closed: retry once on a fresh one (queries are idempotent).
                if attempt == 2:
                    log.warning("the store at %s dropped the connection: %s", url, _reason(e))
                    raise StoreUnavailable("The store dropped the connection.") from None
            except HTTPError as e:
                log.warning("the store at %s failed: %s", url, _reason(e))
                raise StoreUnavailable("The store failed to answer.") from None
        if self._dialect is None:
            self._dialect = detect(response.headers.get("Server"))
            log.info("the store at %s speaks the %s dialect", url, self._dialect.name)
        if response.status >= 300:
            raise http_error(url, response, text)
        if (response.headers.get("X-SQL-State") or "").upper() == "S1TAT":
            # Virtuoso's "anytime" answer: stopped at its own time limit, it sends the rows found so far with
            # 200 OK and says so only in this header. A part of the answer is never served as the answer.
            response.release_conn()
            log.warning("the store at %s sent an incomplete answer (X-SQL-State S1TAT: %s)", url,
                        response.headers.get("X-SQL-Message", "")[:300])
            raise QueryTimeout("The store stopped the query at its own time limit and sent only part of the "
                               "answer, which aikg does not serve. Narrow the query (add LIMIT, more specific "
                               "patterns).")
        return response

    def _suspect(self, url: str) -> None:
        """After a timeout, tell a slow query from a stalled store in the background: probe it with ASK {}.

        If the probe gets no answer within PROBE_TIMEOUT the breaker opens: every request fails at once (503,
        Retry-After) instead of holding a worker for the full time limit, and the probe is repeated every
        PROBE_INTERVAL until the store answers again. Each process has its own breaker (workers are forked).
        """
        with self._lock_probe:
            prober = self._prober
            if prober is not None and prober[0] == os.getpid() and prober[1].is_alive():
                return
            thread = threading.Thread(target=self._probe, args=(url,), name="aikg-store-probe", daemon=True)
            self._prober = (os.getpid(), thread)
            thread.start()

    def _probe(self, url: str) -> None:
        while True:
            began = time.monotonic()
            try:
                probe = self._http.request(
                    "POST", url, fields=[("query", "ASK {}")], encode_multipart=False,
                    headers={"Accept": RESULTS_ACCEPT},
                    timeout=urllib3.Timeout(connect=PROBE_TIMEOUT, read=PROBE_TIMEOUT),
                )
                answered = probe.status < 500
            except HTTPError:
                answered = False
            if answered:
                if self._stalled:
                    log.warning("the store at %s answers again: serving its requests", url)
                self._stalled = False
                return
            if not self._stalled:
                log.error("the store at %s does not answer ASK {} within %.0f s: failing its requests at once "
                          "until it does", url, PROBE_TIMEOUT)
            self._stalled = True
            time.sleep(max(0.0, PROBE_INTERVAL - (time.monotonic() - began)))


def split_construct(text: str) -> tuple[str, str, str] | None:
    """Split a CONSTRUCT into its prologue, its template and the same query as SELECT * (None if it cannot be)."""
    query = analyse(text, max_depth=None)
    toks, source = query.tokens, query.text
    at = next((i for i, t in enumerate(toks) if t.depth == 0 and t.keyword == "CONSTRUCT"), None)
    if at is None or query.where_open < 0:
        return None
    if any(t.keyword in ("GROUP", "HAVING") for t in toks[at:]):
        return None  # SELECT * cannot group: such a CONSTRUCT goes to the store as written
    prologue = source[: toks[at].start]
    if query.short_construct >= 0:
        # CONSTRUCT WHERE { T }: the template is the pattern itself.
        pattern = source[toks[query.where_open].end : toks[query.where_close].start]
        return prologue, pattern, f"{prologue}SELECT *{source[toks[at].end:]}"
    open_ = at + 1
    close = next(k for k in range(open_ + 1, len(toks)) if toks[k].depth == 0 and toks[k].text == "}")
    template = source[toks[open_].end : toks[close].start]
    return prologue, template, f"{prologue}SELECT *{source[toks[close].end:]}"


_BLANK_IRI = "urn:x-aikg-blank:"
_DOUBLE = "http://www.w3.org/2001/XMLSchema#double"


def instantiate_template(prologue: str, template: str, rows: Solutions, limit: int | None) -> Triples:
    """Build the triples of a CONSTRUCT template from the rows of its pattern, with the embedded engine."""
    def cell(term: Term | None) -> str:
        if term is None:
            return "UNDEF"
        if isinstance(term, ox.BlankNode):  # VALUES cannot hold blank nodes: carry them as IRIs
            return f"<{_BLANK_IRI}{term.value}>"
        return str(term)

    names = " ".join(f"?{v}" for v in rows.variables)
    data = " ".join("(" + " ".join(cell(t) for t in row) + ")" for row in rows.rows)
    text = f"{prologue}CONSTRUCT {{{template}}} WHERE {{ VALUES ({names}) {{ {data} }} }}"
    out: list[ox.Triple] = []
    truncated = rows.truncated
    built = _EMPTY.query(text)
    assert isinstance(built, ox.QueryTriples)
    for triple in built:
        if limit is not None and len(out) >= limit:
            truncated = True
            break
        s, o = _unblank(triple.subject), _unblank(triple.object)
        out.append(ox.Triple(s, triple.predicate, o))  # type: ignore[arg-type]
    return Triples(out, truncated)


def _unblank(term: Any) -> Any:
    if isinstance(term, ox.NamedNode) and term.value.startswith(_BLANK_IRI):
        return ox.BlankNode(term.value[len(_BLANK_IRI):])
    return term


_EXACT = "__aikg_exact_"
#: The aggregates whose value can be a double as it is: a projected ``(SUM(?x) AS ?v)`` is written again; other
#: expressions are not (Virtuoso 7.2 fails to compile, SQ156, some SELECTs where an expression over aggregates,
#: or a GROUP_CONCAT beside a double, is written again).
_DOUBLE_AGGREGATES = frozenset({"SUM", "MIN", "MAX", "AVG"})


def with_exact_doubles(text: str, template: str) -> tuple[str, list[str]]:
    """Add to a SELECT one column per projected variable or expression that writes a double exactly (see the
    dialect's ``double_text``); return the text and the variables. ``SELECT *`` is left as it is.

    A plain variable is written as itself; ``(SUM(…) AS ?v)``, and MIN, MAX and AVG, as that aggregate
    again (computed once more, which a GROUP BY allows: a plain variable of a grouped SELECT is one of its keys).
    Other expressions are left as the store writes them."""
    try:
        query = analyse(text, max_depth=None)
    except BadQuery:
        return text, []
    if query.form != "SELECT" or not query.projection:
        return text, []
    toks = query.tokens
    at = next((k for k, t in enumerate(toks) if t.depth == 0 and t.keyword == "SELECT"), None)
    if at is None:
        return text, []
    source = query.text
    columns: list[tuple[str, str]] = []  # (variable, what writes it)
    k = at + 1
    while k < len(toks) and toks[k].keyword in ("DISTINCT", "REDUCED"):
        k += 1
    while k < len(toks):
        if toks[k].kind == VAR:
            columns.append((toks[k].text[1:], toks[k].text))
            k += 1
        elif toks[k].text == "(" and toks[k].depth == 0:
            close = next((j for j in range(k + 1, len(toks)) if toks[j].depth == 0 and toks[j].text == ")"), None)
            if close is None or close - k < 4 or toks[close - 2].keyword != "AS" or toks[close - 1].kind != VAR:
                return text, []
            call = toks[k + 1].keyword in _DOUBLE_AGGREGATES and toks[k + 2].text == "(" and next(
                (j for j in range(k + 3, close) if toks[j].depth == toks[k + 2].depth and toks[j].text == ")"),
                None) == close - 3
            if call:
                expression = source[toks[k].end:toks[close - 2].start].strip()
                columns.append((toks[close - 1].text[1:], f"({expression})"))
            k = close + 1
        else:
            break
    if not columns or k >= len(toks) or not (toks[k].text == "{" or toks[k].keyword in ("WHERE", "FROM")):
        return text, []  # SELECT *, or a projection not understood: left as written
    extra = " ".join(f"({template.format(written)} AS ?{_EXACT}{name})" for name, written in columns)
    cut = toks[k - 1].end
    return f"{source[:cut]} {extra}{source[cut:]}", [name for name, _ in columns]


def _take_exact_doubles(result: Solutions, names: Sequence[str], dialect: Dialect) -> None:
    """Put the exact doubles of the added columns into their variables, and drop those columns."""
    index = {v: i for i, v in enumerate(result.variables)}
    kept = [i for i, v in enumerate(result.variables) if not v.startswith(_EXACT)]
    pairs = [(index[n], index[_EXACT + n]) for n in names if n in index and _EXACT + n in index]
    rows = []
    for row in result.rows:
        cells = list(row)
        for i, j in pairs:
            lexical = row[j]
            if lexical is not None and lexical.value:
                cells[i] = cast(Term, dialect.term(ox.Literal(lexical.value, datatype=ox.NamedNode(_DOUBLE))))
        rows.append(tuple(cells[i] for i in kept))
    result.variables = [result.variables[i] for i in kept]
    result.rows = rows


def query_form(text: str) -> str:
    """Return the form of a query (SELECT, ASK, CONSTRUCT, DESCRIBE), reading past its prologue."""
    for tok in tokens(text):
        word = tok.keyword
        if word in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
            return word
        if tok.text == "{":
            break
    return "SELECT"


class _State:
    """What the store serves now: the version, its graphs, and the problem found by the last check."""

    __slots__ = ("info_or_none", "parts", "default", "problem", "refresh", "checked", "record")

    def __init__(
        self, info: DatasetInfo | None, parts: list[str], *, problem: StoreInconsistent | None = None,
        refresh: float = REFRESH, checked: float = 0.0, record: Record | None = None,
    ) -> None:
        self.info_or_none = info
        self.parts = parts
        # The default graph: the union graph where the record names one, else the graphs themselves.
        union = record.union if record is not None else None
        self.default = [union.name] if union is not None and len(parts) > 1 else parts
        self.problem = problem
        self.refresh = RECHECK if problem is not None else refresh
        self.checked = checked
        self.record = record

    @property
    def info(self) -> DatasetInfo:
        assert self.info_or_none is not None
        return self.info_or_none

    def due(self, now: float, read_at: float) -> bool:
        return now - read_at >= self.refresh

    def served(self) -> _State:
        """Return this state if it may be served, else raise its problem."""
        if self.problem is not None:
            raise self.problem
        return self


def _triple(triple: ox.Triple, dialect: Dialect) -> ox.Triple:
    if not (dialect.canonical or dialect.blank_prefix):
        return triple
    s, o = dialect.term(triple.subject), dialect.term(triple.object)
    if s is triple.subject and o is triple.object:
        return triple
    assert not isinstance(s, ox.Literal)
    return ox.Triple(s, triple.predicate, o)


def _media(response: urllib3.BaseHTTPResponse) -> str:
    return (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()


def _io(response: urllib3.BaseHTTPResponse) -> IO[bytes]:
    return cast(IO[bytes], response)  # an io.IOBase: pyoxigraph reads it as the body arrives


class _Replacing(io.RawIOBase):
    """A body read with one byte string replaced by another, as it streams in."""

    def __init__(self, raw: IO[bytes], old: bytes, new: bytes) -> None:
        self._raw, self._old, self._new = raw, old, new
        self._out = b""
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        keep = len(self._old) - 1  # a pattern may be cut between two reads
        while not self._out:
            chunk = self._raw.read(1 << 16)
            if not chunk:
                self._out, self._pending = self._pending, b""
                if not self._out:
                    return 0
                break
            data = (self._pending + chunk).replace(self._old, self._new)
            self._out, self._pending = data[: max(0, len(data) - keep)], data[max(0, len(data) - keep):]
        n = min(len(buffer), len(self._out))
        buffer[:n] = self._out[:n]
        self._out = self._out[n:]
        return n


def _iso(value: str) -> str:
    """Write a date as the embedded store does (stores canonicalise xsd:dateTime, e.g. +00:00 -> Z)."""
    try:
        return datetime.fromisoformat(value).isoformat()
    except ValueError:
        return value


def _store_timeout(seconds: float) -> StoreTimeout:
    return StoreTimeout(f"The store did not answer within {seconds:g} s; try again shortly (if the same query "
                        "keeps failing, narrow it: add LIMIT, more specific patterns).", retry_after=STALLED_RETRY)


def _reason(e: Exception) -> str:
    reason = getattr(e, "reason", None) or e
    text = str(reason)
    if "Connection refused" in text or "Errno 111" in text:
        return "connection refused"
    return text.split(": ", 1)[-1] if text.startswith("<") else text


_EMPTY = ox.Store()


def local_syntax_error(text: str) -> BadQuery | None:
    """Return the syntax error the embedded engine finds in a query, or None when it is valid SPARQL.

    Only parsing happens: results are lazy and never read; an ASK (evaluated at once) is checked as a SELECT.
    """
    try:
        decoded = lex(text, max_depth=None)
    except BadQuery as e:
        return e
    checked = decoded.text
    for tok in decoded.tokens:
        if tok.keyword == "ASK":
            checked = checked[: tok.start] + "SELECT (1 AS ?__aikg_ask)" + checked[tok.end:]
            break
        if tok.keyword in ("SELECT", "CONSTRUCT", "DESCRIBE") or tok.text == "{":
            break
    try:
        _EMPTY.query(checked)
    except SyntaxError as e:
        return BadQuery(_syntax_message(str(e)), details=_position(str(e)))
    except (ValueError, TypeError, RuntimeError) as e:
        return BadQuery(str(e))
    return None


def http_error(
    url: str, response: urllib3.BaseHTTPResponse, text: str, *, query: bool = True, public: bool = True
) -> AikgError:
    """Map a store's HTTP error to aikg's: log what the store said, tell the client only what it means.

    A 400 for a query that is not SPARQL is the query's (BadQuery, with the embedded engine's message);
    for valid SPARQL, or for one of aikg's own updates, it is the store's failure. `public=False` (the
    operator's commands) adds the first line of what the store said, without the text it quotes back.
    """
    status = response.status
    try:
        body = response.read(8192).decode("utf-8", "replace").strip()
    except (HTTPError, OSError):
        body = ""
    retry = response.headers.get("Retry-After")
    response.close()
    log.warning("the store at %s answered HTTP %s: %s\n-- to: %s", url, status, body[:2000],
                text[:1000].replace("\n", " "))
    said = body.split("SPARQL query:", 1)[0][:500].lower()  # Virtuoso quotes the query after its message
    if "estimated execution time" in said:
        # Refused before it ran, on the planner's estimate, which for joins in the written order (the Virtuoso
        # dialect's prologue) is often hours for a query that takes milliseconds.
        log.warning("the store refused a query on its cost estimate: set MaxQueryCostEstimationTime = 0 in the "
                    "[SPARQL] section of virtuoso.ini (MaxQueryExecutionTime and aikg's time limit still apply)")
    if any(word.lower() in said for word in _TIMEOUT_WORDS):
        return QueryTimeout("The store stopped the query at its own time limit. Narrow the query (add LIMIT, "
                            "more specific patterns).")
    if status == 400 and query:
        mistake = local_syntax_error(text)
        if mistake is not None:
            return mistake
        return StoreFailed("The store could not run this query, though it is valid SPARQL 1.1; "
                           "the store's answer was logged.")
    if status == 400 and not public:
        first = body.split("SPARQL query:", 1)[0].strip().splitlines()
        return StoreUnavailable(f"The store refused aikg's update (HTTP 400): {first[0][:300] if first else ''}")
    if status in (503, 429):
        return StoreUnavailable("The store is overloaded or restarting; try again shortly.", status_code=503,
                                retry_after=int(retry) if retry and retry.isdigit() else None)
    hint = ""
    if not public:
        first = body.split("SPARQL query:", 1)[0].strip().splitlines()
        hint = f": {first[0][:300]}" if first else ""
    if status in (401, 403):
        grant = ' (Virtuoso: GRANT SPARQL_UPDATE TO "SPARQL";)' if not public else ""
        return StoreUnavailable(f"The store refused aikg's request (HTTP {status}){hint}: "
                                f"check its permissions{grant}.")
    return StoreFailed(f"The store failed (HTTP {status}){hint}.")
