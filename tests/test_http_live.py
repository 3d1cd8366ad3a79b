"""What every response shares, over real HTTP (web/http.py): strict UTF-8 on every channel, and the security
headers on every answer."""

from __future__ import annotations

import socket
from hashlib import sha256
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from conftest import TINY
from test_serve import ServeProcess

R = "https://w3id.org/ai-history/resource/"
CLASSES = "SELECT ?c WHERE { ?c a <http://www.w3.org/2002/07/owl#Class> }"

# Byte sequences UTF-8 forbids, percent-encoded: a stray continuation byte, a byte that never occurs, a cut
# sequence, an overlong slash, a UTF-16 surrogate and a code point past U+10FFFF.
BAD_BYTES = ["%FF", "%80", "%E2%82", "%C0%AF", "%ED%A0%80", "%F4%90%80%80"]


def readable_400(response: requests.Response) -> str:
    """Assert the answer is a 400 naming UTF-8, and return its message."""
    assert response.status_code == 400, (response.status_code, response.text[:300])
    if response.headers["Content-Type"].startswith("application/json"):
        message = response.json()["message"]
    else:
        message = response.text
    assert "UTF-8" in message, message[:300]
    return message


def query_with(bad: str) -> str:
    """Return a percent-encoded SELECT whose string literal holds the bad bytes."""
    return quote('SELECT * WHERE { ?s ?p "x', safe="") + bad + quote('" }', safe="")


@pytest.mark.parametrize("bad", BAD_BYTES)
def test_invalid_utf8_in_a_get_query_is_refused(live_server, bad):
    r = requests.get(f"{live_server.url}/sparql?query={query_with(bad)}", timeout=10)
    message = readable_400(r)
    # It names the parameter, and the first bad byte's place in the decoded text.
    offset = len('SELECT * WHERE { ?s ?p "x')
    assert f"(parameter 'query') is not valid UTF-8 (at byte {offset} of the text, 0x{bad[1:3]}" in message
    assert r.json()["details"]["offset"] == offset


