"""The browsing pages through the test client: content, structure, accessibility basics, bad input."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qs, urlparse

import pytest

R = "https://w3id.org/ai-history/resource/"
HTML = {"Accept": "text/html"}


class Page(HTMLParser):
    """A parsed page: elements with their attributes, and the text inside selected elements."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.headings: list[tuple[int, str]] = []
        self._heading: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {k: v or "" for k, v in attrs}))
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._heading = [tag]

    def handle_endtag(self, tag):
        if self._heading and tag == self._heading[0]:
            self.headings.append((int(tag[1]), "".join(self._heading[1:]).strip()))
            self._heading = None

    def handle_data(self, data):
        if self._heading is not None:
            self._heading.append(data)

    def all(self, tag, **attrs):
        return [a for t, a in self.elements if t == tag and all(a.get(k) == v for k, v in attrs.items())]

    def links(self):
        return [a["href"] for t, a in self.elements if t == "a" and "href" in a]


def get(client, url, status=200, **kw):
    response = client.get(url, headers=HTML, **kw)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/html"
    return Page(response.get_data(as_text=True)), response.get_data(as_text=True)


PAGES = [
    "/", "/search?q=test", "/search", "/timeline", "/explore?iri=" + R + "Test_DeepMind", "/explore",
    "/paths?from=Test+Volodymyr+Mnih&to=Test+AlphaGo", "/paths", "/query",
    "/query?query=SELECT+*+WHERE+%7B+%3Fs+%3Fp+%3Fo+%7D+LIMIT+3",
]


@pytest.mark.parametrize("url", PAGES)
def test_structure_and_accessibility(client, url):
    page, _ = get(client, url)
    assert [level for level, _ in page.headings].count(1) == 1
    levels = [level for level, _ in page.headings]
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), f"heading levels skip: {levels}"
    for landmark in ("header", "nav", "main", "footer"):
        assert page.all(landmark), landmark
    assert page.all("meta", name="viewport")
    assert any(a.get("class") == "skip" and a.get("href") == "#main" for a in page.all("a"))
    labelled = {a.get("for") for a in page.all("label")}
    for tag in ("input", "select", "textarea"):
        for field in page.all(tag):
            if field.get("type") not in ("hidden", "submit"):
                assert field.get("id") in labelled, f"{tag} {field} has no label"
    assert page.all("link", rel="describedby")


def test_home_counts_eras_and_links(client):
    page, text = get(client, "/")
    assert "Test era" in text
    assert text.index("Test DQN plays Atari") < text.index("Test AlphaGo wins")
    links = page.links()
    for target in ("/timeline", "/query", "/queries", "/dumps/", "/.well-known/void"):
        assert target in links
    # The tiny graph has 2 milestones and 1 person.
    stats = [a["href"] for a in page.all("a") if a.get("href", "").startswith("/lists/")]
    assert "/lists/Milestone" in stats and "/lists/Person" in stats
    assert "<strong>2</strong> <span>milestones</span>" in text
    assert "<strong>1</strong> <span>person</span>" in text  # one person, not "1 people"


def test_search_ranks_and_types(client):
    page, text = get(client, "/search?q=deepmind")
    hits = [a["href"] for t, a in page.elements if t == "a" and a.get("href", "").startswith("/resource/")]
    assert hits[0] == "/resource/Test_DeepMind.html"
    assert "organisation" in text
    assert "<mark>DeepMind</mark>" in text
    search_box = page.all("input", id="search-q")[0]
    assert search_box["data-autocomplete"] == "/api/search" and search_box["value"] == "deepmind"


def test_search_box_is_a_plain_form(client):
    page, _ = get(client, "/")
    form = [a for a in page.all("form") if a.get("action") == "/search"]
    assert form and all(f.get("method") == "get" for f in form)


def test_explore_draws_svg_and_lists_every_link(client):
    page, text = get(client, "/explore?iri=" + R + "Test_DeepMind")
    assert page.all("svg")
    assert "produced by" in text and "parent organisation" in text
    assert "/resource/Test_AlphaGo.html" in page.links()
    assert "<title>Test AlphaGo — produced by → Test DeepMind</title>" in text


