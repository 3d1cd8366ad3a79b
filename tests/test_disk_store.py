"""The on-disk store: versions side by side, an atomic `current` symlink, watching for new versions."""

from __future__ import annotations

import json
import os
import threading
import time

import pytest
import requests
from conftest import TINY, LiveServer

from aikg.errors import StoreUnavailable
from aikg.ingest.files import sources
from aikg.ingest.load import build_memory_store, load
from aikg.resources import default_data, default_ontology
from aikg.store import Store
from aikg.store.disk import CHECK_EVERY, CURRENT, VERSIONS, clean, current_version, open_disk_store
from aikg.web.app import create_app

ONTOLOGY = default_ontology()
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
PER_GRAPH = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


def count(store) -> int:
    return int(store.query(COUNT).rows[0][0].value)


def test_layout_and_same_answers_as_memory(tmp_path):
    srcs = sources(default_data(), ONTOLOGY)
    result = load(tmp_path, srcs)
    link = tmp_path / CURRENT
    assert link.is_symlink() and not os.path.isabs(os.readlink(link))
    assert current_version(tmp_path) == result.path.resolve()
    assert result.path.parent == tmp_path / VERSIONS
    assert (result.path / "store").is_dir()
    info = json.loads((result.path / "info.json").read_text())
    memory = build_memory_store(srcs)
    assert info["triples"] == len(memory) == result.info.triples

    disk = open_disk_store(tmp_path)
    assert isinstance(disk, Store)
    assert disk.info == memory.info  # same version hash and date as the in-memory build of the same files
    assert sorted(disk.query(PER_GRAPH).rows) == sorted(memory.query(PER_GRAPH).rows)
    assert disk.graph_names() == memory.graph_names()


def test_versions_are_pruned_keeping_the_previous_one(tmp_path):
    tiny = sources([TINY], ONTOLOGY)
    first = load(tmp_path, tiny)
    second = load(tmp_path, tiny)
    third = load(tmp_path, tiny)
    assert second.previous == first.path.name and third.previous == second.path.name
    names = sorted(p.name for p in (tmp_path / VERSIONS).iterdir())
    assert names == sorted([second.path.name, third.path.name])
    assert current_version(tmp_path) == third.path.resolve()


def test_no_version_yet_is_a_clear_error(tmp_path):
    with pytest.raises(StoreUnavailable) as e:
        open_disk_store(tmp_path)
    assert "aikg load" in e.value.message


def test_read_write_is_refused(tmp_path):
    load(tmp_path, sources([TINY], ONTOLOGY))
    with pytest.raises(ValueError):
        open_disk_store(tmp_path, read_only=False)


def test_leftovers_of_a_dead_load_are_cleaned(tmp_path):
    load(tmp_path, sources([TINY], ONTOLOGY))
    (tmp_path / VERSIONS / ".tmp-dead").mkdir()
    (tmp_path / VERSIONS / ".tmp-dead" / "junk").write_text("x")
    os.symlink("versions/nowhere", tmp_path / ".tmp-current-999")
    assert len(clean(tmp_path)) == 2
    assert not list((tmp_path / VERSIONS).glob(".tmp-*")) and not list(tmp_path.glob(".tmp-*"))


def test_watch_follows_current_and_old_queries_finish(tmp_path):
    load(tmp_path, sources([TINY], ONTOLOGY))
    watching, fixed = open_disk_store(tmp_path, watch=True), open_disk_store(tmp_path)
    before = count(watching)
    old = watching.live()
    load(tmp_path, sources(default_data(), ONTOLOGY))
    deadline = time.monotonic() + 10 * CHECK_EVERY
    while count(watching) == before and time.monotonic() < deadline:
        time.sleep(0.05)  # the store looks at the symlink at most every CHECK_EVERY seconds
    after = count(watching)
    assert after > before
    assert count(old) == before  # a query on the old version still runs (it is kept as the previous one)
    assert count(fixed) == before  # without watching, a store stays on the version it opened


def test_server_picks_up_a_new_version_without_failing_a_request(tmp_path):
    load(tmp_path, sources([TINY], ONTOLOGY))
    app = create_app({"STORE": str(tmp_path), "WATCH": True, "TESTING": True})
    server = LiveServer(app).start()
    before = count(open_disk_store(tmp_path))
    statuses, seen, stop = [], set(), threading.Event()

    def read():
        session = requests.Session()
        while not stop.is_set():
            r = session.get(server.url + "/sparql", params={"query": COUNT},
                            headers={"Accept": "application/sparql-results+json"}, timeout=10)
            statuses.append(r.status_code)
            if r.ok:
                seen.add(int(r.json()["results"]["bindings"][0]["n"]["value"]))

    thread = threading.Thread(target=read)
    thread.start()
    try:
        after = load(tmp_path, sources(default_data(), ONTOLOGY)).info.triples
        deadline = time.monotonic() + 10 * CHECK_EVERY
        while after not in seen and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join()
        server.stop()
    assert statuses and set(statuses) == {200}
    assert seen == {before, after}
