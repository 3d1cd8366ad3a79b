"""web/http.py: the one place for ETag/304/Cache-Control/Vary and for integer arguments."""

from __future__ import annotations

import pytest

R = "https://w3id.org/ai-history/resource/"

CACHEABLE = [
    ("/sparql?query=ASK%7B%7D", "Accept"),
    ("/sparql", "Accept"),  # the service description
    ("/resource/Test_DeepMind.ttl", "Accept"),
    ("/resource/Test_DeepMind.html", "Accept"),
    ("/ontology.ttl", "Accept"),
    ("/void.ttl", "Accept"),
    ("/dumps/aikg.nt", "Accept-Encoding"),
]


@pytest.mark.parametrize(("url", "vary"), CACHEABLE)
def test_every_cacheable_answer_carries_its_headers_and_answers_304(client, url, vary):
    first = client.get(url, headers={"Accept": "text/turtle"} if url == "/sparql" else {})
    assert first.status_code == 200, url
    etag = first.headers["ETag"]
    max_age = client.application.extensions["aikg.settings"].cache_max_age
    assert first.headers["Cache-Control"] == f"public, max-age={max_age}"
    assert vary in first.headers["Vary"]
    for sent in (etag, "W/" + etag):  # If-None-Match compares weakly
        accept = {"Accept": "text/turtle"} if url == "/sparql" else {}
        again = client.get(url, headers={"If-None-Match": sent, **accept})
        assert again.status_code == 304, (url, sent)
        assert again.headers["ETag"] == etag
        assert again.headers["Cache-Control"] == first.headers["Cache-Control"]
        assert vary in again.headers["Vary"]


@pytest.mark.parametrize(
    ("url", "name", "low", "high"),
    [
        ("/explore?iri=Test+Google&hops={}", "hops", 1, 2),
        ("/paths?from=Test+Google&to=Test+DeepMind&max={}", "max", 1, 6),
        ("/timeline?page={}", "page", 1, 10**6),
        ("/api/search?q=test&limit={}", "limit", 1, 100),
        ("/resource/Test_DeepMind.html?incoming_limit={}", "incoming_limit", 0, 500),
    ],
)
def test_integer_arguments_are_read_one_way(client, url, name, low, high):
    choices = f"{low} or {high}" if high == low + 1 else f"from {low} to {high}"
    for bad, message in (("two", f"{name} must be a whole number {choices}; got 'two'."),
                         (str(high + 1), f"{name} must be {choices}; got {high + 1}.")):
        r = client.get(url.format(bad), headers={"Accept": "application/json"})
        assert r.status_code == 400, (url, bad)
        body = r.get_json(silent=True)
        text = body["message"] if body else r.get_data(as_text=True)
        assert message in text.replace("&#39;", "'"), (url, text)
    assert client.get(url.format(low)).status_code == 200
