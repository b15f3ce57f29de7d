"""AST candidates: definitions whose names match the query.

For an identifier query: exact name or dotted path (1.0; 0.9 when only the case
differs), prefix (0.7), all identifier parts present (0.6), then fuzzy matches
(up to 0.45) when the stricter tiers found little. For a natural-language query:
definitions whose name parts cover the query terms, scored by coverage.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import ClassVar

from ..config import RetrieveConfig
from ..index.store import Store, SymbolRow
from ..query import QueryAnalysis
from ..terms import split_identifier
from .candidate import Candidate
from .keyword import fts_quote

EXACT, EXACT_NOCASE, PREFIX, PARTS, FUZZY = 1.0, 0.9, 0.7, 0.6, 0.45


def exact_definition(scores: Mapping[str, float]) -> bool:
    """Whether this generator found a result as an exact definition of the identifier
    asked for (the name in any case, or the dotted path): what the early exit, the
    exact-first order and the confidence read."""
    return scores.get("ast", 0.0) >= EXACT_NOCASE
FUZZY_CUTOFF = 80.0
FUZZY_WHEN_FEWER = 5  # fuzzy matching only when the exact tiers found this little

ScoreOf = Callable[[str, str | None], float]
Add = Callable[[list[SymbolRow], ScoreOf], None]


class AstGenerator:
    """Definitions (tree-sitter symbols) whose names match the query; keeps the
    distinct-name list for fuzzy matching."""

    name: ClassVar[str] = "ast"
    semantic: ClassVar[bool] = False

    def __init__(self, store: Store, config: RetrieveConfig):
        self.store = store
        self._names: list[str] | None = None
        self._names_version: str | None = None

    def _distinct_names(self) -> list[str]:
        version = self.store.get_meta("last_sync")
        if self._names is None or version != self._names_version:
            self._names = self.store.symbol_names()
            self._names_version = version
        return self._names

    def candidates(self, analysis: QueryAnalysis, limit: int,
                   allowed: list[int] | None) -> list[Candidate]:
        if allowed is not None and not allowed:
            return []
        found: dict[int, Candidate] = {}

        def add(rows: list[SymbolRow], score_of: ScoreOf) -> None:
            for r in rows:
                score = score_of(r.name, r.symbol_path)
                current = found.get(r.id)
                if current is None or current.scores[self.name] < score:
                    found[r.id] = Candidate(r.file_id, r.path, r.language, r.start_line,
                                            r.end_line, r.symbol_path, r.kind, r.chunk_id,
                                            {self.name: score})

        if analysis.route == "symbol" and analysis.symbol:
            self._identifier(analysis.symbol, limit, allowed, add, found)
        elif analysis.terms:
            self._natural(analysis, limit, allowed, add)
        ranked = sorted(found.values(), key=lambda c: -c.scores[self.name])
        return ranked[:limit]

    def _identifier(self, symbol: str, limit: int, allowed: list[int] | None, add: Add,
                    found: dict[int, Candidate]) -> None:
        name = symbol.rsplit(".", 1)[-1]
        dotted = "." in symbol

        def exact_score(found_name: str, path: str | None) -> float:
            path = path or ""
            if dotted:
                if path == symbol or path.endswith("." + symbol):
                    return EXACT
                if path.lower() == symbol.lower() or path.lower().endswith("." + symbol.lower()):
                    return EXACT_NOCASE
                return PREFIX
            return EXACT if found_name == name else EXACT_NOCASE

        add(self.store.symbols_named(name, allowed, limit), exact_score)
        add(self.store.symbols_with_prefix(name, allowed, limit), lambda n, p: PREFIX)
        parts = split_identifier(name)
        if len(parts) > 1:
            expression = " AND ".join(fts_quote(p) for p in parts)
            add(self._fts_rows(expression, allowed, limit), lambda n, p: PARTS)
        if len(found) < FUZZY_WHEN_FEWER and len(name) >= 4:
            from rapidfuzz import fuzz, process  # only here: keeps it off the regex path

            matches = process.extract(name, self._distinct_names(), scorer=fuzz.ratio,
                                      score_cutoff=FUZZY_CUTOFF, limit=20)
            for match_name, ratio, _ in matches:
                if match_name.lower() == name.lower():
                    continue
                add(self.store.symbols_named(match_name, allowed, limit),
                    _constant(FUZZY * float(ratio) / 100.0))

    def _fts_rows(self, expression: str, allowed: list[int] | None, limit: int,
                  fts_factor: int = 4) -> list[SymbolRow]:
        """Symbols whose name terms match; with filters, over-fetch so the cut comes later."""
        factor = fts_factor if allowed is None else fts_factor * 8
        return self.store.symbols_matching(expression, allowed, limit, limit * factor)

    def _natural(self, analysis: QueryAnalysis, limit: int, allowed: list[int] | None,
                 add: Add) -> None:
        forms = analysis.all_forms
        expression = " OR ".join(fts_quote(f) for f in forms)
        term_sets = [set(t.forms) | set(t.synonyms) for t in analysis.terms]
        # what the prefix test compares: words of more than three letters
        long_sets = [[o for o in options if len(o) > 3] for options in term_sets]
        every_option = set().union(*term_sets)

        def coverage(found_name: str, path: str | None) -> float:
            split = split_identifier(found_name)
            parts = set(split) | {found_name.lower()}
            long_parts = [p for p in parts if len(p) > 3]
            hits = sum(1 for options, longs in zip(term_sets, long_sets, strict=True)
                       if options & parts or any(p.startswith(o) or o.startswith(p)
                                                 for o in longs for p in long_parts))
            name_cover = sum(1 for p in split if p in every_option)
            return PARTS * (hits / len(term_sets)) * (0.5 + 0.5 * name_cover / len(split))

        add(self._fts_rows(expression, allowed, limit, fts_factor=1), coverage)


def _constant(score: float) -> ScoreOf:
    return lambda name, path: score
