"""Stage scorers: a loaded model plus its cache, scoring candidate documents.

A bi-encoder scores by the dot product of normalized embeddings (documents are
embedded once per document key, queries once per query); a cross-encoder reads
each (query, document) pair and its scores are cached per query. Both present
the same ``score`` call to the cascade.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

import numpy as np
from cachetools import LRUCache

from ..config import RerankConfig
from ..errors import Cancelled, ModelError
from ..index.store import Store
from .cache import EmbeddingCache, ScoreCache, normalize_query
from .document import Document, fit
from .model import resolve_model
from .onnx import OnnxBiEncoder, OnnxCrossEncoder, OnnxModel
from .stages import CancelCheck

log = logging.getLogger(__name__)
SPECIAL_TOKENS_PAIR = 3
SPECIAL_TOKENS_SINGLE = 2
ST_SLICE = 8  # cross-encoder pairs scored between two looks at the clock
T = TypeVar("T")


@dataclass(frozen=True)
class Scored:
    """Scores in document order; NaN where the time budget ran out first."""

    scores: np.ndarray
    cache_hits: int
    unscored: int = 0


def budget_slices(items: Sequence[T], size: int, deadline: float | None) -> Iterator[list[T]]:
    """Consecutive slices of ``items``; after the first, each only as long as the time left
    fits at the last slice's pace per item. Starting a slice that cannot finish overran
    the budget by a whole slice (100-400 ms on a busy 2-core machine); refusing it
    whole left time unused (a heavy stage that scored 8 of 20 in 125 ms stopped with
    90 ms left), so a slice that does not fit is shortened to what does."""
    size, begin, per_item = max(1, size), 0, 0.0
    while begin < len(items):
        started = time.monotonic()
        take = size
        if begin and deadline is not None:
            take = min(size, int((deadline - started) / per_item) if per_item > 0 else size)
            if take < 1:
                return
        piece = list(items[begin : begin + take])
        yield piece
        begin += len(piece)
        per_item = (time.monotonic() - started) / len(piece)


class StageScorer(Protocol):
    id: str
    kind: str

    def score(self, query: str, terms: frozenset[str], documents: Sequence[Document],
              cancel: CancelCheck | None = None, deadline: float | None = None) -> Scored: ...


class BiEncoderScorer:
    """Dot product of cached document embeddings with the query embedding."""

    kind = "bi-encoder"

    def __init__(self, model: OnnxModel, cache: EmbeddingCache, slice_size: int):
        self.encoder = OnnxBiEncoder(model)
        self.model = model
        self.id = model.id
        self.slice_size = max(1, slice_size)
        # what a cached vector depends on besides the document: model, token budget and
        # batch size (in a batch of several, a vector also depends on its batch-mates)
        self.cache_id = f"{model.id}@{model.spec.max_length}/b{model.batch_size}"
        self.cache = cache
        self.queries: LRUCache = LRUCache(maxsize=512)

    def render(self, document: Document) -> str:
        budget = self.model.spec.max_length - SPECIAL_TOKENS_SINGLE
        return fit(document, budget, self.model.count_tokens)

    def query_vector(self, query: str, cancel: CancelCheck | None = None) -> np.ndarray:
        key = normalize_query(query)
        vector = self.queries.get(key)
        if vector is None:
            vector = self.encoder.embed([query], cancel, query=True)[0]
            self.queries[key] = vector
        return vector

    def embed_documents(self, documents: Sequence[Document],
                        cancel: CancelCheck | None = None, deadline: float | None = None,
                        slice_size: int | None = None, remember: bool = True
                        ) -> tuple[dict[str, np.ndarray], int]:
        """Vectors by document key (cached or computed in order until the deadline),
        and how many came from the cache. ``cancel`` is polled every ``slice_size``.
        ``remember=False`` (background work over every chunk) reads and stores vectors in
        the index only: it would fill the memory cache with vectors no search asked for,
        and a vector a search left in memory alone (its write failed) is stored again."""
        keys = [d.key for d in documents]
        cached = self.cache.get_many(self.cache_id, keys, memory=remember)
        hits = len(cached)
        todo = [d for d in documents if d.key not in cached]
        for batch in budget_slices(todo, slice_size or self.slice_size, deadline):
            if cancel is not None and cancel():
                raise Cancelled
            vectors = self.encoder.embed([self.render(d) for d in batch], cancel)
            fresh = {d.key: v for d, v in zip(batch, vectors, strict=True)}
            self.cache.put_many(self.cache_id, fresh, remember)
            cached.update(fresh)
        return cached, hits

    def score(self, query: str, terms: frozenset[str], documents: Sequence[Document],
              cancel: CancelCheck | None = None, deadline: float | None = None) -> Scored:
        if not documents:
            return Scored(np.zeros(0, dtype=np.float32), 0)
        q = self.query_vector(query, cancel)
        vectors, hits = self.embed_documents(documents, cancel, deadline)
        scores = np.array([float(vectors[d.key] @ q) if d.key in vectors else np.nan
                           for d in documents], dtype=np.float32)
        return Scored(scores, hits, int(np.isnan(scores).sum()))


class PairScorer(Protocol):
    id: str

    def score(self, query: str, documents: Sequence[str],
              cancel: CancelCheck | None = None) -> np.ndarray: ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...


class CrossEncoderScorer:
    """Pair scores for the documents not already cached for this query."""

    kind = "cross-encoder"

    def __init__(self, encoder: PairScorer, max_length: int, cache: ScoreCache):
        self.encoder = encoder
        self.id = encoder.id
        self.cache_id = f"{encoder.id}@{max_length}"
        self.max_length = max_length
        self.cache = cache

    def clip_query(self, query: str) -> str:
        """At most half the model's tokens go to the query (a pasted snippet can be long)."""
        limit = self.max_length // 2
        words = query.split()
        if self.encoder.count_tokens([query])[0] <= limit:
            return query
        low, high = 1, len(words)
        while low < high:  # the most leading words that fit
            mid = (low + high + 1) // 2
            if self.encoder.count_tokens([" ".join(words[:mid])])[0] <= limit:
                low = mid
            else:
                high = mid - 1
        return " ".join(words[:low])

    def render(self, query: str, terms: frozenset[str], document: Document) -> str:
        budget = self.max_length - SPECIAL_TOKENS_PAIR - self.encoder.count_tokens([query])[0]
        return fit(document, max(budget, 16), self.encoder.count_tokens, terms)

    def score(self, query: str, terms: frozenset[str], documents: Sequence[Document],
              cancel: CancelCheck | None = None, deadline: float | None = None) -> Scored:
        keys = [d.key for d in documents]
        cached = self.cache.get_many(self.cache_id, query, keys)
        hits = len(cached)
        todo = [d for d in documents if d.key not in cached]
        read = self.clip_query(query) if todo else query  # what the model reads
        for batch in budget_slices(todo, ST_SLICE, deadline):
            texts = [self.render(read, terms, d) for d in batch]
            fresh = {d.key: float(s) for d, s in
                     zip(batch, self.encoder.score(read, texts, cancel), strict=True)}
            self.cache.put_many(self.cache_id, query, fresh)
            cached.update(fresh)
        scores = np.array([cached.get(k, np.nan) for k in keys], dtype=np.float32)
        return Scored(scores, hits, int(np.isnan(scores).sum()))


