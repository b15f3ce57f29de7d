"""Keyword candidates: FTS5 bm25 over identifier-split chunk text.

The symbol path is its own column, weighted up, so a chunk that *defines* a name
outranks chunks that merely mention it.
"""

from __future__ import annotations

from typing import ClassVar

from ..config import RetrieveConfig
from ..index.store import Store
from ..query import QueryAnalysis
from .candidate import Candidate

SYMBOL_WEIGHT = 4.0
BODY_WEIGHT = 1.0


def fts_quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def match_expression(analysis: QueryAnalysis) -> str | None:
    """An FTS5 query: for identifiers, the whole name or all its parts together;
    for words, any form or synonym of any term."""
    if analysis.route == "symbol" and analysis.terms:
        groups = []
        for term in analysis.terms:
            whole, *parts = term.forms
            if parts:
                groups.append(f"{fts_quote(whole)} OR ({' AND '.join(map(fts_quote, parts))})")
            else:
                groups.append(fts_quote(whole))
        return " OR ".join(f"({g})" for g in groups)
    forms = analysis.all_forms
    if not forms:
        return None
    return " OR ".join(fts_quote(f) for f in forms)


class KeywordGenerator:
    """bm25 over chunk text, the symbol path weighted up."""

    name: ClassVar[str] = "keyword"
    semantic: ClassVar[bool] = False

    def __init__(self, store: Store, config: RetrieveConfig):
        self.store = store

    def candidates(self, analysis: QueryAnalysis, limit: int, allowed: list[int] | None
                   ) -> list[Candidate]:
        expression = match_expression(analysis)
        if expression is None or (allowed is not None and not allowed):
            return []
        return [Candidate.of_chunk(r, {self.name: score})
                for r, score in self.store.keyword_matches(
                    expression, (SYMBOL_WEIGHT, BODY_WEIGHT), allowed, limit)]
