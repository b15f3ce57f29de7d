"""Merge the generators' candidates into one scored pool.

Each source's scores are normalised to [0, 1] (keyword bm25 by its best score;
AST and regex scores are already on that scale), overlapping ranges in the same
file are merged into one candidate keeping each source's best score, and the
fused score is the weighted sum. Ties keep path and line order, like grep. A Python stub
(``x.pyi``) definition whose implementation (the same symbol in ``x.py``) is also a
candidate lends it its scores and leaves: the user wants the code, not the same
signature twice.
"""

from __future__ import annotations

from ..config import FusionWeights
from ..why import merge_ranks
from .candidate import Candidate


def _normalise(candidates: list[Candidate], source: str) -> None:
    best = max((c.scores[source] for c in candidates if source in c.scores), default=0.0)
    if best <= 0:
        return
    for c in candidates:
        if source in c.scores:
            c.scores[source] = c.scores[source] / best


def _lend_scores(into: Candidate, other: Candidate) -> None:
    """``into`` keeps each source's best score of the two."""
    for source, score in other.scores.items():
        into.scores[source] = max(score, into.scores.get(source, 0.0))
    merge_ranks(into.ranks, other.ranks)


def _absorb(into: Candidate, other: Candidate) -> None:
    _lend_scores(into, other)
    inside = into.start_line <= other.start_line and other.end_line <= into.end_line
    if not inside:
        contains = other.start_line <= into.start_line and into.end_line <= other.end_line
        if contains and other.chunk_id is not None:
            into.symbol, into.kind, into.chunk_id = other.symbol, other.kind, other.chunk_id
            into.snippet = ""
        into.start_line = min(into.start_line, other.start_line)
        into.end_line = max(into.end_line, other.end_line)


def _implementation_key(c: Candidate) -> tuple[str, str] | None:
    """For a stub candidate, the (path, symbol) of its implementation; None otherwise."""
    if not c.symbol or not c.path.endswith(".pyi"):
        return None
    return c.path[:-1], c.symbol


def _by_symbol(candidates: list[Candidate]) -> dict[tuple[str, str], Candidate]:
    """Candidates that are definitions, by (path, symbol): where a stub's implementation
    is looked up."""
    return {(c.path, c.symbol): c for c in candidates if c.symbol}


def _without_stubs(candidates: list[Candidate]) -> list[Candidate]:
    """``candidates`` less the stubs whose implementation is among them (it takes their
    scores)."""
    implemented = _by_symbol(candidates)
    kept: list[Candidate] = []
    for c in candidates:
        key = _implementation_key(c)
        if key is not None and key in implemented:
            _lend_scores(implemented[key], c)
        else:
            kept.append(c)
    return kept


def fuse(by_source: dict[str, list[Candidate]], weights: FusionWeights,
         pool_size: int) -> list[Candidate]:
    """Normalise, merge overlapping ranges, score, sort and cut to ``pool_size``."""
    everything: list[Candidate] = []
    for source, found in by_source.items():
        if source == "keyword":
            _normalise(found, source)
        everything.extend(found)
    by_file: dict[int, list[Candidate]] = {}
    for c in everything:
        by_file.setdefault(c.file_id, []).append(c)
    merged: list[Candidate] = []
    for group in by_file.values():
        # widest first at each start line, so chunks absorb the matches inside them
        group.sort(key=lambda c: (c.start_line, -c.end_line))
        current = group[0]
        for c in group[1:]:
            if c.start_line <= current.end_line:
                _absorb(current, c)
            else:
                merged.append(current)
                current = c
        merged.append(current)
    merged = _without_stubs(merged)
    for c in merged:
        c.score = sum(getattr(weights, source) * score for source, score in c.scores.items())
    merged.sort(key=lambda c: (-c.score, c.path, c.start_line))
    return merged[:pool_size]


def with_reserved(pool: list[Candidate], extra: list[Candidate], keep: int) -> list[Candidate]:
    """The pool plus up to ``keep`` of ``extra`` (best first) that overlap nothing in it;
    an overlapping extra, or a stub whose implementation is in the pool, lends its scores
    to that pool candidate."""
    by_file: dict[int, list[Candidate]] = {}
    for c in pool:
        by_file.setdefault(c.file_id, []).append(c)
    implemented = _by_symbol(pool)
    added: list[Candidate] = []
    for c in extra:
        same = [p for p in by_file.get(c.file_id, [])
                if p.start_line <= c.end_line and c.start_line <= p.end_line]
        key = _implementation_key(c)
        if key is not None and key in implemented:
            same = [implemented[key]]
        if same:
            for p in same:
                _lend_scores(p, c)
        elif len(added) < keep:
            added.append(c)
            by_file.setdefault(c.file_id, []).append(c)
    return pool + added
