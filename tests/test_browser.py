"""The pages in a real browser: headless Chromium through Playwright, against a live server.

Run `scripts/system-deps chromium` once to install the browser. Requests to anything but 127.0.0.1 are
aborted, so a CDN never slows or breaks a test. Each page is saved as a screenshot in tests/screenshots/.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest
from conftest import LiveServer

from aikg.web.app import create_app

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
SHOTS = Path(__file__).parent / "screenshots"
XSS = Path(__file__).parent / "data" / "xss.ttl"
R = "https://w3id.org/ai-history/resource/"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/system-deps chromium")
    SHOTS.mkdir(exist_ok=True)
    print(f"\nscreenshots in {SHOTS}")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


# Records every Content-Security-Policy violation a page reports, from its first script on.
CSP_LISTENER = """window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(
    {directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber,
     sample: e.sample}));"""


class Tab:
    """A page that only reaches 127.0.0.1 and records every dialog (alert, confirm) it is shown, every
    Content-Security-Policy violation it reports and every console error."""

    def __init__(self, browser, base: str, width: int = 1280) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.context.add_init_script(CSP_LISTENER)
        self.page = self.context.new_page()
        self.base = base
        self.dialogs: list[str] = []
        self.blocked: list[str] = []
        self.console: list[str] = []
        self.page.route("**/*", self._route)
        self.page.on("dialog", self._dialog)
        self.page.on("console", lambda m: self.console.append(m.text) if m.type == "error" else None)
        self.page.set_default_timeout(10_000)

    def violations(self) -> list[dict]:
        """Return the CSP violations the current page reported (and those Chromium logged)."""
        reported = self.page.evaluate("window.__csp || []")
        logged = [{"console": text} for text in self.console if "Content Security Policy" in text]
        return [*reported, *logged]

    def _route(self, route) -> None:
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def go(self, path: str) -> None:
        response = self.page.goto(self.base + path)
        assert response is not None and response.status < 400, path

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


@pytest.fixture()
def tab(browser, live_server):
    t = Tab(browser, live_server.url)
    yield t
    t.close()


def test_search_autocomplete_to_alphago_then_follow_an_incoming_link(tab):
    page = tab.page
    tab.go("/")
    tab.shot("home")
    box = page.locator("#home-search")
    assert box.get_attribute("role") == "combobox"
    box.click()
    box.press_sequentially("alphago", delay=20)
    listbox = page.locator("#" + box.get_attribute("aria-controls"))
    listbox.get_by_role("option").first.wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    tab.shot("home-autocomplete")
    box.press("ArrowDown")
    first = listbox.get_by_role("option").first
    assert first.get_attribute("aria-selected") == "true"
    assert box.get_attribute("aria-activedescendant") == first.get_attribute("id")
    assert first.inner_text().splitlines()[0] == "AlphaGo"
    box.press("Enter")
    page.wait_for_url("**/resource/AlphaGo.html")
    assert page.locator("h1").inner_text() == "AlphaGo"
    tab.shot("resource-alphago")
    # AlphaGo Zero builds on AlphaGo: the link is shown on AlphaGo's page, among the links in.
    incoming = page.locator("section[aria-labelledby=incoming-h]")
    incoming.get_by_role("link", name="AlphaGo Zero", exact=True).first.click()
    page.wait_for_url("**/resource/AlphaGo_Zero.html")
    assert page.locator("h1").inner_text() == "AlphaGo Zero"
    tab.shot("resource-alphago-zero")
    assert tab.dialogs == []


def test_escape_closes_the_suggestions(tab):
    page = tab.page
    tab.go("/search")
    box = page.locator("#search-q")
    box.press_sequentially("hinton", delay=20)
    page.locator("#" + box.get_attribute("aria-controls")).get_by_role("option").first.wait_for()
    box.press("Escape")
    assert box.get_attribute("aria-expanded") == "false"
    box.press("Enter")  # a plain form submit: the results page
    page.wait_for_url("**/search?q=hinton")
    assert page.get_by_role("link", name="Geoffrey Hinton").count() >= 1
    tab.shot("search-hinton")


@pytest.fixture(scope="module")
def history_server(tmp_path_factory):
    """A generated graph whose milestones span 1950 to 2025, served for the timeline's picture."""
    from aikg.ingest.generate import generate

    path = tmp_path_factory.mktemp("history") / "history.nt"
    with path.open("w", encoding="utf-8") as out:
        generate(out, 900, seed=42)
    app = create_app({"DATA": [str(path)], "VALIDATE": False, "TESTING": True})
    assert app.test_client().get("/timeline").status_code == 200  # build the caches before the browser asks
    server = LiveServer(app).start()
    yield server
    server.stop()


