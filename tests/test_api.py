"""The named-query API, its pages and the search endpoint, through the Flask test client."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest

from aikg.namespaces import RESOURCE

R = RESOURCE
DQN, ALPHAGO = R + "Test_DQN_2013", R + "Test_AlphaGo_2016"


def test_listing_names_every_query(client):
    body = client.get("/api/queries").get_json()
    names = [q["name"] for q in body["queries"]]
    assert "produced-by" in names and len(names) >= 20
    produced = next(q for q in body["queries"] if q["name"] == "produced-by")
    assert produced["parameters"][0]["name"] == "org" and produced["parameters"][0]["required"]
    assert "application/sparql-query" in produced["formats"]


@pytest.mark.parametrize("org", ["Test DeepMind", "test deepmind", "aikgr:Test_DeepMind", R + "Test_DeepMind"])
def test_plain_json_rows(client, org):
    r = client.get("/api/queries/produced-by", query_string={"org": org})
    assert r.status_code == 200 and r.mimetype == "application/json"
    body = r.get_json()
    assert body["query"] == "produced-by"
    assert body["columns"][:3] == ["milestone", "milestoneLabel", "date"]
    assert body["parameters"] == {"org": R + "Test_DeepMind", "subsidiaries": False}
    by_iri = {row["milestone"]: row for row in body["rows"]}
    assert set(by_iri) == {DQN, ALPHAGO}
    assert by_iri[DQN]["date"] == "2013-12-19" and by_iri[DQN]["year"] == 2013  # a number, not a string


def test_sparql_results_json_and_xml(client):
    r = client.get("/api/queries/produced-by?org=Test+DeepMind", headers={"Accept": "application/sparql-results+json"})
    assert r.mimetype == "application/sparql-results+json"
    body = json.loads(r.data)
    assert body["head"]["vars"][0] == "milestone"
    assert {b["milestone"]["value"] for b in body["results"]["bindings"]} == {DQN, ALPHAGO}
    r = client.get("/api/queries/produced-by?org=Test+DeepMind", headers={"Accept": "application/sparql-results+xml"})
    ns = {"s": "http://www.w3.org/2005/sparql-results#"}
    uris = {e.text for e in ET.fromstring(r.data).findall(".//s:binding[@name='milestone']/s:uri", ns)}
    assert uris == {DQN, ALPHAGO}


def test_csv_and_format_override(client):
    for kwargs in ({"headers": {"Accept": "text/csv"}}, {"query_string": {"org": "Test DeepMind", "format": "csv"}}):
        url = "/api/queries/produced-by" + ("?org=Test+DeepMind" if "headers" in kwargs else "")
        r = client.get(url, **kwargs)
        assert r.mimetype == "text/csv"
        rows = list(csv.DictReader(io.StringIO(r.data.decode())))
        assert {row["milestone"] for row in rows} == {DQN, ALPHAGO}


def test_instantiated_query_runs_at_the_endpoint_and_gives_the_same_answer(client, app):
    r = client.get("/api/queries/produced-by?org=Test+DeepMind", headers={"Accept": "application/sparql-query"})
    assert r.status_code == 200 and r.mimetype == "application/sparql-query"
    text = r.data.decode()
    assert f"<{R}Test_DeepMind>" in text and "DeepMind ?" not in text
    from aikg.web.http import get_store

    result = get_store(app).query(text)
    assert {row[0].value for row in result.rows} == {DQN, ALPHAGO}


def test_errors_are_clean(client):
    r = client.get("/api/queries/produced-by")
    assert r.status_code == 400 and r.get_json()["status"] == 400 and "org" in r.get_json()["message"]
    r = client.get("/api/queries/produced-by?org=Test")
    body = r.get_json()
    assert r.status_code == 400
    assert {c["iri"] for c in body["details"]["candidates"]} == {R + "Test_DeepMind", R + "Test_Google"}
    assert client.get("/api/queries/no-such-thing").status_code == 404
    assert client.get("/api/queries/produced-by?org=Test+DeepMind", headers={"Accept": "image/png"}).status_code == 406
    assert client.get("/api/queries/produced-by?org=Test+DeepMind&format=pdf").status_code == 400


@pytest.mark.parametrize("evil", ['"} ; DROP ALL #', "<http://x> } ; DROP ALL ; #"])
def test_injection_leaves_the_data_alone(client, app, evil):
    from aikg.web.http import get_store

    store = get_store(app)
    before = len(store)
    r = client.get("/api/queries/produced-by", query_string={"org": evil})
    assert r.status_code == 400 and r.get_json()["error"] == "Bad request"
    r = client.get("/api/queries/milestones-between", query_string={"from": evil})
    assert r.status_code == 400
    assert len(store) == before
    assert client.get("/api/queries/produced-by?org=Test+DeepMind").get_json()["rows"]


def test_repeated_parameters_become_a_values_block(client):
    url = "/api/queries/technique-uses?technique=Test+experience+replay"
    r = client.get(url + "&technique=aikgr:Test_Experience_Replay", headers={"Accept": "application/sparql-query"})
    assert "VALUES ?technique { <https://w3id.org/ai-history/resource/Test_Experience_Replay>" in r.data.decode()
    body = client.get(url + "&technique=Test+experience+replay").get_json()
    assert body["parameters"]["technique"] == [R + "Test_Experience_Replay"] * 2
    assert {row["item"] for row in body["rows"]} == {R + "Test_DQN", R + "Test_AlphaGo"}


def test_optional_parameters_filter(client):
    rows = client.get("/api/queries/milestones-between?from=2014").get_json()["rows"]
    assert [r["milestone"] for r in rows] == [ALPHAGO]
    rows = client.get("/api/queries/milestones-between").get_json()["rows"]
    assert [r["milestone"] for r in rows] == [DQN, ALPHAGO]


def test_search_endpoint(client):
    r = client.get("/api/search?q=test+deep")
    assert r.status_code == 200
    hits = r.get_json()
    assert {"iri", "label", "type", "url"} <= set(hits[0])
    deepmind = next(h for h in hits if h["iri"] == R + "Test_DeepMind")
    assert deepmind["type"] == "organisation" and deepmind["url"] == "/resource/Test_DeepMind.html"
    only_orgs = client.get("/api/search?q=test&class=aikg:Organisation").get_json()
    assert {h["iri"] for h in only_orgs} == {R + "Test_DeepMind", R + "Test_Google"}
    assert len(client.get("/api/search?q=test&limit=1").get_json()) == 1
    assert client.get("/api/search").status_code == 400
    assert client.get("/api/search?q=x&limit=0").status_code == 400
    assert client.get("/api/search?q=x&class=nonsense-class").status_code == 400


def test_catalogue_page(client):
    r = client.get("/queries")
    assert r.status_code == 200
    assert 'href="/queries/produced-by"' in r.data.decode()


def test_named_query_page_shows_form_table_sparql_and_links(client):
    r = client.get("/queries/produced-by?org=Test+DeepMind")
    html = r.data.decode()
    assert r.status_code == 200
    assert '<form method="get" action="/queries/produced-by"' in html
    assert 'name="org"' in html and 'value="Test DeepMind"' in html
    assert 'href="/resource/Test_DQN_2013.html"' in html
    assert "&lt;https://w3id.org/ai-history/resource/Test_DeepMind&gt;" in html  # the instantiated SPARQL
    assert 'href="/query?query=' in html
    assert "format=csv" in html and "format=json" in html


def test_named_query_page_ignores_blank_form_fields(client):
    r = client.get("/queries/milestones-between?from=2014&to=")
    assert r.status_code == 200
    assert 'href="/resource/Test_AlphaGo_2016.html"' in r.data.decode()
    assert 'href="/resource/Test_DQN_2013.html"' not in r.data.decode()
    assert client.get("/api/queries/milestones-between?from=2014&to=").status_code == 400


def test_named_query_page_without_parameters_shows_the_form(client):
    r = client.get("/queries/produced-by")
    assert r.status_code == 200
    assert "try the example" in r.data.decode()


def test_named_query_page_offers_candidates_as_links(client):
    r = client.get("/queries/produced-by?org=Test")
    html = r.data.decode()
    assert r.status_code == 400
    retry = "/queries/produced-by?org=https%3A%2F%2Fw3id.org%2Fai-history%2Fresource%2FTest_DeepMind"
    assert f'href="{retry}"' in html


def test_named_query_page_escapes_and_explains_bad_input(client):
    r = client.get("/queries/produced-by", query_string={"org": "<script>alert(1)</script>"})
    html = r.data.decode()
    assert r.status_code == 400
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_full_graph_answers_the_citable_url(full_client):
    r = full_client.get("/api/queries/produced-by?org=DeepMind")
    assert r.status_code == 200
    labels = " | ".join(row["milestoneLabel"] for row in r.get_json()["rows"])
    for name in ("DQN", "AlphaGo", "AlphaGo Zero"):
        assert name in labels


def test_live_citable_url_and_its_query_at_the_endpoint(live_server):
    import requests
    from SPARQLWrapper import JSON, SPARQLWrapper

    url = f"{live_server.url}/api/queries/produced-by"
    r = requests.get(url, params={"org": "DeepMind"}, timeout=10)
    assert r.status_code == 200
    answer = {row["milestone"] for row in r.json()["rows"]}
    assert answer == {R + "DQN_masters_Atari_2013", R + "AlphaGo_defeats_Lee_Sedol_2016",
                      R + "AlphaGo_Zero_learns_from_scratch_2017"}
    as_query = {"Accept": "application/sparql-query"}
    text = requests.get(url, params={"org": "DeepMind"}, headers=as_query, timeout=10).text
    endpoint = SPARQLWrapper(f"{live_server.url}/sparql")
    endpoint.setQuery(text)
    endpoint.setReturnFormat(JSON)
    bindings = endpoint.query().convert()["results"]["bindings"]
    assert {b["milestone"]["value"] for b in bindings} == answer