_RUNTIMES: dict[tuple[Path, int, int, int], OnnxModel] = {}
_RUNTIMES_LOCK = threading.Lock()


def onnx_runtime(folder: Path, threads: int, batch_size: int, max_length: int) -> OnnxModel:
    """One loaded session per model folder and settings, shared by every pool (and root)."""
    key = (folder.resolve(), threads, batch_size, max_length)
    with _RUNTIMES_LOCK:
        model = _RUNTIMES.get(key)
        if model is None:
            model = _RUNTIMES[key] = OnnxModel(folder, threads, batch_size, max_length)
        return model


STAGE_KINDS = {"light": "bi-encoder", "heavy": "cross-encoder"}


class ModelPool:
    """Loads each configured model once; a model that fails is reported once and skipped."""

    def __init__(self, config: RerankConfig, store: Store | None,
                 warn: Callable[[str], None] | None = None):
        self.config = config
        self.embeddings = EmbeddingCache(store, config.cache_entries)
        self.scores = ScoreCache(store, config.cache_entries)
        self._loaded: dict[str, StageScorer] = {}
        self.failures: dict[str, str] = {}
        self._warn = warn or (lambda message: log.warning("%s", message))

    def get(self, ref: str) -> StageScorer | None:
        """The scorer for a model setting, or None (with the reason in ``failures``)."""
        if ref in self._loaded:
            return self._loaded[ref]
        if ref in self.failures:
            return None
        try:
            scorer = self._load(ref)
        except ModelError as exc:
            message = f"reranking model unavailable, continuing without it: {exc}"
            self.failures[ref] = str(exc)
            self._warn(message)
            return None
        self._loaded[ref] = scorer
        return scorer

    def for_stage(self, stage: str, ref: str) -> StageScorer | None:
        """The scorer for a stage's setting, refused (once, with the reason in
        ``failures``) when it is the wrong kind: the light stage embeds documents alone
        (a bi-encoder), the heavy stage reads query and document together."""
        scorer = self.get(ref)
        expected = STAGE_KINDS.get(stage)
        if scorer is None or expected is None or scorer.kind == expected:
            return scorer
        key = f"{stage}:{ref}"
        if key not in self.failures:
            self.failures[key] = (f"rerank.{stage}_model = {ref!r} is a {scorer.kind}; the "
                                  f"{stage} stage needs a {expected}")
            self._warn(f"reranking model refused: {self.failures[key]}")
        return None

    def forget(self, ref: str, reason: str) -> None:
        """Drop a model that failed at inference time; it stays off from now on."""
        self._loaded.pop(ref, None)
        self.failures[ref] = reason
        self._warn(f"reranking model unavailable, continuing without it: {reason}")

    def _load(self, ref: str) -> StageScorer:
        c = self.config
        where = resolve_model(ref, c.allow_download)
        light = ref == c.light_model
        max_length = c.light_max_length if light else c.heavy_max_length
        if where.backend == "onnx":
            assert where.path is not None
            batch_size = c.light_batch_size if light else c.batch_size
            model = onnx_runtime(where.path, c.threads, batch_size, max_length)
            if model.spec.kind == "bi-encoder":
                return BiEncoderScorer(model, self.embeddings, c.batch_size)
            return CrossEncoderScorer(OnnxCrossEncoder(model), model.spec.max_length,
                                      self.scores)
        from .transformers import SentenceTransformersCrossEncoder
        st = SentenceTransformersCrossEncoder(where.name, where.path, c.allow_download,
                                              c.batch_size, max_length or 256)
        return CrossEncoderScorer(st, st.max_length, self.scores)

    @property
    def loaded(self) -> dict[str, str]:
        return {ref: scorer.id for ref, scorer in self._loaded.items()}