def _picture_reads(page) -> None:
    svg = page.locator("figure.picture svg")
    assert svg.is_visible() and svg.get_attribute("role") != "img"
    for selector in ("figure.picture .marks a", "figure.picture .marks text", "figure.picture .lanes a"):
        found = page.evaluate(OVERLAPS, selector)
        assert found["overlaps"] == 0, (selector, found)
    for selector in ("figure.picture .marks a", "figure.picture .lanes a", "figure.picture .axis a",
                     "form.filters select", "a.filter"):
        for box in page.locator(selector).evaluate_all("els => els.map(e => e.getBoundingClientRect().toJSON())"):
            assert box["width"] >= 23.95 and box["height"] >= 23.95, (selector, box)  # 24 px, to a rounding


def test_timeline_is_a_picture_with_lanes(browser, live_server):
    def check(page, width):
        _picture_reads(page)
        lanes = page.locator("figure.picture .lanes text").all_text_contents()
        assert any(t.startswith("DeepMind") for t in lanes)
        # Proportional: the gap between two marks grows with the time between them.
        marks = page.locator("figure.picture .marks circle")
        xs = sorted(float(x) for x in marks.evaluate_all("els => els.map(e => e.getAttribute('cx'))"))
        assert xs[-1] - xs[0] > 400
        page.locator("figure.picture .switch a", has_text="by kind").click()
        page.wait_for_url("**lanes=kind*")
        assert "Model or system" in " ".join(page.locator("figure.picture .lanes text").all_text_contents())
    widths(browser, live_server.url, "/timeline", "timeline-picture", check)


def test_timeline_carries_1950_to_2024(browser, history_server):
    def check(page, width):
        _picture_reads(page)
        years = [int(t) for t in page.locator("figure.picture .axis text").all_text_contents()]
        assert years[0] <= 1950 and years[-1] >= 2025
        cluster = page.locator("figure.picture .cluster").first
        held = int(cluster.locator("text").text_content().strip().lstrip("+"))
        cluster.click()
        page.wait_for_url("**/timeline?*from=*")
        shown = page.locator("ol.timeline li.entry").count()
        assert shown >= min(held, 50)
        more = page.locator("ol.timeline details.more").first
        if more.count():
            more.locator("summary").click()
            assert more.get_attribute("open") is not None
    widths(browser, history_server.url, "/timeline", "timeline-1950-2024", check)


def test_timeline_filtered_by_deepmind(tab):
    page = tab.page
    tab.go("/timeline")
    tab.shot("timeline")
    page.select_option("#f-org", R + "DeepMind")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/timeline?*org=*")
    titles = page.locator("ol.timeline li.entry h2").all_inner_texts()
    # DeepMind produced DQN (2013), AlphaGo (2016) and AlphaGo Zero (2017), in that order.
    assert titles == ["DQN learns to play Atari games", "AlphaGo defeats Lee Sedol",
                      "AlphaGo Zero learns Go from scratch"]
    times = page.locator("ol.timeline li.entry .date time")
    dates = times.evaluate_all("els => els.map(e => e.getAttribute('datetime'))")
    # DQN dated to the day of its arXiv paper (issue 15: dates known to the day are stored to the day).
    assert dates[0] == "2013-12-19" and dates[1] == "2016-03-15"
    tab.shot("timeline-deepmind")


def test_paths_between_ilya_sutskever_and_alphago(tab):
    page = tab.page
    tab.go("/paths")
    page.fill("#path-from", "Ilya Sutskever")
    page.fill("#path-to", "AlphaGo")
    page.get_by_role("button", name="Find").click()
    page.wait_for_url("**/paths?*")
    first = page.locator("ol.paths > li").first
    stops = first.locator("li.stop > a").all_inner_texts()
    assert stops[0] == "Ilya Sutskever" and stops[-1] == "AlphaGo"
    # Two shortest paths: Sutskever is an author of the AlphaGo paper, which AlphaGo's record names as its paper;
    # and Epoch lists him among the authors of AlphaGo Lee, a version of AlphaGo.
    two_hop = [p for p in page.locator("ol.paths > li").all() if p.locator("li.step").count() == 2]
    steps = [p.locator("li.step .prop").all_inner_texts() for p in two_hop]
    assert ["author", "paper"] in steps and ["model author", "version of"] in steps
    assert "backward" in first.locator("li.step").first.get_attribute("class")
    tab.shot("paths-ilya-alphago")


