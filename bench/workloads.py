"""The requests the benchmarks time, and the check that every server gives the same answer first."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

import requests

from aikg.namespaces import RESOURCE, sparql_prologue
from bench.servers import Server
from bench.wrk import Request

JSON_RESULTS = "application/sparql-results+json"

ASK = "ASK { ?s ?p ?o }"
ONE_HOP = sparql_prologue() + """SELECT ?milestone ?label WHERE {
  ?milestone a aikg:Milestone ; aikg:producedBy <%s> ; rdfs:label ?label .
}"""
GROUP_BY = "SELECT ?class (COUNT(?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class"


@dataclass(frozen=True)
class Sparql:
    """A SPARQL query that every server answers."""

    name: str
    text: str

    def request(self, server: Server) -> Request:
        """POST the query as application/sparql-query to the server's endpoint."""
        return Request("POST", server.sparql_path, (("Content-Type", "application/sparql-query"),
                                                     ("Accept", JSON_RESULTS)), self.text)


@dataclass(frozen=True)
class Page:
    """An aikg-only GET (a named-query API call or an HTML page)."""

    name: str
    path: str
    accept: str

    def request(self, server: Server) -> Request:
        return Request("GET", self.path, (("Accept", self.accept),))


def sparql_queries(org: str | None) -> list[Sparql]:
    """The three SPARQL workloads: trivial, one hop from one organisation, an aggregate over all subjects."""
    out = [Sparql("ask", ASK)]
    if org is not None:
        out.append(Sparql("one-hop", ONE_HOP % org))
    out.append(Sparql("group-by", GROUP_BY))
    return out


def aikg_pages(server: Server, org: str | None) -> tuple[list[Page], list[str]]:
    """The aikg-only requests whose routes exist now; and a note for each that does not."""
    candidates: list[Page] = []
    named = _named_query(server, org)
    if named is not None:
        candidates.append(named)
    if org is not None and org.startswith(RESOURCE):
        candidates.append(Page("resource-page", f"/resource/{org[len(RESOURCE):]}.html", "text/html"))
    candidates.append(Page("timeline", "/timeline", "text/html"))
    pages, missing = _answering(server, candidates)
    if named is None:
        missing.insert(0, "named-query: not available (no /api/queries listing with a usable query)")
    return pages, missing


def browse_pages(server: Server, org: str | None) -> tuple[list[Page], list[str]]:
    """Every kind of HTML page a reader opens, about the busiest organisation where a page needs a subject.

    The path is from the first person (by IRI) to the organisation: on the shipped graph a real question,
    on a generated one whatever the data links.
    """
    candidates = [Page("home", "/", "text/html"), Page("timeline", "/timeline", "text/html"),
                  Page("query page", "/query", "text/html"), Page("ontology", "/ontology", "text/html"),
                  Page("named-query list", "/queries", "text/html")]
    if org is not None and org.startswith(RESOURCE):
        slug = org[len(RESOURCE):]
        arg = urllib.parse.quote(org, safe="")
        candidates += [
            Page("resource page", f"/resource/{slug}.html", "text/html"),
            Page("search", f"/search?q={urllib.parse.quote(slug.replace('_', ' ')[:12])}", "text/html"),
            Page("search (autocomplete)", f"/api/search?q={urllib.parse.quote(slug[:4])}", "application/json"),
            Page("explore, 1 hop", f"/explore?iri={arg}&hops=1", "text/html"),
            Page("explore, 2 hops", f"/explore?iri={arg}&hops=2", "text/html"),
            Page("named query page", f"/queries/produced-by?org={arg}", "text/html"),
        ]
        person = _first(server, "SELECT ?p WHERE { ?p a aikg:Person } ORDER BY ?p LIMIT 1")
        if person is not None:
            candidates.append(Page("paths", f"/paths?from={urllib.parse.quote(person, safe='')}&to={arg}",
                                   "text/html"))
    return _answering(server, candidates)


def _answering(server: Server, candidates: list[Page]) -> tuple[list[Page], list[str]]:
    """The pages that answer 200, and a note for each that does not."""
    pages: list[Page] = []
    missing: list[str] = []
    for page in candidates:
        status = _status(server, page)
        if status == 200:
            pages.append(page)
        else:
            missing.append(f"{page.name} ({page.path}): not available (HTTP {status})")
    return pages, missing


def _first(server: Server, select: str) -> str | None:
    """The first binding of a one-variable SELECT on the server, or None."""
    try:
        answer = requests.post(server.sparql, data=(sparql_prologue() + select).encode(), timeout=300,
                               headers={"Content-Type": "application/sparql-query", "Accept": JSON_RESULTS})
        rows = answer.json()["results"]["bindings"] if answer.status_code == 200 else []
    except (requests.RequestException, ValueError, KeyError):
        return None
    return next((cell["value"] for row in rows for cell in row.values()), None)


def _status(server: Server, page: Page) -> int | str:
    try:
        return requests.get(server.url + page.path, headers={"Accept": page.accept}, timeout=60).status_code
    except requests.RequestException as e:
        return type(e).__name__


def _named_query(server: Server, org: str | None, prefer: str = "produced-by") -> Page | None:
    """Pick a named query from the server's catalogue: `prefer` (or another taking one organisation)."""
    try:
        answer = requests.get(server.url + "/api/queries", headers={"Accept": "application/json"}, timeout=30)
        listing = answer.json() if answer.status_code == 200 else None
    except (requests.RequestException, ValueError):
        return None
    items = listing.get("queries") if isinstance(listing, dict) else listing
    if not isinstance(items, list):
        return None
    candidates: list[Page] = []
    for item in items:
        if not isinstance(item, dict) or "name" not in item:
            continue
        params = [p for p in item.get("parameters", []) if isinstance(p, dict)]
        required = [p for p in params if p.get("required")]
        if org is not None and len(required) == 1 and str(required[0].get("class", "")).endswith("Organisation"):
            query = urllib.parse.urlencode({required[0]["name"]: org})
            page = Page(f"named-query {item['name']}", f"/api/queries/{item['name']}?{query}", "application/json")
            candidates.insert(0 if item["name"] == prefer else len(candidates), page)
        elif not required:
            candidates.append(Page(f"named-query {item['name']}", f"/api/queries/{item['name']}", "application/json"))
    return candidates[0] if candidates else None


def answer_size(server: Server, query: Sparql) -> str:
    """Return a server's answer to a query, reduced to what must agree: a boolean or a row count."""
    try:
        r = requests.post(server.sparql, data=query.text.encode(), timeout=300,
                          headers={"Content-Type": "application/sparql-query", "Accept": JSON_RESULTS})
    except requests.RequestException as e:
        return f"error {type(e).__name__}"
    if r.status_code != 200:
        return f"HTTP {r.status_code}"
    try:
        body = r.json()
    except ValueError:
        return "not JSON"
    if "boolean" in body:
        return str(body["boolean"]).lower()
    return f"{len(body.get('results', {}).get('bindings', []))} rows"
