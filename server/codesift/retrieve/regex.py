"""Regex candidates: trigram-prefiltered, verified with RE2.

RE2 runs in time linear in the input, so no pattern can hang a search. Patterns
use RE2 syntax, which is Python ``re`` syntax minus backreferences and
look-around (those are rejected with a clear error). Matching is line-oriented
like grep: ``^`` and ``$`` match at line boundaries.

The prefilter extracts literal runs that every match must contain (with Python's
own regex parser) and asks the FTS5 trigram index for files containing all their
trigrams; without such a literal every file is scanned.
"""

from __future__ import annotations

import re
import re._constants as sre_c  # type: ignore[import-not-found]
import re._parser as sre_parse  # type: ignore[import-not-found]
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

import re2

from ..config import RetrieveConfig
from ..errors import RegexError
from ..index.store import Store
from ..query import QueryAnalysis
from .candidate import Candidate
from .keyword import fts_quote

MIN_LITERAL = 3



@dataclass(frozen=True)
class RegexMatch:
    file_id: int
    path: str
    language: str
    start_line: int
    end_line: int
    line_text: str


SLICE_CHARS = 65_536  # how much text is matched between two looks at the deadline


def compile_pattern(pattern: str) -> re2._Regexp:
    """Compile for line-oriented search, or raise RegexError naming the problem."""
    options = re2.Options()
    options.log_errors = False
    try:
        return re2.compile(f"(?m){pattern}", options)
    except re2.error as exc:
        message = exc.args[0] if exc.args else str(exc)
        if isinstance(message, bytes):
            message = message.decode("utf-8", "replace")
        message = message.replace("(?m)", "", 1)
        raise RegexError(f"invalid regex {pattern!r}: {message}") from None


def _required_literals(items, case_insensitive: bool) -> list[list[str]] | None:
    """Alternatives of literal sets; every match contains all literals of one alternative.

    Returns None when no useful literal is known (the caller scans everything).
    """
    runs: list[str] = []
    current: list[str] = []
    alternatives: list[list[str]] | None = None

    def flush() -> None:
        if len(current) >= MIN_LITERAL:
            runs.append("".join(current))
        current.clear()

    for op, arg in items:
        if op is sre_c.LITERAL and arg != 0:  # FTS5 query text cannot hold a NUL
            current.append(chr(arg))
            continue
        flush()
        if op is sre_c.SUBPATTERN:
            _, add_flags, del_flags, sub = arg
            if add_flags & (sre_c.SRE_FLAG_IGNORECASE | sre_c.SRE_FLAG_VERBOSE):
                continue
            inner = _required_literals(sub, case_insensitive)
            if inner is not None and len(inner) == 1:
                runs.extend(inner[0])
            elif inner is not None and alternatives is None:
                alternatives = inner
        elif op is sre_c.BRANCH and alternatives is None:
            branches = [_required_literals(b, case_insensitive) for b in arg[1]]
            if all(b is not None and len(b) == 1 and b[0] for b in branches):
                alternatives = [b[0] for b in branches if b is not None]
        elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, sre_c.POSSESSIVE_REPEAT):
            low, _, sub = arg
            if low >= 1:
                inner = _required_literals(sub, case_insensitive)
                if inner is not None and len(inner) == 1:
                    runs.extend(inner[0])
    flush()
    if alternatives is not None:
        return [runs + alt for alt in alternatives]
    return [runs] if runs else None


def literal_groups(pattern: str) -> list[list[str]] | None:
    """Literal sets for the trigram prefilter, or None to scan every file."""
    if "[:" in pattern:  # POSIX classes: RE2 and Python's parser read these differently
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = sre_parse.parse(pattern)
    except (re.error, RecursionError, OverflowError):
        return None
    if parsed.state.flags & (sre_c.SRE_FLAG_IGNORECASE | sre_c.SRE_FLAG_VERBOSE):
        return None
    groups = _required_literals(list(parsed), False)
    if groups is None or any(not g for g in groups):
        return None
    return groups


def _trigram_expression(groups: list[list[str]]) -> str:
    alternatives = []
    for literals in groups:
        trigrams = dict.fromkeys(
            lit[i : i + 3] for lit in literals for i in range(len(lit) - 2)
        )
        alternatives.append("(" + " AND ".join(fts_quote(t) for t in trigrams) + ")")
    return " OR ".join(alternatives)


def _sliced_matches(compiled: re2._Regexp, text: str, deadline: float | None
                    ) -> Iterator[re2._Match]:
    """Matches in slices of whole lines, so the deadline holds inside a large file too
    (a match that spans a slice boundary, every SLICE_CHARS, is not found)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start + SLICE_CHARS)
        end = len(text) if end < 0 else end + 1
        yield from compiled.finditer(text, start, end)
        if deadline is not None and time.perf_counter() > deadline:
            return
        start = end


def iter_matches(store: Store, pattern: str, allowed: list[int] | None = None,
                 deadline: float | None = None) -> Iterator[RegexMatch]:
    """Every match, one per starting line, in path and line order.

    Stops quietly at ``deadline`` (a ``time.perf_counter()`` value).
    """
    compiled = compile_pattern(pattern)
    groups = literal_groups(pattern)
    expression = _trigram_expression(groups) if groups is not None else None
    for file_id, path, language in store.files_with_trigrams(expression, allowed):
        if deadline is not None and time.perf_counter() > deadline:
            return
        text = store.file_content(file_id)
        line, counted_to, last_line = 1, 0, 0
        for match in _sliced_matches(compiled, text, deadline):
            begin = match.start()
            line += text.count("\n", counted_to, begin)
            counted_to = begin
            if line == last_line:
                continue
            last_line = line
            end = line + text.count("\n", begin, max(begin, match.end() - 1))
            line_start = text.rfind("\n", 0, begin) + 1
            line_end = text.find("\n", begin)
            yield RegexMatch(file_id, path, language, line, end,
                             text[line_start : line_end if line_end >= 0 else len(text)])


class RegexGenerator:
    """The first matches of a pattern (score 1.0 each), named by their enclosing symbol.
    A search stops scanning after ``regex_timeout_ms`` and keeps what it found."""

    name: ClassVar[str] = "regex"
    semantic: ClassVar[bool] = False

    def __init__(self, store: Store, config: RetrieveConfig):
        self.store = store
        self.timeout_ms = config.regex_timeout_ms

    def candidates(self, analysis: QueryAnalysis, limit: int, allowed: list[int] | None
                   ) -> list[Candidate]:
        if analysis.pattern is None:
            return []
        deadline = time.perf_counter() + self.timeout_ms / 1000.0
        out: list[Candidate] = []
        for m in iter_matches(self.store, analysis.pattern, allowed, deadline):
            out.append(Candidate(m.file_id, m.path, m.language, m.start_line, m.end_line,
                                 None, "match", None, {self.name: 1.0}, snippet=m.line_text))
            if len(out) >= limit:
                break
        _attach_symbols(self.store, out)
        return out


def _attach_symbols(store: Store, candidates: list[Candidate]) -> None:
    """Name the innermost definition around each match (for display and fusion)."""
    by_file: dict[int, list[Candidate]] = {}
    for c in candidates:
        by_file.setdefault(c.file_id, []).append(c)
    for file_id, group in by_file.items():
        rows = store.chunks_of_file(file_id)
        for c in group:
            inner = [r for r in rows if r.start_line <= c.start_line <= r.end_line]
            if inner:
                best = min(inner, key=lambda r: r.end_line - r.start_line)
                c.symbol, c.chunk_id = best.symbol, best.id
