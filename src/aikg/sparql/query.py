"""The structure of a query, read once from the lexer's terminals: what the endpoint checks and rewrites.

:func:`analyse` returns one :class:`Query`: its form (SELECT, ASK, CONSTRUCT, DESCRIBE), its own dataset
(FROM and FROM NAMED resolved through PREFIX and BASE), whether relative IRIs need a base, its depth, and
where its outer WHERE group, LIMIT and trailing VALUES are. The public endpoint analyses a query once and
passes this object along; the VALUES binding, the named-query catalogue and DESCRIBE's rewriting read it
instead of scanning the text with rules of their own.

The checks made here: a query that uses SPARQL Update is refused with 403, and one where the engine could
read SERVICE (the engine fetches the URL, see :mod:`aikg.sparql.lexer` for every spelling) with 400, both
naming the line and column in the text as sent. :attr:`Query.text` is the decoded text: the one to run.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from aikg.errors import BadQuery, UpdateForbidden
from aikg.sparql.lexer import (
    ANON,
    BNODE,
    DEFAULT_MAX_DEPTH,
    IRI,
    PNAME_LN,
    PNAME_NS,
    PUNCT,
    VAR,
    WORD,
    Lexed,
    Token,
    lex,
    tokens,
)

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "FETCH_KEYWORDS",
    "QUERY_FORMS",
    "UPDATE_KEYWORDS",
    "VOLATILE_FUNCTIONS",
    "Query",
    "Token",
    "analyse",
    "check_query",
    "describe_as_select",
    "tokens",
    "volatile",
]

QUERY_FORMS = frozenset({"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"})
#: Words that only SPARQL Update has; none of them is a keyword or function of SPARQL 1.1 Query.
UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH", "USING"}
)
#: Functions whose value differs from one run to the next.
VOLATILE_FUNCTIONS = frozenset({"NOW", "RAND", "UUID", "STRUUID", "BNODE"})
#: Words that make the engine fetch something on the query's behalf.
FETCH_KEYWORDS = frozenset({"SERVICE"})

_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_IRI_CONTENT = re.compile(r"[^<>\"{}|^`\\\x00-\x20]*")
_PN_LOCAL_ESC = re.compile(r"\\(.)")
# Texts up to this length are analysed once per process (named queries, the pages' own queries repeat).
_CACHED_CHARS = 8 * 1024


@dataclass(frozen=True, eq=False)
class Query:
    """A query's structure, computed once from its terminals."""

    #: The text as sent.
    source: str
    #: The text with its codepoint escapes decoded: what the checks read, and what runs.
    text: str
    #: SELECT, ASK, CONSTRUCT or DESCRIBE.
    form: str
    #: The BASE IRI the query declares, resolved ('' when it declares none).
    base: str
    prefixes: Mapping[str, str]
    default_graphs: tuple[str, ...]
    named_graphs: tuple[str, ...]
    #: The text has relative IRIs and no BASE: the engine needs a base IRI to resolve them.
    needs_base: bool
    #: The depth of the engine's syntax tree (brackets and chained operators), as the lexer measured it.
    depth: int
    #: The variables named in a SELECT clause (expressions included), or None for SELECT * and other forms.
    projection: frozenset[str] | None
    lexed: Lexed = field(repr=False)
    #: Token indexes: the outer WHERE group's `{` and `}`, the WHERE keyword of `CONSTRUCT WHERE { }`,
    #: the outer LIMIT's number and the trailing VALUES keyword (-1: absent).
    where_open: int = -1
    where_close: int = -1
    short_construct: int = -1
    limit_token: int = -1
    values_token: int = -1

    @property
    def tokens(self) -> list[Token]:
        """Return the query's terminals."""
        return self.lexed.tokens

    @cached_property
    def volatile(self) -> bool:
        """Tell whether two runs can answer differently: a call to NOW(), RAND(), UUID(), STRUUID() or
        BNODE(), or a CONSTRUCT template that makes blank nodes (fresh labels in every answer).

        A call is a bare word followed by an argument list, so NOW inside a string, an IRI, a comment, a variable (?now)
        or a prefixed name (ex:now) is not one; the tokens are those of the decoded text, so N\\u004FW()
        counts too.
        """
        toks = self.tokens
        for k, tok in enumerate(toks):
            if tok.kind != WORD:
                continue
            word = tok.text.upper()
            # A call's argument list: "(" or, for no arguments, the NIL terminal "()".
            if word in VOLATILE_FUNCTIONS and k + 1 < len(toks) and toks[k + 1].text in ("(", "()"):
                return True
            if word == "CONSTRUCT" and _template_makes_blank_nodes(toks, k + 1):
                return True
        return False

    @property
    def has_dataset(self) -> bool:
        """Tell whether the query names its own dataset (FROM or FROM NAMED)."""
        return bool(self.default_graphs or self.named_graphs)

    @property
    def limit(self) -> int | None:
        """Return the outer query's LIMIT, if it has one."""
        return int(self.tokens[self.limit_token].text) if self.limit_token >= 0 else None

    def with_base(self, base_iri: str) -> str:
        """Return the text to run with `BASE <base_iri>` in front; ValueError if that is not an absolute IRI."""
        if not (_ABSOLUTE.match(base_iri) and _IRI_CONTENT.fullmatch(base_iri)):
            raise ValueError(f"{base_iri!r} is not an absolute IRI")
        return f"BASE <{base_iri}> {self.text}"

    def with_row_limit(self, rows: int) -> str:
        """Return the text to run with the outer query limited to `rows` solutions (a SELECT's only).

        A smaller LIMIT of the query's own is kept; a larger one is lowered; without one, `LIMIT rows` goes
        after the solution modifiers (before a trailing VALUES). Pass one more than the row cap to learn
        whether the cap cut the answer.
        """
        if self.form != "SELECT":
            return self.text
        toks = self.tokens
        if self.limit_token >= 0:
            tok = toks[self.limit_token]
            if int(tok.text) <= rows:
                return self.text
            return f"{self.text[:tok.start]}{rows}{self.text[tok.end:]}"
        if self.values_token >= 0:
            at = toks[self.values_token].start
            return f"{self.text[:at]}LIMIT {rows} {self.text[at:]}"
        at = toks[-1].end
        return f"{self.text[:at]} LIMIT {rows}{self.text[at:]}"

    def describe_as_select(self) -> str:
        """Rewrite a DESCRIBE query into a SELECT DISTINCT of the resources it describes.

        Variables stay variables; constant targets become ``(<iri> AS ?__describedN)`` so that prefixed
        names are resolved by the engine itself. A DESCRIBE without a WHERE clause gets an empty one.
        """
        toks, text = self.tokens, self.text
        at = next(k for k, t in enumerate(toks) if t.depth == 0 and t.keyword == "DESCRIBE")
        k = at + 1
        projection: list[str] = []
        while k < len(toks):
            tok = toks[k]
            if tok.kind == VAR:
                projection.append(tok.text)
            elif tok.kind in (IRI, PNAME_LN, PNAME_NS):
                projection.append(f"({tok.text} AS ?__described{len(projection)})")
            elif tok.kind == PUNCT and tok.text == "*":
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
        return (text[:toks[at].start] + "SELECT DISTINCT " + " ".join(projection) + text[targets_end:dataset_end]
                + where + text[dataset_end:])

    def insert_in_where(self, lines: Sequence[str], *, repeat: bool = False) -> str:
        """Return the text as sent with lines put at the start of the outer WHERE group (a named query's);
        with `repeat`, also at its end (which changes no answer; a store's dialect may need it)."""
        if self.where_open < 0:
            raise ValueError("query has no WHERE clause")
        at = self.lexed.source_offset(self.tokens[self.where_open].end)
        block = "".join(f"\n  {line}" for line in lines)
        if not repeat:
            return self.source[:at] + block + self.source[at:]
        close = self.lexed.source_offset(self.tokens[self.where_close].start)
        return self.source[:at] + block + self.source[at:close].rstrip() + block + "\n" + self.source[close:]

    def source_text(self, start: int, end: int) -> str:
        """Return the text as sent between two offsets of the decoded text."""
        return self.source[self.lexed.source_offset(start):self.lexed.source_offset(end)]

    def relocate(self, error: BadQuery, prefix: int = 0) -> BadQuery:
        """Move an engine's error position from the text run (after a `prefix` of that many characters on
        its first line) to the text as sent."""
        details = error.details
        if not (isinstance(details, dict) and isinstance(details.get("line"), int)
                and isinstance(details.get("column"), int)):
            return error
        line, column = details["line"], details["column"]
        if line == 1:
            column = max(1, column - prefix)
        where = self.lexed.position(self.lexed.offset_of(line, column))
        if where == {"line": details["line"], "column": details["column"]}:
            return error
        message = re.sub(rf"line {details['line']}, column {details['column']}\b",
                         f"line {where['line']}, column {where['column']}", error.message, count=1)
        return BadQuery(message, details={**details, **where})


