"""Candidates from the light model's own vectors of every chunk, once they all exist.

The lexical pool and the static embedding miss a right answer for about one question in
ten; the light model, which reranks the pool, knows better what a question means. Once
every chunk has its light-model vector (the language server embeds them in idle time;
``codesift index --embed`` does it at once), its nearest chunks join the pool by reserved
places like the static dense candidates. Until then this generator finds nothing, so a
first search never waits for it.

The vectors live in the model cache (``embeddings``, keyed by chunk-text hash); they are
read into one int8 matrix with a scale per row (``vector_matrix``: 404 bytes per chunk at
384 dimensions) when the index records a complete pass (meta ``embedded_complete`` =
``<model>@<last_sync>``).
"""

from __future__ import annotations

import logging
import sqlite3
from typing import TYPE_CHECKING, ClassVar

from ..index.store import Store
from ..query import QueryAnalysis
from .candidate import Candidate
from .vector_matrix import VectorMatrix, nearest_candidates

if TYPE_CHECKING:
    from ..rerank.scorers import BiEncoderScorer

log = logging.getLogger(__name__)
META_KEY = "embedded_complete"


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
        self.matrix: VectorMatrix | None = None
        self._preloaded: tuple[str, VectorMatrix | None] | None = None

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
                self.matrix = preloaded[1]
            else:
                from ..rerank.cache import chunk_embeddings

                self.matrix = VectorMatrix.read(chunk_embeddings(self.store, model))
            self._version = version
        return self.matrix is not None

    def preload(self, model: str) -> None:
        """Read the vectors on a connection of this thread's own (about 1 s over 89,000
        chunks), so that the first search after a complete pass does not wait for them;
        that search adopts them if the pass it records is the one read here."""
        from ..rerank.cache import chunk_embeddings

        store = Store(self.store.db_path)
        try:
            self._preloaded = (pass_version(store, model),
                               VectorMatrix.read(chunk_embeddings(store, model)))
        finally:
            store.close()

    def candidates(self, scorer: BiEncoderScorer, analysis: QueryAnalysis, limit: int,
                   allowed: list[int] | None) -> list[Candidate]:
        if not analysis.text.strip() or not self.ready(scorer.cache_id):
            return []
        matrix = self.matrix  # a reload on another thread may replace it meanwhile
        if matrix is None:
            return []
        return nearest_candidates(
            self.store, matrix.nearest(scorer.query_vector(analysis.text), limit, allowed),
            self.name)
