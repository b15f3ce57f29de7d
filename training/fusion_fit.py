"""Fitting half of ``training/fusion.py`` (needs numpy and scikit-learn: the train venv).

The heavy stage's fusion is a pairwise logistic regression (RankNet with a linear
scorer): the difference of a right and a wrong shortlisted candidate's standardized
features (``codesift.rerank.fusion.features``), within one question. The standardization
is folded into the shipped weights (a constant shift changes no order). The
regularization is chosen by leave-one-package-out MRR@10 on the tuning rows. The
simulated cascade is the shipped one: the light stage's order, the first ``HEAD`` of it
reordered by the heavy stage, the rest below.

The fused score's scale means nothing (a pairwise fit), so a second, pointwise logistic
regression maps it to what users are shown: the probability that a shortlisted result
answers the question (``display``). ``--keep-weights`` fits only that map, for the
weights already in ``--out``.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from codesift.config import RerankConfig
from codesift.rerank.cascade import nearest_discounted, rank_fusion
from codesift.rerank.fusion import FEATURES, FusionWeights, HeavyEvidence, features

from .common import read_jsonl

SHIPPED = RerankConfig()  # the rank fusion the learned one replaces: the baseline
HEAD = SHIPPED.light_keep
GRID = (0.01, 0.1, 1.0)


class Question:
    """A question's light order, its shortlist's features and the labels."""

    def __init__(self, row: dict):
        cands = row["candidates"]
        self.package: str = row["package"]
        self.y = np.array([c["y"] for c in cands], dtype=np.int64)
        self.order = np.argsort(-np.array([c["rrf"] for c in cands]), kind="stable")
        self.head = self.order[:HEAD]
        heavy = np.array([cands[i]["heavy"] for i in self.head], dtype=np.float64)
        self.heavy = heavy
        heavy_rank = np.empty(len(self.head), dtype=np.int64)
        heavy_rank[np.argsort(-heavy, kind="stable")] = np.arange(1, len(self.head) + 1)
        self.heavy_rank = heavy_rank
        self.x = np.array([features(HeavyEvidence(
            cands[i]["rrf"], float(h), int(r), cands[i]["light_rank"], cands[i]["light"]))
            for i, h, r in zip(self.head, heavy, heavy_rank, strict=True)]).reshape(-1,
                                                                                  len(FEATURES))


def mrr10(order: np.ndarray, y: np.ndarray) -> float:
    for rank, i in enumerate(order[:10], start=1):
        if y[i]:
            return 1.0 / rank
    return 0.0


def final_order(q: Question, w: np.ndarray | None, heavy: bool = True) -> np.ndarray:
    """The simulated cascade's order: None weights, the shipped rank fusion; ``heavy``
    False, the light stage alone."""
    if not heavy:
        return q.order
    if w is None:
        n = len(q.head)
        fused = np.array(rank_fusion([0] * n, q.heavy.tolist(), SHIPPED.heavy_lexical_weight,
                                     SHIPPED.rrf_k, list(range(n)),
                                     SHIPPED.heavy_light_weight))
    else:
        fused = q.x @ w
    return np.concatenate([q.head[np.argsort(-fused, kind="stable")], q.order[HEAD:]])


def fit(qs: list[Question], c: float) -> np.ndarray:
    """Pairwise logistic regression over every (right, wrong) pair of each shortlist."""
    scale = np.concatenate([q.x for q in qs]).std(axis=0) + 1e-9
    diffs = []
    for q in qs:
        x, y = q.x / scale, q.y[q.head]
        pos, neg = np.flatnonzero(y), np.flatnonzero(y == 0)
        if len(pos) and len(neg):
            diffs.append((x[pos][:, None, :] - x[neg][None, :, :]).reshape(-1, x.shape[1]))
    d = np.concatenate(diffs)
    sign = np.random.default_rng(0).choice([-1.0, 1.0], size=len(d))
    model = LogisticRegression(C=c, fit_intercept=False, max_iter=2000)
    model.fit(d * sign[:, None], (sign > 0).astype(np.int64))
    return np.asarray(model.coef_[0] / scale)


def mean_mrr(qs: list[Question], w: np.ndarray | None, heavy: bool = True) -> float:
    return float(np.mean([mrr10(final_order(q, w, heavy), q.y) for q in qs])) if qs else 0.0


def cross_validated(qs: list[Question], c: float) -> float:
    by: dict[str, list[Question]] = defaultdict(list)
    for q in qs:
        by[q.package].append(q)
    total = 0.0
    for package, held in by.items():
        total += mean_mrr(held, fit([q for q in qs if q.package != package], c)) * len(held)
    return total / len(qs)


def report(name: str, qs: list[Question], w: np.ndarray) -> dict[str, Any]:
    out = {"questions": len(qs), "light": round(mean_mrr(qs, None, heavy=False), 4),
           "heavy_rank_fusion": round(mean_mrr(qs, None), 4),
           "heavy_learned": round(mean_mrr(qs, w), 4)}
    print(name, json.dumps(out))
    return out


def with_light_weight(row: dict, weight: float) -> dict:
    """A collected row as if the light stage had fused with lexical weight ``weight``
    (the rows keep the pool's order); a shortlisted candidate the collection gave no
    heavy score (it was not in the collected shortlist) ranks below the scored ones."""
    cands = row["candidates"]
    rrf = nearest_discounted(
        rank_fusion(list(range(len(cands))), [c["light"] for c in cands], weight,
                    SHIPPED.rrf_k),
        [bool(c.get("only_embedded")) for c in cands], SHIPPED.light_embedded_weight)
    out = [dict(c, rrf=v) for c, v in zip(cands, rrf, strict=True)]
    known = [c["heavy"] for c in out if c["heavy"] is not None]
    floor = (min(known) - 1.0) if known else 0.0
    for i in sorted(range(len(out)), key=lambda i: -rrf[i])[:HEAD]:
        if out[i]["heavy"] is None:
            out[i]["heavy"] = floor
    return dict(row, candidates=out)


def sweep_light_weights(rows: list[dict], weights: list[float]) -> None:
    for weight in weights:
        qs = [Question(with_light_weight(r, weight)) for r in rows]
        print(f"light_lexical_weight {weight}: light stage {mean_mrr(qs, None, False):.4f}, "
              f"cascade leave-one-package-out {cross_validated(qs, 0.1):.4f}")


def _display_inputs(q: Question, w: np.ndarray) -> np.ndarray:
    """Per shortlisted candidate: its fused score and its lead over the second best
    (``FusionWeights.shown`` computes the same)."""
    fused = q.x @ w
    second = np.sort(fused)[-2] if len(fused) > 1 else fused[0]
    return np.stack([fused, fused - second], axis=1)


def _shortlist(qs: list[Question], w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every shortlisted candidate's display inputs and label."""
    return (np.concatenate([_display_inputs(q, w) for q in qs]),
            np.concatenate([q.y[q.head] for q in qs]).astype(np.int64))


def fit_display(qs: list[Question], w: np.ndarray) -> dict[str, float]:
    """P(answers) = sigmoid(scale * fused + lead * (fused - second best) + bias)."""
    x, y = _shortlist(qs, w)
    model = LogisticRegression(C=100.0, max_iter=2000).fit(x, y)
    return {"scale": float(model.coef_[0][0]), "lead": float(model.coef_[0][1]),
            "bias": float(model.intercept_[0])}


def display_report(name: str, qs: list[Question], w: np.ndarray,
                   display: dict[str, float]) -> dict[str, Any]:
    """How well the shown probability (computed as serving computes it) matches: Brier
    score over the shortlist, and the mean shown against the share right for each
    question's first result."""
    weights = FusionWeights(tuple(map(float, w)), display["scale"], display["lead"],
                            display["bias"])
    per_question = [np.array(weights.shown((q.x @ w).tolist())) for q in qs]
    shown = np.concatenate(per_question)
    y = np.concatenate([q.y[q.head] for q in qs])
    firsts = [int(s.argmax()) for s in per_question]  # the shown order is the fused order
    first_shown = np.array([s[i] for s, i in zip(per_question, firsts, strict=True)])
    first_right = np.array([q.y[q.head][i] for q, i in zip(qs, firsts, strict=True)])
    out = {"brier": round(float(np.mean((shown - y) ** 2)), 4),
           "brier_constant": round(float(np.mean((y.mean() - y) ** 2)), 4),
           "first_shown_mean": round(float(first_shown.mean()), 4),
           "first_right_share": round(float(first_right.mean()), 4)}
    print(name, "display", json.dumps(out))
    return out


def cmd_fit(args: argparse.Namespace) -> int:
    rows = list(read_jsonl(args.rows))
    if args.light_weights:
        sweep_light_weights(rows, [float(w) for w in args.light_weights.split(",")])
    qs = [Question(r) for r in rows]
    reported = {path.name: [Question(r) for r in read_jsonl(path)] for path in args.report}
    if args.keep_weights:
        data = json.loads(args.out.read_text(encoding="utf-8"))
        w = np.array([float(data["heavy"][name]) for name in FEATURES])
    else:
        cv = {c: cross_validated(qs, c) for c in GRID}
        for c, value in cv.items():
            print(f"C={c}: leave-one-package-out MRR@10 {value:.4f}")
        best = max(cv, key=lambda c: cv[c])
        w = fit(qs, best)
        reports = {args.rows.name: report(args.rows.name, qs, w)}
        for other, other_qs in reported.items():
            reports[other] = report(other, other_qs, w)
        data = {"heavy": dict(zip(FEATURES, map(float, w), strict=True)),
                "fitted_on": f"{args.rows.name}: {len(qs)} questions, C={best} "
                             f"(leave-one-package-out MRR@10 {cv[best]:.4f})",
                "reports": reports}
    display = fit_display(qs, w)
    shown = {args.rows.name: display_report(args.rows.name, qs, w, display)}
    for other, other_qs in reported.items():
        shown[other] = display_report(other, other_qs, w, display)
    data["display"] = {**display, "fitted_on": args.rows.name, "reports": shown}
    args.out.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return 0