@pytest.mark.parametrize("bad", BAD_BYTES)
def test_invalid_utf8_in_a_form_post_is_refused(live_server, bad):
    body = f"query={query_with(bad)}"
    r = requests.post(f"{live_server.url}/sparql", data=body,
                      headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
    assert "form" in readable_400(r)


def test_invalid_utf8_in_a_direct_post_is_refused(live_server):
    body = b'SELECT * WHERE { ?s ?p "x\xff" }'
    r = requests.post(f"{live_server.url}/sparql", data=body,
                      headers={"Content-Type": "application/sparql-query"}, timeout=10)
    readable_400(r)


def test_invalid_utf8_in_the_form_of_the_query_page_is_refused(live_server):
    r = requests.post(f"{live_server.url}/query", data=f"query={query_with('%FF')}",
                      headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"},
                      timeout=10)
    message = readable_400(r)
    assert "<html" in message.lower()  # a browser gets the error page


def test_multipart_forms_are_refused_with_a_reason(live_server):
    # No form of ours uploads files; Werkzeug would decode a multipart field with replacement characters.
    r = requests.post(f"{live_server.url}/query", files={"query": (None, b"SELECT \xff")},
                      headers={"Accept": "application/json"}, timeout=10)
    assert r.status_code == 415
    assert "multipart/form-data" in r.json()["message"]


PAGES = [
    "/search?q={}",
    "/api/search?q={}",
    "/api/queries/produced-by?org=Deep{}Mind",
    "/queries/produced-by?org=Deep{}Mind",
    "/timeline?org={}",
    "/explore?iri={}",
    "/paths?from=Alpha{}Go&to=DeepMind",
    "/query?query=" + query_with("{}"),
    "/resource/AlphaGo.html?incoming_limit=1{}",
    "/void.ttl?format={}",
    "/?{}=1",
]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("bad", ["%FF", "%ED%A0%80"])
def test_invalid_utf8_in_any_page_argument_is_refused(live_server, page, bad):
    r = requests.get(live_server.url + page.format(bad), headers={"Accept": "application/json"}, timeout=10)
    message = readable_400(r)
    assert "query string" in message


@pytest.mark.parametrize("path", ["/resource/Alpha%FFGo.html", "/resource/%ED%A0%80", "/no-such-page%C0%AF"])
def test_invalid_utf8_in_the_path_is_refused(live_server, path):
    r = requests.get(live_server.url + path, headers={"Accept": "application/json"}, timeout=10)
    assert "path" in readable_400(r)


def raw_get(port: int, target: bytes) -> tuple[int, bytes]:
    """Send a request line with raw (not percent-encoded) bytes and return the status and the body."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n"
                     b"Connection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


@pytest.fixture(scope="module")
def served():
    """`aikg serve` itself: Werkzeug's development server reads raw bytes of the request line as Latin-1 text
    and passes them on as valid UTF-8, so only the real server shows what a client's raw bytes become."""
    server = ServeProcess("--data", str(TINY), "--workers", "1", "--no-validate")
    try:
        yield server.wait_ready()
    finally:
        server.stop()


@pytest.mark.parametrize("target", [b"/resource/%FF.html", b"/api/search?q=%ED%A0%80", b"/sparql?query=ASK%7B%7D%C3"])
def test_the_real_server_refuses_invalid_utf8_too(served, target):
    status, body = raw_get(served.port, target)
    assert status == 400, body[:300]
    assert b"UTF-8" in body


@pytest.mark.parametrize("target", [b"/search?q=\xff", b"/sparql?query=SELECT%20\xc3", b"/resource/\xff.html"])
def test_raw_bytes_in_the_request_line_are_refused(served, target):
    # A request target is ASCII (RFC 9112, section 3.2); the server refuses any other byte before the app.
    status, body = raw_get(served.port, target)
    assert status == 400, body[:300]


def test_valid_utf8_still_works_everywhere(live_server):
    text = 'SELECT ?v WHERE { BIND("Sedol \uc774\uc138\ub3cc \u2713 \U0001f600" AS ?v) }'
    r = requests.get(f"{live_server.url}/sparql", params={"query": text}, timeout=10)
    assert r.json()["results"]["bindings"][0]["v"]["value"] == "Sedol \uc774\uc138\ub3cc \u2713 \U0001f600"
    r = requests.post(f"{live_server.url}/sparql", data={"query": text}, timeout=10)
    assert r.json()["results"]["bindings"][0]["v"]["value"] == "Sedol \uc774\uc138\ub3cc \u2713 \U0001f600"
    r = requests.get(f"{live_server.url}/search", params={"q": "Sedol \u2713"}, timeout=10)
    assert r.status_code == 200 and "Sedol \u2713" in r.text
    r = requests.get(f"{live_server.url}/api/queries/produced-by", params={"org": "DeepMind"}, timeout=10)
    assert r.status_code == 200 and r.json()["rows"]



# -- security headers on every answer ----------------------------------------------------------------------

EVERY_KIND = [
    ("GET", "/", {"Accept": "text/html"}), ("GET", "/query", {"Accept": "text/html"}),
    ("GET", "/resource/AlphaGo", {"Accept": "text/html"}), ("GET", "/resource/AlphaGo.html", {}),
    ("GET", "/resource/AlphaGo.jsonld", {}), ("GET", "/void.ttl", {}), ("GET", "/dumps/", {}),
    ("GET", "/api/queries/produced-by?org=DeepMind", {}), ("GET", "/api/search?q=alpha", {}),
    ("GET", "/sparql?query=ASK%7B%7D", {}), ("GET", "/sparql", {"Accept": "text/turtle"}),
    ("GET", "/sparql?query=SELECT", {}), ("GET", "/no/such/page", {"Accept": "text/html"}),
    ("GET", "/no/such/page", {"Accept": "application/json"}), ("GET", "/search?q=%FF", {}),
    ("GET", "/static/aikg.js", {}), ("GET", "/static/vendor/yasqe/yasqe.min.js", {}),
    ("POST", "/sparql", {"Content-Type": "application/sparql-update"}), ("OPTIONS", "/sparql", {}),
    ("DELETE", "/sparql", {}),
]


@pytest.mark.parametrize(("method", "path", "headers"), EVERY_KIND)
def test_every_answer_carries_the_security_headers(live_server, method, path, headers):
    r = requests.request(method, live_server.url + path, headers=headers, allow_redirects=False, timeout=30)
    csp = {d.strip().split(" ", 1)[0]: d.strip().split(" ", 1)[1:] for d in r.headers["Content-Security-Policy"]
           .split(";")}
    assert csp["default-src"] == ["'self'"] and csp["script-src"] == ["'self'"], csp
    assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]
    assert "unsafe" not in r.headers["Content-Security-Policy"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert r.headers["X-Frame-Options"] == "DENY"


def test_a_revalidated_answer_carries_them_too(live_server):
    url = f"{live_server.url}/resource/AlphaGo.ttl"
    etag = requests.get(url, timeout=30).headers["ETag"]
    r = requests.get(url, headers={"If-None-Match": etag}, timeout=30)
    assert r.status_code == 304 and "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]


def test_the_query_editor_is_served_by_the_app_as_vendored():
    # scripts/vendor-yasqe wrote these files and their hashes; a hand edit shows here.
    folder = Path(__file__).parents[1] / "src" / "aikg" / "web" / "static" / "vendor" / "yasqe"
    lines = (folder / "VERSION").read_text().splitlines()
    assert lines[0].startswith("@zazuko/yasqe@") and "MIT" in lines[0]
    hashes = dict(reversed(line.split("  ")) for line in lines[3:])
    assert set(hashes) == {"yasqe.min.js", "yasqe.min.css", "LICENSE.txt"}
    for name, digest in hashes.items():
        assert sha256((folder / name).read_bytes()).hexdigest() == digest, name
    assert "MIT License" in (folder / "LICENSE.txt").read_text()
