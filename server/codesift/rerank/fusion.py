"""Learned fusion of the heavy stage: one linear score per shortlisted candidate.

Reciprocal-rank fusion keeps only each stage's order, so a cross-encoder that is sure
(a large logit gap) counts no more than one that is torn. The heavy stage instead
combines, linearly, what is known of each candidate of its shortlist: the light stage's
fused score and rank, the light model's cosine, and the heavy model's logit and rank.
The weights are fitted on the tuning split of the team-written questions only
(``training/fusion.py``) and ship in ``models/fusion.json``; without that file, or with
``rerank.heavy_fusion = "rank"``, the heavy stage falls back to rank fusion.

The fused score only orders; its scale means nothing (the fit is pairwise), and a plain
sigmoid of it showed 1.000 for every result. What users see is a probability that the
result answers the question: a logistic map of the fused score and of its lead over the
shortlist's second best (``display`` in the same file), fitted on the same tuning rows.
"""

from __future__ import annotations

import functools
import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)
WEIGHTS = Path(__file__).resolve().parent.parent / "models" / "fusion.json"
RRF_K = 3.0
FEATURES = ("light_fused", "heavy", "heavy_recip", "light_recip", "light")


@dataclass(frozen=True)
class HeavyEvidence:
    """What the cascade knows about one shortlisted candidate after the heavy model."""

    light_fused: float  # the light stage's fused score (its place in the light order)
    heavy: float  # the heavy model's score
    heavy_rank: int  # 1-based, among the shortlist
    light_rank: int  # 1-based, among the light-scored pool
    light: float  # the light model's cosine


@dataclass(frozen=True)
class FusionWeights:
    weights: tuple[float, ...]
    # shown = sigmoid(scale * fused + lead * (fused - the second best fused) + bias)
    display_scale: float = 1.0
    display_lead: float = 0.0
    display_bias: float = 0.0

    def score(self, ev: HeavyEvidence) -> float:
        return sum(w * v for w, v in zip(self.weights, features(ev), strict=True))

    def shown(self, fused: Sequence[float]) -> list[float]:
        """For each of a shortlist's fused scores, the probability (as fitted on the
        tuning rows) that the result answers the question."""
        second = sorted(fused)[-2] if len(fused) > 1 else (fused[0] if fused else 0.0)
        return [display_score(self.display_scale * f + self.display_lead * (f - second)
                              + self.display_bias) for f in fused]


def features(ev: HeavyEvidence) -> tuple[float, ...]:
    """The model's inputs, in ``FEATURES`` order (training computes them here too)."""
    return (ev.light_fused, ev.heavy, 1.0 / (RRF_K + ev.heavy_rank),
            1.0 / (RRF_K + ev.light_rank), ev.light)


@functools.lru_cache(maxsize=1)
def fusion_weights() -> FusionWeights | None:
    """The shipped weights, or None (rank fusion then) when they cannot be read."""
    try:
        data = json.loads(WEIGHTS.read_text(encoding="utf-8"))
        weights = tuple(float(data["heavy"][name]) for name in FEATURES)
        display = data.get("display", {})
        shown = tuple(float(display.get(key, default))
                      for key, default in (("scale", 1.0), ("lead", 0.0), ("bias", 0.0)))
        if not all(math.isfinite(w) for w in (*weights, *shown)):
            raise ValueError("a weight is not a finite number")
        return FusionWeights(weights, *shown)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("learned fusion unavailable (%s); the heavy stage uses rank fusion", exc)
        return None


def display_score(value: float) -> float:
    """A fused score shown to users: in (0, 1), same order."""
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, value))))