OVERLAPS = """(selector) => {
    const boxes = [...document.querySelectorAll(selector)].map(e => e.getBoundingClientRect());
    let overlaps = 0;
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i], b = boxes[j];
        const across = a.left < b.right - 0.5 && b.left < a.right - 0.5;
        if (across && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5) overlaps++;
    }
    return {count: boxes.length, overlaps};
}"""


def _readable_drawing(page) -> None:
    svg = page.locator("figure.graph svg")
    assert svg.is_visible() and svg.get_attribute("role") != "img"
    for selector in ("figure.graph .nodes text", "figure.graph .nodes rect:not(.mark)", "figure.graph .headings text"):
        found = page.evaluate(OVERLAPS, selector)
        assert found["overlaps"] == 0, (selector, found)
    texts = page.locator("figure.graph .nodes text")
    angles = texts.evaluate_all("els => els.filter(e => e.getAttribute('transform')).length")
    assert angles == 0  # every label horizontal
    for box in page.locator("figure.graph .nodes a").evaluate_all(
            "els => els.map(e => e.getBoundingClientRect().toJSON())"):
        assert box["width"] >= 24 and box["height"] >= 24
    kinds = set(page.locator("figure.graph .nodes a").evaluate_all(
        "els => els.map(e => [...e.classList].find(c => c.startsWith('k-')))"))
    legend = set(page.locator("figure.graph .legend li").evaluate_all("els => els.map(e => e.className)"))
    assert kinds - {None} <= legend | {"k-more"}


def test_explore_draws_a_readable_graph_with_a_legend(browser, live_server):
    def one(page, width):
        _readable_drawing(page)
        assert "→ produced by" in page.locator("figure.graph .headings").text_content()
        svg = page.locator("figure.graph svg")
        before = float(svg.get_attribute("width"))
        page.get_by_role("button", name="Zoom in").click()
        assert float(svg.get_attribute("width")) > before
        page.get_by_role("button", name="Actual size").click()
        assert float(svg.get_attribute("width")) == before
    widths(browser, live_server.url, "/explore?iri=" + R + "AlphaGo", "explore-alphago", one)

    def two(page, width):
        _readable_drawing(page)
        drawn = page.locator("figure.graph .nodes a.node:not(.more)").count()
        total = int(page.locator("p.meta").first.inner_text().split()[0])
        caption = page.locator("figure.graph figcaption").inner_text()
        if drawn - 1 < total:
            assert "Left out of the drawing" in caption and str(total - (drawn - 1)) in caption
    widths(browser, live_server.url, "/explore?iri=" + R + "AlphaGo&hops=2", "explore-alphago-2", two)


def test_explore_trims_a_hub_two_links_away_and_says_what_it_left_out(browser, live_server):
    # DeepMind: hundreds of Epoch models one link away, thousands of resources two links away.
    def check(page, width):
        _readable_drawing(page)
        total = int(page.locator("p.meta").first.inner_text().split()[0].replace(",", ""))
        drawn = page.locator("figure.graph .nodes a.node:not(.more)").count()
        assert total > 1000 and drawn - 1 < total
        assert "Left out of the drawing" in page.locator("figure.graph figcaption").inner_text()
        headings = page.locator("#links-list ~ h3.ring").all_inner_texts()
        assert headings == ["To and from DeepMind", "Two links away"]
        assert page.locator("#links-list ~ p.meta", has_text="more").count() > 0  # each cut says so
    widths(browser, live_server.url, "/explore?iri=" + R + "DeepMind&hops=2", "explore-deepmind-2", check)