def test_explore_lists_the_centres_links_then_a_sample_further_out(full_app, full_client):
    from aikg.graph import paths
    from aikg.web.http import get_store
    from aikg.web.pages import MOST_FAR, MOST_NEAR, _edge_groups

    store = get_store(full_app)
    hood = paths.neighbourhood(store, R + "DeepMind", 2)
    groups = _edge_groups(hood)
    assert sum(g["count"] for g in groups) == len(hood.edges)
    for g in groups:
        members = [e for e in hood.edges if e.property == g["property"]
                   and (R + "DeepMind" in (e.subject, e.object)) == (g["ring"] == 1)]
        members.sort(key=lambda e: (hood.label(e.subject).casefold(), hood.label(e.object).casefold(),
                                    e.subject, e.object))
        assert g["count"] == len(members)
        assert g["edges"] == members[: MOST_NEAR if g["ring"] == 1 else MOST_FAR]
    assert [g["ring"] for g in groups] == sorted(g["ring"] for g in groups) and {1, 2} <= {g["ring"] for g in groups}
    from aikg.web.pages import _view

    _view.clear()
    page, first = get(full_client, "/explore?iri=" + R + "DeepMind&hops=2")  # walked, laid out, grouped
    assert ("To and from DeepMind" in [h for _, h in page.headings]
            and "Two links away" in [h for _, h in page.headings])
    _, again = get(full_client, "/explore?iri=" + R + "DeepMind&hops=2")  # from this version's memo
    assert again == first


def test_explore_accepts_a_label_and_rejects_bad_input(client):
    _, text = get(client, "/explore?iri=Test+Google&hops=2")
    assert "Around <a" in text and "Test DQN" in text
    get(client, "/explore?iri=Test+Google&hops=3", status=400)
    _, text = get(client, "/explore?iri=Nothing+Like+This", status=400)
    assert "Nothing Like This" in text


def test_paths_page_shows_labelled_directed_steps_and_sparql(client):
    page, text = get(client, "/paths?from=Test+Volodymyr+Mnih&to=Test+AlphaGo")
    assert "How is Test Volodymyr Mnih connected to Test AlphaGo?" in text
    first = text.index('<ol class="path"')
    chunk = text[first: text.index("</ol>", first)]
    assert "affiliated with" in chunk and "produced by" in chunk
    assert 'class="step forward"' in chunk and 'class="step backward"' in chunk
    runs = [h for h in page.links() if h.startswith("/query?")]
    query = parse_qs(urlparse(runs[0]).query)["query"][0]
    assert "aikg:affiliatedWith" in query and "aikg:producedBy" in query


def test_paths_page_bad_input(client):
    _, text = get(client, "/paths?from=zzzz&to=Test+AlphaGo", status=400)
    assert "zzzz" in text
    get(client, "/paths?from=Test+AlphaGo&to=Test+AlphaGo", status=400)
    get(client, "/paths?from=Test+AlphaGo&to=Test+DQN&max=9", status=400)


def test_query_page_prefilled_with_prefixes_and_examples(client):
    page, text = get(client, "/query")
    # The prefixes are declared for the reader: listed (folded), not in the editor.
    assert "PREFIX aikg: &lt;https://w3id.org/ai-history/ontology/&gt;" in text.split("<textarea")[0]
    assert "PREFIX" not in text.split("<textarea")[1].split("</textarea>")[0]
    assert text.index('id="results-h"' if 'id="results-h"' in text else "<textarea") < text.index('id="examples-h"')
    examples = [a["href"] for a in page.all("a") if a.get("href", "").startswith("/query?query=")]
    assert len(examples) >= 5  # the named-query catalogue, one click away


def test_query_page_runs_and_links_iris(client):
    text = "PREFIX aikg: <https://w3id.org/ai-history/ontology/>\nSELECT ?m WHERE { ?m a aikg:Milestone } ORDER BY ?m"
    page, html = get(client, "/query", query_string={"query": text})
    rows = [a["href"] for a in page.all("a") if a.get("href", "").startswith("/resource/")]
    assert rows == ["/resource/Test_AlphaGo_2016.html", "/resource/Test_DQN_2013.html"]
    downloads = {parse_qs(urlparse(h).query)["format"][0] for h in page.links() if h.startswith("/sparql?")}
    assert downloads == {"json", "xml", "csv", "tsv"}
    assert "2 rows" in html


