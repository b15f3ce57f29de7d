"""Why a result is where it is: the query words it matched (with places inside the snippet,
for highlighting), which generators found it and at what rank, each model stage's rank and
score, and what decided its place when no model did (an early exit, the time budget).

Word matching compares stems (Snowball English) of the query's words with the stems of the
word parts of each snippet line (``parse_header`` and ``parseHeader`` are ``parse`` +
``header``), so "parsing headers" matches both.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .query import QueryAnalysis
from .retrieve.ast import EXACT_NOCASE

# word parts: runs of lower-case letters after an optional capital, capital runs, digits
PART = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")
MIN_STEM = 2
# the English stemmer keeps a word's first two letters (checked over every word part of
# the standard library), except in these irregular forms
STEM_CHANGES_START = frozenset({"dying", "lying", "tying"})
SOURCE_LABELS = {"keyword": "keyword", "ast": "symbol", "regex": "regex", "dense": "dense",
                 "embedded": "light-nearest"}
STAGES = ("light", "heavy")


@functools.lru_cache(maxsize=1)
def _stemmer() -> Any:
    import snowballstemmer

    return snowballstemmer.stemmer("english")


@functools.lru_cache(maxsize=4096)
def stem(word: str) -> str:
    return str(_stemmer().stemWord(word.lower()))


@dataclass(frozen=True)
class Match:
    """A query word found in the snippet: ``line`` 0-based within the snippet, columns
    ``start``..``end`` in characters (code points) of that line."""

    term: str
    line: int
    start: int
    end: int

    def to_json(self) -> dict[str, object]:
        return {"term": self.term, "line": self.line, "start": self.start, "end": self.end}


@dataclass(frozen=True)
class Found:
    """One generator that found the result: its 1-based rank there and its score."""

    source: str
    rank: int
    score: float

    @property
    def exact(self) -> bool:
        """An exact (case-insensitive) definition name match, as the early exit reads it."""
        return self.source == "ast" and self.score >= EXACT_NOCASE

    def label(self) -> str:
        name = SOURCE_LABELS.get(self.source, self.source)
        if self.exact:
            return "symbol exact"
        return f"{name} #{self.rank}"


@dataclass(frozen=True)
class StagePlace:
    stage: str
    rank: int
    score: float


@dataclass(frozen=True)
class Why:
    matched: tuple[Match, ...] = ()
    found_by: tuple[Found, ...] = ()
    stages: tuple[StagePlace, ...] = ()
    decided_by: str | None = None  # "early exit" / "budget: not scored by light" / None
    terms: tuple[str, ...] = field(default=())

    def summary(self) -> str:
        """"keyword #3 → light #1 → heavy #1", the short line editors show."""
        exact = [f for f in self.found_by if f.exact]
        first = exact[0] if exact else min(self.found_by, key=lambda f: f.rank, default=None)
        parts = [first.label()] if first is not None else []
        parts += [f"{s.stage} #{s.rank}" for s in self.stages]
        if self.decided_by:
            parts.append(self.decided_by)
        return " → ".join(parts)

    def to_json(self) -> dict[str, object]:
        return {
            "summary": self.summary(),
            "terms": list(self.terms),
            "matched": [m.to_json() for m in self.matched],
            "found_by": [{"source": f.source, "rank": f.rank, "score": round(f.score, 4)}
                         for f in self.found_by],
            "stages": [{"stage": s.stage, "rank": s.rank, "score": round(s.score, 4)}
                       for s in self.stages],
            "decided_by": self.decided_by,
        }


def query_stems(analysis: QueryAnalysis) -> dict[str, str]:
    """Stem -> the query word it came from, for every word a match can be shown for."""
    out: dict[str, str] = {}
    for term in analysis.terms:
        for form in (*term.forms, *term.synonyms):
            for part in PART.findall(form) or [form]:
                s = stem(part)
                if len(s) >= MIN_STEM:
                    out.setdefault(s, term.word)
    return out


def matches(snippet: str, stems: dict[str, str], limit: int = 50) -> tuple[Match, ...]:
    """Places in ``snippet`` whose word part has a query word's stem. Only a word that
    begins like one of the stems is stemmed: the stemmer (pure Python) took about 11 ms
    of a first snapshot's 30 results over the standard library."""
    if not stems:
        return ()
    starts = {s[:2] for s in stems}
    out: list[Match] = []
    for number, line in enumerate(snippet.split("\n")):
        for m in PART.finditer(line):
            lower = m.group().lower()
            if lower[:2] not in starts and lower not in STEM_CHANGES_START:
                continue
            word = stems.get(stem(lower))
            if word is not None:
                out.append(Match(word, number, m.start(), m.end()))
                if len(out) == limit:
                    return tuple(out)
    return tuple(out)


class Explainer:
    """One search's explanations: the query's stems once, and each snippet's matches once
    (a result keeps its snippet from one ranking snapshot to the next)."""

    def __init__(self, analysis: QueryAnalysis):
        # a regex matches characters, not words: no stems (and no stemmer to load)
        self.stems = query_stems(analysis) if analysis.route != "regex" else {}
        self.terms = tuple(dict.fromkeys(self.stems.values()))
        self._matched: dict[str, tuple[Match, ...]] = {}

    def __call__(self, snippet: str, scores: dict[str, float], ranks: dict[str, int],
                 decided_by: str | None) -> Why:
        """The explanation of one result (``ranks``: source or stage -> 1-based rank)."""
        matched = self._matched.get(snippet)
        if matched is None:
            matched = self._matched[snippet] = matches(snippet, self.stems)
        found = tuple(sorted((Found(source, rank, scores.get(source, 0.0))
                              for source, rank in ranks.items() if source not in STAGES),
                             key=lambda f: f.rank))
        places = tuple(StagePlace(stage, ranks[stage], scores.get(stage, 0.0))
                       for stage in STAGES if stage in ranks)
        return Why(matched, found, places, decided_by, self.terms)


def explain(analysis: QueryAnalysis, snippet: str, scores: dict[str, float],
            ranks: dict[str, int], decided_by: str | None) -> Why:
    """The explanation of one result, outside a search (see ``Explainer``)."""
    return Explainer(analysis)(snippet, scores, ranks, decided_by)


def merge_ranks(into: dict[str, int], other: dict[str, int]) -> None:
    """``into`` keeps each source's best (lowest) rank of the two."""
    for source, rank in other.items():
        into[source] = min(rank, into.get(source, rank))


def ranked(cands: Sequence[Any], source: str) -> None:
    """Record each candidate's 1-based place in one generator's list."""
    for i, c in enumerate(cands, start=1):
        c.ranks[source] = min(i, c.ranks.get(source, i))
