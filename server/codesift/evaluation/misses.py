"""Why a query missed: for every query with no target in the first three results, the
stage that lost it, read from the full ranking and each result's ``why`` ranks.

- ``not in the pool``: no candidate generator found a target (no reranker can help);
- ``dropped by the light stage``: in the pool, but the light model ranked it below the
  ``light_keep`` places the heavy stage sees;
- ``dropped by the heavy stage``: the heavy stage saw it and ranked it out of the top k;
- ``below the top k``: in the pool, out of the top k, with no model stage to blame
  (the lexical approach);
- ``ranked 4–k``: in the top k, not in the first three.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ..search import Searcher, SearchHit, SearchRequest
from .metrics import EvalQuery, Ranked, relevance

FULL = 10_000  # "every candidate": the ranking below the top k keeps the cascade's order


@dataclass(frozen=True)
class Miss:
    query: str
    reason: str
    rank: int | None  # 1-based place of the first target in the full ranking
    first: str  # what came first instead: "path:line"

    def to_json(self) -> dict[str, object]:
        return {"query": self.query, "reason": self.reason, "rank": self.rank,
                "first": self.first}


def reason_for(hit: SearchHit | None, rank: int | None, final_k: int, light_keep: int,
               ran: set[str]) -> str:
    """The stage that lost a target first found at ``rank`` (``ran``: model stages run)."""
    if hit is None or rank is None:
        return "not in the pool"
    if rank <= final_k:
        return f"ranked 4–{final_k}"
    places = {s.stage: s.rank for s in (hit.why.stages if hit.why is not None else ())}
    if "light" in ran:
        if places.get("light", light_keep + 1) > light_keep or "heavy" not in ran:
            return "dropped by the light stage"
        return "dropped by the heavy stage"
    return "dropped by the heavy stage" if "heavy" in ran else f"below the top {final_k}"


def find_misses(searcher: Searcher, queries: Sequence[EvalQuery], final_k: int,
                rerank: bool) -> list[Miss]:
    """Each query without a target in the first three, with its reason (a second, warm
    pass over just those queries, with the whole ranking)."""
    light_keep = searcher.config.rerank.light_keep
    out: list[Miss] = []
    for q in queries:
        result = searcher.search(SearchRequest(q.query, FULL, rerank=rerank))
        ranked = [Ranked(h.path, h.start_line, h.end_line) for h in result.hits]
        gains = relevance(q, ranked)
        position = next((i for i, g in enumerate(gains) if g), None)
        if position is not None and position < 3:
            continue
        hit = result.hits[position] if position is not None else None
        ran: set[str] = {s.name for s in result.stages if s.ran}
        first = (f"{result.hits[0].path}:{result.hits[0].start_line}" if result.hits
                 else "(nothing)")
        rank = None if position is None else position + 1
        out.append(Miss(q.query, reason_for(hit, rank, final_k, light_keep, ran),
                        rank, first))
    return out


def reason_counts(misses: Sequence[Miss]) -> dict[str, int]:
    """Misses per reason, the most common first."""
    return dict(Counter(m.reason for m in misses).most_common())