def analyse(text: str, *, max_depth: int | None = DEFAULT_MAX_DEPTH) -> Query:
    """Check a query text and return its structure.

    Raises :class:`UpdateForbidden` for SPARQL Update, and :class:`BadQuery` for SERVICE (which would fetch
    a URL), a text nested deeper than `max_depth`, a lexical error, or a text that is not a query at all.
    """
    if len(text) <= _CACHED_CHARS:
        return _analyse_cached(text, max_depth)
    return _analyse(text, max_depth)


def volatile(text: str) -> bool:
    """Tell whether two runs of a query can answer differently (see :attr:`Query.volatile`)."""
    return analyse(text, max_depth=None).volatile


def _template_makes_blank_nodes(toks: list[Token], k: int) -> bool:
    """Tell whether the CONSTRUCT template starting at toks[k] holds a blank node: _:b, [ ] or a (list)."""
    while k < len(toks) and toks[k].text != "{":
        k += 1  # CONSTRUCT WHERE { ... }: the pattern is the template
    depth = 0
    for tok in toks[k:]:
        if tok.kind == PUNCT and tok.text == "{":
            depth += 1
        elif tok.kind == PUNCT and tok.text == "}":
            depth -= 1
            if depth == 0:
                return False
        elif tok.kind in (BNODE, ANON) or (tok.kind == PUNCT and tok.text in ("[", "(")):
            return True
    return False


