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
from collections.abc import Iterator, Sequence

import numpy as np
from cachetools import LRUCache

from ..index.store import Store

log = logging.getLogger(__name__)
WRITE_WAIT_MS = 50
PRUNE_EVERY_S = 60.0

# keyed by chunks.text_hash (or the hash of a candidate's text); the index's schema
# rebuild drops these with everything else and the next cache recreates them
SCHEMA = """
CREATE TABLE IF NOT EXISTS embeddings(
    model TEXT NOT NULL,
    doc_key TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY(model, doc_key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rerank_scores(
    model TEXT NOT NULL,
    query TEXT NOT NULL,
    doc_key TEXT NOT NULL,
    score REAL NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY(model, query, doc_key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS rerank_scores_by_age ON rerank_scores(created);
"""


def ensure_tables(store: Store) -> bool:
    """Create the cache tables if missing; False when the database cannot be written."""
    try:
        with store.transaction():
            for statement in SCHEMA.split(";\n"):
                if statement.strip():
                    store.conn.execute(statement)
        return True
    except sqlite3.OperationalError as exc:  # read-only or locked: memory-only caches
        log.debug("model cache tables not created: %s", exc)
        return False


def prune(store: Store, max_scores: int) -> None:
    """Drop cached entries of chunks that no longer exist, and all but the newest scores."""
    live = "SELECT text_hash FROM chunks"
    with store.transaction():
        store.conn.execute(f"DELETE FROM embeddings WHERE doc_key NOT IN ({live})")
        store.conn.execute(f"DELETE FROM rerank_scores WHERE doc_key NOT IN ({live})")
        store.conn.execute(
            "DELETE FROM rerank_scores WHERE created < (SELECT created FROM rerank_scores"
            " ORDER BY created DESC LIMIT 1 OFFSET ?)", (max_scores,))


def chunk_embeddings(store: Store, model: str) -> Iterator[tuple[int, int, bytes]]:
    """(chunk id, file id, float32 vector) of every chunk with a stored ``model``
    embedding, read as they are consumed (all of them at once would be about 150 MB at
    89,000 chunks)."""
    return store.conn.execute(
        "SELECT c.id, c.file_id, e.vector FROM chunks c JOIN embeddings e ON e.model = ? AND"
        " e.doc_key = c.text_hash ORDER BY c.id", (model,))


def clear(store: Store) -> None:
    """Forget every cached embedding and score (cold-cache measurements)."""
    ensure_tables(store)
    with store.transaction():
        store.conn.execute("DELETE FROM embeddings")
        store.conn.execute("DELETE FROM rerank_scores")


def normalize_query(query: str) -> str:
    """Queries that differ only in case or spacing share cache entries."""
    return " ".join(query.lower().split())


def embedding_coverage(store: Store, model: str) -> tuple[int, int]:
    """(chunks with a stored ``model`` embedding, all chunks), on ``store``'s connection
    (a thread of its own may pass its own: the count reads every stored vector's page)."""
    try:
        total, stored = store.conn.execute(
            "SELECT count(*), coalesce(sum(EXISTS (SELECT 1 FROM embeddings e WHERE"
            " e.model = ? AND e.doc_key = c.text_hash)), 0) FROM chunks c",
            (model,)).fetchone()
    except sqlite3.OperationalError as exc:  # tables dropped by a schema rebuild
        log.debug("model cache not read: %s", exc)
        return 0, 0
    return int(stored), int(total)


