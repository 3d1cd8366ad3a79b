"""Crawl the live server as a linked-data client and a browser would: no broken link, every resource reached.

It crawls the curated graph with a sample of the Epoch graph (the whole of it would be tens of thousands of
pages). The crawl starts from the home page, the VoID description, the dataset page and the VoID example resources,
follows every same-host ``href`` in HTML and every ``Link: rel="alternate"`` header, and visits each URL
once (in waves, a few requests at a time).
"""

from __future__ import annotations

import csv
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
import rdflib
import requests
from requests.utils import parse_header_links

from aikg.store import select

R = "https://w3id.org/ai-history/resource/"
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
# The SPARQL endpoint is not crawled: its links are queries, and its own tests exercise it.
SKIP_PREFIXES = ("/sparql",)
MAX_VISITS = 20_000


class _Hrefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hrefs += [value for name, value in attrs if name == "href" and value]


@dataclass
class _Visit:
    url: str
    status: int
    paths: list[str] = field(default_factory=list)  # every path of the redirect chain
    links: list[str] = field(default_factory=list)


_local = threading.local()


def _fetch(url: str) -> _Visit:
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
    r = session.get(url, headers={"Accept": "text/html,*/*;q=0.8"}, timeout=60)
    visit = _Visit(url, r.status_code, [urlsplit(step.url).path for step in (*r.history, r)])
    if r.status_code >= 400:
        return visit
    for link in parse_header_links(r.headers.get("Link", "")):
        if link.get("rel") == "alternate" and link.get("url"):
            visit.links.append(urljoin(r.url, link["url"].strip("<> ")))
    if r.headers.get("Content-Type", "").startswith("text/html"):
        parser = _Hrefs()
        parser.feed(r.text)
        visit.links += [urljoin(r.url, h) for h in parser.hrefs]
    return visit


SAMPLE_MODELS = {"AlexNet", "DQN", "DQN-2015", "AlphaGo Fan", "AlphaGo Lee", "AlphaGo Zero", "GANs", "Transformer",
                 "ResNet-152 (ImageNet)", "Word2Vec (large)", "GPT-4", "Llama 3.3", "Gemini 1.0 Ultra", "WaveNet",
                 "Flan-PaLM 540B", "BERT-Large"}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory, epoch_csv):
    """A live server over the curated graph and an Epoch graph imported from a sample of the snapshot: every page
    of the full Epoch graph would be some 40,000 requests, and its pages come from the same templates."""
    from conftest import LiveServer

    from aikg.ingest import epoch as ep
    from aikg.namespaces import GRAPH
    from aikg.web.app import create_app

    folder = tmp_path_factory.mktemp("crawl")
    with epoch_csv.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        rows = [r for r in reader if r["Model"] in SAMPLE_MODELS]
        fields = reader.fieldnames
    sample = folder / "sample.csv"
    with sample.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    graph = folder / "notable-ai-models.ttl"
    graph.write_text(ep.import_epoch(sample, graph=GRAPH + "notable-ai-models", curated=ep.default_curated(),
                                     decisions=ep.default_decisions()).turtle, encoding="utf-8")
    app = create_app({"DATA": [str(p) for p in ep.default_curated()] + [str(graph)], "TESTING": True,
                      "QUERY_TIMEOUT": 10.0})
    server = LiveServer(app).start()
    yield server, app
    server.stop()


def test_crawl_finds_no_broken_link_and_reaches_every_resource(crawled):
    live_server, app = crawled
    store = app.extensions["aikg"]
    host = urlsplit(live_server.url).netloc
    void = rdflib.Graph().parse(f"{live_server.url}/.well-known/void", format="turtle")
    examples = [str(x).split("/ai-history/", 1)[1] for x in void.objects(None, VOID.exampleResource)]
    assert examples
    frontier = [f"{live_server.url}/{p}" for p in ("", ".well-known/void", "void.html", *examples)]
    seen = set(frontier)
    referrers: dict[str, str] = {}
    broken: list[tuple[str, int, str]] = []
    visited_paths: set[str] = set()
    with ThreadPoolExecutor(max_workers=4) as pool:
        while frontier:
            assert len(seen) < MAX_VISITS, "the crawl does not end: are page URLs unbounded?"
            following: list[str] = []
            for visit in pool.map(_fetch, frontier):
                visited_paths.update(visit.paths)
                if visit.status == 404 or visit.status >= 500:
                    broken.append((visit.url, visit.status, referrers.get(visit.url, "")))
                for link in visit.links:
                    link = urldefrag(link)[0]
                    if urlsplit(link).netloc != host or link in seen:
                        continue
                    if urlsplit(link).path.startswith(SKIP_PREFIXES):
                        continue
                    seen.add(link)
                    referrers[link] = visit.url
                    following.append(link)
            frontier = following
    assert not broken, f"{len(broken)} broken links (url, status, linked from), such as {broken[:5]}"
    query = f'SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{R}")) }}'
    subjects = {row["s"].value for row in select(store, query)}
    assert len(subjects) > 100
    unreached = sorted(s for s in subjects if "/resource/" + s[len(R) :] + ".html" not in visited_paths)
    assert not unreached, f"{len(unreached)} resources no page links to, such as {unreached[:5]}"
    # Every representation of every resource was requested (through the Link alternates).
    for s in sorted(subjects)[:20]:
        for ext in ("ttl", "nt", "jsonld", "rdf"):
            assert "/resource/" + s[len(R) :] + "." + ext in visited_paths
