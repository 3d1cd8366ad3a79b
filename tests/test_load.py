"""`aikg load`: validation first, bulk load into a new version, atomic switch; a killed load changes nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import TINY

from aikg.cli import cli
from aikg.store.disk import CURRENT, VERSIONS, current_version, open_disk_store

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
SHAPES = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix aikg: <https://w3id.org/ai-history/ontology/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
aikg:MilestoneShape a sh:NodeShape ; sh:targetClass aikg:Milestone ;
    sh:property [ sh:path rdfs:label ; sh:minCount 1 ] .
"""


def count(store) -> int:
    return int(store.query(COUNT).rows[0][0].value)


def test_load_then_query(runner, tmp_path):
    store = tmp_path / "store"
    result = runner.invoke(cli, ["load", str(TINY), "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert "triples/s" in result.output and "current ->" in result.output
    disk = open_disk_store(store)
    # tiny.ttl: the test era has exactly two milestones.
    rows = disk.query("SELECT ?m WHERE { <https://w3id.org/ai-history/resource/Test_Era> "
                      "<https://w3id.org/ai-history/ontology/hasMilestone> ?m }").rows
    assert len(rows) == 2


def test_invalid_data_is_refused_with_the_report_and_the_store_untouched(runner, tmp_path):
    store, shapes, bad = tmp_path / "store", tmp_path / "shapes.ttl", tmp_path / "bad.ttl"
    shapes.write_text(SHAPES, encoding="utf-8")
    bad.write_text("@prefix aikg: <https://w3id.org/ai-history/ontology/> .\n"
                   "<https://w3id.org/ai-history/resource/Nameless> a aikg:Milestone .\n", encoding="utf-8")
    assert runner.invoke(cli, ["load", str(TINY), "--store", str(store), "--shapes", str(shapes)]).exit_code == 0
    live = current_version(store)
    result = runner.invoke(cli, ["load", str(bad), "--store", str(store), "--shapes", str(shapes)])
    assert result.exit_code == 1
    assert "does not conform" in result.output and "Nameless" in result.output
    assert current_version(store) == live
    assert [p.name for p in (store / VERSIONS).iterdir()] == [live.name]
    # With validation off the same file loads (and has no label).
    assert runner.invoke(cli, ["load", str(bad), "--store", str(store), "--no-validate"]).exit_code == 0


def test_syntax_error_is_refused(runner, tmp_path):
    store, bad = tmp_path / "store", tmp_path / "bad.nt"
    bad.write_text("<http://e/s> <http://e/p> .\n", encoding="utf-8")
    assert runner.invoke(cli, ["load", str(TINY), "--store", str(store)]).exit_code == 0
    live = current_version(store)
    result = runner.invoke(cli, ["load", str(bad), "--store", str(store), "--no-validate"])
    assert result.exit_code == 1 and "bad.nt" in result.output
    assert current_version(store) == live
    assert not list((store / VERSIONS).glob(".tmp-*"))


@pytest.mark.slow
def test_kill_9_midway_leaves_the_old_version(runner, tmp_path):
    store, big = tmp_path / "store", tmp_path / "big.nt"
    assert runner.invoke(cli, ["load", str(TINY), "--store", str(store)]).exit_code == 0
    live = current_version(store)
    before = count(open_disk_store(store))
    assert runner.invoke(cli, ["generate", "--milestones", "4000", "--seed", "1", "-o", str(big)]).exit_code == 0
    process = subprocess.Popen([sys.executable, "-m", "aikg", "load", str(big), "--store", str(store), "--no-validate"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait until the new version's store is being written
            building = list((store / VERSIONS).glob(".tmp-*/store/*"))
            if len(building) > 3 or process.poll() is not None:
                break
            time.sleep(0.01)
        assert process.poll() is None, "the load finished before it could be killed: use a bigger file"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL
    assert current_version(store) == live and (store / CURRENT).is_symlink()
    assert count(open_disk_store(store)) == before
    assert list((store / VERSIONS).glob(".tmp-*"))  # the half-built version is left behind...
    assert runner.invoke(cli, ["load", str(TINY), "--store", str(store)]).exit_code == 0
    assert not list((store / VERSIONS).glob(".tmp-*"))  # ...and cleaned by the next load
    assert count(open_disk_store(store)) == before


def test_serving_files_parses_each_once_for_shacl_and_the_store(monkeypatch):
    import pyoxigraph

    from aikg.resources import default_data, default_ontology, default_shapes
    from aikg.web.app import create_app

    parsed: list[str] = []
    real = pyoxigraph.parse

    def counting(*args, **kwargs):
        parsed.append(kwargs.get("base_iri") or "")
        return real(*args, **kwargs)

    monkeypatch.setattr(pyoxigraph, "parse", counting)
    app = create_app({"TESTING": True})  # the shipped data, validated
    files = [p.resolve().as_uri() for p in (*default_data(), *default_ontology(), *default_shapes())]
    assert sorted(parsed) == sorted(files)  # every file once: SHACL and the store got the same triples
    assert app.extensions["aikg"].info.sources
