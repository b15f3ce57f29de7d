"""Dense candidates: a static embedding of every chunk, searched exactly.

Lexical search misses the right code when the question and the code share no words; a
static embedding model (token vectors averaged, no transformer) embeds a chunk in well
under a millisecond, so every chunk gets one at index time (``refresh``), stored in the
index by chunk-text hash (float16). A search is one matrix product over the in-memory
matrix (int8 with a scale per row, ``vector_matrix``, 128 dimensions: about 13 MB per
100k chunks, where float32 took 51 MB). The model is wordllama's
``l2_supercat`` (MIT, weights inside the ``wordllama`` wheel, loaded offline).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ..config import Config, RetrieveConfig
from ..index.store import Store
from ..query import QueryAnalysis
from .candidate import Candidate
from .vector_matrix import VectorMatrix, nearest_candidates

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)
MODELS = {"wordllama-l2": ("l2_supercat", 128)}
BATCH = 512
WRITE_BATCH = 4096
TEXT_CHARS = 400  # a chunk's head (path, name, signature, doc comment) says most of it


def built_model_folder(name: str) -> Path:
    """Where the built static model is kept: codesift's cache folder, by wordllama's
    version and how the model is built (a new version or build gets a new folder)."""
    from importlib.metadata import version

    from ..index.private import cache_home
    from .static_model import SPLIT

    config, dim = MODELS[name]
    build = hashlib.sha256(json.dumps(SPLIT, sort_keys=True).encode()).hexdigest()[:8]
    return cache_home() / "static" / f"{config}-{dim}-wordllama{version('wordllama')}-{build}"


@functools.lru_cache(maxsize=2)
def load_model(name: str) -> Any:
    """The static model, loaded once per process (from the cache folder once built);
    None (logged) when unavailable."""
    if name not in MODELS:
        log.warning("unknown dense model %r (known: %s); dense candidates off", name,
                    ", ".join(MODELS))
        return None
    config, dim = MODELS[name]
    try:
        from .static_model import StaticModel

        folder = built_model_folder(name)
        try:
            return StaticModel.load(folder)
        except Exception as exc:  # not built yet, or unreadable: build it again
            log.debug("static model cache %s unusable (%s)", folder, exc)
        import wordllama
        from wordllama import WordLlama

        model = StaticModel.of_wordllama(WordLlama.load(
            config=config, cache_dir=Path(wordllama.__file__).parent, disable_download=True,
            dim=256, trunc_dim=dim))
        try:
            model.save(folder)
        except OSError as exc:  # a read-only cache only costs the next process a second
            log.info("static model not cached (%s)", exc)
        return model
    except Exception as exc:  # a broken install must not break search
        log.warning("dense model %s unavailable (%s: %s); dense candidates off", name,
                    type(exc).__name__, exc)
        return None


def model_id(name: str) -> str:
    config, dim = MODELS.get(name, (name, 0))
    return f"wordllama/{config}-{dim}-c{TEXT_CHARS}"


def embed(name: str, texts: list[str]) -> np.ndarray | None:
    model = load_model(name)
    return None if model is None else model.embed(texts)


def embed_next(store: Store, name: str, after: int
               ) -> tuple[int, list[tuple[str, bytes]] | None]:
    """The next batch of chunks after id ``after`` with no vector yet, embedded: (the id to
    continue after, [(doc key, float16 vector bytes)]); None when no chunk is left (or
    the model failed)."""
    after, batch = store.chunks_without_vector(model_id(name), BATCH, after)
    vectors = embed(name, [text[:TEXT_CHARS] for _, text in batch]) if batch else None
    if vectors is None:
        return after, None
    halves = vectors.astype("float16")
    return after, [(key, v.tobytes()) for (key, _), v in zip(batch, halves, strict=True)]


def _write(store: Store, ident: str, vectors: dict[str, bytes]) -> None:
    """Store vectors in one commit; a new version makes searches reload the matrix."""
    with store.transaction():
        store.put_vectors(ident, list(vectors.items()))
        store.set_meta("vectors_version", str(time.time()))


def refresh(store: Store, config: Config, progress: Any = None,
            ready: Sequence[tuple[str, bytes]] = ()) -> int:
    """Embed every chunk that has no vector yet (after indexing); returns how many.
    ``progress(embedded)`` is called after each batch; vectors are written a few thousand
    at a time, so an interrupted run keeps all but the last few thousand. ``ready`` are
    (doc key, float16 vector) pairs computed meanwhile (``dense_alongside``): written
    first, then only what they miss is embedded."""
    name = config.retrieve.dense_model
    if not name or config.retrieve.strategy == "lexical" or load_model(name) is None:
        return 0
    ident = model_id(name)
    complete = f"{ident}@{store.get_meta('last_sync')}"
    if store.get_meta("vectors_complete") == complete:
        return 0  # no index change since every chunk got its vector: no scan
    fresh = dict(ready)  # by chunk text: identical chunks share one vector
    if fresh:  # written first: the walk below then skips what they cover
        _write(store, ident, fresh)
    done, after, pending = len(fresh), 0, dict[str, bytes]()
    while True:
        after, pairs = embed_next(store, name, after)
        pending.update(pairs or ())
        if pending and (len(pending) >= WRITE_BATCH or pairs is None):
            _write(store, ident, pending)  # one commit per few thousand, not per batch
            done, pending = done + len(pending), {}
        if pairs is None:
            break
        if progress is not None:
            progress(done + len(pending))
    with store.transaction():
        if done:
            store.prune_vectors()
        store.set_meta("vectors_complete", complete)
    return done


class DenseGenerator:
    """The chunks nearest to the query in the static embedding space."""

    name: ClassVar[str] = "dense"
    semantic: ClassVar[bool] = True

    def __init__(self, store: Store, config: RetrieveConfig):
        self.store = store
        self.config = config
        self._version: str | None = None
        self._matrix: VectorMatrix | None = None

    def _load(self) -> bool:
        version = self.store.get_meta("vectors_version")
        if version is None:
            return False
        if version != self._version:
            self._matrix = None  # the old matrix goes before the new one is read
            self._matrix = VectorMatrix.read(
                self.store.chunk_vectors(model_id(self.config.dense_model)), "float16")
            self._version = version
        return self._matrix is not None

    def candidates(self, analysis: QueryAnalysis, limit: int, allowed: list[int] | None
                   ) -> list[Candidate]:
        name = self.config.dense_model
        if not name or not analysis.text.strip() or not self._load():
            return []
        query = embed(name, [analysis.text])
        if query is None:
            return []
        matrix = self._matrix  # a reload on another thread may replace it meanwhile
        if matrix is None:
            return []
        return nearest_candidates(self.store, matrix.nearest(query[0], limit, allowed),
                                  self.name)
