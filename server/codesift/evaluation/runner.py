"""Runs each ranking approach over the evaluation queries and measures it.

Approaches, all over the same index:
- ``lexical``: the fused keyword/AST pool, no model;
- ``light``: the light (bi-encoder) stage alone over the pool;
- ``heavy``: the heavy model over the whole pool, no cascade;
- ``cascade``: the configured cascade (pool -> light -> heavy);
- ``dense``: the bi-encoder over every chunk, brute force ("embed everything").
Model caches are cleared before each model approach, so latencies are cold-cache
figures; ``cascade`` is then repeated to measure a warm, repeated query.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..config import Config
from ..index.store import Store
from ..parse.chunker import chunk_text
from ..rerank import cache as model_cache
from ..rerank.cascade import documents_for
from ..rerank.document import Document
from ..rerank.scorers import BiEncoderScorer, ModelPool
from ..retrieve.candidate import Candidate
from ..search import Searcher, SearchRequest
from .metrics import (
    EvalQuery,
    Ranked,
    Scores,
    mean_scores,
    percentile,
    query_scores,
    relevance,
)
from .misses import Miss, find_misses, reason_counts

Progress = Callable[[str, int, int], None]


@dataclass
class ApproachResult:
    name: str
    ran: bool
    reason: str = ""
    scores: Scores | None = None
    latency_ms: dict[str, dict[str, float]] = field(default_factory=dict)
    repeat_ms: dict[str, float] = field(default_factory=dict)
    update_ms: float | None = None
    setup_ms: float | None = None
    models: list[str] = field(default_factory=list)
    pool_recall: float | None = None  # share of queries with a target in the pool
    misses: list[Miss] = field(default_factory=list)  # queries with no target in the top 3

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"name": self.name, "ran": self.ran}
        if not self.ran:
            out["reason"] = self.reason
            return out
        assert self.scores is not None
        out.update(self.scores.to_json())
        out["latency_ms"] = self.latency_ms
        if self.repeat_ms:
            out["repeat_ms"] = self.repeat_ms
        out["update_ms"] = None if self.update_ms is None else round(self.update_ms, 1)
        if self.setup_ms is not None:
            out["setup_ms"] = round(self.setup_ms, 1)
        out["models"] = self.models
        if self.pool_recall is not None:
            out["pool_recall"] = round(self.pool_recall, 4)
        out["miss_reasons"] = reason_counts(self.misses)
        out["misses"] = [m.to_json() for m in self.misses]
        return out


def _summary(samples: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    return {stage: {"p50": round(percentile(v, 50), 2), "p95": round(percentile(v, 95), 2)}
            for stage, v in samples.items() if v}


def approach_config(config: Config, name: str) -> Config:
    """The configuration an approach runs with, derived from the user's."""
    rerank = config.rerank
    if name == "light":
        rerank = dataclasses.replace(rerank, heavy_model="")
    elif name == "heavy":
        rerank = dataclasses.replace(rerank, light_model="", light_keep=max(
            config.retrieve.pool_size, config.retrieve.embedded_pool_size))
    # measurements are not use: they stay out of the search log
    return dataclasses.replace(config, rerank=rerank,
                               log=dataclasses.replace(config.log, enabled=False))


def skip_reason(config: Config, name: str) -> str | None:
    r = config.rerank
    if name == "light" and (not r.light_model or not r.heavy_model):
        return "same as cascade (only one model stage configured)" if r.light_model \
            else "no light model configured"
    if name == "heavy" and not r.heavy_model:
        return "no heavy model configured (--stage2-model)"
    if name == "dense" and not r.light_model:
        return "needs the bi-encoder light model (--stage1-model)"
    return None


def _ranked(hits: Sequence[object]) -> list[Ranked]:
    return [Ranked(h.path, h.start_line, h.end_line) for h in hits]  # type: ignore[attr-defined]


def pool_recall(searcher: Searcher, queries: Sequence[EvalQuery]) -> float:
    """Share of queries whose candidate pool (what the model stages rerank) holds a
    target: the ceiling of every reranker."""
    found = 0
    for q in queries:
        _, pool = searcher.candidates(SearchRequest(q.query), {})
        found += any(relevance(q, _ranked(pool)))
    return found / len(queries) if queries else 0.0


def run_searches(searcher: Searcher, queries: Sequence[EvalQuery], final_k: int,
                 rerank: bool, progress: Progress | None, label: str
                 ) -> tuple[list[Scores], dict[str, list[float]]]:
    per_query: list[Scores] = []
    samples: dict[str, list[float]] = {}
    for i, q in enumerate(queries):
        if progress:
            progress(label, i, len(queries))
        result = searcher.search(SearchRequest(q.query, final_k, rerank=rerank))
        per_query.append(query_scores(q, _ranked(result.hits)))
        for stage in ("candidates", "light", "heavy", "total"):
            if stage in result.timings_ms:
                samples.setdefault(stage, []).append(result.timings_ms[stage])
    if progress:
        progress(label, len(queries), len(queries))
    return per_query, samples


