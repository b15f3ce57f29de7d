"""Model caches: chunk embeddings and query-document scores.

Both live in memory (LRU) and in the index database. Keys contain the document
key (a hash of path, symbol and text), so a changed chunk can never hit a stale
entry: invalidation is by construction. Database writes are best-effort with a
short lock wait — a busy indexer must not stall a search; the entries then stay
in memory only.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Sequence

import numpy as np
from cachetools import LRUCache

from ..index.store import Store

log = logging.getLogger(__name__)
WRITE_WAIT_MS = 50


def normalize_query(query: str) -> str:
    """Queries that differ only in case or spacing share cache entries."""
    return " ".join(query.lower().split())


class _Persisted:
    def __init__(self, store: Store | None, capacity: int):
        self.store = store
        self.memory: LRUCache = LRUCache(maxsize=max(1, capacity))
        self.hits = 0
        self.misses = 0

    def _write(self, sql: str, rows: list[tuple]) -> None:
        if self.store is None or not rows:
            return
        conn = self.store.conn
        try:
            conn.execute(f"PRAGMA busy_timeout={WRITE_WAIT_MS}")
            with self.store.transaction():
                conn.executemany(sql, rows)
        except sqlite3.OperationalError as exc:  # locked by an indexer, read-only, full disk
            log.debug("model cache not persisted: %s", exc)
        finally:
            conn.execute("PRAGMA busy_timeout=30000")

    @property
    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


class EmbeddingCache(_Persisted):
    """Document embeddings per (model, document key)."""

    def get_many(self, model: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        missing: list[str] = []
        for key in keys:
            vector = self.memory.get((model, key))
            if vector is not None:
                found[key] = vector
            else:
                missing.append(key)
        if missing and self.store is not None:
            for key, blob in self.store.conn.execute(
                "SELECT doc_key, vector FROM embeddings WHERE model=? AND doc_key IN"
                " (SELECT value FROM json_each(?))", (model, _json_strings(missing))):
                vector = np.frombuffer(blob, dtype=np.float32)
                found[key] = vector
                self.memory[(model, key)] = vector
        self.hits += len(found)
        self.misses += len(keys) - len(found)
        return found

    def put_many(self, model: str, vectors: dict[str, np.ndarray]) -> None:
        for key, vector in vectors.items():
            self.memory[(model, key)] = vector
        self._write("INSERT OR REPLACE INTO embeddings(model, doc_key, vector) VALUES(?,?,?)",
                    [(model, k, np.asarray(v, dtype=np.float32).tobytes())
                     for k, v in vectors.items()])


class ScoreCache(_Persisted):
    """Relevance scores per (model, normalized query, document key)."""

    def get_many(self, model: str, query: str, keys: Sequence[str]) -> dict[str, float]:
        q = normalize_query(query)
        found: dict[str, float] = {}
        missing: list[str] = []
        for key in keys:
            score = self.memory.get((model, q, key))
            if score is not None:
                found[key] = score
            else:
                missing.append(key)
        if missing and self.store is not None:
            for key, score in self.store.conn.execute(
                "SELECT doc_key, score FROM rerank_scores WHERE model=? AND query=? AND doc_key"
                " IN (SELECT value FROM json_each(?))", (model, q, _json_strings(missing))):
                found[key] = float(score)
                self.memory[(model, q, key)] = float(score)
        self.hits += len(found)
        self.misses += len(keys) - len(found)
        return found

    def put_many(self, model: str, query: str, scores: dict[str, float]) -> None:
        q = normalize_query(query)
        now = time.time()
        for key, score in scores.items():
            self.memory[(model, q, key)] = score
        self._write("INSERT OR REPLACE INTO rerank_scores(model, query, doc_key, score, created)"
                    " VALUES(?,?,?,?,?)", [(model, q, k, float(s), now)
                                          for k, s in scores.items()])


def _json_strings(values: Sequence[str]) -> str:
    # document keys are hex digests: no quoting issues
    return "[" + ",".join(f'"{v}"' for v in values) + "]"
