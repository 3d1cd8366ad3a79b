"""One lexer for SPARQL query text: the grammar's terminals, read as the engine reads them.

Every public query passes through :func:`lex` once; :mod:`aikg.sparql.query` builds the query's structure
from the tokens. The lexer is also the wall that keeps the engine from fetching URLs (``SERVICE``) and from
crashing on deep nesting, so each of its choices below is made to read the text exactly as pyoxigraph
0.5.13 does, or to refuse the text where the two readings could differ. tests/test_lexer.py checks each
choice against the real engine.

**Codepoint escapes first.** SPARQL 1.1 §19.2 applies ``\\uXXXX`` and ``\\UXXXXXXXX`` to the whole text
before parsing. The engine decodes them only inside IRIs and strings, so a scanner of the raw text and the
engine read different queries: in ``<http://x/\\u0041'>`` the engine sees one IRI, ending at ``>``, where a
scanner that does not know the escape sees ``<`` and then a string opened by the ``'`` (issue 13: a SERVICE
hidden behind that quote was run). So the lexer decodes the whole text first, refuses an invalid escape, a
surrogate or a code point above U+10FFFF with a 400 naming its line and column, and the caller sends the
*decoded* text to the engine. After decoding, a backslash may only begin an ECHAR in a string (``\\n``,
``\\"``) or a PN_LOCAL_ESC in a prefixed name (``ex:a\\.b``); an escape that decoded to a backslash and would
begin another escape is refused, so the engine never decodes anything a second time. What was analysed is
what runs. A backslash preceded by an odd number of backslashes does not begin an escape (``"\\\\u0041"`` is
a backslash and ``u0041``, as the engine reads it). The cost: an escape of a quote, backslash or line
break inside a string acts as that character, as §19.2 says (Jena reads it so too), so ``"a\\u0022b"`` is
refused where the engine alone would read ``a"b``; write ``\\"``, ``\\\\``, ``\\n``.
Escapes of ordinary characters (``"\\u0041"``, ``<http://x/\\u00E9>``) mean what they meant before.

**Terminals as the engine reads them.** The engine is a scannerless PEG parser; its tokens are decided by
the grammar rule it is in. Where that differs from the grammar's own terminals the lexer follows the
engine, or refuses:

- ``<`` begins an IRIREF, except after an operand inside an expression's parentheses, where it is the
  less-than operator (the engine tries the operator there first): ``FILTER(?o<?o&&'>') SERVICE <u> {} #'``
  has no IRI, and the SERVICE is seen. Every SPARQL expression sits inside parentheses (FILTER, BIND,
  SELECT and GROUP BY expressions, HAVING, ORDER BY, function arguments), so each ``(`` is classified as an
  expression or as a collection, path or VALUES list from the tokens before it.
- Keywords are matched as prefixes of the text, with no word boundary: ``SERVICE:x``, ``SERVICEex:x``,
  ``SERVICESILENT<u>`` and the object ``true`` glued to ``SERVICE`` are services to the engine. A bare word
  that is not a SPARQL keyword is refused, and :mod:`aikg.sparql.query` refuses a word or prefixed name
  that begins with ``SERVICE``, ``trueSERVICE`` or ``falseSERVICE`` where the engine could read a service.
  A prefixed name that begins with FILTER, HAVING, ORDER, GROUP or BY and is followed by ``(`` outside an
  expression is refused (``FILTERex:f(...)`` is FILTER and a function call to the engine, a collection
  to the grammar).
- The engine ends a prefixed name's local part after its first run of dots followed by more name (``ex:a.b.c``
  is ``ex:a.b`` then ``.c`` to it), so a local part with two runs of unescaped dots is refused; the engine
  would otherwise read a keyword glued after the second dot (``ex:a.b.SERVICE<u>{}`` calls out).
- Whitespace is only space, tab, CR and LF, and a comment runs from ``#`` to CR or LF, as in the engine.
  Anything that is not a terminal is refused, never skipped.

**Nesting.** The engine parses and evaluates recursively and dies with SIGSEGV (the whole process) at about
2,100 nested groups, 830 nested ``FILTER NOT EXISTS``, 2,600 chained BINDs, 6,600 chained ``+`` or 6,300
OPTIONALs. Chains count because the engine folds ``a || b || c`` into a tree as deep as the chain. The lexer
measures the depth of that tree as it goes: one per open bracket (``{ } ( ) [ ]``, ``<< >>``, ``<<( )>>``,
``{| |}``), plus, within each bracket, one per binary operator, path operator, pattern keyword (OPTIONAL,
UNION, MINUS, FILTER, BIND, GRAPH, VALUES) and group after the first. A query deeper than the limit is
refused before the engine sees it, with a 400 that names the limit.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from typing import NamedTuple

from aikg.errors import BadQuery

#: The depth of the engine's syntax tree a query may reach (brackets plus chained operators, see above).
#: The lowest depth measured to crash pyoxigraph 0.5.13 on an 8 MB stack is about 1,700.
DEFAULT_MAX_DEPTH = 500

# Token kinds.
IRI = "iri"
PNAME_NS = "pname_ns"
PNAME_LN = "pname_ln"
BNODE = "bnode"
VAR = "var"
LANGTAG = "langtag"
INTEGER = "integer"
DECIMAL = "decimal"
DOUBLE = "double"
STRING = "string"  # STRING_LITERAL1 and STRING_LITERAL2
LONG_STRING = "long_string"  # STRING_LITERAL_LONG1 and STRING_LITERAL_LONG2
WORD = "word"  # a keyword, a function name, `a`, `true` or `false`
NIL = "nil"
ANON = "anon"
PUNCT = "punct"

#: Every bare word of SPARQL 1.1 Query and Update and of the SPARQL 1.2 additions the engine reads,
#: upper-cased. `a`, `true` and `false` are matched case-sensitively, as the engine does.
KEYWORDS = frozenset(
    """
    BASE PREFIX SELECT CONSTRUCT DESCRIBE ASK DISTINCT REDUCED AS FROM NAMED WHERE GROUP BY HAVING ORDER ASC DESC
    LIMIT OFFSET VALUES UNDEF OPTIONAL LATERAL MINUS UNION GRAPH SERVICE SILENT BIND FILTER EXISTS NOT IN SEPARATOR
    STR LANG LANGMATCHES LANGDIR DATATYPE BOUND IRI URI BNODE RAND ABS CEIL FLOOR ROUND CONCAT SUBSTR STRLEN REPLACE
    UCASE LCASE ENCODE_FOR_URI CONTAINS STRSTARTS STRENDS STRBEFORE STRAFTER YEAR MONTH DAY HOURS MINUTES SECONDS
    TIMEZONE TZ NOW UUID STRUUID MD5 SHA1 SHA256 SHA384 SHA512 COALESCE IF STRLANG STRLANGDIR STRDT SAMETERM ISIRI
    ISURI ISBLANK ISLITERAL ISNUMERIC REGEX TRIPLE SUBJECT PREDICATE OBJECT ISTRIPLE HASLANG HASLANGDIR ADJUST
    COUNT SUM MIN MAX AVG SAMPLE GROUP_CONCAT
    INSERT DELETE DATA LOAD CLEAR DROP CREATE ADD MOVE COPY TO INTO WITH USING DEFAULT ALL
    """.split()  # noqa: SIM905 (a list of 130 words reads better as text)
)
_CASE_SENSITIVE = frozenset({"a", "true", "false"})

_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d\u2070-\u218f"
    "\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + "\\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_ECHAR = r"""\\[tbnrf"'\\]"""

_SKIP = re.compile(r"(?>(?:[ \t\r\n]+|#[^\r\n]*)*)")
_TOKEN = re.compile(
    rf"""
    (?P<long_string>'''(?>(?:[^'\\]+|{_ECHAR}|'(?!''))*)'''|\"\"\"(?>(?:[^"\\]+|{_ECHAR}|"(?!""))*)\"\"\")
  | (?P<string>'(?>(?:[^'\\\n\r]+|{_ECHAR})*)'|"(?>(?:[^"\\\n\r]+|{_ECHAR})*)")
  | (?P<var>[?$][{_PN_CHARS_U}0-9][{_PN_CHARS_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*)
  | (?P<bnode>_:[{_PN_CHARS_U}0-9](?>(?:[{_PN_CHARS}]+|\.+(?=[{_PN_CHARS}]))*))
  | (?P<double>[0-9]+\.[0-9]*[eE][+-]?[0-9]+|\.[0-9]+[eE][+-]?[0-9]+|[0-9]+[eE][+-]?[0-9]+)
  | (?P<decimal>[0-9]*\.[0-9]+)
  | (?P<integer>[0-9]+)
  | (?P<langtag>@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*(?:--[a-zA-Z]+)?)
  | (?P<nil>\([ \t\r\n]*\))
  | (?P<anon>\[[ \t\r\n]*\])
  | (?P<punct>\)>>|\{{\||\|\}}|\^\^|&&|\|\||!=|>=|>>|[{{}}()\[\].,;*/|^!?+\-=>~])
    """,
    re.VERBOSE,
)
_IRIREF = re.compile(r"<[^<>\"{}|^`\\\x00-\x20]*>")
_NAME_RUN = re.compile(rf"[{_PN_CHARS}.]+")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_PN_LOCAL = re.compile(
    rf"(?:[{_PN_CHARS_U}:0-9]|{_PLX})(?>(?:[{_PN_CHARS}:]+|{_PLX}|\.+(?=[{_PN_CHARS}:]|{_PLX}))*)"
)
_DOT_RUNS = re.compile(r"\.+")
_ESCAPE = re.compile(r"\\(?:\\|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|[uU])")
_NAME_START = re.compile(rf"[{_PN_CHARS_BASE}]")

# Frame kinds: what an open bracket is, which decides how `<` and `(` read inside it.
_TOP, _GROUP, _VALUES, _EXPR, _LIST, _BNODE, _REIFIED, _TRIPLE_TERM, _ANNOTATION = range(9)
_OPENER = {_GROUP: "{", _VALUES: "{", _EXPR: "(", _LIST: "(", _BNODE: "[", _REIFIED: "<<", _TRIPLE_TERM: "<<(",
           _ANNOTATION: "{|"}
# Clauses of a group or of the top level, where a `(` begins an expression whatever precedes it.
_NO_CLAUSE, _SELECT_CLAUSE, _MODIFIER_CLAUSE = range(3)
# A frame is a list: [kind, clause, chain, deepest child, children, start offset, VALUES pending].
_KIND, _CLAUSE, _CHAIN, _DEEPEST, _CHILDREN, _START, _PENDING = range(7)

_OPERAND_KINDS = frozenset({IRI, PNAME_NS, PNAME_LN, VAR, STRING, LONG_STRING, LANGTAG, INTEGER, DECIMAL, DOUBLE, NIL})
_EXPR_CHAIN = frozenset({"||", "&&", "=", "!=", "<", ">", "<=", ">=", "+", "-", "*", "/", "!"})
_PATH_CHAIN = frozenset({"/", "|", "^", "!", "*", "+", "?"})
_PATTERN_WORDS = frozenset({"OPTIONAL", "MINUS", "UNION", "FILTER", "BIND", "GRAPH", "SERVICE", "VALUES", "LATERAL"})
_GLUED_CALL = ("filter", "having", "order", "group", "by")
_CLOSES = {"}": (_GROUP, _VALUES), ")": (_EXPR, _LIST), "]": (_BNODE,), ")>>": (_TRIPLE_TERM,), ">>": (_REIFIED,),
           "|}": (_ANNOTATION,)}
_DOWNGRADE = {")>>": _TRIPLE_TERM, ">>": _REIFIED, "|}": _ANNOTATION}
_OPERAND_TEXTS = frozenset({")", ")>>", "true", "false"})
_MODIFIER_WORDS = frozenset({"GROUP", "ORDER", "HAVING", "BY"})
_CLAUSE_ENDS = frozenset({"WHERE", "FROM", "LIMIT", "OFFSET"})
_NAME_START_ASCII = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ:")
_PATH_KINDS = frozenset({_GROUP, _TOP, _LIST, _BNODE, _ANNOTATION})
# What a word or punctuation does to the frames: 1 IN/NOT (expression chain), 2 a pattern keyword (pattern
# chain), 3 SELECT, 4 a solution modifier, 5 the end of a clause; 1 `{`, 2 `(`, 3 `[`, 4 a closer, 5 a closer
# that may be two tokens.
_WORD_ROLES = {"IN": 1, "NOT": 1, **dict.fromkeys(_PATTERN_WORDS, 2), "SELECT": 3,
               **dict.fromkeys(_MODIFIER_WORDS, 4), **dict.fromkeys(_CLAUSE_ENDS, 5)}
_PUNCT_ROLES = {"{": 1, "{|": 1, "(": 2, "[": 3, "}": 4, ")": 4, "]": 4, ")>>": 5, ">>": 5, "|}": 5}
#: Where these begin a word or prefixed name, the engine may read the keyword SERVICE (it matches keywords as
#: prefixes, and `true` and `false` as objects, with no word boundary).
_SERVICE_PREFIXES = ("service", "trueservice", "falseservice")
_SERVICE_UPPER = tuple(p.upper() for p in _SERVICE_PREFIXES)


class Token(NamedTuple):
    """One terminal: its kind, its text (decoded), where it starts and ends, and how many brackets are open."""

    kind: str
    text: str
    start: int
    end: int
    depth: int

    @property
    def keyword(self) -> str:
        """Return the upper-cased text of a bare word ('' for any other token)."""
        return self.text.upper() if self.kind == WORD else ""


class Lexed:
    """A query text decoded and cut into terminals, with the way back to positions in the text as sent."""

    __slots__ = ("source", "text", "tokens", "depth", "services", "_decoded_at", "_shift")

    def __init__(self, source: str, text: str, tokens: list[Token], depth: int, services: list[int],
                 decoded_at: Sequence[int], shift: Sequence[int]) -> None:
        self.source = source
        #: The decoded text: the one to run.
        self.text = text
        self.tokens = tokens
        #: The depth of the engine's syntax tree, as measured (see the module's docstring).
        self.depth = depth
        #: Indexes of the tokens where the engine could read the keyword SERVICE.
        self.services = services
        self._decoded_at = decoded_at
        self._shift = shift

    def source_offset(self, offset: int) -> int:
        """Return the offset in the text as sent of an offset in the decoded text."""
        return _source_offset(offset, self._decoded_at, self._shift)

    def position(self, offset: int) -> dict[str, int]:
        """Return the line and column (both from 1, in characters) in the text as sent of a decoded offset."""
        return _position(self.source, self.source_offset(offset))

    def where(self, offset: int) -> str:
        """Describe a decoded offset as 'line L, column C' of the text as sent."""
        pos = self.position(offset)
        return f"line {pos['line']}, column {pos['column']}"

    def offset_of(self, line: int, column: int) -> int:
        """Return the decoded offset of a line and column of the decoded text (as the engine reports them)."""
        at = 0
        for _ in range(line - 1):
            nl = self.text.find("\n", at)
            if nl < 0:
                return len(self.text)
            at = nl + 1
        return min(at + column - 1, len(self.text))


def lex(source: str, *, max_depth: int | None = DEFAULT_MAX_DEPTH) -> Lexed:
    """Decode a query's codepoint escapes and cut it into terminals, measuring its depth.

    Raises :class:`BadQuery` (naming the line and column in `source`) for an invalid escape, a character
    that begins no terminal, an unclosed string, unbalanced brackets, a reading the engine would not share
    (see the module's docstring), or a depth over `max_depth` (None: no limit). Where the engine could
    read the keyword SERVICE is recorded in :attr:`Lexed.services`, for the caller to refuse.
    """
    text, decoded_at, shift = decode_escapes(source)
    limit = max_depth if max_depth is not None else 1 << 62
    tokens: list[Token] = []
    append = tokens.append
    services: list[int] = []
    top: list = [_TOP, _NO_CLAUSE, 0, 0, 0, 0, False]
    frames: list[list] = [top]
    frame = top
    kind = _TOP
    running = 0  # a lower bound of the depth here: the open brackets and their chains so far
    prev_kind = prev_text = prev2_text = ""
    no_pname_until = 0  # no prefixed name starts before this offset (spares rescanning a run of name characters)
    n = len(text)
    pos = _SKIP.match(text).end()  # type: ignore[union-attr]
    # Module constants as locals: the loop below runs once per token of every public query.
    operand_kinds, operand_texts, expr_chain, path_chain = _OPERAND_KINDS, _OPERAND_TEXTS, _EXPR_CHAIN, _PATH_CHAIN
    token_match, iriref_match, skip_match, word_match = _TOKEN.match, _IRIREF.match, _SKIP.match, _WORD.match
    name_run, pn_local, name_start, path_kinds = _NAME_RUN.match, _PN_LOCAL.match, _NAME_START_ASCII, _PATH_KINDS
    keywords, case_sensitive, word_roles, punct_roles = KEYWORDS, _CASE_SENSITIVE, _WORD_ROLES, _PUNCT_ROLES
    service_prefixes = _SERVICE_UPPER
    blank = " \t\r\n#"

    def fail(at: int, message: str) -> BadQuery:
        where = _position(source, _source_offset(at, decoded_at, shift))
        return BadQuery(f"SPARQL syntax error at line {where['line']}, column {where['column']}: {message}"
                        + _escape_hint(source, text, at, decoded_at, shift), details=where)

    def too_deep(at: int) -> BadQuery:
        where = _position(source, _source_offset(at, decoded_at, shift))
        return BadQuery(
            f"The query is nested too deeply (at line {where['line']}, column {where['column']}): its brackets "
            f"and chained operators go more than {max_depth} levels deep, and the limit is {max_depth}. The "
            "engine builds a tree as deep as that and would crash on a much deeper one. Use VALUES or IN "
            "instead of long chains of ||, UNION or BIND.",
            details={**where, "limit": max_depth},
        )

    def opened_at(f: list) -> str:
        where = _position(source, _source_offset(f[_START], decoded_at, shift))
        return f"the {_OPENER[f[_KIND]]} opened at line {where['line']}, column {where['column']}"

    while pos < n:
        c = text[pos]
        push = -1
        if c in name_start or (c > "\x7f" and _NAME_START.match(c)):
            colon = pos if c == ":" else -1
            if colon < 0 and pos >= no_pname_until:
                run_end = name_run(text, pos).end()  # type: ignore[union-attr]
                if run_end < n and text[run_end] == ":" and text[run_end - 1] != ".":
                    colon = run_end
                else:
                    no_pname_until = run_end
            if colon >= 0:
                m = pn_local(text, colon + 1)
                if m is None:
                    tok_kind = PNAME_NS
                    end = colon + 1
                else:
                    tok_kind = PNAME_LN
                    end = m.end()
                    local = m.group()
                    if "." in local and len(_DOT_RUNS.findall(local.replace("\\.", ""))) > 1:
                        raise fail(pos, f"in {text[pos:end]} the local part has two runs of dots, which the "
                                        "engine reads as two names; write each dot of the name as \\.")
                tok_text = text[pos:end]
            else:
                m = word_match(text, pos)
                if m is None:
                    raise fail(pos, _unexpected(text, pos))
                tok_kind = WORD
                end = m.end()
                tok_text = m.group()
                upper = tok_text.upper()
                if upper.startswith(service_prefixes):
                    services.append(len(tokens))  # SERVICE, and SERVICESILENT or trueSERVICE as the engine reads them
                elif upper not in keywords and tok_text not in case_sensitive:
                    raise fail(pos, _unknown_word(tok_text))
                role = word_roles.get(upper, 0)
                if role:
                    if kind == _EXPR:
                        if role == 1:  # IN, NOT
                            frame[2] += 1
                            running += 1
                    elif kind in (_GROUP, _TOP):
                        if role == 2:  # a pattern keyword
                            frame[2] += 1
                            running += 1
                            if upper == "VALUES":
                                frame[6] = True
                                frame[1] = _NO_CLAUSE
                        elif role == 3:
                            frame[1] = _SELECT_CLAUSE
                        elif role == 4:
                            frame[1] = _MODIFIER_CLAUSE
                        elif role == 5:
                            frame[1] = _NO_CLAUSE
                    if running > limit:
                        raise too_deep(pos)
        elif c == "<":
            tok_kind = PUNCT
            end = pos + 1
            if kind == _EXPR and (prev_kind in operand_kinds or prev_text in operand_texts):
                # Less-than: after an operand the engine tries the operators before anything else.
                if text.startswith("<=", pos):
                    end = pos + 2
                frame[2] += 1
                running += 1
                if running > limit:
                    raise too_deep(pos)
            elif text.startswith("<<(", pos):
                end = pos + 3
                push = _TRIPLE_TERM
            elif text.startswith("<<", pos):
                end = pos + 2
                push = _REIFIED
            else:
                m = iriref_match(text, pos)
                if m is not None:
                    tok_kind = IRI
                    end = m.end()
                elif text.startswith("<=", pos):
                    end = pos + 2
            tok_text = text[pos:end]
        else:
            m = token_match(text, pos)
            if m is None:
                raise fail(pos, _unexpected(text, pos))
            tok_kind = m.lastgroup  # type: ignore[assignment]
            end = m.end()
            tok_text = m.group()
            if tok_kind == PUNCT:
                role = punct_roles.get(tok_text, 0)
                if role == 0:
                    if tok_text in expr_chain if kind == _EXPR else (
                            tok_text in path_chain and kind in path_kinds and frame[1] != _SELECT_CLAUSE):
                        frame[2] += 1
                        running += 1
                        if running > limit:
                            raise too_deep(pos)
                elif role == 1:  # { or {|
                    if tok_text == "{|":
                        push = _ANNOTATION
                    elif frame[6]:
                        push = _VALUES
                        frame[6] = False
                    else:
                        push = _GROUP
                        if kind != _TOP and (prev_kind in (PNAME_LN, PNAME_NS)) \
                                and prev_text.lower().startswith(_SERVICE_PREFIXES) and prev2_text.upper() != "GRAPH":
                            services.append(len(tokens) - 1)  # SERVICEex:s { is SERVICE ex:s { to the engine
                    frame[1] = _NO_CLAUSE
                elif role == 2:  # (
                    push = _paren_kind(frame, prev_kind, prev_text, prev2_text)
                    if push < 0:
                        raise fail(tokens[-1].start, f"{prev_text}( reads as a keyword and a function call to the "
                                                     "engine and as a prefixed name and a collection to the "
                                                     "grammar; put a space after the keyword or choose another "
                                                     "prefix.")
                elif role == 3:  # [
                    push = _BNODE
                else:  # a closing bracket
                    if role == 5 and kind != _DOWNGRADE[tok_text]:
                        tok_text = tok_text[0]  # `)>>`, `>>` and `|}` close only what they opened
                        end = pos + 1
                    expected = _CLOSES.get(tok_text)
                    if expected is None:  # `>` or `|`
                        if tok_text in expr_chain if kind == _EXPR else tok_text in path_chain:
                            frame[2] += 1
                            running += 1
                    else:
                        if kind not in expected:
                            if kind == _TOP:
                                raise fail(pos, f"{tok_text} closes nothing.")
                            raise fail(pos, f"{tok_text} does not close {opened_at(frame)}.")
                        closed = frames.pop()
                        deep = 1 + closed[2] + closed[3]
                        if deep > limit:
                            raise too_deep(closed[5])
                        running -= 1 + closed[2]
                        frame = frames[-1]
                        kind = frame[0]
                        if deep > frame[3]:
                            frame[3] = deep

        append(Token(tok_kind, tok_text, pos, end, len(frames) - 1))
        if push >= 0:
            if (push == _GROUP and (kind in (_GROUP, _TOP)) and prev_kind != WORD
                    and prev2_text.upper() not in ("GRAPH", "SERVICE")) or (push == _EXPR and frame[1]):
                # Groups side by side are joined, SELECT and GROUP BY expressions extended: a chain each.
                frame[4] += 1
                if push == _EXPR or frame[4] > 1:
                    frame[2] += 1
                    running += 1
            frame = [push, _NO_CLAUSE, 0, 0, 0, pos, False]
            frames.append(frame)
            kind = push
            running += 1
            if running > limit:
                raise too_deep(pos)
        prev2_text = prev_text
        prev_kind = tok_kind
        prev_text = tok_text
        pos = end if end >= n or text[end] not in blank else skip_match(text, end).end()  # type: ignore[union-attr]

    if len(frames) > 1:
        raise fail(n, f"{opened_at(frame)} is not closed.")
    depth = top[_CHAIN] + top[_DEEPEST]
    if depth > limit:
        raise too_deep(0)
    return Lexed(source, text, tokens, depth, services, decoded_at, shift)


def tokens(text: str) -> list[Token]:
    """Return the terminals of a query text (escapes decoded, no whitespace, no comments)."""
    return lex(text, max_depth=None).tokens


def decode_escapes(source: str) -> tuple[str, list[int], list[int]]:
    """Apply the codepoint escapes of SPARQL 1.1 §19.2 to a whole text.

    Returns the decoded text and, for each escape, where its character sits in the decoded text and how
    many characters the text has shrunk up to and including it (to map positions back). Raises
    :class:`BadQuery` for an escape without its hexadecimal digits, a surrogate or a code point past U+10FFFF.
    """
    if "\\u" not in source and "\\U" not in source:
        return source, [], []
    out: list[str] = []
    decoded_at: list[int] = []
    shift: list[int] = []
    last = 0
    length = 0  # length of the decoded text so far
    shrunk = 0
    for m in _ESCAPE.finditer(source):
        hex4, hex8 = m.group(1), m.group(2)
        if hex4 is None and hex8 is None:
            if m.group() != "\\\\":
                where = _position(source, m.start())
                raise BadQuery(
                    f"SPARQL syntax error at line {where['line']}, column {where['column']}: {m.group()} must be "
                    f"followed by {4 if m.group() == chr(92) + 'u' else 8} hexadecimal digits (a codepoint "
                    "escape, SPARQL 1.1 section 19.2).",
                    details=where,
                )
            continue  # an escaped backslash: the next backslash begins nothing
        code = int(hex4 or hex8, 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            where = _position(source, m.start())
            what = "a surrogate, not a character" if code <= 0xDFFF else "past U+10FFFF, the last code point"
            raise BadQuery(
                f"SPARQL syntax error at line {where['line']}, column {where['column']}: the escape {m.group()} "
                f"is {what}; write a character outside the Basic Multilingual Plane as \\UXXXXXXXX.",
                details=where,
            )
        out.append(source[last:m.start()])
        length += m.start() - last
        out.append(chr(code))
        decoded_at.append(length)
        length += 1
        shrunk += len(m.group()) - 1
        shift.append(shrunk)
        last = m.end()
    if not decoded_at:
        return source, [], []
    out.append(source[last:])
    return "".join(out), decoded_at, shift


def _paren_kind(frame: list, prev_kind: str, prev_text: str, prev2_text: str) -> int:
    """Classify a `(`: an expression, or a collection, path or VALUES list; -1 where the engine's reading differs."""
    kind = frame[_KIND]
    if kind == _EXPR:
        return _EXPR
    if kind in (_TRIPLE_TERM, _REIFIED, _VALUES) or frame[_PENDING]:
        return _LIST  # terms only; after VALUES, the list of its variables
    if prev_kind == WORD:
        return _LIST if prev_text == "a" else _EXPR  # FILTER, BIND, HAVING, BY, ASC, DESC, a function name
    if frame[_CLAUSE] != _NO_CLAUSE:
        return _EXPR  # a SELECT expression, a GROUP BY or ORDER BY condition or function call
    if prev_kind in (IRI, PNAME_LN, PNAME_NS):
        if prev2_text.upper() == "FILTER":
            return _EXPR  # FILTER <f>(...): a function call
        if prev_kind != IRI and prev_text.lower().startswith(_GLUED_CALL):
            return -1
    return _LIST


def _unexpected(text: str, pos: int) -> str:
    c = text[pos]
    if c in "'\"":
        return "the string is not closed (a short string ends on its line; a backslash may only begin \\t \\b \\n " \
               "\\r \\f \\\" \\' or \\\\ in a string)."
    if c == "_":
        return "a blank node label is _: followed by a name."
    if c == "@":
        return "a language tag is @ followed by letters, as in @en or @en-GB."
    if c == "\\":
        return "a backslash may only begin an escape in a string or in a prefixed name's local part."
    if c == "&":
        return "expected && (a single & is not an operator)."
    return f"unexpected character {c!r} (U+{ord(c):04X})."


def _escape_hint(source: str, text: str, at: int, decoded_at: Sequence[int], shift: Sequence[int]) -> str:
    """Name the escape behind an error when it stands for a character that changes how the text reads."""
    if not decoded_at:
        return ""
    line_end = text.find("\n", at + 1)
    line_end = len(text) if line_end < 0 else line_end
    first = bisect_left(decoded_at, at)
    after = range(first, bisect_left(decoded_at, line_end + 1))
    before = range(first - 1, bisect_left(decoded_at, at - 1000) - 1, -1)
    for k in (*after, *before):
        char = text[decoded_at[k]]
        if char in "\"'\\\n\r<>#{}":
            start = decoded_at[k] + (shift[k - 1] if k > 0 else 0)
            escape = source[start:decoded_at[k] + shift[k] + 1]
            where = _position(source, start)
            return (f" (the escape {escape} at line {where['line']}, column {where['column']} stands for "
                    f"{char!r} wherever it is, as SPARQL 1.1 section 19.2 says; in a string write \\\" \\' "
                    "\\\\ \\n or \\r instead)")
    return ""


def _unknown_word(word: str) -> str:
    lower = word.lower()
    for keyword in ("select", "construct", "describe", "ask", "order", "group", "optional", "filter", "service"):
        if lower.startswith(keyword) and lower != keyword:
            return (f"{word} is not a SPARQL keyword; separate {word[:len(keyword)]} from what follows it "
                    "with a space.")
    return f"{word} is not a SPARQL keyword or function name."


def _source_offset(offset: int, decoded_at: Sequence[int], shift: Sequence[int]) -> int:
    if not decoded_at:
        return offset
    k = bisect_left(decoded_at, offset) - 1
    return offset + (shift[k] if k >= 0 else 0)


def _position(text: str, offset: int) -> dict[str, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return {"line": line, "column": column}
