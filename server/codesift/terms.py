"""Identifier-aware term extraction, shared by the indexer and the query analyser.

SQLite's FTS5 tokenizer (porter + unicode61, underscores kept inside tokens) does
the tokenizing and stemming; this module only adds what it cannot do: each
identifier is emitted whole (lower-cased) and followed by its camelCase,
snake_case, kebab-case and digit parts, so ``getHTTPResponse2`` is findable as
``gethttpresponse2``, ``get``, ``http``, ``response`` and ``2``.
"""

from __future__ import annotations

import re
from functools import lru_cache

WORD = re.compile(r"[^\W_][\w]*|_+[^\W_][\w]*", re.UNICODE)
# anchored at the start of an alphanumeric run, so a long run is scanned once, not once
# per character (which made 40k-character queries take 40 s)
KEBAB = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+")
PARTS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+|[^\W\d_]+", re.UNICODE)


# Small caches: a source tree's frequent words repeat within a few thousand distinct ones
# (indexing the standard library: 1.71 s with 200,000 entries, 1.82 s with 4,096), and in
# the long-lived language server 200,000 entries each held about 90 MB for good.
CACHE_WORDS = 8192


@lru_cache(maxsize=CACHE_WORDS)
def split_identifier(word: str) -> tuple[str, ...]:
    """Lower-cased parts of an identifier; a single part for plain words."""
    parts = tuple(p.lower() for p in PARTS.findall(word))
    return parts or (word.lower(),)


@lru_cache(maxsize=CACHE_WORDS)
def _word_terms(word: str) -> str:
    lower = word.strip("_").lower()
    parts = split_identifier(word)
    if len(parts) == 1 and parts[0] == lower:
        return lower
    return " ".join((lower, *parts))


def index_terms(text: str) -> str:
    """The text FTS5 indexes for a chunk: identifiers whole plus their parts."""
    return " ".join(map(_word_terms, WORD.findall(text)))


def words(text: str) -> list[str]:
    """Identifier-like words of a text, in order (kebab-case words kept whole)."""
    found = [m.group(0) for m in KEBAB.finditer(text)]
    rest = KEBAB.sub(" ", text)
    return found + [w.strip("_") for w in WORD.findall(rest)]
