"""The search pipeline: analyse, generate candidates, fuse, rerank, cut snippets.

``Searcher`` works over an open Store; the CLI and the language server are thin
shells around it. ``stream`` yields a complete SearchResult after each stage
(candidates, light, final); ``search`` returns the last one. Per-stage timings
and a report of which stages ran travel with every result.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .confidence import confidence
from .config import Config
from .errors import Cancelled
from .index.search_log import LogEntry, SearchLog
from .index.store import Store
from .query import QueryAnalysis, analyze
from .rerank.stages import CancelCheck, Snapshot, lexical_snapshots, skip_reason
from .retrieve.candidate import Candidate
from .retrieve.embedded import EmbeddedChunks, mark_complete
from .retrieve.fuse import fuse, with_reserved
from .retrieve.generators import build_generators
from .search_types import SearchHit, SearchRequest, SearchResult, log_entry, new_search_id
from .why import Explainer, ranked

if TYPE_CHECKING:
    from .rerank.cascade import Cascade
    from .rerank.scorers import BiEncoderScorer, ModelPool

__all__ = ["SearchHit", "SearchRequest", "SearchResult", "Searcher", "log_entry",
           "new_search_id"]
SNIPPET_MAX_LINES = 40
PREFETCH_SLICE = 2


@dataclass(frozen=True)
class _Gathered:
    """A search's pool before the light model's nearest chunks join it: ``nearest`` is the
    light model's scorer when they are still to join (``Searcher._with_nearest``)."""

    analysis: QueryAnalysis
    pool: list[Candidate]
    allowed: list[int] | None
    nearest: BiEncoderScorer | None


