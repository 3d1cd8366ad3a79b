"""Check that a freshly served aikg answers its four kinds of request (standard library only)."""

import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


def get(url: str, accept: str) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.headers.get("Content-Type", ""), response.read()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait(base: str, limit: float, pid: int) -> None:
    deadline = time.monotonic() + limit
    while True:
        try:
            get(base + "/", "text/html")
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if not alive(pid):
                raise SystemExit("smoke-serve: `make serve` ended before it answered") from None
            if time.monotonic() > deadline:
                raise SystemExit(f"smoke-serve: {base} did not answer within {limit:.0f} s") from None
            time.sleep(1)


def main() -> None:
    base, limit, pid = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    wait(base, limit, pid)
    checks = []
    status, kind, body = get(base + "/", "text/html")
    checks.append(("home page", status == 200 and kind.startswith("text/html") and b"<html" in body.lower()))
    query = urllib.parse.quote("ASK { ?s a <https://w3id.org/ai-history/ontology/Milestone> }")
    status, kind, body = get(f"{base}/sparql?query={query}", "application/sparql-results+json")
    checks.append(("/sparql", status == 200 and json.loads(body).get("boolean") is True))
    status, kind, body = get(base + "/resource/AlphaGo", "text/html")
    checks.append(("resource page", status == 200 and b"AlphaGo" in body))
    status, kind, body = get(base + "/api/queries/produced-by?org=DeepMind", "application/json")
    rows = json.loads(body)
    rows = rows.get("rows", rows.get("results", rows)) if isinstance(rows, dict) else rows
    checks.append(("named query", status == 200 and len(rows) > 0))
    status, kind, body = get(base + "/resource/AlphaGo", "application/ld+json")
    checks.append(("JSON-LD document", status == 200 and "json" in kind and json.loads(body)))
    for name, ok in checks:
        print(f"smoke-serve: {name}: {'ok' if ok else 'FAILED'}")
    if not all(ok for _, ok in checks):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
