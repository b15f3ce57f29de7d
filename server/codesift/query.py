"""Query analysis and routing, locally and deterministically (no language model).

A query is routed to ``symbol`` (it looks like an identifier or dotted path),
``regex`` (regex syntax, or the caller forced it) or ``natural`` (words). The
analysis also yields the search terms: identifier parts, stop words removed,
code synonyms added. Stemming is left to SQLite's porter tokenizer, which applies
the same stemmer to the index and the query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from .errors import RegexError
from .kinds import Route
from .terms import split_identifier, words

MAX_QUERY_CHARS = 1000  # longer questions are cut here; longer regexes refused
MAX_TERMS = 64  # distinct words searched for (the rest add nothing but time)

SYMBOL_RE = re.compile(r"^[A-Za-z_$][\w$]*(?:(?:\.|::|#|->)[A-Za-z_$][\w$]*)*(?:\(\))?$")
REGEX_HINTS = re.compile(
    r"\\[wdsbWDSBAZ.()\[\]{}|+*?^$]|\.\*|\.\+|\[\^|\[[^\]]*(?:\w-\w|\\[wdsWDS])[^\]]*\]"
    r"|\(\?|\{\d+(?:,\d*)?\}|^\^|\w\$$|\w\|\w"
)

STOP_WORDS = frozenset("""
a about above after again all also am an and any are as at be been before being below
between both but by can could did do does doing done down during each few for from
further get gets had has have having here how i if in into is it its itself just let
like me more most my no nor not now of off on once only or other our out over own same
should so some such than that the their them then there these they this those through
to too under until up use used uses using very want was way we were what when where
which while who whom why will with would you your code function method find show
implement implemented implementation happen happens
""".split())

SYNONYM_GROUPS: list[tuple[str, ...]] = [
    ("auth", "authentication", "authenticate", "login", "credentials"),
    ("init", "initialize", "initialise", "initialization", "setup", "constructor"),
    ("config", "configuration", "configure", "settings", "cfg", "conf", "options"),
    ("delete", "remove", "del", "rm", "unlink"),
    ("error", "err", "exception", "raise", "failure"),
    ("message", "msg"),
    ("request", "req"),
    ("response", "resp", "reply"),
    ("database", "db", "sql", "sqlite"),
    ("directory", "dir", "folder"),
    ("temporary", "temp", "tmp"),
    ("environment", "env"),
    ("argument", "arg", "args", "param", "parameter", "params"),
    ("string", "str", "text"),
    ("number", "num", "int", "integer"),
    ("length", "len", "size"),
    ("command", "cmd"),
    ("connection", "conn", "connect", "socket"),
    ("context", "ctx"),
    ("function", "func", "fn", "callable"),
    ("library", "lib"),
    ("utility", "util", "utils", "helper", "helpers"),
    ("repository", "repo"),
    ("asynchronous", "async", "await", "coroutine"),
    ("url", "uri", "link", "href"),
    ("fetch", "download", "retrieve"),
    ("create", "make", "build", "new"),
    ("validate", "check", "verify"),
    ("parse", "parser", "decode"),
    ("serialize", "encode", "dump", "dumps"),
    ("compress", "zip", "gzip", "deflate"),
    ("hash", "digest", "checksum"),
    ("copy", "clone", "duplicate"),
    ("sort", "order"),
    ("timeout", "deadline"),
    ("thread", "threading", "concurrent"),
    ("password", "passwd", "secret"),
    ("log", "logger", "logging"),
    ("test", "tests", "testing", "assert"),
    ("file", "path", "filename"),
    ("cache", "memoize", "lru"),
]
SYNONYMS: dict[str, tuple[str, ...]] = {}
for _group in SYNONYM_GROUPS:
    for _word in _group:
        SYNONYMS[_word] = tuple(w for w in _group if w != _word)



@dataclass(frozen=True)
class Term:
    """One query word: its forms that must match (any of) and its synonyms."""

    word: str
    forms: tuple[str, ...]
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class QueryAnalysis:
    text: str
    route: Route
    terms: list[Term] = field(default_factory=list)
    identifiers: list[str] = field(default_factory=list)
    symbol: str | None = None  # the identifier or dotted path for the symbol route
    pattern: str | None = None  # the regex for the regex route

    @cached_property
    def all_forms(self) -> list[str]:
        forms = (form for term in self.terms for form in (*term.forms, *term.synonyms))
        return list(dict.fromkeys(forms))


def looks_like_regex(text: str) -> bool:
    return bool(REGEX_HINTS.search(text))


def compiles_as_regex(text: str) -> bool:
    """Whether RE2 accepts it: a question that merely contains regex-like syntax
    ("unwraps its (?-mix:...) source") is searched as words, not refused."""
    import re2

    options = re2.Options()
    options.log_errors = False
    try:
        re2.compile(f"(?m){text}", options)
    except re2.error:
        return False
    return True


def _terms(text: str, keep_stop_words: bool = False) -> list[Term]:
    out: list[Term] = []
    seen: set[str] = set()
    for word in words(text):
        lower = word.lower()
        parts = split_identifier(word)
        if lower in seen or (not keep_stop_words and lower in STOP_WORDS and len(parts) == 1):
            continue
        seen.add(lower)
        forms = tuple(dict.fromkeys((lower, *parts)))
        synonyms: tuple[str, ...] = ()
        if len(parts) == 1:
            synonyms = SYNONYMS.get(lower, ())
        out.append(Term(word, forms, synonyms))
    return out


def clip(text: str) -> str:
    """A query cut to MAX_QUERY_CHARS, at a word boundary when there is one."""
    if len(text) <= MAX_QUERY_CHARS:
        return text
    cut = text[:MAX_QUERY_CHARS]
    space = cut.rfind(" ")
    return cut[:space] if space > MAX_QUERY_CHARS // 2 else cut


def analyze(text: str, *, force_regex: bool = False) -> QueryAnalysis:
    """Route the query and extract its terms. Words past MAX_QUERY_CHARS are dropped;
    a regex that long is refused (cutting one would change what it means)."""
    stripped = text.strip()
    if force_regex and len(stripped) > MAX_QUERY_CHARS:
        raise RegexError(f"regex is {len(stripped):,} characters long; the limit is "
                         f"{MAX_QUERY_CHARS:,}")
    if not force_regex:
        stripped = clip(stripped)
    if force_regex or (looks_like_regex(stripped) and not SYMBOL_RE.match(stripped)
                       and compiles_as_regex(stripped)):
        return QueryAnalysis(stripped, "regex", _terms(re.sub(r"\\.", " ", stripped)),
                             pattern=stripped)
    if SYMBOL_RE.match(stripped):  # an identifier: every word counts, even "get" or "find"
        symbol = re.sub(r"(::|#|->)", ".", stripped.removesuffix("()"))
        return QueryAnalysis(stripped, "symbol", _terms(stripped, keep_stop_words=True),
                             [symbol], symbol=symbol)
    terms = _terms(stripped)[:MAX_TERMS]
    identifiers = [w for w in words(stripped) if len(split_identifier(w)) > 1 or "_" in w]
    return QueryAnalysis(stripped, "natural", terms, identifiers)