def check_query(text: str) -> str:
    """Return the query form (SELECT, ASK, CONSTRUCT, DESCRIBE) of a text safe to run in public (see analyse)."""
    return analyse(text).form


def describe_as_select(text: str) -> str:
    """Rewrite a DESCRIBE query into a SELECT DISTINCT of the resources it describes (see Query)."""
    return analyse(text).describe_as_select()


@lru_cache(maxsize=512)
def _analyse_cached(text: str, max_depth: int | None) -> Query:
    return _analyse(text, max_depth)


def _analyse(source: str, max_depth: int | None) -> Query:
    lexed = lex(source, max_depth=max_depth)
    toks = lexed.tokens
    if not toks:
        raise BadQuery("The query is empty.")
    first_service = lexed.services[0] if lexed.services else len(toks)
    for k in range(first_service):
        tok = toks[k]
        if tok.kind == WORD and tok.text.upper() in UPDATE_KEYWORDS:
            raise UpdateForbidden(
                f"This endpoint is read-only: SPARQL Update ({tok.text.upper()}, at {lexed.where(tok.start)}) "
                "is not accepted. Load the data into a store of your own to change it."
            )
    if lexed.services:
        tok = toks[first_service]
        spelt = "" if tok.text.upper() == "SERVICE" else f", written {tok.text}"
        raise BadQuery(
            f"SERVICE (at {lexed.where(tok.start)}{spelt}) is not allowed: this endpoint does not fetch remote "
            "data on a query's behalf. Query the other endpoint yourself and combine the results.",
            details=lexed.position(tok.start),
        )

    # The prologue: BASE <iri> and PREFIX p: <iri>, in any order, each IRI resolved against the BASE so far.
    base = ""
    prefixes: dict[str, str] = {}
    n = len(toks)
    i = 0
    while i < n and toks[i].kind == WORD:
        word = toks[i].text.upper()
        if word == "BASE" and i + 1 < n and toks[i + 1].kind == IRI:
            base = resolve(toks[i + 1].text[1:-1], base)
            i += 2
        elif word == "PREFIX" and i + 2 < n and toks[i + 1].kind == PNAME_NS and toks[i + 2].kind == IRI:
            prefixes[toks[i + 1].text[:-1]] = resolve(toks[i + 2].text[1:-1], base)
            i += 3
        else:
            break  # a malformed prologue: the engine reports it with a position
    first = toks[i] if i < n else None
    if first is None or first.kind != WORD or first.text.upper() not in QUERY_FORMS:
        found = f"found {first.text[:30]!r}" if first is not None else "found the end of the text"
        at = first.start if first is not None else len(lexed.text)
        raise BadQuery(
            f"SPARQL syntax error at {lexed.where(at)}: expected SELECT, ASK, CONSTRUCT or DESCRIBE, {found}.",
            details=lexed.position(at),
        )
    form = first.text.upper()

    needs_base = not base and any(t.kind == IRI and not _ABSOLUTE.match(t.text, 1) for t in toks)
    default: list[str] = []
    named: list[str] = []
    projection: set[str] | None = set() if form == "SELECT" else None
    in_select = form == "SELECT"
    groups = 0  # groups opened at the top level so far
    where_open = where_close = short_construct = limit_token = values_token = -1
    for k in range(i + 1, n):
        tok = toks[k]
        if in_select:
            if tok.depth == 0 and (tok.text == "{" or tok.keyword in ("WHERE", "FROM")):
                in_select = False
            elif tok.kind == VAR and projection is not None:
                projection.add(tok.text[1:])
            elif tok.depth == 0 and tok.text == "*":
                projection = None
        if tok.depth != 0:
            continue
        word = tok.keyword
        if word == "FROM" and where_open < 0:
            named_clause = k + 1 < n and toks[k + 1].keyword == "NAMED"
            target = k + 2 if named_clause else k + 1
            iri = _term_iri(toks[target], prefixes, base) if target < n else None
            if iri is not None:
                (named if named_clause else default).append(iri)
        elif tok.text == "{" and tok.kind == PUNCT:
            groups += 1
            if where_open < 0 and (form != "CONSTRUCT" or groups == 2 or toks[k - 1].keyword == "WHERE"):
                where_open = k
                if form == "CONSTRUCT" and groups == 1:
                    short_construct = k - 1
        elif tok.text == "}" and tok.kind == PUNCT:
            if where_open >= 0 and where_close < 0:
                where_close = k
        elif where_close >= 0:
            if word == "LIMIT" and k + 1 < n:
                limit_token = k + 1
            elif word == "VALUES":
                values_token = k
    return Query(
        source=source, text=lexed.text, form=form, base=base, prefixes=prefixes, default_graphs=tuple(default),
        named_graphs=tuple(named), needs_base=needs_base, depth=lexed.depth,
        projection=frozenset(projection) if projection is not None else None, lexed=lexed,
        where_open=where_open, where_close=where_close, short_construct=short_construct,
        limit_token=limit_token, values_token=values_token,
    )


