"""Candidates from the light model's own vectors of every chunk, once they all exist.

The lexical pool and the static embedding miss a right answer for about one question in
ten; the light model, which reranks the pool, knows better what a question means. Once
every chunk has its light-model vector (the language server embeds them in idle time;
``codesift index --embed`` does it at once), its nearest chunks join the pool by reserved
places like the static dense candidates. Until then this generator finds nothing, so a
first search never waits for it.

The vectors live in the model cache (``embeddings``, keyed by chunk-text hash); they are
read into one int8 matrix with a scale per row (388 bytes per chunk at 384 dimensions)
when the index records a complete pass (meta ``embedded_complete`` =
``<model>@<last_sync>``), and scored in blocks.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from itertools import islice
from typing import TYPE_CHECKING, Any, ClassVar

from ..index.store import Store
from ..query import QueryAnalysis
from .candidate import Candidate

if TYPE_CHECKING:
    from ..rerank.scorers import BiEncoderScorer

log = logging.getLogger(__name__)
META_KEY = "embedded_complete"
BLOCK_ROWS = 1_024  # int8 rows made float32 at a time: 1.5 MB at 384 dimensions, in cache


def quantized(rows: Iterable[tuple[int, bytes]]) -> tuple[Any, Any, Any]:
    """(chunk ids, int8 matrix, float32 scale per row) from float32 vector bytes, read a
    block at a time (a low peak): a row's score is its int8 dot product times its scale.
    A quarter of float32's memory, and scoring it is several times faster than float16's
    (numpy converts float16 slowly): docs/BENCHMARKS.md."""
    import numpy as np

    ids: list[Any] = []
    blocks: list[Any] = []
    scales: list[Any] = []
    rows = iter(rows)
    while batch := list(islice(rows, BLOCK_ROWS)):
        ids.append(np.fromiter((r[0] for r in batch), dtype=np.int64, count=len(batch)))
        block = np.frombuffer(b"".join(r[1] for r in batch), dtype=np.float32)
        block = block.reshape(len(batch), -1)
        scale = np.maximum(np.abs(block).max(axis=1), 1e-12) / 127.0
        blocks.append(np.rint(block / scale[:, None]).astype(np.int8))
        scales.append(scale.astype(np.float32))
    if not blocks:
        return np.zeros(0, dtype=np.int64), None, None
    return np.concatenate(ids), np.concatenate(blocks), np.concatenate(scales)


def pass_version(store: Store, model: str) -> str:
    """What a complete pass over the index as it is now records: ``<model>@<last_sync>``."""
    return f"{model}@{store.get_meta('last_sync')}"


def mark_complete(store: Store, model: str) -> bool:
    """Record that every chunk of the current index has a ``model`` vector; False (logged)
    when the index is busy or read-only, and the next complete pass tries again."""
    try:
        with store.transaction():
            store.set_meta(META_KEY, pass_version(store, model))
        return True
    except sqlite3.OperationalError as exc:
        log.info("embedded vectors not marked complete: %s", exc)
        return False


class EmbeddedChunks:
    """The chunks nearest to the query by the light model, over every chunk."""

    name: ClassVar[str] = "embedded"

    def __init__(self, store: Store):
        self.store = store
        self._version: str | None = None
        self._ids: Any = None
        self._matrix: Any = None
        self._scales: Any = None
        self._preloaded: tuple[str, Any, Any, Any] | None = None

    def recorded(self) -> bool:
        """Whether a complete pass of some model was ever recorded (no model needed)."""
        return self._version is not None or self.store.get_meta(META_KEY) is not None

    def ready(self, model: str) -> bool:
        """Load (or reload after a newer complete pass) the matrix of ``model`` vectors."""
        try:
            return self._load(model)
        except sqlite3.OperationalError as exc:  # no cache tables yet, or a busy index
            log.debug("embedded vectors not loaded: %s", exc)
            return False

    def _load(self, model: str) -> bool:
        version = self.store.get_meta(META_KEY)
        if version is None or not version.startswith(f"{model}@"):
            return self._version is not None and self._version.startswith(f"{model}@")
        if version != self._version:
            preloaded, self._preloaded = self._preloaded, None
            if preloaded is not None and preloaded[0] == version:
                _, self._ids, self._matrix, self._scales = preloaded
            else:
                from ..rerank.cache import chunk_embeddings

                self._ids, self._matrix, self._scales = quantized(
                    chunk_embeddings(self.store, model))
            self._version = version
        return self._matrix is not None

    def preload(self, model: str) -> None:
        """Read the vectors on a connection of this thread's own (about 1 s over 89,000
        chunks), so that the first search after a complete pass does not wait for them;
        that search adopts them if the pass it records is the one read here."""
        from ..rerank.cache import chunk_embeddings

        store = Store(self.store.db_path)
        try:
            self._preloaded = (pass_version(store, model),
                               *quantized(chunk_embeddings(store, model)))
        finally:
            store.close()

    def candidates(self, scorer: BiEncoderScorer, analysis: QueryAnalysis, limit: int,
                   allowed: list[int] | None) -> list[Candidate]:
        if not analysis.text.strip() or not self.ready(scorer.cache_id):
            return []
        import numpy as np

        query = scorer.query_vector(analysis.text).astype(np.float32)
        scores = np.concatenate([
            self._matrix[i : i + BLOCK_ROWS].astype(np.float32) @ query
            for i in range(0, len(self._matrix), BLOCK_ROWS)]) * self._scales
        k = min(limit * (4 if allowed is not None else 1), len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        rows = {r.id: r for r in self.store.chunks_by_id([int(self._ids[i]) for i in top])}
        allowed_files = set(allowed) if allowed is not None else None
        out: list[Candidate] = []
        for i in top:
            r = rows.get(int(self._ids[i]))  # gone since the pass: skipped
            if r is None or (allowed_files is not None and r.file_id not in allowed_files):
                continue
            out.append(Candidate.of_chunk(r, {self.name: max(0.0, float(scores[i]))}))
            if len(out) == limit:
                break
        return out
