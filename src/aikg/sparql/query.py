"""Lexical checks of a public query text before any engine sees it.

The engine executes ``SERVICE <url>`` (it fetches the URL) and would run updates if handed them, so the
public endpoint tokenises the text first and refuses both. The tokenizer follows the SPARQL 1.1 grammar's
terminals: comments, string literals, IRIs, variables, blank node labels and prefixed names are skipped
whole, so a label "SERVICE", an IRI <http://x/SERVICE> or a name ex:insert never trips the checks. Only
bare words (keywords, function names, ``a``, ``true``) are looked at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urljoin

from aikg.errors import BadQuery, UpdateForbidden

QUERY_FORMS = frozenset({"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"})
#: Words that only SPARQL Update has; none of them is a keyword or function of SPARQL 1.1 Query.
UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH", "USING"}
)
#: Words that make the engine fetch something on the query's behalf.
FETCH_KEYWORDS = frozenset({"SERVICE"})

_PN = r"A-Za-z\u00C0-\uFFFF"  # PN_CHARS_BASE, widened to all non-ASCII (only ever makes a token longer)
_TOKEN = re.compile(
    rf"""
    (?P<space>\s+)
  | (?P<comment>\#[^\r\n]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
              |'(?:[^'\\\r\n]|\\.)*'|"(?:[^"\\\r\n]|\\.)*")
  | (?P<iri><[^<>"{{}}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][0-9_{_PN}\u00B7]+)
  | (?P<bnode>_:[0-9_.\-{_PN}\u00B7]*)
  | (?P<pname>(?:[{_PN}][0-9_.\-{_PN}\u00B7]*)?:(?:[0-9_.\-:%{_PN}\u00B7]|\\.)*)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


@dataclass(frozen=True)
class Token:
    """One lexical token: its kind (word, iri, pname, var, string, ...), its text and where it starts."""

    kind: str
    text: str
    start: int
    end: int

    @property
    def keyword(self) -> str:
        """Return the upper-cased text of a bare word ('' for any other token)."""
        return self.text.upper() if self.kind == "word" else ""


@dataclass(frozen=True)
class QueryShape:
    """What the checks learn about a query: its form and the dataset its own FROM clauses name."""

    form: str
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    #: The text has relative IRIs and no BASE: the engine needs a base IRI to resolve them.
    needs_base: bool = False

    @property
    def has_dataset(self) -> bool:
        """Tell whether the query names its own dataset (FROM or FROM NAMED)."""
        return bool(self.default_graphs or self.named_graphs)


def tokens(text: str) -> Iterator[Token]:
    """Yield the significant tokens of a query text (no whitespace, no comments)."""
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "other"
        if kind in ("space", "comment"):
            continue
        yield Token(kind, m.group(), m.start(), m.end())


def check_query(text: str) -> str:
    """Return the query form (SELECT, ASK, CONSTRUCT, DESCRIBE) of a text safe to run in public.

    Raises :class:`UpdateForbidden` for SPARQL Update and :class:`BadQuery` for SERVICE (which would
    fetch a URL) or a text that is not a query at all.
    """
    return analyse(text).form


@lru_cache(maxsize=1024)
def analyse(text: str) -> QueryShape:
    """Check a query text (see :func:`check_query`) and return its form and its own dataset."""
    prefixes: dict[str, str] = {}
    base = ""
    default: list[str] = []
    named: list[str] = []
    toks = list(tokens(text))
    if not toks:
        raise BadQuery("The query is empty.")
    i = 0
    # The prologue: BASE <iri> and PREFIX p: <iri>, in any order.
    while i < len(toks) and toks[i].keyword in ("BASE", "PREFIX"):
        if toks[i].keyword == "BASE" and i + 1 < len(toks) and toks[i + 1].kind == "iri":
            base = _resolve(toks[i + 1].text[1:-1], base)
            i += 2
        elif i + 2 < len(toks) and toks[i + 1].kind == "pname" and toks[i + 2].kind == "iri":
            prefixes[toks[i + 1].text[:-1]] = _resolve(toks[i + 2].text[1:-1], base)
            i += 3
        else:
            break  # malformed prologue: the engine reports it with a position
    first = toks[i] if i < len(toks) else None
    in_body = False  # dataset clauses come before the first '{'
    needs_base = False
    for j, tok in enumerate(toks):
        word = tok.keyword
        if not word:
            in_body = in_body or tok.text == "{"
            if tok.kind == "iri" and not base and not _ABSOLUTE.match(tok.text, 1):
                needs_base = True
            continue
        if word in UPDATE_KEYWORDS:
            raise UpdateForbidden(
                f"This endpoint is read-only: SPARQL Update ({word}, at {_where(text, tok.start)}) is not accepted. "
                "Load the data into a store of your own to change it."
            )
        if word in FETCH_KEYWORDS:
            raise BadQuery(
                f"SERVICE (at {_where(text, tok.start)}) is not allowed: this endpoint does not fetch remote data "
                "on a query's behalf. Query the other endpoint yourself and combine the results.",
                details=_position(text, tok.start),
            )
        if word == "FROM" and not in_body:
            named_clause = j + 1 < len(toks) and toks[j + 1].keyword == "NAMED"
            target = toks[j + 2] if named_clause else (toks[j + 1] if j + 1 < len(toks) else None)
            iri = _term_iri(target, prefixes, base) if target is not None else None
            if iri is not None:
                (named if named_clause else default).append(iri)
    if first is None or first.keyword not in QUERY_FORMS:
        found = f"found {first.text[:30]!r}" if first is not None else "found the end of the text"
        where = _where(text, first.start) if first is not None else "the end"
        raise BadQuery(
            f"SPARQL syntax error at {where}: expected SELECT, ASK, CONSTRUCT or DESCRIBE, {found}.",
            details=_position(text, first.start if first is not None else len(text)),
        )
    return QueryShape(first.keyword, tuple(default), tuple(named), needs_base)


def describe_as_select(text: str) -> str:
    """Rewrite a DESCRIBE query into a SELECT DISTINCT of the resources it describes.

    Variables stay variables; constant targets become ``(<iri> AS ?__describedN)`` so that prefixed
    names are resolved by the engine itself. A DESCRIBE without a WHERE clause gets an empty one.
    """
    toks = list(tokens(text))
    at = next(k for k, t in enumerate(toks) if t.keyword == "DESCRIBE")
    k = at + 1
    projection: list[str] = []
    while k < len(toks):
        tok = toks[k]
        if tok.kind == "var":
            projection.append(tok.text)
        elif tok.kind in ("iri", "pname"):
            projection.append(f"({tok.text} AS ?__described{len(projection)})")
        elif tok.kind == "other" and tok.text == "*":
            projection.append("*")
        else:
            break
        k += 1
    targets_end = toks[k - 1].end
    while k < len(toks) and toks[k].keyword == "FROM":
        k += 3 if k + 1 < len(toks) and toks[k + 1].keyword == "NAMED" else 2
    k = min(k, len(toks))
    has_where = k < len(toks) and (toks[k].keyword == "WHERE" or toks[k].text == "{")
    dataset_end = toks[k - 1].end
    where = "" if has_where else " WHERE {}"
    return (
        text[: toks[at].start]
        + "SELECT DISTINCT "
        + " ".join(projection)
        + text[targets_end:dataset_end]
        + where
        + text[dataset_end:]
    )


def _term_iri(tok: Token, prefixes: dict[str, str], base: str) -> str | None:
    if tok.kind == "iri":
        return _resolve(tok.text[1:-1], base)
    if tok.kind == "pname":
        prefix, _, local = tok.text.partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)
    return None


def _resolve(iri: str, base: str) -> str:
    return urljoin(base, iri) if base and ":" not in iri.split("/", 1)[0] else iri


def _position(text: str, offset: int) -> dict[str, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return {"line": line, "column": column}


def _where(text: str, offset: int) -> str:
    pos = _position(text, offset)
    return f"line {pos['line']}, column {pos['column']}"


# -- the prologue: prefixes a page declares for its reader --------------------------------------------


def declared_prefixes(text: str) -> dict[str, str]:
    """Return the prefixes a query text declares (name -> namespace IRI), in its PREFIX lines."""
    found: dict[str, str] = {}
    toks = [t for t in tokens(text) if t.kind not in ("space", "comment")]
    for at, tok in enumerate(toks[:-2]):
        if tok.keyword == "PREFIX" and toks[at + 1].kind == "pname" and toks[at + 2].kind == "iri":
            found[toks[at + 1].text[:-1]] = toks[at + 2].text[1:-1]
    return found


def with_prefixes(text: str, prefixes: dict[str, str]) -> str:
    """Return the text with a PREFIX line for each prefix of `prefixes` it uses but does not declare."""
    declared = declared_prefixes(text)
    used = {t.text.split(":", 1)[0] for t in tokens(text) if t.kind == "pname"}
    missing = [p for p in prefixes if p in used and p not in declared]
    return "".join(f"PREFIX {p}: <{prefixes[p]}>\n" for p in missing) + text


def fold_prologue(text: str, prefixes: dict[str, str]) -> str:
    """Drop the leading PREFIX lines that declare a prefix of `prefixes` as `prefixes` does (a page declares
    them for its reader, see :func:`with_prefixes`); any other line, and what follows, is kept as written."""
    lines = text.splitlines(keepends=True)
    at = 0
    while at < len(lines):
        line = lines[at].strip()
        if not line:
            at += 1
            continue
        found = declared_prefixes(line)
        shared = all(prefixes.get(p) == i for p, i in found.items())
        if len(found) == 1 and line.upper().startswith("PREFIX") and shared:
            at += 1
            continue
        break
    return "".join(lines[at:])
