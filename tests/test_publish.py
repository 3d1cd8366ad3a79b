"""`aikg publish` against real Oxigraph servers: atomic replacement, failed publishes keep the old version."""

from __future__ import annotations

import threading

import pytest
import requests
from conftest import TINY
from oxigraph_server import OxigraphServer

from aikg.cli import cli
from aikg.errors import StoreInconsistent, StoreUnavailable
from aikg.ingest.files import sources
from aikg.ingest.load import build_memory_store
from aikg.ingest.publish import publish
from aikg.resources import default_data, default_ontology
from aikg.store.remote import STAGING_PREFIX, RemoteStore

pytestmark = pytest.mark.remote

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
ONTOLOGY = default_ontology()
TINY_SOURCES = sources([TINY], ONTOLOGY)
FULL_SOURCES = sources(default_data(), ONTOLOGY)


def count(store) -> int:
    return int(store.query(COUNT).rows[0][0].value)


def all_graphs(server) -> set[str]:
    """Every named graph on the server, staging ones included (asked without a dataset)."""
    r = requests.post(server.query_url, data={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }"},
                      headers={"Accept": "application/sparql-results+json"}, timeout=10)
    r.raise_for_status()
    return {b["g"]["value"] for b in r.json()["results"]["bindings"]}


@pytest.fixture()
def server(tmp_path):
    s = OxigraphServer(tmp_path / "oxigraph").start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def expected():
    """Triple counts of the embedded builds, which the published versions must equal."""
    return {"tiny": len(build_memory_store(TINY_SOURCES)), "full": len(build_memory_store(FULL_SOURCES))}


def test_the_session_server_holds_what_embedded_holds(oxigraph, full_app):
    remote, embedded = RemoteStore(oxigraph.query_url), full_app.extensions["aikg"]
    per_graph = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    assert sorted(remote.query(per_graph).rows) == sorted(embedded.query(per_graph).rows)
    assert not any(g.startswith(STAGING_PREFIX) for g in all_graphs(oxigraph))


def _watch_counts(reader, work):
    """Run `work` while a thread counts the reader's triples as fast as it can; return what it saw."""
    seen, errors, stop = set(), [], threading.Event()

    def read():
        while not stop.is_set():
            try:
                seen.add(count(reader))
            except Exception as e:  # any failure is a test failure
                errors.append(e)

    thread = threading.Thread(target=read)
    thread.start()
    try:
        work()
    finally:
        stop.set()
        thread.join()
    assert not errors
    return seen


def test_republish_of_the_same_files_is_atomic_for_readers(server, tmp_path):
    data = tmp_path / "events.nt"
    label = "<http://www.w3.org/2000/01/rdf-schema#label>"
    small = "".join(f'<https://w3id.org/ai-history/resource/E{i}> {label} "e{i}" .\n' for i in range(300))
    large = small + "".join(f'<https://w3id.org/ai-history/resource/F{i}> {label} "f{i}" .\n' for i in range(3000))
    srcs = sources([data], ONTOLOGY)
    data.write_text(small, encoding="utf-8")
    publish(srcs, server.query_url)
    reader = RemoteStore(server.query_url, timeout=10)
    n_small = count(reader)

    def work():
        for text in (large, small, large):
            data.write_text(text, encoding="utf-8")
            publish(srcs, server.query_url, batch_bytes=50_000)

    seen = _watch_counts(reader, work)
    assert seen <= {n_small, n_small + 3000} and len(seen) == 2
    assert not any(g.startswith(STAGING_PREFIX) for g in all_graphs(server))


def test_republish_into_one_graph_is_atomic_whatever_the_files(server, expected):
    target = "https://example.org/graph/aikg"
    publish(TINY_SOURCES, server.query_url, graph=target)
    reader = RemoteStore(server.query_url, timeout=10)
    assert count(reader) == expected["tiny"]
    results = []

    def work():
        results.append(publish(FULL_SOURCES, server.query_url, graph=target))
        results.append(publish(TINY_SOURCES, server.query_url, graph=target))

    seen = _watch_counts(reader, work)
    assert seen <= {expected["tiny"], expected["full"]}
    assert results[1].previous == results[0].version
    assert count(reader) == expected["tiny"]


