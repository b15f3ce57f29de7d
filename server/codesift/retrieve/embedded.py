"""Candidates from the light model's own vectors of every chunk, once they all exist.

The lexical pool and the static embedding miss a right answer for about one question in
ten; the light model, which reranks the pool, knows better what a question means. Once
every chunk has its light-model vector (the language server embeds them in idle time;
``codesift index --embed`` does it at once), its nearest chunks join the pool by reserved
places like the static dense candidates. Until then this generator finds nothing, so a
first search never waits for it.

The vectors live in the model cache (``embeddings``, keyed by chunk-text hash); they are
read into one float16 matrix (768 bytes per chunk) when the index records a complete
pass (meta ``embedded_complete`` = ``<model>@<last_sync>``), and scored in blocks.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import TYPE_CHECKING, Any, ClassVar

from ..index.store import Store
from ..query import QueryAnalysis
from .candidate import Candidate

if TYPE_CHECKING:
    from ..rerank.scorers import BiEncoderScorer

log = logging.getLogger(__name__)
META_KEY = "embedded_complete"
BLOCK_ROWS = 16_384  # float16 rows made float32 at a time: 24 MB at 384 dimensions


def mark_complete(store: Store, model: str) -> bool:
    """Record that every chunk of the current index has a ``model`` vector; False (logged)
    when the index is busy or read-only, and the next complete pass tries again."""
    try:
        with store.transaction():
            store.set_meta(META_KEY, f"{model}@{store.get_meta('last_sync')}")
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
            import numpy as np

            from ..rerank.cache import chunk_embeddings

            rows = chunk_embeddings(self.store, model)
            self._ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            self._matrix = (np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32)
                            .reshape(len(rows), -1).astype(np.float16)) if rows else None
            self._version = version
        return self._matrix is not None

    def candidates(self, scorer: BiEncoderScorer, analysis: QueryAnalysis, limit: int,
                   allowed: list[int] | None) -> list[Candidate]:
        if not analysis.text.strip() or not self.ready(scorer.cache_id):
            return []
        import numpy as np

        query = scorer.query_vector(analysis.text).astype(np.float32)
        scores = np.concatenate([
            self._matrix[i : i + BLOCK_ROWS].astype(np.float32) @ query
            for i in range(0, len(self._matrix), BLOCK_ROWS)])
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
