"""The late-binding cascade: lexical pool -> light model -> heavy model -> top k.

Stage 0 is the engine's fused pool (default 100). Stage 1, a light scorer (by
default a bi-encoder with cached chunk embeddings), reorders the pool and keeps the
top ``light_keep``; stage 2, a heavy scorer (a cross-encoder), reorders those.
Scores of different stages are never compared on one scale: each model stage is
combined with the lexical order by weighted reciprocal-rank fusion, except that the heavy
stage's shortlist is ordered by a learned linear fusion of the light and heavy evidence
(``fusion.py``) when its weights are shipped. Every stage
yields a complete Snapshot of the ranking, and every result says which stages ran
and why the others did not.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator, Sequence

from ..confidence import confidence
from ..config import RerankConfig
from ..errors import Cancelled, ModelError
from ..index.store import Chunk, Store, chunk_body, document_key
from ..kinds import ModelStage
from ..query import QueryAnalysis
from ..retrieve.ast import exact_definition
from ..retrieve.candidate import Candidate
from .document import Document
from .fusion import HeavyEvidence, fusion_weights
from .scorers import ModelPool, StageScorer
from .stages import CancelCheck, Snapshot, StageReport, skip_reason

__all__ = ["Cascade", "Snapshot", "StageReport", "documents_for", "skip_reason"]
log = logging.getLogger(__name__)
LEXICAL_SOURCES = ("keyword", "ast", "regex")


def documents_for(store: Store, candidates: Sequence[Candidate]) -> list[Document]:
    """Model documents for candidates: whole chunks where the candidate is one."""
    rows = store.chunk_rows([c.chunk_id for c in candidates if c.chunk_id is not None])
    contents: dict[int, list[str]] = {}

    def lines_of(file_id: int) -> list[str]:
        if file_id not in contents:
            contents[file_id] = store.file_content(file_id).split("\n")
        return contents[file_id]

    out: list[Document] = []
    for c in candidates:
        row = rows.get(c.chunk_id) if c.chunk_id is not None else None
        if row is not None and (row[0], row[1]) == (c.start_line, c.end_line):
            start, end, key, p_start, p_end = row
            prefix = (p_start, p_end) if p_start is not None and p_end is not None else None
            text = chunk_body(lines_of(c.file_id), Chunk(start, end, c.kind, c.symbol, prefix))
        else:
            text = "\n".join(lines_of(c.file_id)[c.start_line - 1 : c.end_line])
            key = document_key(c.path, c.symbol, text)
        out.append(Document(key, c.path, c.symbol, c.kind, text))
    return out


def rank_fusion(lexical_ranks: Sequence[int], model_scores: Sequence[float],
                lexical_weight: float, k: float,
                earlier_ranks: Sequence[int] | None = None, earlier_weight: float = 0.0
                ) -> list[float]:
    """Weighted reciprocal-rank fusion of the lexical order, a model's order and,
    optionally, the order an earlier model stage produced."""
    order = sorted(range(len(model_scores)), key=lambda i: -model_scores[i])
    model_rank = [0] * len(model_scores)
    for rank, i in enumerate(order):
        model_rank[i] = rank
    model_weight = 1.0 - lexical_weight - (earlier_weight if earlier_ranks is not None else 0.0)
    fused = [lexical_weight / (k + lexical_ranks[i]) + model_weight / (k + model_rank[i])
             for i in range(len(model_scores))]
    if earlier_ranks is not None:
        fused = [f + earlier_weight / (k + earlier_ranks[i]) for i, f in enumerate(fused)]
    return fused


def early_exit_reason(analysis: QueryAnalysis, pool: Sequence[Candidate],
                      margin: float) -> str | None:
    """Why the heavy model is not needed: an exact definition leads a symbol query."""
    if analysis.route != "symbol" or not pool:
        return None
    top = pool[0]
    if not exact_definition(top.scores):
        return None
    lead = top.score - (pool[1].score if len(pool) > 1 else 0.0)
    if lead < margin:
        return None
    return (f"early exit: exact definition {top.symbol or top.path} leads by {lead:.2f} "
            f"(>= {margin:.2f})")


def confident_exit_reason(analysis: QueryAnalysis, ranking: Sequence[Candidate],
                          threshold: float) -> str | None:
    """Why the heavy model is not needed: the light stage's ranking of a question is
    already as sure as the threshold asks (the calibrated search confidence)."""
    if threshold <= 0 or analysis.route != "natural" or not ranking:
        return None
    if "light" not in ranking[0].scores:
        return None  # the light stage did not rank it
    sure = confidence(analysis.route, [c.scores for c in ranking[:10]])
    if sure is None or sure < threshold:
        return None
    return f"early exit: confident after the light stage ({sure:.2f} >= {threshold:.2f})"


class Cascade:
    """Runs the model stages over a candidate pool; reuse it across queries."""

    def __init__(self, store: Store, config: RerankConfig, models: ModelPool):
        self.store = store
        self.config = config
        self.models = models

    def run(self, analysis: QueryAnalysis, pool: list[Candidate], limit: int,
            cancel: CancelCheck | None = None, enabled: bool = True,
            deadline: float | None = None) -> Iterator[Snapshot]:
        """Yield the ranking after each stage; the last snapshot is stage "final".

        With a ``deadline`` (time.monotonic()), model stages score candidates in rank
        order until it passes; the rest keep their order below the scored ones.
        """
        c = self.config
        state = _Run(self, analysis, pool, cancel, deadline)
        reports: list[StageReport] = []
        yield Snapshot("candidates", pool[:limit], list(reports), dict(state.timings))
        skip = skip_reason(analysis, pool, enabled and c.enabled)
        exit_reason = early_exit_reason(analysis, pool, c.early_exit_margin)
        ranking = list(pool)
        light_skip = skip or ("" if c.light_model else "rerank.light_model is empty")
        if light_skip:
            reports.append(StageReport("light", False, light_skip))
        else:
            ranked, report = state.stage("light", c.light_model, ranking,
                                         c.light_lexical_weight)
            reports.append(report)
            if ranked is not None:
                ranking = ranked
                report.candidates_out = min(len(ranking), c.light_keep)
                yield Snapshot("light", ranking[:limit], list(reports), dict(state.timings))
        heavy_skip = (skip or exit_reason or ("" if c.heavy_model else
                                              "rerank.heavy_model is empty")
                      or confident_exit_reason(analysis, ranking, c.confident_exit))
        if not heavy_skip and deadline is not None and time.monotonic() >= deadline:
            heavy_skip = "time budget spent before the heavy stage"
        if heavy_skip:
            reports.append(StageReport("heavy", False, heavy_skip, c.heavy_model or None))
        else:
            head, tail = ranking[: c.light_keep], ranking[c.light_keep :]
            ranked, report = state.stage("heavy", c.heavy_model, head, c.heavy_lexical_weight)
            reports.append(report)
            if ranked is not None:
                ranking = ranked + tail
                _below(tail, ranked)
        if analysis.route == "symbol":
            ranking = _exact_first(ranking)
        if exit_reason and ranking and ranking[0] is not pool[0]:
            ranking.remove(pool[0])  # the exact definition keeps first place
            ranking.insert(0, pool[0])
            # and a score to match: shown scores never rise down the list
            pool[0].score = max(c.score for c in ranking) + 1e-3
        if exit_reason and ranking:
            ranking[0].decided_by = "early exit"  # pinned first, the heavy stage skipped
        yield Snapshot("final", ranking[:limit], reports, state.timings)

    def _stage(self, scorer: StageScorer, ref: str, query: str, terms: frozenset[str],
               ranking: list[Candidate], documents: Sequence[Document],
               lexical_rank: dict[int, int], lexical_weight: float, name: ModelStage,
               cancel: CancelCheck | None, deadline: float | None = None
               ) -> tuple[list[Candidate], StageReport] | str:
        """Score, fuse with the lexical order, reorder; the reason if the model failed."""
        try:
            scored = scorer.score(query, terms, documents, cancel, deadline)
        except Cancelled:
            raise
        except ModelError as exc:  # the model itself is broken: off from now on
            self.models.forget(ref, str(exc))
            return str(exc)
        except Exception as exc:  # this request only (odd input): skip the stage once
            reason = f"{name} stage failed for this query: {type(exc).__name__}: {exc}"
            log.warning("%s", reason)
            return reason
        values = [float(v) for v in scored.scores]
        for cand, value in zip(ranking, values, strict=True):
            if not math.isnan(value):
                cand.scores[name] = value
            elif deadline is not None:
                cand.decided_by = f"budget: not scored by {name}"
        scored_at = [i for i, v in enumerate(values) if not math.isnan(v)]
        by_model = sorted(scored_at, key=lambda i: -values[i])
        for rank, i in enumerate(by_model, start=1):
            ranking[i].ranks[name] = rank
        raw, shown = self._fuse(name, ranking, values, scored_at, lexical_rank, lexical_weight)
        # the unscored (cached or not, anywhere in the list) keep their order below
        scored_order = [scored_at[j] for j in sorted(range(len(scored_at)), key=lambda j: -raw[j])]
        unscored = [i for i in range(len(ranking)) if math.isnan(values[i])]
        reordered = [ranking[i] for i in scored_order + unscored]
        for i in range(len(ranking)):
            ranking[i].score = -float(i + 1)
        for i, value in zip(scored_at, shown, strict=True):
            ranking[i].score = value
        return reordered, StageReport(name, True, model=scorer.id,
                                      candidates_in=len(ranking), cache_hits=scored.cache_hits,
                                      unscored=scored.unscored)

    def _fuse(self, name: ModelStage, ranking: list[Candidate], values: list[float],
              scored_at: list[int], lexical_rank: dict[int, int], lexical_weight: float
              ) -> tuple[list[float], list[float]]:
        """The fused scores of the scored candidates: (what orders them, what is shown).
        The heavy stage's learned fusion needs every shortlisted candidate scored by the
        light stage (what it was fitted on); otherwise, and for the light stage, rank
        fusion."""
        learned = (fusion_weights() if name == "heavy" and self.config.heavy_fusion == "learned"
                   and all("light" in ranking[i].ranks for i in scored_at) else None)
        if learned is not None:
            raw = [learned.score(HeavyEvidence(
                ranking[i].score, values[i], ranking[i].ranks[name], ranking[i].ranks["light"],
                ranking[i].scores["light"])) for i in scored_at]
            return raw, learned.shown(raw)
        earlier = (list(scored_at)  # positions in the light order: the light ranks
                   if name == "heavy" and self.config.heavy_light_weight else None)
        fused = rank_fusion([lexical_rank[id(ranking[i])] for i in scored_at],
                            [values[i] for i in scored_at], lexical_weight,
                            self.config.rrf_k, earlier, self.config.heavy_light_weight)
        if name == "light":
            fused = nearest_discounted(fused, [only_embedded(ranking[i]) for i in scored_at],
                                       self.config.light_embedded_weight)
        return fused, fused


def nearest_discounted(fused: list[float], alone: list[bool], weight: float) -> list[float]:
    """The light stage's fused scores with those of the candidates only the nearest-chunk
    search found (``alone``) multiplied by ``weight`` (``rerank.light_embedded_weight``);
    training's fusion rows apply it too, so that they are ordered as the cascade orders."""
    return [f * weight if a else f for f, a in zip(fused, alone, strict=True)]


