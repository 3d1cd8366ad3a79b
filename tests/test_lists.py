"""Lists as tables: each class's resources with its key columns, sorted, paged, and as CSV and JSON."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlparse

import pyoxigraph as ox
import pytest

from aikg.graph import listing as lst
from aikg.namespaces import ONTOLOGY
from aikg.store import select

A = ONTOLOGY
R = "https://w3id.org/ai-history/resource/"
HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def store(full_app):
    return full_app.extensions["aikg"]


def _whole(store, cls, **kw):
    """Every row of a class's list, page after page (a page holds at most MAX_SIZE rows)."""
    first = lst.listing(store, cls, size=lst.MAX_SIZE, **kw)
    rows = list(first.rows)
    for n in range(2, first.pages + 1):
        rows += lst.listing(store, cls, size=lst.MAX_SIZE, page=n, **kw).rows
    return rows


def _count(store, cls):
    (row,) = select(store, f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a <{cls}> FILTER(isIRI(?s)) }}")
    return int(row["n"].value)


@pytest.mark.parametrize("name", ["Milestone", "Person", "Organisation", "Model", "Paper", "Technique", "Event",
                                  "Era"])
def test_each_list_holds_every_resource_of_its_class(store, full_client, name):
    page = lst.listing(store, A + name, size=lst.MAX_SIZE)
    assert page.total == _count(store, A + name) and len(page.rows) == min(page.total, lst.MAX_SIZE)
    assert len(_whole(store, A + name)) == page.total
    r = full_client.get(f"/lists/{name}", headers=HTML)
    assert r.status_code == 200 and r.get_data(as_text=True).count("<tr>") >= min(page.total, lst.DEFAULT_SIZE)


def test_columns_carry_dates_makers_and_counts(store):
    page = lst.listing(store, A + "Milestone", size=lst.MAX_SIZE)
    alphago = next(r for r in page.rows if r.iri == R + "AlphaGo_defeats_Lee_Sedol_2016")
    (row,) = select(store, f"SELECT ?d ?s WHERE {{ ?s <{A}date> ?d }}", s=ox.NamedNode(alphago.iri))
    assert alphago.cells["date"].when.machine == row["d"].value
    assert [i for i, _ in alphago.cells["by"].links] == [R + "DeepMind"]
    people = select(store, f"SELECT ?p ?s WHERE {{ ?s <{A}contributor> ?p }}",
                    s=ox.NamedNode(alphago.iri))
    assert alphago.cells["people"].number == len(people)


@pytest.mark.parametrize(("cls", "key"), [("Milestone", "date"), ("Milestone", "people"), ("Person", "label"),
                                          ("Organisation", "founded"), ("Paper", "date")])
def test_sorting_both_ways_keeps_empty_cells_last(store, cls, key):
    up = _whole(store, A + cls, sort=key)
    down = _whole(store, A + cls, sort=key, desc=True)
    keys = [r.cells[key].key() for r in up if key in r.cells and r.cells[key].key()[0] == 0]
    assert keys == sorted(keys)
    filled = [r.iri for r in up if key in r.cells and r.cells[key].key()[0] == 0]
    # Ties keep one order both ways, so compare the sort keys where the rows may differ.
    assert [r.cells[key].key() if key in r.cells else None for r in down[: len(filled)]] == list(reversed(keys))
    empty_up = {r.iri for r in up[len(filled):]}
    assert empty_up == {r.iri for r in down[len(filled):]}  # empty cells last either way


def test_pages_cut_the_sorted_list(store):
    whole = _whole(store, A + "Person", sort="papers", desc=True)
    first = lst.listing(store, A + "Person", sort="papers", desc=True, page=1, size=97)
    assert first.pages == -(-len(whole) // 97)
    pages = [first] + [lst.listing(store, A + "Person", sort="papers", desc=True, page=n, size=97)
                       for n in range(2, first.pages + 1)]
    joined = [r.iri for p in pages for r in p.rows]
    assert joined == [r.iri for r in whole]


def test_csv_twin_holds_every_row_in_order(store, full_client):
    r = full_client.get("/lists/Milestone.csv?sort=date&desc=1")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    whole = lst.listing(store, A + "Milestone", sort="date", desc=True, size=lst.MAX_SIZE)
    assert [row["iri"] for row in rows] == [x.iri for x in whole.rows]
    assert rows[0]["by_iri"] and rows[0]["date"]


def test_json_twin_pages_with_a_next_link(store, full_client):
    seen, url = [], f"/lists/Person.json?size={lst.MAX_SIZE}&sort=label"
    while url:
        body = full_client.get(url).get_json()
        seen += [row["iri"] for row in body["rows"]]
        url = urlparse(body["next"]).path + "?" + urlparse(body["next"]).query if body["next"] else None
    assert seen == [r.iri for r in _whole(store, A + "Person", sort="label")]


def test_one_eras_milestones(store, full_client):
    era = R + "Deep_Learning_Breakthrough"
    page = lst.listing(store, A + "Milestone", era=era, size=lst.MAX_SIZE)
    members = select(store, f"SELECT ?m ?s WHERE {{ ?m <{A}era> ?s }}", s=ox.NamedNode(era))
    assert {r.iri for r in page.rows} == {m["m"].value for m in members}
    assert full_client.get("/lists/Milestone?era=Deep+Learning+Breakthrough", headers=HTML).status_code == 200


@pytest.mark.parametrize("url", ["/lists/Milestone?sort=nope", "/lists/Milestone?size=0", "/lists/Milestone?size=501",
                                 "/lists/Milestone?desc=2", "/lists/Milestone?page=x",
                                 "/lists/Person?era=Deep+Learning+Breakthrough", "/lists/Milestone?era=No+Such+Era"])
def test_bad_arguments_are_400(full_client, url):
    r = full_client.get(url, headers={"Accept": "application/json"})
    assert r.status_code == 400 and r.get_json()["message"]


@pytest.mark.parametrize("url", ["/lists/NoSuchClass", "/lists/Milestone.xml", "/lists/%3Cscript%3E"])
def test_unknown_lists_are_404(full_client, url):
    assert full_client.get(url).status_code == 404


def test_lists_carry_etags(full_client):
    first = full_client.get("/lists/Milestone")
    again = full_client.get("/lists/Milestone", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert full_client.get("/lists/").status_code == 200
