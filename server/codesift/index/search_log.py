"""The local search log: one row per search (CLI, language server, MCP), in the index
database, never sent anywhere.

What it keeps: time, client, route, the query (or only its SHA-256 with
``log.queries = false``), per-stage latency, pool size, unscored candidates, stages
skipped and why, the error if the search failed, the confidence, and the rank of the
result the user opened (``codesift/opened`` from the editors). ``codesift stats``
summarizes it; ``codesift stats --clear`` empties it; ``log.enabled = false`` stops it.

It stays under ``log.max_mb``: the bytes of its rows are counted, and past the cap the
oldest tenth goes. Every write is one SQLite transaction (a crash mid-write loses at most
that row); a locked, read-only or corrupt database costs the row, never the search.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any

from ..config import LogConfig
from .store import Store

log = logging.getLogger(__name__)
WRITE_WAIT_MS = 50
SCHEMA = """
CREATE TABLE IF NOT EXISTS search_log(
    id INTEGER PRIMARY KEY,
    time REAL NOT NULL,
    client TEXT NOT NULL,
    route TEXT NOT NULL,
    query TEXT,
    query_hash TEXT NOT NULL,
    stages_ms TEXT NOT NULL,
    pool INTEGER NOT NULL,
    unscored INTEGER NOT NULL,
    skipped TEXT NOT NULL,
    error TEXT,
    confidence REAL,
    results INTEGER NOT NULL,
    opened_rank INTEGER,
    bytes INTEGER NOT NULL
)"""
COLUMNS = ("id", "time", "client", "route", "query", "query_hash", "stages_ms", "pool",
           "unscored", "skipped", "error", "confidence", "results", "opened_rank")


@dataclass(frozen=True)
class LogEntry:
    """One search as the log keeps it (``id``: the search id the clients were given)."""

    id: int
    client: str
    route: str
    query: str
    stages_ms: dict[str, float] = field(default_factory=dict)
    pool: int = 0
    unscored: int = 0
    skipped: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    confidence: float | None = None
    results: int = 0
    time: float = field(default_factory=time.time)
    opened_rank: int | None = None


class SearchLog:
    """Appends and reads the log of one index; every failure is logged and swallowed."""

    def __init__(self, store: Store, config: LogConfig):
        self.store = store
        self.config = config
        self._bytes: int | None = None  # rows' size, counted once, then kept up to date

    def _run(self, work: Any) -> Any:
        conn = self.store.conn
        try:
            conn.execute(f"PRAGMA busy_timeout={WRITE_WAIT_MS}")
            with self.store.transaction():
                conn.execute(SCHEMA)
                return work(conn)
        except sqlite3.Error as exc:  # locked by an indexer, read-only, corrupt, full disk
            log.debug("search log not written: %s", exc)
            return None
        finally:
            try:
                conn.execute("PRAGMA busy_timeout=30000")
            except sqlite3.Error:
                pass

    def record(self, entry: LogEntry) -> bool:
        """Append one search; False when it could not be written (or logging is off)."""
        if not self.config.enabled:
            return False
        digest = hashlib.sha256(entry.query.encode("utf-8", "replace")).hexdigest()
        row = (entry.id, entry.time, entry.client, entry.route,
               entry.query if self.config.queries else None, digest,
               json.dumps(entry.stages_ms), entry.pool, entry.unscored,
               json.dumps(entry.skipped), entry.error, entry.confidence, entry.results)
        size = sum(len(str(v)) for v in row) + 64

        def write(conn: sqlite3.Connection) -> bool:
            if self._bytes is None:
                self._bytes = int(conn.execute(
                    "SELECT coalesce(sum(bytes), 0) FROM search_log").fetchone()[0])
            conn.execute(f"INSERT OR REPLACE INTO search_log({', '.join(COLUMNS[:-1])}, bytes)"
                         f" VALUES({', '.join('?' * len(row))}, ?)", (*row, size))
            self._bytes += size
            if self._bytes > self.config.max_mb * 1_000_000:
                self._trim(conn)
            return True

        return bool(self._run(write))

    def _trim(self, conn: sqlite3.Connection) -> None:
        """Drop the oldest tenth of the rows (at least one)."""
        count = conn.execute("SELECT count(*) FROM search_log").fetchone()[0]
        conn.execute("DELETE FROM search_log WHERE id IN (SELECT id FROM search_log ORDER BY"
                     " time, id LIMIT ?)", (max(1, count // 10),))
        self._bytes = int(conn.execute(
            "SELECT coalesce(sum(bytes), 0) FROM search_log").fetchone()[0])

    def opened(self, search_id: int, rank: int) -> bool:
        """Record the rank (1-based) of the result the user opened for a logged search."""
        if not self.config.enabled:
            return False
        return bool(self._run(lambda conn: conn.execute(
            "UPDATE search_log SET opened_rank = ? WHERE id = ?", (rank, search_id)
        ).rowcount))

    def entries(self) -> list[LogEntry]:
        """Every logged search, oldest first (empty when there is no log)."""
        try:
            rows = self.store.conn.execute(
                f"SELECT {', '.join(COLUMNS)} FROM search_log ORDER BY time, id").fetchall()
        except sqlite3.Error as exc:
            log.debug("search log not read: %s", exc)
            return []
        return [LogEntry(id=r[0], time=r[1], client=r[2], route=r[3], query=r[4] or r[5],
                         stages_ms=json.loads(r[6]), pool=r[7], unscored=r[8],
                         skipped=json.loads(r[9]), error=r[10], confidence=r[11],
                         results=r[12], opened_rank=r[13]) for r in rows]

    def size_bytes(self) -> int:
        try:
            return int(self.store.conn.execute(
                "SELECT coalesce(sum(bytes), 0) FROM search_log").fetchone()[0])
        except sqlite3.Error:
            return 0

    def clear(self) -> int:
        """Forget every logged search; how many there were."""
        return int(self._run(lambda conn: conn.execute("DELETE FROM search_log").rowcount)
                   or 0)