def _term_iri(tok: Token, prefixes: Mapping[str, str], base: str) -> str | None:
    if tok.kind == IRI:
        return resolve(tok.text[1:-1], base)
    if tok.kind in (PNAME_LN, PNAME_NS):
        prefix, _, local = tok.text.partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + _PN_LOCAL_ESC.sub(r"\1", local)
    return None


def resolve(reference: str, base: str) -> str:
    """Resolve an IRI reference against a base IRI (RFC 3986 section 5.2); without a base it stays as it is."""
    if not base or _ABSOLUTE.match(reference):
        return reference
    scheme, authority, path, query, _ = _split(base)
    _, r_authority, r_path, r_query, r_fragment = _split(reference)
    if r_authority is not None:
        authority, path, query = r_authority, _remove_dots(r_path), r_query
    elif not r_path:
        query = r_query if r_query is not None else query
    else:
        if not r_path.startswith("/"):
            r_path = ("/" if authority is not None and not path else path[: path.rfind("/") + 1]) + r_path
        path, query = _remove_dots(r_path), r_query
    return (f"{scheme}:" + (f"//{authority}" if authority is not None else "") + path
            + (f"?{query}" if query is not None else "") + (f"#{r_fragment}" if r_fragment is not None else ""))


_IRI_PARTS = re.compile(r"(?:([A-Za-z][A-Za-z0-9+.\-]*):)?(?://([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?", re.DOTALL)


def _split(iri: str) -> tuple[str, str | None, str, str | None, str | None]:
    m = _IRI_PARTS.fullmatch(iri)
    assert m is not None  # every string matches
    return m.group(1) or "", m.group(2), m.group(3), m.group(4), m.group(5)


def _remove_dots(path: str) -> str:
    """Remove the dot segments of a path (RFC 3986 section 5.2.4)."""
    out: list[str] = []
    while path:
        if path.startswith(("../", "./")):
            path = path[path.index("/") + 1:]
        elif path.startswith("/./") or path == "/.":
            path = "/" + path[3:]
        elif path.startswith("/../") or path == "/..":
            path = "/" + path[4:]
            if out:
                out.pop()
        elif path in (".", ".."):
            path = ""
        else:
            cut = path.find("/", 1)
            cut = len(path) if cut < 0 else cut
            out.append(path[:cut])
            path = path[cut:]
    return "".join(out)


# -- the prologue: prefixes a page declares for its reader --------------------------------------------


def declared_prefixes(text: str) -> dict[str, str]:
    """Return the prefixes a query text declares (name -> namespace IRI), in its PREFIX lines."""
    found: dict[str, str] = {}
    try:
        toks = tokens(text)
    except BadQuery:  # the engine reports what is wrong when the text runs
        return found
    for at, tok in enumerate(toks[:-2]):
        if tok.kind == WORD and tok.text.upper() == "PREFIX" and toks[at + 1].kind == PNAME_NS \
                and toks[at + 2].kind == IRI:
            found[toks[at + 1].text[:-1]] = toks[at + 2].text[1:-1]
    return found


def with_prefixes(text: str, prefixes: dict[str, str]) -> str:
    """Return the text with a PREFIX line for each prefix of `prefixes` it uses but does not declare."""
    declared = declared_prefixes(text)
    try:
        used = {t.text.split(":", 1)[0] for t in tokens(text) if t.kind in (PNAME_NS, PNAME_LN)}
    except BadQuery:
        return text
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
