"""Ranking metrics over evaluation queries.

A result hits a target when it is in the same file and their line ranges overlap.
Recall@k is the share of targets hit by any of the first k results; for MRR and
nDCG a result is relevant when it hits a target no earlier result hit, so one
answer repeated does not count twice.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import QueryFileError


@dataclass(frozen=True)
class Target:
    path: str
    start_line: int
    end_line: int


@dataclass(frozen=True)
class EvalQuery:
    query: str
    targets: tuple[Target, ...]
    split: str | None = None  # "tune", "dev", "test", ... when the file says


def splits_of(queries: Sequence[EvalQuery]) -> str:
    """Which split(s) a query file holds, for the report ("unlabelled" when it says not)."""
    names = sorted({q.split for q in queries if q.split})
    return ", ".join(names) if names else "unlabelled"


@dataclass(frozen=True)
class Ranked:
    """One returned result, as the metrics need it."""

    path: str
    start_line: int
    end_line: int


def load_queries(path: Path) -> list[EvalQuery]:
    """Read ``{"query", "targets": [{"path", "start_line", "end_line"}]}`` lines."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise QueryFileError(f"{path}: {exc.strerror or exc}") from None
    out: list[EvalQuery] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            targets = tuple(Target(str(t["path"]).replace("\\", "/"), int(t["start_line"]),
                                   int(t["end_line"])) for t in data["targets"])
            query = str(data["query"])
        except (ValueError, KeyError, TypeError) as exc:
            raise QueryFileError(f"{path}:{number}: expected {{\"query\", \"targets\": "
                                 f"[{{\"path\", \"start_line\", \"end_line\"}}]}} ({exc})"
                                 ) from None
        if not query.strip() or not targets:
            raise QueryFileError(f"{path}:{number}: empty query or no targets")
        split = data.get("split")
        out.append(EvalQuery(query, targets, str(split) if split else None))
    if not out:
        raise QueryFileError(f"{path}: no queries")
    return out


def _hits(target: Target, result: Ranked) -> bool:
    return (target.path == result.path and result.start_line <= target.end_line
            and target.start_line <= result.end_line)


def relevance(query: EvalQuery, results: Sequence[Ranked]) -> list[int]:
    """1 for each result that hits a target no earlier result hit, else 0."""
    covered: set[int] = set()
    gains: list[int] = []
    for result in results:
        hit = {i for i, target in enumerate(query.targets) if _hits(target, result)}
        gains.append(1 if hit - covered else 0)
        covered |= hit
    return gains


def recall_at(query: EvalQuery, results: Sequence[Ranked], k: int) -> float:
    """Share of the targets hit by any of the first k results (order-independent)."""
    hit = {i for result in results[:k] for i, target in enumerate(query.targets)
           if _hits(target, result)}
    return len(hit) / len(query.targets)


@dataclass(frozen=True)
class Scores:
    mrr10: float
    recall1: float
    recall5: float
    recall10: float
    ndcg10: float
    precision3: float = 0.0  # share of the first three results that hit a new target
    success3: float = 0.0  # a target among the first three (what a user feels)

    def to_json(self) -> dict[str, float]:
        return {"mrr@10": round(self.mrr10, 4), "recall@1": round(self.recall1, 4),
                "recall@5": round(self.recall5, 4), "recall@10": round(self.recall10, 4),
                "ndcg@10": round(self.ndcg10, 4), "precision@3": round(self.precision3, 4),
                "success@3": round(self.success3, 4)}


def query_scores(query: EvalQuery, results: Sequence[Ranked]) -> Scores:
    gains = relevance(query, results[:10])
    first = next((i for i, g in enumerate(gains) if g), None)
    n = len(query.targets)
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sum(1 / math.log2(i + 2) for i in range(min(n, 10)))
    return Scores(
        mrr10=1.0 / (first + 1) if first is not None else 0.0,
        recall1=recall_at(query, results, 1), recall5=recall_at(query, results, 5),
        recall10=recall_at(query, results, 10),
        ndcg10=dcg / ideal if ideal else 0.0,
        precision3=sum(gains[:3]) / 3.0, success3=1.0 if any(gains[:3]) else 0.0,
    )


def mean_scores(per_query: Sequence[Scores]) -> Scores:
    if not per_query:
        return Scores(0.0, 0.0, 0.0, 0.0, 0.0)
    return Scores(*(statistics.fmean(getattr(s, f) for s in per_query)
                    for f in ("mrr10", "recall1", "recall5", "recall10", "ndcg10",
                              "precision3", "success3")))


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[rank - 1]
