"""SQLite storage for the index: schema, writes, and every query retrieval runs.

One database per workspace, in WAL mode so readers never block the writer: ``files``
(with the decoded text every snippet is cut from), ``chunks``, ``symbols``; contentless
FTS5 ``chunk_fts`` (identifier-split text, symbol path as its own column) and
``symbol_fts`` (name terms), whose deletes recompute terms from the stored text; FTS5
``file_trigrams`` (trigram tokenizer, external content) for substring and regex prefilters.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ..parse.chunks import Chunk, ChunkedFile
from ..terms import index_terms
from .private import FILE_MODE, private_file, private_folder, tighten_database
from .rows import (
    ChunkRow,
    FileState,
    SymbolRow,
    chunk_body,
    content_hash,
    document_key,
    json_ids,
    symbol_terms,
)
from .schema import SCHEMA, SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "ChunkRow", "FileState", "Store", "SymbolRow", "content_hash",
           "json_ids"]

CHUNK_COLUMNS = "c.id, c.file_id, f.path, f.language, c.start_line, c.end_line, c.symbol, c.kind"
SYMBOL_COLUMNS = (
    "SELECT s.id, s.chunk_id, s.file_id, f.path, f.language, c.start_line, c.end_line,"
    " c.symbol, s.kind, s.name FROM symbols s JOIN files f ON f.id = s.file_id"
    " JOIN chunks c ON c.id = s.chunk_id"
)

class Store:
    """An open index database. Not thread-safe: one Store per thread."""

    def __init__(self, db_path: Path):
        self.db_path = db_path
        private_folder(db_path.parent)
        private_file(db_path)
        self.conn = sqlite3.connect(db_path, timeout=30.0, isolation_level=None,
                                    check_same_thread=False)
        for pragma in ("synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000"):
            self.conn.execute(f"PRAGMA {pragma}")
        if not self._current():
            self._prepare()
        tighten_database(db_path)

    def _current(self) -> bool:
        """Already in WAL mode with this schema: nothing to create, no lock to take."""
        return (self.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal" and
                self.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION)

    def _prepare(self) -> None:
        """Switch to WAL and create (or rebuild) the schema. Switching a new database to WAL
        fails at once (no busy wait) if another process is creating it too, so creation
        and migration are serialised by a small lock."""
        import filelock  # only a new or outdated index needs it

        with filelock.FileLock(str(self.db_path) + ".schema.lock", timeout=60, mode=FILE_MODE):
            self.conn.execute("PRAGMA journal_mode=WAL")
            if self.conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                self._rebuild_schema()

    def close(self) -> None:
        self.conn.close()

    def _rebuild_schema(self) -> None:
        """Drop everything and create the current schema (a version change means rebuild)."""
        self.conn.execute("PRAGMA foreign_keys=OFF")  # dropping in any order is fine here
        try:
            self._recreate()
        finally:
            self.conn.execute("PRAGMA foreign_keys=ON")

    def _recreate(self) -> None:
        with self.transaction():
            if self.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
                return  # another process rebuilt it while we waited for the write lock
            tables = [r[0] for r in self.conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND sql LIKE 'CREATE VIRTUAL%'"
            )]
            for name in tables:
                self.conn.execute(f'DROP TABLE IF EXISTS "{name}"')
            for (name,) in self.conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            ).fetchall():
                self.conn.execute(f'DROP TABLE IF EXISTS "{name}"')
            for statement in SCHEMA.split(";\n"):
                if statement.strip():
                    self.conn.execute(statement)
            self.conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic write: all of it lands, or none of it."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # -- metadata ---------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)", (key, value))

    # -- writes (call inside transaction()) ---------------------------------------

    def file_states(self) -> dict[str, FileState]:
        return {
            path: FileState(fid, size, mtime, h)
            for fid, path, size, mtime, h in self.conn.execute(
                "SELECT id, path, size, mtime_ns, hash FROM files"
            )
        }

    def file_state(self, path: str) -> FileState | None:
        row = self.conn.execute("SELECT id, size, mtime_ns, hash FROM files WHERE path=?",
                                (path,)).fetchone()
        return FileState(*row) if row else None

    def skipped_states(self) -> dict[str, tuple[int, int]]:
        """Files seen and skipped (binary, generated, unreadable): path -> (size, mtime_ns)."""
        return {p: (size, mtime) for p, size, mtime in self.conn.execute(
            "SELECT path, size, mtime_ns FROM skipped")}

    def mark_skipped(self, path: str, size: int, mtime_ns: int) -> None:
        self.conn.execute("INSERT OR REPLACE INTO skipped(path, size, mtime_ns) VALUES(?,?,?)",
                          (path, size, mtime_ns))

    def forget_skipped(self, paths: Iterable[str]) -> None:
        self.conn.executemany("DELETE FROM skipped WHERE path=?", [(p,) for p in paths])

    def touch_file(self, file_id: int, size: int, mtime_ns: int) -> None:
        self.conn.execute("UPDATE files SET size=?, mtime_ns=? WHERE id=?",
                          (size, mtime_ns, file_id))

    def delete_file(self, file_id: int) -> None:
        """Remove a file and everything indexed from it."""
        row = self.conn.execute("SELECT content FROM files WHERE id=?", (file_id,)).fetchone()
        if row is None:
            return
        lines = row[0].split("\n")
        for cid, start, end, symbol, kind, p_start, p_end in self.conn.execute(
            "SELECT id, start_line, end_line, symbol, kind, prefix_start, prefix_end "
            "FROM chunks WHERE file_id=?", (file_id,)
        ).fetchall():
            prefix = (p_start, p_end) if p_start is not None else None
            chunk = Chunk(start, end, kind, symbol, prefix)
            self.conn.execute(
                "INSERT INTO chunk_fts(chunk_fts, rowid, symbol, body) VALUES('delete', ?, ?, ?)",
                (cid, symbol_terms(symbol or ""), index_terms(chunk_body(lines, chunk))),
            )
        for sid, path in self.conn.execute(
            "SELECT id, path FROM symbols WHERE file_id=?", (file_id,)
        ).fetchall():
            self.conn.execute(
                "INSERT INTO symbol_fts(symbol_fts, rowid, terms) VALUES('delete', ?, ?)",
                (sid, symbol_terms(path)),
            )
        self.conn.execute(
            "INSERT INTO file_trigrams(file_trigrams, rowid, content) VALUES('delete', ?, ?)",
            (file_id, row[0]),
        )
        self.conn.execute("DELETE FROM symbols WHERE file_id=?", (file_id,))
        self.conn.execute("DELETE FROM chunks WHERE file_id=?", (file_id,))
        self.conn.execute("DELETE FROM files WHERE id=?", (file_id,))

    def put_file(self, path: str, language: str, size: int, mtime_ns: int, digest: str,
                 text: str, chunked: ChunkedFile) -> int:
        """Insert a file with its chunks and symbols (the old version must be deleted)."""
        cur = self.conn.execute(
            "INSERT INTO files(path, language, size, mtime_ns, hash, content) "
            "VALUES(?, ?, ?, ?, ?, ?)",
            (path, language, size, mtime_ns, digest, text),
        )
        file_id = int(cur.lastrowid or 0)
        self.conn.execute("INSERT INTO file_trigrams(rowid, content) VALUES(?, ?)",
                          (file_id, text))
        lines = text.split("\n")
        offsets = [0]
        for line in lines:
            offsets.append(offsets[-1] + len(line.encode("utf-8")) + 1)
        chunk_ids: list[int] = []
        for chunk in chunked.chunks:
            body = chunk_body(lines, chunk)
            cur = self.conn.execute(
                "INSERT INTO chunks(file_id, start_line, end_line, start_byte, end_byte, symbol,"
                " kind, prefix_start, prefix_end, text_hash) VALUES(?,?,?,?,?,?,?,?,?,?)",
                (file_id, chunk.start_line, chunk.end_line, offsets[chunk.start_line - 1],
                 offsets[chunk.end_line] - 1, chunk.symbol, chunk.kind,
                 chunk.prefix[0] if chunk.prefix else None,
                 chunk.prefix[1] if chunk.prefix else None,
                 document_key(path, chunk.symbol, body)),
            )
            cid = int(cur.lastrowid or 0)
            chunk_ids.append(cid)
            self.conn.execute(
                "INSERT INTO chunk_fts(rowid, symbol, body) VALUES(?, ?, ?)",
                (cid, symbol_terms(chunk.symbol or ""), index_terms(body)),
            )
        for sym in chunked.symbols:
            if not chunk_ids:
                break
            cur = self.conn.execute(
                "INSERT INTO symbols(file_id, chunk_id, name, path, kind, start_line, end_line)"
                " VALUES(?,?,?,?,?,?,?)",
                (file_id, chunk_ids[sym.chunk_index], sym.name, sym.path, sym.kind,
                 sym.start_line, sym.end_line),
            )
            self.conn.execute("INSERT INTO symbol_fts(rowid, terms) VALUES(?, ?)",
                              (cur.lastrowid, symbol_terms(sym.path)))
        return file_id

    def forget_everything(self) -> None:
        """Every indexed and skipped file gone (a full reindex starts from this)."""
        for file_id, _, _ in self.files():
            self.delete_file(file_id)
        self.conn.execute("DELETE FROM skipped")

    def optimize(self) -> None:
        for table in ("chunk_fts", "symbol_fts", "file_trigrams"):
            self.conn.execute(f"INSERT INTO {table}({table}) VALUES('optimize')")

    def chunk_rows(self, chunk_ids: Sequence[int]) -> dict[int, tuple[int, int, str, int | None,
                                                                     int | None]]:
        """chunk id -> (start_line, end_line, text_hash, prefix_start, prefix_end)."""
        rows = self.conn.execute(
            "SELECT id, start_line, end_line, text_hash, prefix_start, prefix_end FROM chunks"
            " WHERE id IN (SELECT value FROM json_each(?))", (json_ids(chunk_ids),))
        return {r[0]: (r[1], r[2], r[3], r[4], r[5]) for r in rows}

    # -- reads ------------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        files, source = self.conn.execute("SELECT count(*), coalesce(sum(size),0) FROM files"
                                          ).fetchone()
        chunks = self.conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
        symbols = self.conn.execute("SELECT count(*) FROM symbols").fetchone()[0]
        return {"files": files, "chunks": chunks, "symbols": symbols, "source_bytes": source}

    def language_counts(self) -> dict[str, int]:
        """Indexed files per language, most common first."""
        return dict(self.conn.execute(
            "SELECT language, count(*) FROM files GROUP BY language ORDER BY 2 DESC"))

    def file_content(self, file_id: int) -> str:
        row = self.conn.execute("SELECT content FROM files WHERE id=?", (file_id,)).fetchone()
        return row[0] if row else ""

    def files(self) -> list[tuple[int, str, str]]:
        """(id, path, language) of every indexed file."""
        return self.conn.execute("SELECT id, path, language FROM files ORDER BY path").fetchall()

    def file_row(self, path: str) -> tuple[int, str, int, int, str, str] | None:
        """(id, language, size, mtime_ns, hash, content) of one file."""
        return self.conn.execute("SELECT id, language, size, mtime_ns, hash, content FROM files"
                                 " WHERE path=?", (path,)).fetchone()

    def paths_by_size(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT path FROM files ORDER BY size")]

    @contextmanager
    def rolled_back(self) -> Iterator[None]:
        """A write transaction that is always undone (measure a change, keep nothing)."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            self.conn.execute("ROLLBACK")

    # -- retrieval ----------------------------------------------------------------

    def keyword_matches(self, expression: str, weights: tuple[float, float],
                        allowed: list[int] | None, limit: int) -> list[tuple[ChunkRow, float]]:
        """Chunks matching an FTS5 expression, best bm25 first, with the (positive) score
        (``weights``: symbol and body columns). Ranked inside the full-text index and joined
        only for the rows kept: a question's terms match thousands of chunks."""
        inner, params = _only("SELECT rowid AS id, bm25(chunk_fts, ?, ?) AS score FROM chunk_fts"
                              " WHERE chunk_fts MATCH ?", [*weights, expression],
                              "(SELECT file_id FROM chunks WHERE id = chunk_fts.rowid)", allowed)
        rows = self.conn.execute(f"SELECT {CHUNK_COLUMNS}, best.score FROM ({inner} ORDER BY score"
                                 " LIMIT ?) best JOIN chunks c ON c.id = best.id JOIN files f"
                                 " ON f.id = c.file_id ORDER BY best.score", [*params, limit])
        return [(ChunkRow(*r[:-1]), -float(r[-1])) for r in rows]

    def symbols_named(self, name: str, allowed: list[int] | None, limit: int
                      ) -> list[SymbolRow]:
        """Definitions with this name (case-insensitive)."""
        return self._symbols("s.name = ?", [name], allowed, limit)

    def symbols_with_prefix(self, prefix: str, allowed: list[int] | None, limit: int
                            ) -> list[SymbolRow]:
        """Definitions whose name starts with ``prefix`` but is longer."""
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return self._symbols("s.name LIKE ? ESCAPE '\\' AND s.name != ?", [escaped + "%", prefix],
                             allowed, limit)

    def symbols_matching(self, expression: str, allowed: list[int] | None, limit: int,
                         fetch: int) -> list[SymbolRow]:
        """Definitions whose name terms match an FTS5 expression (best ``fetch`` first)."""
        return self._symbols("s.id IN (SELECT rowid FROM symbol_fts WHERE symbol_fts MATCH ?"
                             " ORDER BY rank LIMIT ?)", [expression, fetch], allowed, limit)

    def symbol_names(self) -> list[str]:
        """Every distinct definition name."""
        return [r[0] for r in self.conn.execute("SELECT DISTINCT name FROM symbols")]

    def _symbols(self, where: str, params: list[object], allowed: list[int] | None,
                 limit: int) -> list[SymbolRow]:
        sql, params = _only(f"{SYMBOL_COLUMNS} WHERE {where}", params, "s.file_id", allowed)
        rows = self.conn.execute(sql + " LIMIT ?", [*params, limit])
        return [SymbolRow(*r) for r in rows]

    def files_with_trigrams(self, expression: str | None, allowed: list[int] | None
                            ) -> list[tuple[int, str, str]]:
        """(id, path, language) of files whose text has the trigrams of ``expression``
        (every file when None), in path order."""
        sql, params = "SELECT f.id, f.path, f.language FROM files f WHERE 1", list[object]()
        if expression is not None:
            sql += " AND f.id IN (SELECT rowid FROM file_trigrams WHERE file_trigrams MATCH ?)"
            params.append(expression)
        sql, params = _only(sql, params, "f.id", allowed)
        return self.conn.execute(sql + " ORDER BY f.path", params).fetchall()

    # -- static chunk vectors (the dense generator) --------------------------------

    def chunks_without_vector(self, model: str, limit: int, after: int = 0
                              ) -> tuple[int, list[tuple[str, str]]]:
        """(last chunk id read, [(doc key, "path symbol\nbody")]) of up to ``limit`` chunks
        after chunk id ``after`` with no ``model`` vector yet. Reading on from ``after``
        keeps a full pass linear (restarting at the first chunk rescanned every chunk
        already embedded, batch after batch)."""
        rows = self.conn.execute(
            "SELECT c.id, c.text_hash, c.file_id, c.start_line, c.end_line, c.kind, c.symbol,"
            " c.prefix_start, c.prefix_end, f.path FROM chunks c JOIN files f ON f.id ="
            " c.file_id WHERE c.id > ? AND NOT EXISTS (SELECT 1 FROM chunk_vectors v WHERE"
            " v.model = ? AND v.doc_key = c.text_hash) ORDER BY c.id LIMIT ?",
            (after, model, limit)).fetchall()
        out: dict[str, str] = {}
        lines: tuple[int, list[str]] = (-1, [])
        for _, key, file_id, start, end, kind, symbol, p_start, p_end, path in rows:
            if lines[0] != file_id:
                lines = (file_id, self.file_content(file_id).split("\n"))
            prefix = (p_start, p_end) if p_start is not None else None
            body = chunk_body(lines[1], Chunk(start, end, kind, symbol, prefix))
            out[key] = f"{path} {symbol or ''}\n{body}"
        return (rows[-1][0] if rows else after), list(out.items())

    def put_vectors(self, model: str, rows: Sequence[tuple[str, bytes]]) -> None:
        self.conn.executemany("INSERT OR REPLACE INTO chunk_vectors(model, doc_key, vector)"
                              " VALUES(?, ?, ?)", [(model, k, v) for k, v in rows])

    def chunk_vectors(self, model: str) -> Iterator[tuple[int, int, bytes]]:
        """(chunk id, file id, vector) of every chunk with a ``model`` vector, as read."""
        return self.conn.execute(
            "SELECT c.id, c.file_id, v.vector FROM chunks c JOIN chunk_vectors v ON"
            " v.model = ? AND v.doc_key = c.text_hash ORDER BY c.id", (model,))

    def prune_vectors(self) -> None:
        """Drop vectors of chunk texts that no longer exist."""
        self.conn.execute("DELETE FROM chunk_vectors WHERE doc_key NOT IN"
                          " (SELECT text_hash FROM chunks)")

    def chunks_by_id(self, chunk_ids: Sequence[int]) -> list[ChunkRow]:
        return [ChunkRow(*r) for r in self.conn.execute(
            f"SELECT {CHUNK_COLUMNS} FROM chunks c JOIN files f ON f.id = c.file_id"
            " WHERE c.id IN (SELECT value FROM json_each(?))", (json_ids(chunk_ids),))]

    def chunks_of_file(self, file_id: int) -> list[ChunkRow]:
        rows = self.conn.execute(
            f"SELECT {CHUNK_COLUMNS} FROM chunks c JOIN files f ON f.id = c.file_id"
            " WHERE c.file_id=?"
            " ORDER BY c.start_line, c.end_line DESC",
            (file_id,),
        )
        return [ChunkRow(*r) for r in rows]


def _only(sql: str, params: list[object], column: str, allowed: list[int] | None
          ) -> tuple[str, list[object]]:
    """Restrict a query to the allowed file ids (None: no restriction)."""
    if allowed is None:
        return sql, params
    return f"{sql} AND {column} IN (SELECT value FROM json_each(?))", [*params, json_ids(allowed)]