class _Persisted:
    MEMORY_ITEMS: int | None = None  # entries kept in memory, when fewer than ``capacity``

    def __init__(self, store: Store | None, capacity: int):
        self.memory: LRUCache = LRUCache(
            maxsize=max(1, min(capacity, self.MEMORY_ITEMS or capacity)))
        self.capacity = capacity
        self.hits = 0
        self.misses = 0
        self.store = store if store is not None and ensure_tables(store) else None
        self._pruned_at = 0.0
        self._pruned_sync: str | None = None

    def _read(self, sql: str, params: tuple) -> list[tuple]:
        if self.store is None:
            return []
        try:
            return self.store.conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:  # tables dropped by a schema rebuild
            log.debug("model cache not read: %s", exc)
            return []

    def _write(self, sql: str, rows: list[tuple]) -> None:
        if self.store is None or not rows:
            return
        conn = self.store.conn
        try:
            conn.execute(f"PRAGMA busy_timeout={WRITE_WAIT_MS}")
            try:
                with self.store.transaction():
                    conn.executemany(sql, rows)
            except sqlite3.OperationalError as exc:
                # a schema rebuild (another process) dropped the tables: recreate, retry once
                if "no such table" not in str(exc) or not ensure_tables(self.store):
                    raise
                with self.store.transaction():
                    conn.executemany(sql, rows)
            self._maybe_prune()
        except sqlite3.OperationalError as exc:  # locked by an indexer, read-only, full disk
            log.debug("model cache not persisted: %s", exc)
        finally:
            conn.execute("PRAGMA busy_timeout=30000")

    def _maybe_prune(self) -> None:
        """After the index changed, now and then: entries of vanished chunks go."""
        assert self.store is not None
        synced = self.store.get_meta("last_sync")
        now = time.monotonic()
        if synced != self._pruned_sync and now - self._pruned_at >= PRUNE_EVERY_S:
            self._pruned_sync, self._pruned_at = synced, now
            prune(self.store, self.capacity)

    @property
    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


class EmbeddingCache(_Persisted):
    """Document embeddings per (model, document key)."""

    # vectors held in memory: the last ~10 searches' pools (about 3 MB at 384 dimensions);
    # the index holds every vector and reads a pool's 220 back in a few milliseconds,
    # while 10,000 in memory cost a long-lived server about 17 MB and ``capacity``
    # (50,000) about 75 MB
    MEMORY_ITEMS = 2_000

    def __init__(self, store: Store | None, capacity: int):
        super().__init__(store, capacity)
        # vectors computed for searches (background work's are not counted): the
        # background pass skips the chunks they cover and counts them from this
        self.computed_for_searches = 0

    def get_many(self, model: str, keys: Sequence[str], memory: bool = True
                 ) -> dict[str, np.ndarray]:
        """Cached vectors by key; ``memory=False`` reads the index only (a vector whose
        write failed lives in memory alone, and background work must store it again)."""
        found: dict[str, np.ndarray] = {}
        missing: list[str] = []
        for key in keys:
            vector = self.memory.get((model, key)) if memory else None
            if vector is not None:
                found[key] = vector
            else:
                missing.append(key)
        if missing:
            for key, blob in self._read(
                "SELECT doc_key, vector FROM embeddings WHERE model=? AND doc_key IN"
                " (SELECT value FROM json_each(?))", (model, _json_strings(missing))):
                vector = np.frombuffer(blob, dtype=np.float32)
                found[key] = vector
                if memory:
                    self.memory[(model, key)] = vector
        self.hits += len(found)
        self.misses += len(keys) - len(found)
        return found

    def chunks_without(self, model: str, limit: int, after: int = 0) -> list[int]:
        """Ids (above ``after``, ascending) of up to ``limit`` chunks with no ``model``
        embedding stored yet; a caller walking the index passes the last id it saw."""
        return [r[0] for r in self._read(
            "SELECT c.id FROM chunks c WHERE c.id > ? AND NOT EXISTS (SELECT 1 FROM embeddings"
            " e WHERE e.model = ? AND e.doc_key = c.text_hash) ORDER BY c.id LIMIT ?",
            (after, model, limit))]

    def coverage(self, model: str) -> tuple[int, int]:
        """(chunks with a stored ``model`` embedding, all chunks)."""
        return (0, 0) if self.store is None else embedding_coverage(self.store, model)

    def put_many(self, model: str, vectors: dict[str, np.ndarray], remember: bool = True
                 ) -> None:
        for key, vector in vectors.items() if remember else ():
            self.memory[(model, key)] = vector
        if remember:
            self.computed_for_searches += len(vectors)
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
        if missing:
            for key, score in self._read(
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