def test_explore_works_without_javascript(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    try:
        page = context.new_page()
        # A milestone has few neighbours, so its model is drawn (an organisation's hundreds of models are trimmed).
        page.goto(live_server.url + "/explore?iri=" + R + "AlphaGo_Zero_learns_from_scratch_2017")
        _readable_drawing(page)
        assert page.locator(".zoom-bar").count() == 0
        page.locator("figure.graph .nodes a[href*='resource%2FAlphaGo_Zero&']").first.click()
        page.wait_for_url("**/explore?iri=*AlphaGo_Zero*")
        assert "AlphaGo Zero" in page.locator("h1").inner_text()
    finally:
        context.close()


def test_run_an_example_query_and_open_an_iri(tab):
    page = tab.page
    tab.go("/query")
    page.locator(".yasqe .CodeMirror").wait_for()  # the editor, served by the app itself
    # Folded: the shared prefixes are listed above and declared when the query runs.
    assert "PREFIX" not in page.locator("textarea#query-text").input_value()
    tab.shot("query")
    page.locator("nav.examples a").first.click()
    page.wait_for_url("**/query?query=*")
    cell = page.locator("table tbody a[href*='/resource/']").first
    cell.wait_for()
    name = cell.inner_text()
    cell.click()
    page.wait_for_url("**/resource/*.html")
    assert page.locator("h1").inner_text() == name
    tab.shot("query-then-resource")


def test_query_page_runs_with_ctrl_enter_and_shows_the_answer_first(browser, live_server, full_app):
    from aikg.store import select

    (row,) = select(full_app.extensions["aikg"], "SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE "
                    "{ ?m a <https://w3id.org/ai-history/ontology/Milestone> }")

    def check(page, width):
        editor = page.locator(".yasqe .CodeMirror")  # the vendored editor over the form's textarea
        editor.wait_for()
        editor.click()
        page.keyboard.press("Control+A")
        page.keyboard.insert_text("SELECT ?m ?label WHERE { ?m a aikg:Milestone ; rdfs:label ?label } ORDER BY ?label")
        page.keyboard.press("Control+Enter")
        page.wait_for_url("**/query?query=*")
        assert page.locator("#results-h").is_visible()
        took = page.locator(".took").inner_text()
        assert took.endswith(" ms") and float(took.split()[0]) >= 0
        answer = page.locator("#results-h").bounding_box()["y"]
        assert answer < page.locator("#examples-h").bounding_box()["y"]
        assert page.locator("table tbody tr").count() == int(row["n"].value)
    widths(browser, live_server.url, "/query", "query-editor", check)


def test_phone_width_home(browser, live_server):
    t = Tab(browser, live_server.url, width=390)
    try:
        t.go("/")
        width = t.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, "the home page scrolls sideways on a phone"
        t.shot("home-phone")
    finally:
        t.close()


@pytest.fixture(scope="module")
def xss_server():
    app = create_app({"DATA": [str(XSS)], "VALIDATE": False, "TESTING": True})
    server = LiveServer(app).start()
    yield server
    server.stop()


# Counts what hostile data could have injected: scripts other than ours, event-handler attributes, images
# and frames, javascript: links.
INJECTED = """() => ({
    scripts: [...document.scripts].filter(s => !s.src.startsWith(location.origin + '/static/')).length,
    handlers: [...document.querySelectorAll('*')]
        .filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
    images: document.querySelectorAll('img, iframe').length,
    jsLinks: [...document.querySelectorAll('a[href]')]
        .filter(a => a.getAttribute('href').trim().toLowerCase().startsWith('javascript:')).length,
})"""

XSS_PAGES = [
    "/", "/search?q=script", "/timeline", "/explore?iri=" + R + "Xss_Milestone&hops=2",
    "/paths?from=" + R + "Xss_Person&to=" + R + "Xss_Model", "/resource/Xss_Milestone.html",
    "/resource/Xss_Model.html", "/resource/Xss_Org.html",
    "/query?query=SELECT+%3Fs+%3Flabel+WHERE+%7B+%3Fs+%3Chttp%3A%2F%2Fwww.w3.org%2F2000%2F01%2Frdf-schema%23label%3E+%3Flabel+%7D",
]


@pytest.mark.parametrize("path", XSS_PAGES)
def test_hostile_labels_never_run(browser, xss_server, path):
    t = Tab(browser, xss_server.url)
    try:
        t.go(path)
        page = t.page
        page.mouse.move(300, 300)
        injected = page.evaluate(INJECTED)
        assert injected == {"scripts": 0, "handlers": 0, "images": 0, "jsLinks": 0}
        assert t.dialogs == []
        assert "alert(" in page.locator("body").inner_text()  # the hostile text is shown, as text
    finally:
        t.close()


HOSTILE = Path(__file__).parent / "data" / "hostile_iris.ttl"


@pytest.fixture(scope="module")
def hostile_server():
    """Hostile labels (xss.ttl) and IRIs with script schemes (hostile_iris.ttl) in one graph."""
    app = create_app({"DATA": [str(XSS), str(HOSTILE)], "VALIDATE": False, "TESTING": True})
    server = LiveServer(app).start()
    yield server
    server.stop()


# Every URL the page could follow or load, parsed by the browser itself (which drops tabs and newlines
# and ignores case in a scheme), and whether the page carries a script IRI of the data at all.
LINKS = """() => {
    const urls = [];
    for (const e of document.querySelectorAll('*')) {
        for (const name of ['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'poster', 'cite']) {
            const value = e.getAttribute(name);
            if (value !== null) urls.push([e.tagName, name, value]);
        }
    }
    const schemes = urls.map(([tag, name, value]) => [tag, name, value, new URL(value, document.baseURI).protocol]);
    const html = document.documentElement.outerHTML;
    return {
        live: schemes.filter(([tag, name, value, scheme]) => ['javascript:', 'vbscript:', 'data:'].includes(scheme)),
        carries: ['javascript:', 'javascript%3A', 'vbscript:', 'vbscript%3A', 'data:text', 'data%3Atext']
            .some(s => html.includes(s)),
        count: urls.length,
    };
}"""

SCRIPT_IRI_PAGES = [
    "/", "/search?q=milestone", "/timeline", "/timeline?org=" + R + "Hostile_Org",
    "/explore?iri=" + R + "Hostile_Era", "/explore?iri=" + R + "Hostile_Org&hops=2",
    "/explore?iri=javascript%3Aalert%281%29",
    "/paths?from=Script+milestone&to=Hostile+org",
    "/resource/Hostile_Era.html", "/resource/Hostile_Org.html", "/resource/Hostile_Milestone.html",
    "/resource/Xss_Milestone.html", "/ontology/Milestone.html",
    "/query?query=SELECT+%3Fs+%3Fp+%3Fo+WHERE+%7B+%3Fs+%3Fp+%3Fo+%7D",
    "/query?query=CONSTRUCT+WHERE+%7B+%3Fs+%3Fp+%3Fo+%7D",
    "/query?query=DESCRIBE+%3Cjavascript%3Aalert%281%29%3E",
    "/queries/era-milestones?era=" + R + "Hostile_Era", "/queries/produced-by?org=" + R + "Hostile_Org",
    "/void.html", "/dumps/",
]


@pytest.mark.parametrize("path", SCRIPT_IRI_PAGES)
def test_a_script_iri_is_never_a_live_link(browser, hostile_server, path):
    t = Tab(browser, hostile_server.url)
    try:
        t.go(path)
        found = t.page.evaluate(LINKS)
        assert found["live"] == [], path
        assert found["carries"], f"{path} shows no script IRI: the check above saw nothing to refuse"
        assert found["count"] > 10
        assert t.dialogs == []
    finally:
        t.close()


def test_the_link_check_sees_a_disguised_script_link(browser, hostile_server):
    # The control: the check reads links as the browser does, so a scheme in odd case, with a tab inside or
    # a space before it, is caught.
    t = Tab(browser, hostile_server.url)
    try:
        t.go("/")
        t.page.evaluate("""() => { for (const v of [' JaVa\\tScRiPt:alert(1)', 'VBSCRIPT:x', 'data:text/html,x']) {
            const a = document.createElement('a'); a.setAttribute('href', v); document.body.appendChild(a); } }""")
        assert [link[2] for link in t.page.evaluate(LINKS)["live"]] == [
            " JaVa\tScRiPt:alert(1)", "VBSCRIPT:x", "data:text/html,x"]
    finally:
        t.close()


def test_following_a_script_iri_from_the_suggestions_runs_nothing(browser, hostile_server):
    # The search box's suggestions navigate to each hit's url from /api/search: a script IRI's is its
    # explorer page.
    t = Tab(browser, hostile_server.url)
    try:
        t.go("/")
        box = t.page.locator("#site-search")
        box.press_sequentially("Script milestone", delay=20)
        option = t.page.locator("#" + box.get_attribute("aria-controls")).get_by_role("option").first
        option.wait_for()
        box.press("ArrowDown")
        box.press("Enter")
        t.page.wait_for_url("**/explore?iri=javascript*")
        assert t.dialogs == []
        assert t.page.evaluate(LINKS)["live"] == []
    finally:
        t.close()


# Every kind of page, for the Content-Security-Policy check: what each one runs and draws must come from us.
PAGE_KINDS = [
    "/", "/search?q=alpha", "/timeline", "/explore?iri=" + R + "AlphaGo&hops=2",
    "/paths?from=Ilya+Sutskever&to=AlphaGo", "/query",
    "/query?query=SELECT+%3Fs+WHERE+%7B+%3Fs+a+%3Chttps%3A%2F%2Fw3id.org%2Fai-history%2Fontology%2FModel%3E+%7D+LIMIT+5",
    "/queries", "/queries/produced-by?org=DeepMind", "/resource/AlphaGo.html", "/ontology.html",
    "/ontology/Milestone.html", "/void.html", "/dumps/",
]


@pytest.mark.parametrize("path", PAGE_KINDS)
def test_no_page_breaks_its_content_security_policy(tab, path):
    page = tab.page
    response = page.goto(tab.base + path)
    assert response is not None and response.status == 200, path
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")
    page.mouse.move(200, 200)
    if path.startswith("/query"):
        # The vendored editor runs under the policy: it is drawn, it takes typing and offers completions.
        editor = page.locator(".yasqe .CodeMirror")
        editor.wait_for()
        editor.click()
        page.keyboard.press("Control+A")
        page.keyboard.type("PREFIX rd", delay=20)
        page.keyboard.press("Control+Space")
        hints = page.locator(".CodeMirror-hints li")
        hints.first.wait_for()
        assert any(h.startswith("rdf") for h in hints.all_inner_texts())  # the bundled prefixes
        page.keyboard.press("Escape")
        # Where a class may stand, the editor's own class completer would ask a server elsewhere (LOV).
        page.keyboard.type("f: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>\nSELECT * WHERE { ?x a rd", delay=20)
        page.keyboard.press("Control+Space")
        page.wait_for_load_state("networkidle")
    else:
        box = page.locator("input[data-autocomplete]").first
        box.press_sequentially("alpha", delay=20)
        page.locator(".ac-list [role=option]").first.wait_for()
    assert tab.violations() == [], path
    assert tab.blocked == [], path  # nothing asked for outside 127.0.0.1


@pytest.mark.parametrize("path", ["/resource/No_such_thing.html", "/explore?iri=nothing+of+that+name",
                                  "/query?query=SELECT+WHERE"])
def test_error_pages_keep_the_policy_too(tab, path):
    response = tab.page.goto(tab.base + path)
    assert response is not None and response.status in (400, 404), path
    tab.page.wait_for_load_state("networkidle")
    assert tab.violations() == [], path


def test_the_violation_listener_hears_a_violation(tab):
    # The control: an inline script on one of our pages is refused and reported, so the empty lists above
    # mean no violation happened, not a deaf listener.
    tab.go("/")
    tab.page.evaluate("""() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';
                                 document.body.appendChild(s); }""")
    tab.page.wait_for_timeout(100)  # the report is queued as a task after the refusal
    assert tab.page.evaluate("window.ran") is None
    assert [v["directive"] for v in tab.violations() if "directive" in v] == ["script-src-elem"]


# ---------------------------------------------------------------------------------------------- resource pages

NO_INLINE = """() => ({
    inlineScripts: [...document.scripts].filter(s => !s.src).length,
    // The vendored editor on the query page styles its own elements from its script (CSSOM, which the policy
    // allows); what the server writes has no style attribute.
    styleAttributes: [...document.querySelectorAll('[style]')].filter(e => !e.closest('.yasqe')).length,
    handlers: [...document.querySelectorAll('*')]
        .filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
})"""


def widths(browser, base: str, path: str, name: str, check=None) -> None:
    """Open a page at 1280 and 390 px, save both screenshots, and check it never scrolls sideways."""
    for width in (1280, 390):
        t = Tab(browser, base, width=width)
        failed: list[str] = []

        def note(response, failed=failed) -> None:
            if response.status >= 400:
                failed.append(f"{response.status} {response.url}")

        t.page.on("response", note)
        try:
            t.go(path)
            t.page.wait_for_load_state("load")
            assert failed == [], failed  # every style sheet, script and icon the page asks for is there
            assert t.page.evaluate(NO_INLINE) == {"inlineScripts": 0, "styleAttributes": 0, "handlers": 0}
            scroll = t.page.evaluate("document.documentElement.scrollWidth")
            assert scroll <= width, f"{path} is {scroll} px wide at {width} px"
            if check is not None:
                check(t.page, width)
            t.shot(f"{name}-{width}")
        finally:
            t.close()


def _key_facts(page) -> dict[str, str]:
    rows = page.locator("section.key-facts .st")
    return {rows.nth(i).locator("dt").inner_text().strip(): rows.nth(i).locator("dd.values").inner_text()
            for i in range(rows.count())}


def _sources_resolve(page) -> None:
    refs = page.locator("a.ref")
    assert refs.count() > 0
    for href in set(refs.evaluate_all("els => els.map(e => e.getAttribute('href'))")):
        assert page.locator(href).count() == 1, href  # every number points at a listed source


def test_alphago_page_statements_first(browser, live_server):
    def check(page, width):
        first = page.locator("article.resource > section").first
        assert first.get_attribute("class") == "key-facts"
        facts = _key_facts(page)
        assert list(facts)[:3] == ["Released", "By", "Paper"]
        assert facts["By"].strip().startswith("DeepMind")
        assert "won by AlphaGo" in facts["Matches"]
        _sources_resolve(page)
        assert page.locator("text=schema:producer").count() == 1  # folded, named once
        assert page.locator("section.cite pre").count() == 2
        for box in page.locator("a.ref").evaluate_all("els => els.map(e => e.getBoundingClientRect().toJSON())"):
            assert box["width"] >= 24 and box["height"] >= 24
    widths(browser, live_server.url, "/resource/AlphaGo.html", "resource-alphago", check)


def test_deepmind_page_milestones_and_models_over_time(browser, live_server):
    def check(page, width):
        facts = _key_facts(page)
        assert list(facts)[:2] == ["Founded", "Founders"]
        works = page.locator("#works-h + ol.chronicle > li")
        dates = works.locator("time").evaluate_all("els => els.map(e => e.getAttribute('datetime'))")
        assert len(dates) >= 6 and dates == sorted(dates)
        assert page.locator("#works-h + ol.chronicle .kind", has_text="model or system").count() >= 3
        _sources_resolve(page)
        assert page.get_by_role("link", name="Wikidata: Q15733006").count() == 1
    widths(browser, live_server.url, "/resource/DeepMind.html", "resource-deepmind", check)


def test_ilya_sutskever_page_has_a_dated_career(browser, live_server):
    def check(page, width):
        career = page.locator("#career-h + ol.chronicle > li")
        assert career.count() >= 4
        assert "OpenAI" in career.all_inner_texts()[1] and "research director" in career.all_inner_texts()[1]
        # "affiliated with" and "affiliation" are one list, not two rows.
        labels = [t.strip().lower() for t in page.locator("dl.statements dt").all_inner_texts()]
        assert "affiliated with" not in labels and "affiliation" not in labels
        work = page.locator("#work-h + ol.chronicle > li").all_inner_texts()
        assert any("ImageNet Classification" in w for w in work)
        _sources_resolve(page)
    widths(browser, live_server.url, "/resource/Ilya_Sutskever.html", "resource-ilya-sutskever", check)


# ---------------------------------------------------------------------------------------------- search

def test_search_finds_words_in_any_order_typos_and_narrows_by_type(browser, live_server):
    def check(page, width):
        labels = page.locator("ol.hits .hit-label").all_inner_texts()
        assert "Ilya Sutskever" in labels[:3]
        facets = page.locator("nav.facets a")
        assert facets.count() >= 2 and facets.first.get_attribute("aria-current") == "page"
        person = page.locator("nav.facets a", has_text="person")
        person.click()
        page.wait_for_url("**type=*")
        assert page.locator("ol.hits .hit-label").all_inner_texts() == ["Ilya Sutskever"]
    widths(browser, live_server.url, "/search?q=Sutskever+OpenAI", "search-sutskever-openai", check)

    def typo(page, width):
        assert page.locator("ol.hits .hit-label").first.inner_text() == "Geoffrey Hinton"
        assert "hinton" in page.locator(".note-box").inner_text()
    widths(browser, live_server.url, "/search?q=Hintn", "search-typo", typo)

    def dated(page, width):
        first = page.locator("ol.hits > li").first
        assert first.locator("time").get_attribute("datetime").startswith("2012")
    widths(browser, live_server.url, "/search?q=alexnet+2012", "search-alexnet-2012", dated)


def test_empty_search_and_404_say_did_you_mean(browser, live_server):
    def empty(page, width):
        suggestion = page.locator(".did-you-mean a").first
        suggestion.click()
        page.wait_for_url("**/search?q=*")
        assert page.locator("ol.hits > li").count() > 0
    widths(browser, live_server.url, "/search?q=Sutskever+Microsoft", "search-did-you-mean", empty)
    t = Tab(browser, live_server.url)
    try:
        response = t.page.goto(live_server.url + "/resource/Geofrey_Hintn")
        assert response.status == 404
        t.page.get_by_role("link", name="Geoffrey Hinton", exact=True).click()
        t.page.wait_for_url("**/resource/Geoffrey_Hinton.html")
        t.page.go_back()
        t.shot("not-found-did-you-mean-1280")
    finally:
        t.close()


# ---------------------------------------------------------------------------------------------- lists

def test_lists_are_sortable_tables_with_twins(browser, live_server):
    def check(page, width):
        heading = page.locator("table.listing thead th", has_text="People")
        heading.locator("a").click()
        page.wait_for_url("**sort=people*")
        assert page.locator("table.listing thead th[aria-sort]").inner_text().startswith("People")
        counts = [int(t) for t in page.locator("table.listing tbody td.num").all_inner_texts()[::2]]
        assert counts == sorted(counts)
        page.locator("table.listing thead th[aria-sort] a").click()
        page.wait_for_url("**desc=1*")
        counts = [int(t) for t in page.locator("table.listing tbody td.num").all_inner_texts()[::2]]
        assert counts == sorted(counts, reverse=True)
        for twin in ("CSV", "JSON"):
            href = page.get_by_role("link", name=twin, exact=True).get_attribute("href")
            assert page.request.get(live_server.url + href).ok
    widths(browser, live_server.url, "/lists/Milestone", "list-milestones", check)
    widths(browser, live_server.url, "/lists/", "lists")


@pytest.mark.parametrize("path", ["/dumps/", "/void.html", "/ontology.html", "/ontology/producedBy.html",
                                  "/resource/Transformer_paper.html", "/resource/AlphaGo_Zero.html"])
def test_dumps_and_property_tables_fit_a_phone(browser, live_server, path):
    widths(browser, live_server.url, path, "fits-" + path.strip("/").replace("/", "-").replace(".", "-"))


# ---------------------------------------------------------------------------------------------- accessibility

AXE = Path(__file__).parent / ".node" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
#: One page of each kind (and the states a page can be in: results, nothing found, an error).
PAGE_KINDS = [
    "/", "/search?q=alphago", "/search?q=Sutskever+Microsoft", "/search?q=Hintn",
    "/resource/AlphaGo_defeats_Lee_Sedol_2016.html", "/resource/Ilya_Sutskever.html", "/resource/DeepMind.html",
    "/resource/AlphaGo.html", "/resource/Transformer_paper.html", "/resource/Self-play.html",
    "/resource/Deep_Learning_Breakthrough.html", "/resource/Google_acquires_DeepMind_2014.html",
    "/resource/London.html", "/ontology/Milestone.html", "/ontology/producedBy.html", "/ontology.html",
    "/timeline", "/timeline?lanes=kind&org=" + R + "DeepMind", "/explore?iri=" + R + "AlphaGo",
    "/explore?iri=" + R + "AlphaGo&hops=2", "/explore", "/paths", "/paths?from=Ilya+Sutskever&to=AlphaGo",
    "/query", "/query?query=SELECT+%3Fm+WHERE+%7B+%3Fm+a+aikg%3AMilestone+%7D",
    "/query?query=SELECT+%3Fx+WHERE+%7B+%3Fx+%7D", "/queries", "/queries/produced-by?org=DeepMind",
    "/lists/", "/lists/Milestone", "/lists/Person?sort=papers&desc=1", "/dumps/", "/void.html",
    "/resource/No_Such_Thing.html", "/explore?iri=Nobody+At+All",
    "/explore?iri=" + R + "DeepMind&hops=2", "/trends", "/trends?metric=parameters", "/lists/Model",
    "/queries/prolific-authors", "/resource/Google.html",
]


@pytest.fixture(scope="module")
def axe_source():
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run scripts/test-deps (make test does)")
    return AXE.read_text(encoding="utf-8")


def _axe(browser, base: str, path: str, source: str, width: int) -> list[dict]:
    # axe is injected by the test, so the page's own Content-Security-Policy is set aside for it alone.
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    try:
        page = context.new_page()
        page.route("**/*", lambda route: route.continue_() if urlparse(route.request.url).hostname == "127.0.0.1"
                   else route.abort())
        page.goto(base + path)
        page.add_script_tag(content=source)
        found = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
        return [
            {"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"][:5]]}
            for v in found["violations"] if v["impact"] in ("serious", "critical")
        ]
    finally:
        context.close()


@pytest.mark.parametrize("path", PAGE_KINDS)
def test_axe_finds_nothing_serious(browser, live_server, axe_source, path):
    for width in (1280, 390):
        assert _axe(browser, live_server.url, path, axe_source, width) == [], f"{path} at {width} px"
