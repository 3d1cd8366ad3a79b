"""Hostile labels and descriptions (tests/data/xss.ttl) stay text on every page: the markup is intact."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from aikg.graph.describe import describe
from aikg.graph.search import search
from aikg.web.app import create_app

XSS = __import__("pathlib").Path(__file__).parent / "data" / "xss.ttl"
R = "https://w3id.org/ai-history/resource/"
HTML = {"Accept": "text/html"}


class Markup(HTMLParser):
    """Every element, its attributes, and the text of the title element."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.title = ""
        self._in_title = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._in_title = tag == "title" and len([t for t, _ in self.tags if t == "title"]) == 1

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


@pytest.fixture(scope="module")
def xss_client():
    app = create_app({"DATA": [str(XSS)], "VALIDATE": False, "TESTING": True})
    return app.test_client()


PAGES = [
    "/", "/search?q=script", "/search?q=%3Cscript%3E", "/timeline", "/timeline?org=" + R + "Xss_Org",
    "/explore?iri=" + R + "Xss_Milestone", "/explore?iri=" + R + "Xss_Milestone&hops=2",
    "/paths?from=" + R + "Xss_Person&to=" + R + "Xss_Model",
    "/query?query=SELECT+%3Fs+%3Fl+WHERE+%7B+%3Fs+%3Chttp%3A%2F%2Fwww.w3.org%2F2000%2F01%2Frdf-schema%23label%3E+%3Fl+%7D",
    "/query?query=DESCRIBE+%3C" + R + "Xss_Milestone%3E",
    "/resource/Xss_Milestone.html", "/resource/Xss_Model.html", "/resource/Xss_Person.html",
    "/resource/Xss_Org.html", "/resource/Xss_Measurement.html", "/resource/Xss_Era.html",
    "/explore?iri=%3Cscript%3Ealert(1)%3C/script%3E",
]


@pytest.mark.parametrize("url", PAGES)
def test_markup_stays_intact(xss_client, url):
    response = xss_client.get(url, headers=HTML)
    assert response.status_code in (200, 400), url
    text = response.get_data(as_text=True)
    for payload in ("<script>alert", "<img src=x", "<svg onload", "<iframe", "<b>markup</b>", "\" onmouseover=\"",
                    "' onfocus='", "</title><script>"):
        assert payload not in text, payload
    parsed = Markup(text)
    scripts = [a for t, a in parsed.tags if t == "script"]
    assert all(a.get("src", "").startswith("/static/") for a in scripts), scripts
    assert not [t for t, a in parsed.tags if t in ("img", "iframe", "b")]
    for tag, attrs in parsed.tags:
        assert not [k for k in attrs if k.startswith("on")], (tag, attrs)
        assert "autofocus" not in attrs, (tag, attrs)
        href = attrs.get("href", "") + attrs.get("src", "")
        assert not href.strip().lower().startswith("javascript:"), (tag, attrs)
    assert [t for t, _ in parsed.tags].count("title") >= 1
    assert parsed.title.endswith("· aikg")  # the title was not closed early


def test_hostile_label_is_shown_as_text(xss_client):
    response = xss_client.get("/resource/Xss_Person.html", headers=HTML)
    parsed = Markup(response.get_data(as_text=True))
    assert parsed.title.strip() == "Person </title><script>alert('person')</script> · aikg"


def test_fixture_really_holds_the_payloads(xss_client):
    store = xss_client.application.extensions["aikg"]
    assert search(store, "milestone script")[0].label == "Milestone <script>alert(1)</script>"
    desc = describe(store, R + "Xss_Milestone")
    assert desc is not None and "onerror" in (desc.description or "")


HOSTILE = XSS.parent / "hostile_iris.ttl"
SCRIPT_SCHEMES = ("javascript:", "data:", "vbscript:")


@pytest.fixture(scope="module")
def hostile_client():
    app = create_app({"DATA": [str(HOSTILE)], "VALIDATE": False, "TESTING": True})
    return app.test_client()


HOSTILE_PAGES = [
    "/queries/era-milestones?era=" + R + "Hostile_Era",
    "/queries/produced-by?org=" + R + "Hostile_Org",
    "/", "/timeline", "/search?q=milestone", "/resource/Hostile_Era.html", "/resource/Hostile_Org.html",
    "/resource/Hostile_Milestone.html", "/explore?iri=" + R + "Hostile_Era", "/explore?iri=" + R + "Hostile_Org",
    "/explore?iri=javascript:alert(1)",
    "/query?query=SELECT+%3Fs+%3Fo+WHERE+%7B+%3Fs+%3Fp+%3Fo+%7D",
    "/void.html", "/dumps/",
]


@pytest.mark.parametrize("url", HOSTILE_PAGES)
def test_script_iris_are_never_live_links(hostile_client, url):
    response = hostile_client.get(url, headers=HTML)
    assert response.status_code == 200, url
    links = [a.get("href", "") for t, a in Markup(response.get_data(as_text=True)).tags if t in ("a", "link")]
    assert links
    assert [h for h in links if h.strip().lower().startswith(SCRIPT_SCHEMES)] == []


def test_the_named_query_page_really_shows_the_script_iris(hostile_client):
    # The test above would pass on a page that dropped the rows: the hostile milestones are there, linked safely.
    page = hostile_client.get("/queries/era-milestones?era=" + R + "Hostile_Era", headers=HTML).get_data(as_text=True)
    links = {a.get("title"): a.get("href") for t, a in Markup(page).tags if t == "a" and a.get("title")}
    for iri in ("javascript:alert(1)", "data:text/html,alert(2)", "vbscript:msgbox(3)"):
        assert links[iri].startswith("/explore?iri=")


def test_the_api_links_script_iris_safely(hostile_client):
    hits = hostile_client.get("/api/search?q=milestone").get_json()
    urls = {h["iri"]: h["url"] for h in hits}
    assert urls["javascript:alert(1)"].startswith("/explore?iri=")
    assert not any(str(u).lower().startswith(SCRIPT_SCHEMES) for u in urls.values())