def test_query_page_graph_and_boolean_answers(client):
    page, html = get(client, "/query", query_string={"query": f"DESCRIBE <{R}Test_Google>"})
    formats = {parse_qs(urlparse(h).query)["format"][0] for h in page.links() if h.startswith("/sparql?")}
    assert "ttl" in formats
    assert "/resource/Test_DeepMind.html" in page.links()  # an incoming link of Test Google
    _, html = get(client, "/query", query_string={"query": f"ASK {{ <{R}Test_DeepMind> ?p ?o }}"})
    assert "<strong>yes</strong>" in html


def test_query_page_errors_are_readable(client):
    _, html = get(client, "/query", query_string={"query": "SELECT ?x WHERE { ?x ?y }"}, status=400)
    assert 'role="alert"' in html and "line" in html.lower()
    _, html = get(client, "/query", query_string={"query": "INSERT DATA { <a:b> <a:c> <a:d> }"}, status=403)


def test_resource_template_shows_figures_links_in_and_actions(client):
    page, html = get(client, "/resource/Test_AlphaGo.html")
    assert page.headings[0] == (1, "Test AlphaGo")
    assert "Test games won" in html and '<strong class="figure-value">4</strong>' in html
    assert "/resource/Test_AlphaGo_2016.html" in page.links()  # links in: the milestone about it
    links = page.links()
    assert any(h.startswith("/explore?iri=") for h in links)
    assert any(h.startswith("/paths?from=") for h in links)
    describe = [h for h in links if h.startswith("/query?query=DESCRIBE")]
    assert parse_qs(urlparse(describe[0]).query)["query"][0] == f"DESCRIBE <{R}Test_AlphaGo>"
    assert any(h.endswith("/resource/Test_AlphaGo.ttl") for h in links)


def test_resource_template_dates_keep_precision(client):
    _, html = get(client, "/resource/Test_DeepMind.html")
    assert '<time datetime="2010">2010</time>' in html  # founding date typed xsd:gYear


def test_error_page_is_readable(client):
    page, html = get(client, "/explore?iri=Test+Google&hops=7", status=400)
    assert [level for level, _ in page.headings].count(1) == 1
    assert "hops must be 1 or 2" in html and "Traceback" not in html


@pytest.mark.parametrize("url", ["/", "/timeline", "/paths?from=Ilya+Sutskever&to=AlphaGo",
                                 "/explore?iri=" + R + "AlphaGo", "/search?q=alpha", "/query"])
def test_shipped_pages_render(full_client, url):
    get(full_client, url)


def test_small_things(full_client):
    home = full_client.get("/", headers=HTML).get_data(as_text=True)
    icon = full_client.get("/static/favicon.svg")
    assert 'rel="icon"' in home and icon.status_code == 200 and icon.data.startswith(b"<svg")
    icon.close()
    assert full_client.get("/favicon.ico").status_code == 301
    # The header's placeholder fits its box; the era is described in full, not cut.
    placeholder = home.split('id="site-search"', 1)[1].split('placeholder="', 1)[1].split('"', 1)[0]
    assert len(placeholder) <= 20
    assert "…</p>" not in home.split('class="era"', 1)[1].split("<ol", 1)[0]
    # One name for the catalogue of named queries, whatever page names it.
    for url in ("/", "/queries", "/query", "/queries/produced-by?org=DeepMind"):
        text = full_client.get(url, headers=HTML).get_data(as_text=True)
        assert "Named queries" not in text and "named queries" not in text, url
    assert "<h1>Questions</h1>" in full_client.get("/queries", headers=HTML).get_data(as_text=True)


@pytest.mark.parametrize("url", ["/ontology/Milestone.html", "/ontology.html", "/explore?iri=" + R + "London"])
def test_counts_of_one_are_singular(full_client, url):
    text = full_client.get(url, headers=HTML).get_data(as_text=True)
    assert " 1 resources" not in text and " 1 statements" not in text and " 1 links" not in text


@pytest.mark.parametrize(("name", "question"), [("DeepMind", "what is an organisation?"),
                                                 ("AlphaGo", "what is a model or system?")])
def test_the_type_link_reads_as_english(full_client, name, question):
    _, text = get(full_client, f"/resource/{name}.html")
    assert question in text