def only_embedded(cand: Candidate) -> bool:
    """Whether the light model's nearest-chunk search found the candidate and no keyword,
    AST or regex generator did."""
    return "embedded" in cand.scores and not any(s in cand.scores for s in LEXICAL_SOURCES)


def _exact_first(ranking: list[Candidate]) -> list[Candidate]:
    """An identifier query's exact definitions (the name, any case, or the dotted path)
    before everything else, in the models' order: a developer who types a name wants its
    definitions, not the names that merely contain it. Their shown scores move above the
    rest, keeping their spacing."""
    exact = [c for c in ranking if exact_definition(c.scores)]
    if not exact or len(exact) == len(ranking):
        return ranking
    rest = [c for c in ranking if not exact_definition(c.scores)]
    lift = max(c.score for c in rest) - min(c.score for c in exact)
    if lift > 0:
        for cand in exact:
            cand.score += lift + 1e-3
    return exact + rest


def _below(tail: Sequence[Candidate], head: Sequence[Candidate]) -> None:
    """Shown scores never rise down the list: the heavy stage's shortlist is fused on
    another scale than the light order below it."""
    floor = min((c.score for c in head), default=None)
    if floor is not None:
        for cand in tail:
            cand.score = min(cand.score, floor)


class _Run:
    """One query's pass through the cascade: documents built once, lexical ranks, timings."""

    def __init__(self, cascade: Cascade, analysis: QueryAnalysis, pool: list[Candidate],
                 cancel: CancelCheck | None, deadline: float | None):
        self.cascade = cascade
        self.analysis = analysis
        self.cancel = cancel
        self.deadline = deadline
        self.terms = frozenset(analysis.all_forms)
        self.lexical_rank = {id(cand): rank for rank, cand in enumerate(pool)}
        self.timings: dict[str, float] = {}
        self._built: dict[int, Document] = {}

    def documents(self, cands: list[Candidate]) -> list[Document]:
        missing = [cand for cand in cands if id(cand) not in self._built]
        for cand, doc in zip(missing, documents_for(self.cascade.store, missing), strict=True):
            self._built[id(cand)] = doc
        return [self._built[id(cand)] for cand in cands]

    def stage(self, name: ModelStage, ref: str, cands: list[Candidate], weight: float
              ) -> tuple[list[Candidate] | None, StageReport]:
        """Run one model stage; (None, why) when it could not."""
        models = self.cascade.models
        scorer = models.for_stage(name, ref)
        if scorer is None:
            reason = models.failures.get(ref) or models.failures[f"{name}:{ref}"]
            return None, StageReport(name, False, reason, ref)
        started = time.perf_counter()
        ranked = self.cascade._stage(scorer, ref, self.analysis.text, self.terms, cands,
                                     self.documents(cands), self.lexical_rank, weight, name,
                                     self.cancel, self.deadline)
        if isinstance(ranked, str):
            return None, StageReport(name, False, ranked, ref)
        order, report = ranked
        report.ms = self.timings[name] = (time.perf_counter() - started) * 1000.0
        report.candidates_out = len(order)
        return order, report
