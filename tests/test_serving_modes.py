"""`aikg serve` over an on-disk store (engines open it themselves, and follow new versions) and a remote store."""

from __future__ import annotations

import time

import pytest
import requests
from conftest import TINY
from test_serve import ServeProcess

from aikg.ingest.files import sources
from aikg.ingest.load import load
from aikg.resources import default_ontology

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
EXTRA = """@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/ai-history/resource/Test_Extra> rdfs:label "An extra resource"@en .
"""


def count(server: ServeProcess) -> int:
    r = requests.get(server.url + "/sparql", params={"query": COUNT}, timeout=10,
                     headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def test_an_on_disk_store_is_served_by_the_engines_and_new_versions_are_followed(tmp_path):
    root = tmp_path / "store"
    load(root, sources([TINY], default_ontology()))
    server = ServeProcess("--store", str(root), "--watch", "--workers", "2", env={"AIKG_ENGINES": "2"})
    try:
        server.wait_ready()
        before = count(server)
        extra = tmp_path / "extra.ttl"
        extra.write_text(EXTRA)
        load(root, sources([TINY, extra], default_ontology()))
        deadline = time.monotonic() + 15
        while (now := count(server)) == before and time.monotonic() < deadline:
            time.sleep(0.2)
        assert now > before
        # Each web process and each engine looks for a new version on its own (at most every second), so
        # the other web process may serve the old one a moment longer.
        while (page := requests.get(server.url + "/resource/Test_Extra.html", timeout=10)).status_code == 404 \
                and time.monotonic() < deadline:
            time.sleep(0.2)
        assert page.status_code == 200 and "An extra resource" in page.text
    finally:
        server.stop()


def test_serving_a_store_folder_without_a_version_fails_with_the_message(tmp_path):
    server = ServeProcess("--store", str(tmp_path / "empty"), env={"AIKG_ENGINES": "1"})
    try:
        server.proc.wait(timeout=60)
        assert server.proc.returncode != 0
        assert "aikg load" in server.output()
    finally:
        server.stop()


@pytest.mark.remote
def test_a_remote_store_is_served_with_its_own_time_limit(oxigraph):
    server = ServeProcess("--endpoint", oxigraph.query_url, "--workers", "2", "--timeout", "5")
    try:
        server.wait_ready()
        assert count(server) > 1000  # the shipped graph, published to the Oxigraph server
        assert requests.get(server.url + "/", timeout=20).status_code == 200
        assert requests.get(server.url + "/timeline", timeout=20).status_code == 200
        assert not server.engines()  # no engine processes: the remote store runs the queries
    finally:
        server.stop()