class Searcher:
    """Runs searches against one index; reuse it across queries (it caches names)."""

    def __init__(self, store: Store, config: Config, models: ModelPool | None = None):
        self.store = store
        self.config = config
        self.generators = build_generators(store, config.retrieve)
        self.log = SearchLog(store, config.log)
        # the light model's nearest chunks: needs the model pool, so not a plain generator
        self.embedded = EmbeddedChunks(store)
        self._models = models
        self._cascade: Cascade | None = None

    @property
    def models(self) -> ModelPool:
        """The model pool, loaded on first use (a lexical search never imports it)."""
        if self._models is None:
            from .rerank.scorers import ModelPool

            self._models = ModelPool(self.config.rerank, self.store)
        return self._models

    @property
    def cascade(self) -> Cascade:
        if self._cascade is None:
            from .rerank.cascade import Cascade

            self._cascade = Cascade(self.store, self.config.rerank, self.models)
        return self._cascade

    def candidates(self, request: SearchRequest, timings: dict[str, float],
                   dense: bool | None = None) -> tuple[QueryAnalysis, list[Candidate]]:
        """The fused candidate pool (before any reranking). Dense candidates join it with
        ``retrieve.strategy = "hybrid"`` (or ``dense=True``); ``auto`` adds them in a second
        pass only when the first ranking is unsure (``_auto``)."""
        gathered = self._gather(request, timings, dense)
        if gathered.nearest is None:
            return gathered.analysis, gathered.pool
        return gathered.analysis, self._with_nearest(gathered, timings)

    def _gather(self, request: SearchRequest, timings: dict[str, float],
                dense: bool | None) -> _Gathered:
        """The pool before the light model's nearest chunks join it (``_Gathered``)."""
        rc = self.config.retrieve
        clock = time.perf_counter()

        def lap(name: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            timings[name] = (now - clock) * 1000.0
            clock = now

        analysis = analyze(request.query, force_regex=request.regex)
        allowed = request.filters.allowed_file_ids(self.store)
        lap("analyze")
        by_source: dict[str, list[Candidate]] = {}
        generators = self.generators[analysis.route]
        for generator in generators:
            if not generator.semantic:
                found = generator.candidates(analysis, rc.per_generator_limit, allowed)
                ranked(found, generator.name)
                by_source[generator.name] = found
                lap(generator.name)
        weights = rc.symbol_weights if analysis.route == "symbol" else rc.weights
        embedded = self._embedded_scorer(analysis, request)
        pool = fuse(by_source, weights, rc.embedded_pool_size if embedded and
                    rc.embedded_pool_size else rc.pool_size)
        lap("fuse")
        if dense if dense is not None else rc.strategy == "hybrid":
            for generator in generators:
                if generator.semantic:
                    found = generator.candidates(analysis, rc.dense_keep * 3, allowed)
                    ranked(found, generator.name)
                    pool = with_reserved(pool, found, rc.dense_keep)
                    lap(generator.name)
            return _Gathered(analysis, pool, allowed, embedded)
        return _Gathered(analysis, pool, allowed, None)

    def _with_nearest(self, gathered: _Gathered, timings: dict[str, float]
                      ) -> list[Candidate]:
        """The pool plus the light model's nearest chunks (``retrieve.embedded_keep``)."""
        assert gathered.nearest is not None
        clock, keep = time.perf_counter(), self.config.retrieve.embedded_keep
        found = (self.embedded.candidates(gathered.nearest, gathered.analysis, keep * 3,
                                          gathered.allowed) if keep else [])
        ranked(found, self.embedded.name)
        timings[self.embedded.name] = (time.perf_counter() - clock) * 1000.0
        return with_reserved(gathered.pool, found, keep)

    def _embedded_scorer(self, analysis: QueryAnalysis, request: SearchRequest
                         ) -> BiEncoderScorer | None:
        """The light model's scorer when a natural-language search may use its vectors of
        every chunk: a larger pool, scored from the cache, and the model's nearest chunks."""
        if (analysis.route != "natural" or not request.rerank
                or not self.config.retrieve.uses_embedded
                or not self.embedded.recorded()):  # the model is not loaded to find out
            return None
        scorer = self._light_bi_encoder()
        return scorer if scorer is not None and self.embedded.ready(scorer.cache_id) else None

    def stream(self, request: SearchRequest, cancel: CancelCheck | None = None
               ) -> Iterator[SearchResult]:
        """The complete ranking after each stage; raises Cancelled when ``cancel`` says so.
        The final ranking, or the error, goes to the local search log."""
        search_id = new_search_id()
        try:
            for result in self._stream(request, search_id, cancel):
                if result.stage == "final":
                    self.log.record(log_entry(request, result))
                yield result
        except Cancelled:
            raise
        except Exception as exc:
            self.log.record(LogEntry(search_id, request.client, "?", request.query,
                                     error=f"{type(exc).__name__}: {exc}"[:500]))
            raise

    def _stream(self, request: SearchRequest, search_id: int, cancel: CancelCheck | None
                ) -> Iterator[SearchResult]:
        started = time.perf_counter()
        timings: dict[str, float] = {}
        gathered = self._gather(request, timings, None)
        analysis, pool = gathered.analysis, gathered.pool
        timings["candidates"] = (time.perf_counter() - started) * 1000.0
        skip = skip_reason(analysis, pool, request.rerank and self.config.rerank.enabled)
        explainer = Explainer(analysis)
        nearest = None if skip else gathered.nearest
        if nearest is not None:  # the nearest chunks join below the pool: show it first
            first = Snapshot("candidates", pool[: request.limit], [], {})
            yield self._result(request, analysis, first, explainer, timings, started,
                               search_id, len(pool))
            pool = self._with_nearest(gathered, timings)
        # the budget is the model stages' time: counting the candidate search (20-160 ms) too
        # left the heavy stage's shortlist partly unscored on 19 of 204 stdlib questions
        deadline = (time.monotonic() + request.budget_ms / 1000.0
                    if request.budget_ms is not None else None)
        snapshots = (lexical_snapshots(pool, request.limit, skip, self.config.rerank.heavy_model)
                     if skip else self.cascade.run(analysis, pool, request.limit, cancel,
                                                   request.rerank, deadline))
        if nearest is not None:
            snapshots = (snap for snap in snapshots if snap.stage != "candidates")
        pools = [pool]
        if (not skip and analysis.route == "natural"
                and self.config.retrieve.strategy == "auto"):
            snapshots = self._auto(request, analysis, snapshots, pools, cancel, deadline)
        for snap in snapshots:
            yield self._result(request, analysis, snap, explainer, timings, started,
                               search_id, len(pools[-1]))

    def _result(self, request: SearchRequest, analysis: QueryAnalysis, snap: Snapshot,
                explainer: Explainer, timings: dict[str, float], started: float,
                search_id: int, pool: int) -> SearchResult:
        clock = time.perf_counter()
        hits = [self._hit(c, explainer) for c in snap.candidates]
        timings.update(snap.timings_ms)
        timings["snippets"] = (time.perf_counter() - clock) * 1000.0
        timings["total"] = (time.perf_counter() - started) * 1000.0
        return SearchResult(request.query, analysis.route, hits, dict(timings), analysis,
                            snap.stage, list(snap.stages),
                            confidence(analysis.route, [h.scores for h in hits]),
                            search_id, pool)

    def _auto(self, request: SearchRequest, analysis: QueryAnalysis,
              snapshots: Iterator[Snapshot], pools: list[list[Candidate]],
              cancel: CancelCheck | None, deadline: float | None) -> Iterator[Snapshot]:
        """``retrieve.strategy = "auto"``: when the ranking of the lexical pool is unsure
        (its confidence below ``retrieve.min_confidence``), rank again with the dense
        candidates added; the second pass finds most embeddings and scores cached."""
        final = None
        for snap in snapshots:
            if snap.stage != "final":
                yield snap
            else:
                final = snap
        assert final is not None
        sure = confidence(analysis.route, [c.scores for c in final.candidates])
        if sure is None or sure >= self.config.retrieve.min_confidence:
            yield final
            return
        _, wider = self.candidates(request, {}, dense=True)
        pools.append(wider)
        for snap in self.cascade.run(analysis, wider, request.limit, cancel, request.rerank,
                                     deadline):
            if snap.stage != "candidates":  # the clients saw the ranking move on already
                yield snap

    def prefetch(self, request: SearchRequest, cancel: CancelCheck | None = None) -> int:
        """Embed the light model's missing candidates for a query (idle-time work after a
        budgeted search), so the next search over them is fast. Returns how many."""
        from .rerank.cascade import documents_for

        scorer = self._light_bi_encoder() if request.rerank else None
        if scorer is None:
            return 0
        analysis, pool = self.candidates(request, {})
        if analysis.route == "regex":
            return 0
        documents = documents_for(self.store, pool)
        try:
            # small slices: a query arriving meanwhile waits for one slice at most
            _, hits = scorer.embed_documents(documents, cancel, slice_size=PREFETCH_SLICE)
        except Cancelled:
            return 0
        return len(documents) - hits

    def _light_bi_encoder(self) -> BiEncoderScorer | None:
        """The light stage's scorer when it is a bi-encoder (its embeddings are cacheable)."""
        from .rerank.scorers import BiEncoderScorer

        light = self.config.rerank.light_model
        scorer = self.models.get(light) if light and self.config.rerank.enabled else None
        return scorer if isinstance(scorer, BiEncoderScorer) else None

    def load_models(self) -> None:
        """Load the model stages now (idle time after indexing), so that the first
        search's time budget goes to scoring rather than to loading the models."""
        rerank = self.config.rerank
        for stage, ref in (("light", rerank.light_model), ("heavy", rerank.heavy_model)):
            if rerank.enabled and ref:
                self.models.for_stage(stage, ref)

    def vectors_from_searches(self) -> int:
        """How many light-model vectors searches have computed so far (a running count)."""
        return self.models.embeddings.computed_for_searches

    def embedding_coverage(self, separate: bool = False) -> tuple[int, int] | None:
        """(chunks with a cached light-model embedding, all chunks), or None when the light
        model is not a bi-encoder. ``separate``: counted on a connection of its own, so
        another thread can count (about 1 s over 89,000 chunks) while this one searches."""
        from .rerank.cache import embedding_coverage

        scorer = self._light_bi_encoder()
        if scorer is None:
            return None
        if not separate:
            return self.models.embeddings.coverage(scorer.cache_id)
        store = Store(self.store.db_path)
        try:
            return embedding_coverage(store, scorer.cache_id)
        finally:
            store.close()

    def preload_embedded(self) -> None:
        """Read the vectors ``_embedded_scorer`` searches, on the calling thread."""
        scorer = self._light_bi_encoder()
        if scorer is not None and self.config.retrieve.uses_embedded:
            self.embedded.preload(scorer.cache_id)

    def embed_all(self, on_step: Callable[[int], None] | None = None) -> None:
        """Embed every chunk the light model has not seen, in one walk over the index
        (``on_step(embedded)`` after each batch), then record a complete pass."""
        cursor = 0
        while cursor >= 0 and (stepped := self.embed_pending(256, cursor)) is not None:
            cursor = stepped[1]
            if on_step is not None:
                on_step(stepped[0])
        self.mark_embedded()

    def mark_embedded(self, coverage: tuple[int, int] | None = None) -> bool:
        """After a pass: if every chunk has its light-model vector, record it (pools then use
        them). ``coverage``: (done, total) counted already (~1 s over 89,000 chunks)."""
        scorer = self._light_bi_encoder()
        if scorer is None:
            return False
        done, total = coverage or self.models.embeddings.coverage(scorer.cache_id)
        return 0 < total == done and mark_complete(self.store, scorer.cache_id)

    def embed_pending(self, batch: int, after: int = 0, cancel: CancelCheck | None = None
                      ) -> tuple[int, int] | None:
        """Background work: embed up to ``batch`` chunks (ids above ``after``) the light
        model has not seen, in slices ``cancel`` can stop between. (How many were embedded,
        the id to continue after; -1 when none is left), or None: no bi-encoder."""
        from .rerank.cascade import documents_for

        scorer = self._light_bi_encoder()
        if scorer is None:
            return None
        ids = self.models.embeddings.chunks_without(scorer.cache_id, batch, after)
        if not ids:
            return 0, -1
        pool = [Candidate.of_chunk(r) for r in self.store.chunks_by_id(ids)]
        try:
            _, hits = scorer.embed_documents(documents_for(self.store, pool), cancel,
                                             slice_size=PREFETCH_SLICE, remember=False)
        except Cancelled:
            return 0, after  # stepped aside: the same chunks next time
        return len(pool) - hits, ids[-1]

    def search(self, request: SearchRequest, cancel: CancelCheck | None = None
               ) -> SearchResult:
        """The final ranking."""
        *_, final = self.stream(request, cancel)
        return final

    def _hit(self, c: Candidate, explainer: Explainer) -> SearchHit:
        snippet = c.snippet
        if not snippet:
            end = min(c.end_line, c.start_line + SNIPPET_MAX_LINES - 1)
            # split no further than the snippet: results sit in files of thousands of lines
            lines = self.store.file_content(c.file_id).split("\n", end)
            snippet = "\n".join(lines[c.start_line - 1 : end])
        why = explainer(snippet, c.scores, c.ranks, c.decided_by)
        return SearchHit(c.path, c.start_line, c.end_line, c.score, c.symbol, c.kind,
                         c.language, snippet, dict(c.scores), why)