def reindex_one_file_ms(store: Store, config: Config, path: str
                        ) -> tuple[float, list[Document]]:
    """Time to re-index one changed file (rolled back afterwards), and its new chunks."""
    row = store.file_row(path)
    assert row is not None, path
    file_id, language, size, mtime, digest, content = row
    text = content + "\n# changed\n"
    with store.rolled_back():
        started = time.perf_counter()
        chunked = chunk_text(text, language, config.chunk)
        store.delete_file(file_id)
        new_id = store.put_file(path, language, size + 1, mtime + 1, digest + "x", text,
                                chunked)
        elapsed = (time.perf_counter() - started) * 1000.0
        chunks = [Candidate(new_id, path, language, r.start_line, r.end_line, r.symbol,
                            r.kind, r.id) for r in store.chunks_of_file(new_id)]
        documents = documents_for(store, chunks)
    return elapsed, documents


def pick_update_file(store: Store) -> str | None:
    """A typical file for the update-cost measurement: the median-sized one."""
    paths = store.paths_by_size()
    return paths[len(paths) // 2] if paths else None


class DenseIndex:
    """Every chunk embedded by the bi-encoder: the brute-force dense baseline."""

    def __init__(self, store: Store, scorer: BiEncoderScorer, progress: Progress | None):
        self.rows: list[Candidate] = []
        for file_id, path, language in store.files():
            self.rows.extend(Candidate(file_id, path, language, r.start_line, r.end_line,
                                       r.symbol, r.kind, r.id)
                             for r in store.chunks_of_file(file_id))
        self.scorer = scorer
        documents = documents_for(store, self.rows)
        parts: list[np.ndarray] = []
        step = 256
        for begin in range(0, len(documents), step):
            if progress:
                progress("dense: embedding every chunk", begin, len(documents))
            batch = documents[begin : begin + step]
            vectors, _ = scorer.embed_documents(batch)
            parts.append(np.stack([vectors[d.key] for d in batch]))
        if progress:
            progress("dense: embedding every chunk", len(documents), len(documents))
        self.matrix = np.concatenate(parts) if parts else np.zeros((0, 1), dtype=np.float32)

    def search(self, query: str, k: int) -> list[Ranked]:
        scores = self.matrix @ self.scorer.query_vector(query)
        top = np.argsort(-scores)[:k]
        return [Ranked(self.rows[i].path, self.rows[i].start_line, self.rows[i].end_line)
                for i in top]


def run_dense(store: Store, config: Config, queries: Sequence[EvalQuery], final_k: int,
              update_file: str | None, progress: Progress | None) -> ApproachResult:
    models = ModelPool(config.rerank, store)
    scorer = models.get(config.rerank.light_model)
    if not isinstance(scorer, BiEncoderScorer):
        reason = models.failures.get(config.rerank.light_model, "light model is not a "
                                     "bi-encoder")
        return ApproachResult("dense", False, reason)
    started = time.perf_counter()
    index = DenseIndex(store, scorer, progress)
    setup_ms = (time.perf_counter() - started) * 1000.0
    per_query: list[Scores] = []
    samples: list[float] = []
    for i, q in enumerate(queries):
        if progress:
            progress("dense", i, len(queries))
        clock = time.perf_counter()
        ranked = index.search(q.query, final_k)
        samples.append((time.perf_counter() - clock) * 1000.0)
        per_query.append(query_scores(q, ranked))
    update_ms: float | None = None
    if update_file is not None:
        reindex_ms, documents = reindex_one_file_ms(store, config, update_file)
        fresh = BiEncoderScorer(scorer.model, ModelPool(config.rerank, None).embeddings,
                                config.rerank.batch_size)
        clock = time.perf_counter()
        fresh.embed_documents(documents)
        update_ms = reindex_ms + (time.perf_counter() - clock) * 1000.0
    return ApproachResult("dense", True, scores=mean_scores(per_query),
                          latency_ms=_summary({"total": samples}),
                          update_ms=update_ms, setup_ms=setup_ms,
                          models=[scorer.id])


def run_eval(store: Store, config: Config, queries: Sequence[EvalQuery], final_k: int,
             approaches: Sequence[str], progress: Progress | None = None,
             cold: bool = True) -> list[ApproachResult]:
    """Every approach over every query. ``cold`` clears the model caches first, so
    latencies are cold-cache figures; without it, earlier runs' caches are reused."""
    update_file = pick_update_file(store)
    reindex_ms = (reindex_one_file_ms(store, config, update_file)[0]
                  if update_file is not None else None)
    results: list[ApproachResult] = []
    for name in approaches:
        reason = skip_reason(config, name)
        if reason:
            results.append(ApproachResult(name, False, reason))
            continue
        if cold:
            model_cache.clear(store)
        if name == "dense":
            results.append(run_dense(store, config, queries, final_k, update_file, progress))
            continue
        cfg = approach_config(config, name)
        models = ModelPool(cfg.rerank, store)
        searcher = Searcher(store, cfg, models)
        per_query, samples = run_searches(searcher, queries, final_k, name != "lexical",
                                          progress, name)
        result = ApproachResult(name, True, scores=mean_scores(per_query),
                                latency_ms=_summary(samples), update_ms=reindex_ms,
                                models=sorted(models.loaded.values()))
        failed = [f"{ref}: {why}" for ref, why in models.failures.items()]
        if failed:
            result.reason = "; ".join(failed)
        if name == "lexical":
            result.pool_recall = pool_recall(searcher, queries)
        result.misses = find_misses(searcher, queries, final_k, name != "lexical")
        if name == "cascade":
            _, repeat = run_searches(searcher, queries, final_k, True, progress,
                                     "cascade (repeated)")
            result.repeat_ms = _summary(repeat).get("total", {})
        results.append(result)
    return results