def test_sparql_update_path_keeps_blank_nodes_whole(server, tmp_path):
    data = tmp_path / "blanks.ttl"
    data.write_text(
        "@prefix aikg: <https://w3id.org/ai-history/ontology/> .\n"
        "@prefix aikgr: <https://w3id.org/ai-history/resource/> .\n"
        "aikgr:X aikg:measurement [ a aikg:Measurement ; aikg:value 3.57 ] ,\n"
        "    [ a aikg:Measurement ; aikg:value 4.9 ] .\n",
        encoding="utf-8",
    )
    srcs = sources([data], ONTOLOGY)
    result = publish(srcs, server.query_url, use_graph_store=False, batch_bytes=1024)
    assert result.method == "update"
    text = ("PREFIX aikg: <https://w3id.org/ai-history/ontology/> SELECT ?v ?t WHERE { "
            "<https://w3id.org/ai-history/resource/X> aikg:measurement ?m . ?m aikg:value ?v ; a ?t }")
    mine = RemoteStore(server.query_url).query(text)
    theirs = build_memory_store(srcs).query(text)
    # Each node keeps its value and every type, asserted or inferred into another graph: no node was split.
    assert sorted(map(str, mine.rows)) == sorted(map(str, theirs.rows))
    assert len({str(r[0]) for r in mine.rows}) == 2


def test_one_graph_with_graph_option(server, expected):
    target = "https://example.org/graph/aikg"
    publish(TINY_SOURCES, server.query_url, graph=target)
    store = RemoteStore(server.query_url)
    assert store.graph_names() == [target]
    assert count(store) == expected["tiny"]


def test_invalid_file_keeps_the_old_version(server, runner, tmp_path, expected):
    assert runner.invoke(cli, ["publish", "--endpoint", server.query_url, "--no-validate", str(TINY)]).exit_code == 0
    before = RemoteStore(server.query_url).info
    broken = tmp_path / "broken.ttl"
    broken.write_text("@prefix aikg: <https://w3id.org/ai-history/ontology/> .\naikg:x aikg:y .\n", encoding="utf-8")
    result = runner.invoke(cli, ["publish", "--endpoint", server.query_url, "--no-validate", str(broken)])
    assert result.exit_code == 1
    assert "broken.ttl" in result.output
    after = RemoteStore(server.query_url)
    assert after.info == before and count(after) == expected["tiny"]


def test_store_dying_mid_upload_keeps_the_old_version(tmp_path, expected):
    location = tmp_path / "oxigraph"
    server = OxigraphServer(location).start()
    try:
        publish(TINY_SOURCES, server.query_url)
        old = RemoteStore(server.query_url).info

        def die(sent, total):
            if sent < total:
                server.kill()

        with pytest.raises(StoreUnavailable) as e:
            publish(FULL_SOURCES, server.query_url, batch_bytes=1_000_000, uploaded=die)
        assert "unchanged" in e.value.message
        server = OxigraphServer(location, port=server.port).start()
        store = RemoteStore(server.query_url)
        assert store.info == old and count(store) == expected["tiny"]
        assert any(g.startswith(STAGING_PREFIX) for g in all_graphs(server))  # the half upload is still there...
        publish(FULL_SOURCES, server.query_url)
        assert not any(g.startswith(STAGING_PREFIX) for g in all_graphs(server))  # ...until the next publish
        assert count(RemoteStore(server.query_url)) == expected["full"]
    finally:
        server.stop()


def test_unreachable_store_is_a_clear_error(runner, tmp_path):
    from oxigraph_server import free_port

    url = f"http://127.0.0.1:{free_port()}/query"
    result = runner.invoke(cli, ["publish", "--endpoint", url, "--no-validate", str(TINY)])
    assert result.exit_code == 3
    assert "not reachable" in result.output


def test_a_store_filled_by_other_means(server):
    """No publication record: REMOTE_GRAPH names the graph to read, and the version follows the data's size."""
    from aikg.store import remote as remote_module

    target = "https://example.org/graph/elsewhere"

    def post(lines):
        r = requests.post(server.url + "/store", params={"graph": target}, data=lines.encode(),
                          headers={"Content-Type": "application/n-triples"}, timeout=10)
        assert r.ok, r.text

    post("<http://e/a> <http://e/p> <http://e/b> .\n<http://e/b> <http://e/p> <http://e/c> .\n")
    store = RemoteStore(server.query_url, graph=target)
    assert count(store) == 2
    assert store.graph_names() == [target]
    first = store.info
    assert first == store.info  # stable while the data is
    post("<http://e/c> <http://e/p> <http://e/d> .\n")
    store._read_at -= remote_module.RECOUNT  # the size is counted again at most every RECOUNT seconds
    assert store.info.version != first.version and count(store) == 3
    # Without REMOTE_GRAPH or a record there is nothing aikg knows to serve: never the server's default graph.
    with pytest.raises(StoreInconsistent) as e:
        count(RemoteStore(server.query_url))
    assert e.value.status_code == 503 and "REMOTE_GRAPH" in e.value.message
