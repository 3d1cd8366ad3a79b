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
    # Sutskever is an author of the AlphaGo paper, which AlphaGo's record names as its paper.
    steps = first.locator("li.step .prop").all_inner_texts()
    assert steps == ["author", "paper"]
    assert "backward" in first.locator("li.step").first.get_attribute("class")
    tab.shot("paths-ilya-alphago")


def test_explore_draws_a_labelled_graph(tab):
    page = tab.page
    tab.go("/explore?iri=" + R + "AlphaGo")
    svg = page.locator("figure.graph svg")
    assert svg.is_visible()
    labels = svg.locator("text.edge-label").all_text_contents()
    assert "produced by" in labels
    tab.shot("explore-alphago")


def test_run_an_example_query_and_open_an_iri(tab):
    page = tab.page
    tab.go("/query")
    page.locator(".yasqe .CodeMirror").wait_for()  # the editor, served by the app itself
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
